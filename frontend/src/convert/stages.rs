//! The stage graph: global ARGs, FROM lines expanded, stage names, `COPY --from` edges,
//! the target and the stages it needs, cycles; then lowering the needed stages in order.

use std::collections::BTreeSet;

use buildkit_llb::reference::Reference;
use buildkit_llb::Platform;

use super::dispatch::StageState;
use super::env::EnvList;
use super::{ConvertError, ConvertOptions, Converted, ResolvedImages};
use crate::instructions::{CommandKind, Dockerfile, Stage};
use crate::shell::Lex;
use crate::syntax::Location;

/// An image to resolve: its normalised reference and the platform wanted.
pub type ImageKey = (String, Platform);

/// Where a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Base {
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// A normalised image reference.
    Image(String),
}

/// One node of the graph: a Dockerfile stage, or an image used only by `COPY --from=<image>`.
#[derive(Debug)]
pub(super) struct StagePlan<'a> {
    pub stage: Option<&'a Stage>,
    /// Lowercased `AS` name.
    pub name: Option<String>,
    /// The name progress lines show: the stage name, `stage-N`, or nothing for a one-stage file.
    pub display_name: String,
    pub base: Base,
    /// `FROM --platform`, expanded and parsed.
    pub platform: Option<Platform>,
    pub location: Location,
    /// For each command: the stage its `--from` names, if any.
    pub copy_from: Vec<Option<usize>>,
    /// For each command: the node each `RUN --mount` reads from, in mount order.
    pub run_mounts: Vec<Vec<usize>>,
    /// Steps counted in progress names (`[stage 2/5]`).
    pub cmd_total: usize,
    pub ignore_cache: bool,
}

pub struct Conversion<'a> {
    pub(super) opts: &'a ConvertOptions,
    pub(super) lex: Lex,
    pub(super) global_args: EnvList,
    pub(super) plans: Vec<StagePlan<'a>>,
    pub(super) target: usize,
    pub(super) needed: Vec<bool>,
    pub(super) target_platform: Platform,
}

