//! One stage being lowered: its filesystem state, the environment, working directory and
//! user its steps run with, and the image config it builds up (the reference's `dispatchState`).

use std::collections::BTreeSet;
use std::sync::Arc;

use buildkit_llb::{Metadata, NetMode, Platform, SourceLocation, State};

use super::contexts;
use super::env::{split_key_value, DeclaredArgs, EnvList, EnvPositions};
use super::names::{push_step_prefix, uppercase_keyword};
use super::plan::Base;
use super::stages::Conversion;
use super::stages::Resolved;
use super::{Converted, LocatedError};
use crate::image::Image;
use crate::instructions::Command;
use crate::shell::Lex;
use crate::syntax::Location;

#[derive(Debug, Clone)]
pub(super) struct StageState {
    pub fs: State,
    pub env: EnvList,
    /// Where each variable is in the image config's env (ENV replaces them in place).
    pub image_env: EnvPositions,
    pub dir: String,
    pub user: String,
    pub network: NetMode,
    pub image: Image,
    pub base_image: Option<Arc<Image>>,
    /// The stage's platform as dockerfile2llb's `dispatchState.platform` holds it: as
    /// `FROM --platform` wrote it (`platforms.Parse`, not normalised), else the target's or
    /// the named context image's. Image sources are asked for it; FROM, COPY, ADD and
    /// WORKDIR show it in progress names.
    pub platform: Platform,
    /// The LLB state's platform, which Go's `llb` stores normalised (`State.Platform`,
    /// `NewState` of a source with one): [`StageState::platform`] normalised for a stage on
    /// an image, none on scratch (also an image without layers) or on a named context whose
    /// source has none (local, git, http). RUN's exec op runs on it (without one, on the
    /// target platform, the definition's default) and its progress name shows it (without
    /// one, no platform): `linux/arm64` for `FROM --platform=linux/arm64/v8`.
    pub state_platform: Option<Platform>,
    /// ARGs declared in this stage (and inherited from its base stage), for RUN's history.
    pub build_args: DeclaredArgs,
    pub display_name: String,
    pub cmd_index: usize,
    pub cmd_total: usize,
    pub ignore_cache: bool,
    /// CMD was set in this stage: a later ENTRYPOINT keeps it.
    pub cmd_set: bool,
    pub workdir_set: bool,
    /// The command being dispatched came from an ONBUILD trigger (progress names say so).
    pub cmd_is_onbuild: bool,
}

