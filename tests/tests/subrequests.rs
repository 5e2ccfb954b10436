//! Subrequests (`--opt requestid=…`): what buildctl prints (`result.txt`) and the whole result
//! metadata (`result.json`, `result.statuscode`, `version`, as buildx reads them, captured by
//! tests/env/subrequest-client) must be byte for byte the reference's, on several Dockerfiles.
//! Both frontends run in one client session.
#![allow(clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use e2e::{env, repo_root, run_with_timeout, Context, Frontend, BUILD_TIMEOUT};

/// A Dockerfile using most of what the subrequests report: global and stage ARGs with doc
/// comments, stages copied from, and a few check violations.
fn rich_dockerfile() -> String {
    let base = &env().base_image;
    format!(
        "# syntax is not a directive here\nARG inherited=box\nARG unused=abc${{inherited}}\n# BASE the base image\nARG BASE={base}\n\n# build compiles it\nFROM ${{BASE}} as build\n# VERSION is the version\nARG VERSION=1.0\nARG password\nENV key value\nRUN echo $VERSION\n\nFROM scratch AS other\nARG OTHER=x\nCOPY $nope /\n\n# final is what ships\nFROM {base} AS final\nCOPY --from=build /etc/hostname /\nCMD echo done\n"
    )
}

/// Secrets and SSH sockets used by `RUN --mount`s of a target and the stages it needs.
fn mounts_dockerfile() -> String {
    let base = &env().base_image;
    format!(
        "FROM {base} AS build\nRUN --mount=type=secret,id=token,required --mount=type=ssh echo hi\nRUN --mount=type=secret,target=/etc/passwd true\n\nFROM {base} AS unused\nRUN --mount=type=secret,id=unused true\n\nFROM {base} AS final\nCOPY --from=build /etc/hostname /\nRUN --mount=type=ssh,id=deploy,required true\n"
    )
}

fn subrequest_client() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let script = repo_root().join("tests/env/build-subrequest-client.sh");
        let out = Command::new(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        if !out.status.success() {
            panic!(
                "{} failed:\n{}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

/// One run's result metadata (file name → contents), or `error` with the message.
type Metadata = BTreeMap<String, Vec<u8>>;

/// Runs the subrequest with the frontend under test and the reference, in one session.
fn metadata(ctx: &Context, opts: &[(&str, &str)]) -> (Metadata, Metadata) {
    let env = env();
    let out = ctx.new_output_dir();
    let dir = ctx.path().display().to_string();
    let under_test = match Frontend::under_test() {
        Frontend::Gateway(image) => format!("gateway.v0@{image}"),
        Frontend::Builtin => "dockerfile.v0".to_string(),
    };
    let mut cmd = Command::new(subrequest_client());
    cmd.args([
        "--addr",
        &env.buildkit_host,
        "--out",
        &out.display().to_string(),
    ]);
    cmd.args([
        "--local",
        &format!("context={dir}"),
        "--local",
        &format!("dockerfile={dir}"),
    ]);
    for (k, v) in opts {
        cmd.args(["--opt", &format!("{k}={v}")]);
    }
    cmd.args([
        "--run",
        &format!("ours={under_test}"),
        "--run",
        "reference=dockerfile.v0",
    ]);
    let res = run_with_timeout(&mut cmd, BUILD_TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot run the subrequest client: {e}"));
    if !res.status.success() {
        panic!("subrequest client failed: {}\n{}", res.stderr, res.stdout);
    }
    let read = |label: &str| -> Metadata {
        let d = out.join(label);
        std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()))
            .map(|e| {
                let e = e.unwrap_or_else(|e| panic!("{e}"));
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap_or_default(),
                )
            })
            .collect()
    };
    (read("ours"), read("reference"))
}

fn show(m: &Metadata) -> String {
    m.iter()
        .map(|(k, v)| format!("== {k}\n{}\n", String::from_utf8_lossy(v)))
        .collect()
}

/// `result.json` without the `"definition"` object of the lint result's source: the LLB the
/// Dockerfile was read with is BuildKit's own (its encoding and capability flags are the LLB
/// builder's business, not the subrequest's), so it is left out of the byte comparison.
fn without_definition(json: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(json);
    let Some(start) = s.find("\"definition\": {") else {
        return json.to_vec();
    };
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in s[start..].char_indices().skip("\"definition\": ".len()) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return format!(
                        "{}\"definition\": {{…}}{}",
                        &s[..start],
                        &s[start + i + 1..]
                    )
                    .into_bytes();
                }
            }
            _ => {}
        }
    }
    json.to_vec()
}

