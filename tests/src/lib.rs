//! Harness for the end-to-end tests: builds Dockerfiles with a real `buildkitd` through
//! `buildctl`, with our frontend image or BuildKit's reference frontend, and inspects the
//! results (local output directories, images pushed to the local registry, the plain progress
//! log).
//!
//! The environment comes from `tests/env/up.sh RUN_DIR` (see `docs/testing.md`): either its
//! variables are in the process environment (`tests/run.sh` sources `RUN_DIR/env`), or
//! `DFRS_ENV=RUN_DIR` points at it. Without one, every test fails saying how to start it;
//! nothing is skipped.
//!
//! `DFRS_FRONTEND` picks the frontend under test:
//! - `ours` (default): `--frontend gateway.v0 --opt source=$DFRS_FRONTEND_IMAGE`
//! - `reference`: `--frontend dockerfile.v0`, the Dockerfile frontend built into buildkitd.
//! - `reference-image`: BuildKit's frontend at the same release as a gateway image, run
//!   exactly like ours (`tests/env/build-reference.sh RUN_DIR` pushes it).
//!
//! Tests run in parallel threads against one daemon: every helper makes unique temp dirs and
//! image names, and tests put a [`nonce`] in their Dockerfiles where cache hits from another
//! test would change what they measure.

// A test harness reports failures by panicking, with a message saying what went wrong.
#![allow(clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use serde_json::Value;

/// How long one `buildctl build` may take before the harness kills it and fails the test.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(300);

/// The running environment started by `tests/env/up.sh`.
#[derive(Debug, Clone)]
pub struct Env {
    pub run_dir: PathBuf,
    pub buildkit_host: String,
    pub buildctl: PathBuf,
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

/// Which Dockerfile frontend the tests exercise (`DFRS_FRONTEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Our frontend image through `gateway.v0`.
    Ours,
    /// BuildKit's own Dockerfile frontend, built into buildkitd (`dockerfile.v0`).
    Reference,
    /// BuildKit's own Dockerfile frontend as a gateway image (`$DFRS_REFERENCE_IMAGE`), run
    /// the way ours is.
    ReferenceImage,
}

/// The frontend under test, from `DFRS_FRONTEND` (`ours`, the default, `reference` or
/// `reference-image`).
pub fn mode() -> Mode {
    match std::env::var("DFRS_FRONTEND").as_deref() {
        Err(_) | Ok("") | Ok("ours") => Mode::Ours,
        Ok("reference") => Mode::Reference,
        Ok("reference-image") => Mode::ReferenceImage,
        Ok(other) => {
            panic!("DFRS_FRONTEND={other:?}: expected `ours`, `reference` or `reference-image`")
        }
    }
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
        let root = temp_root().join(format!("{name}-{}", nonce()));
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

/// How the build reaches a Dockerfile frontend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frontend {
    /// `--frontend gateway.v0 --opt source=IMAGE`.
    Gateway(String),
    /// `--frontend dockerfile.v0`: the built-in frontend (which itself forwards to the image
    /// named by a `# syntax=` line).
    Builtin,
}

impl Frontend {
    /// The frontend under test: a gateway image (ours or the reference's), or the built-in
    /// reference.
    pub fn under_test() -> Frontend {
        match gateway_image_under_test() {
            Some(image) => Frontend::Gateway(image.to_string()),
            None => Frontend::Builtin,
        }
    }
}

/// The gateway image under test: `$DFRS_FRONTEND_IMAGE` (ours), `$DFRS_REFERENCE_IMAGE`
/// (reference-image), or none (reference: the built-in frontend).
pub fn gateway_image_under_test() -> Option<&'static str> {
    let env = env();
    match mode() {
        Mode::Ours => Some(&env.frontend_image),
        Mode::ReferenceImage => env.reference_image.as_deref(),
        Mode::Reference => None,
    }
}

/// The first line to put in a Dockerfile that must go through the frontend under test via the
/// `# syntax=` directive: `# syntax=IMAGE` for a gateway image, nothing for the built-in
/// reference (which is the frontend `dockerfile.v0` runs anyway).
pub fn syntax_line() -> String {
    match gateway_image_under_test() {
        Some(image) => format!("# syntax={image}\n"),
        None => String::new(),
    }
}

