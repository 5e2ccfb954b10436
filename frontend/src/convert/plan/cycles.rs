//! dockerfile2llb's `validateCircularDependency`, without recursion (a long chain of stages
//! must not overflow the stack).

use super::Graph;
use crate::convert::LocatedError;
use crate::syntax::Location;

impl<X> Graph<X> {
    /// A stage that (through what its commands read) needs itself. The error names the first
    /// stage from which a cycle is reachable and points at the first command on the path, as
    /// the reference's depth-first search does.
    pub fn check_cycles(&self) -> Result<(), LocatedError> {
        let n = self.nodes.len();
        let mut visited = vec![false; n];
        let mut on_path = vec![false; n];
        // (node, next dep to follow, the first command on the path to the node)
        let mut stack: Vec<(usize, usize, Option<Location>)> = Vec::new();
        for start in 0..n {
            if std::mem::replace(&mut visited[start], true) {
                continue;
            }
            on_path[start] = true;
            stack.push((start, 0, None));
            while let Some((node, next, first)) = stack.last_mut() {
                let Some(dep) = self.nodes[*node].deps.get(*next) else {
                    on_path[*node] = false;
                    stack.pop();
                    continue;
                };
                *next += 1;
                let first = first.or(Some(dep.location));
                if on_path[dep.node] {
                    let msg = format!(
                        "circular dependency detected on stage: {}",
                        self.nodes[start].display_name
                    );
                    return Err(LocatedError {
                        message: msg,
                        location: first,
                    });
                }
                if !std::mem::replace(&mut visited[dep.node], true) {
                    on_path[dep.node] = true;
                    stack.push((dep.node, 0, first));
                }
            }
        }
        Ok(())
    }
}
