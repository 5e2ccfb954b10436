//! The image users get: the root `Dockerfile` cross-compiles the frontend on the build machine
//! for linux/amd64 and linux/arm64 (`FROM --platform=$BUILDPLATFORM` builder, `FROM scratch`
//! final stage) into one image index; it carries the labels BuildKit reads and the OCI labels
//! that name the build, works as the frontend of another build, is the same image when the
//! reference frontend builds it, is the same image when rebuilt from the same commit, and its
//! arm64 binary (run under qemu-user) converts the examples to the same LLB as the amd64 one.
//!
//! Its builder image is made from this machine's own Rust and C toolchains, with the arm64 and
//! armhf cross linkers and standard libraries (`tests/env/build-rust-image.sh`, passed as
//! `RUST_IMAGE`), since no image can be pulled from Docker Hub here; cargo fetches the crates
//! from crates.io inside the build. Two release builds (LTO) make this the slowest end-to-end
//! test: several minutes on two cores; the other builds of the same commit are cached.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use e2e::{
    env, fetch_image, gateway_image_under_test, image_name, manifest_digest, nonce, repo_root,
    BuildResult, Context, Frontend, Value,
};

const PLATFORMS: &str = "linux/amd64,linux/arm64";
const SOURCE: &str = "https://example.invalid/dockerfile-rs";

fn rust_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let script = repo_root().join("tests/env/build-rust-image.sh");
        let out = Command::new(&script)
            .arg(&env().run_dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed:\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
}

/// `git` in the repository, trimmed; `fallback` outside a checkout.
fn git(args: &[&str], fallback: &str) -> String {
    Command::new("git")
        .args(args)
        .current_dir(repo_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| fallback.to_string())
}

/// The commit the image is built from and its time (the reproducible build's epoch).
fn commit() -> &'static (String, String) {
    static COMMIT: OnceLock<(String, String)> = OnceLock::new();
    COMMIT.get_or_init(|| {
        (
            git(
                &["rev-parse", "HEAD"],
                "0000000000000000000000000000000000000000",
            ),
            git(&["log", "-1", "--format=%ct"], "1700000000"),
        )
    })
}

/// A build of the root Dockerfile for both platforms, reproducible: the commit's time as
/// `SOURCE_DATE_EPOCH` and file times rewritten to it when exported. `syntax`: the frontend
/// image the built-in frontend hands the build to (`BUILDKIT_SYNTAX`, as a user switches);
/// none: the built-in frontend, BuildKit's own, converts.
fn root_build<'a>(ctx: &'a Context, syntax: Option<&str>) -> e2e::Build<'a> {
    let root = repo_root();
    let (revision, epoch) = commit();
    let build = ctx.build().frontend(Frontend::Builtin);
    let build = match syntax {
        Some(image) => build.build_arg("BUILDKIT_SYNTAX", image),
        None => build,
    };
    build
        .context_dir(&root)
        .dockerfile_dir(&root)
        .opt("platform", PLATFORMS)
        .build_arg("RUST_IMAGE", rust_image())
        .build_arg("REVISION", revision)
        .build_arg("SOURCE", SOURCE)
        .build_arg("SOURCE_DATE_EPOCH", epoch)
        .timeout(Duration::from_secs(60 * 60))
}

/// Builds the root Dockerfile as `name` in the registry, reproducibly (`root_build`) with
/// `extra` buildctl arguments: (image, index digest).
fn push_root(name: &str, syntax: Option<&str>, extra: &[&str]) -> (String, String) {
    let ctx = Context::new(name);
    let image = image_name(name);
    root_build(&ctx, syntax)
        .args(extra.iter().copied())
        .output_image(&image)
        .output_attr("rewrite-timestamp=true")
        .run()
        .assert_ok();
    let digest = manifest_digest(&image);
    (image, digest)
}

/// The image built once through the frontend under test: (name, index digest).
fn built() -> &'static (String, String) {
    static BUILT: OnceLock<(String, String)> = OnceLock::new();
    BUILT.get_or_init(|| push_root("dockerfile-rs-root", gateway_image_under_test(), &[]))
}

/// The two binaries of the built image, exported to a local directory: (amd64, arm64). The
/// build's context keeps the directory for the tests' lifetime.
fn binaries() -> (&'static Path, &'static Path) {
    static BINARIES: OnceLock<(Context, PathBuf, PathBuf)> = OnceLock::new();
    let (_, amd64, arm64) = BINARIES.get_or_init(|| {
        built();
        let ctx = Context::new("image-root-local");
        let res: BuildResult = root_build(&ctx, gateway_image_under_test())
            .output_local()
            .run();
        res.assert_ok();
        let dir = res.out_dir().to_path_buf();
        let bin = |p: &str| dir.join(p).join("bin/dockerfile-frontend");
        let (amd64, arm64) = (bin("linux_amd64"), bin("linux_arm64"));
        (ctx, amd64, arm64)
    });
    (amd64, arm64)
}

