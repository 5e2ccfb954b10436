//! Daemons of a test's own: fresh `buildkitd`s on loopback TCP (as remote machines are
//! reached), each with its own state, beside the environment's daemon and sharing its
//! registry; and buildx builders made of them (remote driver, one node per daemon). A daemon
//! stops, and its state goes, when dropped.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::context::nonce;
use crate::env::{buildx, env, Buildx};
use crate::process::run_with_timeout;

/// A buildkitd started by the test, answering on `tcp://127.0.0.1:PORT`.
#[derive(Debug)]
pub struct Daemon {
    pub name: String,
    /// `tcp://127.0.0.1:PORT`.
    pub addr: String,
    dir: PathBuf,
    child: Child,
}

impl Daemon {
    /// Starts a daemon with an empty state: it has never seen an image, a frontend or a cache.
    #[track_caller]
    pub fn start(name: &str) -> Daemon {
        let env = env();
        // Short: the daemon's unix sockets live under its root.
        let dir = std::env::temp_dir().join(format!("dfrs-{name}-{}", nonce()));
        fs::create_dir_all(dir.join("root"))
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let port = free_port();
        let addr = format!("tcp://127.0.0.1:{port}");
        let config = format!(
            "root = {root:?}\n\
             [grpc]\n  address = [{addr:?}]\n\
             [worker.oci]\n  enabled = true\n  snapshotter = \"overlayfs\"\n\
             [worker.containerd]\n  enabled = false\n\
             [registry.{registry:?}]\n  http = true\n  insecure = true\n",
            root = dir.join("root").display().to_string(),
            registry = env.registry,
        );
        let config_file = dir.join("buildkitd.toml");
        fs::write(&config_file, config).unwrap_or_else(|e| panic!("writing the config: {e}"));
        let log = fs::File::create(dir.join("buildkitd.log"))
            .unwrap_or_else(|e| panic!("creating the daemon's log: {e}"));
        let child = Command::new(&env.buildkitd)
            .arg("--config")
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", env.buildkitd.display()));
        let daemon = Daemon {
            name: name.to_string(),
            addr,
            dir,
            child,
        };
        daemon.wait_ready(Duration::from_secs(60));
        daemon
    }

    #[track_caller]
    fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let ok = self
                .buildctl(&["debug", "workers"])
                .is_ok_and(|out| !out.trim().is_empty());
            if ok {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "buildkitd {} did not answer on {} within {timeout:?}:\n{}",
                    self.name,
                    self.addr,
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `buildctl --addr ADDR ARGS`: its stdout, or its stderr as the error.
    pub fn buildctl(&self, args: &[&str]) -> Result<String, String> {
        let out = run_with_timeout(
            Command::new(&env().buildctl)
                .arg("--addr")
                .arg(&self.addr)
                .args(args),
            Duration::from_secs(60),
        )
        .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(out.stderr)
        }
    }

    /// The daemon's build records, oldest first (`buildctl debug histories`).
    #[track_caller]
    pub fn histories(&self) -> Vec<Value> {
        let out = self
            .buildctl(&["debug", "histories", "--format", "{{json .}}"])
            .unwrap_or_else(|e| panic!("buildctl debug histories on {}: {e}", self.name));
        let mut records: Vec<Value> = out
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| v["record"].clone())
            .filter(|r| !r.is_null())
            .collect();
        records.sort_by_key(|r| r["CreatedAt"]["seconds"].as_i64().unwrap_or_default());
        records
    }

    /// The end of the daemon's log.
    pub fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("buildkitd.log")).unwrap_or_default();
        let start = log.len().saturating_sub(4096);
        log.get(start..).unwrap_or_default().to_string()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SIGTERM: buildkitd unmounts and closes its databases before it exits.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::env::var("DFRS_KEEP").as_deref() != Ok("1") {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A port free on loopback now (the daemon binds it right after).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}

/// A buildx builder of the test's own over `nodes`, each `(daemon, platform)` one node of the
/// remote driver pinned to its platform (`buildx create`, then `buildx create --append`). Its
/// state is in a directory of its own, removed on drop with the builder.
#[derive(Debug)]
pub struct Builder {
    pub buildx: Buildx,
}

impl Builder {
    #[track_caller]
    pub fn new(name: &str, nodes: &[(&Daemon, &str)]) -> Builder {
        let bin = buildx().binary.clone();
        let config = std::env::temp_dir().join(format!("dfrs-buildx-{name}-{}", nonce()));
        fs::create_dir_all(&config).unwrap_or_else(|e| panic!("{}: {e}", config.display()));
        let builder = format!("{name}-{}", nonce());
        for (i, (daemon, platform)) in nodes.iter().enumerate() {
            let mut cmd = Command::new(&bin);
            cmd.env("DOCKER_CONFIG", &config)
                .env_remove("BUILDX_BUILDER")
                .args(["create", "--name", &builder, "--driver", "remote"])
                .args(["--node", &format!("{builder}-{i}")])
                .args(["--platform", platform]);
            if i > 0 {
                cmd.arg("--append");
            }
            cmd.arg(&daemon.addr);
            let out = run_with_timeout(&mut cmd, Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("buildx create: {e}"));
            assert!(
                out.status.success(),
                "buildx create ({} on {}) failed: {}",
                daemon.name,
                daemon.addr,
                out.stderr
            );
        }
        let out = run_with_timeout(
            Command::new(&bin).env("DOCKER_CONFIG", &config).args([
                "inspect",
                "--bootstrap",
                &builder,
            ]),
            Duration::from_secs(120),
        )
        .unwrap_or_else(|e| panic!("buildx inspect: {e}"));
        assert!(
            out.status.success(),
            "buildx inspect --bootstrap {builder} failed: {}",
            out.stderr
        );
        Builder {
            buildx: Buildx {
                binary: bin,
                docker_config: config,
                builder,
            },
        }
    }

    /// `buildx inspect` of the builder, as printed.
    pub fn inspect(&self) -> String {
        run_with_timeout(
            Command::new(&self.buildx.binary)
                .env("DOCKER_CONFIG", &self.buildx.docker_config)
                .args(["inspect", &self.buildx.builder]),
            Duration::from_secs(60),
        )
        .map(|o| o.stdout)
        .unwrap_or_default()
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.buildx.docker_config);
    }
}
