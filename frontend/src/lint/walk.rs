//! The checker: the reference's conversion walk, reduced to what the rules and the outline
//! need. Phase one ([`Checker::new`], in `stages.rs`) runs before base images are resolved;
//! phase two ([`Checker::dispatch`]) runs each stage's instructions (in `commands.rs`).

use std::collections::BTreeMap;

use buildkit_llb::Platform;

use super::capture::{self, Capture, Outline};
use super::commands::{self, Budget, Ctx, StageRun};
use super::ignore::IgnoreMatcher;
use super::{rules, Config, Sink, Warning};
use crate::convert::plan::{self, Base, Graph};
use crate::convert::{lookup_named_context, EnvList, ImageKey, ResolvedImages};
use crate::image::{Image, DEFAULT_PATH};
use crate::instructions::{Command, Dockerfile};
use crate::shell::Lex;
use crate::syntax::Ast;
use crate::syntax::LocatedError;

/// What the build asks for, as far as the checks are concerned.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
    /// None: the build platform (the reference's "implicit" target platform).
    pub target_platform: Option<Platform>,
    /// The worker's platforms; the first is the build platform.
    pub build_platforms: Vec<Platform>,
    /// Check every stage, not only those the target needs (the `frontend.lint` subrequest).
    pub all_stages: bool,
    /// The build's named contexts (`context:NAME` options), which replace base images.
    pub named_contexts: BTreeMap<String, String>,
}

impl Options {
    /// The checks' view of a build's options. A subrequest converts for the default
    /// platform; a build's warnings come from its first platform. `lint_request`: the
    /// `frontend.lint` subrequest, which checks every stage when no target is given.
    pub fn for_build(
        opts: &crate::options::BuildOptions,
        build_platforms: Vec<Platform>,
        lint_request: bool,
    ) -> Self {
        Options {
            target: opts.target.clone(),
            build_args: opts.build_args.clone(),
            target_platform: if opts.request_id.is_some() {
                None
            } else {
                opts.target_platforms.first().cloned()
            },
            build_platforms,
            all_stages: lint_request && opts.target.is_none(),
            named_contexts: opts.named_contexts.clone(),
        }
    }
}

/// What the checks keep for each node of the stage graph (see [`plan::Node`]).
#[derive(Debug, Default)]
pub(super) struct StageNode {
    pub capture: Capture,
    /// ONBUILD triggers of the base stage, run before the stage's own commands.
    pub triggers: Vec<Command>,
    /// The stage's state after its commands ran (phase two).
    pub run: Option<StageRun>,
    /// The nodes each of the stage's own commands reads (`Graph::command_sources`), by
    /// command index: what our multi-stage rules look at.
    pub sources: Vec<Vec<usize>>,
}

pub struct Checker<'a> {
    pub(super) ast: &'a Ast,
    pub(super) opts: Options,
    pub(super) cfg: Config,
    pub(super) lex: Lex,
    /// The most bytes a stage's environment may hold (`crate::limits::STAGE_ENV`).
    pub(super) env_limit: usize,
    /// What the checks expand and copy, over all stages.
    pub(super) budget: Budget,
    pub(super) sink: Sink,
    pub(super) error: Option<LocatedError>,
    pub(super) df: Option<Dockerfile>,
    pub(super) global_args: EnvList,
    pub(super) graph: Graph<StageNode>,
    pub(super) reachable: Vec<bool>,
    dispatched: bool,
}

impl<'a> Checker<'a> {
    /// Phase one: everything up to base image resolution. Stops where the reference's
    /// conversion would stop with an error (see [`Checker::error`]).
    pub fn new(ast: &'a Ast, opts: Options, cfg: Config) -> Self {
        let limits = crate::limits::Limits::default().for_source(ast.source_len());
        let mut c = Checker {
            ast,
            lex: Lex::new(ast.escape).with_limits(limits),
            env_limit: limits.env,
            budget: Budget::new(limits.output),
            opts,
            cfg,
            sink: Sink::default(),
            error: None,
            df: None,
            global_args: EnvList::new(),
            graph: Graph::default(),
            reachable: Vec::new(),
            dispatched: false,
        };
        if let Err(e) = c.prepare() {
            c.error = Some(e);
        }
        c
    }

    /// The target platform: the one asked for, else the build platform.
    pub(super) fn target_platform(&self) -> Platform {
        self.opts
            .target_platform
            .clone()
            .unwrap_or_else(|| self.build_platform())
    }

