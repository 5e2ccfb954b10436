//! What the `frontend.outline` subrequest reports about a target: the build arguments it uses
//! (with their values and doc comments), and the secrets and SSH sockets its `RUN --mount`s ask
//! for — gathered per stage as BuildKit's `outlineCapture` gathers them, then collected over
//! the target, its base stages and the stages it copies from.

use std::collections::{BTreeMap, BTreeSet};

use crate::syntax::Location;

/// A build argument as the outline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineArg {
    pub name: String,
    pub value: String,
    pub description: String,
    pub location: Option<Location>,
}

/// A secret or SSH socket a `RUN --mount` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineMount {
    pub name: String,
    pub required: bool,
    pub location: Option<Location>,
}

/// The outline of one target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outline {
    /// The target stage's name (empty for an unnamed stage).
    pub name: String,
    pub description: String,
    pub args: Vec<OutlineArg>,
    pub secrets: Vec<OutlineMount>,
    pub ssh: Vec<OutlineMount>,
}

/// An ARG definition (BuildKit's `argInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ArgInfo {
    pub key: String,
    pub value: String,
    pub description: String,
    /// Other ARGs its default refers to (global ARGs only).
    pub deps: BTreeSet<String>,
    pub location: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MountInfo {
    pub required: bool,
    pub location: Option<Location>,
}

/// One stage's view (BuildKit's `outlineCapture`): every ARG it can see, which of them it uses,
/// and the secrets and SSH ids its RUN steps mount.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capture {
    pub all_args: BTreeMap<String, ArgInfo>,
    pub used_args: BTreeSet<String>,
    /// In order of first use.
    pub secrets: Vec<(String, MountInfo)>,
    pub ssh: Vec<(String, MountInfo)>,
}

impl Capture {
    /// About how many bytes of text its ARGs hold (what a copy costs).
    pub(crate) fn bytes(&self) -> usize {
        self.all_args
            .values()
            .map(|a| a.key.len() + a.value.len() + a.description.len())
            .sum()
    }

    /// Adds the ARGs used ones depend on, transitively.
    fn mark_all_used(&mut self) {
        let mut stack: Vec<String> = self.used_args.iter().cloned().collect();
        let mut visited = BTreeSet::new();
        while let Some(k) = stack.pop() {
            if !visited.insert(k.clone()) {
                continue;
            }
            if let Some(a) = self.all_args.get(&k) {
                stack.extend(a.deps.iter().cloned());
            }
            self.used_args.insert(k);
        }
    }

    pub fn add_secret(&mut self, id: String, info: MountInfo) {
        if !self.secrets.iter().any(|(k, _)| *k == id) {
            self.secrets.push((id, info));
        }
    }

    pub fn add_ssh(&mut self, id: String, info: MountInfo) {
        if !self.ssh.iter().any(|(k, _)| *k == id) {
            self.ssh.push((id, info));
        }
    }
}

/// A stage in the outline graph: its capture, base stage and the stages it reads from.
pub(crate) struct Node<'a> {
    pub capture: &'a Capture,
    pub base: Option<usize>,
    pub deps: Vec<usize>,
}

/// Collects over `target`, its base chain and dependencies, each name once, sorted by line.
pub(crate) fn outline(
    nodes: &[Node<'_>],
    target: usize,
    name: String,
    description: String,
) -> Outline {
    let order = preorder(nodes, target);
    let mut args = Vec::new();
    let mut seen_args = BTreeSet::new();
    for &i in &order {
        let mut c = nodes[i].capture.clone();
        c.mark_all_used();
        for k in &c.used_args {
            if let Some(a) = c.all_args.get(k) {
                if seen_args.insert(k.clone()) {
                    args.push(OutlineArg {
                        name: a.key.clone(),
                        value: a.value.clone(),
                        description: a.description.clone(),
                        location: a.location,
                    });
                }
            }
        }
    }
    let mounts = |pick: fn(&Capture) -> &Vec<(String, MountInfo)>| {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for &i in &order {
            for (id, info) in pick(nodes[i].capture) {
                if seen.insert(id.clone()) {
                    out.push(OutlineMount {
                        name: id.clone(),
                        required: info.required,
                        location: info.location,
                    });
                }
            }
        }
        out
    };
    let mut secrets = mounts(|c| &c.secrets);
    let mut ssh = mounts(|c| &c.ssh);
    let line = |l: &Option<Location>| l.map_or(0, |l| l.start_line);
    args.sort_by_key(|a| line(&a.location));
    secrets.sort_by_key(|m| line(&m.location));
    ssh.sort_by_key(|m| line(&m.location));
    Outline {
        name,
        description,
        args,
        secrets,
        ssh,
    }
}

/// The stages in the order BuildKit's recursion visits them: a stage, then its base chain, then
/// each dependency. A stage reached again adds nothing new (all its names are seen by then), so
/// each is listed once, which also keeps diamond-shaped graphs linear.
fn preorder(nodes: &[Node<'_>], target: usize) -> Vec<usize> {
    let mut seen = vec![false; nodes.len()];
    let mut out = Vec::new();
    let mut stack = vec![target];
    while let Some(i) = stack.pop() {
        if i >= nodes.len() || std::mem::replace(&mut seen[i], true) {
            continue;
        }
        out.push(i);
        stack.extend(nodes[i].deps.iter().rev());
        stack.extend(nodes[i].base);
    }
    out
}