impl<'a> Conversion<'a> {
    pub fn new(df: &'a Dockerfile, escape: char, opts: &'a ConvertOptions) -> Result<Self, ConvertError> {
        if df.stages.is_empty() {
            return Err(ConvertError::new("dockerfile contains no stages to build"));
        }
        let lex = Lex::new(escape);
        let target_platform = opts.effective_target_platform();
        let target_name = opts.target.clone().or_else(|| df.stages.last().and_then(|s| s.name.clone()));
        let mut global_args = default_args(&opts.build_platform(), &target_platform, &opts.build_args, target_name.as_deref());
        for cmd in &df.meta_args {
            for arg in &cmd.args {
                let value = match opts.build_args.get(&arg.key) {
                    Some(v) => Some(v.clone()),
                    None => match &arg.value {
                        Some(v) => Some(lex.process_word(v, &global_args).map_err(|e| ConvertError::at(e.to_string(), cmd.location))?),
                        None => None,
                    },
                };
                if let Some(v) = value {
                    global_args.set(&arg.key, &v);
                }
            }
        }

        let mut plans: Vec<StagePlan> = Vec::with_capacity(df.stages.len());
        for (i, st) in df.stages.iter().enumerate() {
            let base_name = lex.process_word(&st.base_name, &global_args).map_err(|e| ConvertError::at(e.to_string(), st.location))?;
            if base_name.is_empty() {
                return Err(ConvertError::at(format!("base name ({}) should not be blank", st.base_name), st.location));
            }
            let platform = match &st.platform {
                Some(p) => Some(expand_platform(&lex, p, &global_args, st.location)?),
                None => None,
            };
            let earlier = plans.iter().position(|p| p.name.as_deref() == Some(base_name.as_str()));
            let base = match earlier {
                Some(j) => Base::Stage(j),
                None if base_name == "scratch" => Base::Scratch,
                None => Base::Image(normalize_image(&base_name, st.location)?),
            };
            plans.push(StagePlan {
                stage: Some(st),
                name: st.name.clone(),
                display_name: st.name.clone().unwrap_or_else(|| format!("stage-{i}")),
                base,
                platform,
                location: st.location,
                copy_from: Vec::new(),
                run_mounts: Vec::new(),
                cmd_total: 0,
                ignore_cache: opts.no_cache.as_ref().is_some_and(|n| match n {
                    crate::options::NoCache::All => true,
                    crate::options::NoCache::Stages(names) => st.name.as_ref().is_some_and(|s| names.contains(s)),
                }),
            });
        }
        let n_stages = plans.len();
        for i in 0..n_stages {
            let Some(stage) = plans[i].stage else { continue };
            let mut copy_from = Vec::with_capacity(stage.commands.len());
            let mut run_mounts = Vec::with_capacity(stage.commands.len());
            for cmd in &stage.commands {
                let from = match &cmd.kind {
                    CommandKind::Copy(c) => c.from.as_deref(),
                    _ => None,
                };
                copy_from.push(match from {
                    Some(f) => Some(resolve_from(&lex, f, &mut plans, n_stages, cmd.location)?),
                    None => None,
                });
                run_mounts.push(super::mounts::mount_sources(cmd, &mut plans, n_stages).map_err(|e| e.or_at(cmd.location))?);
            }
            let steps = stage.commands.iter().filter(|c| matches!(c.kind, CommandKind::Run(_) | CommandKind::Copy(_) | CommandKind::Add(_) | CommandKind::Workdir(_))).count();
            let from_counts = matches!(plans[i].base, Base::Image(_));
            plans[i].cmd_total = steps + usize::from(from_counts);
            plans[i].copy_from = copy_from;
            plans[i].run_mounts = run_mounts;
        }
        check_cycles(&plans)?;
        // As in BuildKit, nodes added for `--from` images and mounts count: only a lone stage goes unnamed.
        if plans.len() == 1 {
            plans[0].display_name.clear();
        }

        let target = match &opts.target {
            Some(t) => {
                let t = t.to_ascii_lowercase();
                plans.iter().position(|p| p.stage.is_some() && p.name.as_deref() == Some(t.as_str())).ok_or_else(|| {
                    let names: Vec<&str> = plans.iter().filter_map(|p| p.name.as_deref()).collect();
                    ConvertError::new(format!("target stage {:?} could not be found{}", opts.target.as_deref().unwrap_or_default(), suggest(&t, &names)))
                })?
            }
            None => n_stages - 1,
        };
        let needed = reachable(&plans, target);
        Ok(Conversion { opts, lex, global_args, plans, target, needed, target_platform })
    }

    /// The platform a stage builds for: its `FROM --platform`, else the target platform.
    pub(super) fn stage_platform(&self, i: usize) -> Platform {
        self.plans[i].platform.clone().unwrap_or_else(|| self.target_platform.clone())
    }

