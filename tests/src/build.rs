//! Running a build: `buildctl build` ([`Build`]) and `buildx build` ([`BuildxBuild`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::env::{buildx, env, Buildx};
use crate::frontend::{gateway_image_under_test, Frontend};
use crate::process::{read_from, Running};
use crate::result::BuildResult;

/// How long one `buildctl build` may take before the harness kills it and fails the test.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(300);

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
    /// More attributes of the `--output` (`rewrite-timestamp=true`, …).
    output_attrs: Vec<String>,
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
            output_attrs: Vec::new(),
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

    /// Adds an attribute to the output (`rewrite-timestamp=true`, …).
    pub fn output_attr(mut self, attr: &str) -> Self {
        self.output_attrs.push(attr.to_string());
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
        self.start().finish()
    }

    /// Starts `buildctl build` in the background (e.g. to kill it, or something of its build,
    /// while it runs); [`RunningBuild::finish`] waits for it.
    #[track_caller]
    pub fn start(self) -> RunningBuild {
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
        let output = match &self.output {
            Output::None => None,
            Output::Local(dir) => Some(format!("type=local,dest={}", dir.display())),
            Output::Image(name) => Some(format!(
                "type=image,name={name},push=true,registry.insecure=true"
            )),
            Output::OciDir(dir) => Some(format!("type=oci,tar=false,dest={}", dir.display())),
        };
        if let Some(spec) = output {
            let attrs = self.output_attrs.iter().map(|a| format!(",{a}"));
            args.extend(["--output".into(), spec + &attrs.collect::<String>()]);
        }

        let command = format!("{} {}", env.buildctl.display(), shell_join(&args));
        let out_dir = match &self.output {
            Output::Local(d) => Some(d.clone()),
            _ => None,
        };
        let image = match &self.output {
            Output::Image(n) => Some(n.clone()),
            _ => None,
        };
        RunningBuild::start(
            Command::new(&env.buildctl).args(&args),
            self.timeout,
            command,
            self.frontend,
            out_dir,
            image,
        )
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
    /// Another builder than the environment's (`daemons::Builder`).
    builder: Option<Buildx>,
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
            builder: None,
            timeout: BUILD_TIMEOUT,
        }
    }

    /// Build with this builder instead of the environment's.
    pub fn on(mut self, builder: &Buildx) -> Self {
        self.builder = Some(builder.clone());
        self
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
        let bx = self.builder.as_ref().unwrap_or_else(|| buildx());
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

        let command = format!(
            "DOCKER_CONFIG={} {} {}",
            bx.docker_config.display(),
            bx.binary.display(),
            shell_join(&args)
        );
        RunningBuild::start(
            Command::new(&bx.binary)
                .args(&args)
                .env("DOCKER_CONFIG", &bx.docker_config)
                .env_remove("BUILDX_BUILDER"),
            self.timeout,
            command,
            Frontend::under_test(),
            self.out_dir,
            self.image,
        )
        .finish()
    }
}

/// A build client (`buildctl` or `buildx`) running in the background.
#[derive(Debug)]
pub struct RunningBuild {
    child: Running,
    started: Instant,
    timeout: Duration,
    command: String,
    frontend: Frontend,
    out_dir: Option<PathBuf>,
    image: Option<String>,
    daemon_log: PathBuf,
    log_start: u64,
}

impl RunningBuild {
    #[track_caller]
    fn start(
        cmd: &mut Command,
        timeout: Duration,
        command: String,
        frontend: Frontend,
        out_dir: Option<PathBuf>,
        image: Option<String>,
    ) -> RunningBuild {
        let daemon_log = env().run_dir.join("buildkitd.log");
        let log_start = fs::metadata(&daemon_log).map(|m| m.len()).unwrap_or(0);
        let program = Path::new(cmd.get_program()).display().to_string();
        let child = Running::spawn(cmd).unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        RunningBuild {
            child,
            started: Instant::now(),
            timeout,
            command,
            frontend,
            out_dir,
            image,
            daemon_log,
            log_start,
        }
    }

    /// The client's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the client still runs.
    pub fn running(&mut self) -> bool {
        self.child.running()
    }

    /// Kills the client (SIGKILL), as a user's interrupted or crashed client would leave the
    /// build; [`RunningBuild::finish`] still gathers what it printed.
    pub fn kill(&mut self) {
        self.child.kill();
    }

    /// Waits for the client (killing it when the build's timeout is up) and gathers what the
    /// build did; for a failed build through a gateway image, also what buildkitd logged
    /// meanwhile (our frontend's own stderr only shows in the daemon's log).
    #[track_caller]
    pub fn finish(self) -> BuildResult {
        let left = self.timeout.saturating_sub(self.started.elapsed());
        let out = self
            .child
            .wait(left)
            .unwrap_or_else(|e| panic!("cannot wait for {}: {e}", self.command));
        let elapsed = self.started.elapsed();
        let daemon_log_tail = if out.status.success() || gateway_image_under_test().is_none() {
            String::new()
        } else {
            read_from(&self.daemon_log, self.log_start, 8 * 1024)
        };
        BuildResult {
            command: self.command,
            frontend: self.frontend,
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
