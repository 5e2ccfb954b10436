//! COPY and ADD end to end, each case built twice, through the frontend under test and through
//! BuildKit's built-in frontend (the reference), and the exported file trees compared: paths,
//! types, permission bits, owners and contents. Failures are compared by their error message.
#![allow(clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use e2e::{env, nonce, temp_dir, Build, BuildResult, Context, Frontend, HttpServer};

/// One entry of an exported tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir {
        mode: u32,
        owner: (u32, u32),
    },
    File {
        mode: u32,
        owner: (u32, u32),
        content: String,
    },
    Symlink {
        target: String,
    },
}

/// Every path under `dir` (relative, `/`-separated) with what is there.
fn tree(dir: &Path) -> BTreeMap<String, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e}"));
        entries.sort();
        for p in entries {
            let rel = p
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or_default();
            let md = fs::symlink_metadata(&p)
                .unwrap_or_else(|e| panic!("cannot stat {}: {e}", p.display()));
            let mode = md.permissions().mode() & 0o7777;
            let owner = (md.uid(), md.gid());
            if md.file_type().is_symlink() {
                let target = fs::read_link(&p)
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.insert(rel, Entry::Symlink { target });
            } else if md.is_dir() {
                out.insert(rel, Entry::Dir { mode, owner });
                walk(root, &p, out);
            } else {
                let bytes = fs::read(&p).unwrap_or_default();
                out.insert(
                    rel,
                    Entry::File {
                        mode,
                        owner,
                        content: String::from_utf8_lossy(&bytes).into_owned(),
                    },
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn describe(t: &BTreeMap<String, Entry>) -> String {
    t.iter().map(|(p, e)| format!("  {p}: {e:?}\n")).collect()
}

/// Builds `ctx` with the frontend under test and with the reference, both to local outputs,
/// applying `opts` to both; asserts both succeed with identical trees and returns the tree.
#[track_caller]
fn same_tree(ctx: &Context, opts: impl Fn(Build<'_>) -> Build<'_>) -> BTreeMap<String, Entry> {
    let ours = opts(ctx.build().output_local()).run();
    ours.assert_ok();
    let reference = opts(ctx.build().frontend(Frontend::Builtin).output_local()).run();
    reference.assert_ok();
    let (a, b) = (tree(ours.out_dir()), tree(reference.out_dir()));
    if a != b {
        let only = |x: &BTreeMap<String, Entry>, y: &BTreeMap<String, Entry>| -> String {
            x.iter()
                .filter(|(k, v)| y.get(*k) != Some(*v))
                .map(|(k, v)| format!("  {k}: {v:?}\n"))
                .collect()
        };
        panic!("the trees differ\nonly in ours (or different):\n{}only in the reference's (or different):\n{}ours in full:\n{}", only(&a, &b), only(&b, &a), describe(&a));
    }
    a
}

/// Builds with both frontends, expects both to fail, and returns (ours, reference) error messages.
#[track_caller]
fn both_fail(ctx: &Context) -> (String, String) {
    let ours = ctx.build().run();
    ours.assert_failed();
    let reference = ctx.build().frontend(Frontend::Builtin).run();
    reference.assert_failed();
    let msg = |r: &BuildResult| r.error_message().unwrap_or_default().to_string();
    (msg(&ours), msg(&reference))
}

/// Asserts both frontends fail with an error containing `needle`.
#[track_caller]
fn same_error(ctx: &Context, needle: &str) {
    let (ours, reference) = both_fail(ctx);
    assert!(
        reference.contains(needle),
        "the reference's error {reference:?} lacks {needle:?}"
    );
    assert!(
        ours.contains(needle),
        "our error {ours:?} lacks {needle:?} (the reference's: {reference:?})"
    );
}

#[track_caller]
fn file<'a>(t: &'a BTreeMap<String, Entry>, path: &str) -> &'a Entry {
    t.get(path)
        .unwrap_or_else(|| panic!("{path} is not in the output:\n{}", describe(t)))
}

#[track_caller]
fn content<'a>(t: &'a BTreeMap<String, Entry>, path: &str) -> &'a str {
    match file(t, path) {
        Entry::File { content, .. } => content,
        other => panic!("{path} is not a file: {other:?}"),
    }
}

