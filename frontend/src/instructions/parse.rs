//! From AST nodes to typed instructions: BuildKit's `instructions.Parse`,
//! `ParseInstruction` and the per-instruction parse functions of parse.go.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

use crate::gocompat::{go_lower, go_quote, go_upper};
use crate::syntax::{
    chomp_heredoc_content, must_parse_heredoc, written_command, Ast, Heredoc, Location, Node,
};

use super::commands::*;
use super::flags::BFlags;
use super::mount::check_unexpanded_mount;
use super::run::{parse_device, NetworkMode, SecurityMode};
use super::suggest;
use crate::gocompat::go_duration;
use crate::gocompat::parse::{parse_duration, parse_int};
use crate::syntax::LocatedError;

/// What one node becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    Stage(Stage),
    Command(Command),
}

const ALL_INSTRUCTIONS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

type Result<T> = std::result::Result<T, LocatedError>;

fn at_least_one(cmd: &str) -> LocatedError {
    format!("{cmd} requires at least one argument").into()
}

fn exactly_one(cmd: &str) -> LocatedError {
    format!("{cmd} requires exactly one argument").into()
}

fn no_destination(cmd: &str) -> LocatedError {
    format!("{cmd} requires at least two arguments, but only one was provided. Destination could not be determined")
        .into()
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The request one parse function works on (BuildKit's `parseRequest`). Its parts are borrowed
/// from an AST node, or owned when the node was handed over, so values move instead of being
/// copied.
struct Req<'a> {
    location: Location,
    json: bool,
    legacy_key_value: bool,
    original: Cow<'a, str>,
    args: Cow<'a, [String]>,
    heredocs: Cow<'a, [Heredoc]>,
    comments: Cow<'a, [String]>,
    flags: BFlags<'a>,
}

/// nodeArgs of ONBUILD: the trigger's name then its arguments.
fn onbuild_args(sub: Option<&Node>) -> Vec<String> {
    match sub {
        Some(sub) => {
            let mut a = vec![written_command(&sub.original).to_string()];
            a.extend(sub.args.iter().cloned());
            a
        }
        None => Vec::new(),
    }
}

fn take_vec<T: Clone>(c: &mut Cow<'_, [T]>) -> Vec<T> {
    match c {
        Cow::Borrowed(b) => b.to_vec(),
        Cow::Owned(v) => std::mem::take(v),
    }
}

impl<'a> Req<'a> {
    fn borrowed(node: &'a Node) -> Self {
        let args = if node.keyword == "onbuild" {
            Cow::Owned(onbuild_args(node.sub.as_deref()))
        } else {
            Cow::Borrowed(node.args.as_slice())
        };
        Req {
            location: node.location,
            json: node.json,
            legacy_key_value: node.legacy_key_value,
            original: Cow::Borrowed(&node.original),
            args,
            heredocs: Cow::Borrowed(&node.heredocs),
            comments: Cow::Borrowed(&node.prev_comment),
            flags: BFlags::new(&node.flags),
        }
    }

    /// The arguments, moved out when owned.
    fn take_args(&mut self) -> Vec<String> {
        take_vec(&mut self.args)
    }

    /// Argument `i`, moved out when owned.
    fn take_arg(&mut self, i: usize) -> String {
        match &mut self.args {
            Cow::Borrowed(b) => b[i].clone(),
            Cow::Owned(v) => std::mem::take(&mut v[i]),
        }
    }

    /// BuildKit's `strings.TrimSpace(req.original)`.
    fn take_original(&mut self) -> String {
        match &mut self.original {
            Cow::Owned(s) if s.trim().len() == s.len() => std::mem::take(s),
            o => o.trim().to_string(),
        }
    }

    fn command(mut self, kind: CommandKind) -> Command {
        Command {
            location: self.location,
            original: self.take_original(),
            comments: take_vec(&mut self.comments),
            kind,
        }
    }

    fn parse_flags(&mut self) -> Result<()> {
        self.flags.parse().map_err(LocatedError::from)
    }

    fn is_json(&self) -> bool {
        self.json
    }
}

/// BuildKit's `getDocComment`: the rest of the first comment line starting with `name `.
fn doc_comment(comments: &[String], name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    comments.iter().find_map(|c| {
        c.strip_prefix(name)
            .and_then(|r| r.strip_prefix(' '))
            .map(str::to_string)
    })
}

/// Converts one AST node (BuildKit's `ParseInstruction`); errors carry the node's location but
/// not the "dockerfile parse error on line N" prefix that [`parse_dockerfile`] adds.
pub fn parse_instruction(node: &Node) -> Result<Instruction> {
    dispatch(&node.keyword, Req::borrowed(node))
}

/// [`parse_instruction`] taking the node, so its strings move into the result.
pub fn parse_instruction_owned(node: Node) -> Result<Instruction> {
    let Node {
        keyword,
        args,
        json,
        flags,
        heredocs,
        sub,
        original,
        location,
        prev_comment,
        legacy_key_value,
    } = node;
    let args = if keyword == "onbuild" {
        onbuild_args(sub.as_deref())
    } else {
        args
    };
    let req = Req {
        location,
        json,
        legacy_key_value,
        original: Cow::Owned(original),
        args: Cow::Owned(args),
        heredocs: Cow::Owned(heredocs),
        comments: Cow::Owned(prev_comment),
        flags: BFlags::new(&flags),
    };
    dispatch(&keyword, req)
}

fn dispatch(keyword: &str, req: Req<'_>) -> Result<Instruction> {
    let location = req.location;
    let r = match keyword {
        "env" => parse_env(req).map(Instruction::Command),
        "maintainer" => parse_maintainer(req).map(Instruction::Command),
        "label" => parse_label(req).map(Instruction::Command),
        "add" => parse_add(req).map(Instruction::Command),
        "copy" => parse_copy(req).map(Instruction::Command),
        "from" => parse_from(req).map(Instruction::Stage),
        "onbuild" => parse_onbuild(req).map(Instruction::Command),
        "workdir" => parse_workdir(req).map(Instruction::Command),
        "run" => parse_run(req).map(Instruction::Command),
        "cmd" => parse_cmd(req).map(Instruction::Command),
        "healthcheck" => parse_healthcheck(req).map(Instruction::Command),
        "entrypoint" => parse_entrypoint(req).map(Instruction::Command),
        "expose" => parse_expose(req).map(Instruction::Command),
        "user" => parse_user(req).map(Instruction::Command),
        "volume" => parse_volume(req).map(Instruction::Command),
        "stopsignal" => parse_stopsignal(req).map(Instruction::Command),
        "arg" => parse_arg(req).map(Instruction::Command),
        "shell" => parse_shell(req).map(Instruction::Command),
        _ => {
            let name = written_command(&req.original);
            let msg = format!("unknown instruction: {name}");
            Err(suggest::wrap(msg, name, &ALL_INSTRUCTIONS, false).into())
        }
    };
    r.map_err(|e| e.with_location(location))
}

/// Converts a whole AST into stages (BuildKit's `instructions.Parse`).
pub fn parse_dockerfile(ast: &Ast) -> Result<Dockerfile> {
    build(
        &ast.nodes,
        ast.nodes.iter().map(|n| (n.location, parse_instruction(n))),
    )
}

/// [`parse_dockerfile`] taking the nodes (e.g. `std::mem::take(&mut ast.nodes)`), so their
/// strings move into the result instead of being copied: faster when the AST is not needed
/// afterwards.
pub fn parse_nodes(nodes: Vec<Node>) -> Result<Dockerfile> {
    let sizes = stage_sizes(&nodes);
    build_sized(
        sizes,
        nodes
            .into_iter()
            .map(|n| (n.location, parse_instruction_owned(n))),
    )
}

/// The number of instructions after each FROM, to size each stage's list once.
fn stage_sizes(nodes: &[Node]) -> Vec<usize> {
    let mut sizes = Vec::new();
    for n in nodes {
        if n.keyword == "from" {
            sizes.push(0);
        } else if let Some(last) = sizes.last_mut() {
            *last += 1;
        }
    }
    sizes
}

fn build(
    nodes: &[Node],
    items: impl Iterator<Item = (Location, Result<Instruction>)>,
) -> Result<Dockerfile> {
    build_sized(stage_sizes(nodes), items)
}

fn build_sized(
    sizes: Vec<usize>,
    items: impl Iterator<Item = (Location, Result<Instruction>)>,
) -> Result<Dockerfile> {
    let mut df = Dockerfile::default();
    for (location, inst) in items {
        let inst = inst.map_err(|e| LocatedError {
            message: format!(
                "dockerfile parse error on line {}: {}",
                location.start_line, e.message
            ),
            location: Some(location),
        })?;
        match inst {
            Instruction::Stage(mut s) => {
                s.commands
                    .reserve_exact(sizes.get(df.stages.len()).copied().unwrap_or(0));
                df.stages.push(s)
            }
            Instruction::Command(c) => match df.stages.last_mut() {
                Some(stage) => stage.commands.push(c),
                None => match c.kind {
                    CommandKind::Arg(a) => df.meta_args.push(a),
                    _ => {
                        return Err(LocatedError::at(
                            "no build stage in current context",
                            location,
                        ))
                    }
                },
            },
        }
    }
    Ok(df)
}

fn parse_kvps(args: Vec<String>, legacy: bool, cmd: &str) -> Result<Vec<KeyValuePair>> {
    if args.is_empty() {
        return Err(at_least_one(cmd));
    }
    if !args.len().is_multiple_of(2) {
        return Err(format!("Bad input to {cmd}, too many arguments").into());
    }
    let mut out = Vec::with_capacity(args.len() / 2);
    let mut it = args.into_iter();
    while let (Some(key), Some(value)) = (it.next(), it.next()) {
        if key.is_empty() {
            return Err(format!("{cmd} names can not be blank").into());
        }
        out.push(KeyValuePair {
            key,
            value,
            no_delim: legacy,
        });
    }
    Ok(out)
}

fn parse_env(mut req: Req<'_>) -> Result<Command> {
    req.parse_flags()?;
    let env = parse_kvps(req.take_args(), req.legacy_key_value, "ENV")?;
    Ok(req.command(CommandKind::Env(EnvCommand { env })))
}

fn parse_maintainer(mut req: Req<'_>) -> Result<Command> {
    if req.args.len() != 1 {
        return Err(exactly_one("MAINTAINER"));
    }
    req.parse_flags()?;
    let maintainer = req.take_arg(0);
    Ok(req.command(CommandKind::Maintainer(MaintainerCommand { maintainer })))
}

fn parse_label(mut req: Req<'_>) -> Result<Command> {
    req.parse_flags()?;
    let labels = parse_kvps(req.take_args(), req.legacy_key_value, "LABEL")?;
    Ok(req.command(CommandKind::Label(LabelCommand { labels })))
}

fn parse_sources_and_dest(req: &mut Req<'_>, cmd: &str) -> Result<SourcesAndDest> {
    let mut args = req.take_args();
    let dest = args.pop().ok_or_else(|| no_destination(cmd))?;
    if must_parse_heredoc(&dest).is_some() {
        return Err(format!("{cmd} cannot accept a heredoc as a destination").into());
    }
    let mut sd = SourcesAndDest {
        dest_path: dest,
        ..Default::default()
    };
    // The last heredoc of a name wins, as with BuildKit's lookup map.
    let lookup: HashMap<&str, &str> = req
        .heredocs
        .iter()
        .map(|d| (d.name.as_str(), d.content.as_str()))
        .collect();
    for src in args {
        match must_parse_heredoc(&src) {
            Some(h) => {
                let content = lookup.get(h.name.as_str()).copied().unwrap_or_default();
                let data = if h.chomp {
                    chomp_heredoc_content(content)
                } else {
                    content.to_string()
                };
                sd.source_contents.push(SourceContent {
                    path: h.name,
                    data,
                    expand: h.expand,
                });
            }
            None => sd.source_paths.push(src),
        }
    }
    Ok(sd)
}

fn parse_add(mut req: Req<'_>) -> Result<Command> {
    if req.args.len() < 2 {
        return Err(no_destination("ADD"));
    }
    let chown = req.flags.add_string("chown", "");
    let chmod = req.flags.add_string("chmod", "");
    let link = req.flags.add_bool("link", false);
    let keep_git_dir = req.flags.add_bool("keep-git-dir", false);
    let checksum = req.flags.add_string("checksum", "");
    let unpack = req.flags.add_bool("unpack", false);
    let exclude = req.flags.add_strings("exclude");
    req.parse_flags()?;
    let sources_and_dest = parse_sources_and_dest(&mut req, "ADD")?;
    let f = &mut req.flags;
    let add = AddCommand {
        sources_and_dest,
        chown: non_empty(f.value(chown)),
        chmod: non_empty(f.value(chmod)),
        link: f.is_true(link),
        keep_git_dir: f.is_used(keep_git_dir).then(|| f.is_true(keep_git_dir)),
        checksum: non_empty(f.value(checksum)),
        unpack: f.is_used(unpack).then(|| f.is_true(unpack)),
        exclude_patterns: f.take_values(exclude),
    };
    Ok(req.command(CommandKind::Add(Box::new(add))))
}

fn parse_copy(mut req: Req<'_>) -> Result<Command> {
    if req.args.len() < 2 {
        return Err(no_destination("COPY"));
    }
    let chown = req.flags.add_string("chown", "");
    let from = req.flags.add_string("from", "");
    let chmod = req.flags.add_string("chmod", "");
    let link = req.flags.add_bool("link", false);
    let exclude = req.flags.add_strings("exclude");
    let parents = req.flags.add_bool("parents", false);
    req.parse_flags()?;
    let sources_and_dest = parse_sources_and_dest(&mut req, "COPY")?;
    let f = &mut req.flags;
    let copy = CopyCommand {
        sources_and_dest,
        from: non_empty(f.value(from)),
        chown: non_empty(f.value(chown)),
        chmod: non_empty(f.value(chmod)),
        link: f.is_true(link),
        parents: f.is_true(parents),
        exclude_patterns: f.take_values(exclude),
    };
    Ok(req.command(CommandKind::Copy(Box::new(copy))))
}

/// `^[a-z][a-z0-9-_.]*$`
fn valid_stage_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.')
        })
}

