//! Phase two, one instruction at a time: variables are expanded against the stage's
//! environment (reporting the ones that are not defined), then each instruction's own checks
//! run, as BuildKit's `dispatch` and the `dispatch*` functions of convert.go do.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use super::capture::{ArgInfo, Capture, MountInfo};
use super::ignore::IgnoreMatcher;
use super::{ports, rules, Config, Sink};
use crate::convert::sbom::NON_ENV_ARGS;
use crate::convert::EnvList;
use crate::instructions::{
    parse_mount_with, ArgCommand, Command, CommandKind, MountType, SourcesAndDest,
};
use crate::shell::{EnvGetter, Lex};
use crate::syntax::LocatedError;
use crate::syntax::Location;

/// What a stage has built up so far, as far as the checks need it.
#[derive(Debug, Clone)]
pub(super) struct StageRun {
    pub env: EnvList,
    /// ARGs declared in the stage (and its base stages): never "undefined", even without a value.
    pub build_args: std::collections::HashSet<String>,
    /// The image config has a SHELL (from the base image or a SHELL instruction).
    pub shell: bool,
    /// A WORKDIR instruction ran in this stage or a base stage.
    pub workdir_set: bool,
    pub os: String,
    pub entrypoint: Option<Location>,
    pub cmd: Option<Location>,
    pub healthcheck: Option<Location>,
}

impl StageRun {
    pub fn new(os: String) -> Self {
        StageRun {
            env: EnvList::new(),
            build_args: Default::default(),
            shell: false,
            workdir_set: false,
            os,
            entrypoint: None,
            cmd: None,
            healthcheck: None,
        }
    }
}

/// What the checks may expand and copy, bounded like a conversion
/// (`crate::limits::CONVERSION`): a Dockerfile can repeat a large variable many times, and
/// expanding it each time would take the time and memory the conversion refuses to spend.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    pub limit: usize,
    pub spent: usize,
}

impl Budget {
    pub fn new(limit: usize) -> Self {
        Budget { limit, spent: 0 }
    }

    /// Adds `bytes`; past the limit, the checks stop with an error at `loc`.
    pub fn spend(&mut self, bytes: usize, loc: Option<Location>) -> Result<()> {
        self.spent = self.spent.saturating_add(bytes);
        if self.spent > self.limit {
            let e = LocatedError::new(format!(
                "the expanded words exceed the limit of {} per build",
                crate::limits::format_size(self.limit)
            ));
            return Err(match loc {
                Some(l) => e.or_at(l),
                None => e,
            });
        }
        Ok(())
    }
}

/// What every instruction can see.
pub(super) struct Ctx<'c> {
    pub lex: &'c Lex,
    /// The most bytes a stage's environment may hold: past it the checks stop, as the
    /// conversion does.
    pub env_limit: usize,
    pub budget: Budget,
    pub sink: &'c mut Sink,
    /// Global ARG values (after build arguments), for ARGs redeclared without a default.
    pub global_args: &'c EnvList,
    pub build_args: &'c BTreeMap<String, String>,
    pub ignore: Option<&'c IgnoreMatcher>,
}

type Result<T> = std::result::Result<T, LocatedError>;