impl StageState {
    /// The state a plan starts in (dockerfile2llb's `init` and the start of `dispatchStages`):
    /// its base (earlier stage, image, named context or scratch) and the image config defaults.
    /// `follow_paths` narrows a local named context to the paths the build reads from it.
    pub fn init(
        conv: &Conversion,
        i: usize,
        states: &[Option<Box<StageState>>],
        follow_paths: Vec<String>,
    ) -> Result<Self, LocatedError> {
        let plan = &conv.graph.nodes[i];
        let at = |e: LocatedError| match plan.location {
            Some(l) => e.or_at(l),
            None => e,
        };
        let unresolved = || {
            at(LocatedError::new(format!(
                "{} was not resolved",
                plan.base_name
            )))
        };
        let mut st = match (&plan.base, plan.resolved.as_deref()) {
            (Base::Stage(j), _) => {
                let mut base = states[*j]
                    .as_deref()
                    .cloned()
                    .ok_or_else(|| at(LocatedError::new("base stage was not built")))?;
                // ONBUILD triggers do not carry over from a base stage.
                base.image.config.on_build = None;
                base.cmd_set = false;
                base.cmd_index = 0;
                base
            }
            (Base::Scratch, _) => {
                let platform = conv.target_platform.clone();
                let mut st =
                    StageState::new(State::scratch(), Image::empty(&platform), None, platform);
                st.state_platform = None;
                st
            }
            (
                _,
                Some(Resolved::Image {
                    pinned,
                    image,
                    base_image,
                    platform,
                    is_scratch,
                    source,
                }),
            ) => {
                let mut image = Image::clone(image);
                image.config.on_build = None;
                let mut st = StageState::new(
                    State::scratch(),
                    image,
                    Some(Arc::clone(base_image)),
                    platform.clone(),
                );
                st.display_name = plan.display_name.clone();
                st.cmd_total = plan.cmd_total - plan.triggers;
                st.cmd_index = plan.from_rounds;
                if !is_scratch {
                    let name = st.step_name_with(conv, &["FROM ", pinned].concat(), false, false);
                    let mut md = Metadata::named(name)
                        .with_location(stage_source_location(conv, plan.location));
                    md.description.insert(
                        "com.docker.dockerfile.v1.command".into(),
                        plan.source_code.clone(),
                    );
                    st.fs = source.rebuilt(md);
                } else {
                    // `llb.Scratch()`: no platform of its own.
                    st.state_platform = None;
                }
                st
            }
            (
                _,
                Some(Resolved::Context {
                    context,
                    source,
                    loaded,
                    image,
                    platform,
                }),
            ) => {
                let (fs, _) = contexts::context_state(
                    context,
                    source,
                    loaded.as_ref(),
                    follow_paths,
                    &conv.target_platform,
                    conv.opts.git_advice,
                )
                .map_err(at)?;
                match (&plan.replaced_by, image) {
                    // The whole stage is the context: its image (if any) as it comes.
                    (Some(_), img) => {
                        let state_platform =
                            context_state_platform(context, source, &fs, img.as_ref());
                        let mut st = StageState::new(
                            fs,
                            img.clone().unwrap_or_default(),
                            None,
                            platform.clone(),
                        );
                        st.state_platform = state_platform;
                        for e in st.image.env() {
                            let (k, v) = split_key_value(e);
                            st.env.set(k, v);
                        }
                        st
                    }
                    (None, img) => {
                        let base_image = img.clone().unwrap_or_else(|| Image::empty(platform));
                        let mut image = base_image.clone();
                        image.created = None;
                        image.config.on_build = None;
                        StageState::new(fs, image, Some(Arc::new(base_image)), platform.clone())
                    }
                }
            }
            (_, None) => return Err(unresolved()),
        };
        st.display_name = plan.display_name.clone();
        st.cmd_total = plan.cmd_total;
        st.ignore_cache = plan.ignore_cache;
        st.cmd_is_onbuild = false;
        if !plan.dispatched_at_resolve() {
            st.apply_image_defaults(conv)?;
        }
        Ok(st)
    }

    fn new(fs: State, image: Image, base_image: Option<Arc<Image>>, platform: Platform) -> Self {
        StageState {
            fs,
            env: EnvList::new(),
            image_env: EnvPositions::default(),
            dir: "/".into(),
            user: String::new(),
            network: NetMode::Unset,
            image,
            base_image,
            state_platform: Some(platform.clone().normalize()),
            platform,
            build_args: DeclaredArgs::default(),
            display_name: String::new(),
            cmd_index: 0,
            cmd_total: 0,
            ignore_cache: false,
            cmd_set: false,
            workdir_set: false,
            cmd_is_onbuild: false,
        }
    }

