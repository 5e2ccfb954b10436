//! The examples under `examples/` build (with the base image from the local registry).
#![allow(clippy::panic)]

use e2e::{env, Build, Context};

/// A build of an example with its base image from the local registry (`BASE_IMAGE`).
fn on_base(ctx: &Context) -> Build<'_> {
    ctx.build().build_arg("BASE_IMAGE", &env().base_image)
}

/// examples/multistage: the release stage holds only the artifacts, the test stage passes,
/// and a bug in the sources makes the test stage fail the build.
#[test]
fn multistage_example() {
    let ctx = Context::from_repo_dir("example-multistage", "examples/multistage");

    let release = on_base(&ctx).output_local().run();
    release.assert_ok();
    let mut files: Vec<String> = std::fs::read_dir(release.out_dir())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    assert_eq!(
        files,
        ["SHA256SUMS", "fizzbuzz", "fizzbuzz-1.0.0.tar.gz"],
        "{}",
        release.report()
    );
    let script = release.read_output("fizzbuzz");
    assert!(
        script.starts_with("#!/bin/sh\n# fizzbuzz 1.0.0:"),
        "version not stamped: {script}"
    );
    assert!(
        script.contains("i % 3 == 0") && !script.contains("@RULES@"),
        "rules not inlined: {script}"
    );

    let test = on_base(&ctx)
        .build_arg("VERSION", "2.5.0")
        .target("test")
        .run();
    test.assert_ok()
        .assert_stderr_contains(&["fizzbuzz 2.5.0: all tests passed"]);

    // A bug in the rules: the test stage catches it.
    let rules = ctx
        .read("src/rules.awk")
        .replace("i % 5 == 0", "i % 7 == 0");
    ctx.write("src/rules.awk", &rules);
    let broken = on_base(&ctx).target("test").run();
    broken
        .assert_failed()
        .assert_stderr_contains(&["expected-15.txt"]);
}

/// examples/parallel: the three independent stages' artifacts are joined in the final stage.
#[test]
fn parallel_example() {
    let ctx = Context::from_repo_dir("example-parallel", "examples/parallel");
    let res = on_base(&ctx).output_local().run();
    res.assert_ok();
    assert!(res.read_output("index.html").contains("<h1>Welcome</h1>"));
    assert!(res.read_output("squares.csv").contains("10,100"));
    assert!(res.read_output("banner.txt").contains("site"));
}

/// examples/targets: each of dev, test and prod builds and holds what its environment needs.
#[test]
fn targets_example() {
    let ctx = Context::from_repo_dir("example-targets", "examples/targets");
    let dev = on_base(&ctx).target("dev").output_local().run();
    dev.assert_ok();
    assert_eq!(
        dev.read_output("app/greeting.txt").trim(),
        "hello from development"
    );
    assert!(dev.read_output("app/debug.conf").contains("debug=true"));
    let test = on_base(&ctx).target("test").output_local().run();
    test.assert_ok();
    assert_eq!(
        test.read_output("app/test-report.txt").trim(),
        "tests passed"
    );
    let prod = on_base(&ctx).output_local().run();
    prod.assert_ok();
    assert_eq!(
        prod.read_output("app/greeting.txt").trim(),
        "hello from production"
    );
    assert!(!prod.out_dir().join("app/debug.conf").exists());
}

/// examples/cross built for `platforms`; the context keeps the output directory.
fn build_cross(name: &str, platforms: &str) -> (Context, e2e::BuildResult) {
    let ctx = Context::from_repo_dir(name, "examples/cross");
    let res = on_base(&ctx)
        .opt("platform", platforms)
        .output_local()
        .run();
    res.assert_ok();
    (ctx, res)
}

/// examples/cross: the artifact names the target platform (built on the build platform).
#[test]
fn cross_example() {
    let (_ctx, res) = build_cross("example-cross", "linux/amd64");
    assert!(res
        .read_output("hello")
        .contains("linux/amd64 (x86_64-linux-gnu)"));
    assert!(res
        .read_output("build-info.txt")
        .contains("for linux/amd64"));
}

/// examples/cross for linux/amd64 and linux/arm64 at once: each artifact names its arch.
#[test]
fn cross_example_multiplatform() {
    e2e::require_multiarch();
    let (_ctx, res) = build_cross("example-cross-multi", "linux/amd64,linux/arm64");
    assert!(res
        .read_output("linux_amd64/hello")
        .contains("linux/amd64 (x86_64-linux-gnu)"));
    assert!(res
        .read_output("linux_arm64/hello")
        .contains("linux/arm64 (aarch64-linux-gnu)"));
    assert!(res
        .read_output("linux_arm64/build-info.txt")
        .contains("for linux/arm64"));
}

/// examples/shared-base: deps is the base of both test and app; app holds the test report.
#[test]
fn shared_base_example() {
    let ctx = Context::from_repo_dir("example-shared-base", "examples/shared-base");
    let res = on_base(&ctx).output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("app/greeting.txt").trim(), "HELLO, APP");
    assert_eq!(
        res.read_output("app/test-report.txt").trim(),
        "tests passed"
    );
    assert!(res.read_output("opt/deps/LOCK").contains("strings.sh"));
}
