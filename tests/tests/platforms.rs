//! Multi-platform builds (linux/arm64 runs under qemu-user emulation set up by tests/env/up.sh).
#![allow(clippy::panic)]

use e2e::{env, nonce, require_multiarch, Context};

#[test]
fn run_steps_execute_for_each_platform() {
    require_multiarch();
    let df = format!(
        "FROM {}\nARG TARGETPLATFORM\nRUN echo {} && uname -m > /arch && echo $TARGETPLATFORM > /platform\n",
        env().base_image,
        nonce()
    );
    let ctx = Context::with_dockerfile("platforms", &df);
    let res = ctx
        .build()
        .opt("platform", "linux/amd64,linux/arm64")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("linux_amd64/arch").trim(), "x86_64");
    assert_eq!(res.read_output("linux_arm64/arch").trim(), "aarch64");
    assert_eq!(
        res.read_output("linux_arm64/platform").trim(),
        "linux/arm64"
    );
}
