//! Lowering one instruction of a stage: one function per instruction, as dockerfile2llb's
//! `dispatchX` functions (RUN in `run.rs`, COPY and ADD in `copy.rs`).

use buildkit_llb::{FileActions, MkdirOptions};

use super::stages::Conversion;
use super::state::{DispatchCtx, StageState};
use super::{env::push_key_value, LocatedError};
use crate::gocompat::{go_duration, go_list, go_quote_list};
use crate::image::Healthcheck;
use crate::instructions::{
    ArgPair, CmdCommand, Command, CommandKind, EntrypointCommand, EnvCommand, ExposeCommand,
    HealthcheckCommand, LabelCommand, MaintainerCommand, OnbuildCommand, ShellCommand,
    StopSignalCommand, UserCommand, VolumeCommand, WorkdirCommand,
};

/// Runs one instruction (dockerfile2llb's `dispatch`). `from` is the stage `COPY --from`
/// names; `mounts` the states RUN mounts read, in mount order (None for one not built yet).
pub(super) fn dispatch(
    st: &mut StageState,
    ctx: &mut DispatchCtx,
    cmd: &Command,
    from: Option<&StageState>,
    mounts: &[Option<&StageState>],
) -> Result<(), LocatedError> {
    match &cmd.kind {
        CommandKind::Arg(c) => st.dispatch_arg(ctx.conv, &c.args),
        CommandKind::Run(run) => super::run::dispatch_run(st, ctx, cmd, run, mounts),
        CommandKind::Copy(c) => {
            let spec = super::copy::CopySpec::from_copy(c);
            super::copy::dispatch_copy(st, ctx, cmd, spec, from)
        }
        CommandKind::Add(a) => {
            let spec = super::copy::CopySpec::from_add(a);
            super::copy::dispatch_copy(st, ctx, cmd, spec, None)
        }
        CommandKind::Env(c) => st.dispatch_env(ctx.conv, c),
        CommandKind::Workdir(c) => st.dispatch_workdir(ctx.conv, cmd, c),
        CommandKind::User(c) => st.dispatch_user(ctx.conv, c),
        CommandKind::Label(c) => st.dispatch_label(ctx.conv, c),
        CommandKind::Expose(c) => st.dispatch_expose(ctx.conv, c),
        CommandKind::Cmd(c) => {
            st.dispatch_cmd(c);
            Ok(())
        }
        CommandKind::Entrypoint(c) => {
            st.dispatch_entrypoint(c);
            Ok(())
        }
        CommandKind::Volume(c) => st.dispatch_volume(ctx.conv, c),
        CommandKind::StopSignal(c) => st.dispatch_stop_signal(ctx.conv, c),
        CommandKind::Shell(c) => {
            st.dispatch_shell(c);
            Ok(())
        }
        CommandKind::Maintainer(c) => {
            st.dispatch_maintainer(c);
            Ok(())
        }
        CommandKind::Onbuild(c) => {
            st.dispatch_onbuild(c);
            Ok(())
        }
        CommandKind::Healthcheck(c) => {
            st.dispatch_healthcheck(c);
            Ok(())
        }
    }
}

impl StageState {
    /// ENV (`dispatchEnv`).
    fn dispatch_env(&mut self, conv: &Conversion, c: &EnvCommand) -> Result<(), LocatedError> {
        let lex = &conv.lex;
        // Every pair is expanded against the environment as it was before the
        // instruction (the reference expands the whole command, then applies it):
        // `ENV abc=bye def=$abc` sets def to the earlier abc.
        let mut pairs = Vec::with_capacity(c.env.len());
        for kv in &c.env {
            pairs.push((self.expand(lex, &kv.key)?, self.expand(lex, &kv.value)?));
        }
        let mut msg = String::from("ENV");
        for (k, v) in pairs {
            msg.push(' ');
            push_key_value(&mut msg, &k, &v);
            self.env.set(&k, &v);
            self.set_image_env(&k, &v);
        }
        self.check_env_size(conv)?;
        self.add_history(msg, false);
        Ok(())
    }