/// `strings.EqualFold(s, "as")`, with Go's folding (`ſ` folds to `s`).
fn is_as(s: &str) -> bool {
    crate::gocompat::go_equal_fold_lower(s, "as")
}

fn parse_from(mut req: Req<'_>) -> Result<Stage> {
    let args = &req.args;
    let (name, orig_name, as_keyword) = if args.len() == 3 && is_as(&args[1]) {
        let name = go_lower(&args[2]);
        if !valid_stage_name(&name) {
            return Err(format!(
                "invalid name for build stage: {}, name can't start with a number or contain symbols",
                go_quote(&args[2])
            )
            .into());
        }
        (Some(name), Some(args[2].clone()), Some(args[1].clone()))
    } else if args.len() != 1 {
        return Err("FROM requires either one or three arguments".into());
    } else {
        (None, None, None)
    };
    let platform = req.flags.add_string("platform", "");
    req.parse_flags()?;
    let comments = take_vec(&mut req.comments);
    Ok(Stage {
        comment: name.as_deref().and_then(|n| doc_comment(&comments, n)),
        name,
        orig_name,
        base_name: req.take_arg(0),
        platform: non_empty(req.flags.value(platform)),
        commands: Vec::new(),
        location: req.location,
        comments,
        original: req.take_original(),
        as_keyword,
    })
}