    /// PATH, the image's env, working directory and user become the defaults of the stage's steps.
    fn apply_image_defaults(&mut self, conv: &Conversion) -> Result<(), LocatedError> {
        if self
            .image
            .env()
            .iter()
            .all(|e| split_key_value(e).0 != "PATH")
            && self.platform.os != "windows"
        {
            self.image
                .config
                .env
                .get_or_insert_with(Vec::new)
                .push(format!("PATH={}", crate::image::DEFAULT_PATH));
        }
        for e in self.image.env() {
            let (k, v) = split_key_value(e);
            self.env.set(k, v);
        }
        if let Some(wd) = self
            .image
            .config
            .working_dir
            .clone()
            .filter(|w| !w.is_empty())
        {
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

    /// The progress name of the next counted step (dockerfile2llb's `prefixCommand`):
    /// `[linux/amd64->arm64 builder 2/5] ONBUILD RUN …` — the platform (and the one the
    /// stage's TARGET* variables name, when it differs) only when several are built.
    /// The stage's platform as written ([`StageState::platform`]) is the one shown, as
    /// dockerfile2llb's COPY, ADD and WORKDIR pass `d.platform`.
    pub fn step_name(&mut self, conv: &Conversion, text: &str) -> String {
        self.step_name_with(conv, text, true, false)
    }

    /// `step_name` of a RUN, which shows the LLB state's platform (normalised, or none:
    /// [`StageState::state_platform`]): dockerfile2llb's `dispatchRun` passes
    /// `d.state.GetPlatform()`.
    pub fn run_step_name(&mut self, conv: &Conversion, text: &str) -> String {
        self.step_name_with(conv, text, true, true)
    }

    /// `step_name`; `with_env` false for FROM, whose name ignores the stage's variables;
    /// `of_state` for RUN (see [`StageState::run_step_name`]).
    pub fn step_name_with(
        &mut self,
        conv: &Conversion,
        text: &str,
        with_env: bool,
        of_state: bool,
    ) -> String {
        if self.cmd_total == 0 {
            return text.to_string();
        }
        self.cmd_index += 1;
        let platform = conv
            .opts
            .multi_platform
            .then(|| {
                let target = if with_env {
                    platform_from_env(&self.env)
                } else {
                    None
                };
                let base = if of_state {
                    self.state_platform.as_ref()?
                } else {
                    &self.platform
                };
                Some(format!("{base}{}", format_target_platform(base, target)))
            })
            .flatten();
        let mut name = String::with_capacity(self.display_name.len() + text.len() + 24);
        push_step_prefix(
            &mut name,
            platform.as_deref(),
            &self.display_name,
            self.cmd_index,
            self.cmd_total,
        );
        if self.cmd_is_onbuild {
            name.push_str("ONBUILD ");
        }
        name.push_str(text);
        name
    }

    /// Metadata for an op made by `cmd`: progress name, the instruction text, its lines, cache control.
    pub fn op_metadata(&self, conv: &Conversion, name: String, cmd: &Command) -> Metadata {
        let mut md = Metadata::named(name).with_location(source_location(conv, cmd.location));
        md.description.insert(
            "com.docker.dockerfile.v1.command".into(),
            cmd.original.trim().to_string(),
        );
        md.ignore_cache = self.ignore_cache;
        md
    }

    /// Metadata for a file op (COPY, ADD, WORKDIR): the reference names and locates it but,
    /// unlike RUN, does not record the instruction text.
    pub fn file_metadata(&self, conv: &Conversion, name: String, cmd: &Command) -> Metadata {
        Metadata::named(name).with_location(source_location(conv, cmd.location))
    }

    /// Expands one word with the stage's environment (ENV and ARG values).
    pub fn expand(&self, lex: &Lex, word: &str) -> Result<String, LocatedError> {
        lex.process_word(word, &self.env)
            .map_err(|e| LocatedError::new(e.to_string()))
    }

    /// Expands heredoc content: variables only, quotes and escapes kept as written (with the
    /// size limit of `lex`, the conversion's).
    pub fn expand_raw(&self, lex: &Lex, text: &str) -> Result<String, LocatedError> {
        let lex = Lex {
            skip_process_quotes: true,
            max_len: lex.max_len,
            ..Lex::new('\\')
        };
        lex.process_word(text, &self.env)
            .map_err(|e| LocatedError::new(e.to_string()))
    }

    /// The instruction text with variables expanded, for progress names; unexpandable text is shown as written.
    pub fn display_text(&self, lex: &Lex, text: &str) -> String {
        uppercase_keyword(
            lex.process_word(text, &self.env)
                .unwrap_or_else(|_| text.to_string()),
        )
    }

    /// Sets `key=value` in the image config's env, replacing the key's value in place.
    pub fn set_image_env(&mut self, key: &str, value: &str) {
        let env = self.image.config.env.get_or_insert_with(Vec::new);
        self.image_env.set(env, key, value);
    }

    /// Fails when the stage's environment (ENV and ARG values, the base image's env) is over
    /// the conversion's limit (`crate::limits::STAGE_ENV`).
    pub fn check_env_size(&self, conv: &Conversion) -> Result<(), LocatedError> {
        if self.env.bytes() > conv.limits.env {
            return Err(LocatedError::new(env_size_error(conv.limits.env)));
        }
        Ok(())
    }

    /// About how many bytes of state the stage holds beyond its ops: environment, declared
    /// ARGs, image history (what a stage built on it copies).
    pub fn state_bytes(&self) -> usize {
        let args: usize = self
            .build_args
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, String::len))
            .sum();
        self.env.bytes() + args + self.image.history_bytes()
    }