#[derive(Debug, Clone)]
enum Output {
    None,
    Local(PathBuf),
    Image(String),
    OciDir(PathBuf),
}

/// One `buildctl build` to run: set options, then [`Build::run`].
#[derive(Debug)]
pub struct Build<'a> {
    ctx: &'a Context,
    frontend: Frontend,
    opts: Vec<String>,
    /// Other `buildctl build` arguments (`--secret`, `--ssh`, `--allow`, `--local`,
    /// `--import-cache`, …).
    extra_args: Vec<String>,
    /// Replace the default `--local dockerfile=<context>`.
    dockerfile_dir: Option<PathBuf>,
    /// Replace the default `--local context=<context>`.
    context_dir: Option<PathBuf>,
    output: Output,
    timeout: Duration,
}

impl<'a> Build<'a> {
    pub fn new(ctx: &'a Context) -> Build<'a> {
        Build {
            ctx,
            frontend: Frontend::under_test(),
            opts: Vec::new(),
            extra_args: Vec::new(),
            dockerfile_dir: None,
            context_dir: None,
            output: Output::None,
            timeout: BUILD_TIMEOUT,
        }
    }

    /// Use this frontend instead of the one under test.
    pub fn frontend(mut self, frontend: Frontend) -> Self {
        self.frontend = frontend;
        self
    }

    /// `--opt KEY=VALUE` (e.g. `target=builder`, `build-arg:X=1`, `platform=linux/arm64`).
    pub fn opt(mut self, key: &str, value: &str) -> Self {
        self.opts.push(format!("{key}={value}"));
        self
    }

    /// `--local NAME=DIR`: another local directory the build may read (e.g. for a
    /// `context:X=local:NAME` named context).
    pub fn local(mut self, name: &str, dir: &Path) -> Self {
        self.extra_args
            .extend(["--local".into(), format!("{name}={}", dir.display())]);
        self
    }

    /// `--oci-layout NAME=DIR`: an OCI layout directory the build may read.
    pub fn oci_layout(mut self, name: &str, dir: &Path) -> Self {
        self.extra_args
            .extend(["--oci-layout".into(), format!("{name}={}", dir.display())]);
        self
    }

    /// Export the result as an OCI layout directory (`type=oci,tar=false`) at `dir`.
    pub fn output_oci_dir(mut self, dir: &Path) -> Self {
        self.output = Output::OciDir(dir.to_path_buf());
        self
    }

    pub fn target(self, target: &str) -> Self {
        self.opt("target", target)
    }

    pub fn build_arg(self, name: &str, value: &str) -> Self {
        self.opt(&format!("build-arg:{name}"), value)
    }

    /// Raw `buildctl build` arguments, e.g. `.args(["--import-cache", "type=local,src=DIR"])`.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.extra_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The `dockerfile` local is this directory instead of the context.
    pub fn dockerfile_dir(mut self, dir: &Path) -> Self {
        self.dockerfile_dir = Some(dir.to_path_buf());
        self
    }

    /// The `context` local (and, unless set otherwise, `dockerfile`) is this directory, e.g.
    /// the repository itself, instead of the test's temp context.
    pub fn context_dir(mut self, dir: &Path) -> Self {
        self.context_dir = Some(dir.to_path_buf());
        self
    }

    /// `--secret SPEC` (e.g. `id=mysecret,src=FILE`): a secret the build may mount.
    pub fn secret(mut self, spec: &str) -> Self {
        self.extra_args.extend(["--secret".into(), spec.into()]);
        self
    }

    /// `--ssh SPEC` (e.g. `default=SOCKET`): an ssh agent socket the build may mount.
    pub fn ssh(mut self, spec: &str) -> Self {
        self.extra_args.extend(["--ssh".into(), spec.into()]);
        self
    }

    /// `--allow ENTITLEMENT` (`network.host`, `security.insecure`).
    pub fn allow(mut self, entitlement: &str) -> Self {
        self.extra_args
            .extend(["--allow".into(), entitlement.into()]);
        self
    }

    /// Export the result to a fresh local directory (`BuildResult::out_dir`).
    pub fn output_local(mut self) -> Self {
        self.output = Output::Local(self.ctx.new_output_dir());
        self
    }

    /// Export the result as an image pushed to the local registry under `name`.
    pub fn output_image(mut self, name: &str) -> Self {
        self.output = Output::Image(name.to_string());
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs `buildctl build --progress=plain ...` and returns what happened (never panics on a
    /// failed build: see [`BuildResult::assert_ok`] and [`BuildResult::assert_failed`]).
    #[track_caller]
    pub fn run(self) -> BuildResult {
        let env = env();
        let ctx_dir = self
            .context_dir
            .as_deref()
            .unwrap_or(self.ctx.path())
            .display()
            .to_string();
        let mut args: Vec<String> = vec![
            "--addr".into(),
            env.buildkit_host.clone(),
            "build".into(),
            "--progress=plain".into(),
        ];
        match &self.frontend {
            Frontend::Gateway(image) => {
                args.extend(["--frontend".into(), "gateway.v0".into()]);
                args.extend(["--opt".into(), format!("source={image}")]);
            }
            Frontend::Builtin => args.extend(["--frontend".into(), "dockerfile.v0".into()]),
        }
        args.extend(["--local".into(), format!("context={ctx_dir}")]);
        let dockerfile_dir = self
            .dockerfile_dir
            .as_ref()
            .map_or(ctx_dir.clone(), |d| d.display().to_string());
        args.extend(["--local".into(), format!("dockerfile={dockerfile_dir}")]);
        for o in &self.opts {
            args.extend(["--opt".into(), o.clone()]);
        }
        args.extend(self.extra_args.iter().cloned());
        match &self.output {
            Output::None => {}
            Output::Local(dir) => args.extend([
                "--output".into(),
                format!("type=local,dest={}", dir.display()),
            ]),
            Output::Image(name) => args.extend([
                "--output".into(),
                format!("type=image,name={name},push=true,registry.insecure=true"),
            ]),
            Output::OciDir(dir) => args.extend([
                "--output".into(),
                format!("type=oci,tar=false,dest={}", dir.display()),
            ]),
        }

        let daemon_log = env.run_dir.join("buildkitd.log");
        let log_start = fs::metadata(&daemon_log).map(|m| m.len()).unwrap_or(0);
        let started = Instant::now();
        let out = run_with_timeout(Command::new(&env.buildctl).args(&args), self.timeout)
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", env.buildctl.display()));
        let elapsed = started.elapsed();
        // Our frontend's own stderr only shows in the daemon's log.
        let daemon_log_tail = if out.status.success() || gateway_image_under_test().is_none() {
            String::new()
        } else {
            read_from(&daemon_log, log_start, 8 * 1024)
        };
        BuildResult {
            command: format!("{} {}", env.buildctl.display(), shell_join(&args)),
            frontend: self.frontend,
            status: out.status,
            timed_out: out.timed_out,
            stdout: out.stdout,
            stderr: out.stderr,
            elapsed,
            out_dir: match &self.output {
                Output::Local(d) => Some(d.clone()),
                _ => None,
            },
            image: match &self.output {
                Output::Image(n) => Some(n.clone()),
                _ => None,
            },
            daemon_log_tail,
        }
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

/// One `buildx build` to run. buildx always starts BuildKit's built-in Dockerfile frontend;
/// to reach a gateway image under test it passes `--build-arg BUILDKIT_SYNTAX=IMAGE`, which
/// the built-in frontend forwards (like a `# syntax=` line; see [`BuildxBuild::no_syntax_arg`]).
#[derive(Debug)]
pub struct BuildxBuild<'a> {
    ctx: &'a Context,
    args: Vec<String>,
    syntax_arg: bool,
    out_dir: Option<PathBuf>,
    image: Option<String>,
    timeout: Duration,
}

impl<'a> BuildxBuild<'a> {
    pub fn new(ctx: &'a Context) -> BuildxBuild<'a> {
        BuildxBuild {
            ctx,
            args: Vec::new(),
            syntax_arg: true,
            out_dir: None,
            image: None,
            timeout: BUILD_TIMEOUT,
        }
    }

    /// Any `buildx build` argument(s), e.g. `.arg("--no-cache")`, `.args(["--call", "outline"])`.
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn build_arg(self, name: &str, value: &str) -> Self {
        self.args(["--build-arg".to_string(), format!("{name}={value}")])
    }

    pub fn target(self, target: &str) -> Self {
        self.args(["--target", target])
    }

    /// Don't pass `BUILDKIT_SYNTAX`: the Dockerfile's own `# syntax=` line (or none) decides.
    pub fn no_syntax_arg(mut self) -> Self {
        self.syntax_arg = false;
        self
    }

    /// `--output type=local,dest=<fresh dir>` (`BuildResult::out_dir`).
    pub fn output_local(mut self) -> Self {
        let dir = self.ctx.new_output_dir();
        self.args.extend([
            "--output".to_string(),
            format!("type=local,dest={}", dir.display()),
        ]);
        self.out_dir = Some(dir);
        self
    }

    /// `--output type=image,name=NAME,push=true` to the local registry.
    pub fn output_image(mut self, name: &str) -> Self {
        self.args.extend([
            "--output".to_string(),
            format!("type=image,name={name},push=true,registry.insecure=true"),
        ]);
        self.image = Some(name.to_string());
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs `buildx --builder dfrs build --progress=plain ARGS CONTEXT`.
    #[track_caller]
    pub fn run(self) -> BuildResult {
        let env = env();
        let bx = buildx();
        let mut args: Vec<String> = vec![
            "--builder".into(),
            bx.builder.clone(),
            "build".into(),
            "--progress=plain".into(),
        ];
        if self.syntax_arg {
            if let Some(image) = gateway_image_under_test() {
                args.extend(["--build-arg".into(), format!("BUILDKIT_SYNTAX={image}")]);
            }
        }
        args.extend(self.args.iter().cloned());
        args.push(self.ctx.path().display().to_string());

        let daemon_log = env.run_dir.join("buildkitd.log");
        let log_start = fs::metadata(&daemon_log).map(|m| m.len()).unwrap_or(0);
        let started = Instant::now();
        let out = run_with_timeout(
            Command::new(&bx.binary)
                .args(&args)
                .env("DOCKER_CONFIG", &bx.docker_config)
                .env_remove("BUILDX_BUILDER"),
            self.timeout,
        )
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bx.binary.display()));
        let elapsed = started.elapsed();
        let daemon_log_tail = if out.status.success() || gateway_image_under_test().is_none() {
            String::new()
        } else {
            read_from(&daemon_log, log_start, 8 * 1024)
        };
        BuildResult {
            command: format!(
                "DOCKER_CONFIG={} {} {}",
                bx.docker_config.display(),
                bx.binary.display(),
                shell_join(&args)
            ),
            frontend: Frontend::under_test(),
            status: out.status,
            timed_out: out.timed_out,
            stdout: out.stdout,
            stderr: out.stderr,
            elapsed,
            out_dir: self.out_dir,
            image: self.image,
            daemon_log_tail,
        }
    }
}

fn shell_join(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Up to `max` bytes of a file from `offset` on (the end of it if there is more).
fn read_from(path: &Path, offset: u64, max: u64) -> String {
    let Ok(mut f) = fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = offset.max(len.saturating_sub(max));
    if f.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    let _ = f.take(max).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// What a finished `buildctl build` did.
#[derive(Debug)]
pub struct BuildResult {
    pub command: String,
    pub frontend: Frontend,
    pub status: ExitStatus,
    pub timed_out: bool,
    pub stdout: String,
    /// The plain progress log (and buildctl's error, last).
    pub stderr: String,
    pub elapsed: Duration,
    /// The `type=local` export directory.
    pub out_dir: Option<PathBuf>,
    /// The pushed image name for a `type=image` export.
    pub image: Option<String>,
    /// What buildkitd logged during a failed build (our frontend's stderr ends up there).
    pub daemon_log_tail: String,
}

impl BuildResult {
    pub fn success(&self) -> bool {
        self.status.success() && !self.timed_out
    }

    /// Panics with the command, the frontend and the end of the log unless the build succeeded.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        if !self.success() {
            panic!("build failed, expected success\n{}", self.report());
        }
        self
    }

    /// Panics unless the build failed (and did not just time out).
    #[track_caller]
    pub fn assert_failed(&self) -> &Self {
        if self.success() {
            panic!("build succeeded, expected a failure\n{}", self.report());
        }
        if self.timed_out {
            panic!("build timed out, expected a failure\n{}", self.report());
        }
        self
    }

    /// Panics unless stderr contains every one of `needles` (ASCII case-insensitive).
    #[track_caller]
    pub fn assert_stderr_contains(&self, needles: &[&str]) -> &Self {
        let hay = self.stderr.to_ascii_lowercase();
        for n in needles {
            if !hay.contains(&n.to_ascii_lowercase()) {
                panic!("the build log does not contain {n:?}\n{}", self.report());
            }
        }
        self
    }

    /// The last line starting with `error:` that buildctl printed (`ERROR:` for buildx): the
    /// build's error message.
    pub fn error_message(&self) -> Option<&str> {
        self.stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("error:") || l.starts_with("ERROR:"))
    }

    /// The `Dockerfile:N` block a client prints for a located error: the file name and line,
    /// then the surrounding lines with `>>>` on the error's lines. Returns (header line, the
    /// `>>>` lines), or None when the log has no such block.
    pub fn error_location(&self) -> Option<(String, Vec<String>)> {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let sep = lines
            .iter()
            .position(|l| l.trim() == "--------------------")?;
        let header = lines.get(sep.checked_sub(1)?)?.trim().to_string();
        let marked = lines[sep + 1..]
            .iter()
            .take_while(|l| l.trim() != "--------------------")
            .filter_map(|l| l.split_once("| >>> ").map(|(_, text)| text.to_string()))
            .collect();
        Some((header, marked))
    }

    /// A human-readable account of the build for failure messages.
    pub fn report(&self) -> String {
        let mut s = String::new();
        let frontend = match &self.frontend {
            Frontend::Gateway(img) => format!("gateway image via gateway.v0 (source={img})"),
            Frontend::Builtin => "BuildKit's built-in dockerfile.v0".to_string(),
        };
        let _ = writeln!(s, "  DFRS_FRONTEND: {:?}; frontend: {frontend}", mode());
        let _ = writeln!(s, "  command: {}", self.command);
        let _ = writeln!(
            s,
            "  status: {}{} after {:.1}s",
            self.status,
            if self.timed_out {
                " (killed: timed out)"
            } else {
                ""
            },
            self.elapsed.as_secs_f64()
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        let from = lines.len().saturating_sub(80);
        let _ = writeln!(
            s,
            "  ---- buildctl output (last {} lines) ----",
            lines.len() - from
        );
        for l in &lines[from..] {
            let _ = writeln!(s, "  | {l}");
        }
        if !self.daemon_log_tail.is_empty() {
            let _ = writeln!(
                s,
                "  ---- buildkitd log during the build (a gateway frontend's own stderr lands \
                 here; other tests' lines may be mixed in) ----"
            );
            for l in self
                .daemon_log_tail
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .iter()
                .rev()
            {
                let _ = writeln!(s, "  | {l}");
            }
        }
        if matches!(self.frontend, Frontend::Gateway(_)) && !self.success() {
            let _ = writeln!(
                s,
                "  hint: `exit code: N` alone means the frontend process exited with an error \
                 before returning a result; see its stderr in the buildkitd log above. Compare \
                 with the reference: DFRS_FRONTEND=reference."
            );
        }
        s
    }

    /// The `type=local` output directory.
    #[track_caller]
    pub fn out_dir(&self) -> &Path {
        match self.out_dir.as_deref() {
            Some(d) => d,
            None => panic!("the build had no local output"),
        }
    }

    /// A file of the `type=local` output, as text.
    #[track_caller]
    pub fn read_output(&self, rel: &str) -> String {
        let path = self.out_dir().join(rel);
        match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => panic!(
                "cannot read {} from the build output: {e}\n{}",
                path.display(),
                self.report()
            ),
        }
    }

    /// The steps (vertices) of the plain progress log, in order of first appearance.
    pub fn steps(&self) -> Vec<Step> {
        parse_progress(&self.stderr)
    }

    /// The Dockerfile instruction steps (`[stage n/m] RUN ...`, `COPY`, `ADD`).
    pub fn instruction_steps(&self) -> Vec<Step> {
        self.steps()
            .into_iter()
            .filter(Step::is_instruction)
            .collect()
    }

    /// The pushed image's manifest and config, from the registry.
    #[track_caller]
    pub fn image(&self) -> Image {
        fetch_image(
            self.image
                .as_deref()
                .unwrap_or_else(|| panic!("the build had no image output")),
        )
    }
}

/// One vertex of the plain progress output (`#N name`, then `#N CACHED`/`DONE`/`ERROR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: u32,
    pub name: String,
    pub cached: bool,
    pub done: bool,
    pub error: bool,
}

impl Step {
    /// The text after a leading `[stage n/m] ` prefix.
    pub fn instruction(&self) -> &str {
        match self.name.strip_prefix('[') {
            Some(rest) => rest.split_once("] ").map_or(self.name.as_str(), |(_, r)| r),
            None => &self.name,
        }
    }

    /// The `stage` of a `[stage n/m]` prefix, if any.
    pub fn stage(&self) -> Option<&str> {
        let rest = self.name.strip_prefix('[')?;
        let (inside, _) = rest.split_once("] ")?;
        Some(inside.split_whitespace().next().unwrap_or(inside))
    }

    pub fn is_instruction(&self) -> bool {
        let i = self.instruction();
        ["RUN ", "COPY ", "ADD "].iter().any(|p| i.starts_with(p))
    }
}

/// Parses `buildctl --progress=plain` output into steps.
pub fn parse_progress(log: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut index: BTreeMap<u32, usize> = BTreeMap::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let (num, text) = rest.split_once(' ').unwrap_or((rest, ""));
        let Ok(id) = num.parse::<u32>() else { continue };
        let i = *index.entry(id).or_insert_with(|| {
            steps.push(Step {
                id,
                name: text.to_string(),
                cached: false,
                done: false,
                error: false,
            });
            steps.len() - 1
        });
        let step = &mut steps[i];
        if text == "CACHED" {
            step.cached = true;
        } else if text.starts_with("DONE") {
            step.done = true;
        } else if text.starts_with("ERROR") {
            step.error = true;
        }
    }
    steps
}

/// An image in the local registry: its (platform) manifest and its config.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: String,
    /// The index (or manifest list) if the tag points at one.
    pub index: Option<Value>,
    /// The linux/amd64 manifest.
    pub manifest: Value,
    pub config: Value,
}

