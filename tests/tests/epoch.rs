//! `SOURCE_DATE_EPOCH`: a number (build arg or the Dockerfile's global ARG default), the main
//! context's time (`context`: an http download's Last-Modified, else the newest file of the
//! downloaded archive), a named context and a source-only stage, as BuildKit's
//! `dockerfile_source_date_epoch_test.go` checks them. The http sources are a python server
//! on 127.0.0.1.
#![allow(clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::{env, nonce, temp_dir, Context, HttpServer};
use serde_json::Value;

/// Writes `name` (a tar of `files`, each `(name, contents, mtime)`) into `dir`, with the tar
/// file's own time `file_mtime` (what the server sends as Last-Modified).
fn write_tar(dir: &Path, name: &str, files: &[(&str, &str, i64)], file_mtime: i64) {
    let src = dir.join(format!("{name}.src"));
    fs::create_dir_all(&src).unwrap_or_else(|e| panic!("{e}"));
    for (f, data, mtime) in files {
        fs::write(src.join(f), data).unwrap_or_else(|e| panic!("{e}"));
        e2e::run_ok(
            Command::new("touch")
                .arg("-d")
                .arg(format!("@{mtime}"))
                .arg(src.join(f)),
        );
    }
    let mut tar = Command::new("tar");
    tar.arg("-cf").arg(dir.join(name)).arg("-C").arg(&src);
    tar.args(files.iter().map(|(f, _, _)| *f));
    e2e::run_ok(&mut tar);
    e2e::run_ok(
        Command::new("touch")
            .arg("-d")
            .arg(format!("@{file_mtime}"))
            .arg(dir.join(name)),
    );
}

/// An OCI layout directory written by a build.
struct Oci(PathBuf);