    /// WORKDIR (`dispatchWorkdir`).
    fn dispatch_workdir(
        &mut self,
        conv: &Conversion,
        cmd: &Command,
        c: &WorkdirCommand,
    ) -> Result<(), LocatedError> {
        let lex = &conv.lex;
        let path = self.expand(lex, &c.path)?;
        self.set_workdir(&path);
        self.workdir_set = true;
        let wd = self.dir.clone();
        let mut with_layer = false;
        if wd != "/" {
            let owner = (!self.user.is_empty()).then(|| buildkit_llb::Chown::with_user(&self.user));
            let name = self.step_name(conv, &self.display_text(lex, cmd.original.trim()));
            // The reference's WORKDIR mkdir ignores --no-cache.
            let md = self.file_metadata(conv, name, cmd);
            self.fs = self.fs.file(
                FileActions::new().mkdir(
                    wd.clone(),
                    0o755,
                    MkdirOptions {
                        make_parents: true,
                        owner,
                        timestamp: conv.opts.epoch.map(|t| t.saturating_mul(1_000_000_000)),
                    },
                ),
                md,
            );
            with_layer = true;
        }
        self.add_history(format!("WORKDIR {wd}"), with_layer);
        Ok(())
    }

    /// USER (`dispatchUser`).
    fn dispatch_user(&mut self, conv: &Conversion, c: &UserCommand) -> Result<(), LocatedError> {
        let lex = &conv.lex;
        let user = self.expand(lex, &c.user)?;
        self.user = user.clone();
        self.image.config.user = Some(user.clone());
        self.add_history(format!("USER {user}"), false);
        Ok(())
    }

    /// LABEL (`dispatchLabel`).
    fn dispatch_label(&mut self, conv: &Conversion, c: &LabelCommand) -> Result<(), LocatedError> {
        let lex = &conv.lex;
        let mut msg = String::from("LABEL");
        let labels = self
            .image
            .config
            .labels
            .get_or_insert_with(Default::default);
        let mut expanded = Vec::new();
        for kv in &c.labels {
            let k = lex
                .process_word(&kv.key, &self.env)
                .map_err(|e| LocatedError::new(e.to_string()))?;
            let v = lex
                .process_word(&kv.value, &self.env)
                .map_err(|e| LocatedError::new(e.to_string()))?;
            expanded.push((k, v));
        }
        for (k, v) in expanded {
            msg.push(' ');
            push_key_value(&mut msg, &k, &v);
            labels.insert(k, v);
        }
        self.add_history(msg, false);
        Ok(())
    }

    /// EXPOSE (`dispatchExpose`).
    fn dispatch_expose(
        &mut self,
        conv: &Conversion,
        c: &ExposeCommand,
    ) -> Result<(), LocatedError> {
        let lex = &conv.lex;
        let mut words = Vec::new();
        for p in &c.ports {
            words.extend(
                lex.process_words(p, &self.env)
                    .map_err(|e| LocatedError::new(e.to_string()))?,
            );
        }
        let parsed = super::expose::parse_ports(&words)?;
        let exposed = self
            .image
            .config
            .exposed_ports
            .get_or_insert_with(Default::default);
        for p in &parsed {
            exposed.insert(p.clone(), Default::default());
        }
        self.add_history(format!("EXPOSE {}", go_list(&parsed)), false);
        Ok(())
    }

    /// CMD (`dispatchCmd`).
    fn dispatch_cmd(&mut self, c: &CmdCommand) {
        let args = if c.cmd.prepend_shell {
            self.with_shell(&c.cmd.args)
        } else {
            c.cmd.args.clone()
        };
        self.image.config.cmd = Some(args.clone());
        self.image.config.args_escaped = true;
        self.cmd_set = true;
        self.add_history(format!("CMD {}", go_quote_list(&args)), false);
    }

    /// ENTRYPOINT (`dispatchEntrypoint`).
    fn dispatch_entrypoint(&mut self, c: &EntrypointCommand) {
        let args = if c.cmd.prepend_shell {
            self.with_shell(&c.cmd.args)
        } else {
            c.cmd.args.clone()
        };
        self.image.config.entrypoint = Some(args.clone());
        if !self.cmd_set {
            self.image.config.cmd = None;
        }
        self.add_history(format!("ENTRYPOINT {}", go_quote_list(&args)), false);
    }

