//! A conversion's start, as dockerfile2llb's `toDispatchState`: global ARGs, FROM lines
//! expanded, the stage graph (`plan`) with what the converter keeps per stage. Then base
//! images and named contexts are resolved in rounds (`resolve.rs`) and the needed stages
//! lowered in order (`lower.rs`).

use std::sync::Arc;

use buildkit_llb::{Platform, State};

use super::contexts::{self, ContextSource, LoadedContext, NamedContext};
use super::env::EnvList;
use super::plan;
use super::platform::{default_args, expand_platform, platform_opt};
use super::{ConvertOptions, LocatedError, Need};
use crate::image::Image;
use crate::instructions::{Command, CommandKind, Dockerfile, Stage};
use crate::shell::Lex;

/// An image to resolve: its normalised reference and the platform wanted.
pub type ImageKey = (String, Platform);

/// A command of a stage with what it reads from other plans (dockerfile2llb's `command`).
#[derive(Debug, Clone)]
pub(super) struct PlannedCommand<'a> {
    pub cmd: CommandRef<'a>,
    /// The plans this command reads, in the reference's order: the one `COPY --from` names, or
    /// one per `RUN --mount` (a scratch plan for mounts without `from=`).
    pub sources: Vec<usize>,
    /// Came from an ONBUILD trigger of the base image or stage.
    pub on_build: bool,
}

/// A command of the Dockerfile, or one an ONBUILD trigger added (a pointer either way: plans
/// hold one per command).
#[derive(Debug, Clone)]
pub(super) enum CommandRef<'a> {
    Borrowed(&'a Command),
    Owned(Box<Command>),
}

impl std::ops::Deref for CommandRef<'_> {
    type Target = Command;
    fn deref(&self) -> &Command {
        match self {
            CommandRef::Borrowed(c) => c,
            CommandRef::Owned(c) => c,
        }
    }
}

/// What the converter keeps for each node of the stage graph (see [`plan::Node`]).
#[derive(Debug, Default)]
pub(super) struct StagePlan<'a> {
    pub df_stage: Option<&'a Stage>,
    /// The FROM instruction as written, for the image source's description.
    pub source_code: String,
    pub commands: Vec<PlannedCommand<'a>>,
    /// Steps counted in progress names (`[stage 2/5]`).
    pub cmd_total: usize,
    pub ignore_cache: bool,
    /// `context:NAME` replaces this whole stage.
    pub replaced_by: Option<Box<NamedContext>>,
    /// Shared by the plans on one base image.
    pub resolved: Option<Arc<Resolved>>,
    /// What `needs` asked the gateway for (an index into `Conversion::asked`), until `provide` answers.
    pub pending: Option<usize>,
    /// Steps already counted before FROM: the reference names the FROM of an image stage in
    /// every resolve round the stage is not yet needed in, counting a step each time (so a
    /// stage only an ONBUILD trigger needs shows `[tools 2/2] FROM`, then `3/2`).
    pub from_rounds: usize,
    pub counted_round: Option<usize>,
    /// Commands ONBUILD triggers added; the FROM step, named before they were, counts without them.
    pub triggers: usize,
}

/// A node of the converter's stage graph.
pub(super) type PlanNode<'a> = plan::Node<StagePlan<'a>>;

impl StagePlan<'_> {
    /// Pseudo-stages and replaced stages are complete once resolved; they run no commands.
    pub fn dispatched_at_resolve(&self) -> bool {
        self.df_stage.is_none() || self.replaced_by.is_some()
    }
}

/// dockerfile2llb's `buildMetaArgs`: the global ARGs (before the first FROM) on top of `args`,
/// a build arg winning over the default, defaults expanded with what is set so far.
fn meta_args(
    df: &Dockerfile,
    lex: &Lex,
    mut global_args: EnvList,
    opts: &ConvertOptions,
) -> Result<EnvList, LocatedError> {
    for cmd in &df.meta_args {
        for arg in &cmd.args {
            let value = match opts.build_args.get(&arg.key) {
                Some(v) => Some(v.clone()),
                None => match &arg.value {
                    Some(v) => Some(
                        lex.process_word(v, &global_args)
                            .map_err(|e| LocatedError::at(e.to_string(), cmd.location))?,
                    ),
                    None => None,
                },
            };
            if let Some(v) = value {
                global_args.set(&arg.key, &v);
            }
        }
    }
    Ok(global_args)
}

