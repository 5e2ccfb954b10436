//! Fuzzes the Dockerfile parser and the typed-instruction layer: any input must end in a
//! result or an error, never a panic, a stack overflow or a hang.
#![no_main]

use dockerfile_frontend::{instructions, syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    if let Ok(ast) = syntax::parse(&src) {
        let _ = ast.dump();
        if let Ok(df) = instructions::parse_dockerfile(&ast) {
            for stage in &df.stages {
                for cmd in &stage.commands {
                    if let instructions::CommandKind::Run(run) = &cmd.kind {
                        for m in &run.mounts {
                            let _ = instructions::parse_mount(m);
                        }
                    }
                }
            }
        }
    }
    let _ = syntax::detect_syntax(&src);
});
