//! Named contexts (`--opt context:NAME=…`): an image, a local directory, an OCI layout or a
//! frontend input standing for `FROM NAME`, `COPY --from=NAME` or a whole stage of that name.
#![allow(clippy::panic)]

use std::fs;
use std::path::Path;

use e2e::{env, image_name, nonce, require_multiarch, Context};

/// Pushes an image with some config of its own; returns its name.
#[track_caller]
fn push_configured_image() -> String {
    let df = format!(
        "FROM {}\nENV FROM_CONTEXT=yes\nWORKDIR /work\nRUN echo {} > /work/marker\n",
        env().base_image,
        nonce()
    );
    let ctx = Context::with_dockerfile("context-src", &df);
    let image = image_name("context-src");
    ctx.build().output_image(&image).run().assert_ok();
    image
}

#[test]
fn docker_image_context_replaces_from_with_its_config() {
    let image = push_configured_image();
    let n = nonce();
    for from in ["alpine", "alpine:latest", "docker.io/library/alpine"] {
        let df = format!("FROM {from}\nRUN echo {n} && echo $FROM_CONTEXT > /env && pwd > /pwd && cat marker > /m\n");
        let ctx = Context::with_dockerfile("context-image", &df);
        let res = ctx
            .build()
            .opt("context:alpine", &format!("docker-image://{image}"))
            .output_local()
            .run();
        res.assert_ok();
        assert_eq!(res.read_output("env").trim(), "yes", "FROM {from}");
        assert_eq!(res.read_output("pwd").trim(), "/work");
        res.assert_stderr_contains(&[&format!("[context alpine] load metadata for {image}")]);
    }
    // The image config comes along into the built image.
    let ctx = Context::with_dockerfile("context-image-config", "FROM alpine\nLABEL x=y\n");
    let out = image_name("context-image-config");
    let res = ctx
        .build()
        .opt("context:alpine", &format!("docker-image://{image}"))
        .output_image(&out)
        .run();
    res.assert_ok();
    let config = res.image().config;
    assert!(
        config["config"]["Env"]
            .to_string()
            .contains("FROM_CONTEXT=yes"),
        "{config}"
    );
    assert_eq!(config["config"]["WorkingDir"], "/work");
}

#[test]
fn docker_image_context_for_copy_from() {
    let image = push_configured_image();
    let ctx = Context::with_dockerfile(
        "context-copy",
        "FROM scratch\nCOPY --from=assets /work/marker /marker\n",
    );
    let res = ctx
        .build()
        .opt("context:assets", &format!("docker-image://{image}"))
        .output_local()
        .run();
    res.assert_ok();
    assert!(!res.read_output("marker").trim().is_empty());
}

#[test]
fn platform_specific_context_wins() {
    let base = &env().base_image;
    let ctx = Context::with_dockerfile("context-platform", "FROM app\nRUN true\n");
    let res = ctx
        .build()
        .opt("platform", "linux/amd64")
        .opt(
            "context:app::linux/amd64",
            &format!("docker-image://{base}"),
        )
        .opt(
            "context:app",
            &format!("docker-image://{}/missing-{}", env().registry, nonce()),
        )
        .run();
    res.assert_ok();
    res.assert_stderr_contains(&["[context app::linux/amd64] load metadata for"]);
}

#[test]
fn image_context_is_resolved_per_platform() {
    require_multiarch();
    let n = nonce();
    let df = format!("FROM app\nRUN echo {n} && uname -m > /arch\n");
    let ctx = Context::with_dockerfile("context-multi", &df);
    let res = ctx
        .build()
        .opt("platform", "linux/amd64,linux/arm64")
        .opt(
            "context:app",
            &format!("docker-image://{}", env().base_image),
        )
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("linux_amd64/arch").trim(), "x86_64");
    assert_eq!(res.read_output("linux_arm64/arch").trim(), "aarch64");
}

