//! Lowering the needed stages to LLB, in order (dockerfile2llb's `dispatchStages`), against
//! placeholder build contexts that are swapped for the real ones once every path read is known.

use std::collections::BTreeSet;

use super::contexts::{self, ContextSource};
use super::dispatch::dispatch;
use super::stages::Resolved;
use super::stages::{Conversion, PlannedCommand};
use super::state::DispatchCtx;
use super::state::StageState;
use super::{Converted, LocatedError};
use crate::gocompat::go_quote;
use crate::instructions::{Command, CommandKind};

impl Conversion<'_> {
    /// Lowers every needed stage, in order, and returns the target's state and image config.
    pub fn lower(&self) -> Result<Converted, LocatedError> {
        Ok(self.lower_deferred()?.finish())
    }

    /// `lower`, with the real build contexts not swapped in yet (see [`Lowered::finish`]).
    pub fn lower_deferred(&self) -> Result<Lowered, LocatedError> {
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

    fn lower_pass(&self) -> Result<LoweredPass, LocatedError> {
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
        let mut budget = Budget::new(self.limits.output);
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
            // A stage copies its base stage's environment, ARGs and history.
            budget
                .spend(st.state_bytes())
                .map_err(|e| match self.graph.nodes[i].location {
                    Some(l) => e.or_at(l),
                    None => e,
                })?;
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
                        return Err(LocatedError::at(
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
                    let mut ctx = DispatchCtx {
                        conv: self,
                        context: &context,
                        context_paths: &mut paths.context,
                    };
                    let history = st.image.history.len();
                    dispatch(&mut st, &mut ctx, cmd, from, mounts)
                        .map_err(|e| e.or_at(cmd.location))?;
                    let added = st.image.history[history.min(st.image.history.len())..]
                        .iter()
                        .map(|h| h.created_by.as_ref().map_or(0, String::len))
                        .sum();
                    budget.spend(added).map_err(|e| e.or_at(cmd.location))?;
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
            .ok_or_else(|| LocatedError::new("target stage was not built"))?;
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

/// What a conversion may build (`crate::limits::CONVERSION`): the ops made while lowering (as
/// `buildkit_llb::built_bytes` counts them) and the text added to images (history, which
/// holds every ENV, ARG and LABEL value) and copied into each stage from its base stage. A
/// Dockerfile can otherwise repeat a large variable into gigabytes of ops: 1,000 `RUN`s in
/// an environment of 1 MiB.
struct Budget {
    limit: usize,
    ops_start: u64,
    other: usize,
}

impl Budget {
    fn new(limit: usize) -> Self {
        Budget {
            limit,
            ops_start: buildkit_llb::built_bytes(),
            other: 0,
        }
    }

    /// Adds `bytes` (besides ops), and fails when the total is over the limit.
    fn spend(&mut self, bytes: usize) -> Result<(), LocatedError> {
        self.other = self.other.saturating_add(bytes);
        let ops = buildkit_llb::built_bytes().saturating_sub(self.ops_start);
        let total = usize::try_from(ops)
            .unwrap_or(usize::MAX)
            .saturating_add(self.other);
        if total > self.limit {
            return Err(LocatedError::new(format!(
                "the LLB definition and image history exceed the limit of {} per build",
                crate::limits::format_size(self.limit)
            )));
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

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
