//! Our multi-stage rules (opt-in, see `docs/checks.md`): what the final stage copies and is
//! based on (FinalStageCopiesWholeStage, FinalStageCopiesWholeContext, ToolchainInFinalStage),
//! stages nothing can build (UnreachableStage), and (in `scratch_paths.rs`) `COPY --from`
//! paths a stage built FROM scratch never has (CopyFromUnwrittenPath). They read the stage
//! graph the checker built with `convert::plan` (stages, bases, what each command reads), and
//! never resolve stages themselves.

use super::rules::{self, RuleInfo};
use super::walk::{Checker, StageNode};
use crate::convert::plan::{Base, Graph};
use crate::instructions::{Command, CommandKind, Dockerfile};
use crate::syntax::Location;

/// One violation found, before the configuration (and the `# check=` comments above its
/// instruction) decide whether it is reported.
pub(super) struct Finding<'d> {
    pub rule: RuleInfo,
    pub location: Location,
    pub comments: &'d [String],
    pub message: String,
}

/// Base images that are toolchains: the repository's last path component. `openjdk` only
/// when its tag does not say `jre`; `dotnet/sdk` is matched on its last two components.
/// Language runtimes that also serve as the runtime of the built program (`node`, `python`,
/// `ruby`, `php`, `eclipse-temurin`, …) are not listed.
pub(super) const TOOLCHAIN_IMAGES: [&str; 9] = [
    "golang",
    "rust",
    "gcc",
    "maven",
    "gradle",
    "sbt",
    "openjdk",
    "buildpack-deps",
    "haskell",
];

impl Checker<'_> {
    /// Phase one, once the graph is complete: our multi-stage rules, when any is turned on.
    pub(super) fn multistage_checks(&mut self, df: &Dockerfile) {
        let rules = [
            rules::FINAL_STAGE_COPIES_WHOLE_STAGE.info,
            rules::FINAL_STAGE_COPIES_WHOLE_CONTEXT.info,
            rules::TOOLCHAIN_IN_FINAL_STAGE.info,
            rules::UNREACHABLE_STAGE.info,
        ];
        if !rules.iter().any(|r| self.may_run(r)) {
            return;
        }
        let mut found = final_stage(&self.graph, df);
        found.extend(unreachable_stages(&self.graph, df));
        self.report(found);
    }

    /// Whether `rule` can run anywhere in the file: named in `experimental=` of the build's
    /// configuration, or in a comment above some instruction (a `# check=` there).
    pub(super) fn may_run(&self, rule: &RuleInfo) -> bool {
        self.cfg.experimental.contains(rule.name)
            || self
                .ast
                .nodes
                .iter()
                .any(|n| n.prev_comment.iter().any(|l| l.contains(rule.name)))
    }

    pub(super) fn report(&mut self, found: Vec<Finding<'_>>) {
        for f in found {
            let cfg = self.cfg.with_comments(f.comments);
            self.sink.run(&cfg, &f.rule, Some(f.location), f.message);
        }
    }
}

/// A stage and the stages it is built on, nearest first.
pub(super) struct Chain {
    pub nodes: Vec<usize>,
    /// What the first of them starts from: `Base::Scratch` or `Base::Image` (never a stage).
    pub root: Base,
}

pub(super) fn chain<X>(g: &Graph<X>, i: usize) -> Chain {
    let mut nodes = vec![i];
    let mut cur = i;
    loop {
        let Some(n) = g.nodes.get(cur) else {
            return Chain {
                nodes,
                root: Base::Image,
            };
        };
        match n.base {
            // A stage is only ever based on an earlier one.
            Base::Stage(j) if j < cur => {
                nodes.push(j);
                cur = j;
            }
            Base::Stage(_) => {
                return Chain {
                    nodes,
                    root: Base::Image,
                }
            }
            root => return Chain { nodes, root },
        }
    }
}

/// The Dockerfile commands of node `i` (none for an image node).
pub(super) fn commands<'d, X>(g: &Graph<X>, df: &'d Dockerfile, i: usize) -> &'d [Command] {
    g.nodes
        .get(i)
        .and_then(|n| n.stage)
        .and_then(|s| df.stages.get(s))
        .map_or(&[], |s| s.commands.as_slice())
}

/// The earlier stage the target reads its artifacts from (its builder), if any: the first
/// Dockerfile stage outside the target's own chain that one of its commands reads
/// (`COPY --from`, `RUN --mount from=`).
fn builder(g: &Graph<StageNode>, chain: &Chain) -> Option<usize> {
    let t = *chain.nodes.first()?;
    g.nodes
        .get(t)?
        .sources
        .iter()
        .flatten()
        .copied()
        .find(|&j| g.nodes.get(j).is_some_and(|n| n.stage.is_some()) && !chain.nodes.contains(&j))
}