/// Strips `(?i)^\s*ONBUILD\s*` from the original line.
fn strip_onbuild(original: &str) -> &str {
    let is_ws = |c: char| matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ');
    let s = original.trim_start_matches(is_ws);
    match s.get(..7) {
        Some(k) if k.eq_ignore_ascii_case("onbuild") => s[7..].trim_start_matches(is_ws),
        _ => original,
    }
}

fn parse_onbuild(mut req: Req<'_>) -> Result<Command> {
    if req.args.is_empty() {
        return Err(at_least_one("ONBUILD"));
    }
    req.parse_flags()?;
    let trigger = go_upper(req.args[0].trim());
    match trigger.as_str() {
        "ONBUILD" => return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into()),
        "MAINTAINER" | "FROM" => {
            return Err(format!("{trigger} isn't allowed as an ONBUILD trigger").into())
        }
        _ => {}
    }
    let mut expression = strip_onbuild(&req.original).to_string();
    for h in req.heredocs.iter() {
        expression.push('\n');
        expression.push_str(&h.content);
        expression.push_str(&h.name);
    }
    Ok(req.command(CommandKind::Onbuild(OnbuildCommand { expression })))
}

fn parse_workdir(mut req: Req<'_>) -> Result<Command> {
    if req.args.len() != 1 {
        return Err(exactly_one("WORKDIR"));
    }
    req.parse_flags()?;
    let path = req.take_arg(0);
    Ok(req.command(CommandKind::Workdir(WorkdirCommand { path })))
}