impl Image {
    /// `config.config` of the image config (Env, Cmd, Entrypoint, ...), `Null` if absent.
    pub fn container_config(&self) -> &Value {
        &self.config["config"]
    }

    /// The `(platform, image config)` of every manifest of the index (just the one manifest
    /// when the tag is not an index; its platform then comes from the config).
    #[track_caller]
    pub fn platform_configs(&self) -> Vec<(Value, Value)> {
        let Some(index) = &self.index else {
            let p = serde_json::json!({"os": self.config["os"], "architecture": self.config["architecture"]});
            return vec![(p, self.config.clone())];
        };
        let (registry, repo, _) = split_ref(&self.name);
        let base = format!("http://{registry}/v2/{repo}");
        let entries = index["manifests"].as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .filter(|m| m["platform"]["os"] != "unknown")
            .map(|m| {
                let digest = m["digest"].as_str().unwrap_or_default();
                let manifest =
                    registry_json(&format!("{base}/manifests/{digest}"), Some(MANIFEST_ACCEPT));
                let config_digest = manifest["config"]["digest"].as_str().unwrap_or_default();
                let config = registry_json(&format!("{base}/blobs/{config_digest}"), None);
                (m["platform"].clone(), config)
            })
            .collect()
    }
}

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Splits `REGISTRY/repo/path:tag` (or `@digest`) into (registry, repo, reference).
fn split_ref(name: &str) -> (&str, &str, &str) {
    let (registry, rest) = name
        .split_once('/')
        .unwrap_or_else(|| panic!("bad image name {name}"));
    if let Some((repo, digest)) = rest.split_once('@') {
        return (registry, repo, digest);
    }
    match rest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (registry, repo, tag),
        _ => (registry, rest, "latest"),
    }
}

