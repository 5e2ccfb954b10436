//! The running environment started by `tests/env/up.sh` (buildkitd, registry, buildx), read
//! once, and checks on the daemon.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::frontend::{mode, Mode};
use crate::process::{descendants, mounts_under, poll, read_from, run_with_timeout, Proc};
use crate::registry::{split_ref, MANIFEST_ACCEPT};

/// The running environment started by `tests/env/up.sh`.
#[derive(Debug, Clone)]
pub struct Env {
    pub run_dir: PathBuf,
    pub buildkit_host: String,
    pub buildctl: PathBuf,
    /// The buildkitd binary the environment runs (for tests that start daemons of their own).
    pub buildkitd: PathBuf,
    /// `127.0.0.1:PORT`, plain HTTP.
    pub registry: String,
    /// `$registry/busybox:latest`: busybox for linux/amd64 (and linux/arm64 when multiarch).
    pub base_image: String,
    /// Our frontend as a gateway image, `$registry/dockerfile-rs:test`.
    pub frontend_image: String,
    /// BuildKit's frontend as a gateway image, if `tests/env/build-reference.sh RUN_DIR` ran.
    pub reference_image: Option<String>,
    pub multiarch: bool,
    pub multiarch_error: String,
    /// The buildx client with a builder for this daemon (remote driver), if up.sh set it up.
    pub buildx: Option<Buildx>,
    /// Why there is no buildx, when there is none.
    pub buildx_error: String,
}

/// buildx without a Docker engine: a `remote` builder on the environment's buildkitd, its
/// state in its own `DOCKER_CONFIG` directory.
#[derive(Debug, Clone)]
pub struct Buildx {
    pub binary: PathBuf,
    pub docker_config: PathBuf,
    pub builder: String,
}

const ENV_HELP: &str = "The end-to-end tests need a running BuildKit environment. Run them with \
`tests/run.sh` (starts one and stops it afterwards), or start one with `tests/env/up.sh RUN_DIR` \
and run `DFRS_ENV=RUN_DIR cargo test -p e2e`. See docs/testing.md.";

/// The environment, read once. Panics with instructions when there is none.
#[track_caller]
pub fn env() -> &'static Env {
    static ENV: OnceLock<Result<Env, String>> = OnceLock::new();
    match ENV.get_or_init(load_env) {
        Ok(env) => env,
        Err(e) => panic!("{e}\n{ENV_HELP}"),
    }
}

fn load_env() -> Result<Env, String> {
    let mut vars: HashMap<String, String> = std::env::vars().collect();
    if let Ok(dir) = std::env::var("DFRS_ENV") {
        let file = Path::new(&dir).join("env");
        let text = fs::read_to_string(&file)
            .map_err(|e| format!("DFRS_ENV={dir}: cannot read {}: {e}", file.display()))?;
        vars.extend(parse_env_file(&text));
    }
    let get = |k: &str| -> Result<String, String> {
        vars.get(k)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| format!("{k} is not set: no end-to-end environment is loaded."))
    };
    let env = Env {
        run_dir: PathBuf::from(get("DFRS_RUN_DIR")?),
        buildkit_host: get("BUILDKIT_HOST")?,
        buildctl: PathBuf::from(get("DFRS_BUILDCTL")?),
        buildkitd: PathBuf::from(get("DFRS_BUILDKITD")?),
        registry: get("DFRS_REGISTRY")?,
        base_image: get("DFRS_BASE_IMAGE")?,
        frontend_image: get("DFRS_FRONTEND_IMAGE")?,
        reference_image: vars
            .get("DFRS_REFERENCE_IMAGE")
            .filter(|v| !v.is_empty())
            .cloned(),
        multiarch: vars.get("DFRS_MULTIARCH").map(String::as_str) == Some("1"),
        multiarch_error: vars
            .get("DFRS_MULTIARCH_ERROR")
            .cloned()
            .unwrap_or_default(),
        buildx: vars
            .get("DFRS_BUILDX")
            .filter(|v| !v.is_empty())
            .map(|b| Buildx {
                binary: PathBuf::from(b),
                docker_config: PathBuf::from(
                    vars.get("DFRS_BUILDX_CONFIG").cloned().unwrap_or_default(),
                ),
                builder: vars
                    .get("DFRS_BUILDX_BUILDER")
                    .cloned()
                    .unwrap_or_else(|| "dfrs".into()),
            }),
        buildx_error: vars
            .get("DFRS_BUILDX_ERROR")
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| {
                "DFRS_BUILDX is not set: tests/env/up.sh did not set up buildx".into()
            }),
    };
    // Fail fast and clearly if the daemon is gone, rather than with a buildctl error per test.
    let out = run_with_timeout(
        Command::new(&env.buildctl).args(["--addr", &env.buildkit_host, "debug", "workers"]),
        Duration::from_secs(30),
    )
    .map_err(|e| format!("cannot run {}: {e}", env.buildctl.display()))?;
    if !out.status.success() {
        return Err(format!(
            "buildkitd at {} does not answer (`buildctl debug workers` failed: {}). Is the \
             environment in {} still running?",
            env.buildkit_host,
            out.stderr.trim(),
            env.run_dir.display()
        ));
    }
    let (image, how_to_build) = match mode() {
        Mode::Reference => return Ok(env),
        Mode::Ours => (
            Some(&env.frontend_image),
            "tests/env/build-frontend-image.sh",
        ),
        Mode::ReferenceImage => (env.reference_image.as_ref(), "tests/env/build-reference.sh"),
    };
    let found = image.is_some_and(|image| {
        let (registry, repo, reference) = split_ref(image);
        Command::new("curl")
            .args(["-fsS", "-o", "/dev/null", "--max-time", "10", "-H"])
            .arg(format!("Accept: {MANIFEST_ACCEPT}"))
            .arg(format!("http://{registry}/v2/{repo}/manifests/{reference}"))
            .status()
            .is_ok_and(|s| s.success())
    });
    if !found {
        return Err(format!(
            "the frontend image under test ({}, DFRS_FRONTEND={:?}) is not in the registry: \
             build it with `{how_to_build} {}` (or test BuildKit's built-in frontend with \
             DFRS_FRONTEND=reference).",
            image.map_or("not built", String::as_str),
            mode(),
            env.run_dir.display()
        ));
    }
    Ok(env)
}