/// `parseShellDependentCommand` + `handleJSONArgs`.
fn command_line(req: &mut Req<'_>) -> CommandLine {
    let files = take_vec(&mut req.heredocs)
        .into_iter()
        .map(|h| ShellInlineFile {
            name: h.name,
            data: h.content,
            chomp: h.chomp,
        })
        .collect();
    let json = req.is_json();
    let mut args = req.take_args();
    // The shell form is one string already; joining is for hand-made nodes.
    if !json && args.len() > 1 {
        args = vec![args.join(" ")];
    }
    CommandLine {
        args,
        prepend_shell: !json,
        files,
    }
}

fn parse_run(mut req: Req<'_>) -> Result<Command> {
    // The flags BuildKit's RUN hooks declare.
    let device = req.flags.add_strings("device");
    let mount = req.flags.add_strings("mount");
    let network = req.flags.add_string("network", "default");
    let security = req.flags.add_string("security", "sandbox");
    req.parse_flags()?;
    let flags_used = req.flags.used();
    let cmd = command_line(&mut req);
    let devices = req
        .flags
        .take_values(device)
        .iter()
        .map(|d| parse_device(d))
        .collect::<Result<Vec<_>>>()?;
    let mounts = req.flags.take_values(mount);
    for m in &mounts {
        check_unexpanded_mount(m)?;
    }
    let network = NetworkMode::parse(req.flags.value(network))?;
    let security = SecurityMode::parse(req.flags.value(security))?;
    Ok(req.command(CommandKind::Run(Box::new(RunCommand {
        cmd,
        mounts,
        network,
        security,
        devices,
        flags_used,
    }))))
}