    /// Every base image the needed stages use, each (reference, platform) once, in stage order.
    pub fn images_to_resolve(&self) -> Vec<ImageKey> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, p) in self.plans.iter().enumerate() {
            if let (true, Base::Image(r)) = (self.needed[i], &p.base) {
                let key = (r.clone(), self.stage_platform(i));
                if seen.insert(key.clone()) {
                    out.push(key);
                }
            }
        }
        out
    }

    /// Lowers every needed stage, in order, and returns the target's state and image config.
    pub fn lower(&self, images: &ResolvedImages) -> Result<Converted, ConvertError> {
        // The build context's followpaths depend on what every COPY reads, known only after a
        // first pass; the second pass builds with the filtered context.
        // The first pass builds no LLB (`sketch`: placeholders only), which keeps it cheap.
        let paths = buildkit_llb::sketch(|| self.lower_pass(images, None))?.context_paths;
        let pass = self.lower_pass(images, Some(paths))?;
        Ok(pass.converted)
    }

    fn lower_pass(&self, images: &ResolvedImages, context_paths: Option<BTreeSet<String>>) -> Result<LoweredPass, ConvertError> {
        let context = super::copy::build_context(self.opts, context_paths.as_ref());
        let mut states: Vec<Option<StageState>> = (0..self.plans.len()).map(|_| None).collect();
        let mut used_paths = BTreeSet::new();
        // Images named by `COPY --from` come first: they depend on nothing, and stages may use them.
        let pseudo_first = (0..self.plans.len()).filter(|&i| self.plans[i].stage.is_none()).chain((0..self.plans.len()).filter(|&i| self.plans[i].stage.is_some()));
        for i in pseudo_first {
            if !self.needed[i] {
                continue;
            }
            let mut st = StageState::init(self, i, &states, images)?;
            if let Some(stage) = self.plans[i].stage {
                for (ci, cmd) in stage.commands.iter().enumerate() {
                    let from = self.plans[i].copy_from.get(ci).copied().flatten();
                    let source = match from {
                        Some(j) => match &states[j] {
                            Some(s) if j != i => Some(s),
                            _ => {
                                let from_name = match &cmd.kind {
                                    CommandKind::Copy(c) => c.from.clone().unwrap_or_default(),
                                    _ => String::new(),
                                };
                                return Err(ConvertError::at(
                                    format!("cannot copy from stage {from_name:?}, it needs to be defined before current stage {:?}", self.plans[i].display_name),
                                    cmd.location,
                                ));
                            }
                        },
                        None => None,
                    };
                    let mounts: Vec<Option<&StageState>> = self.plans[i].run_mounts.get(ci).map_or(&[][..], Vec::as_slice).iter().map(|&j| states[j].as_ref()).collect();
                    st.dispatch(self, cmd, source, &mounts, &context, &mut used_paths).map_err(|e| e.or_at(cmd.location))?;
                }
            }
            states[i] = Some(st);
        }
        let target = states[self.target].take().ok_or_else(|| ConvertError::new("target stage was not built"))?;
        Ok(LoweredPass { converted: target.finish(self), context_paths: used_paths })
    }
}

struct LoweredPass {
    converted: Converted,
    context_paths: BTreeSet<String>,
}

/// The ARGs every Dockerfile has: the build and target platforms and the target stage.
fn default_args(build: &Platform, target: &Platform, overrides: &std::collections::BTreeMap<String, String>, target_stage: Option<&str>) -> EnvList {
    let mut env = EnvList::new();
    let pairs = [
        ("BUILDPLATFORM", format_platform(build)),
        ("BUILDOS", build.os.clone()),
        ("BUILDOSVERSION", String::new()),
        ("BUILDARCH", build.architecture.clone()),
        ("BUILDVARIANT", build.variant.clone()),
        ("TARGETPLATFORM", target.to_string()),
        ("TARGETOS", target.os.clone()),
        ("TARGETOSVERSION", String::new()),
        ("TARGETARCH", target.architecture.clone()),
        ("TARGETVARIANT", target.variant.clone()),
        ("TARGETSTAGE", target_stage.unwrap_or("default").to_string()),
    ];
    for (k, v) in pairs {
        env.set(k, overrides.get(k).map_or(v.as_str(), String::as_str));
    }
    env
}

/// containerd's `platforms.Format`: os/arch[/variant].
fn format_platform(p: &Platform) -> String {
    p.to_string()
}

fn expand_platform(lex: &Lex, spec: &str, args: &EnvList, loc: Location) -> Result<Platform, ConvertError> {
    let v = lex.process_word(spec, args).map_err(|e| ConvertError::at(format!("failed to process arguments for platform {spec}: {e}"), loc))?;
    if v.is_empty() {
        return Err(ConvertError::at(format!("empty platform value from expression {spec}"), loc));
    }
    Platform::parse(&v).map_err(|e| ConvertError::at(format!("failed to parse platform {spec}: {e}"), loc))
}