fn registry_get(url: &str, accept: Option<&str>) -> Vec<u8> {
    let mut cmd = Command::new("curl");
    cmd.args(["-fsSL", "--max-time", "30"]);
    if let Some(a) = accept {
        cmd.args(["-H", &format!("Accept: {a}")]);
    }
    cmd.arg(url);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    if !out.status.success() {
        panic!("GET {url} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.stdout
}

fn registry_json(url: &str, accept: Option<&str>) -> Value {
    let body = registry_get(url, accept);
    serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "GET {url}: not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    })
}

/// A JSON document of the image's repository in the local registry: a manifest (or index)
/// by tag or digest (`manifests/REF`), or a blob (`blobs/DIGEST`).
pub fn registry_document(name: &str, what: &str) -> Value {
    let (registry, repo, _) = split_ref(name);
    registry_json(
        &format!("http://{registry}/v2/{repo}/{what}"),
        Some(MANIFEST_ACCEPT),
    )
}

/// Fetches an image's manifest (the linux/amd64 one of an index) and config from the local
/// registry over HTTP.
#[track_caller]
pub fn fetch_image(name: &str) -> Image {
    let (registry, repo, reference) = split_ref(name);
    let base = format!("http://{registry}/v2/{repo}");
    let top = registry_json(
        &format!("{base}/manifests/{reference}"),
        Some(MANIFEST_ACCEPT),
    );
    let (index, manifest) = if top.get("manifests").is_some() {
        let entries = top["manifests"].as_array().cloned().unwrap_or_default();
        let entry = entries
            .iter()
            .find(|m| m["platform"]["os"] == "linux" && m["platform"]["architecture"] == "amd64")
            .unwrap_or_else(|| panic!("{name}: no linux/amd64 manifest in the index: {top}"));
        let digest = entry["digest"].as_str().unwrap_or_default();
        let m = registry_json(&format!("{base}/manifests/{digest}"), Some(MANIFEST_ACCEPT));
        (Some(top), m)
    } else {
        (None, top)
    };
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: manifest without config digest: {manifest}"));
    let config = registry_json(&format!("{base}/blobs/{config_digest}"), None);
    Image {
        name: name.to_string(),
        index,
        manifest,
        config,
    }
}

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

/// Runs a command that must succeed.
#[track_caller]
pub fn run_ok(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Output of a command run by [`run_with_timeout`].
#[derive(Debug)]
pub struct CmdOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

/// Runs a command, capturing its output; kills it (only that child) after `timeout`.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> std::io::Result<CmdOutput> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(CmdOutput {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        timed_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_progress() {
        let log = "#1 [internal] load build definition from Dockerfile\n\
                   #1 transferring dockerfile: 87B done\n#1 DONE 0.0s\n\n\
                   #5 [a 2/2] RUN sleep 2\n#5 CACHED\n\
                   #6 [final 2/3] COPY --from=a /a /a\n#6 0.12 hello\n#6 DONE 0.1s\n\
                   #5 [a 2/2] RUN sleep 2\n#7 [b 1/1] RUN false\n#7 ERROR: process failed\n";
        let steps = parse_progress(log);
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[1].name, "[a 2/2] RUN sleep 2");
        assert!(steps[1].cached && !steps[1].done);
        assert_eq!(steps[1].stage(), Some("a"));
        assert_eq!(steps[2].instruction(), "COPY --from=a /a /a");
        assert!(steps[2].done && !steps[2].cached);
        assert!(steps[3].error);
        assert!(!steps[0].is_instruction());
        assert!(steps[1].is_instruction() && steps[3].is_instruction());
    }

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

    #[test]
    fn splits_image_refs() {
        assert_eq!(
            split_ref("127.0.0.1:5000/e2e/x:latest"),
            ("127.0.0.1:5000", "e2e/x", "latest")
        );
        assert_eq!(
            split_ref("127.0.0.1:5000/x"),
            ("127.0.0.1:5000", "x", "latest")
        );
        assert_eq!(split_ref("r:1/x@sha256:ab"), ("r:1", "x", "sha256:ab"));
    }
}