/// Asserts both frontends returned the same metadata, byte for byte; returns it.
#[track_caller]
fn same_metadata(ctx: &Context, opts: &[(&str, &str)]) -> Metadata {
    let (mut ours, mut reference) = metadata(ctx, opts);
    for m in [&mut ours, &mut reference] {
        if let Some(j) = m.get_mut("result.json") {
            *j = without_definition(j);
        }
    }
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "--- ours:\n{}--- reference:\n{}",
        show(&ours),
        show(&reference)
    );
    for (k, v) in &reference {
        let mine = &ours[k];
        if mine != v {
            panic!(
                "{k} differs (opts {opts:?})\n--- ours:\n{}\n--- reference:\n{}",
                String::from_utf8_lossy(mine),
                String::from_utf8_lossy(v)
            );
        }
    }
    ours
}

/// What buildctl prints for a subrequest: the frontend under test's and the reference's.
#[track_caller]
fn same_text(ctx: &Context, opts: &[(&str, &str)]) -> String {
    let run = |f: Option<Frontend>| {
        let mut b = ctx.build();
        if let Some(f) = f {
            b = b.frontend(f);
        }
        for (k, v) in opts {
            b = b.opt(k, v);
        }
        b.run()
    };
    let (ours, reference) = (run(None), run(Some(Frontend::Builtin)));
    ours.assert_ok();
    reference.assert_ok();
    assert_eq!(
        ours.stdout,
        reference.stdout,
        "buildctl output differs (opts {opts:?})\n--- ours:\n{}\n--- reference:\n{}",
        ours.report(),
        reference.report()
    );
    ours.stdout
}

fn text(m: &Metadata, key: &str) -> String {
    String::from_utf8_lossy(m.get(key).map(Vec::as_slice).unwrap_or_default()).into_owned()
}

#[test]
fn outline_matches_the_reference() {
    let ctx = Context::with_dockerfile("outline", &rich_dockerfile());
    let m = same_metadata(&ctx, &[("requestid", "frontend.outline")]);
    let txt = text(&m, "result.txt");
    assert!(
        txt.starts_with("TARGET:      final\nDESCRIPTION: is what ships\n"),
        "{txt}"
    );
    assert!(
        txt.contains("BASE ") && txt.contains("the base image"),
        "{txt}"
    );
    same_metadata(
        &ctx,
        &[
            ("requestid", "frontend.outline"),
            ("target", "build"),
            ("build-arg:VERSION", "2.0"),
        ],
    );
    same_text(&ctx, &[("requestid", "frontend.outline")]);
}

#[test]
fn outline_lists_secrets_and_ssh() {
    let ctx = Context::with_dockerfile("outline-mounts", &mounts_dockerfile());
    let m = same_metadata(&ctx, &[("requestid", "frontend.outline")]);
    let txt = text(&m, "result.txt");
    assert!(
        txt.contains("SECRET   REQUIRED\ntoken    true\npasswd   \n"),
        "{txt}"
    );
    assert!(txt.contains("deploy") && !txt.contains("unused"), "{txt}");
}