    pub(super) fn build_platform(&self) -> Platform {
        self.opts
            .build_platforms
            .first()
            .cloned()
            .or_else(|| self.opts.target_platform.clone())
            .unwrap_or_else(Platform::host)
    }

    fn wanted(&self, i: usize) -> bool {
        self.opts.all_stages || self.reachable.get(i).copied().unwrap_or(false)
    }

    /// The platform stage `i` is built for.
    pub(super) fn node_platform(&self, i: usize) -> Platform {
        self.graph.nodes[i]
            .platform
            .clone()
            .unwrap_or_else(|| self.target_platform())
    }

    /// The base images phase two needs: each (reference, platform) once, in stage order.
    pub fn images_needed(&self) -> Vec<ImageKey> {
        let mut out: Vec<ImageKey> = Vec::new();
        if self.error.is_some() {
            return out;
        }
        for i in 0..self.graph.nodes.len() {
            if let Some(key) = self.image_key(i) {
                if self.wanted(i) && !out.contains(&key) {
                    out.push(key);
                }
            }
        }
        out
    }

    fn image_key(&self, i: usize) -> Option<ImageKey> {
        let n = &self.graph.nodes[i];
        if n.base != Base::Image {
            return None;
        }
        let platform = self.node_platform(i);
        // A named context replaces the image, as in the conversion, which resolves it (and
        // shows it as that context's): the checks ask for nothing in its place.
        let named = lookup_named_context(&self.opts.named_contexts, &n.base_name, Some(&platform));
        if !matches!(named, Ok(None)) {
            return None;
        }
        let reference = buildkit_llb::reference::Reference::parse_normalized(&n.base_name).ok()?;
        Some((reference.to_string(), platform))
    }

    /// Phase two: checks each base image's platform, then runs the stages' instructions.
    /// `ignore` is the build context's `.dockerignore`, for CopyIgnoredFile.
    pub fn dispatch(&mut self, images: &ResolvedImages, ignore: Option<&IgnoreMatcher>) {
        if self.error.is_some() || std::mem::replace(&mut self.dispatched, true) {
            return;
        }
        let configs: Vec<Option<Image>> = (0..self.graph.nodes.len())
            .map(|i| {
                self.image_key(i)
                    .and_then(|k| images.get(&k))
                    .and_then(|r| Image::from_json(&r.config).ok())
            })
            .collect();
        for (i, config) in configs.iter().enumerate() {
            if let (true, Some(img)) = (self.wanted(i), config) {
                self.check_base_platform(i, img);
            }
        }
        for (i, config) in configs.iter().enumerate() {
            if !self.wanted(i) || self.graph.nodes[i].stage.is_none() {
                continue;
            }
            let Some(run) = self.init_stage(i, config.as_ref()) else {
                continue;
            };
            if let Err(e) = self.run_stage(i, run, config.as_ref(), ignore) {
                self.error = Some(e);
                return;
            }
        }
        self.final_stage_user(&configs);
    }

    /// InvalidBaseImagePlatform (dockerfile2llb's `validateBaseImagePlatform`): the image's
    /// OS/architecture against the platform asked for, as written; the message shows both
    /// normalised.
    fn check_base_platform(&mut self, i: usize, img: &Image) {
        let actual = Platform::new(
            &img.os,
            &img.architecture,
            img.variant.as_deref().unwrap_or(""),
        )
        .with_os_version(img.os_version.as_deref().unwrap_or(""));
        let expected = self.node_platform(i);
        let same = |p: &Platform| p.os == actual.os && p.architecture == actual.architecture;
        // With no platform asked for, an image for any of the worker's platforms is used as is.
        let implicit =
            self.graph.nodes[i].platform.is_none() && self.opts.target_platform.is_none();
        if !(same(&expected) || implicit && self.opts.build_platforms.iter().any(same)) {
            let n = &self.graph.nodes[i];
            let msg = rules::INVALID_BASE_IMAGE_PLATFORM.message(
                &n.base_name,
                &expected.normalize().to_string(),
                &actual.normalize().to_string(),
            );
            let loc = n.location;
            self.sink
                .run(&self.cfg, &rules::INVALID_BASE_IMAGE_PLATFORM, loc, msg);
        }
    }