fn parse_cmd(mut req: Req<'_>) -> Result<Command> {
    req.parse_flags()?;
    let cmd = command_line(&mut req);
    Ok(req.command(CommandKind::Cmd(CmdCommand { cmd })))
}

fn parse_entrypoint(mut req: Req<'_>) -> Result<Command> {
    req.parse_flags()?;
    let cmd = command_line(&mut req);
    Ok(req.command(CommandKind::Entrypoint(EntrypointCommand { cmd })))
}

/// `parseOptInterval`: zero when empty, otherwise at least 1ms.
fn opt_interval(name: &str, value: &str) -> Result<Duration> {
    if value.is_empty() {
        return Ok(Duration::ZERO);
    }
    let d = parse_duration(value)?;
    if d == 0 {
        return Ok(Duration::ZERO);
    }
    const MIN: i64 = 1_000_000;
    if d < MIN {
        return Err(format!(
            "Interval {} cannot be less than {}",
            go_quote(name),
            go_duration(MIN)
        )
        .into());
    }
    Ok(Duration::from_nanos(d.unsigned_abs()))
}

fn parse_healthcheck(mut req: Req<'_>) -> Result<Command> {
    if req.args.is_empty() {
        return Err(at_least_one("HEALTHCHECK"));
    }
    let mut args = req.take_args();
    let typ = go_upper(&args.remove(0));
    let health = if typ == "NONE" {
        if !args.is_empty() {
            return Err("HEALTHCHECK NONE takes no arguments".into());
        }
        Healthcheck {
            test: vec![typ],
            ..Default::default()
        }
    } else {
        let interval = req.flags.add_string("interval", "");
        let timeout = req.flags.add_string("timeout", "");
        let start_period = req.flags.add_string("start-period", "");
        let start_interval = req.flags.add_string("start-interval", "");
        let retries = req.flags.add_string("retries", "");
        req.parse_flags()?;
        if typ != "CMD" {
            return Err(format!("Unknown type {} in HEALTHCHECK (try CMD)", go_quote(&typ)).into());
        }
        let cmd_slice = if args.is_empty() || req.is_json() {
            args
        } else {
            vec![args.join(" ")]
        };
        if cmd_slice.is_empty() {
            return Err("Missing command after HEALTHCHECK CMD".into());
        }
        let mut test = vec![if req.is_json() {
            typ
        } else {
            "CMD-SHELL".to_string()
        }];
        test.extend(cmd_slice);
        let f = &req.flags;
        let mut h = Healthcheck {
            test,
            interval: opt_interval("interval", f.value(interval))?,
            timeout: opt_interval("timeout", f.value(timeout))?,
            start_period: opt_interval("start-period", f.value(start_period))?,
            start_interval: opt_interval("start-interval", f.value(start_interval))?,
            retries: 0,
        };
        let r = f.value(retries);
        if !r.is_empty() {
            let n = parse_int(r, 32)?;
            if n < 0 {
                return Err(format!("--retries cannot be negative ({n})").into());
            }
            h.retries = n as i32;
        }
        h
    };
    Ok(
        req.command(CommandKind::Healthcheck(Box::new(HealthcheckCommand {
            health,
        }))),
    )
}

