//! The stage plan as data (`frontend.plan`, `dockerfile-frontend plan`): the converter's stage
//! graph after base images and named contexts are resolved, read into plain values — each
//! stage with its base, platform and step count, whether the target needs it, the edges that
//! carry files between stages (with their paths), the parallel levels and the critical path.
//! Pure: no rendering here (that is `subrequests/plan.rs`), no second graph (this reads
//! [`super::plan::Graph`] as the converter built it).

use super::plan::Base;
use super::stages::{Conversion, PlanNode, Resolved};
use crate::instructions::{csv_fields, CommandKind};
use crate::syntax::Location;

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanBase {
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// An image: the reference as written (ARGs expanded) and, once resolved, as pinned
    /// (normalised, with the digest when the registry gave one).
    Image {
        reference: String,
        resolved: Option<String>,
    },
    /// A named context (`--build-context NAME=…`, `context:NAME`): its name and input.
    Context {
        name: String,
        input: String,
    },
}

/// Where an edge's files come from: a stage, or an image or named context that only a
/// `COPY --from` or a `RUN --mount from=` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanSource {
    Stage(usize),
    Image {
        reference: String,
        resolved: Option<String>,
    },
    Context {
        name: String,
        input: String,
    },
}

/// How an edge carries files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// `FROM <stage>`: the whole filesystem (and config).
    From,
    /// `COPY --from`.
    Copy,
    /// `RUN --mount from=` (any mount type).
    Mount,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::From => "from",
            EdgeKind::Copy => "copy",
            EdgeKind::Mount => "mount",
        }
    }
}

/// One stage of the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStage {
    pub index: usize,
    /// The `AS` name (lowercased), if any.
    pub name: Option<String>,
    pub base: PlanBase,
    /// The platform it runs on: its `FROM --platform`, its base stage's, the resolved base's,
    /// else the target platform.
    pub platform: String,
    /// `FROM --platform` was given.
    pub platform_flag: bool,
    /// The target needs it (pruned when false).
    pub needed: bool,
    /// Steps as progress counts them (`[name 2/5]`: RUN, COPY, ADD, WORKDIR, the FROM of an
    /// image, ONBUILD triggers). A stage a named context replaces runs none.
    pub steps: usize,
    /// The FROM line (1-based).
    pub line: usize,
}

impl PlanStage {
    /// The name, or `stage-N`.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage-{}", self.index))
    }
}

/// Files carried into a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEdge {
    pub from: PlanSource,
    /// The stage that reads them.
    pub to: usize,
    pub kind: EdgeKind,
    /// Added by an ONBUILD trigger (of the base image or base stage).
    pub onbuild: bool,
    /// The source paths as written (`COPY --from` sources, a mount's `source`, default `/`);
    /// empty for `FROM`.
    pub paths: Vec<String>,
    /// The destination as written: COPY's, or the mount's target.
    pub dest: Option<String>,
    /// The line of the command (of the FROM for ONBUILD triggers), 1-based.
    pub line: usize,
}

/// The longest chain of steps through needed stages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CriticalPath {
    /// Stage indices, first to last (ends at the target).
    pub stages: Vec<usize>,
    pub steps: usize,
}

/// The plan of one conversion (one target platform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanModel {
    pub target: usize,
    /// The target platform of this conversion.
    pub platform: String,
    pub stages: Vec<PlanStage>,
    pub edges: Vec<PlanEdge>,
    /// Needed stages grouped by depth: level 0 depends on no other stage; a stage's level is one
    /// more than the deepest stage it reads. Stages of one level can run at once.
    pub levels: Vec<Vec<usize>>,
    pub critical_path: CriticalPath,
    /// The `INCLUDE`s the Dockerfile's stages came through (our extension), in the order met;
    /// set by the caller from the parsed Dockerfile ([`PlanModel::set_includes`]).
    pub includes: Vec<PlanInclude>,
}

/// One `INCLUDE` (our extension, docs/extensions.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInclude {
    /// The included file, relative to the directory the Dockerfile is read from.
    pub path: String,
    /// The file the INCLUDE is in (`None`: the Dockerfile itself).
    pub in_file: Option<String>,
    pub line: usize,
}

impl PlanModel {
    /// The includes of `ast` (after `syntax::include::expand_includes`).
    pub fn set_includes(&mut self, ast: &crate::syntax::Ast) {
        self.includes = ast
            .includes
            .iter()
            .map(|i| PlanInclude {
                path: i.path.clone(),
                in_file: (i.location.file as usize)
                    .checked_sub(1)
                    .and_then(|n| ast.included_files.get(n).cloned()),
                line: i.location.start_line,
            })
            .collect();
    }