fn normalize_image(name: &str, loc: Location) -> Result<String, ConvertError> {
    Reference::parse_normalized(name)
        .map(|r| r.to_string())
        .map_err(|e| ConvertError::at(format!("failed to parse stage name {name:?}: {e}"), loc))
}

/// `--from=` names a stage (by name or index) or else an image, added as a pseudo-stage.
fn resolve_from(lex: &Lex, from: &str, plans: &mut Vec<StagePlan>, n_stages: usize, loc: Location) -> Result<usize, ConvertError> {
    let expanded = lex.process_word(from, &EnvList::new()).map_err(|e| ConvertError::at(e.to_string(), loc))?;
    if expanded != from {
        return Err(ConvertError::at(
            "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
            loc,
        ));
    }
    if let Ok(index) = from.parse::<i64>() {
        return usize::try_from(index).ok().filter(|&i| i < plans.len()).ok_or_else(|| ConvertError::at(format!("invalid stage index {index}"), loc));
    }
    let lower = from.to_ascii_lowercase();
    if let Some(i) = plans[..n_stages].iter().position(|p| p.name.as_deref() == Some(lower.as_str())) {
        return Ok(i);
    }
    let reference = normalize_image(from, loc)?;
    if let Some(i) = plans[n_stages..].iter().position(|p| p.base == Base::Image(reference.clone())) {
        return Ok(n_stages + i);
    }
    plans.push(StagePlan {
        stage: None,
        name: None,
        display_name: String::new(),
        base: Base::Image(reference),
        platform: None,
        location: loc,
        copy_from: Vec::new(),
        run_mounts: Vec::new(),
        cmd_total: 0,
        ignore_cache: false,
    });
    Ok(plans.len() - 1)
}

fn deps<'p>(p: &'p StagePlan<'_>) -> impl Iterator<Item = usize> + 'p {
    let base = match p.base {
        Base::Stage(j) => Some(j),
        _ => None,
    };
    base.into_iter().chain(p.copy_from.iter().flatten().copied()).chain(p.run_mounts.iter().flatten().copied())
}

fn reachable(plans: &[StagePlan], target: usize) -> Vec<bool> {
    let mut seen = vec![false; plans.len()];
    let mut stack = vec![target];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(deps(&plans[i]).filter(|&j| !seen[j]));
    }
    seen
}

/// A stage that (through `COPY --from`) needs itself can never build.
fn check_cycles(plans: &[StagePlan]) -> Result<(), ConvertError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks = vec![Mark::New; plans.len()];
    for start in 0..plans.len() {
        if marks[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, deps(&plans[start]).collect())];
        marks[start] = Mark::OnPath;
        while let Some((node, pending)) = stack.last_mut() {
            let node = *node;
            match pending.pop() {
                Some(next) if marks[next] == Mark::OnPath => {
                    let uses = |ci: usize| plans[node].copy_from.get(ci) == Some(&Some(next)) || plans[node].run_mounts.get(ci).is_some_and(|m| m.contains(&next));
                    let loc = plans[node].stage.and_then(|s| s.commands.iter().enumerate().find(|(ci, _)| uses(*ci)).map(|(_, c)| c.location));
                    let name = &plans[start].display_name;
                    let msg = format!("circular dependency detected on stage: {name}");
                    return Err(match loc {
                        Some(l) => ConvertError::at(msg, l),
                        None => ConvertError::at(msg, plans[node].location),
                    });
                }
                Some(next) if marks[next] == Mark::New => {
                    marks[next] = Mark::OnPath;
                    stack.push((next, deps(&plans[next]).collect()));
                }
                Some(_) => {}
                None => {
                    marks[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}

/// ` (did you mean x?)` when a name is close to one that exists.
pub(super) fn suggest(wrong: &str, options: &[&str]) -> String {
    let best = options
        .iter()
        .map(|o| (levenshtein(wrong, o), *o))
        .filter(|(d, o)| *d <= (o.len().max(wrong.len()) / 3).max(1))
        .min();
    match best {
        Some((_, o)) => format!(" (did you mean {o}?)"),
        None => String::new(),
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