/// Runs one instruction of a stage.
pub(super) fn dispatch(
    ctx: &mut Ctx<'_>,
    cfg: &Config,
    run: &mut StageRun,
    capture: &mut Capture,
    cmd: &Command,
) -> Result<()> {
    let loc = cmd.location;
    match &cmd.kind {
        CommandKind::Env(c) => {
            let mut pairs = Vec::with_capacity(c.env.len());
            for kv in &c.env {
                let k = expand(ctx, cfg, run, &kv.key, loc, false)?;
                let v = expand(ctx, cfg, run, &kv.value, loc, false)?;
                pairs.push((k, v, kv.no_delim));
            }
            for (k, v, legacy) in pairs {
                if legacy {
                    ctx.sink.run(
                        cfg,
                        &rules::LEGACY_KEY_VALUE_FORMAT,
                        Some(loc),
                        rules::LEGACY_KEY_VALUE_FORMAT.message(cmd.name()),
                    );
                }
                check_secret_key(ctx, cfg, "ENV", &k, loc);
                run.env.set(&k, &v);
            }
            check_env_size(ctx, run, loc)?;
        }
        CommandKind::Label(c) => {
            for kv in &c.labels {
                expand(ctx, cfg, run, &kv.key, loc, false)?;
                expand(ctx, cfg, run, &kv.value, loc, false)?;
            }
            for kv in &c.labels {
                if kv.no_delim {
                    ctx.sink.run(
                        cfg,
                        &rules::LEGACY_KEY_VALUE_FORMAT,
                        Some(loc),
                        rules::LEGACY_KEY_VALUE_FORMAT.message(cmd.name()),
                    );
                }
            }
        }
        CommandKind::Add(c) => {
            for flag in [&c.chown, &c.chmod, &c.checksum] {
                expand(ctx, cfg, run, flag.as_deref().unwrap_or(""), loc, false)?;
            }
            let sources = expand_sources(ctx, cfg, run, &c.sources_and_dest, loc)?;
            check_ignored(ctx, cfg, "Add", &sources, loc);
        }
        CommandKind::Copy(c) => {
            for flag in [&c.chown, &c.chmod] {
                expand(ctx, cfg, run, flag.as_deref().unwrap_or(""), loc, false)?;
            }
            let sources = expand_sources(ctx, cfg, run, &c.sources_and_dest, loc)?;
            if c.from.is_none() {
                check_ignored(ctx, cfg, "Copy", &sources, loc);
            }
        }
        CommandKind::Workdir(c) => {
            let path = expand(ctx, cfg, run, &c.path, loc, false)?;
            // Only the first WORKDIR of a stage chain matters: fixing it fixes the later ones.
            if !run.workdir_set && !is_abs(&path, &run.os) {
                ctx.sink.run(
                    cfg,
                    &rules::WORKDIR_RELATIVE_PATH,
                    Some(loc),
                    rules::WORKDIR_RELATIVE_PATH.message(&path),
                );
            }
            run.workdir_set = true;
        }
        CommandKind::User(c) => {
            expand(ctx, cfg, run, &c.user, loc, false)?;
        }
        CommandKind::Volume(c) => {
            for v in &c.volumes {
                expand(ctx, cfg, run, v, loc, false)?;
            }
        }
        CommandKind::StopSignal(c) => {
            expand(ctx, cfg, run, &c.signal, loc, false)?;
        }
        CommandKind::Run(c) => {
            for m in &c.mounts {
                // Our extension's `from=$X` reads the global ARGs, not the stage's variables.
                let from = crate::convert::plan::mount_froms(std::slice::from_ref(m));
                let extended = |w: &str| {
                    crate::convert::plan::from_needs_expansion(w) && from.iter().any(|f| f == w)
                };
                let mut field = |w: &str| {
                    if extended(w) {
                        return Ok(w.to_string());
                    }
                    expand(ctx, cfg, run, w, loc, false).map_err(|e| e.message)
                };
                let mount = parse_mount_with(m, &mut field)
                    .map_err(|e| LocatedError::at(e.message, loc))?;
                let info = MountInfo {
                    required: mount.required,
                    location: Some(loc),
                };
                match mount.mount_type {
                    MountType::Secret => {
                        let mut id = if mount.source.is_empty() {
                            mount.cache_id.clone()
                        } else {
                            mount.source.clone()
                        };
                        if id.is_empty() {
                            if mount.target.is_empty() {
                                return Err(LocatedError::at(
                                    "one of source, target required",
                                    loc,
                                ));
                            }
                            id = crate::gocompat::go_path_base(&mount.target);
                        }
                        capture.add_secret(id, info);
                    }
                    MountType::Ssh => {
                        if !mount.source.is_empty() {
                            return Err(LocatedError::at("ssh does not support source", loc));
                        }
                        let id = if mount.cache_id.is_empty() {
                            "default".to_string()
                        } else {
                            mount.cache_id.clone()
                        };
                        capture.add_ssh(id, info);
                    }
                    _ => {}
                }
            }
        }
        CommandKind::Cmd(c) => {
            used_once(ctx, cfg, &mut run.cmd, cmd);
            json_args(ctx, cfg, run, c.cmd.is_json(), cmd);
        }
        CommandKind::Entrypoint(c) => {
            used_once(ctx, cfg, &mut run.entrypoint, cmd);
            json_args(ctx, cfg, run, c.cmd.is_json(), cmd);
        }
        CommandKind::Healthcheck(_) => used_once(ctx, cfg, &mut run.healthcheck, cmd),
        CommandKind::Expose(c) => {
            for p in &c.ports {
                let words = ctx
                    .lex
                    .process_words(p, &run.env)
                    .map_err(|e| LocatedError::at(e.message, loc))?;
                for raw in words {
                    let spec = ports::split(&raw).map_err(|e| LocatedError::at(e, loc))?;
                    if spec.proto != spec.proto.to_lowercase() {
                        ctx.sink.run(
                            cfg,
                            &rules::EXPOSE_PROTO_CASING,
                            Some(loc),
                            rules::EXPOSE_PROTO_CASING.message(&raw),
                        );
                    }
                    if !spec.ip.is_empty() || !spec.host_port.is_empty() {
                        ctx.sink.run(
                            cfg,
                            &rules::EXPOSE_INVALID_FORMAT,
                            Some(loc),
                            rules::EXPOSE_INVALID_FORMAT.message(&raw),
                        );
                    }
                }
            }
        }
        CommandKind::Shell(c) => run.shell = !c.shell.is_empty(),
        CommandKind::Arg(c) => dispatch_arg(ctx, cfg, run, capture, c, loc)?,
        CommandKind::Maintainer(_) | CommandKind::Onbuild(_) => {}
    }
    Ok(())
}

