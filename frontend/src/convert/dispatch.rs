//! One stage being lowered: its filesystem state, the environment, working directory and
//! user its steps run with, and the image config it builds up; one method per instruction.

use std::collections::BTreeSet;

use buildkit_llb::{FileActions, ImageOptions, Metadata, MkdirOptions, NetMode, Platform, SourceLocation, State};

use super::names::{go_duration, go_list, go_quote_list, step_prefix, uppercase_keyword};
use super::stages::{Base, Conversion};
use super::{env::split_key_value, env::EnvList, ConvertError, Converted, ResolvedImages};
use crate::image::{Healthcheck, Image};
use crate::instructions::{Command, CommandKind};
use crate::shell::Lex;
use crate::syntax::Location;

#[derive(Debug, Clone)]
pub(super) struct StageState {
    pub fs: State,
    pub env: EnvList,
    pub dir: String,
    pub user: String,
    pub network: NetMode,
    pub image: Image,
    pub base_image: Option<Image>,
    pub platform: Platform,
    /// ARGs declared in this stage (and inherited from its base stage), for RUN's history.
    pub build_args: Vec<(String, Option<String>)>,
    pub display_name: String,
    pub cmd_index: usize,
    pub cmd_total: usize,
    pub ignore_cache: bool,
    /// CMD was set in this stage: a later ENTRYPOINT keeps it.
    pub cmd_set: bool,
    pub workdir_set: bool,
}

impl StageState {
    /// The state a stage starts in: its base (image, earlier stage or scratch) and the image config defaults.
    pub fn init(conv: &Conversion, i: usize, states: &[Option<StageState>], images: &ResolvedImages) -> Result<Self, ConvertError> {
        let plan = &conv.plans[i];
        let mut st = match &plan.base {
            Base::Stage(j) => {
                let mut base = states[*j].clone().ok_or_else(|| ConvertError::at("base stage was not built", plan.location))?;
                base.image.config.on_build = None;
                base.cmd_set = false;
                base
            }
            Base::Scratch => {
                let platform = conv.target_platform.clone();
                StageState::new(State::scratch(), Image::empty(&platform), None, platform)
            }
            Base::Image(reference) => {
                let platform = conv.stage_platform(i);
                let key = (reference.clone(), platform.clone());
                let resolved = images.get(&key).ok_or_else(|| ConvertError::at(format!("image {reference} was not resolved"), plan.location))?;
                let mut image = Image::from_json(&resolved.config).map_err(|e| ConvertError::at(format!("failed to parse image config: {e}"), plan.location))?;
                let base_image = image.clone();
                image.created = None;
                let pinned = match &resolved.digest {
                    Some(d) if !reference.contains('@') => format!("{reference}@{d}"),
                    _ => reference.clone(),
                };
                let is_scratch = image.rootfs.diff_ids.as_deref().unwrap_or_default().is_empty() && image.history.iter().all(|h| h.empty_layer);
                let mut st = StageState::new(State::scratch(), image, Some(base_image), platform.clone());
                st.display_name = plan.display_name.clone();
                st.cmd_total = plan.cmd_total;
                if !is_scratch {
                    let name = st.step_name(conv, &format!("FROM {pinned}"));
                    let mut md = Metadata::named(name).with_location(source_location(conv, plan.location));
                    // An image named by COPY --from has no FROM line: the reference records an empty command.
                    let command = plan.stage.map_or(String::new(), |stage| stage.original.trim().to_string());
                    md.description.insert("com.docker.dockerfile.v1.command".into(), command);
                    st.fs = State::image(&pinned, ImageOptions { platform: Some(platform), resolve_mode: conv.opts.image_resolve_mode.clone(), metadata: md });
                }
                st
            }
        };
        st.display_name = plan.display_name.clone();
        st.cmd_total = plan.cmd_total;
        st.ignore_cache = plan.ignore_cache;
        if matches!(plan.base, Base::Stage(_)) {
            st.cmd_index = 0;
        }
        if plan.stage.is_some() {
            st.apply_image_defaults(conv)?;
        }
        Ok(st)
    }