/// Parses the `export KEY=VALUE` lines that up.sh writes (values quoted by bash's `%q`).
fn parse_env_file(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.push((k.to_string(), unquote_shell(v)));
        }
    }
    out
}

fn unquote_shell(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Panics with the recorded reason unless multi-platform builds (linux/arm64 under emulation)
/// work in this environment.
#[track_caller]
pub fn require_multiarch() {
    let env = env();
    if !env.multiarch {
        panic!(
            "this test needs multi-platform builds (linux/arm64 under qemu-user emulation), which \
             tests/env/up.sh could not set up: {}",
            env.multiarch_error
        );
    }
}

/// Fails the test if buildkitd no longer answers (`buildctl debug workers`): a build must never
/// take the shared daemon down.
#[track_caller]
pub fn assert_daemon_answers() {
    let env = env();
    let out = run_with_timeout(
        Command::new(&env.buildctl).args(["--addr", &env.buildkit_host, "debug", "workers"]),
        Duration::from_secs(30),
    )
    .unwrap_or_else(|e| panic!("cannot run {}: {e}", env.buildctl.display()));
    if !out.status.success() {
        let log = read_from(&env.run_dir.join("buildkitd.log"), 0, 8 * 1024);
        panic!(
            "buildkitd no longer answers after the build (buildctl debug workers: {}):\n{}\ndaemon log tail:\n{log}",
            out.status, out.stderr
        );
    }
}

/// The pid of the environment's buildkitd (`RUN_DIR/buildkitd.pid`).
#[track_caller]
pub fn daemon_pid() -> u32 {
    let file = env().run_dir.join("buildkitd.pid");
    fs::read_to_string(&file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {}", file.display()))
}

/// The daemon's state directory (`root` in `RUN_DIR/buildkitd.toml`): its snapshots, and the
/// mounts of running steps and frontends.
pub fn daemon_root() -> PathBuf {
    let run_dir = &env().run_dir;
    fs::read_to_string(run_dir.join("buildkitd.toml"))
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let v = l
                    .trim()
                    .strip_prefix("root")?
                    .trim_start()
                    .strip_prefix('=')?;
                Some(PathBuf::from(v.trim().trim_matches('"')))
            })
        })
        .unwrap_or_else(|| run_dir.join("buildkit-root"))
}

/// What a build can leave behind in the daemon: processes under buildkitd (runc, a frontend,
/// a step's command) and mounts under its root directory.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub processes: Vec<Proc>,
    pub mounts: Vec<String>,
}

impl Leftovers {
    pub fn now() -> Leftovers {
        Leftovers {
            processes: descendants(daemon_pid()),
            mounts: mounts_under(&daemon_root()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.processes.is_empty() && self.mounts.is_empty()
    }
}

/// Fails the test unless, within `grace`, buildkitd runs no process and holds no mount under
/// its root: what an idle daemon looks like once every build has ended. Only meaningful while
/// no other build runs on the daemon.
#[track_caller]
pub fn assert_daemon_idle(grace: Duration, after: &str) {
    let clean = poll(grace, Duration::from_millis(200), || {
        Leftovers::now().is_empty().then_some(())
    });
    if clean.is_none() {
        let left = Leftovers::now();
        panic!(
            "{after}: buildkitd still has, {:.0}s later, processes {:#?} and mounts {:#?}",
            grace.as_secs_f64(),
            left.processes,
            left.mounts
        );
    }
}

/// The buildx of the environment; panics saying why there is none.
#[track_caller]
pub fn buildx() -> &'static Buildx {
    let env = env();
    match &env.buildx {
        Some(b) => b,
        None => panic!(
            "this test needs buildx, which tests/env/up.sh could not set up: {}",
            env.buildx_error
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_env_file() {
        let vars = parse_env_file(
            "# comment\nexport A=/x/y\nexport B=''\nexport C=a\\ b\nexport D='it'\\''s'\n",
        );
        assert_eq!(
            vars,
            vec![
                ("A".into(), "/x/y".into()),
                ("B".into(), "".into()),
                ("C".into(), "a b".into()),
                ("D".into(), "it's".into())
            ]
        );
    }
}
