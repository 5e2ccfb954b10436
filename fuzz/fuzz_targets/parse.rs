//! The whole offline pipeline on a Dockerfile's bytes: parser, typed instructions, word
//! expansion, the converter and the checks beside it, and what a build sends BuildKit (the
//! definition, the result with its image config, warnings, or the error as a status). Any
//! input must end in a result or an error, never a panic, a stack overflow, a hang or a
//! memory bomb.
#![no_main]

use dfrs_fuzz::{dump, run, Daemon};
use dockerfile_frontend::convert::{dockerfile_text, parse_source};
use dockerfile_frontend::options::BuildOptions;
use dockerfile_frontend::shell::Lex;
use dockerfile_frontend::{instructions, syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dump::input(data);
    let text = dockerfile_text(data);
    let _ = syntax::detect_syntax(&text);
    let build = BuildOptions {
        context_local: "context".into(),
        ..Default::default()
    };
    let daemon = Daemon {
        digest: true,
        ..Default::default()
    };
    // Everything a build sends BuildKit, through the gateway's steps.
    run(data, &build, None, &daemon);
    // The parts on their own, each of which must end without a panic.
    let Ok(ast) = parse_source(&text) else { return };
    let _ = ast.dump();
    // INCLUDE (our extension): every path the input names reads the input itself.
    let mut files = std::collections::BTreeMap::new();
    for _ in 0..4 {
        match syntax::include::expand_includes(&ast, "Dockerfile", &files) {
            Ok(syntax::include::Expansion::Need(paths)) => {
                for p in paths {
                    files.insert(p, Ok(text.to_string()));
                }
            }
            _ => break,
        }
    }
    let lex = Lex::new(ast.escape);
    let env = vec![
        ("A".to_string(), "x y".to_string()),
        ("EMPTY".to_string(), String::new()),
    ];
    for node in &ast.nodes {
        for arg in &node.args {
            let _ = lex.process_word(arg, &env);
            let _ = lex.process_words(arg, &env);
        }
    }
    let Ok(df) = instructions::parse_dockerfile(&ast) else {
        return;
    };
    for stage in &df.stages {
        for cmd in &stage.commands {
            if let instructions::CommandKind::Run(r) = &cmd.kind {
                for m in &r.mounts {
                    let _ = instructions::parse_mount(m);
                }
            }
        }
    }
});
