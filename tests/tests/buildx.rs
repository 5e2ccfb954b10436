//! The frontend through `docker buildx build` (a `remote` builder on the test daemon, no
//! Docker engine): the flags users pass reach the build and mean what they mean with
//! BuildKit's own frontend. buildx always starts the built-in `dockerfile.v0`, which forwards
//! to the image under test (`BUILDKIT_SYNTAX`, or a `# syntax=` line).
#![allow(clippy::panic)]

use std::fs;
use std::process::Command;

use e2e::{buildx, env, gateway_image_under_test, nonce, require_multiarch, syntax_line, Context};

fn base() -> &'static str {
    &env().base_image
}

/// `--build-arg` and `--target` choose the stage and its values; the local output holds it.
#[test]
fn build_arg_and_target() {
    let ctx = Context::with_dockerfile(
        "buildx-args",
        &format!(
            "FROM {base} AS build\nARG GREETING=hello\nRUN echo \"$GREETING {n}\" > /greeting\n\
             FROM build AS other\nRUN echo other > /other\n\
             FROM scratch AS final\nCOPY --from=build /greeting /\n",
            base = base(),
            n = nonce()
        ),
    );
    let res = ctx
        .buildx()
        .build_arg("GREETING", "bonjour")
        .target("final")
        .output_local()
        .run();
    res.assert_ok();
    assert!(
        res.read_output("greeting").starts_with("bonjour "),
        "{}",
        res.report()
    );
    assert!(
        !res.out_dir().join("other").exists(),
        "the other stage was exported\n{}",
        res.report()
    );
    assert!(
        !res.stderr.contains("RUN echo other"),
        "a stage the target does not need ran\n{}",
        res.report()
    );
}

/// `--platform` builds for that platform (under emulation), and several give one directory each.
#[test]
fn platform() {
    require_multiarch();
    let ctx = Context::with_dockerfile(
        "buildx-platform",
        &format!(
            "FROM {}\nARG TARGETPLATFORM\nRUN echo \"$TARGETPLATFORM $(uname -m) {}\" > /arch\n",
            base(),
            nonce()
        ),
    );
    let one = ctx
        .buildx()
        .args(["--platform", "linux/arm64"])
        .output_local()
        .run();
    one.assert_ok();
    assert!(
        one.read_output("arch").starts_with("linux/arm64 aarch64"),
        "{}",
        one.report()
    );

    let two = ctx
        .buildx()
        .args(["--platform", "linux/amd64,linux/arm64"])
        .output_local()
        .run();
    two.assert_ok();
    assert!(
        two.read_output("linux_amd64/arch")
            .starts_with("linux/amd64 x86_64"),
        "{}",
        two.report()
    );
    assert!(
        two.read_output("linux_arm64/arch")
            .starts_with("linux/arm64 aarch64"),
        "{}",
        two.report()
    );
}

/// `--build-context NAME=DIR` is a named context `COPY --from=NAME` reads.
#[test]
fn build_context() {
    let ctx = Context::with_dockerfile(
        "buildx-build-context",
        "FROM scratch\nCOPY --from=extra /data.txt /from-extra.txt\n",
    );
    let extra = Context::new("buildx-build-context-extra");
    extra.write("data.txt", &format!("extra {}\n", nonce()));
    let res = ctx
        .buildx()
        .args([
            "--build-context".to_string(),
            format!("extra={}", extra.path().display()),
        ])
        .output_local()
        .run();
    res.assert_ok();
    assert!(
        res.read_output("from-extra.txt").starts_with("extra "),
        "{}",
        res.report()
    );
}