    /// The level of a needed stage.
    pub fn level_of(&self, stage: usize) -> Option<usize> {
        self.levels.iter().position(|l| l.contains(&stage))
    }

    /// The `COPY --from` edges into the target stage: what the final image receives.
    pub fn final_copies(&self) -> impl Iterator<Item = &PlanEdge> {
        self.edges
            .iter()
            .filter(|e| e.to == self.target && e.kind == EdgeKind::Copy)
    }

    /// The stages each stage reads (its base stage and the stages its edges come from), each once.
    pub fn stage_deps(&self) -> Vec<Vec<usize>> {
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); self.stages.len()];
        for e in &self.edges {
            if let (PlanSource::Stage(j), Some(d)) = (&e.from, deps.get_mut(e.to)) {
                if !d.contains(j) {
                    d.push(*j);
                }
            }
        }
        deps
    }
}

fn line(location: Option<Location>) -> usize {
    location.map_or(0, |l| l.start_line)
}

/// The `source` and `target` of a RUN mount as written (`src`, `dst`, `destination` too).
fn mount_paths(raw: &str) -> (String, Option<String>) {
    let fields = csv_fields(raw).unwrap_or_default();
    let mut source = None;
    let mut target = None;
    for f in &fields {
        if let Some((k, v)) = f.split_once('=') {
            match k.to_ascii_lowercase().as_str() {
                "source" | "src" => source = Some(v.to_string()),
                "target" | "dst" | "destination" => target = Some(v.to_string()),
                _ => {}
            }
        }
    }
    (source.unwrap_or_else(|| "/".into()), target)
}

