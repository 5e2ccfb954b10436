//! The image users get: the root `Dockerfile` (a Rust builder stage, then the static binary
//! `FROM scratch`) builds through BuildKit with the frontend under test, carries the labels
//! BuildKit reads, and works as the frontend of another build.
//!
//! Its builder image is made from this machine's own Rust and C toolchains
//! (`tests/env/build-rust-image.sh`, passed as `RUST_IMAGE`), since no image can be pulled
//! from Docker Hub here; cargo fetches the crates from crates.io inside the build. The release
//! build (LTO) makes this the slowest end-to-end test: several minutes on two cores.
#![allow(clippy::panic)]

use std::process::Command;
use std::time::Duration;

use e2e::{env, image_name, nonce, repo_root, Context, Frontend};

fn rust_image() -> String {
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
}

#[test]
fn root_dockerfile_builds_a_working_frontend() {
    let rust = rust_image();
    let ctx = Context::new("image-root");
    let image = image_name("dockerfile-rs-root");
    let root = repo_root();
    let res = ctx
        .build()
        .context_dir(&root)
        .dockerfile_dir(&root)
        .build_arg("RUST_IMAGE", &rust)
        .output_image(&image)
        .timeout(Duration::from_secs(45 * 60))
        .run();
    res.assert_ok();

    let built = res.image();
    let config = built.container_config();
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/bin/dockerfile-frontend"]),
        "{config}"
    );
    let labels = &config["Labels"];
    assert_eq!(
        labels["moby.buildkit.frontend.network.none"], "true",
        "{labels}"
    );
    let declared = std::fs::read_to_string(root.join("tests/env/images/frontend.Dockerfile"))
        .unwrap_or_default();
    let caps = labels["moby.buildkit.frontend.caps"]
        .as_str()
        .unwrap_or_default();
    assert!(
        !caps.is_empty() && declared.contains(&format!("moby.buildkit.frontend.caps=\"{caps}\"")),
        "caps label {caps:?} differs from the test image's"
    );
    assert_eq!(
        built.manifest["layers"].as_array().map(Vec::len),
        Some(1),
        "one layer, the binary: {}",
        built.manifest
    );

    // The image is a frontend: it builds a Dockerfile.
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
