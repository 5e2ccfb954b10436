//! Phase one: the checks that run before base images are resolved, in the reference's order —
//! parser warnings, each instruction as it is parsed, stage names, instruction casing, global
//! ARG defaults, each `FROM` line — and the stage graph phase two walks.

use std::collections::{BTreeMap, BTreeSet};

use buildkit_llb::reference::Reference;
use buildkit_llb::Platform;

use super::capture::{ArgInfo, Capture};
use super::walk::{Checker, StageNode};
use super::{rules, Config};
use crate::convert::EnvList;
use crate::instructions::{parse_dockerfile, parse_instruction, Command, CommandKind, Instruction};
use crate::shell::{EnvGetter, Lex};
use crate::syntax::LocatedError;
use crate::syntax::{self, Location, Node};

/// Stage names BuildKit reserves.
const RESERVED_STAGE_NAMES: [&str; 2] = ["context", "scratch"];

type Result<T> = std::result::Result<T, LocatedError>;

fn at(message: impl Into<String>, location: Option<Location>) -> LocatedError {
    LocatedError {
        message: message.into(),
        location,
    }
}

impl Checker<'_> {
    pub(super) fn prepare(&mut self) -> Result<()> {
        self.parser_warnings();
        self.parse_instructions()?;
        let Some(df) = self.df.take() else {
            return Ok(());
        };
        let result = self.prepare_stages(&df);
        self.df = Some(df);
        result
    }

    fn prepare_stages(&mut self, df: &crate::instructions::Dockerfile) -> Result<()> {
        if df.stages.is_empty() {
            return Err(at("dockerfile contains no stages to build", None));
        }
        self.check_stage_names(df);
        self.check_casing(df);
        let target_stage = self
            .opts
            .target
            .clone()
            .or_else(|| df.stages.last().and_then(|s| s.name.clone()));
        let defaults = crate::convert::default_args(
            &self.build_platform(),
            &self.target_platform(),
            &self.opts.build_args,
            target_stage.as_deref(),
        );
        self.check_default_base_names(df, &defaults);
        let (global_args, meta) = meta_args(&self.lex, defaults, df, Some(&self.opts.build_args))?;
        self.global_args = global_args;
        self.add_stages(df, &meta)?;
        self.resolve_target()?;
        self.add_dependencies(df)?;
        self.check_cycles()?;
        self.reachable = self.reachable_from(self.target);
        Ok(())
    }

    /// NoEmptyContinuation, from the parser.
    fn parser_warnings(&mut self) {
        for w in self
            .ast
            .warnings
            .iter()
            .filter(|w| w.rule == rules::NO_EMPTY_CONTINUATION.name)
        {
            self.sink.run(
                &self.cfg,
                &rules::NO_EMPTY_CONTINUATION,
                Some(w.location),
                rules::NO_EMPTY_CONTINUATION.message(),
            );
        }
    }

    /// The checks made while instructions are parsed, each under the `# check=` comments
    /// above it; the first instruction that does not parse stops everything.
    fn parse_instructions(&mut self) -> Result<()> {
        let ast = self.ast;
        for node in &ast.nodes {
            let cfg = self.cfg.with_comments(&node.prev_comment);
            self.node_checks(&cfg, node);
            match parse_instruction(node) {
                Err(e) => {
                    return Err(at(
                        format!(
                            "dockerfile parse error on line {}: {}",
                            node.location.start_line, e.message
                        ),
                        Some(node.location),
                    ))
                }
                Ok(Instruction::Stage(s)) => {
                    if let Some(name) = &s.name {
                        self.definition_description(&cfg, "FROM", std::slice::from_ref(name), node);
                    }
                }
                Ok(Instruction::Command(Command {
                    kind: CommandKind::Arg(a),
                    ..
                })) => {
                    let keys: Vec<String> = a.args.iter().map(|p| p.key.clone()).collect();
                    self.definition_description(&cfg, "ARG", &keys, node);
                }
                Ok(_) => {}
            }
        }
        let df = parse_dockerfile(ast).map_err(|e| at(e.message, e.location))?;
        self.df = Some(df);
        Ok(())
    }

    /// MaintainerDeprecated, StageNameCasing and FromAsCasing, checked before the instruction
    /// is parsed (so also on one that then fails to parse).
    fn node_checks(&mut self, cfg: &Config, node: &Node) {
        match &*node.keyword {
            "maintainer" => self.sink.run(
                cfg,
                &rules::MAINTAINER_DEPRECATED,
                Some(node.location),
                rules::MAINTAINER_DEPRECATED.message(),
            ),
            "from" => {
                let args = &node.args;
                if args.len() == 3 && args[2] != args[2].to_lowercase() {
                    self.sink.run(
                        cfg,
                        &rules::STAGE_NAME_CASING,
                        Some(node.location),
                        rules::STAGE_NAME_CASING.message(&args[2]),
                    );
                }
                let command = syntax::written_command(&node.original);
                if !from_matches_as_case(command, args) {
                    self.sink.run(
                        cfg,
                        &rules::FROM_AS_CASING,
                        Some(node.location),
                        rules::FROM_AS_CASING.message(command, &args[1]),
                    );
                }
            }
            _ => {}
        }
    }

    /// InvalidDefinitionDescription (experimental): the comment right above a stage or ARG
    /// should start with its name, or be separated from it.
    fn definition_description(
        &mut self,
        cfg: &Config,
        instruction: &str,
        keys: &[String],
        node: &Node,
    ) {
        let (Some(last), Some(first)) = (node.prev_comment.last(), keys.first()) else {
            return;
        };
        let word = last.split(' ').next().unwrap_or("");
        if keys.iter().any(|k| k == word) {
            return;
        }
        let example = if keys.len() > 1 {
            "<arg_key>"
        } else {
            first.as_str()
        };
        self.sink.run(
            cfg,
            &rules::INVALID_DEFINITION_DESCRIPTION,
            Some(node.location),
            rules::INVALID_DEFINITION_DESCRIPTION.message(instruction, example),
        );
    }

    /// ReservedStageName and DuplicateStageName.
    fn check_stage_names(&mut self, df: &crate::instructions::Dockerfile) {
        let mut seen = BTreeSet::new();
        for st in &df.stages {
            let Some(name) = &st.name else { continue };
            if RESERVED_STAGE_NAMES.contains(&name.as_str()) {
                self.sink.run(
                    &self.cfg,
                    &rules::RESERVED_STAGE_NAME,
                    Some(st.location),
                    rules::RESERVED_STAGE_NAME.message(name),
                );
            }
            if !seen.insert(name.clone()) {
                self.sink.run(
                    &self.cfg,
                    &rules::DUPLICATE_STAGE_NAME,
                    Some(st.location),
                    rules::DUPLICATE_STAGE_NAME.message(name),
                );
            }
        }
    }

    /// ConsistentInstructionCasing: each instruction in the stages against the majority's case
    /// (instructions written in mixed case count for neither).
    fn check_casing(&mut self, df: &crate::instructions::Dockerfile) {
        let names = || {
            df.stages.iter().flat_map(|s| {
                std::iter::once((s.keyword(), s.location))
                    .chain(s.commands.iter().map(|c| (c.name(), c.location)))
            })
        };
        let (mut lower, mut upper) = (0, 0);
        for (n, _) in names() {
            if n == n.to_lowercase() {
                lower += 1;
            } else if n == n.to_uppercase() {
                upper += 1;
            }
        }
        let majority_lower = lower > upper;
        for (n, loc) in names() {
            let correct = if majority_lower && n.to_lowercase() != n {
                "lowercase"
            } else if !majority_lower && n.to_uppercase() != n {
                "uppercase"
            } else {
                continue;
            };
            self.sink.run(
                &self.cfg,
                &rules::CONSISTENT_INSTRUCTION_CASING,
                Some(loc),
                rules::CONSISTENT_INSTRUCTION_CASING.message(n, correct),
            );
        }
    }

    /// InvalidDefaultArgInFrom: each FROM with the global ARGs' defaults only (no build
    /// arguments) must still name a valid image.
    fn check_default_base_names(
        &mut self,
        df: &crate::instructions::Dockerfile,
        defaults: &EnvList,
    ) {
        let Ok((args, _)) = meta_args(&self.lex, defaults.clone(), df, None) else {
            return;
        };
        for st in &df.stages {
            let Ok(res) = self.lex.process_word_with_matches(&st.base_name, &args) else {
                return;
            };
            if Reference::parse_normalized(&res.result).is_err() {
                self.sink.run(
                    &self.cfg,
                    &rules::INVALID_DEFAULT_ARG_IN_FROM,
                    Some(st.location),
                    rules::INVALID_DEFAULT_ARG_IN_FROM.message(&st.base_name),
                );
            }
        }
    }

    /// Each stage's `FROM` expanded with the global ARGs (UndefinedArgInFrom,
    /// RedundantTargetPlatform, FromPlatformFlagConstDisallowed), and its place in the graph.
    fn add_stages(
        &mut self,
        df: &crate::instructions::Dockerfile,
        meta: &BTreeMap<String, ArgInfo>,
    ) -> Result<()> {
        let declared: BTreeSet<String> = meta
            .keys()
            .cloned()
            .chain(self.global_args.keys())
            .collect();
        let global_capture = Capture {
            all_args: meta.clone(),
            ..Capture::default()
        };
        for (i, st) in df.stages.iter().enumerate() {
            let cfg = self.cfg.with_comments(&st.comments);
            let loc = Some(st.location);
            let name = self
                .lex
                .process_word_with_matches(&st.base_name, &self.global_args)
                .map_err(|e| at(e.message, loc))?;
            self.undeclared_from_args(&cfg, &declared, &name.unmatched, st.location);
            if name.result.is_empty() {
                return Err(at(
                    format!("base name ({}) should not be blank", st.base_name),
                    loc,
                ));
            }
            let mut used = name.matched.clone();
            let mut platform = None;
            if let Some(spec) = &st.platform {
                let res = self
                    .lex
                    .process_word_with_matches(spec, &self.global_args)
                    .map_err(|e| {
                        at(
                            format!(
                                "failed to process arguments for platform {spec}: {}",
                                e.message
                            ),
                            loc,
                        )
                    })?;
                self.undeclared_from_args(&cfg, &declared, &res.unmatched, st.location);
                let target_platform = self.global_args.get("TARGETPLATFORM");
                if res.matched.len() == 1
                    && res.unmatched.is_empty()
                    && res.matched.contains("TARGETPLATFORM")
                    && target_platform == Some(res.result.as_str())
                {
                    self.sink.run(
                        &cfg,
                        &rules::REDUNDANT_TARGET_PLATFORM,
                        loc,
                        rules::REDUNDANT_TARGET_PLATFORM.message(spec),
                    );
                }
                if res.matched.is_empty() && res.unmatched.is_empty() {
                    if let Ok(p) = Platform::parse(&res.result) {
                        let stage_name = st.name.as_deref().unwrap_or("");
                        if !stage_name.contains(p.os.as_str())
                            && !stage_name.contains(p.architecture.as_str())
                        {
                            self.sink.run(
                                &cfg,
                                &rules::FROM_PLATFORM_FLAG_CONST_DISALLOWED,
                                loc,
                                rules::FROM_PLATFORM_FLAG_CONST_DISALLOWED.message(&res.result),
                            );
                        }
                    }
                }
                if res.result.is_empty() {
                    return Err(at(
                        format!("empty platform value from expression {spec}"),
                        loc,
                    ));
                }
                let p = Platform::parse(&res.result)
                    .map_err(|e| at(format!("failed to parse platform {spec}: {e}"), loc))?;
                used.extend(res.matched);
                platform = Some(p);
            }
            // A stage named like the expanded FROM, among the stages before this one.
            let base = self.nodes.iter().rposition(|n| {
                n.stage.is_some() && n.name.as_deref() == Some(name.result.as_str())
            });
            let mut capture = match base {
                Some(b) => self.nodes[b].capture.clone(),
                None => global_capture.clone(),
            };
            capture.used_args.extend(used);
            self.nodes.push(StageNode {
                stage: Some(i),
                name: st.name.clone(),
                base_name: name.result,
                base,
                platform,
                location: loc,
                capture,
                ..StageNode::default()
            });
        }
        Ok(())
    }

    /// UndefinedArgInFrom for each variable of a FROM line that no ARG declares.
    fn undeclared_from_args(
        &mut self,
        cfg: &Config,
        declared: &BTreeSet<String>,
        unmatched: &BTreeSet<String>,
        loc: Location,
    ) {
        let options: Vec<&str> = declared.iter().map(String::as_str).collect();
        for arg in unmatched.iter().filter(|a| !declared.contains(*a)) {
            let s = suggest(arg, &options, true);
            self.sink.run(
                cfg,
                &rules::UNDEFINED_ARG_IN_FROM,
                Some(loc),
                rules::UNDEFINED_ARG_IN_FROM.message(arg, s.as_deref()),
            );
        }
    }

    fn find_stage(&self, name: &str) -> Option<usize> {
        let name = name.to_lowercase();
        self.nodes
            .iter()
            .rposition(|n| n.stage.is_some() && n.name.as_deref() == Some(name.as_str()))
    }

    fn resolve_target(&mut self) -> Result<()> {
        self.target = match &self.opts.target {
            None => self.nodes.len().saturating_sub(1),
            Some(t) => self.find_stage(t).ok_or_else(|| {
                at(
                    format!("target stage {} could not be found", syntax::go_quote(t)),
                    None,
                )
            })?,
        };
        Ok(())
    }

    /// Edges from `COPY --from` and `RUN --mount from=` (images become nodes of their own), and
    /// the base stage's ONBUILD triggers, which run first in a stage built on it.
    fn add_dependencies(&mut self, df: &crate::instructions::Dockerfile) -> Result<()> {
        let registered = self.nodes.len();
        for i in 0..registered {
            let Some(stage) = self.nodes[i].stage.and_then(|s| df.stages.get(s)) else {
                continue;
            };
            let mut triggers = Vec::new();
            if let Some(base_stage) = self.nodes[i]
                .base
                .and_then(|b| self.nodes[b].stage)
                .and_then(|s| df.stages.get(s))
            {
                for c in &base_stage.commands {
                    if let CommandKind::Onbuild(o) = &c.kind {
                        triggers.push(parse_trigger(&o.expression, Some(stage.location))?);
                    }
                }
            }
            for cmd in triggers.iter().chain(&stage.commands) {
                for from in command_sources(cmd) {
                    let dep = self.source_node(&from, cmd)?;
                    if !self.nodes[i].deps.contains(&dep) {
                        self.nodes[i].deps.push(dep);
                    }
                }
            }
            self.nodes[i].triggers = triggers;
        }
        Ok(())
    }

    /// The node a `--from` names: a stage by name or index, else an image.
    fn source_node(&mut self, from: &Source, cmd: &Command) -> Result<usize> {
        let loc = Some(cmd.location);
        let name = match from {
            Source::Copy(f) => {
                let expanded = self
                    .lex
                    .process_word(f, &EnvList::new())
                    .map_err(|e| at(e.message, loc))?;
                if &expanded != f {
                    return Err(at("variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround", loc));
                }
                if let Ok(index) = f.parse::<i64>() {
                    return usize::try_from(index)
                        .ok()
                        .filter(|&i| i < self.nodes.len())
                        .ok_or_else(|| at(format!("invalid stage index {index}"), loc));
                }
                f.as_str()
            }
            Source::Mount(f) => f.as_str(),
        };
        if let Some(i) = self.find_stage(name) {
            return Ok(i);
        }
        let location = matches!(from, Source::Copy(_)).then_some(cmd.location);
        self.nodes.push(StageNode {
            base_name: name.to_string(),
            location,
            ..StageNode::default()
        });
        Ok(self.nodes.len() - 1)
    }

    /// A stage that (through `--from`) needs itself can never build.
    fn check_cycles(&self) -> Result<()> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut marks = vec![Mark::New; self.nodes.len()];
        for start in 0..self.nodes.len() {
            if marks[start] != Mark::New {
                continue;
            }
            marks[start] = Mark::OnPath;
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            while let Some((node, next)) = stack.last_mut() {
                let n = *node;
                match self.nodes[n].deps.get(*next).copied() {
                    Some(d) => {
                        *next += 1;
                        match marks[d] {
                            Mark::OnPath => {
                                let name = self.nodes[start]
                                    .name
                                    .clone()
                                    .unwrap_or_else(|| format!("stage-{start}"));
                                return Err(at(
                                    format!("circular dependency detected on stage: {name}"),
                                    self.nodes[n].location,
                                ));
                            }
                            Mark::New => {
                                marks[d] = Mark::OnPath;
                                stack.push((d, 0));
                            }
                            Mark::Done => {}
                        }
                    }
                    None => {
                        marks[n] = Mark::Done;
                        stack.pop();
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn reachable_from(&self, target: usize) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![target];
        while let Some(i) = stack.pop() {
            if i >= seen.len() || std::mem::replace(&mut seen[i], true) {
                continue;
            }
            stack.extend(self.nodes[i].base);
            stack.extend(self.nodes[i].deps.iter().copied());
        }
        seen
    }
}

/// Where a command reads another stage or image from.
enum Source {
    Copy(String),
    /// `RUN --mount` without `from=` reads `scratch`.
    Mount(String),
}

fn command_sources(cmd: &Command) -> Vec<Source> {
    match &cmd.kind {
        CommandKind::Copy(c) => c.from.iter().map(|f| Source::Copy(f.clone())).collect(),
        CommandKind::Run(r) => r
            .mounts
            .iter()
            .map(|m| Source::Mount(mount_from(m).unwrap_or_else(|| "scratch".to_string())))
            .collect(),
        _ => Vec::new(),
    }
}

/// The `from=` field of a `--mount` value as written (it can't hold variables).
fn mount_from(value: &str) -> Option<String> {
    value.split(',').find_map(|f| {
        let (k, v) = f.split_once('=')?;
        (k.eq_ignore_ascii_case("from") && !v.is_empty()).then(|| v.to_string())
    })
}

/// An ONBUILD trigger, parsed as an instruction of the stage that runs it (at its FROM line).
pub(super) fn parse_trigger(expression: &str, location: Option<Location>) -> Result<Command> {
    let err = |m: String| at(m, location);
    let ast = syntax::parse(expression).map_err(|e| err(e.message))?;
    let [node] = ast.nodes.as_slice() else {
        return Err(err("onbuild trigger should be a single expression".into()));
    };
    match parse_instruction(node).map_err(|e| err(e.message))? {
        Instruction::Command(mut c) => {
            c.location = location.unwrap_or_default();
            c.comments.clear();
            Ok(c)
        }
        Instruction::Stage(_) => Err(err("FROM isn't allowed as an ONBUILD trigger".into())),
    }
}

/// `doesFromCaseMatchAsCase`: `AS` written in the case of `FROM` (a mixed-case FROM is left to
/// ConsistentInstructionCasing).
fn from_matches_as_case(command: &str, args: &[String]) -> bool {
    if args.len() < 3 {
        return true;
    }
    let lower = command == command.to_lowercase();
    let upper = command == command.to_uppercase();
    if lower {
        args[1] == args[1].to_lowercase()
    } else if upper {
        args[1] == args[1].to_uppercase()
    } else {
        true
    }
}

/// BuildKit's `buildMetaArgs`: the global ARGs' values (build arguments win over defaults,
/// which are expanded in order) and each one's definition, with the ARGs its default uses.
fn meta_args(
    lex: &Lex,
    mut args: EnvList,
    df: &crate::instructions::Dockerfile,
    build_args: Option<&BTreeMap<String, String>>,
) -> Result<(EnvList, BTreeMap<String, ArgInfo>)> {
    let mut all: BTreeMap<String, ArgInfo> = BTreeMap::new();
    for cmd in &df.meta_args {
        for kp in &cmd.args {
            let mut info = ArgInfo {
                key: kp.key.clone(),
                description: kp.doc_comment.clone().unwrap_or_default(),
                location: Some(cmd.location),
                ..ArgInfo::default()
            };
            let value = match build_args.and_then(|b| b.get(&kp.key)) {
                Some(v) => Some(v.clone()),
                None => match &kp.value {
                    Some(default) => {
                        let res = lex
                            .process_word_with_matches(default, &args)
                            .map_err(|e| at(e.message, Some(cmd.location)))?;
                        info.deps = res.matched;
                        if info.deps.remove(&kp.key) {
                            if let Some(old) = all.get(&kp.key) {
                                info.deps.extend(old.deps.iter().cloned());
                            }
                        }
                        Some(res.result)
                    }
                    None => None,
                },
            };
            if let Some(v) = value {
                args.set(&kp.key, &v);
                info.value = v;
            }
            all.insert(kp.key.clone(), info);
        }
    }
    Ok((args, all))
}

/// BuildKit's `suggest.Search`: the closest option within edit distance 2, none on an exact match.
pub(super) fn suggest(val: &str, options: &[&str], case_sensitive: bool) -> Option<String> {
    let fold = |s: &str| {
        if case_sensitive {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    let v = fold(val);
    let mut best = None;
    let mut min = 3;
    for opt in options {
        let o = fold(opt);
        if v == o {
            return None;
        }
        let d = crate::instructions::suggest::levenshtein(&v, &o);
        if d < min {
            min = d;
            best = Some(if case_sensitive { o } else { opt.to_string() });
        }
    }
    best
}