/// `--secret id=...,src=FILE` reaches `RUN --mount=type=secret`.
#[test]
fn secret() {
    let ctx = Context::with_dockerfile(
        "buildx-secret",
        &format!(
            "FROM {}\nRUN --mount=type=secret,id=token,required=true wc -c < /run/secrets/token > /size && echo {}\n",
            base(),
            nonce()
        ),
    );
    let secret = ctx
        .path()
        .parent()
        .map(|p| p.join("token.txt"))
        .unwrap_or_default();
    fs::write(&secret, "s3cr3t")
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", secret.display()));
    let res = ctx
        .buildx()
        .args([
            "--secret".to_string(),
            format!("id=token,src={}", secret.display()),
        ])
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("size").trim(), "6", "{}", res.report());
    assert!(
        !res.stderr.contains("s3cr3t"),
        "the secret leaked into the log\n{}",
        res.report()
    );
}

/// `--cache-to type=local` then, with the daemon's own records of the build pruned,
/// `--cache-from type=local` makes the RUN a cache hit.
#[test]
fn cache_to_and_from_local() {
    let n = nonce();
    let ctx = Context::with_dockerfile(
        "buildx-cache",
        &format!("FROM {}\nRUN echo cache-{n} > /out\n", base()),
    );
    let cache_dir = ctx.new_output_dir();
    let first = ctx
        .buildx()
        .args([
            "--cache-to".to_string(),
            format!("type=local,dest={},mode=max", cache_dir.display()),
        ])
        .output_local()
        .run();
    first.assert_ok();
    assert!(
        cache_dir.join("index.json").exists(),
        "no cache exported\n{}",
        first.report()
    );

    // Drop this build's records from the daemon (only them: other tests share it).
    let pruned = prune(&n).unwrap_or_else(|e| panic!("cannot run buildx prune: {e}"));
    assert!(
        pruned.status.success(),
        "buildx prune failed: {}",
        String::from_utf8_lossy(&pruned.stderr)
    );

    let without = ctx.buildx().output_local().run();
    without.assert_ok();
    let run_step = |r: &e2e::BuildResult| {
        r.steps()
            .into_iter()
            .find(|s| s.instruction().starts_with("RUN echo cache-"))
    };
    let step = run_step(&without).unwrap_or_else(|| panic!("no RUN step\n{}", without.report()));
    assert!(
        !step.cached,
        "the RUN was still cached after the prune\n{}",
        without.report()
    );

    let _ = prune(&n);
    let with = ctx
        .buildx()
        .args([
            "--cache-from".to_string(),
            format!("type=local,src={}", cache_dir.display()),
        ])
        .output_local()
        .run();
    with.assert_ok();
    let step = run_step(&with).unwrap_or_else(|| panic!("no RUN step\n{}", with.report()));
    assert!(
        step.cached,
        "the imported cache was not used\n{}",
        with.report()
    );
    assert_eq!(with.read_output("out").trim(), format!("cache-{n}"));
}

/// `buildx prune` of the records this test's builds made (their descriptions carry `cache-N`).
fn prune(n: &str) -> std::io::Result<std::process::Output> {
    let bx = buildx();
    Command::new(&bx.binary)
        .env("DOCKER_CONFIG", &bx.docker_config)
        .args([
            "--builder",
            &bx.builder,
            "prune",
            "--force",
            "--all",
            "--filter",
        ])
        .arg(format!("description~=cache-{n}"))
        .output()
}

