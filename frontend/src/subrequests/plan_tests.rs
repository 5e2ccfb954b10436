//! The stage plan's renderers, with golden strings for a builder → test → production
//! Dockerfile, and the subrequest's metadata.

use super::plan::{dot, json, mermaid, plan, text, PlanFormat};
use crate::convert::plan_model_tests::{plan_with, BUILDER_TEST_PROD};

fn get<'a>(md: &'a super::Metadata, key: &str) -> &'a str {
    md.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| std::str::from_utf8(v).unwrap())
        .unwrap()
}

const TEXT: &str = "\
Target production (linux/amd64): 3 of 3 stages needed, 9 steps on the critical path

#  STAGE       BASE                             STEPS  LEVEL
0  builder     golang:1.22@sha256:111111111111  4      0
1  test        stage builder                    1      1
2  production  alpine:3.20@sha256:111111111111  4      2

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

const MERMAID: &str = r##"flowchart TD
    s0["builder<br/>FROM golang:1.22@sha256:111111111111<br/>4 steps"]
    s1["test<br/>FROM builder<br/>1 step"]
    s2["production<br/>FROM alpine:3.20@sha256:111111111111<br/>4 steps"]
    s0 -->|"FROM"| s1
    s0 -->|"/out/app<br/>→ /usr/local/bin/app"| s2
    s1 -->|"/out/test-report.txt<br/>→ /usr/share/doc/app/"| s2
    classDef pruned stroke-dasharray: 5 5,stroke:#999,color:#999,fill:#f4f4f4
    classDef target stroke-width:3px
    class s2 target
"##;

const DOT: &str = r#"digraph plan {
    rankdir=TB;
    node [shape=box, style=rounded, fontname="Helvetica"];
    edge [fontname="Helvetica", fontsize=10];
    s0 [label="builder\nFROM golang:1.22@sha256:111111111111\n4 steps"];
    s1 [label="test\nFROM builder\n1 step"];
    s2 [label="production\nFROM alpine:3.20@sha256:111111111111\n4 steps", penwidth=2];
    s0 -> s1 [label="FROM"];
    s0 -> s2 [label="/out/app\n→ /usr/local/bin/app"];
    s1 -> s2 [label="/out/test-report.txt\n→ /usr/share/doc/app/"];
}
"#;

#[test]
fn builder_test_production_as_text_mermaid_and_dot() {
    let m = plan_with(BUILDER_TEST_PROD, &[], &[]);
    assert_eq!(text(&m), TEXT);
    assert_eq!(mermaid(&m), MERMAID);
    assert_eq!(dot(&m), DOT);
    assert!(text(&m).lines().all(|l| l.chars().count() <= 100));
}

#[test]
fn the_json_form_is_the_model() {
    let m = plan_with(BUILDER_TEST_PROD, &[], &[]);
    let j: serde_json::Value = serde_json::from_str(&json(&m)).unwrap();
    assert_eq!(j["version"], "1.0.0");
    assert_eq!(j["target"], 2);
    assert_eq!(j["stages"][0]["name"], "builder");
    assert_eq!(j["stages"][0]["base"]["type"], "image");
    assert_eq!(j["stages"][0]["base"]["reference"], "golang:1.22");
    assert_eq!(
        j["stages"][0]["base"]["resolved"],
        format!("docker.io/library/golang:1.22@sha256:{}", "1".repeat(64))
    );
    assert_eq!(
        j["stages"][1]["base"],
        serde_json::json!({"type": "stage", "stage": 0})
    );
    assert_eq!(j["stages"][2]["level"], 2);
    assert_eq!(j["edges"][1]["kind"], "copy");
    assert_eq!(j["edges"][1]["paths"], serde_json::json!(["/out/app"]));
    assert_eq!(j["edges"][1]["dest"], "/usr/local/bin/app");
    assert_eq!(j["edges"][0]["dest"], serde_json::Value::Null);
    assert_eq!(j["levels"], serde_json::json!([[0], [1], [2]]));
    assert_eq!(
        j["critical_path"],
        serde_json::json!({"stages": [0, 1, 2], "steps": 9})
    );
    assert_eq!(j["final"].as_array().map(Vec::len), Some(2));
}

#[test]
fn the_subrequest_returns_json_text_and_a_version() {
    let m = plan_with(BUILDER_TEST_PROD, &[], &[]);
    let md = plan(&m, PlanFormat::Text);
    assert_eq!(
        md.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        vec!["result.json", "result.txt", "version"]
    );
    assert_eq!(get(&md, "result.txt"), TEXT);
    assert_eq!(get(&md, "result.json"), json(&m));
    assert_eq!(get(&md, "version"), "1.0.0");
    let md = plan(&m, PlanFormat::Mermaid);
    assert_eq!(get(&md, "result.txt"), MERMAID);
    assert_eq!(get(&md, "result.json"), json(&m));
}

#[test]
fn the_format_comes_from_the_option_then_the_build_arg() {
    assert_eq!(PlanFormat::from_options(None, None), Ok(PlanFormat::Text));
    assert_eq!(
        PlanFormat::from_options(None, Some("dot")),
        Ok(PlanFormat::Dot)
    );
    assert_eq!(
        PlanFormat::from_options(Some("Mermaid"), Some("dot")),
        Ok(PlanFormat::Mermaid)
    );
    assert_eq!(PlanFormat::parse("json"), Ok(PlanFormat::Json));
    assert_eq!(
        PlanFormat::parse("svg").unwrap_err(),
        "unknown plan format \"svg\" (want text, json, mermaid or dot)"
    );
}