/// A path cleaned as Go's `path.Clean` does for an absolute path (`.`, `..`, `//` removed).
pub(super) fn clean_abs(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// FinalStageCopiesWholeStage, FinalStageCopiesWholeContext and ToolchainInFinalStage.
fn final_stage<'d>(g: &Graph<StageNode>, df: &'d Dockerfile) -> Vec<Finding<'d>> {
    let mut out = Vec::new();
    let t = g.target;
    let Some(stage) = g
        .nodes
        .get(t)
        .and_then(|n| n.stage)
        .and_then(|s| df.stages.get(s))
    else {
        return out;
    };
    let ch = chain(g, t);
    let Some(builder) = builder(g, &ch) else {
        return out;
    };
    let builder_name = g.nodes[builder].display_name.clone();
    let sources = &g.nodes[t].sources;
    for (k, cmd) in stage.commands.iter().enumerate() {
        let CommandKind::Copy(cp) = &cmd.kind else {
            continue;
        };
        let paths = &cp.sources_and_dest.source_paths;
        match &cp.from {
            Some(from) => {
                // Sources are relative to the stage's root: `.` is all of it too.
                let whole = paths.iter().any(|p| {
                    !p.is_empty() && !p.contains('$') && clean_abs(&format!("/{p}")) == "/"
                });
                let src = sources.get(k).and_then(|s| s.first().copied());
                let Some(j) = src.filter(|&j| g.nodes.get(j).is_some_and(|n| n.stage.is_some()))
                else {
                    continue;
                };
                // A stage built FROM scratch holds only what was copied into it: copying it
                // whole is the usual way to gather artifacts.
                if whole && chain(g, j).root == Base::Image {
                    out.push(Finding {
                        rule: rules::FINAL_STAGE_COPIES_WHOLE_STAGE.info,
                        location: cmd.location,
                        comments: &cmd.comments,
                        message: rules::FINAL_STAGE_COPIES_WHOLE_STAGE.message(from),
                    });
                }
            }
            None => {
                if let Some(p) = paths.iter().find(|p| matches!(p.as_str(), "." | "./")) {
                    out.push(Finding {
                        rule: rules::FINAL_STAGE_COPIES_WHOLE_CONTEXT.info,
                        location: cmd.location,
                        comments: &cmd.comments,
                        message: rules::FINAL_STAGE_COPIES_WHOLE_CONTEXT.message(p, &builder_name),
                    });
                }
            }
        }
    }
    let root = ch.nodes.last().copied().unwrap_or(t);
    if ch.root == Base::Image {
        if let Some(root_node) = g.nodes.get(root) {
            if is_toolchain(&root_node.base_name) {
                out.push(Finding {
                    rule: rules::TOOLCHAIN_IN_FINAL_STAGE.info,
                    location: stage.location,
                    comments: &stage.comments,
                    message: rules::TOOLCHAIN_IN_FINAL_STAGE
                        .message(&root_node.base_name, &builder_name),
                });
            }
        }
    }
    out
}

/// Whether an image reference names a toolchain image (see [`TOOLCHAIN_IMAGES`]).
pub(super) fn is_toolchain(image: &str) -> bool {
    let without_digest = image.split('@').next().unwrap_or(image);
    let mut components = without_digest.rsplit('/');
    let last = components.next().unwrap_or(without_digest);
    let parent = components.next().unwrap_or("");
    let (repo, tag) = last.split_once(':').unwrap_or((last, ""));
    let (repo, tag) = (repo.to_ascii_lowercase(), tag.to_ascii_lowercase());
    if repo == "sdk" && parent.eq_ignore_ascii_case("dotnet") {
        return true;
    }
    if repo == "openjdk" && tag.contains("jre") {
        return false;
    }
    TOOLCHAIN_IMAGES.contains(&repo.as_str())
}

/// UnreachableStage: an unnamed stage, not the last, that no node is based on or reads. Not
/// reported at all when an ONBUILD trigger could read a stage (`--from`, `from=`).
fn unreachable_stages<'d>(g: &Graph<StageNode>, df: &'d Dockerfile) -> Vec<Finding<'d>> {
    let onbuild_reads = df.stages.iter().flat_map(|s| &s.commands).any(|c| {
        matches!(c.kind, CommandKind::Onbuild(_))
            && c.original.to_ascii_lowercase().contains("from")
    });
    if onbuild_reads {
        return Vec::new();
    }
    let mut read = vec![false; g.nodes.len()];
    for n in &g.nodes {
        for j in n
            .base_stage()
            .into_iter()
            .chain(n.deps.iter().map(|d| d.node))
        {
            if let Some(r) = read.get_mut(j) {
                *r = true;
            }
        }
    }
    let last = df.stages.len().saturating_sub(1);
    let mut out = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        let Some(s) = n.stage else { continue };
        let Some(stage) = df.stages.get(s) else {
            continue;
        };
        if s == last || n.name.is_some() || read.get(i).copied().unwrap_or(true) {
            continue;
        }
        out.push(Finding {
            rule: rules::UNREACHABLE_STAGE.info,
            location: stage.location,
            comments: &stage.comments,
            message: rules::UNREACHABLE_STAGE.message(&format!("stage-{s}")),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(clean_abs("/a/./b//c/../d/"), "/a/b/d");
        assert_eq!(clean_abs("/"), "/");
        assert_eq!(clean_abs("/.."), "/");
    }

    #[test]
    fn toolchains() {
        for yes in [
            "golang:1.22",
            "docker.io/library/rust:1-slim",
            "localhost:5000/maven@sha256:00",
            "mcr.microsoft.com/dotnet/sdk:8.0",
            "openjdk:21-jdk",
        ] {
            assert!(is_toolchain(yes), "{yes}");
        }
        for no in [
            "alpine:3.20",
            "node:20",
            "python:3.12-slim",
            "openjdk:11-jre-slim",
            "mcr.microsoft.com/dotnet/aspnet:8.0",
            "localhost:5000/golang-runtime:1",
        ] {
            assert!(!is_toolchain(no), "{no}");
        }
    }
}