    /// VOLUME (`dispatchVolume`).
    fn dispatch_volume(
        &mut self,
        conv: &Conversion,
        c: &VolumeCommand,
    ) -> Result<(), LocatedError> {
        let lex = &conv.lex;
        let mut expanded = Vec::new();
        for v in &c.volumes {
            let v = self.expand(lex, v)?;
            if v.is_empty() {
                return Err(LocatedError::new(
                    "VOLUME specified can not be an empty string",
                ));
            }
            expanded.push(v);
        }
        let volumes = self
            .image
            .config
            .volumes
            .get_or_insert_with(Default::default);
        for v in &expanded {
            volumes.insert(v.clone(), Default::default());
        }
        self.add_history(format!("VOLUME {}", go_list(&expanded)), false);
        Ok(())
    }

    /// STOPSIGNAL (`dispatchStopSignal`).
    fn dispatch_stop_signal(
        &mut self,
        conv: &Conversion,
        c: &StopSignalCommand,
    ) -> Result<(), LocatedError> {
        let lex = &conv.lex;
        let sig = self.expand(lex, &c.signal)?;
        super::signal::validate(&sig)?;
        self.image.config.stop_signal = Some(sig.clone());
        self.add_history(format!("STOPSIGNAL {sig}"), false);
        Ok(())
    }

    /// SHELL (`dispatchShell`).
    fn dispatch_shell(&mut self, c: &ShellCommand) {
        self.image.config.shell = Some(c.shell.clone());
        self.add_history(format!("SHELL {}", go_list(&c.shell)), false);
    }

    /// MAINTAINER (`dispatchMaintainer`).
    fn dispatch_maintainer(&mut self, c: &MaintainerCommand) {
        self.image.author = Some(c.maintainer.clone());
        self.add_history(format!("MAINTAINER {}", c.maintainer), false);
    }

    /// ONBUILD (`dispatchOnbuild`).
    fn dispatch_onbuild(&mut self, c: &OnbuildCommand) {
        self.image
            .config
            .on_build
            .get_or_insert_with(Vec::new)
            .push(c.expression.clone());
    }

    /// HEALTHCHECK (`dispatchHealthcheck`).
    fn dispatch_healthcheck(&mut self, c: &HealthcheckCommand) {
        let h = &c.health;
        let ns = |d: std::time::Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        let hc = Healthcheck {
            test: Some(h.test.clone()),
            interval: ns(h.interval),
            timeout: ns(h.timeout),
            start_period: ns(h.start_period),
            start_interval: ns(h.start_interval),
            retries: i64::from(h.retries),
        };
        let msg = format!(
            "HEALTHCHECK {{Test:{} Interval:{} Timeout:{} StartPeriod:{} StartInterval:{} Retries:{}}}",
            go_list(hc.test.as_deref().unwrap_or_default()),
            go_duration(hc.interval),
            go_duration(hc.timeout),
            go_duration(hc.start_period),
            go_duration(hc.start_interval),
            hc.retries
        );
        self.image.config.healthcheck = Some(hc);
        self.add_history(msg, false);
    }

    /// ARG (`dispatchArg`).
    fn dispatch_arg(&mut self, conv: &Conversion, args: &[ArgPair]) -> Result<(), LocatedError> {
        let mut commit = Vec::new();
        for arg in args {
            let mut value = arg.value.clone();
            let from_option = conv.opts.build_args.get(&arg.key);
            if value.is_none() && from_option.is_none() {
                value = conv.global_args.get(&arg.key).map(str::to_string);
            }
            let value = match (from_option, value) {
                (Some(v), _) => Some(v.clone()),
                (None, Some(v)) if arg.value.is_some() => Some(self.expand(&conv.lex, &v)?),
                (None, v) => v,
            };
            if let Some(v) = &value {
                // These configure the frontend's SBOM scan; they never reach the steps' env.
                if !super::sbom::NON_ENV_ARGS.contains(&arg.key.as_str()) {
                    self.env.set(&arg.key, v);
                }
                commit.push([&arg.key, "=", v].concat());
            } else {
                commit.push(arg.key.clone());
            }
            // One entry per name (a redeclaration updates it in place): RUN's history lists
            // each ARG once, and rescanning every declaration per RUN would be quadratic.
            self.build_args.declare(&arg.key, value);
        }
        self.check_env_size(conv)?;
        self.add_history(["ARG ", &commit.join(" ")].concat(), false);
        Ok(())
    }
}