/// `--output type=oci,dest=FILE` writes an OCI layout tarball whose config is ours.
#[test]
fn output_oci() {
    let ctx = Context::with_dockerfile(
        "buildx-oci",
        &format!(
            "FROM {}\nLABEL org.example.test=yes\nRUN echo {} > /x\nCMD [\"cat\", \"/x\"]\n",
            base(),
            nonce()
        ),
    );
    let tar = ctx.new_output_dir().with_extension("tar");
    let res = ctx
        .buildx()
        .args([
            "--output".to_string(),
            format!("type=oci,dest={}", tar.display()),
        ])
        .run();
    res.assert_ok();
    let list = Command::new("tar")
        .arg("-tf")
        .arg(&tar)
        .output()
        .unwrap_or_else(|e| panic!("cannot run tar: {e}"));
    let names = String::from_utf8_lossy(&list.stdout);
    assert!(
        names.lines().any(|l| l == "index.json") && names.contains("oci-layout"),
        "not an OCI layout: {names}\n{}",
        res.report()
    );
    // The config blob is the one JSON blob holding our label.
    let dir = ctx.new_output_dir();
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let ok = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cannot unpack {}", tar.display());
    let blobs = fs::read_dir(dir.join("blobs/sha256")).unwrap_or_else(|e| panic!("{e}"));
    let config = blobs
        .filter_map(|b| b.ok())
        .filter_map(|b| fs::read(b.path()).ok())
        .filter_map(|b| serde_json::from_slice::<e2e::Value>(&b).ok())
        .find(|v| v["config"]["Labels"]["org.example.test"] == "yes")
        .unwrap_or_else(|| {
            panic!(
                "no image config with the label in the OCI layout\n{}",
                res.report()
            )
        });
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["cat", "/x"]));
}

/// `--call targets`, `--call outline` and `--call check` answer from the Dockerfile.
#[test]
fn call_subrequests() {
    let ctx = Context::with_dockerfile(
        "buildx-call",
        &format!(
            "FROM {} AS base\n# the build stage\nARG VERSION=1\nRUN echo $VERSION > /v\n\n# the final image\nFROM base AS final\ncopy --from=base /v /v2\n",
            base()
        ),
    );
    let targets = ctx.buildx().args(["--call", "targets"]).run();
    targets.assert_ok();
    assert!(
        targets.stdout.contains("base") && targets.stdout.contains("final (default)"),
        "{}\nstdout: {}",
        targets.report(),
        targets.stdout
    );

    let outline = ctx.buildx().args(["--call", "outline"]).run();
    outline.assert_ok();
    assert!(
        outline.stdout.contains("TARGET: final") && outline.stdout.contains("VERSION"),
        "{}\nstdout: {}",
        outline.report(),
        outline.stdout
    );

    let check = ctx.buildx().args(["--call", "check"]).run();
    let all = format!("{}{}", check.stdout, check.stderr);
    assert!(
        all.contains("ConsistentInstructionCasing") && all.contains("Dockerfile:8"),
        "{}\nstdout: {}",
        check.report(),
        check.stdout
    );
}

/// `--call check` lists our own rules when the Dockerfile names them (each with its line),
/// the multi-stage ones included; the toolchain image is a named context standing for the
/// base image.
#[test]
fn call_check_lists_our_rules() {
    let b = base();
    let ctx = Context::with_dockerfile(
        "buildx-call-ours",
        &format!(
            "# check=experimental=UnusedArg,UnreachableStage,FinalStageCopiesWholeStage,FinalStageCopiesWholeContext,ToolchainInFinalStage,FinalStageRunsAsRoot,CopyFromUnwrittenPath\n\
             ARG UNUSED_GLOBAL=1\n\
             FROM {b}\n\
             RUN echo never built\n\
             FROM {b} AS build\n\
             ARG NOT_USED=1\n\
             RUN mkdir -p /out && echo hi > /out/app\n\
             FROM scratch AS files\n\
             COPY x /files/x\n\
             FROM golang:1.22\n\
             COPY --from=build /out/app /app\n\
             COPY --from=build / /rootfs\n\
             COPY --from=files /missing /m\n\
             COPY . /src\n\
             CMD [\"cat\", \"/app\"]\n"
        ),
    );
    ctx.write("x", "x");
    let check = ctx
        .buildx()
        .args([
            "--call".to_string(),
            "check".to_string(),
            "--build-context".to_string(),
            format!("golang:1.22=docker-image://{b}"),
        ])
        .run();
    let all = format!("{}{}", check.stdout, check.stderr);
    assert!(
        all.contains("Check complete, 8 warnings have been found!"),
        "{}\nstdout: {}",
        check.report(),
        check.stdout
    );
    for (rule, line) in [
        ("UnusedArg", 2),
        ("UnreachableStage", 3),
        ("UnusedArg", 6),
        ("ToolchainInFinalStage", 10),
        ("FinalStageRunsAsRoot", 10),
        ("FinalStageCopiesWholeStage", 12),
        ("CopyFromUnwrittenPath", 13),
        ("FinalStageCopiesWholeContext", 14),
    ] {
        // `WARNING: Rule - URL`, the message, then `…/Dockerfile:LINE`.
        let header = format!("WARNING: {rule} - docs/checks/{rule}.md\n");
        let at = format!("/Dockerfile:{line}\n");
        let found = all.match_indices(&header).any(|(i, _)| {
            let block: String = all[i + header.len()..]
                .split_inclusive('\n')
                .take(2)
                .collect();
            block.contains(&at)
        });
        assert!(
            found,
            "{rule} at line {line} missing\n{}\nstdout: {}",
            check.report(),
            check.stdout
        );
    }
}

