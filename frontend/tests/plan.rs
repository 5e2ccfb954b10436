//! `dockerfile-frontend plan`, run as a program: the stage plan of a builder → test →
//! production Dockerfile in each format, the format picked by flag, option or build arg.

#![allow(clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The plan unit tests' Dockerfile (`convert/plan_model_tests.rs`).
const DOCKERFILE: &str = include_str!("data/builder-test-prod.Dockerfile");

fn dockerfile(name: &str, data: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("plan-{name}.Dockerfile"));
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

fn run(args: &[&str], file: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockerfile-frontend"))
        .arg("plan")
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("running dockerfile-frontend: {e}"))
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const TEXT: &str = "\
Target production (linux/amd64): 3 of 3 stages needed, 9 steps on the critical path

#  STAGE       BASE           STEPS  LEVEL
0  builder     golang:1.22    4      0
1  test        stage builder  1      1
2  production  alpine:3.20    4      2

Files between stages:
  builder  ->  test        line 6   FROM (everything)
  builder  ->  production  line 11  COPY /out/app -> /usr/local/bin/app
  test     ->  production  line 12  COPY /out/test-report.txt -> /usr/share/doc/app/

Parallel levels (the stages of a level can run at once):
  0:  builder
  1:  test
  2:  production

Critical path, 9 steps:
  builder (4) -> test (1) -> production (4)

The final image (production) receives:
  from builder:  COPY /out/app -> /usr/local/bin/app
  from test:     COPY /out/test-report.txt -> /usr/share/doc/app/
";

const MERMAID: &str = r#"flowchart TD
    s0["builder<br/>FROM golang:1.22<br/>4 steps"]
    s1["test<br/>FROM builder<br/>1 step"]
    s2["production<br/>FROM alpine:3.20<br/>4 steps"]
    s0 -->|"FROM"| s1
    s0 -->|"/out/app<br/>→ /usr/local/bin/app"| s2
    s1 -->|"/out/test-report.txt<br/>→ /usr/share/doc/app/"| s2
    classDef pruned stroke-dasharray: 5 5,stroke:#999,color:#999,fill:#f4f4f4
    classDef target stroke-width:3px
    class s2 target
"#;

#[test]
fn text_is_the_default() {
    let f = dockerfile("text", DOCKERFILE);
    assert_eq!(stdout(&run(&["--platform", "linux/amd64"], &f)), TEXT);
}

#[test]
fn the_format_by_flag_option_or_build_arg() {
    let f = dockerfile("formats", DOCKERFILE);
    let amd64 = ["--platform", "linux/amd64"];
    let with = |extra: &[&str]| stdout(&run(&[&amd64[..], extra].concat(), &f));
    assert_eq!(with(&["--format", "mermaid"]), MERMAID);
    assert_eq!(with(&["--opt", "plan-format=mermaid"]), MERMAID);
    assert_eq!(
        with(&["--build-arg", "BUILDKIT_PLAN_FORMAT=mermaid"]),
        MERMAID
    );
    // The flag wins over the option.
    assert_eq!(
        with(&["--opt", "plan-format=dot", "--format", "text"]),
        TEXT
    );
    let dot = with(&["--format", "dot"]);
    assert!(dot.starts_with("digraph plan {\n"), "{dot}");
    assert!(
        dot.contains("    s0 -> s2 [label=\"/out/app\\n→ /usr/local/bin/app\"];\n"),
        "{dot}"
    );
    let json: serde_json::Value = serde_json::from_str(&with(&["--format", "json"]))
        .unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(json["version"], "1.0.0");
    assert_eq!(json["critical_path"]["steps"], 9);
    assert_eq!(json["stages"][2]["name"], "production");
}

#[test]
fn a_target_prunes_what_it_does_not_need() {
    let f = dockerfile("target", DOCKERFILE);
    let out = stdout(&run(
        &["--platform", "linux/amd64", "--target", "builder"],
        &f,
    ));
    assert!(
        out.starts_with(
            "Target builder (linux/amd64): 1 of 3 stages needed, 4 steps on the critical path\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("1  test        stage builder  1      pruned\n"),
        "{out}"
    );
    assert!(
        out.ends_with("The final image (builder) receives:\n  nothing from other stages\n"),
        "{out}"
    );
}

#[test]
fn errors_are_the_builds() {
    let f = dockerfile("errors", DOCKERFILE);
    let o = run(&["--format", "svg"], &f);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("unknown plan format \"svg\""),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["--target", "nope"], &f);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("target stage \"nope\" could not be found"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bad = dockerfile(
        "cycle",
        "FROM busybox AS a\nCOPY --from=b / /\nFROM busybox AS b\nCOPY --from=a / /\n",
    );
    let o = run(&[], &bad);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
}

/// docs/plan.md shows this Dockerfile's plan as the program prints it.
#[test]
fn the_documented_examples_are_the_output() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/plan.md"))
        .unwrap_or_else(|e| panic!("docs/plan.md: {e}"));
    assert!(doc.contains(DOCKERFILE), "docs/plan.md: the Dockerfile");
    assert!(
        doc.contains(&format!("```text\n{TEXT}```")),
        "docs/plan.md: text"
    );
    assert!(
        doc.contains(&format!("```mermaid\n{MERMAID}```")),
        "docs/plan.md: mermaid"
    );
    let f = dockerfile("docs", DOCKERFILE);
    for format in ["dot", "json"] {
        let out = stdout(&run(&["--platform", "linux/amd64", "--format", format], &f));
        assert!(
            doc.contains(&format!("```{format}\n{out}```")),
            "docs/plan.md: {format}"
        );
    }
}
