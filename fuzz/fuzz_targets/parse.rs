//! Fuzzes the whole offline pipeline: parser, typed instructions, word expansion and the
//! converter. Any input must end in a result or an error, never a panic, a stack overflow
//! or a hang.
#![no_main]

use dockerfile_frontend::convert::{convert_with, ConvertOptions, ResolvedImage};
use dockerfile_frontend::limits::Limits;
use dockerfile_frontend::options::BuildOptions;
use dockerfile_frontend::shell::Lex;
use dockerfile_frontend::{instructions, syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let _ = syntax::detect_syntax(&src);
    let Ok(ast) = syntax::parse(&src) else { return };
    let _ = ast.dump();
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
            if let instructions::CommandKind::Run(run) = &cmd.kind {
                for m in &run.mounts {
                    let _ = instructions::parse_mount(m);
                }
            }
        }
    }
    // Small size limits (docs/limits.md), so that small inputs reach them, and a conversion
    // stays far below the memory a run may use (tests/fuzz.sh): more is a bound missing.
    let opts = ConvertOptions {
        build: BuildOptions {
            context_local: "context".into(),
            ..Default::default()
        },
        limits: Limits {
            word: 64 << 10,
            env: 256 << 10,
            output: 8 << 20,
        },
        ..Default::default()
    };
    let image = br#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:00"]}}"#;
    if let Ok(out) = convert_with(&df, ast.escape, &opts, |_| {
        Ok(ResolvedImage {
            digest: None,
            config: image.to_vec(),
        })
    }) {
        let _ = out.state.marshal();
    }
});