/// `--call plan` (ours only): buildx prints the plan's `result.txt`, or `result.json` with
/// `format=json`; `BUILDKIT_PLAN_FORMAT` picks the text form.
#[test]
fn call_plan() {
    let ctx = Context::with_dockerfile(
        "buildx-plan",
        &format!(
            "FROM {b} AS builder\nRUN mkdir /out && echo hi > /out/app\n\nFROM builder AS test\nRUN test -f /out/app\n\nFROM {b} AS tools\nRUN echo tools > /t\n\nFROM scratch AS final\nCOPY --from=builder /out/app /app\nCOPY --from=tools /t /t\n",
            b = base()
        ),
    );
    let text = ctx.buildx().args(["--call", "plan"]).run();
    text.assert_ok();
    for want in [
        "Target final",
        "3 of 4 stages needed",
        "builder  ->  final",
        "/out/app",
        "Critical path",
        "pruned",
    ] {
        assert!(
            text.stdout.contains(want),
            "{want:?} missing\n{}\nstdout: {}",
            text.report(),
            text.stdout
        );
    }

    let json = ctx.buildx().args(["--call", "plan,format=json"]).run();
    json.assert_ok();
    let v: serde_json::Value = serde_json::from_str(json.stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}", json.stdout));
    assert_eq!(v["version"], "1.0.0", "{v}");
    let stages = v["stages"].as_array().cloned().unwrap_or_default();
    assert_eq!(stages.len(), 4, "{v}");
    let needed: Vec<bool> = stages
        .iter()
        .map(|s| s["needed"].as_bool().unwrap_or(true))
        .collect();
    assert_eq!(needed, [true, false, true, true], "{v}");
    // builder and tools read no other stage: one level; final the next.
    assert_eq!(v["levels"], serde_json::json!([[0, 2], [3]]), "{v}");

    let mermaid = ctx
        .buildx()
        .args([
            "--call",
            "plan",
            "--build-arg",
            "BUILDKIT_PLAN_FORMAT=mermaid",
        ])
        .run();
    mermaid.assert_ok();
    assert!(
        mermaid.stdout.trim_start().starts_with("flowchart"),
        "{}\nstdout: {}",
        mermaid.report(),
        mermaid.stdout
    );
}

/// A `# syntax=` line in the Dockerfile (no BUILDKIT_SYNTAX): buildx's built-in frontend
/// forwards to the image it names.
#[test]
fn syntax_directive() {
    let ctx = Context::with_dockerfile(
        "buildx-syntax",
        &format!(
            "{}FROM {}\nRUN echo syntax-{} > /s\n",
            syntax_line(),
            base(),
            nonce()
        ),
    );
    let res = ctx.buildx().no_syntax_arg().output_local().run();
    res.assert_ok();
    assert!(
        res.read_output("s").starts_with("syntax-"),
        "{}",
        res.report()
    );
    if let Some(image) = gateway_image_under_test() {
        assert!(
            res.stderr
                .contains(&format!("resolve image config for docker-image://{image}")),
            "the frontend image was not used\n{}",
            res.report()
        );
    }
}