impl Oci {
    fn json(&self, digest: &str) -> Value {
        let hex = digest.trim_start_matches("sha256:");
        let path = self.0.join("blobs/sha256").join(hex);
        serde_json::from_slice(&fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn manifest(&self) -> Value {
        let index: Value = serde_json::from_slice(
            &fs::read(self.0.join("index.json")).unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let digest = index["manifests"][0]["digest"]
            .as_str()
            .unwrap_or_else(|| panic!("no manifest in {index}"))
            .to_string();
        self.json(&digest)
    }

    fn config(&self) -> Value {
        let m = self.manifest();
        self.json(m["config"]["digest"].as_str().unwrap_or_default())
    }

    /// The last layer's `buildkit/rewritten-timestamp` annotation.
    fn rewritten_timestamp(&self) -> Option<String> {
        let m = self.manifest();
        let layers = m["layers"].as_array().cloned().unwrap_or_default();
        layers.last().and_then(|l| {
            l["annotations"]["buildkit/rewritten-timestamp"]
                .as_str()
                .map(str::to_string)
        })
    }
}

/// `--output type=oci,tar=false,dest=DIR,ATTRS`.
fn oci_output(ctx: &Context, attrs: &str) -> (Oci, Vec<String>) {
    let dir = ctx.new_output_dir();
    let mut out = format!("type=oci,tar=false,dest={}", dir.display());
    if !attrs.is_empty() {
        out.push(',');
        out.push_str(attrs);
    }
    (Oci(dir), vec!["--output".into(), out])
}

#[test]
fn build_arg_number_stamps_the_image_and_its_history() {
    let ctx = Context::with_dockerfile(
        "epoch-number",
        &format!(
            "FROM scratch\nENTRYPOINT foo bar\nCOPY Dockerfile .\n# {}\n",
            nonce()
        ),
    );
    // The exporter's own epoch is cleared: the frontend's metadata must carry it.
    let (oci, args) = oci_output(&ctx, "source-date-epoch=");
    ctx.build()
        .build_arg("SOURCE_DATE_EPOCH", "1700000001")
        .args(args)
        .run()
        .assert_ok();
    let config = oci.config();
    assert_eq!(config["created"], "2023-11-14T22:13:21Z", "{config}");
    for h in config["history"].as_array().cloned().unwrap_or_default() {
        assert_eq!(h["created"], "2023-11-14T22:13:21Z", "{config}");
    }
}

#[test]
fn dockerfile_default_reaches_the_exporter() {
    let df = format!(
        "ARG SOURCE_DATE_EPOCH=1445412480\nFROM scratch\nCOPY Dockerfile .\n# {}\n",
        nonce()
    );
    let ctx = Context::with_dockerfile("epoch-default", &df);
    let (oci, args) = oci_output(&ctx, "rewrite-timestamp=true");
    ctx.build().args(args).run().assert_ok();
    assert_eq!(oci.rewritten_timestamp().as_deref(), Some("1445412480"));
    assert_eq!(oci.config()["created"], "2015-10-21T07:28:00Z");

    // A build arg overrides the default.
    let (oci, args) = oci_output(&ctx, "rewrite-timestamp=true");
    ctx.build()
        .build_arg("SOURCE_DATE_EPOCH", "1700000002")
        .args(args)
        .run()
        .assert_ok();
    assert_eq!(oci.rewritten_timestamp().as_deref(), Some("1700000002"));

    // An exporter whose epoch is reset rewrites nothing.
    let (oci, args) = oci_output(&ctx, "source-date-epoch=,rewrite-timestamp=true");
    ctx.build().args(args).run().assert_ok();
    assert_eq!(oci.rewritten_timestamp(), None);
}

#[test]
fn dockerfile_default_expanded_and_seen_by_arg() {
    let df = format!(
        "ARG BASE_TIME=170000000\nARG SOURCE_DATE_EPOCH=${{BASE_TIME}}5\nFROM {}\nARG SOURCE_DATE_EPOCH\nRUN echo -n \"$SOURCE_DATE_EPOCH\" > /epoch # {}\n",
        env().base_image,
        nonce()
    );
    let ctx = Context::with_dockerfile("epoch-default-expanded", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("epoch"), "1700000005");
}

#[test]
fn invalid_values_fail_like_the_reference() {
    let ctx = Context::with_dockerfile(
        "epoch-invalid",
        "ARG SOURCE_DATE_EPOCH=not-a-timestamp\nFROM scratch\nCOPY Dockerfile .\n",
    );
    let res = ctx.build().run();
    res.assert_failed();
    res.assert_stderr_contains(&["invalid SOURCE_DATE_EPOCH: not-a-timestamp"]);

    let ctx = Context::with_dockerfile(
        "epoch-stage-invalid",
        "ARG SOURCE_DATE_EPOCH=mysource\nFROM scratch AS mysource\nCOPY Dockerfile /Dockerfile\nFROM scratch\n",
    );
    let res = ctx.build().run();
    res.assert_failed();
    res.assert_stderr_contains(&[
        "SOURCE_DATE_EPOCH stage does not meet source-only requirements: unsupported COPY instruction",
    ]);
}

#[test]
fn local_context_leaves_it_unset() {
    let df = format!(
        "FROM {}\nARG SOURCE_DATE_EPOCH\nRUN echo -n \"[$SOURCE_DATE_EPOCH]\" > /epoch # {}\n",
        env().base_image,
        nonce()
    );
    let ctx = Context::with_dockerfile("epoch-local", &df);
    let res = ctx
        .build()
        .build_arg("SOURCE_DATE_EPOCH", "context")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("epoch"), "[]");
}

/// The Dockerfile of the http contexts: records the epoch its RUN sees.
fn recording_dockerfile() -> String {
    format!(
        "FROM {}\nARG SOURCE_DATE_EPOCH\nRUN echo -n \"$SOURCE_DATE_EPOCH\" > /epoch # {}\n",
        env().base_image,
        nonce()
    )
}

#[test]
fn http_context_last_modified() {
    let dir = temp_dir("epoch-lm");
    let df = recording_dockerfile();
    write_tar(
        &dir,
        "context.tar",
        &[
            ("Dockerfile", &df, 1_700_000_202 - 3600),
            ("foo", "bar", 1_700_000_202),
        ],
        1_700_000_201,
    );
    let server = HttpServer::serve(&dir);
    let ctx = Context::new("epoch-http-lm");
    let res = ctx
        .build()
        .opt("context", &server.url("context.tar"))
        .build_arg("SOURCE_DATE_EPOCH", "context")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("epoch"), "1700000201");
    let (oci, args) = oci_output(&ctx, "");
    ctx.build()
        .opt("context", &server.url("context.tar"))
        .build_arg("SOURCE_DATE_EPOCH", "context")
        .args(args)
        .run()
        .assert_ok();
    assert_eq!(oci.config()["created"], "2023-11-14T22:16:41Z");
}

#[test]
fn http_context_archive_newest_file() {
    let dir = temp_dir("epoch-archive");
    let df = recording_dockerfile();
    write_tar(
        &dir,
        "context.tar",
        &[
            ("Dockerfile", &df, 1_700_000_302 - 3600),
            ("foo", "bar", 1_700_000_302),
        ],
        1_800_000_000,
    );
    let server = HttpServer::serve_without_last_modified(&dir);
    let ctx = Context::new("epoch-http-archive");
    let (oci, args) = oci_output(&ctx, "rewrite-timestamp=true");
    ctx.build()
        .opt("context", &server.url("context.tar"))
        .build_arg("SOURCE_DATE_EPOCH", "context")
        .args(args)
        .run()
        .assert_ok();
    assert_eq!(oci.rewritten_timestamp().as_deref(), Some("1700000302"));
    assert_eq!(oci.config()["created"], "2023-11-14T22:18:22Z");
    let res = ctx
        .build()
        .opt("context", &server.url("context.tar"))
        .build_arg("SOURCE_DATE_EPOCH", "context")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("epoch"), "1700000302");
}

