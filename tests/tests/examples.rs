//! The examples under `examples/` build (with the base image from the local registry).
#![allow(clippy::panic)]

use e2e::{env, Context};

/// examples/multistage: the release stage holds only the artifacts, the test stage passes,
/// and a bug in the sources makes the test stage fail the build.
#[test]
fn multistage_example() {
    let base = &env().base_image;
    let ctx = Context::from_repo_dir("example-multistage", "examples/multistage");

    let release = ctx
        .build()
        .build_arg("BASE_IMAGE", base)
        .output_local()
        .run();
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

    let test = ctx
        .build()
        .build_arg("BASE_IMAGE", base)
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
    let broken = ctx
        .build()
        .build_arg("BASE_IMAGE", base)
        .target("test")
        .run();
    broken
        .assert_failed()
        .assert_stderr_contains(&["expected-15.txt"]);
}
