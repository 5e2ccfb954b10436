//! Phase one: the checks that run before base images are resolved, in the reference's order —
//! parser warnings, each instruction as it is parsed, stage names, instruction casing, global
//! ARG defaults, each `FROM` line — and the stage graph phase two walks.

use std::collections::{BTreeMap, BTreeSet};

use buildkit_llb::reference::Reference;

use super::capture::{ArgInfo, Capture};
use super::walk::{Checker, StageNode};
use super::{rules, Config};
use crate::convert::plan::{self, onbuild_expressions};
use crate::convert::platform::{expansion_error, parse_platform, platform_from_expansion};
use crate::convert::EnvList;
use crate::instructions::{
    parse_dockerfile, parse_instruction, suggest, Command, CommandKind, Instruction,
};
use crate::shell::{EnvGetter, Lex};
use crate::syntax::LocatedError;
use crate::syntax::{self, Location, Node};

/// Stage names BuildKit reserves.
const RESERVED_STAGE_NAMES: [&str; 2] = ["context", "scratch"];

type Result<T> = std::result::Result<T, LocatedError>;

impl Checker<'_> {
    pub(super) fn prepare(&mut self) -> Result<()> {
        self.parser_warnings();
        self.includes_need_this_frontend();
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
            return Err(LocatedError::new("dockerfile contains no stages to build"));
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
        self.graph.resolve_target(self.opts.target.as_deref())?;
        self.add_dependencies(df)?;
        self.graph.check_cycles()?;
        if self.graph.nodes.len() == 1 {
            self.graph.nodes[0].display_name.clear();
        }
        self.add_triggers(df)?;
        self.reachable = self.graph.reachable(self.graph.target);
        self.multistage_checks(df);
        self.scratch_path_checks(df);
        self.unused_args(df);
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

    /// Our NeedsThisFrontend (on by default) at each `INCLUDE` (docs/extensions.md).
    fn includes_need_this_frontend(&mut self) {
        for i in &self.ast.includes {
            self.sink.run(
                &self.cfg,
                &rules::NEEDS_THIS_FRONTEND,
                Some(i.location),
                rules::NEEDS_THIS_FRONTEND.message(&format!("INCLUDE {}", i.written)),
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
                    return Err(LocatedError::at(
                        format!(
                            "dockerfile parse error on line {}: {}",
                            node.location.start_line, e.message
                        ),
                        node.location,
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
                Ok(Instruction::Command(cmd)) => self.needs_this_frontend(&cfg, &cmd),
            }
        }
        let df = parse_dockerfile(ast)?;
        self.df = Some(df);
        Ok(())
    }

    /// Our NeedsThisFrontend (on by default): a `COPY --from` or `RUN --mount from=` with a
    /// variable, which only this frontend expands (docs/extensions.md).
    fn needs_this_frontend(&mut self, cfg: &Config, cmd: &Command) {
        let what = match &cmd.kind {
            CommandKind::Copy(c) => c
                .from
                .as_deref()
                .filter(|f| plan::from_needs_expansion(f))
                .map(|f| format!("COPY --from={f}")),
            CommandKind::Run(r) => plan::mount_froms(&r.mounts)
                .into_iter()
                .find(|f| plan::from_needs_expansion(f))
                .map(|f| format!("RUN --mount from={f}")),
            _ => None,
        };
        if let Some(what) = what {
            self.sink.run(
                cfg,
                &rules::NEEDS_THIS_FRONTEND,
                Some(cmd.location),
                rules::NEEDS_THIS_FRONTEND.message(&what),
            );
        }
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
                self.base_image_unpinned(cfg, node);
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
            "run" => self.package_hygiene(cfg, node),
            _ => {}
        }
    }

    /// Our BaseImageUnpinned (opt-in): `FROM image` or `FROM image:latest`, not for `scratch`,
    /// an earlier stage's name, a digest or a reference with a variable.
    fn base_image_unpinned(&mut self, cfg: &Config, node: &Node) {
        let Some(image) = node.args.first() else {
            return;
        };
        let earlier_stage = self.ast.nodes.iter().any(|n| {
            n.keyword == "from"
                && n.location.start_line < node.location.start_line
                && n.args.len() == 3
                && n.args[2].eq_ignore_ascii_case(image)
        });
        if earlier_stage {
            return;
        }
        if let Some(what) = super::packages::unpinned(image) {
            self.sink.run(
                cfg,
                &rules::BASE_IMAGE_UNPINNED,
                Some(node.location),
                rules::BASE_IMAGE_UNPINNED.message(image, what),
            );
        }
    }

    /// Our AptInstallRecommends, AptListsNotCleaned and ApkAddCache (opt-in): package-manager hygiene in a `RUN`.
    fn package_hygiene(&mut self, cfg: &Config, node: &Node) {
        let script = node.args.join(" ");
        let whole = format!("{} {script}", node.flags.join(" "));
        if super::packages::apt_install_without_no_recommends(&script) {
            self.sink.run(
                cfg,
                &rules::APT_INSTALL_RECOMMENDS,
                Some(node.location),
                rules::APT_INSTALL_RECOMMENDS.message(),
            );
        }
        if super::packages::apt_lists_not_cleaned(&whole) {
            self.sink.run(
                cfg,
                &rules::APT_LISTS_NOT_CLEANED,
                Some(node.location),
                rules::APT_LISTS_NOT_CLEANED.message(),
            );
        }
        if super::packages::apk_add_with_cache(&whole) {
            self.sink.run(
                cfg,
                &rules::APK_ADD_CACHE,
                Some(node.location),
                rules::APK_ADD_CACHE.message(),
            );
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
                .map_err(|e| LocatedError::at(e.message, st.location))?;
            self.undeclared_from_args(&cfg, &declared, &name.unmatched, st.location);
            if name.result.is_empty() {
                return Err(LocatedError::at(
                    format!("base name ({}) should not be blank", st.base_name),
                    st.location,
                ));
            }
            let mut used = name.matched.clone();
            let mut platform = None;
            if let Some(spec) = &st.platform {
                let res = self
                    .lex
                    .process_word_with_matches(spec, &self.global_args)
                    .map_err(|e| expansion_error(spec, &e.message, st.location))?;
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
                    if let Ok(p) = parse_platform(&res.result) {
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
                let p = platform_from_expansion(spec, &res, &self.global_args.keys(), st.location)?;
                used.extend(res.matched);
                platform = Some(p);
            }
            let mut node: plan::Node<StageNode> = plan::Node {
                stage: Some(i),
                name: st.name.clone(),
                display_name: st.name.clone().unwrap_or_else(|| format!("stage-{i}")),
                base: self.graph.base_for(&name.result),
                base_name: name.result,
                platform,
                location: loc,
                ..plan::Node::default()
            };
            node.capture = match node.base_stage() {
                Some(b) => self.graph.nodes[b].capture.clone(),
                None => global_capture.clone(),
            };
            node.capture.used_args.extend(used);
            // Each stage copies the ARGs it can see.
            self.budget.spend(node.capture.bytes(), loc)?;
            self.graph.push_stage(node);
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
            let s = suggest::search(arg, &options, true);
            self.sink.run(
                cfg,
                &rules::UNDEFINED_ARG_IN_FROM,
                Some(loc),
                rules::UNDEFINED_ARG_IN_FROM.message(arg, s.as_deref()),
            );
        }
    }

    /// The graph's edges: what `COPY --from` and `RUN --mount from=` read (images become
    /// nodes of their own).
    fn add_dependencies(&mut self, df: &crate::instructions::Dockerfile) -> Result<()> {
        for i in 0..self.graph.nodes.len() {
            let Some(stage) = self.graph.nodes[i].stage.and_then(|s| df.stages.get(s)) else {
                continue;
            };
            for cmd in &stage.commands {
                let sources =
                    self.graph
                        .command_sources(&self.lex, Some(&self.global_args), cmd)?;
                self.graph.add_deps(i, &sources, cmd.location, false);
                self.graph.nodes[i].sources.push(sources);
            }
        }
        Ok(())
    }

    /// The base stage's ONBUILD triggers, which run first in each stage checked that is built
    /// on it, in rounds as the converter adds them (they can make more stages needed).
    fn add_triggers(&mut self, df: &crate::instructions::Dockerfile) -> Result<()> {
        loop {
            let wanted = self.graph.wanted(self.opts.all_stages);
            let mut new_deps = false;
            for (i, wanted) in wanted.into_iter().enumerate() {
                if !wanted || std::mem::replace(&mut self.graph.nodes[i].triggers_added, true) {
                    continue;
                }
                let Some(base) = self.graph.nodes[i]
                    .base_stage()
                    .and_then(|b| self.graph.nodes[b].stage)
                    .and_then(|s| df.stages.get(s))
                else {
                    continue;
                };
                let triggers = onbuild_expressions(&base.commands);
                let parsed = self.graph.add_triggers(i, &self.lex, &triggers)?;
                new_deps |= parsed.iter().any(|(_, sources)| !sources.is_empty());
                self.graph.nodes[i].triggers = parsed.into_iter().map(|(c, _)| c).collect();
            }
            if !new_deps {
                return Ok(());
            }
        }
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
                            .map_err(|e| LocatedError::at(e.message, cmd.location))?;
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