/// A directory beside the build context, with files (and a `.dockerignore`).
fn local_dir(ctx: &Context, name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = ctx.new_output_dir().with_file_name(format!("local-{name}"));
    for (path, text) in files {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
        }
        fs::write(&p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    dir
}

#[test]
fn local_context_replaces_a_stage_and_honours_its_dockerignore() {
    let base = &env().base_image;
    // The `deps` stage would fail; the context stands for it, so it never runs.
    let df = format!(
        "FROM {base} AS deps\nRUN exit 1\n\
         FROM {base}\nCOPY --from=deps / /deps/\nRUN echo {} && ls /deps > /list\n",
        nonce()
    );
    let ctx = Context::with_dockerfile("context-local", &df);
    let dir = local_dir(
        &ctx,
        "deps",
        &[
            ("marker", "m"),
            ("secret", "s"),
            (".dockerignore", "secret\n"),
        ],
    );
    let res = ctx
        .build()
        .local("depsdir", &dir)
        .opt("context:deps", "local:depsdir")
        .output_local()
        .run();
    res.assert_ok();
    let list = res.read_output("list");
    assert!(list.contains("marker"), "{list}");
    assert!(!list.contains("secret"), "{list}");
    res.assert_stderr_contains(&[
        "[context deps] load from client",
        "[context deps] load .dockerignore",
    ]);
}

#[test]
fn local_context_for_from() {
    let ctx = Context::with_dockerfile("context-local-from", "FROM src\n");
    let dir = local_dir(&ctx, "src", &[("a/file", "hello")]);
    let res = ctx
        .build()
        .local("srcdir", &dir)
        .opt("context:src", "local:srcdir")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("a/file"), "hello");
}

#[test]
fn oci_layout_context() {
    // An OCI layout on the client: the base image exported as one.
    let ctx = Context::with_dockerfile(
        "context-oci-src",
        &format!("FROM {}\nRUN echo {} > /oci\n", env().base_image, nonce()),
    );
    let layout = ctx.new_output_dir();
    ctx.build()
        .opt("platform", "linux/amd64")
        .output_oci_dir(&layout)
        .run()
        .assert_ok();
    let digest = index_digest(&layout);

    let use_ctx =
        Context::with_dockerfile("context-oci", "FROM scratch\nCOPY --from=base /oci /oci\n");
    let res = use_ctx
        .build()
        .oci_layout("store", &layout)
        .opt("context:base", &format!("oci-layout://store@{digest}"))
        .output_local()
        .run();
    res.assert_ok();
    assert!(!res.read_output("oci").trim().is_empty());
}

/// The digest of the image an exported OCI layout's index.json points at.
fn index_digest(layout: &Path) -> String {
    let index: e2e::Value = serde_json::from_str(&e2e::read(&layout.join("index.json")))
        .unwrap_or_else(|e| panic!("index.json: {e}"));
    index["manifests"][0]["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("no manifest in {index}"))
        .to_string()
}

#[test]
fn bad_context_values_are_errors() {
    let cases = [
        ("foo:bar", "unsupported context source foo for app"),
        ("nocolon", "invalid context specifier nocolon for app"),
        ("input:nothere", "invalid input nothere for app"),
    ];
    for (value, message) in cases {
        let ctx = Context::with_dockerfile("context-bad", "FROM scratch\nCOPY --from=app /a /a\n");
        ctx.build()
            .opt("context:app", value)
            .run()
            .assert_failed()
            .assert_stderr_contains(&[message]);
    }
}

#[test]
fn scratch_and_context_are_never_replaced() {
    let ctx = Context::with_dockerfile("context-reserved", "FROM scratch\nCOPY f /f\n");
    ctx.write("f", "from the build context");
    let res = ctx
        .build()
        .opt("context:scratch", "docker-image://does-not-exist")
        .opt("context:context", "docker-image://does-not-exist")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("f"), "from the build context");
}

/// A source policy (`buildctl --source-policy-file`) that turns a context's image into a local
/// directory: the context loads the directory instead (the daemon says so when the frontend
/// resolves the image's metadata).
#[test]
fn source_policy_turns_an_image_context_into_a_local_one() {
    let df = "FROM scratch AS replace\nFROM scratch\nCOPY --from=replace /foo /\n";
    let ctx = Context::with_dockerfile("context-policy", df);
    let n = nonce();
    let dir = local_dir(&ctx, "policy", &[("foo", &n)]);
    let image = format!("docker.io/library/policy-{n}:latest");
    let policy = ctx.path().join("policy.json");
    let rule = format!(
        r#"{{"rules":[{{"action":"CONVERT","selector":{{"identifier":"docker-image://{image}"}},"updates":{{"identifier":"local://test"}}}}]}}"#
    );
    fs::write(&policy, rule).unwrap_or_else(|e| panic!("{}: {e}", policy.display()));
    let res = ctx
        .build()
        .local("test", &dir)
        .opt("context:replace", &format!("docker-image:{image}"))
        .args([
            "--source-policy-file".to_string(),
            policy.display().to_string(),
        ])
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("foo"), n);
}
