//! Sources a build fetches from the test machine: a directory over HTTP ([`HttpServer`]), a bare
//! git repository to serve with it ([`git_bare_repo`]).

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A python HTTP server on a free 127.0.0.1 port serving a directory (`http.server`'s
/// `SimpleHTTPRequestHandler`), stopped when dropped.
#[derive(Debug)]
pub struct HttpServer {
    child: Child,
    port: u16,
}

/// `python3 -c SERVER PORT DIR LAST_MODIFIED`: `python3 -m http.server`, with the Last-Modified
/// header left out of the responses when LAST_MODIFIED is `0`.
const SERVER: &str = r#"
import functools, http.server, sys
port, root, lm = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
class H(http.server.SimpleHTTPRequestHandler):
    def send_header(self, k, v):
        if k.lower() == "last-modified" and not lm:
            return
        super().send_header(k, v)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(H, directory=root)).serve_forever()
"#;

impl HttpServer {
    /// Serves `dir`; responses carry Last-Modified (the file's modification time).
    #[track_caller]
    pub fn serve(dir: &Path) -> HttpServer {
        HttpServer::start(dir, true)
    }

    /// Serves `dir` with no Last-Modified header in the responses.
    #[track_caller]
    pub fn serve_without_last_modified(dir: &Path) -> HttpServer {
        HttpServer::start(dir, false)
    }

    #[track_caller]
    fn start(dir: &Path, last_modified: bool) -> HttpServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let child = Command::new("python3")
            .args(["-c", SERVER, &port.to_string()])
            .arg(dir)
            .arg(if last_modified { "1" } else { "0" })
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3: {e}"));
        // Dropped (killing the child) if the wait below fails.
        let server = HttpServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the http server for {} does not listen on 127.0.0.1:{port} after 20s",
                dir.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `http://127.0.0.1:PORT/PATH`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
