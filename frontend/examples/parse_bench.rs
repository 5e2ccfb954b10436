//! Times our parser (`syntax::parse` + `instructions::parse_dockerfile`) on files, or prints
//! the canonical dump that bench/parser-compare's Go program prints for BuildKit's parser.
//!
//! Usage: `parse_bench [-n N] bench|dump FILE...`

use std::fmt::Write as _;
use std::time::Instant;

use dockerfile_frontend::gocompat::go_quote as q;
use dockerfile_frontend::instructions::{
    self, ArgCommand, Command, CommandKind, NetworkMode, SecurityMode,
};
use dockerfile_frontend::syntax;

fn qs(v: &[String]) -> String {
    let parts: Vec<String> = v.iter().map(|s| q(s)).collect();
    format!("[{}]", parts.join(" "))
}

fn opt(v: &Option<String>) -> String {
    q(v.as_deref().unwrap_or(""))
}

fn loc(l: Option<syntax::Location>) -> String {
    l.map_or("-".to_string(), |l| {
        format!("{}-{}", l.start_line, l.end_line)
    })
}

fn dump_arg(w: &mut String, a: &ArgCommand) {
    w.push_str("  arg");
    for p in &a.args {
        let v = p.value.as_deref().map_or("nil".to_string(), q);
        let _ = write!(w, " {}={},{}", q(&p.key), v, opt(&p.doc_comment));
    }
    w.push('\n');
}

fn dump_command(w: &mut String, c: &Command) {
    let _ = match &c.kind {
        CommandKind::Run(r) => {
            let _ = write!(w, "  run args={} json={}", qs(&r.cmd.args), r.cmd.is_json());
            for f in &r.cmd.files {
                let _ = write!(w, " file={},{},{}", q(&f.name), f.chomp, q(&f.data));
            }
            let network = match r.network {
                NetworkMode::Default => "default",
                NetworkMode::None => "none",
                NetworkMode::Host => "host",
            };
            let security = match r.security {
                SecurityMode::Sandbox => "sandbox",
                SecurityMode::Insecure => "insecure",
            };
            let _ = write!(w, " network={network} security={security}");
            for d in &r.devices {
                let _ = write!(w, " device={},{}", q(&d.name), d.required);
            }
            writeln!(w, " nmounts={}", r.mounts.len())
        }
        CommandKind::Cmd(c) => {
            writeln!(w, "  cmd args={} json={}", qs(&c.cmd.args), c.cmd.is_json())
        }
        CommandKind::Entrypoint(c) => writeln!(
            w,
            "  entrypoint args={} json={}",
            qs(&c.cmd.args),
            c.cmd.is_json()
        ),
        CommandKind::Copy(c) => {
            let sd = &c.sources_and_dest;
            let _ = write!(
                w,
                "  copy dest={} srcs={}",
                q(&sd.dest_path),
                qs(&sd.source_paths)
            );
            for s in &sd.source_contents {
                let _ = write!(w, " content={},{},{}", q(&s.path), s.expand, q(&s.data));
            }
            writeln!(
                w,
                " from={} chown={} chmod={} link={} parents={} exclude={}",
                opt(&c.from),
                opt(&c.chown),
                opt(&c.chmod),
                c.link,
                c.parents,
                qs(&c.exclude_patterns)
            )
        }
        CommandKind::Add(c) => {
            let sd = &c.sources_and_dest;
            let _ = write!(
                w,
                "  add dest={} srcs={}",
                q(&sd.dest_path),
                qs(&sd.source_paths)
            );
            for s in &sd.source_contents {
                let _ = write!(w, " content={},{},{}", q(&s.path), s.expand, q(&s.data));
            }
            let b = |v: Option<bool>| v.map_or("nil".to_string(), |b| b.to_string());
            writeln!(
                w,
                " chown={} chmod={} link={} checksum={} keepgit={} unpack={} exclude={}",
                opt(&c.chown),
                opt(&c.chmod),
                c.link,
                opt(&c.checksum),
                b(c.keep_git_dir),
                b(c.unpack),
                qs(&c.exclude_patterns)
            )
        }
        CommandKind::Env(e) => {
            w.push_str("  env");
            for kv in &e.env {
                let _ = write!(w, " {}={},{}", q(&kv.key), q(&kv.value), kv.no_delim);
            }
            writeln!(w)
        }
        CommandKind::Label(e) => {
            w.push_str("  label");
            for kv in &e.labels {
                let _ = write!(w, " {}={},{}", q(&kv.key), q(&kv.value), kv.no_delim);
            }
            writeln!(w)
        }
        CommandKind::Arg(a) => {
            dump_arg(w, a);
            Ok(())
        }
        CommandKind::Workdir(c) => writeln!(w, "  workdir {}", q(&c.path)),
        CommandKind::User(c) => writeln!(w, "  user {}", q(&c.user)),
        CommandKind::Expose(c) => writeln!(w, "  expose {}", qs(&c.ports)),
        CommandKind::Volume(c) => writeln!(w, "  volume {}", qs(&c.volumes)),
        CommandKind::StopSignal(c) => writeln!(w, "  stopsignal {}", q(&c.signal)),
        CommandKind::Shell(c) => writeln!(w, "  shell {}", qs(&c.shell)),
        CommandKind::Maintainer(c) => writeln!(w, "  maintainer {}", q(&c.maintainer)),
        CommandKind::Onbuild(c) => writeln!(w, "  onbuild {}", q(&c.expression)),
        CommandKind::Healthcheck(c) => {
            let h = &c.health;
            writeln!(
                w,
                "  healthcheck {} {} {} {} {} {}",
                qs(&h.test),
                h.interval.as_nanos(),
                h.timeout.as_nanos(),
                h.start_period.as_nanos(),
                h.start_interval.as_nanos(),
                h.retries
            )
        }
    };
}