/// `dispatchArg`: a build argument's value wins over the default, which is expanded; an ARG
/// without either takes the global ARG's value.
fn dispatch_arg(
    ctx: &mut Ctx<'_>,
    cfg: &Config,
    run: &mut StageRun,
    capture: &mut Capture,
    c: &ArgCommand,
    loc: Location,
) -> Result<()> {
    for arg in &c.args {
        check_secret_key(ctx, cfg, "ARG", &arg.key, loc);
        let build_arg = ctx.build_args.get(&arg.key);
        let mut value = None;
        let mut inherited = false;
        if arg.value.is_none() && build_arg.is_none() {
            if let Some(v) = ctx.global_args.get(&arg.key) {
                ctx.budget.spend(v.len(), Some(loc))?;
                value = Some(v.to_string());
                inherited = true;
            }
        }
        if let Some(v) = build_arg {
            value = Some(v.clone());
        } else if let Some(default) = &arg.value {
            value = Some(expand(ctx, cfg, run, default, loc, false)?);
        }
        if let Some(v) = &value {
            if !NON_ENV_ARGS.contains(&arg.key.as_str()) {
                run.env.set(&arg.key, v);
            }
        }
        if !inherited {
            let info = ArgInfo {
                key: arg.key.clone(),
                value: value.unwrap_or_default(),
                description: arg.doc_comment.clone().unwrap_or_default(),
                deps: Default::default(),
                location: Some(loc),
            };
            capture.all_args.insert(arg.key.clone(), info);
        }
        capture.used_args.insert(arg.key.clone());
        run.build_args.insert(arg.key.clone());
    }
    check_env_size(ctx, run, loc)
}

/// The conversion's error for a stage environment over the limit.
fn check_env_size(ctx: &Ctx<'_>, run: &StageRun, loc: Location) -> Result<()> {
    if run.env.bytes() > ctx.env_limit {
        return Err(LocatedError::at(
            crate::convert::env_size_error(ctx.env_limit),
            loc,
        ));
    }
    Ok(())
}

/// Expands one word, reporting UndefinedVar for each variable that is not set. `raw` keeps
/// quotes (heredoc bodies).
fn expand(
    ctx: &mut Ctx<'_>,
    cfg: &Config,
    run: &StageRun,
    word: &str,
    loc: Location,
    raw: bool,
) -> Result<String> {
    let lex = if raw {
        Lex {
            skip_process_quotes: true,
            max_len: ctx.lex.max_len,
            ..Lex::new('\\')
        }
    } else {
        ctx.lex.clone()
    };
    let res = lex
        .process_word_with_matches(word, &run.env)
        .map_err(|e| LocatedError::at(e.message, loc))?;
    ctx.budget.spend(res.result.len(), Some(loc))?;
    if res.unmatched.is_empty() {
        return Ok(res.result);
    }
    // The names to suggest from, listed once for the word, and only if needed.
    let mut keys: Option<Vec<String>> = None;
    for var in &res.unmatched {
        if run.build_args.contains(var) || NON_ENV_ARGS.contains(&var.as_str()) {
            continue;
        }
        let keys = keys.get_or_insert_with(|| run.env.keys());
        let options: Vec<&str> = keys.iter().map(String::as_str).collect();
        let suggestion = crate::instructions::suggest::search(var, &options, true);
        ctx.sink.run(
            cfg,
            &rules::UNDEFINED_VAR,
            Some(loc),
            rules::UNDEFINED_VAR.message(var, suggestion.as_deref()),
        );
    }
    Ok(res.result)
}