/// The global ARGs as [`Conversion::new`] computes them (platform ARGs, `BUILDKIT_*`, the
/// Dockerfile's global ARGs with build args), before `SOURCE_DATE_EPOCH` is resolved.
pub fn global_args(
    df: &Dockerfile,
    escape: char,
    opts: &ConvertOptions,
) -> Result<EnvList, LocatedError> {
    let (target_platform, build_platforms, _) = platform_opt(opts);
    let target_name = opts
        .target
        .clone()
        .or_else(|| df.stages.last().and_then(|s| s.name.clone()));
    meta_args(
        df,
        &Lex::new(escape).with_limits(opts.limits.for_source(df.source_len())),
        default_args(
            &build_platforms[0],
            &target_platform,
            &opts.build_args,
            target_name.as_deref(),
        ),
        opts,
    )
}

pub struct Conversion<'a> {
    pub(super) opts: &'a ConvertOptions,
    /// Word expansion, its size limit scaled to the Dockerfile.
    pub(super) lex: Lex,
    /// Scaled to the Dockerfile.
    pub(super) limits: crate::limits::Limits,
    pub(super) global_args: EnvList,
    pub(super) graph: plan::Graph<StagePlan<'a>>,
    pub(super) target_platform: Platform,
    /// No platform was asked for: the image keeps its base image's platform.
    pub(super) implicit_target: bool,
    pub(super) build_platforms: Vec<Platform>,
    /// Resolve rounds so far (a new one when ONBUILD triggers add dependencies).
    pub(super) round: usize,
    /// What the last `needs` asked for, each once; plans point into it.
    pub(super) asked: Vec<Need>,
}

impl<'a> Conversion<'a> {
    /// Plans the stages: everything up to (not including) resolving base images.
    pub fn new(
        df: &'a Dockerfile,
        escape: char,
        opts: &'a ConvertOptions,
    ) -> Result<Self, LocatedError> {
        if df.stages.is_empty() {
            return Err(LocatedError::new("dockerfile contains no stages to build"));
        }
        let limits = opts.limits.for_source(df.source_len());
        let lex = Lex::new(escape).with_limits(limits);
        let (target_platform, build_platforms, implicit_target) = platform_opt(opts);
        let target_name = opts
            .target
            .clone()
            .or_else(|| df.stages.last().and_then(|s| s.name.clone()));
        let mut global_args = meta_args(
            df,
            &lex,
            default_args(
                &build_platforms[0],
                &target_platform,
                &opts.build_args,
                target_name.as_deref(),
            ),
            opts,
        )?;
        if opts.epoch_replaces_arg && global_args.get(super::epoch::SOURCE_DATE_EPOCH).is_some() {
            // The reference's `setBuildArgValue`: the resolved epoch (seconds), or unset.
            match opts.epoch {
                Some(t) => global_args.set(super::epoch::SOURCE_DATE_EPOCH, &t.to_string()),
                None => global_args.remove(super::epoch::SOURCE_DATE_EPOCH),
            }
        }

        let mut conv = Conversion {
            opts,
            lex,
            limits,
            global_args,
            graph: plan::Graph::default(),
            target_platform,
            implicit_target,
            build_platforms,
            round: 0,
            asked: Vec::new(),
        };
        conv.graph.nodes.reserve(df.stages.len());
        for (i, st) in df.stages.iter().enumerate() {
            conv.add_stage(i, st)?;
        }
        conv.graph.resolve_target(opts.target.as_deref())?;
        let n_stages = conv.graph.nodes.len();
        for i in 0..n_stages {
            // A stage a named context replaces never runs, but what it reads is still needed.
            let Some(stage) = conv.graph.nodes[i].df_stage else {
                continue;
            };
            let cmds = stage
                .commands
                .iter()
                .map(|c| conv.plan_command(c))
                .collect::<Result<Vec<_>, _>>()?;
            for pc in &cmds {
                conv.graph.add_deps(i, &pc.sources, pc.cmd.location, false);
            }
            conv.graph.nodes[i].commands = cmds;
        }
        conv.graph.check_cycles()?;
        if conv.graph.nodes.len() == 1 {
            conv.graph.nodes[0].display_name.clear();
        }
        Ok(conv)
    }