fn label<'a>(config: &'a Value, name: &str) -> &'a str {
    config["config"]["Labels"][name]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn root_dockerfile_builds_a_multi_platform_frontend() {
    let (image, _) = built();
    let (revision, _) = commit();
    let root = repo_root();
    let test_image = std::fs::read_to_string(root.join("tests/env/images/frontend.Dockerfile"))
        .unwrap_or_default();
    let pushed = fetch_image(image);
    assert_eq!(
        pushed.platforms(),
        ["linux/amd64", "linux/arm64"],
        "{image}"
    );
    let configs = pushed.platform_configs();
    for (platform, config) in &configs {
        assert_eq!(config["architecture"], platform["architecture"], "{config}");
        assert_eq!(
            config["config"]["Entrypoint"],
            serde_json::json!(["/bin/dockerfile-frontend"]),
            "{config}"
        );
        assert_eq!(label(config, "moby.buildkit.frontend.network.none"), "true");
        let caps = label(config, "moby.buildkit.frontend.caps");
        assert!(
            !caps.is_empty()
                && test_image.contains(&format!("moby.buildkit.frontend.caps=\"{caps}\"")),
            "caps label {caps:?} differs from the test image's"
        );
        assert_eq!(
            label(config, "org.opencontainers.image.version"),
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(label(config, "org.opencontainers.image.revision"), revision);
        assert_eq!(label(config, "org.opencontainers.image.source"), SOURCE);
        let layers = config["rootfs"]["diff_ids"].as_array().map(Vec::len);
        assert_eq!(layers, Some(1), "one layer, the binary: {config}");
    }

    // The image is a frontend: it builds a Dockerfile (the daemon picks its own platform).
    let n = nonce();
    let probe = Context::with_dockerfile(
        "image-root-probe",
        &format!(
            "FROM {}\nRUN echo root-image-{n} > /out\n",
            env().base_image
        ),
    );
    let out = probe
        .build()
        .frontend(Frontend::Gateway(image.clone()))
        .output_local()
        .run();
    out.assert_ok();
    assert_eq!(out.read_output("out").trim(), format!("root-image-{n}"));
}

/// The reference frontend builds the same Dockerfile into the same image, digest for digest:
/// our LLB is the reference's, so its build even reuses ours from the cache.
#[test]
fn the_reference_builds_the_same_image() {
    let (_, ours) = built();
    let (image, digest) = push_root("dockerfile-rs-root-reference", None, &[]);
    assert_eq!(&digest, ours, "{image}");
}

/// Building the same commit again, without BuildKit's cache, gives the same index digest.
#[test]
fn rebuilding_the_same_commit_gives_the_same_digest() {
    let (_, first) = built();
    let (image, digest) = push_root(
        "dockerfile-rs-root-again",
        gateway_image_under_test(),
        &["--no-cache"],
    );
    assert_eq!(&digest, first, "{image}");
}

/// `--version` of each binary names the crate's version and the commit.
#[test]
fn both_binaries_name_their_build() {
    let (amd64, arm64) = binaries();
    let (revision, _) = commit();
    let expected = format!(
        "dockerfile-frontend {} (revision {revision})\n",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(run_binary(amd64, None, &["--version"]), expected.as_bytes());
    assert_eq!(
        run_binary(arm64, Some(qemu()), &["--version"]),
        expected.as_bytes()
    );
}

/// The arm64 binary, under qemu-user, converts every example to the same LLB bytes as the
/// amd64 one, for the same build platform (offline, `BUILDPLATFORM` is otherwise the
/// machine's: arm64 under qemu).
#[test]
fn the_arm64_binary_converts_the_examples_as_the_amd64_one() {
    let (amd64, arm64) = binaries();
    let examples = repo_root().join("examples");
    let mut dockerfiles: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("{}: {e}", examples.display()))
        .filter_map(|e| e.ok().map(|e| e.path().join("Dockerfile")))
        .filter(|p| p.is_file())
        .collect();
    dockerfiles.sort();
    assert!(dockerfiles.len() >= 5, "{dockerfiles:?}");
    for df in &dockerfiles {
        let file = df.display().to_string();
        for platform in ["linux/amd64", "linux/arm64"] {
            let args = [
                "llb",
                "--build-platform",
                "linux/amd64",
                "--platform",
                platform,
                &file,
            ];
            let native = run_binary(amd64, None, &args);
            let emulated = run_binary(arm64, Some(qemu()), &args);
            assert!(!native.is_empty(), "{file}: no LLB");
            assert!(
                native == emulated,
                "{file} ({platform}): the arm64 binary's LLB differs from the amd64 binary's"
            );
        }
    }
}

fn qemu() -> &'static Path {
    Path::new("/usr/bin/qemu-aarch64-static")
}

/// Runs a binary (under `emulator` if given) and returns its stdout; panics on failure.
fn run_binary(bin: &Path, emulator: Option<&Path>, args: &[&str]) -> Vec<u8> {
    let mut cmd = match emulator {
        Some(e) => {
            assert!(
                e.exists(),
                "{} is missing (Debian's qemu-user-static; tests/env/deps.sh installs it)",
                e.display()
            );
            let mut c = Command::new(e);
            c.arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let out = cmd
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