#[test]
fn stage_and_named_context_sources() {
    let dir = temp_dir("epoch-stage");
    write_tar(
        &dir,
        "src.tar",
        &[("foo", "bar", 1_700_000_402)],
        1_700_000_601,
    );
    let no_lm = HttpServer::serve_without_last_modified(&dir);
    let with_lm = HttpServer::serve(&dir);

    // A source-only stage: the newest file of its download.
    let df = format!(
        "ARG SOURCE_DATE_EPOCH=mysource\nFROM scratch AS mysource\nADD {} /\n{}",
        no_lm.url("src.tar"),
        recording_dockerfile()
    );
    let ctx = Context::with_dockerfile("epoch-stage", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("epoch"), "1700000402");
    // A build arg number still wins.
    let res = ctx
        .build()
        .build_arg("SOURCE_DATE_EPOCH", "1700000502")
        .output_local()
        .run();
    res.assert_ok();
    assert_eq!(res.read_output("epoch"), "1700000502");

    // A named context: its Last-Modified, else its newest file.
    let df = format!("ARG SOURCE_DATE_EPOCH=mysource\n{}", recording_dockerfile());
    let ctx = Context::with_dockerfile("epoch-named", &df);
    for (server, want) in [(&with_lm, "1700000601"), (&no_lm, "1700000402")] {
        let res = ctx
            .build()
            .opt("context:mysource", &server.url("src.tar"))
            .output_local()
            .run();
        res.assert_ok();
        assert_eq!(res.read_output("epoch"), want);
    }
}

/// A git context: the commit's committer time (asked from the daemon with the commit object).
#[test]
fn git_context_committer_time() {
    let root = temp_dir("epoch-git");
    // Committed at 22:15:01+01:00, 21:15:01Z.
    e2e::git_bare_repo(
        &root,
        &[("Dockerfile", &recording_dockerfile())],
        "2023-11-14T22:15:01+01:00",
    );
    let server = HttpServer::serve(&root.join("srv"));
    let ctx = Context::new("epoch-git");
    let res = ctx
        .build()
        .opt("context", &server.url("repo.git#main"))
        .build_arg("SOURCE_DATE_EPOCH", "context")
        .output_local()
        .run();
    res.assert_ok();
    // 22:15:01 at +01:00 is 21:15:01Z: 1700000101 - 3600.
    assert_eq!(res.read_output("epoch"), "1699996501");
}