    fn new(fs: State, image: Image, base_image: Option<Image>, platform: Platform) -> Self {
        StageState {
            fs,
            env: EnvList::new(),
            dir: "/".into(),
            user: String::new(),
            network: NetMode::Unset,
            image,
            base_image,
            platform,
            build_args: Vec::new(),
            display_name: String::new(),
            cmd_index: 0,
            cmd_total: 0,
            ignore_cache: false,
            cmd_set: false,
            workdir_set: false,
        }
    }

    /// PATH, the image's env, working directory and user become the defaults of the stage's steps.
    fn apply_image_defaults(&mut self, conv: &Conversion) -> Result<(), ConvertError> {
        if self.image.env().iter().all(|e| split_key_value(e).0 != "PATH") && self.platform.os != "windows" {
            self.image.config.env.get_or_insert_with(Vec::new).push(format!("PATH={}", crate::image::DEFAULT_PATH));
        }
        for e in self.image.env().to_vec() {
            let (k, v) = split_key_value(&e);
            self.env.set(k, v);
        }
        if let Some(wd) = self.image.config.working_dir.clone().filter(|w| !w.is_empty()) {
            self.set_workdir(&wd);
        }
        if let Some(u) = self.image.config.user.clone().filter(|u| !u.is_empty()) {
            self.user = u;
        }
        self.network = match conv.opts.force_network_mode.as_deref() {
            Some("host") => NetMode::Host,
            Some("none") => NetMode::None,
            _ => NetMode::Unset,
        };
        Ok(())
    }

    /// The progress name of the next counted step.
    pub fn step_name(&mut self, conv: &Conversion, text: &str) -> String {
        if self.cmd_total == 0 {
            return text.to_string();
        }
        self.cmd_index += 1;
        let platform = conv.opts.multi_platform.then_some(&self.platform);
        format!("{}{text}", step_prefix(platform, &self.display_name, self.cmd_index, self.cmd_total))
    }

    /// Metadata for an op made by `cmd`: progress name, the instruction text, its lines, cache control.
    pub fn op_metadata(&self, conv: &Conversion, name: String, cmd: &Command) -> Metadata {
        let mut md = Metadata::named(name).with_location(source_location(conv, cmd.location));
        md.description.insert("com.docker.dockerfile.v1.command".into(), cmd.original.trim().to_string());
        md.ignore_cache = self.ignore_cache;
        md
    }

    /// Metadata for a file op (COPY, ADD, WORKDIR): the reference names and locates it but,
    /// unlike RUN, does not record the instruction text.
    pub fn file_metadata(&self, conv: &Conversion, name: String, cmd: &Command) -> Metadata {
        Metadata::named(name).with_location(source_location(conv, cmd.location))
    }

    /// Expands one word with the stage's environment (ENV and ARG values).
    pub fn expand(&self, lex: &Lex, word: &str) -> Result<String, ConvertError> {
        lex.process_word(word, &self.env).map_err(|e| ConvertError::new(e.to_string()))
    }

    /// Expands heredoc content: variables only, quotes and escapes kept as written.
    pub fn expand_raw(&self, text: &str) -> Result<String, ConvertError> {
        let mut lex = Lex::new('\\');
        lex.skip_process_quotes = true;
        lex.process_word(text, &self.env).map_err(|e| ConvertError::new(e.to_string()))
    }

    /// The instruction text with variables expanded, for progress names; unexpandable text is shown as written.
    pub fn display_text(&self, lex: &Lex, text: &str) -> String {
        uppercase_keyword(&lex.process_word(text, &self.env).unwrap_or_else(|_| text.to_string()))
    }

    pub fn add_history(&mut self, created_by: String, with_layer: bool) {
        self.image.add_history(created_by, !with_layer, None);
    }

