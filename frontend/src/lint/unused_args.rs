//! Our UnusedArg rule (opt-in, see `docs/checks/UnusedArg.md`): an ARG nothing in its scope
//! mentions. A heuristic read of the text: any `$NAME`, `${NAME…` or `%NAME%` in a later
//! instruction of the scope (RUN, CMD and heredoc bodies included) is a use, since a stage's
//! ARGs are in RUN's environment and a script names them as variables.
//!
//! - A stage ARG's scope is the instructions after it in its stage and every instruction of
//!   the stages built on that stage (`FROM stage`, which inherits its ARGs).
//! - A global ARG is used when a `FROM` line (name or `--platform`), a global ARG's default or
//!   a `COPY --from=` / `RUN --mount from=` value (our extension, expanded with the global
//!   ARGs) mentions it, or a stage declares it again (that declaration is then judged itself).
//! - Never reported: the predefined ARGs (`convert::default_args`), the proxy ARGs, `SOURCE_DATE_EPOCH`,
//!   `BUILDKIT_*`, the variables of [`TOOL_ENV`] (read by tools from the environment), and a
//!   stage ARG without a default followed by a RUN in its scope (it passes a build argument to
//!   the RUN's environment).

use std::collections::{BTreeMap, HashSet};

use super::multistage::{commands, Finding};
use super::rules;
use super::walk::Checker;
use crate::convert::default_args;
use crate::convert::epoch::SOURCE_DATE_EPOCH;
use crate::instructions::{Command, CommandKind, Dockerfile};
use crate::shell::EnvGetter;

/// The proxy ARGs BuildKit hands to RUN's proxy settings (any case: `proxyEnvFromBuildArgs`).
const PROXY_ARGS: [&str; 5] = [
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "all_proxy",
];

/// Variables tools read from the environment without the Dockerfile naming them (by name, or
/// by prefix when ending in `_`); an ARG of one of these is how a build passes it to RUN.
pub(super) const TOOL_ENV: [&str; 38] = [
    "DEBIAN_FRONTEND",
    "TZ",
    "LANG",
    "LC_ALL",
    "CGO_ENABLED",
    "GOOS",
    "GOARCH",
    "GOARM",
    "GOAMD64",
    "GOPROXY",
    "GOPRIVATE",
    "GONOSUMDB",
    "GONOPROXY",
    "GOSUMDB",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "NODE_ENV",
    "NODE_OPTIONS",
    "CC",
    "CXX",
    "CFLAGS",
    "CXXFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "MAKEFLAGS",
    "RUSTFLAGS",
    "RUSTC_WRAPPER",
    "MAVEN_OPTS",
    "GRADLE_OPTS",
    "JAVA_TOOL_OPTIONS",
    "CACHEBUST",
    "CACHE_BUST",
    "NPM_CONFIG_",
    "npm_config_",
    "YARN_",
    "PIP_",
    "CARGO_",
    "UV_",
];

/// The ARGs BuildKit defines itself (`TARGETPLATFORM`, `BUILDOS`, …: `convert::default_args`,
/// the one list the converter uses).
fn predefined() -> HashSet<String> {
    let p = buildkit_llb::Platform::host();
    default_args(&p, &p, &BTreeMap::new(), None)
        .keys()
        .into_iter()
        .collect()
}

fn exempt(predefined: &HashSet<String>, name: &str) -> bool {
    predefined.contains(name)
        || name == SOURCE_DATE_EPOCH
        || PROXY_ARGS.contains(&name.to_ascii_lowercase().as_str())
        || name.starts_with("BUILDKIT_")
        || TOOL_ENV.iter().any(|t| {
            if t.ends_with('_') {
                name.starts_with(t)
            } else {
                name == *t
            }
        })
}

/// The variable names a text mentions: `$NAME`, `${NAME…`, `%NAME%`.
pub(super) fn mentions(text: &str, out: &mut HashSet<String>) {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        let start = match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => i + 2,
            b'$' | b'%' => i + 1,
            _ => {
                i += 1;
                continue;
            }
        };
        let mut end = start;
        while end < b.len() && word(b[end]) {
            end += 1;
        }
        let closed = b[i] != b'%' || b.get(end) == Some(&b'%');
        if end > start && closed {
            out.insert(text[start..end].to_string());
        }
        i = end.max(i + 1);
    }
}

/// The text of an instruction a use can be in: as written, and its heredoc bodies.
fn command_mentions(cmd: &Command, out: &mut HashSet<String>) {
    mentions(&cmd.original, out);
    match &cmd.kind {
        CommandKind::Run(r) => r.cmd.files.iter().for_each(|f| mentions(&f.data, out)),
        CommandKind::Copy(c) => c
            .sources_and_dest
            .source_contents
            .iter()
            .for_each(|f| mentions(&f.data, out)),
        CommandKind::Add(a) => a
            .sources_and_dest
            .source_contents
            .iter()
            .for_each(|f| mentions(&f.data, out)),
        _ => {}
    }
}

impl<'a> Checker<'a> {
    /// Phase one: UnusedArg, when turned on.
    pub(super) fn unused_args(&mut self, df: &Dockerfile) {
        if !self.may_run(&rules::UNUSED_ARG) {
            return;
        }
        let predefined = predefined();
        let mut found = self.unused_global_args(df, &predefined);
        found.extend(self.unused_stage_args(df, &predefined));
        self.report(found);
    }