#[track_caller]
fn mode(t: &BTreeMap<String, Entry>, path: &str) -> u32 {
    match file(t, path) {
        Entry::File { mode, .. } | Entry::Dir { mode, .. } => *mode,
        other => panic!("{path} has no mode: {other:?}"),
    }
}

fn sample_context(name: &str, dockerfile: &str) -> Context {
    let ctx = Context::with_dockerfile(name, dockerfile);
    ctx.write("a", "A\n")
        .write("b", "B\n")
        .write("dir/x", "X\n")
        .write("dir/y/z", "Z\n")
        .write("x1.txt", "1\n")
        .write("x2.txt", "2\n")
        .write("with space", "S\n")
        .write("deep/one/two/f.go", "go\n")
        .write("deep/one/g.txt", "g\n");
    ctx
}

#[test]
fn copy_paths_wildcards_and_slashes_match_the_reference() {
    let df = "FROM scratch\n\
              WORKDIR /w\n\
              COPY a b d1/\n\
              COPY dir d2\n\
              COPY dir d3/\n\
              COPY dir/ /d4\n\
              COPY x*.txt d5/\n\
              COPY x?.txt /d6/\n\
              COPY [ab] d7/\n\
              COPY a d8\n\
              COPY a d9/.\n\
              COPY dir/y /d10/\n\
              COPY nomatch* /d11/\n\
              COPY [\"with space\", \"/d12/\"]\n\
              COPY a .\n\
              COPY dir/../a /d13\n\
              WORKDIR sub\n\
              COPY b ./\n\
              COPY b rel\n";
    let ctx = sample_context("copy-paths", df);
    let t = same_tree(&ctx, |b| b);
    assert_eq!(content(&t, "w/d1/a"), "A\n");
    assert_eq!(
        content(&t, "w/d2/x"),
        "X\n",
        "a directory's contents are copied, not the directory"
    );
    assert_eq!(content(&t, "w/d5/x2.txt"), "2\n");
    assert_eq!(content(&t, "w/d8"), "A\n");
    assert_eq!(content(&t, "w/sub/b"), "B\n");
    assert_eq!(content(&t, "w/sub/rel"), "B\n");
    assert_eq!(content(&t, "d12/with space"), "S\n");
}

#[test]
fn copy_whole_context_applies_dockerignore_with_exceptions() {
    let df = "FROM scratch\nCOPY . /ctx/\n";
    let ctx = sample_context("dockerignore", df);
    ctx.write(
        ".dockerignore",
        "# comment\n*.txt\n!x2.txt\ndeep/**/*.go\ndir/y\nDockerfile\n.dockerignore\n",
    );
    let t = same_tree(&ctx, |b| b);
    assert!(
        !t.contains_key("ctx/x1.txt"),
        "x1.txt is ignored:\n{}",
        describe(&t)
    );
    assert_eq!(content(&t, "ctx/x2.txt"), "2\n", "!x2.txt re-includes it");
    assert!(!t.contains_key("ctx/deep/one/two/f.go"));
    assert_eq!(
        content(&t, "ctx/deep/one/g.txt"),
        "g\n",
        "** patterns only match what they say"
    );
    assert!(!t.contains_key("ctx/dir/y"));
    assert!(!t.contains_key("ctx/Dockerfile"));
}

#[test]
fn dockerfile_specific_dockerignore_takes_precedence() {
    let ctx = sample_context("dockerignore-specific", "FROM scratch\nCOPY . /ctx/\n");
    ctx.write("build.Dockerfile", "FROM scratch\nCOPY . /ctx/\n");
    ctx.write(".dockerignore", "a\n");
    ctx.write(
        "build.Dockerfile.dockerignore",
        "b\n*.Dockerfile*\nDockerfile\n.dockerignore\n",
    );
    let t = same_tree(&ctx, |b| b.opt("filename", "build.Dockerfile"));
    assert_eq!(
        content(&t, "ctx/a"),
        "A\n",
        "the plain .dockerignore is not used"
    );
    assert!(!t.contains_key("ctx/b"), "build.Dockerfile.dockerignore is");
}