    pub fn add_history(&mut self, created_by: String, with_layer: bool) {
        self.image.add_history(created_by, !with_layer, None);
    }

    /// BuildKit's `NormalizeWorkdir` (Linux paths): an absolute path is kept as written (`/a/b/`
    /// stays so in the config, history and the RUN working directory); an empty one keeps the
    /// current directory as written (a relative one from the base image joined to `/`); a
    /// relative one is joined to the current directory and cleaned.
    pub(super) fn set_workdir(&mut self, path: &str) {
        let current = self
            .image
            .config
            .working_dir
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or("/");
        let parent = if current.starts_with('/') {
            current.to_string()
        } else {
            buildkit_llb::clean_path(&["/", current].concat())
        };
        let wd = if path.starts_with('/') {
            path.to_string()
        } else if path.is_empty() {
            parent
        } else {
            buildkit_llb::clean_path(&[&parent, "/", path].concat())
        };
        self.image.config.working_dir = Some(wd.clone());
        self.dir = wd;
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

    /// The target stage's result (dockerfile2llb's `finalizeResultImage`): labels from the
    /// build options; an explicit target platform recorded; the image's platform normalised.
    pub fn finish(mut self, conv: &Conversion) -> Converted {
        if !conv.opts.labels.is_empty() {
            let labels = self
                .image
                .config
                .labels
                .get_or_insert_with(Default::default);
            labels.extend(conv.opts.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if !conv.implicit_target {
            let tp = &conv.target_platform;
            let same = tp.os == self.image.os && tp.architecture == self.image.architecture;
            self.image.os = tp.os.clone();
            self.image.architecture = tp.architecture.clone();
            if !tp.variant.is_empty() || !same {
                self.image.variant = (!tp.variant.is_empty()).then(|| tp.variant.clone());
            }
            if !tp.os_version.is_empty() || !same {
                self.image.os_version = (!tp.os_version.is_empty()).then(|| tp.os_version.clone());
            }
        }
        let p = Platform::new(
            &self.image.os,
            &self.image.architecture,
            self.image.variant.as_deref().unwrap_or_default(),
        )
        .normalize();
        self.image.os = p.os;
        self.image.architecture = p.architecture;
        self.image.variant = (!p.variant.is_empty()).then_some(p.variant);
        Converted {
            state: self.fs,
            image: self.image,
            base_image: self.base_image,
            sbom: Default::default(),
        }
    }
}

/// The LLB state's platform of a stage that is a named context (dockerui's
/// `NamedContext.Load`): an image's (its config's, else the one asked for), a frontend
/// input's (its config's, else its op's), none for scratch, local, git and http sources;
/// normalised as Go's `llb` stores it.
fn context_state_platform(
    nc: &contexts::NamedContext,
    source: &contexts::ContextSource,
    fs: &State,
    image: Option<&Image>,
) -> Option<Platform> {
    use contexts::ContextSource as S;
    let configured = image.and_then(contexts::image_platform);
    let p = match source {
        S::Image { .. } | S::OciLayout { .. } => configured.or_else(|| nc.platform.clone()),
        S::Input { .. } => configured.or_else(|| fs.op_platform()),
        S::Scratch | S::Local { .. } | S::Git(_) | S::Http { .. } => None,
    };
    p.map(Platform::normalize)
}

/// The error for a stage environment over `limit` bytes.
pub(crate) fn env_size_error(limit: usize) -> String {
    format!(
        "the stage's environment (ENV and ARG values) exceeds the limit of {}",
        crate::limits::format_size(limit)
    )
}

/// dockerfile2llb's `platformFromEnv`: the platform the stage's TARGETPLATFORM (or
/// TARGETOS/TARGETARCH/TARGETVARIANT) variables name, if it declared any, as written
/// (`platforms.Parse`, not normalised).
fn platform_from_env(env: &EnvList) -> Option<Platform> {
    let (mut os, mut arch, mut variant, mut set) =
        (String::new(), String::new(), String::new(), false);
    for (k, v) in env.iter() {
        match k {
            "TARGETPLATFORM" => {
                if let Ok(p) = super::platform::parse_platform(v) {
                    return Some(p);
                }
            }
            "TARGETOS" => (os, set) = (v.to_string(), true),
            "TARGETARCH" => (arch, set) = (v.to_string(), true),
            "TARGETVARIANT" => (variant, set) = (v.to_string(), true),
            _ => {}
        }
    }
    set.then_some(Platform {
        os,
        architecture: arch,
        variant,
        ..Default::default()
    })
}

/// dockerfile2llb's `formatTargetPlatform`: `->arm64` (or `->os/arch`) when a stage running on
/// one platform builds for another.
fn format_target_platform(base: &Platform, target: Option<Platform>) -> String {
    let Some(mut t) = target else {
        return String::new();
    };
    if t.os.is_empty() {
        t.os = base.os.clone();
    }
    if t.architecture.is_empty() {
        t.architecture = base.architecture.clone();
    }
    let t = t.normalize();
    if t.os == base.os && t.architecture != base.architecture {
        let mut s = format!("->{}", t.architecture);
        if !t.variant.is_empty() {
            s.push('/');
            s.push_str(&t.variant);
        }
        return s;
    }
    if t.os != base.os {
        return format!("->{t}");
    }
    String::new()
}

/// Where in the Dockerfile an op came from, when the Dockerfile is known: one range per line
/// of the instruction, as the reference's `location(sourceMap, node.Location())`.
pub(super) fn source_location(conv: &Conversion, loc: Location) -> Option<SourceLocation> {
    stage_source_location(conv, Some(loc))
}

/// [`source_location`] for a stage's base image op. A stage made up for an image that only a
/// `RUN --mount=from=` names has no instruction of its own: the reference still gives its op
/// a location in the Dockerfile, with no ranges (`location(sourceMap, nil)`).
pub(super) fn stage_source_location(
    conv: &Conversion,
    loc: Option<Location>,
) -> Option<SourceLocation> {
    let main = conv.opts.source_file.as_ref()?;
    // An instruction from an included file (our extension) points into that file.
    let file = match loc.map_or(0, |l| l.file as usize) {
        0 => main,
        n => conv.opts.include_files.get(n - 1).unwrap_or(main),
    };
    Some(SourceLocation {
        file: file.clone(),
        ranges: loc
            .into_iter()
            .flat_map(Location::line_ranges)
            .map(|(start, end)| (start as u32, end as u32))
            .collect(),
    })
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;

/// What each instruction of a stage is lowered with besides the stage itself.
pub(super) struct DispatchCtx<'c, 'a> {
    pub conv: &'c Conversion<'a>,
    /// The build context (a placeholder until lowering ends: see `lower.rs`).
    pub context: &'c State,
    /// Paths COPY, ADD and bind mounts read from the build context.
    pub context_paths: &'c mut BTreeSet<String>,
}
