//! Files for a build: unique names, build contexts in temp directories, the repository.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::build::{Build, BuildxBuild};
use crate::env::env;

/// A string unique to this test process and call: put it in Dockerfiles (and image names) so
/// that parallel tests, and earlier runs against the same daemon, don't share cache entries.
pub fn nonce() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}{n}", std::process::id(), t % 0xffff_ffff)
}

/// A unique image name in the local registry, `REGISTRY/e2e/NAME-NONCE:latest`.
pub fn image_name(name: &str) -> String {
    format!("{}/e2e/{}-{}:latest", env().registry, name, nonce())
}

fn temp_root() -> PathBuf {
    env().run_dir.join("tmp")
}

/// A fresh directory `RUN_DIR/tmp/NAME-NONCE` (e.g. to serve over HTTP); it goes with the run
/// directory.
#[track_caller]
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = temp_root().join(format!("{name}-{}", nonce()));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A build context in a fresh temp directory (removed on drop unless `DFRS_KEEP=1`), with
/// room beside it for output directories.
#[derive(Debug)]
pub struct Context {
    root: PathBuf,
    dir: PathBuf,
    outputs: AtomicUsize,
}

impl Context {
    /// An empty context named after the test.
    #[track_caller]
    pub fn new(name: &str) -> Context {
        let root = temp_dir(name);
        let dir = root.join("context");
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Context {
            root,
            dir,
            outputs: AtomicUsize::new(0),
        }
    }

    /// A context holding `Dockerfile` with this text.
    #[track_caller]
    pub fn with_dockerfile(name: &str, dockerfile: &str) -> Context {
        let ctx = Context::new(name);
        ctx.write("Dockerfile", dockerfile);
        ctx
    }

    /// A context that is a copy of a directory of the repository (e.g. `examples/multistage`).
    pub fn from_repo_dir(name: &str, rel: &str) -> Context {
        let ctx = Context::new(name);
        copy_dir(&repo_root().join(rel), &ctx.dir);
        ctx
    }

    /// Writes (or overwrites) a file in the context, creating parent directories.
    #[track_caller]
    pub fn write(&self, rel: &str, contents: &str) -> &Self {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        self
    }

    pub fn read(&self, rel: &str) -> String {
        read(&self.dir.join(rel))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A new, not yet existing output directory beside the context.
    pub fn new_output_dir(&self) -> PathBuf {
        let n = self.outputs.fetch_add(1, Ordering::Relaxed);
        self.root.join(format!("out-{n}"))
    }

    /// A build of this context with the frontend under test (`DFRS_FRONTEND`).
    pub fn build(&self) -> Build<'_> {
        Build::new(self)
    }

    /// A `buildx build` of this context with the frontend under test.
    pub fn buildx(&self) -> BuildxBuild<'_> {
        BuildxBuild::new(self)
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if std::env::var("DFRS_KEEP").as_deref() != Ok("1") {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries =
        fs::read_dir(from).unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap_or_else(|e| panic!("cannot copy {}: {e}", src.display()));
        }
    }
}

/// Reads a file as UTF-8, panicking with its path.
pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