    /// Global ARGs, each under the `# check=` comments above it.
    fn unused_global_args<'d>(
        &self,
        df: &'d Dockerfile,
        predefined: &HashSet<String>,
    ) -> Vec<Finding<'d>>
    where
        'a: 'd,
    {
        let ast: &'d crate::syntax::Ast = self.ast;
        let comments = |line: usize| -> &'d [String] {
            ast.nodes
                .iter()
                .find(|n| n.location.start_line == line)
                .map_or(&[], |n| n.prev_comment.as_slice())
        };
        let mut used = HashSet::new();
        for st in &df.stages {
            mentions(&st.base_name, &mut used);
            if let Some(p) = &st.platform {
                mentions(p, &mut used);
            }
            for c in &st.commands {
                match &c.kind {
                    CommandKind::Arg(a) => used.extend(a.args.iter().map(|p| p.key.clone())),
                    // Our extension: `--from=` values expand with the global ARGs.
                    CommandKind::Copy(copy) => {
                        if let Some(from) = &copy.from {
                            mentions(from, &mut used);
                        }
                    }
                    CommandKind::Run(r) => r
                        .mounts
                        .iter()
                        .filter(|m| m.contains("from="))
                        .for_each(|m| mentions(m, &mut used)),
                    _ => {}
                }
            }
        }
        for a in &df.meta_args {
            for p in a.args.iter().filter_map(|p| p.value.as_ref()) {
                mentions(p, &mut used);
            }
        }
        let mut out = Vec::new();
        for a in &df.meta_args {
            for p in &a.args {
                if !used.contains(&p.key) && !exempt(predefined, &p.key) {
                    out.push(Finding {
                        rule: rules::UNUSED_ARG.info,
                        location: a.location,
                        comments: comments(a.location.start_line),
                        message: rules::UNUSED_ARG.message(&p.key),
                    });
                }
            }
        }
        out
    }

    /// Each wanted stage's ARGs against what the rest of the stage and the stages built on it
    /// mention (stages in reverse order: a stage's children come after it).
    fn unused_stage_args<'d>(
        &self,
        df: &'d Dockerfile,
        predefined: &HashSet<String>,
    ) -> Vec<Finding<'d>> {
        let g = &self.graph;
        let wanted = g.wanted(self.opts.all_stages);
        let declared: HashSet<&str> = df
            .stages
            .iter()
            .flat_map(|s| &s.commands)
            .filter_map(|c| match &c.kind {
                CommandKind::Arg(a) => Some(a.args.iter().map(|p| p.key.as_str())),
                _ => None,
            })
            .flatten()
            .collect();
        // What the stages built on each node mention, and whether they RUN anything.
        let mut below: Vec<(HashSet<String>, bool)> = vec![(HashSet::new(), false); g.nodes.len()];
        let mut out = Vec::new();
        for i in (0..g.nodes.len()).rev() {
            let cmds = commands(g, df, i);
            let (mut later, mut runs) = std::mem::take(&mut below[i]);
            for cmd in cmds.iter().rev() {
                if let CommandKind::Arg(a) = &cmd.kind {
                    for p in a.args.iter().rev() {
                        let pass_through = p.value.is_none() && runs;
                        let skip = !wanted.get(i).copied().unwrap_or(false)
                            || exempt(predefined, &p.key)
                            || pass_through;
                        if !skip && !later.contains(&p.key) {
                            out.push(Finding {
                                rule: rules::UNUSED_ARG.info,
                                location: cmd.location,
                                comments: &cmd.comments,
                                message: rules::UNUSED_ARG.message(&p.key),
                            });
                        }
                        if let Some(v) = &p.value {
                            mentions(v, &mut later);
                        }
                    }
                } else {
                    let mut m = HashSet::new();
                    command_mentions(cmd, &mut m);
                    later.extend(m.into_iter().filter(|n| declared.contains(n.as_str())));
                }
                runs |= matches!(cmd.kind, CommandKind::Run(_));
            }
            if let Some(b) = g.nodes[i].base_stage().filter(|&b| b < i) {
                // The smaller set goes into the larger: linear in all, even for a long chain.
                let (set, r) = &mut below[b];
                if set.len() < later.len() {
                    std::mem::swap(set, &mut later);
                }
                set.extend(later);
                *r |= runs;
            }
        }
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_arg_in_a_from_value_is_used() {
        let df = "# check=experimental=UnusedArg\nARG SRC=build\nARG M=build\nARG NOPE=1\nFROM busybox AS build\nRUN echo > /x\nFROM busybox\nCOPY --from=$SRC /x /x\nRUN --mount=from=${M},target=/m true\n";
        let ast = crate::syntax::parse(df).unwrap();
        let mut c = Checker::new(
            &ast,
            Default::default(),
            super::super::Config::for_build(None, df).unwrap(),
        );
        c.dispatch(&Default::default(), None);
        let unused: Vec<String> = c
            .warnings()
            .iter()
            .filter(|w| w.rule.name == "UnusedArg")
            .map(|w| w.detail.clone())
            .collect();
        assert_eq!(unused, ["ARG 'NOPE' is declared but never used"]);
    }

    #[test]
    fn finds_mentions() {
        let mut m = HashSet::new();
        mentions("echo $A ${B:-x} ${C} %D% $ $1 %E $F_G-h", &mut m);
        let mut got: Vec<_> = m.into_iter().collect();
        got.sort();
        assert_eq!(got, ["1", "A", "B", "C", "D", "F_G"]);
        let p = predefined();
        for name in [
            "TARGETARCH",
            "TARGETOSVERSION",
            "TARGETSTAGE",
            "BUILDPLATFORM",
            "BUILDKIT_INLINE_CACHE",
            "SOURCE_DATE_EPOCH",
            "HTTP_PROXY",
            "No_Proxy",
            "PIP_INDEX_URL",
            "DEBIAN_FRONTEND",
        ] {
            assert!(exempt(&p, name), "{name}");
        }
        assert!(!exempt(&p, "VERSION") && !exempt(&p, "PIPX"));
    }
}