fn parse_expose(mut req: Req<'_>) -> Result<Command> {
    if req.args.is_empty() {
        return Err(at_least_one("EXPOSE"));
    }
    req.parse_flags()?;
    let mut ports = req.take_args();
    ports.sort();
    Ok(req.command(CommandKind::Expose(ExposeCommand { ports })))
}

fn parse_user(mut req: Req<'_>) -> Result<Command> {
    if req.args.len() != 1 {
        return Err(exactly_one("USER"));
    }
    req.parse_flags()?;
    let user = req.take_arg(0);
    Ok(req.command(CommandKind::User(UserCommand { user })))
}

fn parse_volume(mut req: Req<'_>) -> Result<Command> {
    if req.args.is_empty() {
        return Err(at_least_one("VOLUME"));
    }
    req.parse_flags()?;
    let mut volumes = req.take_args();
    for v in volumes.iter_mut() {
        let t = v.trim();
        if t.is_empty() {
            return Err("VOLUME specified can not be an empty string".into());
        }
        if t.len() != v.len() {
            *v = t.to_string();
        }
    }
    Ok(req.command(CommandKind::Volume(VolumeCommand { volumes })))
}

fn parse_stopsignal(mut req: Req<'_>) -> Result<Command> {
    // BuildKit never checks STOPSIGNAL's flags.
    if req.args.len() != 1 {
        return Err(exactly_one("STOPSIGNAL"));
    }
    let signal = req.take_arg(0);
    Ok(req.command(CommandKind::StopSignal(StopSignalCommand { signal })))
}

fn parse_arg(mut req: Req<'_>) -> Result<Command> {
    // BuildKit never checks ARG's flags either.
    if req.args.is_empty() {
        return Err(at_least_one("ARG"));
    }
    let words = req.take_args();
    let comments = &req.comments;
    // Index the comments by their first word, so many ARGs under many comments stay linear.
    let mut by_first_word: HashMap<&str, &str> = HashMap::new();
    for c in comments.iter().rev() {
        if let Some((w, rest)) = c.split_once(' ') {
            by_first_word.insert(w, rest);
        }
    }
    let mut args = Vec::with_capacity(words.len());
    for mut a in words {
        let (key, value) = match a.find('=') {
            Some(0) => return Err("ARG names can not be blank".into()),
            Some(i) => {
                let value = a[i + 1..].to_string();
                a.truncate(i);
                (a, Some(value))
            }
            None => (a, None),
        };
        let doc = if key.contains(' ') {
            doc_comment(comments, &key)
        } else {
            by_first_word.get(key.as_str()).map(|s| s.to_string())
        };
        args.push(ArgPair {
            key,
            value,
            doc_comment: doc,
        });
    }
    let location = req.location;
    Ok(req.command(CommandKind::Arg(ArgCommand { args, location })))
}

fn parse_shell(mut req: Req<'_>) -> Result<Command> {
    req.parse_flags()?;
    if req.args.is_empty() {
        return Err(at_least_one("SHELL"));
    }
    if !req.is_json() {
        return Err("SHELL requires the arguments to be in JSON form".into());
    }
    let shell = req.take_args();
    Ok(req.command(CommandKind::Shell(ShellCommand { shell })))
}
