//! Golden LLB tests: every `tests/golden/NAME.Dockerfile` is converted offline (base images
//! stand in as one-layer images with an empty config, as in the `llb` CLI) and a readable dump of
//! the definition (ops in order, digests named by position, metadata) and of the image config is
//! compared with `NAME.golden`. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites them; review
//! the diff. A first line `# args: --target T --platform P --build-arg K=V` sets options.
//! `tests/golden/compare-reference.sh` compares the same files with BuildKit's dockerfile2llb.

#![allow(clippy::panic)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use buildkit_llb::{pb, Platform, SourceFile};
use dockerfile_frontend::convert::{convert_with, ConvertOptions, Converted, ResolvedImage};
use dockerfile_frontend::{instructions, syntax};
use prost::Message;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn cases() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    files.sort();
    files
}

/// The options of a `# args:` first line.
fn options(text: &str, file: &Path) -> ConvertOptions {
    let mut opts = ConvertOptions {
        build: dockerfile_frontend::options::BuildOptions {
            context_local: "context".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let args: Vec<&str> = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# args:"))
        .map(|a| a.split_whitespace().collect())
        .unwrap_or_default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let v = it
            .next()
            .unwrap_or_else(|| panic!("{}: {a} needs a value", file.display()));
        match a {
            "--target" => opts.target = Some(v.into()),
            "--platform" => {
                opts.target_platform = Some(Platform::parse(v).expect("a valid platform"))
            }
            "--build-arg" => {
                let (k, val) = v.split_once('=').unwrap_or((v, ""));
                opts.build_args.insert(k.into(), val.into());
            }
            other => panic!("{}: unknown option {other}", file.display()),
        }
    }
    opts.source_file = Some(Arc::new(SourceFile {
        filename: "Dockerfile".into(),
        data: text.as_bytes().to_vec(),
        language: "Dockerfile".into(),
        ..Default::default()
    }));
    opts
}

fn offline_image(p: &Platform) -> ResolvedImage {
    let config = serde_json::json!({
        "architecture": p.architecture, "os": p.os, "config": {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]},
    });
    ResolvedImage {
        digest: None,
        config: serde_json::to_vec(&config).expect("json"),
    }
}

fn convert(file: &Path) -> (Converted, pb::Definition) {
    let text = std::fs::read_to_string(file).expect("readable");
    let ast = syntax::parse(&text).unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
    let df = instructions::parse_dockerfile(&ast)
        .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
    let opts = options(&text, file);
    let converted = convert_with(&df, ast.escape, &opts, |(_, p)| Ok(offline_image(p)))
        .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
    let def = converted.state.marshal().expect("marshal");
    (converted, def)
}

/// Ops in definition order, digests replaced by `opN`, then the op metadata and the image config.
fn dump(converted: &Converted, def: &pb::Definition) -> String {
    let ops: Vec<pb::Op> = def
        .def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).expect("an op"))
        .collect();
    let digests: Vec<String> = def.def.iter().map(|b| buildkit_llb::digest_of(b)).collect();
    let names: HashMap<&str, String> = digests
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), format!("op{i}")))
        .collect();
    let rename = |s: String| -> String {
        let mut s = s;
        for (d, n) in &names {
            s = s.replace(d, n);
        }
        s
    };
    let mut out = String::new();
    for (i, op) in ops.iter().enumerate() {
        let _ = writeln!(out, "op{i} = {}", rename(format!("{op:?}")));
        if let Some(md) = def.metadata.get(&digests[i]) {
            let _ = writeln!(out, "op{i}.metadata = {}", rename(format!("{md:?}")));
        }
    }
    let config: serde_json::Value =
        serde_json::from_slice(&converted.image.to_json()).expect("config json");
    let _ = writeln!(
        out,
        "image config = {}",
        serde_json::to_string_pretty(&config).expect("json")
    );
    out
}

#[test]
fn golden_llb() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    let all = cases();
    assert!(
        all.len() >= 15,
        "expected the golden Dockerfiles, found {}",
        all.len()
    );
    for file in all {
        let (converted, def) = convert(&file);
        let got = dump(&converted, &def);
        let golden = file.with_extension("golden");
        if update {
            std::fs::write(&golden, &got).expect("writable");
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if want != got {
            let first = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(want.lines().count().min(got.lines().count()));
            failures.push(format!(
                "{}: differs from {} from line {} on:\n  want: {:?}\n  got:  {:?}",
                file.display(),
                golden.display(),
                first + 1,
                want.lines().nth(first).unwrap_or("<end>"),
                got.lines().nth(first).unwrap_or("<end>")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run with UPDATE_GOLDEN=1 to accept the new output, then review the diff)",
        failures.join("\n")
    );
}

#[test]
fn conversion_is_deterministic() {
    for file in cases() {
        let (_, a) = convert(&file);
        let (_, b) = convert(&file);
        assert_eq!(
            a.encode_to_vec(),
            b.encode_to_vec(),
            "{}: two conversions differ",
            file.display()
        );
    }
}

#[test]
fn owned_and_borrowed_instruction_parsing_agree() {
    // The CLI takes the AST's strings (`parse_nodes`); the gateway borrows them.
    for file in cases() {
        let text = std::fs::read_to_string(&file).expect("readable");
        let ast = syntax::parse(&text).expect("parses");
        let borrowed = instructions::parse_dockerfile(&ast).expect("instructions");
        let owned = instructions::parse_nodes(ast.nodes).expect("instructions");
        assert_eq!(borrowed, owned, "{}", file.display());
    }
}
