//! The stage graph, as dockerfile2llb's `toDispatchState`: global ARGs, FROM lines expanded,
//! stage names, the target, the stages and images each command reads (`COPY --from`, RUN
//! mounts), cycles; then base images and named contexts resolved in rounds (ONBUILD triggers
//! can add dependencies), and the needed stages lowered in order.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use buildkit_llb::reference::Reference;
use buildkit_llb::{ImageOptions, Metadata, Platform, State};

use super::contexts::{self, ContextSource, LoadedContext, NamedContext};
use super::dispatch::StageState;
use super::env::EnvList;
use super::plan::{self, Base};
use super::platform::{auto_detect_platform, default_args, expand_platform, platform_opt};
use super::{ConvertError, ConvertOptions, Converted, Need, Resolutions};
use crate::image::Image;
use crate::instructions::{suggest, Command, CommandKind, Dockerfile, Stage};
use crate::shell::Lex;

/// Resolve rounds after which ONBUILD triggers adding stages are taken for a loop.
const MAX_ONBUILD_ROUNDS: usize = 100;

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

impl Resolved {
    /// The ONBUILD triggers of the base's image config.
    fn on_build(&self) -> Option<&Vec<String>> {
        match self {
            Resolved::Image { image, .. } => image.config.on_build.as_ref(),
            Resolved::Context { image, .. } => {
                image.as_ref().and_then(|i| i.config.on_build.as_ref())
            }
        }
    }
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
) -> Result<EnvList, ConvertError> {
    for cmd in &df.meta_args {
        for arg in &cmd.args {
            let value = match opts.build_args.get(&arg.key) {
                Some(v) => Some(v.clone()),
                None => match &arg.value {
                    Some(v) => Some(
                        lex.process_word(v, &global_args)
                            .map_err(|e| ConvertError::at(e.to_string(), cmd.location))?,
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
) -> Result<EnvList, ConvertError> {
    let (target_platform, build_platforms, _) = platform_opt(opts);
    let target_name = opts
        .target
        .clone()
        .or_else(|| df.stages.last().and_then(|s| s.name.clone()));
    meta_args(
        df,
        &Lex::new(escape),
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
    pub(super) lex: Lex,
    pub(super) global_args: EnvList,
    pub(super) graph: plan::Graph<StagePlan<'a>>,
    pub(super) target_platform: Platform,
    /// No platform was asked for: the image keeps its base image's platform.
    pub(super) implicit_target: bool,
    pub(super) build_platforms: Vec<Platform>,
    /// Resolve rounds so far (a new one when ONBUILD triggers add dependencies).
    round: usize,
    /// What the last `needs` asked for, each once; plans point into it.
    asked: Vec<Need>,
}

impl<'a> Conversion<'a> {
    /// Plans the stages: everything up to (not including) resolving base images.
    pub fn new(
        df: &'a Dockerfile,
        escape: char,
        opts: &'a ConvertOptions,
    ) -> Result<Self, ConvertError> {
        if df.stages.is_empty() {
            return Err(ConvertError::new("dockerfile contains no stages to build"));
        }
        let lex = Lex::new(escape);
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
    fn add_stage(&mut self, i: usize, st: &'a Stage) -> Result<(), ConvertError> {
        let base_name = self
            .lex
            .process_word(&st.base_name, &self.global_args)
            .map_err(|e| ConvertError::at(e.to_string(), st.location))?;
        if base_name.is_empty() {
            return Err(ConvertError::at(
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
    fn plan_command(&mut self, cmd: &'a Command) -> Result<PlannedCommand<'a>, ConvertError> {
        let sources = self.graph.command_sources(&self.lex, cmd)?;
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

    /// What the gateway must look up before the graph is complete: base images and named
    /// contexts of the stages the target needs. Empty when done. ONBUILD triggers run between
    /// rounds, as the reference's `resolveStages` loop does, and may add stages to the graph.
    pub fn needs(&mut self) -> Result<Vec<Need>, ConvertError> {
        loop {
            let reachable = self.reachable_plans();
            // Asked afresh each time: a plan's pending need points into this round's list.
            self.asked.clear();
            for plan in &mut self.graph.nodes {
                plan.pending = None;
            }
            let mut index: HashMap<Need, usize> = HashMap::new();
            let mut names = HashMap::new();
            for (i, &is_reachable) in reachable.iter().enumerate() {
                if let Some(n) = self.plan_need(i, is_reachable, &mut names)? {
                    // Consecutive stages usually need the same: compare before hashing.
                    let at = match self.asked.last() {
                        Some(last) if *last == n => self.asked.len() - 1,
                        _ => *index.entry(n).or_insert_with_key(|n| {
                            self.asked.push(n.clone());
                            self.asked.len() - 1
                        }),
                    };
                    self.graph.nodes[i].pending = Some(at);
                }
            }
            if !self.asked.is_empty() {
                return Ok(self.asked.clone());
            }
            if !self.init_onbuild_triggers(&reachable)? {
                return Ok(Vec::new());
            }
            self.round += 1;
            // Images whose triggers copy from each other would add stages forever.
            if self.round > MAX_ONBUILD_ROUNDS {
                return Err(ConvertError::new(format!("ONBUILD triggers kept adding stages to the graph after {MAX_ONBUILD_ROUNDS} rounds")));
            }
        }
    }

    /// The lookup plan `i` waits for; contexts that need no I/O are resolved on the spot.
    /// `names` keeps each base name's normalized reference: stages often share a base.
    fn plan_need(
        &mut self,
        i: usize,
        reachable: bool,
        names: &mut HashMap<String, String>,
    ) -> Result<Option<Need>, ConvertError> {
        let plan = &self.graph.nodes[i];
        if plan.resolved.is_some() || plan.pending.is_some() {
            return Ok(None);
        }
        let location = plan.location;
        let at = |e: ConvertError| match location {
            Some(l) => e.or_at(l),
            None => e,
        };
        let nc = match (&plan.replaced_by, &plan.base) {
            (Some(nc), _) => {
                if !reachable {
                    return Ok(None);
                }
                NamedContext::clone(nc)
            }
            (None, Base::Image) => {
                // Parsed even when unreachable, as the reference does.
                let name = match names.get(&plan.base_name) {
                    Some(name) => name.clone(),
                    None => {
                        let reference = parse_reference(&plan.base_name).map_err(|e| {
                            at(ConvertError::new(format!(
                                "failed to parse stage name {}: {e}",
                                go_quote(&plan.base_name)
                            )))
                        })?;
                        let name = reference.to_string();
                        names.insert(plan.base_name.clone(), name.clone());
                        name
                    }
                };
                if !reachable {
                    let round = Some(self.round);
                    let plan = &mut self.graph.nodes[i];
                    if plan.stage.is_some() && plan.counted_round != round {
                        plan.counted_round = round;
                        plan.from_rounds += 1;
                    }
                    return Ok(None);
                }
                let platform = self.requested_platform(i);
                match contexts::lookup(self.opts, &name, Some(&platform)).map_err(at)? {
                    Some(nc) => nc,
                    None => return Ok(Some(Need::Image((name, platform)))),
                }
            }
            (None, _) => return Ok(None),
        };
        let source = nc.source().map_err(at)?;
        if contexts::needs_loading(&source) {
            return Ok(Some(Need::Context(nc)));
        }
        let resolved = self.resolved_context(i, nc, source, None).map_err(at)?;
        self.graph.nodes[i].resolved = Some(Arc::new(resolved));
        Ok(None)
    }

    /// Takes the gateway's answers for what `needs` asked.
    pub fn provide(&mut self, res: &Resolutions) -> Result<(), ConvertError> {
        // Stages on one base image share its parsed config: by need (each asked once) and
        // whether the stage named its platform.
        let mut images: HashMap<(usize, bool), Arc<Resolved>> = HashMap::new();
        let asked = std::mem::take(&mut self.asked);
        for i in 0..self.graph.nodes.len() {
            let Some(need_index) = self.graph.nodes[i].pending.take() else {
                continue;
            };
            let location = self.graph.nodes[i].location;
            let at = |e: ConvertError| match location {
                Some(l) => e.or_at(l),
                None => e,
            };
            let Some(need) = asked.get(need_index) else {
                continue;
            };
            let resolved = match need {
                Need::Image(key) => {
                    let shared = (need_index, self.graph.nodes[i].platform.is_none());
                    match images.get(&shared) {
                        Some(r) => Arc::clone(r),
                        None => {
                            let found = res.images.get(key).ok_or_else(|| {
                                at(ConvertError::new(format!(
                                    "image {} was not resolved",
                                    key.0
                                )))
                            })?;
                            let img = match found {
                                Ok(img) => img,
                                Err(e) => {
                                    let orig = &self.graph.nodes[i].base_name;
                                    let mut names = self.graph.names();
                                    let common = common_image_names();
                                    names.extend(common.iter().map(String::as_str));
                                    return Err(at(ConvertError::new(suggest::wrap(
                                        format!("{orig}: {e}"),
                                        orig,
                                        &names,
                                        true,
                                    ))));
                                }
                            };
                            let r = Arc::new(self.resolved_image(i, key, img).map_err(at)?);
                            images.insert(shared, Arc::clone(&r));
                            r
                        }
                    }
                }
                Need::Context(nc) => match res.contexts.get(nc) {
                    Some(Ok(loaded)) => {
                        let source = nc.source().map_err(at)?;
                        Arc::new(
                            self.resolved_context(i, nc.clone(), source, Some(loaded.clone()))
                                .map_err(at)?,
                        )
                    }
                    Some(Err(e)) => return Err(at(ConvertError::new(e.clone()))),
                    None => {
                        return Err(at(ConvertError::new(format!(
                            "named context {} was not loaded",
                            nc.name_with_platform
                        ))))
                    }
                },
            };
            self.graph.nodes[i].resolved = Some(resolved);
        }
        Ok(())
    }

    /// dockerfile2llb's `resolveBaseImage` after `ResolveImageConfig`.
    fn resolved_image(
        &self,
        i: usize,
        key: &ImageKey,
        img: &super::ResolvedImage,
    ) -> Result<Resolved, ConvertError> {
        let base_image = Arc::new(
            Image::from_json(&img.config)
                .map_err(|e| ConvertError::new(format!("failed to parse image config: {e}")))?,
        );
        let mut image = Image::clone(&base_image);
        image.created = None;
        let mut platform = key.1.clone();
        if self.graph.nodes[i].platform.is_none() && self.implicit_target {
            platform = auto_detect_platform(&image, &platform, &self.build_platforms);
        }
        let pinned = match &img.digest {
            Some(d) if !key.0.contains('@') => format!("{}@{d}", key.0),
            _ => key.0.clone(),
        };
        let is_scratch = image
            .rootfs
            .diff_ids
            .as_deref()
            .unwrap_or_default()
            .is_empty()
            && image.history.iter().all(|h| h.empty_layer);
        let source = if is_scratch {
            State::scratch()
        } else {
            State::image(
                &pinned,
                ImageOptions {
                    platform: Some(platform.clone()),
                    resolve_mode: self.opts.image_resolve_mode.clone(),
                    metadata: Metadata::default(),
                },
            )
        };
        Ok(Resolved::Image {
            pinned,
            image: Arc::new(image),
            base_image,
            platform,
            is_scratch,
            source,
        })
    }

    fn resolved_context(
        &self,
        i: usize,
        context: NamedContext,
        source: ContextSource,
        loaded: Option<LoadedContext>,
    ) -> Result<Resolved, ConvertError> {
        let (context, source, loaded) = match loaded {
            Some(LoadedContext::Redirected { input, loaded }) => {
                let context = NamedContext { input, ..context };
                let source = context.source()?;
                (context, source, Some(*loaded))
            }
            other => (context, source, other),
        };
        let (_, image) = contexts::context_state(
            &context,
            &source,
            loaded.as_ref(),
            Vec::new(),
            &self.target_platform,
            self.opts.git_advice,
        )?;
        let platform = match (
            &self.graph.nodes[i].replaced_by,
            image.as_ref().and_then(contexts::image_platform),
        ) {
            // A stage replaced by a context takes the platform its image states.
            (Some(_), Some(p)) => p,
            _ => self.requested_platform(i),
        };
        Ok(Resolved::Context {
            context,
            source,
            loaded,
            image,
            platform,
        })
    }

    /// dockerfile2llb's `initOnBuildTriggers` for every reachable plan not yet done: the
    /// triggers of its base image's config, or the ONBUILD commands of its base stage, run
    /// first in the stage. True when they read from plans not read before.
    fn init_onbuild_triggers(&mut self, reachable: &[bool]) -> Result<bool, ConvertError> {
        let mut new_deps = false;
        for (i, &is_reachable) in reachable.iter().enumerate() {
            if !is_reachable || self.graph.nodes[i].triggers_added {
                continue;
            }
            self.graph.nodes[i].triggers_added = true;
            // (Copied first when other plans share the base.)
            let mut triggers: Vec<String> = match self.graph.nodes[i].resolved.as_mut() {
                Some(r) if r.on_build().is_some() => match Arc::make_mut(r) {
                    Resolved::Image { image, .. } => Arc::make_mut(image)
                        .config
                        .on_build
                        .take()
                        .unwrap_or_default(),
                    Resolved::Context { image, .. } => image
                        .as_mut()
                        .and_then(|i| i.config.on_build.take())
                        .unwrap_or_default(),
                },
                _ => Vec::new(),
            };
            if let Some(j) = self.graph.nodes[i].base_stage() {
                let base = &self.graph.nodes[j].commands;
                triggers.extend(plan::onbuild_expressions(base.iter().map(|c| &*c.cmd)));
            }
            if triggers.is_empty() {
                continue;
            }
            let mut planned: Vec<PlannedCommand> = self
                .graph
                .add_triggers(i, &self.lex, &triggers)?
                .into_iter()
                .map(|(cmd, sources)| PlannedCommand {
                    cmd: CommandRef::Owned(Box::new(cmd)),
                    sources,
                    on_build: true,
                })
                .collect();
            new_deps |= planned.iter().any(|pc| !pc.sources.is_empty());
            let plan = &mut self.graph.nodes[i];
            plan.cmd_total += planned.len();
            plan.triggers += planned.len();
            planned.append(&mut plan.commands);
            plan.commands = planned;
        }
        Ok(new_deps)
    }

    /// Lowers every needed stage, in order, and returns the target's state and image config.
    pub fn lower(&self) -> Result<Converted, ConvertError> {
        Ok(self.lower_deferred()?.finish())
    }

    /// `lower`, with the real build contexts not swapped in yet (see [`Lowered::finish`]).
    pub fn lower_deferred(&self) -> Result<Lowered, ConvertError> {
        // The build context's followpaths (and a local named context's) depend on what every
        // COPY and RUN mount reads, known only once every stage is lowered: the stages are
        // lowered once against unique placeholders, which are then swapped for the real ones.
        let pass = self.lower_pass()?;
        let mut swaps = Vec::new();
        // (A placeholder nothing was built on needs no swap.)
        if let Some(placeholder) = pass.context_placeholder.filter(|p| !p.is_unique()) {
            swaps.push((
                placeholder,
                super::copy::build_context(self.opts, Some(follow_paths(&pass.paths.context))),
            ));
        }
        for (i, placeholder) in pass
            .local_placeholders
            .into_iter()
            .filter(|(_, p)| !p.is_unique())
        {
            let Some(Resolved::Context {
                context,
                source,
                loaded,
                ..
            }) = self.graph.nodes[i].resolved.as_deref()
            else {
                continue;
            };
            let follow = follow_paths(&pass.paths.stages[self.paths_root(i)]);
            let (real, _) = contexts::context_state(
                context,
                source,
                loaded.as_ref(),
                follow,
                &self.target_platform,
                self.opts.git_advice,
            )?;
            swaps.push((placeholder, real));
        }
        Ok(Lowered {
            converted: pass.converted,
            swaps,
        })
    }

    fn lower_pass(&self) -> Result<LoweredPass, ConvertError> {
        let context = super::copy::build_context(self.opts, None);
        let context_placeholder = self.opts.main_context.is_none().then(|| context.clone());
        let mut local_placeholders = Vec::new();
        let n = self.graph.nodes.len();
        let reachable = self.reachable_plans();
        let mut states: Vec<Option<Box<StageState>>> = (0..n).map(|_| None).collect();
        let mut paths = UsedPaths {
            context: BTreeSet::new(),
            stages: vec![BTreeSet::new(); n],
        };
        // What stages read from each other matters only to a local named context's followpaths.
        let track_stage_paths = self.graph.nodes.iter().any(|p| {
            matches!(
                p.resolved.as_deref(),
                Some(Resolved::Context {
                    source: ContextSource::Local { .. },
                    ..
                })
            )
        });
        // Pseudo-stages and replaced stages are complete once resolved, before any stage runs.
        let order: Vec<usize> = (0..n)
            .filter(|&i| reachable[i] && self.graph.nodes[i].dispatched_at_resolve())
            .chain((0..n).filter(|&i| reachable[i] && !self.graph.nodes[i].dispatched_at_resolve()))
            .collect();
        // A stage's state is dropped once the last stage reading it is done (peak memory).
        let mut last_reader = vec![None; n];
        for (step, &i) in order.iter().enumerate() {
            let plan = &self.graph.nodes[i];
            if let Some(j) = plan.base_stage() {
                last_reader[j] = Some(step);
            }
            for &j in plan.commands.iter().flat_map(|c| &c.sources) {
                last_reader[j] = Some(step);
            }
        }
        let mut sbom = super::sbom::SbomTargets::default();
        let mut done_reading: Vec<Vec<usize>> = vec![Vec::new(); order.len()];
        for (j, step) in last_reader.iter().enumerate() {
            if let Some(step) = *step {
                if j != self.graph.target {
                    done_reading[step].push(j);
                }
            }
        }
        for (step, &i) in order.iter().enumerate() {
            let mut st = StageState::init(self, i, &states, vec![placeholder_path(i)])?;
            if let Some(Resolved::Context {
                source: ContextSource::Local { .. },
                ..
            }) = self.graph.nodes[i].resolved.as_deref()
            {
                local_placeholders.push((i, st.fs.clone()));
            }
            if !self.graph.nodes[i].dispatched_at_resolve() {
                // At most one history entry per command: sized once (peak memory of long stages).
                st.image.history.reserve(self.graph.nodes[i].commands.len());
                for pc in &self.graph.nodes[i].commands {
                    let cmd: &Command = &pc.cmd;
                    let sources: Vec<Option<&StageState>> = pc
                        .sources
                        .iter()
                        .map(|&j| if j == i { None } else { states[j].as_deref() })
                        .collect();
                    if let (CommandKind::Copy(c), Some(None)) = (&cmd.kind, sources.first()) {
                        return Err(ConvertError::at(
                            format!(
                                "cannot copy from stage {}, it needs to be defined before current stage {}",
                                go_quote(c.from.as_deref().unwrap_or_default()),
                                go_quote(&self.graph.nodes[i].display_name)
                            ),
                            cmd.location,
                        ));
                    }
                    st.cmd_is_onbuild = pc.on_build;
                    let (from, mounts) = match &cmd.kind {
                        CommandKind::Copy(_) => (sources.first().copied().flatten(), &[][..]),
                        _ => (None, &sources[..]),
                    };
                    st.dispatch(self, cmd, from, mounts, &context, &mut paths.context)
                        .map_err(|e| e.or_at(cmd.location))?;
                    if track_stage_paths {
                        self.record_paths(i, pc, &st, &mut paths);
                    }
                }
                st.cmd_is_onbuild = false;
            }
            if self.opts.sbom_targets {
                self.add_sbom_targets(i, &st, &context, &mut sbom);
            }
            states[i] = Some(Box::new(st));
            for &j in &done_reading[step] {
                states[j] = None;
            }
        }
        // The whole target is used.
        let root = self.paths_root(self.graph.target);
        paths.stages[root].insert("/".into());
        let target = states[self.graph.target]
            .take()
            .ok_or_else(|| ConvertError::new("target stage was not built"))?;
        let mut converted = (*target).finish(self);
        converted.sbom = sbom;
        Ok(LoweredPass {
            converted,
            paths,
            context_placeholder,
            local_placeholders,
        })
    }

    /// dockerfile2llb's SBOM targets: the build context if the target scans it, and each other
    /// stage that scans itself. Stages a named context replaces are not dispatched there, so
    /// never scanned.
    fn add_sbom_targets(
        &self,
        i: usize,
        st: &StageState,
        context: &buildkit_llb::State,
        sbom: &mut super::sbom::SbomTargets,
    ) {
        use super::sbom::{enabled, SCAN_CONTEXT, SCAN_STAGE};
        let plan = &self.graph.nodes[i];
        if plan.replaced_by.is_some() {
            return;
        }
        let name = plan.name.as_deref().unwrap_or_default();
        let on = |flag| enabled(flag, name, &self.global_args, &st.build_args);
        if i == self.graph.target {
            if on(SCAN_CONTEXT) {
                sbom.extras.insert("context".into(), context.clone());
            }
            sbom.ignore_cache |= st.ignore_cache;
        } else if on(SCAN_STAGE) {
            sbom.extras.insert(name.to_string(), st.fs.clone());
            sbom.ignore_cache |= st.ignore_cache;
        }
    }

    /// Which plans are resolved and lowered: those the target needs, or all of them.
    fn reachable_plans(&self) -> Vec<bool> {
        self.graph.wanted(self.opts.all_stages)
    }

    /// The plan whose used paths a stage shares: stages share them with their base stage.
    fn paths_root(&self, mut i: usize) -> usize {
        while let Some(j) = self.graph.nodes[i].base_stage() {
            i = j;
        }
        i
    }

    /// What a command read from other plans, so a local named context sends only that.
    fn record_paths(&self, i: usize, pc: &PlannedCommand, st: &StageState, paths: &mut UsedPaths) {
        match &pc.cmd.kind {
            CommandKind::Run(run) => {
                paths.stages[self.paths_root(i)].insert("/".into());
                for (m, &j) in run.mounts.iter().zip(&pc.sources) {
                    let mut expand =
                        |w: &str| self.lex.process_word(w, &st.env).map_err(|e| e.to_string());
                    if let Ok(mount) = crate::instructions::parse_mount_with(m, &mut expand) {
                        paths.stages[self.paths_root(j)]
                            .insert(buildkit_llb::clean_path(&format!("/{}", mount.source)));
                    }
                }
            }
            CommandKind::Copy(c) => {
                if let Some(&j) = pc.sources.first() {
                    let root = self.paths_root(j);
                    for src in &c.sources_and_dest.source_paths {
                        let src = st.expand(&self.lex, src).unwrap_or_else(|_| src.clone());
                        paths.stages[root].insert(buildkit_llb::clean_path(&format!("/{src}")));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Paths read from the build context and from each plan (by the plan sharing them).
#[derive(Debug, Default)]
struct UsedPaths {
    context: BTreeSet<String>,
    stages: Vec<BTreeSet<String>>,
}

struct LoweredPass {
    converted: Converted,
    paths: UsedPaths,
    /// The build context the stages were lowered against (None for a remote context).
    context_placeholder: Option<buildkit_llb::State>,
    /// The local named contexts plans start from, lowered without their followpaths.
    local_placeholders: Vec<(usize, buildkit_llb::State)>,
}

/// The lowered target with its build contexts still placeholders: it holds nothing of the
/// Dockerfile, which the caller can free before [`Lowered::finish`] re-encodes the ops that
/// read a context (the graph is at its largest then).
pub struct Lowered {
    converted: Converted,
    swaps: Vec<(buildkit_llb::State, buildkit_llb::State)>,
}

impl Lowered {
    /// Swaps the real build contexts in for their placeholders.
    pub fn finish(self) -> Converted {
        let mut converted = self.converted;
        if !self.swaps.is_empty() {
            converted.state = converted.state.with_replaced(&self.swaps);
            for extra in converted.sbom.extras.values_mut() {
                *extra = extra.with_replaced(&self.swaps);
            }
        }
        converted
    }
}

/// A followpath no real context has, which makes each plan's placeholder a distinct op.
fn placeholder_path(plan: usize) -> String {
    format!("\u{0}placeholder-{plan}")
}

/// dockerfile2llb's `normalizeContextPaths`: relative, sorted; none when `/` is used.
fn follow_paths(paths: &BTreeSet<String>) -> Vec<String> {
    if paths.contains("/") {
        return Vec::new();
    }
    paths
        .iter()
        .map(|p| p.trim_start_matches('/').to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// RUN, COPY, ADD and WORKDIR are the steps progress names count.
fn counts_as_step(c: &Command) -> bool {
    matches!(
        c.kind,
        CommandKind::Run(_) | CommandKind::Copy(_) | CommandKind::Add(_) | CommandKind::Workdir(_)
    )
}

/// distribution's `ParseNormalizedNamed`, with its error messages.
pub(super) fn parse_reference(name: &str) -> Result<Reference, String> {
    Reference::parse_normalized(name).map_err(|e| e.message)
}

/// The names the reference suggests from when an image cannot be resolved (with its
/// missing `/` after `docker.io/library`, kept so the hints match).
fn common_image_names() -> Vec<String> {
    [
        "alpine", "busybox", "centos", "debian", "golang", "ubuntu", "fedora",
    ]
    .iter()
    .flat_map(|n| {
        [
            n.to_string(),
            format!("docker.io/library{n}"),
            format!("{n}:latest"),
            format!("docker.io/library{n}:latest"),
        ]
    })
    .collect()
}

fn go_quote(s: &str) -> String {
    super::names::go_quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_errors_read_like_go() {
        assert_eq!(
            parse_reference("Foo").unwrap_err(),
            "invalid reference format: repository name (library/Foo) must be lowercase"
        );
        assert_eq!(
            parse_reference("foo:bad tag").unwrap_err(),
            "invalid reference format"
        );
        assert!(parse_reference(&"a".repeat(64))
            .unwrap_err()
            .contains("64-byte hexadecimal"));
        assert_eq!(
            parse_reference("busybox").unwrap().to_string(),
            "docker.io/library/busybox:latest"
        );
    }

    #[test]
    fn follow_paths_are_relative_or_none() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            follow_paths(&set(&["/b", "/a/x"])),
            vec!["a/x".to_string(), "b".to_string()]
        );
        assert!(follow_paths(&set(&["/a", "/"])).is_empty());
    }
}
