//! The offline command line (`dockerfile-frontend llb|check … FILE`), run as a program: it reads
//! the Dockerfile and the options as a build through the daemon does (one reader, one options
//! parser), and prints errors at a readable size.

#![allow(clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// A Dockerfile written under cargo's per-test temporary directory.
fn dockerfile(name: &str, data: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}.Dockerfile"));
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

fn run(args: &[&str], file: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockerfile-frontend"))
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("running dockerfile-frontend: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A Latin-1 byte (`é` as 0xE9) in a comment and in a command is read as U+FFFD, as the
/// gateway reads it, instead of refusing the file ("stream did not contain valid UTF-8").
#[test]
fn a_dockerfile_that_is_not_utf8_converts_as_through_the_daemon() {
    let data = b"FROM busybox\n# caf\xe9\nRUN echo caf\xe9\n";
    let file = dockerfile("latin1", data);
    let o = run(&["llb"], &file);
    assert!(o.status.success(), "{}", stderr(&o));
    // The command reads `caf\u{FFFD}`; the source map keeps the file's own bytes.
    assert!(contains(&o.stdout, "echo caf\u{FFFD}".as_bytes()));
    assert!(contains(&o.stdout, data));
    let o = run(&["check"], &file);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `--platform` is parsed by containerd's rules and messages, as dockerui parses `platform`:
/// one component must be a known OS or architecture.
#[test]
fn an_unknown_platform_is_refused_with_the_references_message() {
    let file = dockerfile("platform", b"FROM scratch\nCOPY a b\n");
    for cmd in ["llb", "check"] {
        let o = run(&[cmd, "--platform", "garbage"], &file);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert_eq!(
            stderr(&o),
            "failed to parse target platform garbage: \"garbage\": unknown operating system or architecture: invalid argument\n",
            "{cmd}"
        );
        assert!(o.stdout.is_empty());
    }
    // A known architecture alone is this machine's OS with it.
    let o = run(&["llb", "--config", "--platform", "arm64"], &file);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(contains(&o.stdout, br#""architecture":"arm64""#));
}

/// A 1 MB line: refused by the parser (lines are at most 64 KiB, as the reference's), and the
/// lines printed around the error are cut to a readable width.
#[test]
fn an_over_long_line_is_printed_cut() {
    let mut data = b"FROM scratch\nRUN ".to_vec();
    data.extend(vec![b'x'; 1 << 20]);
    data.extend(b"\nRUN true\n");
    let file = dockerfile("long-line", &data);
    let o = run(&["llb"], &file);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.len() < 2048, "{} bytes of error", err.len());
    assert!(
        err.ends_with("error: dockerfile line greater than max allowed size of 65535\n"),
        "{err}"
    );
    assert!(
        err.contains(&format!("   2 | RUN {}…\n", "x".repeat(196))),
        "{err}"
    );
}

/// A 60 KB word quoted in the message (the reference quotes it whole): cut in the middle above
/// 1 KiB, keeping the start and the end.
#[test]
fn a_message_quoting_a_long_word_is_cut() {
    let word = "A".repeat(60_000);
    let file = dockerfile("long-word", format!("FROM scratch\n{word}\n").as_bytes());
    let o = run(&["llb"], &file);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.len() < 2048, "{} bytes of error", err.len());
    let message = err.lines().last().unwrap_or_default();
    assert!(
        message.starts_with("error: dockerfile parse error on line 2: unknown instruction: AAAA"),
        "{message}"
    );
    assert!(
        message.contains("A…A") && message.ends_with('A'),
        "{message}"
    );
    // The JSON form (the gateway's message) is cut the same way.
    let o = run(&["llb", "--error-json"], &file);
    let json = stderr(&o);
    assert!(json.len() < 2048 && json.contains("A…A"), "{json}");
}

/// `--version` names the crate's version and the commit (`unknown` when the build didn't say).
#[test]
fn version_names_the_build() {
    let o = Command::new(env!("CARGO_BIN_EXE_dockerfile-frontend"))
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("running dockerfile-frontend: {e}"));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let expected = format!(
        "dockerfile-frontend {} (revision {})\n",
        env!("CARGO_PKG_VERSION"),
        option_env!("DFRS_REVISION")
            .filter(|r| !r.is_empty())
            .unwrap_or("unknown")
    );
    assert_eq!(out, expected);
}

/// `SOURCE_DATE_EPOCH` stamps the offline conversion as a build through the daemon (the image
/// history's times); a time only a daemon can tell is refused with a clear message.
#[test]
fn source_date_epoch_stamps_the_offline_conversion() {
    let file = dockerfile("epoch", b"FROM scratch\nWORKDIR /app\n");
    let o = run(
        &[
            "llb",
            "--config",
            "--build-arg",
            "SOURCE_DATE_EPOCH=1700000000",
        ],
        &file,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        contains(&o.stdout, b"\"created\":\"2023-11-14T22:13:20Z\""),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(&["llb", "--build-arg", "SOURCE_DATE_EPOCH=context"], &file);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("needs a daemon"), "{}", stderr(&o));
}

/// `--build-platform` sets `BUILDPLATFORM` (and the default target platform) as a daemon of
/// that platform would, whatever machine converts.
#[test]
fn build_platform_is_the_daemons() {
    let file = dockerfile(
        "build-platform",
        b"FROM --platform=$BUILDPLATFORM scratch AS b\nARG BUILDPLATFORM TARGETPLATFORM\nLABEL b=$BUILDPLATFORM t=$TARGETPLATFORM\n",
    );
    let o = run(
        &["llb", "--config", "--build-platform", "linux/s390x"],
        &file,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("\"b\":\"linux/s390x\"") && out.contains("\"t\":\"linux/s390x\""),
        "{out}"
    );
    let o = run(&["llb", "--build-platform", "bogus"], &file);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--build-platform bogus"),
        "{}",
        stderr(&o)
    );
}