/// COPY/ADD sources and destination, then the heredoc bodies that expand variables.
fn expand_sources(
    ctx: &mut Ctx<'_>,
    cfg: &Config,
    run: &StageRun,
    sd: &SourcesAndDest,
    loc: Location,
) -> Result<Vec<String>> {
    let mut sources = Vec::with_capacity(sd.source_paths.len());
    for s in &sd.source_paths {
        sources.push(expand(ctx, cfg, run, s, loc, false)?);
    }
    expand(ctx, cfg, run, &sd.dest_path, loc, false)?;
    for content in sd.source_contents.iter().filter(|c| c.expand) {
        expand(ctx, cfg, run, &content.data, loc, true)?;
    }
    Ok(sources)
}

/// CopyIgnoredFile for each local source. With `!` exceptions in `.dockerignore` nothing is
/// reported: which files they bring back can't be known without the context.
fn check_ignored(
    ctx: &mut Ctx<'_>,
    cfg: &Config,
    command: &str,
    sources: &[String],
    loc: Location,
) {
    let Some(m) = ctx.ignore else { return };
    if m.has_exclusions() {
        return;
    }
    for src in sources.iter().filter(|s| !is_remote(s)) {
        let src = buildkit_llb::clean_path(src);
        if (src == "." || src == "/") && !m.ignores_root() {
            continue;
        }
        // The reference ignores a match's error (a pattern that is no valid regexp).
        if m.matches_or_parent_matches(&src) == Ok(true) {
            ctx.sink.run(
                cfg,
                &rules::COPY_IGNORED_FILE,
                Some(loc),
                rules::COPY_IGNORED_FILE.message(command, &src),
            );
        }
    }
}

/// URLs and Git references are not read from the build context.
fn is_remote(src: &str) -> bool {
    ["http://", "https://", "git@", "git://", "ssh://"]
        .iter()
        .any(|p| src.starts_with(p))
}

/// MultipleInstructionsDisallowed, reported at the earlier instruction (the one that has no effect).
fn used_once(ctx: &mut Ctx<'_>, cfg: &Config, prev: &mut Option<Location>, cmd: &Command) {
    if let Some(p) = *prev {
        ctx.sink.run(
            cfg,
            &rules::MULTIPLE_INSTRUCTIONS_DISALLOWED,
            Some(p),
            rules::MULTIPLE_INSTRUCTIONS_DISALLOWED.message(cmd.name()),
        );
    }
    *prev = Some(cmd.location);
}

/// JSONArgsRecommended: a shell-form CMD/ENTRYPOINT with the default shell.
fn json_args(ctx: &mut Ctx<'_>, cfg: &Config, run: &StageRun, is_json: bool, cmd: &Command) {
    if !is_json && !run.shell {
        ctx.sink.run(
            cfg,
            &rules::JSON_ARGS_RECOMMENDED,
            Some(cmd.location),
            rules::JSON_ARGS_RECOMMENDED.message(cmd.name()),
        );
    }
}

/// SecretsUsedInArgOrEnv: a `_`-separated word of the name is a secret-sounding token (and none
/// is an allowed one like `public` or `file`), case-insensitively.
fn check_secret_key(ctx: &mut Ctx<'_>, cfg: &Config, instruction: &str, key: &str, loc: Location) {
    static PATTERNS: OnceLock<Option<(Regex, Regex)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        let deny = Regex::new(r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)").ok()?;
        let allow = Regex::new(r"(?i)(?:_|^)(?:public|file|version)(?:_|$)").ok()?;
        Some((deny, allow))
    });
    if let Some((deny, allow)) = patterns {
        if deny.is_match(key) && !allow.is_match(key) {
            ctx.sink.run(
                cfg,
                &rules::SECRETS_USED_IN_ARG_OR_ENV,
                Some(loc),
                rules::SECRETS_USED_IN_ARG_OR_ENV.message(instruction, key),
            );
        }
    }
}

/// `system.IsAbs`: on Windows a drive-letter or slash-rooted path, elsewhere a leading `/`.
fn is_abs(path: &str, os: &str) -> bool {
    if os != "windows" {
        return path.starts_with('/');
    }
    let b = path.as_bytes();
    let sep = |c: u8| c == b'/' || c == b'\\';
    b.first().is_some_and(|&c| sep(c))
        || (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && sep(b[2]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(is_abs("/app", "linux"));
        assert!(!is_abs("app/", "linux"));
        assert!(is_abs("C:\\app", "windows"));
        assert!(is_abs("/app", "windows"));
        assert!(!is_abs("app", "windows"));
        assert!(
            is_remote("https://example.com/a")
                && is_remote("git@github.com:a/b.git")
                && !is_remote("src/")
        );
    }
}