#[test]
fn copy_exclude_and_parents() {
    let df = "# syntax=docker/dockerfile:1\n\
              FROM scratch\n\
              COPY --exclude=*.txt --exclude=dir/y . /ex/\n\
              COPY --parents deep/one/two/f.go dir/x /par/\n\
              COPY --parents deep/./one/**/*.go /piv/\n\
              COPY --parents */*.txt x*.txt /wild/\n";
    let ctx = sample_context(
        "exclude-parents",
        &df.replace("# syntax=docker/dockerfile:1\n", ""),
    );
    let t = same_tree(&ctx, |b| b);
    assert!(!t.contains_key("ex/x1.txt"));
    assert!(!t.contains_key("ex/dir/y"));
    assert_eq!(content(&t, "ex/dir/x"), "X\n");
    assert_eq!(content(&t, "par/deep/one/two/f.go"), "go\n");
    assert_eq!(content(&t, "piv/one/two/f.go"), "go\n");
}

/// A base with named users and groups, as `--chown` resolves names in the destination image.
fn users_stage() -> String {
    let base = &env().base_image;
    format!(
        "FROM {base} AS users\n\
         RUN echo 'app:x:1234:2345::/:/bin/sh' >> /etc/passwd && echo 'staff:x:3456:' >> /etc/group && echo 'app:x:2345:' >> /etc/group\n"
    )
}

#[test]
fn chown_and_chmod_resolve_names_in_the_destination() {
    let n = nonce();
    let df = format!(
        "{}\
         ARG OWNER=42:43\n\
         COPY --chown=app a /o/name\n\
         COPY --chown=app:staff a /o/name-group\n\
         COPY --chown=1234:staff a /o/id-name\n\
         COPY --chown=$OWNER a /o/arg\n\
         COPY --chown=7 dir /o/dir/\n\
         COPY --chmod=751 a /o/octal\n\
         COPY --chmod=u+x,g-r,o= a /o/symbolic\n\
         COPY --chmod=a=rX dir /o/symdir/\n\
         COPY --link --chown=5:6 a /o/link\n\
         ADD --chown=app --chmod=600 b /o/add\n\
         RUN echo {n} && cd /o && find . | sort | while read f; do echo \"$f $(stat -c '%u:%g %a' $f)\"; done > /owners\n\
         FROM scratch\n\
         COPY --from=users /owners /owners\n",
        users_stage()
    );
    let ctx = sample_context("chown", &df);
    let t = same_tree(&ctx, |b| b);
    let owners = content(&t, "owners");
    for line in [
        "./name 1234:2345 644",
        "./name-group 1234:3456",
        "./id-name 1234:3456",
        "./arg 42:43",
        "./dir/x 7:7",
        "./octal 0:0 751",
        "./symbolic 0:0 700",
        "./link 5:6",
        "./add 1234:2345 600",
    ] {
        assert!(owners.contains(line), "{line:?} missing from\n{owners}");
    }
}

#[test]
fn chown_errors_match_the_reference() {
    let base = &env().base_image;
    // An unknown name is not an error in BuildKit (the file ends up owned by 0:0): the same with ours.
    let ctx = sample_context(
        "chown-unknown",
        &format!("FROM {base}\nCOPY --chown=nosuchuser a /a\nRUN stat -c '%u:%g' /a > /owner\n"),
    );
    let t = same_tree(&ctx, |b| b);
    assert_eq!(content(&t, "owner"), "0:0\n");
    let ctx = sample_context(
        "chown-link",
        &format!("FROM {base}\nCOPY --link --chown=app a /a\n"),
    );
    same_error(
        &ctx,
        "user and group names can't be resolved when used with --link",
    );
    let ctx = sample_context("chmod-bad", "FROM scratch\nCOPY --chmod=8888 a /a\n");
    same_error(
        &ctx,
        "invalid chmod parameter: '8888'. it should be octal string and between 0 and 07777",
    );
    let ctx = sample_context("chmod-syntax", "FROM scratch\nCOPY --chmod=u+y a /a\n");
    same_error(&ctx, "invalid syntax");
}

#[test]
fn link_copies_merge_onto_the_stage() {
    let base = &env().base_image;
    let df = format!(
        "FROM {base} AS s\n\
         RUN mkdir -p /keep && echo old > /keep/old\n\
         COPY --link a /keep/\n\
         COPY --link dir /linked/\n\
         COPY --link --chmod=755 b /keep/b\n\
         FROM scratch\n\
         COPY --from=s /keep /keep\n\
         COPY --from=s /linked /linked\n"
    );
    let ctx = sample_context("link", &df);
    let t = same_tree(&ctx, |b| b);
    assert_eq!(content(&t, "keep/old"), "old\n");
    assert_eq!(content(&t, "keep/a"), "A\n");
    assert_eq!(mode(&t, "keep/b"), 0o755);
    assert_eq!(content(&t, "linked/y/z"), "Z\n");
}