#[test]
fn pruned_stages_are_dashed_and_grey() {
    let m = plan_with(BUILDER_TEST_PROD, &[("target", "test")], &[]);
    let md = mermaid(&m);
    assert!(
        md.contains("    s0 -.->|\"/out/app<br/>→ /usr/local/bin/app\"| s2\n"),
        "{md}"
    );
    assert!(
        md.contains("    class s2 pruned\n    class s1 target\n"),
        "{md}"
    );
    let d = dot(&m);
    assert!(d.contains("s2 [label=\"production\\nFROM alpine:3.20\\n4 steps\", style=\"rounded,dashed\", color=grey, fontcolor=grey];"), "{d}");
    let t = text(&m);
    assert!(
        t.contains("2  production  alpine:3.20                      4      pruned\n"),
        "{t}"
    );
    assert!(
        t.contains("line 11  COPY /out/app -> /usr/local/bin/app (pruned)\n"),
        "{t}"
    );
    assert!(
        t.ends_with("The final image (test) receives:\n  from builder:  everything (FROM)\n"),
        "{t}"
    );
}

#[test]
fn images_contexts_onbuild_and_platforms_are_drawn() {
    let df = "FROM --platform=linux/arm64 busybox AS tools\nRUN make\nFROM busybox AS parent\nONBUILD COPY --from=tools /t /t\nFROM parent\nCOPY --from=nginx:1.27 /etc/nginx '/etc/a\"b'\nRUN --mount=from=src,target=/src build\n";
    let m = plan_with(df, &[("context:src", "https://example.com/src.tar")], &[]);
    let md = mermaid(&m);
    assert!(
        md.contains(
            "    s0[\"tools<br/>FROM busybox@sha256:111111111111<br/>linux/arm64<br/>2 steps\"]\n"
        ),
        "{md}"
    );
    assert!(
        md.contains("    x0([\"image nginx:1.27\"])\n    x1([\"context src\"])\n"),
        "{md}"
    );
    assert!(
        md.contains("    s0 -->|\"ONBUILD<br/>/t<br/>→ /t\"| s2\n"),
        "{md}"
    );
    assert!(
        md.contains("    x0 -->|\"/etc/nginx<br/>→ '/etc/a#quot;b'\"| s2\n"),
        "{md}"
    );
    assert!(
        md.contains("    x1 -->|\"mount /<br/>→ /src\"| s2\n"),
        "{md}"
    );
    let d = dot(&m);
    assert!(
        d.contains("    x0 -> s2 [label=\"/etc/nginx\\n→ '/etc/a\\\"b'\"];\n"),
        "{d}"
    );
    let t = text(&m);
    assert!(t.contains("PLATFORM"), "{t}");
    assert!(
        t.contains("  image nginx:1.27  ->  stage-2  line 6  COPY /etc/nginx -> '/etc/a\"b'\n"),
        "{t}"
    );
    assert!(
        t.contains("  tools             ->  stage-2  line 5  ONBUILD COPY /t -> /t\n"),
        "{t}"
    );
    assert!(
        t.contains("  context src       ->  stage-2  line 7  mount / -> /src\n"),
        "{t}"
    );
}

#[test]
fn long_names_and_paths_are_cut_to_the_terminal() {
    let long = "x".repeat(300);
    let df = format!(
        "FROM busybox AS {long}\nRUN a\nFROM {long}\nCOPY --from={long} /{long} /{long} /\n"
    );
    let m = plan_with(&df, &[], &[]);
    let t = text(&m);
    assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
    // Nothing panics on any renderer.
    let _ = (mermaid(&m), dot(&m), json(&m));
}

/// INCLUDEs (our extension) are listed in every format, and only when there are some.
#[test]
fn includes_are_listed_only_when_there_are_some() {
    use crate::convert::plan_model::PlanInclude;
    let mut m = plan_with(BUILDER_TEST_PROD, &[], &[]);
    let before = (text(&m), json(&m), mermaid(&m), dot(&m));
    assert!(!before.0.contains("INCLUDE") && !before.1.contains("includes"));
    m.includes = vec![
        PlanInclude {
            path: "common/a.Dockerfile".into(),
            in_file: None,
            line: 2,
        },
        PlanInclude {
            path: "common/b".into(),
            in_file: Some("common/a.Dockerfile".into()),
            line: 7,
        },
    ];
    let t = text(&m);
    assert!(t.starts_with(&before.0), "{t}");
    assert_eq!(
        &t[before.0.len()..],
        "\nIncluded files (INCLUDE, this frontend's extension):\n  line 2                      INCLUDE common/a.Dockerfile\n  common/a.Dockerfile line 7  INCLUDE common/b\n"
    );
    let j = json(&m);
    assert!(
        j.contains("  \"includes\": [\n    {\n      \"path\": \"common/b\",") || j.contains("\"path\": \"common/b\",\n      \"in\": \"common/a.Dockerfile\",\n      \"line\": 7"),
        "{j}"
    );
    assert!(mermaid(&m).starts_with("flowchart TD\n    %% INCLUDE common/a.Dockerfile (line 2)\n    %% INCLUDE common/b (common/a.Dockerfile line 7)\n"));
    assert!(dot(&m).contains("    // INCLUDE common/b (common/a.Dockerfile line 7)\n"));
}