    fn set_workdir(&mut self, path: &str) {
        let wd = if path.starts_with('/') { buildkit_llb::clean_path(path) } else { buildkit_llb::clean_path(&format!("{}/{path}", self.image.config.working_dir.as_deref().unwrap_or("/"))) };
        self.image.config.working_dir = Some(wd.clone());
        self.dir = wd;
    }

    /// Runs one instruction.
    pub fn dispatch(
        &mut self,
        conv: &Conversion,
        cmd: &Command,
        from: Option<&StageState>,
        mounts: &[Option<&StageState>],
        context: &State,
        context_paths: &mut BTreeSet<String>,
    ) -> Result<(), ConvertError> {
        let lex = &conv.lex;
        match &cmd.kind {
            CommandKind::Env(c) => {
                let mut msg = String::from("ENV");
                for kv in &c.env {
                    let (k, v) = (self.expand(lex, &kv.key)?, self.expand(lex, &kv.value)?);
                    msg.push_str(&format!(" {k}={v}"));
                    self.env.set(&k, &v);
                    self.image.set_env(&k, &v);
                }
                self.add_history(msg, false);
            }
            CommandKind::Arg(c) => self.dispatch_arg(conv, &c.args)?,
            CommandKind::Run(run) => super::run::dispatch_run(self, conv, cmd, run, mounts, context, context_paths)?,
            CommandKind::Copy(c) => super::copy::dispatch_copy(self, conv, cmd, super::copy::CopySpec::from_copy(c), from, context, context_paths)?,
            CommandKind::Add(a) => super::copy::dispatch_copy(self, conv, cmd, super::copy::CopySpec::from_add(a), None, context, context_paths)?,
            CommandKind::Workdir(c) => {
                let path = self.expand(lex, &c.path)?;
                self.set_workdir(&path);
                self.workdir_set = true;
                let wd = self.dir.clone();
                let mut with_layer = false;
                if wd != "/" {
                    let owner = (!self.user.is_empty()).then(|| super::copy::chown_spec(&self.user));
                    let name = self.step_name(conv, &self.display_text(lex, cmd.original.trim()));
                    // The reference's WORKDIR mkdir ignores --no-cache.
                    let md = self.file_metadata(conv, name, cmd);
                    self.fs = self.fs.file(FileActions::new().mkdir(wd.clone(), 0o755, MkdirOptions { make_parents: true, owner, timestamp: None }), md);
                    with_layer = true;
                }
                self.add_history(format!("WORKDIR {wd}"), with_layer);
            }
            CommandKind::User(c) => {
                let user = self.expand(lex, &c.user)?;
                self.user = user.clone();
                self.image.config.user = Some(user.clone());
                self.add_history(format!("USER {user}"), false);
            }
            CommandKind::Label(c) => {
                let mut msg = String::from("LABEL");
                let labels = self.image.config.labels.get_or_insert_with(Default::default);
                let mut expanded = Vec::new();
                for kv in &c.labels {
                    let k = lex.process_word(&kv.key, &self.env).map_err(|e| ConvertError::new(e.to_string()))?;
                    let v = lex.process_word(&kv.value, &self.env).map_err(|e| ConvertError::new(e.to_string()))?;
                    expanded.push((k, v));
                }
                for (k, v) in expanded {
                    msg.push_str(&format!(" {k}={v}"));
                    labels.insert(k, v);
                }
                self.add_history(msg, false);
            }
            CommandKind::Expose(c) => {
                let mut words = Vec::new();
                for p in &c.ports {
                    words.extend(lex.process_words(p, &self.env).map_err(|e| ConvertError::new(e.to_string()))?);
                }
                let parsed = super::expose::parse_ports(&words)?;
                let exposed = self.image.config.exposed_ports.get_or_insert_with(Default::default);
                for p in &parsed {
                    exposed.insert(p.clone(), Default::default());
                }
                self.add_history(format!("EXPOSE {}", go_list(&parsed)), false);
            }
            CommandKind::Cmd(c) => {
                let args = if c.cmd.prepend_shell { self.with_shell(&c.cmd.args) } else { c.cmd.args.clone() };
                self.image.config.cmd = Some(args.clone());
                self.image.config.args_escaped = true;
                self.cmd_set = true;
                self.add_history(format!("CMD {}", go_quote_list(&args)), false);
            }
            CommandKind::Entrypoint(c) => {
                let args = if c.cmd.prepend_shell { self.with_shell(&c.cmd.args) } else { c.cmd.args.clone() };
                self.image.config.entrypoint = Some(args.clone());
                if !self.cmd_set {
                    self.image.config.cmd = None;
                }
                self.add_history(format!("ENTRYPOINT {}", go_quote_list(&args)), false);
            }
            CommandKind::Volume(c) => {
                let mut expanded = Vec::new();
                for v in &c.volumes {
                    let v = self.expand(lex, v)?;
                    if v.is_empty() {
                        return Err(ConvertError::new("VOLUME specified can not be an empty string"));
                    }
                    expanded.push(v);
                }
                let volumes = self.image.config.volumes.get_or_insert_with(Default::default);
                for v in &expanded {
                    volumes.insert(v.clone(), Default::default());
                }
                self.add_history(format!("VOLUME {}", go_list(&expanded)), false);
            }
            CommandKind::StopSignal(c) => {
                let sig = self.expand(lex, &c.signal)?;
                super::signal::validate(&sig)?;
                self.image.config.stop_signal = Some(sig.clone());
                self.add_history(format!("STOPSIGNAL {sig}"), false);
            }
            CommandKind::Shell(c) => {
                self.image.config.shell = Some(c.shell.clone());
                self.add_history(format!("SHELL {}", go_list(&c.shell)), false);
            }
            CommandKind::Maintainer(c) => {
                self.image.author = Some(c.maintainer.clone());
                self.add_history(format!("MAINTAINER {}", c.maintainer), false);
            }
            CommandKind::Onbuild(c) => {
                self.image.config.on_build.get_or_insert_with(Vec::new).push(c.expression.clone());
            }
            CommandKind::Healthcheck(c) => {
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
        }
        Ok(())
    }

    fn dispatch_arg(&mut self, conv: &Conversion, args: &[crate::instructions::ArgPair]) -> Result<(), ConvertError> {
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
                self.env.set(&arg.key, v);
                commit.push(format!("{}={v}", arg.key));
            } else {
                commit.push(arg.key.clone());
            }
            self.build_args.push((arg.key.clone(), value));
        }
        self.add_history(format!("ARG {}", commit.join(" ")), false);
        Ok(())
    }

    /// `SHELL` (or `/bin/sh -c`) followed by the command line joined into one string.
    pub fn with_shell(&self, args: &[String]) -> Vec<String> {
        let mut shell = match &self.image.config.shell {
            Some(s) if !s.is_empty() => s.clone(),
            _ if self.image.os == "windows" => vec!["cmd".into(), "/S".into(), "/C".into()],
            _ => vec!["/bin/sh".into(), "-c".into()],
        };
        shell.push(args.join(" "));
        shell
    }

    /// The target stage's result: labels from the build options, the target platform recorded.
    pub fn finish(mut self, conv: &Conversion) -> Converted {
        if !conv.opts.labels.is_empty() {
            let labels = self.image.config.labels.get_or_insert_with(Default::default);
            labels.extend(conv.opts.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(tp) = &conv.opts.target_platform {
            let same = tp.os == self.image.os && tp.architecture == self.image.architecture;
            self.image.os = tp.os.clone();
            self.image.architecture = tp.architecture.clone();
            if !tp.variant.is_empty() || !same {
                self.image.variant = (!tp.variant.is_empty()).then(|| tp.variant.clone());
            }
        }
        Converted { state: self.fs, image: self.image, base_image: self.base_image }
    }
}

/// Where in the Dockerfile an op came from, when the Dockerfile is known.
pub(super) fn source_location(conv: &Conversion, loc: Location) -> Option<SourceLocation> {
    conv.opts.source_file.as_ref().map(|f| SourceLocation::new(f.clone(), loc.start_line as u32, loc.end_line as u32))
}
