//! Sources a build fetches from the test machine: a directory over HTTP, a bare git repository.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::run_ok;

/// A bare git repository at `ROOT/srv/repo.git` (serve `ROOT/srv` over plain HTTP: git's "dumb"
/// protocol) whose `main` holds `files`, committed (and authored) at `date` (RFC 3339).
#[track_caller]
pub fn git_bare_repo(root: &Path, files: &[(&str, &str)], date: &str) -> PathBuf {
    let work = root.join("work");
    fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    for (path, text) in files {
        let p = work.join(path);
        fs::create_dir_all(p.parent().unwrap_or(&work)).unwrap_or_else(|e| panic!("{e}"));
        fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    }
    let git = |dir: &Path| {
        let mut c = Command::new("git");
        c.current_dir(dir)
            .env("GIT_AUTHOR_NAME", "e2e")
            .env("GIT_AUTHOR_EMAIL", "e2e@example.com")
            .env("GIT_COMMITTER_NAME", "e2e")
            .env("GIT_COMMITTER_EMAIL", "e2e@example.com")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date);
        c
    };
    run_ok(git(&work).args(["init", "-q", "-b", "main"]));
    run_ok(git(&work).args(["add", "-A"]));
    run_ok(git(&work).args(["commit", "-q", "-m", "e2e"]));
    let bare = root.join("srv/repo.git");
    run_ok(
        git(root)
            .args(["clone", "-q", "--bare"])
            .arg(&work)
            .arg(&bare),
    );
    run_ok(git(&bare).args(["update-server-info"]));
    bare
}