/// Writes `archive.tar` (holding `inside/t.txt`) into the context with the system's tar.
fn write_tar(ctx: &Context) {
    let staging = ctx.path().join("tar-src");
    fs::create_dir_all(staging.join("inside")).unwrap_or_else(|e| panic!("{e}"));
    fs::write(staging.join("inside/t.txt"), "T\n").unwrap_or_else(|e| panic!("{e}"));
    let status = Command::new("tar")
        .arg("-cf")
        .arg(ctx.path().join("archive.tar"))
        .arg("-C")
        .arg(&staging)
        .arg("inside")
        .status()
        .unwrap_or_else(|e| panic!("tar: {e}"));
    assert!(status.success());
    fs::remove_dir_all(&staging).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn add_extracts_local_archives_and_copy_does_not() {
    let df = "FROM scratch\n\
              ADD archive.tar /extracted/\n\
              ADD --unpack=false archive.tar /kept/\n\
              COPY archive.tar /copied/\n\
              ADD a b /plain/\n";
    let ctx = sample_context("add-tar", df);
    write_tar(&ctx);
    let t = same_tree(&ctx, |b| b);
    assert_eq!(content(&t, "extracted/inside/t.txt"), "T\n");
    assert!(t.contains_key("kept/archive.tar"));
    assert!(t.contains_key("copied/archive.tar"));
    assert_eq!(content(&t, "plain/b"), "B\n");
}

#[test]
fn heredoc_sources_expand_unless_quoted() {
    let df = "FROM scratch\n\
              ARG NAME=world\n\
              WORKDIR /h\n\
              COPY <<EOF greeting\n\
              hello $NAME\n\
              EOF\n\
              COPY <<\"EOF\" /quoted\n\
              hello $NAME\n\
              EOF\n\
              COPY <<A <<B /multi/\n\
              a\n\
              A\n\
              b\n\
              B\n\
              COPY --chmod=755 <<-EOF script.sh\n\
              \t#!/bin/sh\n\
              \techo ${NAME}\n\
              \tEOF\n";
    let ctx = Context::with_dockerfile("heredoc", df);
    let t = same_tree(&ctx, |b| b);
    assert_eq!(content(&t, "h/greeting"), "hello world\n");
    assert_eq!(content(&t, "quoted"), "hello $NAME\n");
    assert_eq!(content(&t, "multi/A"), "a\n");
    assert_eq!(content(&t, "multi/B"), "b\n");
    assert_eq!(mode(&t, "h/script.sh"), 0o755);
}

#[test]
fn copy_from_stages_images_and_indexes() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "FROM {base} AS build\n\
         RUN echo {n} > /built && mkdir -p /out/sub && echo s > /out/sub/s\n\
         FROM scratch\n\
         COPY --from=build /built /from-name\n\
         COPY --from=0 /out/ /from-index/\n\
         COPY --from={base} /etc/group /from-image\n\
         COPY --from=build /out/sub/* /glob/\n"
    );
    let ctx = Context::with_dockerfile("copy-from", &df);
    let t = same_tree(&ctx, |b| b);
    assert_eq!(content(&t, "from-name"), format!("{n}\n"));
    assert_eq!(content(&t, "from-index/sub/s"), "s\n");
    assert!(content(&t, "from-image").contains("root"));
    assert_eq!(content(&t, "glob/s"), "s\n");
}