#[test]
fn targets_match_the_reference() {
    let ctx = Context::with_dockerfile("targets", &rich_dockerfile());
    let m = same_metadata(&ctx, &[("requestid", "frontend.targets")]);
    assert!(text(&m, "result.txt").contains("final (default) is what ships"));
    let ctx = Context::with_dockerfile(
        "targets-plain",
        "FROM scratch\nFROM --platform=$BUILDPLATFORM scratch AS x\nFROM x\n",
    );
    same_metadata(&ctx, &[("requestid", "frontend.targets")]);
    same_text(&ctx, &[("requestid", "frontend.targets")]);
}

#[test]
fn lint_matches_the_reference() {
    let ctx = Context::with_dockerfile("lint", &rich_dockerfile());
    let m = same_metadata(&ctx, &[("requestid", "frontend.lint")]);
    assert_eq!(text(&m, "result.statuscode"), "1");
    assert!(text(&m, "result.txt").contains("WARNING: UndefinedVar"));
    same_metadata(&ctx, &[("requestid", "frontend.lint"), ("target", "build")]);
    same_text(&ctx, &[("requestid", "frontend.lint")]);

    // No findings.
    let ctx = Context::with_dockerfile("lint-clean", "FROM scratch\nCOPY Dockerfile /\n");
    let m = same_metadata(&ctx, &[("requestid", "frontend.lint")]);
    assert_eq!(text(&m, "result.statuscode"), "0");

    // Findings and a build error: the error is reported, not raised.
    let ctx = Context::with_dockerfile(
        "lint-error",
        "\nFROM scratch AS BadStageName\nMAINTAINER me@example.org\nBADCMD\n",
    );
    let m = same_metadata(&ctx, &[("requestid", "frontend.lint")]);
    assert!(text(&m, "result.json").contains("\"buildError\""));

    // Without a target every stage is resolved and checked: a missing base image of a stage
    // the default target does not need is the build error.
    let missing = format!(
        "{}/e2e/no-such-image-{}:latest",
        env().registry,
        e2e::nonce()
    );
    let ctx = Context::with_dockerfile(
        "lint-all-stages",
        &format!("FROM {missing} AS unused\nRUN true\nFROM scratch\nCOPY Dockerfile /\n"),
    );
    let m = same_metadata(&ctx, &[("requestid", "frontend.lint")]);
    assert!(
        text(&m, "result.json").contains("no-such-image"),
        "{}",
        text(&m, "result.json")
    );

    // error=true and the check build argument. (One rule only: with several, the reference
    // names them in a random order.)
    let ctx = Context::with_dockerfile(
        "lint-strict",
        "#check=error=true\nFROM scratch as base\nCOPY Dockerfile .\n",
    );
    same_metadata(&ctx, &[("requestid", "frontend.lint")]);
    same_metadata(
        &ctx,
        &[
            ("requestid", "frontend.lint"),
            ("build-arg:BUILDKIT_DOCKERFILE_CHECK", "skip=all"),
        ],
    );

    // More than twelve findings, two on each line: the text's order follows Go's (unstable)
    // sort. (One undefined variable per instruction: the reference reports several in a
    // random order.)
    let mut df = String::from("FROM scratch\n");
    for i in 0..8 {
        df += &format!("ENV a{i} $u{i}\n");
    }
    let ctx = Context::with_dockerfile("lint-many", &df);
    same_metadata(&ctx, &[("requestid", "frontend.lint")]);
}

