//! The frontend binary. Started by BuildKit (no arguments), it runs the gateway protocol on
//! stdio. Run by hand, it converts a Dockerfile offline: `dockerfile-frontend llb [options] FILE`
//! writes the LLB definition to stdout (pipe it to `buildctl debug dump-llb`).

use std::process::ExitCode;

mod cli;
mod heap;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        heap::tune();
        return run_gateway();
    }
    match cli::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run_gateway() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("failed to start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dockerfile_frontend::gateway::run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dockerfile-frontend: {e:#}");
            ExitCode::FAILURE
        }
    }
}
