//! Multi-platform builds (linux/arm64 runs under qemu-user emulation set up by tests/env/up.sh):
//! one result per platform, platform ARGs per platform, a build-platform stage shared by the
//! platforms built once, the final image's platform, and progress names carrying the platform.
#![allow(clippy::panic)]

use e2e::{env, image_name, nonce, require_multiarch, Context, Value};

const BOTH: &str = "linux/amd64,linux/arm64";

#[test]
fn run_steps_execute_for_each_platform() {
    require_multiarch();
    let df = format!(
        "FROM {}\nARG TARGETPLATFORM\nRUN echo {} && uname -m > /arch && echo $TARGETPLATFORM > /platform\n",
        env().base_image,
        nonce()
    );
    let ctx = Context::with_dockerfile("platforms", &df);
    let res = ctx.build().opt("platform", BOTH).output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("linux_amd64/arch").trim(), "x86_64");
    assert_eq!(res.read_output("linux_arm64/arch").trim(), "aarch64");
    assert_eq!(
        res.read_output("linux_arm64/platform").trim(),
        "linux/arm64"
    );
}

#[test]
fn pushed_index_has_a_manifest_and_config_per_platform() {
    require_multiarch();
    let df = format!(
        "FROM {}\nARG TARGETARCH\nRUN echo {} && echo $TARGETARCH > /arch\nENV FOO=bar\n",
        env().base_image,
        nonce()
    );
    let ctx = Context::with_dockerfile("platform-index", &df);
    let name = image_name("platform-index");
    let res = ctx.build().opt("platform", BOTH).output_image(&name).run();
    res.assert_ok();
    let image = res.image();
    let index = image.index.as_ref().unwrap_or_else(|| {
        panic!(
            "a two-platform build should push an index: {}",
            image.manifest
        )
    });
    let manifests: Vec<&Value> = index["manifests"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["platform"]["os"] != "unknown")
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(manifests.len(), 2, "index: {index}");
    let mut archs: Vec<String> = Vec::new();
    for (platform, config) in image.platform_configs() {
        assert_eq!(platform["os"], "linux");
        assert_eq!(
            config["architecture"], platform["architecture"],
            "config of the {platform} manifest: {config}"
        );
        assert_eq!(config["os"], "linux");
        let env = config["config"]["Env"].to_string();
        assert!(env.contains("FOO=bar"), "{env}");
        archs.push(
            platform["architecture"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    archs.sort();
    assert_eq!(archs, ["amd64", "arm64"]);
}

#[test]
fn platform_args_take_each_platforms_values() {
    require_multiarch();
    let base = &env().base_image;
    let n = nonce();
    // Global scope (FROM lines) sees them without ARG; stages see them once declared.
    let df = format!(
        "FROM {base} AS stage-amd64\nRUN echo amd > /which\n\
         FROM {base} AS stage-arm64\nRUN echo arm > /which\n\
         FROM stage-${{TARGETARCH}} AS picked\n\
         FROM --platform=$BUILDPLATFORM {base} AS build\n\
         ARG BUILDPLATFORM BUILDOS BUILDARCH BUILDVARIANT TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT TARGETSTAGE\n\
         RUN echo {n} && echo \"$BUILDPLATFORM $BUILDOS $BUILDARCH [$BUILDVARIANT] $TARGETPLATFORM $TARGETOS $TARGETARCH [$TARGETVARIANT] $TARGETSTAGE\" > /args && uname -m > /ran-on\n\
         FROM {base} AS final\n\
         RUN echo {n} && echo \"[$TARGETARCH]\" > /undeclared\n\
         COPY --from=build /args /ran-on /\n\
         COPY --from=picked /which /which\n"
    );
    let ctx = Context::with_dockerfile("platform-args", &df);
    let res = ctx.build().opt("platform", BOTH).output_local().run();
    res.assert_ok();
    for (dir, arch, which) in [
        ("linux_amd64", "amd64", "amd"),
        ("linux_arm64", "arm64", "arm"),
    ] {
        assert_eq!(
            res.read_output(&format!("{dir}/args")).trim(),
            format!("linux/amd64 linux amd64 [] linux/{arch} linux {arch} [] final")
        );
        // The build-platform stage runs natively for both targets.
        assert_eq!(res.read_output(&format!("{dir}/ran-on")).trim(), "x86_64");
        assert_eq!(res.read_output(&format!("{dir}/undeclared")).trim(), "[]");
        assert_eq!(res.read_output(&format!("{dir}/which")).trim(), which);
    }
}

#[test]
fn shared_build_platform_stage_runs_once() {
    require_multiarch();
    let base = &env().base_image;
    let n = nonce();
    let run = format!("RUN echo {n} && head -c 16 /dev/urandom | od -An -tx1 > /id");
    let df = format!(
        "FROM --platform=$BUILDPLATFORM {base} AS builder\n{run}\n\
         FROM {base}\nCOPY --from=builder /id /id\n"
    );
    let ctx = Context::with_dockerfile("platform-shared", &df);
    let res = ctx.build().opt("platform", BOTH).output_local().run();
    res.assert_ok();
    // Both platforms' LLB has the same builder ops, so BuildKit runs them once: one random id.
    let amd = res.read_output("linux_amd64/id");
    let arm = res.read_output("linux_arm64/id");
    assert_eq!(amd, arm, "the builder stage ran once per platform");
    let runs: Vec<_> = res
        .steps()
        .into_iter()
        .filter(|s| s.name.ends_with(&run))
        .collect();
    assert_eq!(
        runs.len(),
        1,
        "expected the shared RUN once in the progress log: {runs:?}\n{}",
        res.report()
    );
    assert_eq!(runs[0].name, format!("[linux/amd64 builder 2/2] {run}"));
}

#[test]
fn progress_names_carry_the_platform() {
    require_multiarch();
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "FROM --platform=$BUILDPLATFORM {base} AS build\nARG TARGETARCH\nRUN echo {n}-build > /b\n\
         FROM {base}\nRUN echo {n}-final\nCOPY --from=build /b /b\n"
    );
    let ctx = Context::with_dockerfile("platform-names", &df);
    let res = ctx.build().opt("platform", BOTH).run();
    res.assert_ok();
    let names: Vec<String> = res.steps().into_iter().map(|s| s.name).collect();
    for want in [
        format!("[linux/amd64->arm64 build 2/2] RUN echo {n}-build > /b"),
        format!("[linux/amd64 build 2/2] RUN echo {n}-build > /b"),
        format!("[linux/arm64 stage-1 2/3] RUN echo {n}-final"),
        format!("[linux/amd64 stage-1 2/3] RUN echo {n}-final"),
        "[linux/arm64 stage-1 3/3] COPY --from=build /b /b".to_string(),
        format!("[linux/arm64 internal] load metadata for {base}"),
    ] {
        assert!(
            names.contains(&want),
            "no step named {want:?} in {names:#?}"
        );
    }
    // (FROM's name is not checked: an image vertex is shared with concurrent builds, which
    // BuildKit shows under the name the first one gave it.)
}

#[test]
fn one_explicit_platform_is_recorded_in_the_image() {
    // No emulation needed: nothing runs.
    let ctx = Context::with_dockerfile("platform-variant", "FROM scratch\nCOPY f /f\n");
    ctx.write("f", "x");
    let name = image_name("platform-variant");
    let res = ctx
        .build()
        .opt("platform", "linux/arm/v7")
        .output_image(&name)
        .run();
    res.assert_ok();
    let image = res.image();
    assert!(
        image.index.is_none(),
        "one platform: a manifest, not an index"
    );
    assert_eq!(image.config["architecture"], "arm");
    assert_eq!(image.config["variant"], "v7");
    assert_eq!(image.config["os"], "linux");
}

#[test]
fn target_platform_overrides_a_pinned_base_platform() {
    let base = &env().base_image;
    let df = format!("FROM --platform=linux/amd64 {base}\nCOPY f /f\n");
    let ctx = Context::with_dockerfile("platform-override", &df);
    ctx.write("f", "x");
    let name = image_name("platform-override");
    let res = ctx
        .build()
        .opt("platform", "linux/arm64")
        .output_image(&name)
        .run();
    res.assert_ok();
    let image = res.image();
    assert_eq!(image.config["architecture"], "arm64");
    assert!(image.config.get("variant").is_none(), "{}", image.config);
}

#[test]
fn implicit_platform_keeps_the_base_images() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!("FROM {base}\nRUN echo {n}\n");
    let ctx = Context::with_dockerfile("platform-implicit", &df);
    let name = image_name("platform-implicit");
    let res = ctx.build().output_image(&name).run();
    res.assert_ok();
    let image = res.image();
    assert_eq!(image.config["architecture"], "amd64");
    assert_eq!(image.config["os"], "linux");
    // Names are not prefixed with a platform when one is built.
    assert!(
        res.steps()
            .iter()
            .any(|s| s.name == format!("[2/2] RUN echo {n}")),
        "{:#?}",
        res.steps()
    );
}

#[test]
fn invalid_platform_option_is_refused() {
    let ctx = Context::with_dockerfile("platform-invalid", "FROM scratch\n");
    let res = ctx.build().opt("platform", "linux/a b").run();
    res.assert_failed()
        .assert_stderr_contains(&["failed to parse target platform linux/a b"]);
}

/// A multi-platform result whose refs are empty (`scratch` with config only) once made
/// BuildKit's `Return` dereference a nil ref and take the whole daemon down: the empty ref of
/// each platform must reach the daemon as an empty message, not be left out. No emulation
/// needed: nothing runs.
#[test]
fn empty_multi_platform_result_leaves_the_daemon_running() {
    let ctx = Context::with_dockerfile("scratch-platforms", "FROM scratch\nENV A=1\n");
    let res = ctx.build().opt("platform", BOTH).run();
    res.assert_ok();
    e2e::assert_daemon_answers();
    let oci = ctx.new_output_dir();
    let res = ctx.build().opt("platform", BOTH).output_oci_dir(&oci).run();
    res.assert_ok();
    e2e::assert_daemon_answers();
    let index: Value =
        serde_json::from_str(&e2e::read(&oci.join("index.json"))).unwrap_or_default();
    assert!(
        index["manifests"].is_array(),
        "OCI layout without an index: {index}"
    );
}