fn dump(name: &str, src: &str) -> String {
    let mut w = String::new();
    let _ = writeln!(w, "== {name}");
    let ast = match syntax::parse(src) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(w, "parse error: {} @{}", e.message, loc(e.location));
            return w;
        }
    };
    let _ = writeln!(w, "{}", ast.dump());
    let _ = writeln!(w, "escape={}", q(&ast.escape.to_string()));
    for wn in ast
        .warnings
        .iter()
        .filter(|w| w.rule == "NoEmptyContinuation")
    {
        let _ = writeln!(w, "warning line {}", wn.location.start_line);
    }
    for (i, n) in ast.nodes.iter().enumerate() {
        let _ = writeln!(
            w,
            "node {i} {}-{} comments={}",
            n.location.start_line,
            n.location.end_line,
            qs(&n.prev_comment)
        );
        for h in &n.heredocs {
            let _ = writeln!(
                w,
                "  heredoc {} expand={} chomp={} {}",
                q(&h.name),
                h.expand,
                h.chomp,
                q(&h.content)
            );
        }
    }
    // Both conversion paths must agree.
    let owned = instructions::parse_nodes(ast.nodes.clone());
    if owned != instructions::parse_dockerfile(&ast) {
        let _ = writeln!(w, "MISMATCH between parse_dockerfile and parse_nodes");
    }
    let df = match owned {
        Ok(df) => df,
        Err(e) => {
            let _ = writeln!(w, "instructions error: {} @{}", e.message, loc(e.location));
            return w;
        }
    };
    for m in &df.meta_args {
        dump_arg(&mut w, m);
    }
    for s in &df.stages {
        let _ = writeln!(
            w,
            "stage name={} base={} platform={} doc={}",
            opt(&s.name),
            q(&s.base_name),
            opt(&s.platform),
            opt(&s.comment)
        );
        for c in &s.commands {
            dump_command(&mut w, c);
        }
    }
    w
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut n = 20usize;
    if args.first().map(String::as_str) == Some("-n") && args.len() > 1 {
        n = args[1].parse().unwrap_or(20);
        args.drain(..2);
    }
    let Some(mode) = args.first().cloned() else {
        eprintln!("usage: parse_bench [-n N] bench|dump FILE...");
        std::process::exit(2);
    };
    for f in &args[1..] {
        let bytes = std::fs::read(f).unwrap_or_else(|e| {
            eprintln!("{f}: {e}");
            std::process::exit(1)
        });
        // Our API takes text; BuildKit reads bytes (invalid UTF-8 is out of scope here).
        let src = String::from_utf8_lossy(&bytes);
        match mode.as_str() {
            "dump" => print!("{}", dump(f, &src)),
            "bench" => {
                let run = || {
                    // The frontend's way: the nodes move into the typed instructions.
                    let mut ast = syntax::parse(&src).ok()?;
                    let nodes = std::mem::take(&mut ast.nodes);
                    Some(instructions::parse_nodes(nodes).is_ok())
                };
                if run() != Some(true) {
                    eprintln!("{f}: does not parse");
                }
                let start = Instant::now();
                for _ in 0..n {
                    std::hint::black_box(run());
                }
                println!("{f}\t{}", start.elapsed().as_nanos() / n as u128);
            }
            "bench-parse" => {
                // The syntax layer alone.
                let start = Instant::now();
                for _ in 0..n {
                    std::hint::black_box(syntax::parse(&src).is_ok());
                }
                println!("{f}\t{}", start.elapsed().as_nanos() / n as u128);
            }
            _ => {
                eprintln!("unknown mode {mode}");
                std::process::exit(2);
            }
        }
    }
}