    /// dockerfile2llb's `buildDispatchStates` for one stage.
    fn add_stage(&mut self, i: usize, st: &'a Stage) -> Result<(), LocatedError> {
        let base_name = self
            .lex
            .process_word(&st.base_name, &self.global_args)
            .map_err(|e| LocatedError::at(e.to_string(), st.location))?;
        if base_name.is_empty() {
            return Err(LocatedError::at(
                format!("base name ({}) should not be blank", st.base_name),
                st.location,
            ));
        }
        let platform = match &st.platform {
            Some(p) => Some(expand_platform(
                &self.lex,
                &self.global_args,
                p,
                st.location,
            )?),
            None => None,
        };
        let mut plan = PlanNode {
            stage: Some(i),
            name: st.name.clone(),
            display_name: st.name.clone().unwrap_or_else(|| format!("stage-{i}")),
            base_name,
            platform,
            location: Some(st.location),
            data: StagePlan {
                df_stage: Some(st),
                source_code: st.original.trim().to_string(),
                ..StagePlan::default()
            },
            ..PlanNode::default()
        };
        if let Some(name) = &st.name {
            if let Some(nc) = contexts::lookup(self.opts, name, plan.platform.as_ref())
                .map_err(|e| e.or_at(st.location))?
            {
                // Starts from the context, not from a stage of its FROM's name.
                plan.replaced_by = Some(Box::new(nc));
                self.graph.push_stage(plan);
                return Ok(());
            }
        }
        plan.base = self.graph.base_for(&plan.base_name);
        let from_counts = plan.base_name != "scratch" && plan.base_stage().is_none();
        let steps = st.commands.iter().filter(|c| counts_as_step(c)).count();
        plan.cmd_total = steps + usize::from(from_counts);
        plan.ignore_cache = match &self.opts.no_cache {
            None => false,
            Some(crate::options::NoCache::All) => true,
            Some(crate::options::NoCache::Stages(names)) => st
                .name
                .as_ref()
                .is_some_and(|s| names.iter().any(|n| n.eq_ignore_ascii_case(s))),
        };
        self.graph.push_stage(plan);
        Ok(())
    }

    /// dockerfile2llb's `toCommand`: the plans a command reads, adding nodes for images.
    fn plan_command(&mut self, cmd: &'a Command) -> Result<PlannedCommand<'a>, LocatedError> {
        let sources = self
            .graph
            .command_sources(&self.lex, Some(&self.global_args), cmd)?;
        Ok(PlannedCommand {
            cmd: CommandRef::Borrowed(cmd),
            sources,
            on_build: false,
        })
    }

    /// The platform a plan asks for: its `FROM --platform`, else the target platform.
    pub(super) fn requested_platform(&self, i: usize) -> Platform {
        self.graph.nodes[i]
            .platform
            .clone()
            .unwrap_or_else(|| self.target_platform.clone())
    }

    /// Which plans are resolved and lowered: those the target needs, or all of them.
    pub(super) fn reachable_plans(&self) -> Vec<bool> {
        self.graph.wanted(self.opts.all_stages)
    }
}

/// RUN, COPY, ADD and WORKDIR are the steps progress names count.
fn counts_as_step(c: &Command) -> bool {
    matches!(
        c.kind,
        CommandKind::Run(_) | CommandKind::Copy(_) | CommandKind::Add(_) | CommandKind::Workdir(_)
    )
}

/// A base image or named context, once the gateway has looked it up.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per plan, built once
pub(super) enum Resolved {
    Image {
        /// The reference with the resolved digest, as the image source names it.
        pinned: String,
        image: Arc<Image>,
        /// The config as the registry served it (`containerimage.base.config`).
        base_image: Arc<Image>,
        platform: Platform,
        /// No layers: the stage starts from scratch and the FROM step is not shown.
        is_scratch: bool,
        /// The image's source op (scratch when `is_scratch`), built once: each stage on the
        /// image gets a copy with its own metadata (`State::rebuilt`).
        source: State,
    },
    Context {
        context: NamedContext,
        source: ContextSource,
        loaded: Option<LoadedContext>,
        /// The config the context brings, if any.
        image: Option<Image>,
        platform: Platform,
    },
}