#[test]
fn copy_and_add_reject_what_the_reference_rejects() {
    // Shell-form sources split at whitespace before quotes are read, as in the reference.
    let ctx = sample_context(
        "copy-quoted-space",
        "FROM scratch\nCOPY a \"/with space/\"\n",
    );
    same_error(
        &ctx,
        "unexpected end of statement while looking for matching double-quote",
    );
    let ctx = Context::with_dockerfile("copy-url", "FROM scratch\nCOPY https://example.com/x /x\n");
    same_error(&ctx, "source can't be a URL for COPY");
    let ctx = Context::with_dockerfile(
        "copy-git",
        "FROM scratch\nCOPY https://example.com/x.git /x\n",
    );
    same_error(&ctx, "source can't be a git ref for COPY");
    let ctx = Context::with_dockerfile(
        "copy-checksum",
        "FROM scratch\nCOPY --checksum=sha256:0 a /x\n",
    );
    let (ours, reference) = both_fail(&ctx);
    assert!(
        ours.contains("--checksum") && reference.contains("--checksum"),
        "{ours:?} vs {reference:?}"
    );
    let ctx = sample_context(
        "add-checksum-local",
        "FROM scratch\nADD --checksum=sha256:0 a /x\n",
    );
    same_error(&ctx, "checksum requires HTTP(S) or Git sources");
    let ctx = sample_context(
        "add-git-query",
        "FROM scratch\nADD https://example.com/x.git?foo=1 /x\n",
    );
    same_error(&ctx, "unexpected query \"foo\"");
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("sha256sum: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn add_downloads_urls_with_checksums() {
    let dir = temp_dir("http");
    let n = nonce();
    fs::write(dir.join("file.txt"), format!("downloaded {n}\n")).unwrap_or_else(|e| panic!("{e}"));
    let staging = dir.join("inside");
    fs::create_dir_all(&staging).unwrap_or_else(|e| panic!("{e}"));
    fs::write(staging.join("t.txt"), "T\n").unwrap_or_else(|e| panic!("{e}"));
    let status = Command::new("tar")
        .arg("-cf")
        .arg(dir.join("remote.tar"))
        .arg("-C")
        .arg(&dir)
        .arg("inside")
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    let server = HttpServer::serve(&dir);
    let sum = sha256_hex(&dir.join("file.txt"));
    let df = format!(
        "FROM scratch\n\
         ADD {file} /dl/\n\
         ADD --checksum=sha256:{sum} {file} /checked\n\
         ADD --chmod=755 {file} /exec\n\
         ADD {tar} /tar-kept/\n\
         ADD --unpack=true {tar} /tar-unpacked/\n\
         ADD {file}?q=1 /query/\n",
        file = server.url("file.txt"),
        tar = server.url("remote.tar"),
    );
    let ctx = Context::with_dockerfile("add-http", &df);
    let t = same_tree(&ctx, |b| b);
    assert_eq!(content(&t, "dl/file.txt"), format!("downloaded {n}\n"));
    assert_eq!(content(&t, "checked"), format!("downloaded {n}\n"));
    assert_eq!(mode(&t, "exec"), 0o755);
    assert!(
        t.contains_key("tar-kept/remote.tar"),
        "remote archives are not extracted by default"
    );
    assert_eq!(content(&t, "tar-unpacked/inside/t.txt"), "T\n");
    assert!(t.contains_key("query/file.txt"));

    let bad = Context::with_dockerfile(
        "add-http-bad-sum",
        &format!(
            "FROM scratch\nADD --checksum=sha256:{} {} /x\n",
            "0".repeat(64),
            server.url("file.txt")
        ),
    );
    same_error(&bad, "digest mismatch");
    let bad = Context::with_dockerfile(
        "add-http-bad-digest",
        &format!(
            "FROM scratch\nADD --checksum=sha256:abc {} /x\n",
            server.url("file.txt")
        ),
    );
    same_error(&bad, "invalid checksum digest length");
}

/// A git repository served over dumb HTTP: `repo.git` with a `docs/` directory and a tag `v1`;
/// returns the commit.
fn git_repo(dir: &Path) -> String {
    let work = dir.join("work");
    fs::create_dir_all(work.join("docs")).unwrap_or_else(|e| panic!("{e}"));
    fs::write(work.join("README"), "readme\n").unwrap_or_else(|e| panic!("{e}"));
    fs::write(work.join("docs/guide.md"), "guide\n").unwrap_or_else(|e| panic!("{e}"));
    let git = |args: &[&str], cwd: &Path| {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap_or_else(|e| panic!("git: {e}"));
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"], &work);
    git(&["add", "."], &work);
    git(&["commit", "-q", "-m", "one"], &work);
    git(&["tag", "v1"], &work);
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&work)
        .output()
        .unwrap_or_else(|e| panic!("git: {e}"));
    let commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    git(&["clone", "-q", "--bare", "work", "repo.git"], dir);
    git(&["update-server-info"], &dir.join("repo.git"));
    let mut hook = fs::File::create(dir.join("repo.git/git-daemon-export-ok"))
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = hook.write_all(b"");
    commit
}

#[test]
fn add_clones_git_repositories() {
    let dir = temp_dir("git");
    let commit = git_repo(&dir);
    let server = HttpServer::serve(&dir);
    let repo = server.url("repo.git");
    let df = format!(
        "FROM scratch\n\
         ADD {repo} /whole/\n\
         ADD {repo}#v1:docs /docs/\n\
         ADD --keep-git-dir=true {repo}#main /kept/\n\
         ADD {repo}?ref=v1&subdir=docs /query/\n\
         ADD --checksum={commit} {repo}#v1 /checked/\n\
         ADD --chmod=700 --chown=5:6 {repo}?keep-git-dir=false#main:docs /owned/\n"
    );
    let ctx = Context::with_dockerfile("add-git", &df);
    let ours = ctx.build().output_local().run();
    ours.assert_ok();
    let reference = ctx.build().frontend(Frontend::Builtin).output_local().run();
    reference.assert_ok();
    // .git directories hold timestamps and packs that differ between clones: compare the rest.
    let strip = |t: BTreeMap<String, Entry>| -> BTreeMap<String, Entry> {
        t.into_iter()
            .filter(|(k, _)| !k.starts_with("kept/.git/"))
            .collect()
    };
    let (a, b) = (
        strip(tree(ours.out_dir())),
        strip(tree(reference.out_dir())),
    );
    assert_eq!(a, b, "ours:\n{}reference:\n{}", describe(&a), describe(&b));
    assert_eq!(content(&a, "whole/README"), "readme\n");
    assert!(!a.contains_key("whole/.git"));
    assert_eq!(content(&a, "docs/guide.md"), "guide\n");
    assert_eq!(content(&a, "query/guide.md"), "guide\n");
    assert!(
        tree(ours.out_dir()).contains_key("kept/.git/HEAD"),
        "--keep-git-dir keeps .git"
    );
    assert_eq!(content(&a, "checked/README"), "readme\n");
    assert_eq!(mode(&a, "owned/guide.md"), 0o700);

    let wrong = Context::with_dockerfile(
        "add-git-bad-sum",
        &format!(
            "FROM scratch\nADD --checksum={} {repo}#v1 /x/\n",
            "0".repeat(40)
        ),
    );
    let (ours, reference) = both_fail(&wrong);
    assert!(
        reference.contains("expected checksum to match"),
        "{reference}"
    );
    assert!(
        ours.contains("expected checksum to match"),
        "{ours} (the reference's: {reference})"
    );
}

#[test]
fn compressed_archives_and_symlinks() {
    let df = "FROM scratch\n\
              ADD archive.tar.gz /gz/\n\
              COPY archive.tar.gz /gz-copied/\n\
              COPY link-to-a /followed\n\
              COPY linkdir/ /through-dir-link/\n\
              COPY . /all/\n\
              ADD --link archive.tar.gz /gz-linked/\n";
    let ctx = sample_context("archives-symlinks", df);
    let staging = ctx.path().join("tar-src");
    fs::create_dir_all(staging.join("inside")).unwrap_or_else(|e| panic!("{e}"));
    fs::write(staging.join("inside/t.txt"), "T\n").unwrap_or_else(|e| panic!("{e}"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(ctx.path().join("archive.tar.gz"))
        .arg("-C")
        .arg(&staging)
        .arg("inside")
        .status()
        .unwrap_or_else(|e| panic!("tar: {e}"));
    assert!(status.success());
    fs::remove_dir_all(&staging).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("a", ctx.path().join("link-to-a")).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("dir", ctx.path().join("linkdir")).unwrap_or_else(|e| panic!("{e}"));
    let t = same_tree(&ctx, |b| b);
    assert_eq!(content(&t, "gz/inside/t.txt"), "T\n");
    assert!(t.contains_key("gz-copied/archive.tar.gz"));
    assert_eq!(content(&t, "gz-linked/inside/t.txt"), "T\n");
    assert_eq!(
        content(&t, "followed"),
        "A\n",
        "the source path itself is followed"
    );
    assert_eq!(content(&t, "through-dir-link/x"), "X\n");
    assert_eq!(
        file(&t, "all/link-to-a"),
        &Entry::Symlink { target: "a".into() },
        "links inside a copied directory stay links"
    );
}