    /// The state a stage starts in: its base stage's, the base image's, or scratch.
    fn init_stage(&self, i: usize, img: Option<&Image>) -> Option<StageRun> {
        let n = &self.graph.nodes[i];
        if let Some(b) = n.base_stage() {
            return self.graph.nodes[b].run.as_ref().map(StageRun::inherit);
        }
        let platform = self.node_platform(i);
        let mut run = StageRun::new(platform.os.clone());
        if n.base_name != "scratch" {
            // An image that could not be resolved: its environment is unknown, so the stage's
            // variables can't be checked.
            let img = img?;
            for e in img.env() {
                let (k, v) = e.split_once('=').unwrap_or((e, ""));
                run.env.set(k, v);
            }
            run.shell = img.config.shell.as_ref().is_some_and(|s| !s.is_empty());
        }
        if platform.os != "windows" && run.env.get("PATH").is_none() {
            run.env.set("PATH", DEFAULT_PATH);
        }
        Some(run)
    }

    fn run_stage(
        &mut self,
        i: usize,
        mut run: StageRun,
        img: Option<&Image>,
        ignore: Option<&IgnoreMatcher>,
    ) -> Result<(), LocatedError> {
        let location = self.graph.nodes[i].location;
        let mut triggers = std::mem::take(&mut self.graph.nodes[i].triggers);
        if self.graph.nodes[i].base_stage().is_none() {
            for t in img
                .and_then(|m| m.config.on_build.clone())
                .unwrap_or_default()
            {
                let t = plan::parse_trigger(&t, location.unwrap_or_default());
                triggers.push(t?);
            }
        }
        let Some(stage) = self.graph.nodes[i]
            .stage
            .and_then(|s| self.df.as_ref().and_then(|df| df.stages.get(s)))
        else {
            return Ok(());
        };
        let commands: Vec<Command> = triggers
            .into_iter()
            .chain(stage.commands.iter().cloned())
            .collect();
        // The stage copies its base stage's environment.
        self.budget.spend(run.env.bytes(), location)?;
        let mut capture = std::mem::take(&mut self.graph.nodes[i].capture);
        let mut ctx = Ctx {
            lex: &self.lex,
            env_limit: self.env_limit,
            budget: self.budget,
            sink: &mut self.sink,
            global_args: &self.global_args,
            build_args: &self.opts.build_args,
            ignore,
        };
        let result = commands.iter().try_for_each(|cmd| {
            let cfg = self.cfg.with_comments(&cmd.comments);
            commands::dispatch(&mut ctx, &cfg, &mut run, &mut capture, cmd)
        });
        self.budget = ctx.budget;
        self.graph.nodes[i].capture = capture;
        self.graph.nodes[i].run = Some(run);
        result
    }

    /// Where the reference's conversion stops with an error, if it does before lowering.
    /// Every stage is checked, not only those the target needs (lint without a target).
    pub fn all_stages(&self) -> bool {
        self.opts.all_stages
    }

    pub fn error(&self) -> Option<&LocatedError> {
        self.error.as_ref()
    }

    /// The violations found so far, in the order the reference reports them.
    pub fn warnings(&self) -> &[Warning] {
        &self.sink.warnings
    }

    /// With `error=true`: the build fails after conversion, naming the rules that fired.
    pub fn violation_error(&self) -> Option<String> {
        (self.cfg.error && !self.sink.called.is_empty()).then(|| {
            format!(
                "lint violation found for rules: {}",
                self.sink.called.join(", ")
            )
        })
    }

    /// The outline of the target (after [`Checker::dispatch`]).
    pub fn outline(&self) -> Outline {
        let nodes: Vec<capture::Node> = self
            .graph
            .nodes
            .iter()
            .map(|n| capture::Node {
                capture: &n.capture,
                base: n.base_stage(),
                deps: n.deps.iter().map(|d| d.node).collect(),
            })
            .collect();
        let stage = self
            .graph
            .nodes
            .get(self.graph.target)
            .and_then(|n| n.stage)
            .and_then(|s| self.df.as_ref()?.stages.get(s));
        let name = stage.and_then(|s| s.name.clone()).unwrap_or_default();
        let description = stage.and_then(|s| s.comment.clone()).unwrap_or_default();
        capture::outline(&nodes, self.graph.target, name, description)
    }
}

impl StageRun {
    /// A stage based on an earlier one starts with its state, but not its CMD/ENTRYPOINT/
    /// HEALTHCHECK history (BuildKit's `dispatchState.init`).
    fn inherit(base: &StageRun) -> StageRun {
        StageRun {
            env: base.env.clone(),
            build_args: base.build_args.clone(),
            shell: base.shell,
            workdir_set: base.workdir_set,
            os: base.os.clone(),
            ..StageRun::new(String::new())
        }
    }
}
