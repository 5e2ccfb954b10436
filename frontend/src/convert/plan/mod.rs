//! The stage graph, as dockerfile2llb's `toDispatchState` builds it: the Dockerfile's stages,
//! what each starts from, the stages and images its commands read (`COPY --from`, RUN mounts),
//! which of them the target needs, cycles, and ONBUILD triggers. One graph for the converter,
//! the build checks and the subrequests: each adds its own per-node data (`X`).

mod cycles;
mod sources;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;
mod triggers;

use std::collections::HashMap;

use buildkit_llb::Platform;

use super::LocatedError;
use crate::gocompat::go_quote;
use crate::instructions::suggest;
use crate::syntax::Location;

pub use sources::{from_needs_expansion, mount_froms};
pub use triggers::{onbuild_expressions, parse_trigger};

/// Where a stage starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Base {
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// An image (or a named context standing for one), by the node's `base_name`.
    #[default]
    Image,
}

/// A node another one reads, with the first command that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dep {
    pub node: usize,
    pub location: Location,
}

/// A Dockerfile stage, or an image (or context) that only a `COPY --from` or a RUN mount
/// names (the reference's "unregistered" states), with the user's data `X`.
#[derive(Debug, Default)]
pub struct Node<X> {
    /// Index into the Dockerfile's stages; None for an image named by `--from`/`from=`.
    pub stage: Option<usize>,
    /// Lowercased `AS` name.
    pub name: Option<String>,
    /// The name progress lines and errors show: the stage name, `stage-N`, or nothing for a
    /// one-node graph (none for an image named by `--from`).
    pub display_name: String,
    /// FROM's name after expansion (an image's `--from`/`from=` value as written).
    pub base_name: String,
    pub base: Base,
    /// `FROM --platform`, expanded and parsed.
    pub platform: Option<Platform>,
    /// The FROM line (an image `COPY --from` names: the COPY; a mount's: none).
    pub location: Option<Location>,
    /// What its commands (ONBUILD triggers first) read, each node once.
    pub deps: Vec<Dep>,
    /// The base stage's ONBUILD triggers were added (see [`Graph::wanted`]).
    pub triggers_added: bool,
    pub data: X,
}

// The graph's fields and the user's read alike (`plan.base_name`, `plan.resolved`).
impl<X> std::ops::Deref for Node<X> {
    type Target = X;
    fn deref(&self) -> &X {
        &self.data
    }
}

impl<X> std::ops::DerefMut for Node<X> {
    fn deref_mut(&mut self) -> &mut X {
        &mut self.data
    }
}

impl<X> Node<X> {
    /// The earlier stage this one starts from.
    pub fn base_stage(&self) -> Option<usize> {
        match self.base {
            Base::Stage(j) => Some(j),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Graph<X> {
    pub nodes: Vec<Node<X>>,
    /// The last stage registered under each (lowercased) name.
    names: HashMap<String, usize>,
    pub target: usize,
}

impl<X> Default for Graph<X> {
    fn default() -> Self {
        Graph {
            nodes: Vec::new(),
            names: HashMap::new(),
            target: 0,
        }
    }
}

impl<X: Default> Graph<X> {
    /// What a stage whose FROM expanded to `base_name` starts from: the latest stage of that
    /// name defined so far (matched as written), scratch, or an image.
    pub fn base_for(&self, base_name: &str) -> Base {
        match self.names.get(base_name) {
            Some(&j) => Base::Stage(j),
            None if base_name == "scratch" => Base::Scratch,
            None => Base::Image,
        }
    }

    /// Adds a stage (dockerfile2llb's `addState`), registering its name.
    pub fn push_stage(&mut self, node: Node<X>) -> usize {
        if let Some(name) = &node.name {
            self.names.insert(name.clone(), self.nodes.len());
        }
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The stage registered last under this name (names compare lowercased).
    pub fn find_by_name(&self, name: &str) -> Option<usize> {
        self.names.get(&name.to_ascii_lowercase()).copied()
    }

    /// The named stages' display names, in order (the reference's `names()`).
    pub fn names(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .map(|p| p.display_name.as_str())
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// `--target`, or the last stage.
    pub fn resolve_target(&mut self, target: Option<&str>) -> Result<usize, LocatedError> {
        let Some(t) = target else {
            self.target = self.nodes.len().saturating_sub(1);
            return Ok(self.target);
        };
        self.target = self.find_by_name(t).ok_or_else(|| {
            LocatedError::new(suggest::wrap(
                format!("target stage {} could not be found", go_quote(t)),
                t,
                &self.names(),
                true,
            ))
        })?;
        Ok(self.target)
    }

    /// A node for an image (or context) named only by `--from`/`from=`.
    fn add_pseudo(&mut self, name: &str, location: Option<Location>) -> usize {
        let base = if name == "scratch" {
            Base::Scratch
        } else {
            Base::Image
        };
        self.nodes.push(Node {
            base_name: name.to_string(),
            base,
            location,
            ..Node::default()
        });
        self.nodes.len() - 1
    }

    /// Records that node `i` reads `sources` through the command at `location`. ONBUILD
    /// triggers (`front`) run before the stage's own commands, so they come first.
    pub fn add_deps(&mut self, i: usize, sources: &[usize], location: Location, front: bool) {
        let node = &mut self.nodes[i];
        let mut new: Vec<Dep> = Vec::new();
        for &j in sources {
            if !node.deps.iter().chain(&new).any(|d| d.node == j) {
                new.push(Dep { node: j, location });
            }
        }
        if front {
            new.append(&mut node.deps);
            node.deps = new;
        } else {
            node.deps.append(&mut new);
        }
    }

    /// The nodes the target needs (bases and what commands read, transitively), or all of
    /// them (dockerfile2llb's `AllStages`).
    pub fn wanted(&self, all_stages: bool) -> Vec<bool> {
        if all_stages {
            vec![true; self.nodes.len()]
        } else {
            self.reachable(self.target)
        }
    }

    /// dockerfile2llb's `allReachableStages`, without recursion.
    pub fn reachable(&self, from: usize) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![from];
        while let Some(i) = stack.pop() {
            if i >= seen.len() || std::mem::replace(&mut seen[i], true) {
                continue;
            }
            stack.extend(self.nodes[i].base_stage());
            stack.extend(
                self.nodes[i]
                    .deps
                    .iter()
                    .map(|d| d.node)
                    .filter(|&j| !seen[j]),
            );
        }
        seen
    }
}
