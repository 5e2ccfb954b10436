//! Builds spread over several daemons (docs/scaling.md): fresh buildkitds of the test's own on
//! loopback TCP, sharing the environment's registry. A multi-platform build through a buildx
//! builder of two nodes runs each platform on its own node and returns one image index; a
//! registry cache written on one daemon serves a fresh one, including a cache written by the
//! reference frontend and read by ours (our ops are the reference's, byte for byte).
#![allow(clippy::panic)]

use std::process::Command;
use std::sync::Mutex;

use e2e::{
    env, fetch_image, gateway_image_under_test, image_name, nonce, registry_document,
    require_multiarch, BuildResult, Builder, Context, Daemon, Value,
};

/// Each test starts daemons of its own: one test at a time keeps the machine's load sane.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A builder → test → production Dockerfile whose steps are new to every daemon (a nonce).
fn multistage(n: &str) -> String {
    let base = &env().base_image;
    format!(
        "FROM {base} AS build\n\
         RUN echo build-{n} > /artifact && uname -m >> /artifact\n\
         RUN cp /artifact /artifact.copy\n\
         FROM {base} AS test\n\
         COPY --from=build /artifact /artifact\n\
         RUN grep -q build-{n} /artifact && echo ok > /tested\n\
         FROM {base}\n\
         COPY --from=build /artifact /app/artifact\n\
         COPY --from=test /tested /app/tested\n\
         RUN uname -m > /app/arch\n"
    )
}

/// The `platform` the daemon's build records were asked for (client builds only).
fn platforms_built(daemon: &Daemon) -> Vec<String> {
    daemon
        .histories()
        .iter()
        .filter_map(|r| r["FrontendAttrs"]["platform"].as_str().map(str::to_string))
        .collect()
}

/// A file of the image's last layer for one architecture, read from the registry.
fn file_in_last_layer(image: &str, arch: &str, path: &str) -> String {
    let index = fetch_image(image)
        .index
        .unwrap_or_else(|| panic!("{image} is no index"));
    let entry = index["manifests"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["platform"]["architecture"] == arch))
        .unwrap_or_else(|| panic!("{image}: no {arch} manifest in {index}"));
    let digest = entry["digest"].as_str().unwrap_or_default();
    let manifest = registry_document(image, &format!("manifests/{digest}"));
    let layer = manifest["layers"]
        .as_array()
        .and_then(|l| l.last())
        .and_then(|l| l["digest"].as_str())
        .unwrap_or_else(|| panic!("{image} ({arch}): no layers in {manifest}"));
    let (registry, rest) = image.split_once('/').unwrap_or_default();
    let repo = rest.rsplit_once(':').map_or(rest, |(r, _)| r);
    let url = format!("http://{registry}/v2/{repo}/blobs/{layer}");
    let out = Command::new("sh")
        .args(["-c", "curl -fsSL --max-time 60 \"$1\" | tar -xzO \"$2\""])
        .args(["sh", &url, path])
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl | tar: {e}"));
    assert!(
        out.status.success(),
        "reading {path} from {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_multi_platform_build_runs_each_platform_on_its_own_node() {
    require_multiarch();
    let _one = serial();
    let amd64 = Daemon::start("node-amd64");
    let arm64 = Daemon::start("node-arm64");
    let builder = Builder::new("multi", &[(&amd64, "linux/amd64"), (&arm64, "linux/arm64")]);
    let inspect = builder.inspect();
    assert!(
        inspect.contains(&amd64.addr) && inspect.contains(&arm64.addr),
        "both nodes in the builder:\n{inspect}"
    );

    let n = nonce();
    let ctx = Context::with_dockerfile("multi-node", &multistage(&n));
    let image = image_name("multi-node");
    let res: BuildResult = ctx
        .buildx()
        .on(&builder.buildx)
        .args(["--platform", "linux/amd64,linux/arm64"])
        .output_image(&image)
        .run();
    res.assert_ok();

    let pushed = fetch_image(&image);
    assert_eq!(
        pushed.platforms(),
        ["linux/amd64", "linux/arm64"],
        "{image}"
    );
    for (platform, config) in pushed.platform_configs() {
        assert_eq!(platform["architecture"], config["architecture"], "{config}");
    }
    assert_eq!(file_in_last_layer(&image, "amd64", "app/arch"), "x86_64");
    assert_eq!(file_in_last_layer(&image, "arm64", "app/arch"), "aarch64");

    // Each node built its own platform, and only that one.
    assert_eq!(
        platforms_built(&amd64),
        ["linux/amd64"],
        "{}",
        amd64.log_tail()
    );
    assert_eq!(
        platforms_built(&arm64),
        ["linux/arm64"],
        "{}",
        arm64.log_tail()
    );
}

/// The `(cached, total)` RUN/COPY/ADD steps of a build's progress.
fn cached_steps(res: &BuildResult) -> (usize, usize) {
    let steps = res.instruction_steps();
    (steps.iter().filter(|s| s.cached).count(), steps.len())
}

/// Writes a registry cache (mode=max) with `writer` on a fresh daemon A, then builds the same
/// Dockerfile with ours on a fresh daemon B reading it: every step must come from the cache.
fn cache_crosses_daemons(name: &str, writer_is_reference: bool) {
    let _one = serial();
    let n = nonce();
    let ctx = Context::with_dockerfile(name, &multistage(&n));
    let cache = image_name(&format!("{name}-cache"));
    let a = Daemon::start(&format!("{name}-a"));
    let on_a = Builder::new(&format!("{name}-a"), &[(&a, "linux/amd64")]);
    let mut write = ctx
        .buildx()
        .on(&on_a.buildx)
        .args(["--cache-to", &format!("type=registry,ref={cache},mode=max")]);
    if writer_is_reference {
        // No BUILDKIT_SYNTAX: the built-in frontend, BuildKit's own, converts.
        write = write.no_syntax_arg();
    }
    let written = write.run();
    written.assert_ok();
    let (cached_a, total) = cached_steps(&written);
    assert!(total >= 6, "{}", written.report());
    assert_eq!(cached_a, 0, "daemon A is fresh\n{}", written.report());
    drop(on_a);
    drop(a);

    let b = Daemon::start(&format!("{name}-b"));
    let on_b = Builder::new(&format!("{name}-b"), &[(&b, "linux/amd64")]);
    let read = ctx
        .buildx()
        .on(&on_b.buildx)
        .args(["--cache-from", &format!("type=registry,ref={cache}")])
        .run();
    read.assert_ok();
    let (cached, total_b) = cached_steps(&read);
    let record: Value = b.histories().last().cloned().unwrap_or_default();
    eprintln!(
        "{name}: daemon B: {cached} of {total_b} RUN/COPY steps cached; build record: {} of {} steps cached",
        record["numCachedSteps"], record["numTotalSteps"]
    );
    assert_eq!(
        total_b,
        total,
        "the same steps on both daemons\n{}",
        read.report()
    );
    assert_eq!(
        cached,
        total_b,
        "every step from the registry cache\n{}",
        read.report()
    );
    if let Some(ours) = gateway_image_under_test() {
        assert_eq!(
            record["FrontendAttrs"]["build-arg:BUILDKIT_SYNTAX"], ours,
            "daemon B's build went to our frontend: {record}"
        );
    }
}

#[test]
fn a_registry_cache_written_on_one_daemon_serves_a_fresh_one() {
    cache_crosses_daemons("cache-ours", false);
}

#[test]
fn a_cache_written_by_the_reference_serves_ours() {
    cache_crosses_daemons("cache-reference", true);
}