impl Conversion<'_> {
    /// The plan, read from the stage graph. Call it after resolving (`needs`/`provide` until
    /// nothing is needed): before, bases show unresolved and ONBUILD triggers are missing.
    pub fn plan_model(&self) -> PlanModel {
        let nodes = &self.graph.nodes;
        let needed = self.graph.reachable(self.graph.target);
        let target_platform = self.target_platform.to_string();

        let mut stages: Vec<PlanStage> = Vec::new();
        // Node index -> stage index (stages come first, pseudo-nodes after them).
        let stage_of: Vec<Option<usize>> = nodes.iter().map(|n| n.stage).collect();
        for (i, node) in nodes.iter().enumerate() {
            let Some(index) = node.stage else { continue };
            let base = match (&node.replaced_by, node.base) {
                (Some(nc), _) => PlanBase::Context {
                    name: nc.name.clone(),
                    input: nc.input.clone(),
                },
                (None, Base::Scratch) => PlanBase::Scratch,
                (None, Base::Stage(j)) => {
                    PlanBase::Stage(stage_of.get(j).copied().flatten().unwrap_or(j))
                }
                (None, Base::Image) => external(node).into_base(),
            };
            let platform = match (&node.platform, &base) {
                (Some(p), _) => p.to_string(),
                (None, PlanBase::Stage(j)) => stages
                    .iter()
                    .find(|s: &&PlanStage| s.index == *j)
                    .map_or_else(|| target_platform.clone(), |s| s.platform.clone()),
                _ => match node.resolved.as_deref() {
                    Some(Resolved::Image { platform, .. })
                    | Some(Resolved::Context { platform, .. }) => platform.to_string(),
                    None => self.requested_platform(i).to_string(),
                },
            };
            stages.push(PlanStage {
                index,
                name: node.name.clone(),
                base,
                platform,
                platform_flag: node.platform.is_some(),
                needed: needed.get(i).copied().unwrap_or(false),
                steps: if node.replaced_by.is_some() {
                    0
                } else {
                    node.cmd_total
                },
                line: line(node.location),
            });
        }

        let mut edges = Vec::new();
        for node in nodes {
            let Some(to) = node.stage else { continue };
            if let Base::Stage(j) = node.base {
                if node.replaced_by.is_none() {
                    if let Some(Some(from)) = stage_of.get(j) {
                        edges.push(PlanEdge {
                            from: PlanSource::Stage(*from),
                            to,
                            kind: EdgeKind::From,
                            onbuild: false,
                            paths: Vec::new(),
                            dest: None,
                            line: line(node.location),
                        });
                    }
                }
            }
            for pc in &node.commands {
                let source_of = |j: usize| -> Option<PlanSource> {
                    let n = nodes.get(j)?;
                    Some(match n.stage {
                        Some(s) => PlanSource::Stage(s),
                        None => external(n),
                    })
                };
                let at = line(Some(pc.cmd.location));
                match &pc.cmd.kind {
                    CommandKind::Copy(c) => {
                        if let Some(from) = pc.sources.first().and_then(|&j| source_of(j)) {
                            edges.push(PlanEdge {
                                from,
                                to,
                                kind: EdgeKind::Copy,
                                onbuild: pc.on_build,
                                paths: c.sources_and_dest.source_paths.clone(),
                                dest: Some(c.sources_and_dest.dest_path.clone()),
                                line: at,
                            });
                        }
                    }
                    CommandKind::Run(r) => {
                        let froms = super::plan::mount_froms(&r.mounts);
                        for ((raw, from), &j) in r.mounts.iter().zip(&froms).zip(&pc.sources) {
                            // A mount without `from=` (a cache, a tmpfs, a secret) reads no stage.
                            if from.is_empty() {
                                continue;
                            }
                            let Some(src) = source_of(j) else { continue };
                            let (path, dest) = mount_paths(raw);
                            edges.push(PlanEdge {
                                from: src,
                                to,
                                kind: EdgeKind::Mount,
                                onbuild: pc.on_build,
                                paths: vec![path],
                                dest,
                                line: at,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }

        let mut model = PlanModel {
            target: nodes
                .get(self.graph.target)
                .and_then(|n| n.stage)
                .unwrap_or(0),
            platform: target_platform,
            stages,
            edges,
            levels: Vec::new(),
            critical_path: CriticalPath::default(),
            includes: Vec::new(),
        };
        let (levels, critical_path) = levels_and_path(&model);
        model.levels = levels;
        model.critical_path = critical_path;
        model
    }
}

/// An image or named context a node stands for.
fn external(node: &PlanNode<'_>) -> PlanSource {
    match node.resolved.as_deref() {
        Some(Resolved::Context { context, .. }) => PlanSource::Context {
            name: context.name.clone(),
            input: context.input.clone(),
        },
        Some(Resolved::Image { pinned, .. }) => PlanSource::Image {
            reference: node.base_name.clone(),
            resolved: Some(pinned.clone()),
        },
        None => PlanSource::Image {
            reference: node.base_name.clone(),
            resolved: None,
        },
    }
}

impl PlanSource {
    fn into_base(self) -> PlanBase {
        match self {
            PlanSource::Stage(j) => PlanBase::Stage(j),
            PlanSource::Image {
                reference,
                resolved,
            } => PlanBase::Image {
                reference,
                resolved,
            },
            PlanSource::Context { name, input } => PlanBase::Context { name, input },
        }
    }
}

/// The parallel levels of the needed stages and the critical path, in one topological pass
/// (Kahn's algorithm: no recursion; the graph has no cycles, the converter checked).
pub fn levels_and_path(model: &PlanModel) -> (Vec<Vec<usize>>, CriticalPath) {
    let n = model.stages.len();
    let needed: Vec<bool> = model.stages.iter().map(|s| s.needed).collect();
    let deps: Vec<Vec<usize>> = model
        .stage_deps()
        .into_iter()
        .map(|d| d.into_iter().filter(|&j| j < n && needed[j]).collect())
        .collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting: Vec<usize> = vec![0; n];
    for (i, d) in deps.iter().enumerate() {
        if !needed[i] {
            continue;
        }
        waiting[i] = d.len();
        for &j in d {
            users[j].push(i);
        }
    }
    let mut level = vec![0usize; n];
    // Steps of the longest chain ending at each stage, and the stage before it on that chain.
    let mut dist = vec![0usize; n];
    let mut prev: Vec<Option<usize>> = vec![None; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| needed[i] && waiting[i] == 0).collect();
    let mut done = vec![false; n];
    while let Some(i) = ready.pop() {
        done[i] = true;
        let (mut best, mut best_prev) = (0, None);
        for &j in &deps[i] {
            level[i] = level[i].max(level[j] + 1);
            if best_prev.is_none() || dist[j] > best {
                best = dist[j];
                best_prev = Some(j);
            }
        }
        dist[i] = best + model.stages[i].steps;
        prev[i] = best_prev;
        for &u in &users[i] {
            waiting[u] -= 1;
            if waiting[u] == 0 {
                ready.push(u);
            }
        }
    }
    let mut levels: Vec<Vec<usize>> = Vec::new();
    for i in (0..n).filter(|&i| done[i]) {
        if levels.len() <= level[i] {
            levels.resize_with(level[i] + 1, Vec::new);
        }
        levels[level[i]].push(i);
    }
    // The needed stages all lead to the target, so the longest chain ends there.
    let mut path = Vec::new();
    let mut at = Some(model.target).filter(|&t| t < n && done[t]);
    let steps = at.map_or(0, |t| dist[t]);
    while let Some(i) = at {
        path.push(i);
        at = prev[i];
    }
    path.reverse();
    (
        levels,
        CriticalPath {
            stages: path,
            steps,
        },
    )
}