/// The reference's entries byte for byte, then ours: `frontend.plan` (docs/plan.md).
#[test]
fn describe_matches_the_reference() {
    let ctx = Context::with_dockerfile("describe", "FROM scratch\n");
    let (ours, reference) = metadata(&ctx, &[("requestid", "frontend.subrequests.describe")]);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "--- ours:\n{}--- reference:\n{}",
        show(&ours),
        show(&reference)
    );
    assert_eq!(text(&ours, "version"), text(&reference, "version"));
    let (txt, ref_txt) = (text(&ours, "result.txt"), text(&reference, "result.txt"));
    assert!(ref_txt.starts_with("NAME "), "{ref_txt}");
    let ours_plan = txt.strip_prefix(ref_txt.as_str()).unwrap_or_else(|| {
        panic!("result.txt: not the reference's then ours\n--- ours:\n{txt}\n--- reference:\n{ref_txt}")
    });
    assert!(ours_plan.starts_with("plan "), "{ours_plan}");
    let json = |m: &Metadata| -> Vec<serde_json::Value> {
        serde_json::from_slice(m.get("result.json").map(Vec::as_slice).unwrap_or_default())
            .unwrap_or_else(|e| panic!("result.json: {e}\n{}", show(m)))
    };
    let (ours_json, ref_json) = (json(&ours), json(&reference));
    assert_eq!(ours_json.len(), ref_json.len() + 1, "{}", show(&ours));
    assert_eq!(ours_json[..ref_json.len()], ref_json[..]);
    assert_eq!(ours_json[ref_json.len()]["name"], "frontend.plan");
    // buildctl prints result.txt: the reference's lines, then ours.
    let run = |f: Option<Frontend>| {
        let mut b = ctx
            .build()
            .opt("requestid", "frontend.subrequests.describe");
        if let Some(f) = f {
            b = b.frontend(f);
        }
        b.run()
    };
    let (ours, reference) = (run(None), run(Some(Frontend::Builtin)));
    ours.assert_ok();
    reference.assert_ok();
    for line in reference.stdout.lines() {
        assert!(
            ours.stdout.lines().any(|l| l == line),
            "buildctl output lacks {line:?}\n--- ours:\n{}\n--- reference:\n{}",
            ours.report(),
            reference.report()
        );
    }
}

/// `frontend.plan` through buildctl (ours only; the reference refuses it as unknown):
/// `result.json`, `result.txt` in the format `plan-format` asks for, and `version`.
#[test]
fn plan_through_buildctl() {
    let ctx = Context::with_dockerfile(
        "plan",
        &format!(
            "FROM {} AS builder\nRUN echo hi > /app\nFROM scratch AS final\nCOPY --from=builder /app /app\n",
            env().base_image
        ),
    );
    let (ours, reference) = metadata(
        &ctx,
        &[("requestid", "frontend.plan"), ("plan-format", "dot")],
    );
    assert!(
        text(&reference, "error").contains("unsupported request frontend.plan"),
        "{}",
        show(&reference)
    );
    assert_eq!(text(&ours, "version"), "1.0.0", "{}", show(&ours));
    assert!(
        text(&ours, "result.txt").starts_with("digraph"),
        "{}",
        show(&ours)
    );
    let json: serde_json::Value = serde_json::from_slice(
        ours.get("result.json")
            .map(Vec::as_slice)
            .unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("result.json: {e}\n{}", show(&ours)));
    assert_eq!(
        json["critical_path"]["stages"],
        serde_json::json!([0, 1]),
        "{json}"
    );

    // A Dockerfile a build refuses: the plan fails the same way.
    let bad = Context::with_dockerfile("plan-bad", "FROM scratch\nCOPY --from=nowhere /a /a\n");
    let plan = bad.build().opt("requestid", "frontend.plan").run();
    let build = bad.build().run();
    plan.assert_failed();
    build.assert_failed();
    plan.assert_stderr_contains(&["nowhere"]);
}

#[test]
fn unknown_requests_are_refused() {
    let ctx = Context::with_dockerfile("unknown", "FROM scratch\n");
    let (ours, reference) = metadata(&ctx, &[("requestid", "frontend.bogus")]);
    let err = |m: &Metadata| text(m, "error");
    assert!(
        err(&reference).contains("unsupported request frontend.bogus"),
        "{}",
        show(&reference)
    );
    assert!(
        err(&ours).contains("unsupported request frontend.bogus"),
        "{}",
        show(&ours)
    );
    let res = ctx.build().opt("requestid", "frontend.bogus").run();
    res.assert_failed();
    res.assert_stderr_contains(&["unsupported request frontend.bogus"]);
}
