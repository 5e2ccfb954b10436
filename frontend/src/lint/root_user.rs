//! Our FinalStageRunsAsRoot rule (opt-in, see `docs/checks/FinalStageRunsAsRoot.md`), in phase
//! two where the base images' configs are known: a final stage that says what it runs (a CMD
//! or ENTRYPOINT in it or the stages it is built on) as root.

use super::multistage::{chain, commands, Finding};
use super::rules;
use super::walk::Checker;
use crate::convert::plan::Base;
use crate::image::Image;
use crate::instructions::{CommandKind, Dockerfile};

/// Whether a USER value (or an image config's `User`) is root: `root` or `0`, with any group.
/// A value with a variable is not judged (not root).
pub(super) fn is_root(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

impl Checker<'_> {
    /// FinalStageRunsAsRoot. `configs`: each node's resolved base image config, if any.
    pub(super) fn final_stage_user(&mut self, configs: &[Option<Image>]) {
        if !self.may_run(&rules::FINAL_STAGE_RUNS_AS_ROOT) {
            return;
        }
        let Some(df) = self.df.take() else {
            return;
        };
        let found = self.root_finding(&df, configs);
        self.report(found.into_iter().collect());
        self.df = Some(df);
    }

    fn root_finding<'d>(
        &self,
        df: &'d Dockerfile,
        configs: &[Option<Image>],
    ) -> Option<Finding<'d>> {
        let g = &self.graph;
        let t = g.target;
        let stage = df.stages.get(g.nodes.get(t)?.stage?)?;
        if self.node_platform(t).os == "windows" {
            return None;
        }
        let ch = chain(g, t);
        let all = || {
            ch.nodes
                .iter()
                .flat_map(|&i| commands(g, df, i).iter().rev())
        };
        let runs_something =
            all().any(|c| matches!(c.kind, CommandKind::Cmd(_) | CommandKind::Entrypoint(_)));
        if !runs_something {
            return None;
        }
        // The last USER: the nearest stage's, its last one.
        let last_user = all().find_map(|c| match &c.kind {
            CommandKind::User(u) => Some((c, u.user.as_str())),
            _ => None,
        });
        let (location, comments, why) = match last_user {
            Some((c, user)) if is_root(user) && !user.contains('$') => (
                c.location,
                &c.comments[..],
                format!("its last USER is {user}"),
            ),
            Some(_) => return None,
            None => {
                if ch.root == Base::Scratch {
                    return None;
                }
                let root = *ch.nodes.last()?;
                let base = &g.nodes.get(root)?.base_name;
                match configs.get(root).and_then(Option::as_ref) {
                    Some(img) => {
                        let user = img.config.user.as_deref().unwrap_or("");
                        if !(user.is_empty() || is_root(user)) {
                            return None;
                        }
                        (
                            stage.location,
                            &stage.comments[..],
                            format!("no USER is set and base image '{base}' runs as root"),
                        )
                    }
                    None => (
                        stage.location,
                        &stage.comments[..],
                        "no USER is set".to_string(),
                    ),
                }
            }
        };
        Some(Finding {
            rule: rules::FINAL_STAGE_RUNS_AS_ROOT.info,
            location,
            comments,
            message: rules::FINAL_STAGE_RUNS_AS_ROOT.message(&why),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_root;

    #[test]
    fn root_users() {
        for u in ["root", "0", "root:root", "0:0", " root "] {
            assert!(is_root(u), "{u}");
        }
        for u in ["1000", "app", "nobody:nogroup", ":", "", "rootless", "10"] {
            assert!(!is_root(u), "{u}");
        }
    }
}
