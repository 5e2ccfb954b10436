//! The typed instructions (BuildKit's commands.go). Values are kept unexpanded: variable
//! expansion happens later, in the converter.

use std::time::Duration;

use crate::syntax::Location;

use super::run::{Device, NetworkMode, SecurityMode};

/// A parsed Dockerfile: the ARGs before the first FROM and the build stages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dockerfile {
    pub meta_args: Vec<ArgCommand>,
    pub stages: Vec<Stage>,
}

/// A build stage, started by FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// `AS name`, lowercased.
    pub name: Option<String>,
    /// `AS name` as written.
    pub orig_name: Option<String>,
    /// The base image or stage, unexpanded.
    pub base_name: String,
    /// `--platform`, unexpanded.
    pub platform: Option<String>,
    pub commands: Vec<Command>,
    pub location: Location,
    /// The doc comment: a comment line right above FROM that starts with the stage name.
    pub comment: Option<String>,
    /// All comment lines right above FROM.
    pub comments: Vec<String>,
    /// The FROM instruction as written (trimmed), for history and errors.
    pub original: String,
    /// The `AS` word as written, for casing checks.
    pub as_keyword: Option<String>,
}

/// One instruction inside a stage (or an ARG before the first FROM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub location: Location,
    /// The instruction as written (continuations joined, trimmed), BuildKit's `String()`.
    pub original: String,
    /// Comment lines right above the instruction.
    pub comments: Vec<String>,
    pub kind: CommandKind,
}

impl Dockerfile {
    /// About how many bytes of instructions the file holds (their text; heredoc bodies are
    /// expanded as words of their own): what the limits on expansion and conversion scale
    /// with (`crate::limits`).
    pub fn source_len(&self) -> usize {
        let args = |args: &[ArgPair]| -> usize {
            args.iter()
                .map(|a| a.key.len() + a.value.as_ref().map_or(0, |v| v.len() + 1))
                .sum()
        };
        let meta: usize = self.meta_args.iter().map(|c| args(&c.args)).sum();
        let stages: usize = self
            .stages
            .iter()
            .map(|s| s.original.len() + s.commands.iter().map(|c| c.original.len()).sum::<usize>())
            .sum();
        meta + stages
    }
}

impl Command {
    /// The instruction name as written (e.g. `RUN` or `run`), BuildKit's `Name()`.
    pub fn name(&self) -> &str {
        crate::syntax::written_command(&self.original)
    }
}

impl Stage {
    /// The FROM keyword as written (e.g. `from`), for casing checks.
    pub fn keyword(&self) -> &str {
        crate::syntax::written_command(&self.original)
    }
}

/// The large variants are boxed: commands are moved and stored by the thousand, and a
/// `Command` stays about half the size it would be otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandKind {
    Add(Box<AddCommand>),
    Arg(ArgCommand),
    Cmd(CmdCommand),
    Copy(Box<CopyCommand>),
    Entrypoint(EntrypointCommand),
    Env(EnvCommand),
    Expose(ExposeCommand),
    Healthcheck(Box<HealthcheckCommand>),
    Label(LabelCommand),
    Maintainer(MaintainerCommand),
    Onbuild(OnbuildCommand),
    Run(Box<RunCommand>),
    Shell(ShellCommand),
    StopSignal(StopSignalCommand),
    User(UserCommand),
    Volume(VolumeCommand),
    Workdir(WorkdirCommand),
}

impl CommandKind {
    /// The lowercase instruction name.
    pub fn keyword(&self) -> &'static str {
        match self {
            CommandKind::Add(_) => "add",
            CommandKind::Arg(_) => "arg",
            CommandKind::Cmd(_) => "cmd",
            CommandKind::Copy(_) => "copy",
            CommandKind::Entrypoint(_) => "entrypoint",
            CommandKind::Env(_) => "env",
            CommandKind::Expose(_) => "expose",
            CommandKind::Healthcheck(_) => "healthcheck",
            CommandKind::Label(_) => "label",
            CommandKind::Maintainer(_) => "maintainer",
            CommandKind::Onbuild(_) => "onbuild",
            CommandKind::Run(_) => "run",
            CommandKind::Shell(_) => "shell",
            CommandKind::StopSignal(_) => "stopsignal",
            CommandKind::User(_) => "user",
            CommandKind::Volume(_) => "volume",
            CommandKind::Workdir(_) => "workdir",
        }
    }
}

/// `KEY=value` of ENV and LABEL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValuePair {
    pub key: String,
    pub value: String,
    /// Written in the legacy `KEY value` form (the LegacyKeyValueFormat check).
    pub no_delim: bool,
}

/// One `name[=default]` of ARG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgPair {
    pub key: String,
    pub value: Option<String>,
    /// A comment line above the ARG that starts with the name.
    pub doc_comment: Option<String>,
}

/// A heredoc body attached to RUN (BuildKit's `ShellInlineFile`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellInlineFile {
    pub name: String,
    /// Raw body; when `chomp`, leading tabs still have to be removed
    /// (`syntax::chomp_heredoc_content`).
    pub data: String,
    pub chomp: bool,
}

/// The command of RUN, CMD and ENTRYPOINT: exec form (JSON) or shell form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandLine {
    /// Exec form: the array; shell form: one string (the rest of the line).
    pub args: Vec<String>,
    /// True for the shell form (the shell has to be prepended).
    pub prepend_shell: bool,
    pub files: Vec<ShellInlineFile>,
}

impl CommandLine {
    /// True when written as a JSON array.
    pub fn is_json(&self) -> bool {
        !self.prepend_shell
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCommand {
    pub cmd: CommandLine,
    /// `--mount` values as written (checked for CSV syntax; see `parse_mount`).
    pub mounts: Vec<String>,
    pub network: NetworkMode,
    pub security: SecurityMode,
    pub devices: Vec<Device>,
    /// Names of the flags given, in order of first use.
    pub flags_used: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdCommand {
    pub cmd: CommandLine,
}

/// ENTRYPOINT; an empty `cmd.args` is what BuildKit keeps as nil (`ENTRYPOINT []`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrypointCommand {
    pub cmd: CommandLine,
}

/// A heredoc source of COPY/ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceContent {
    /// The heredoc name, used as the file name.
    pub path: String,
    /// The body (leading tabs already removed for `<<-`).
    pub data: String,
    /// False when the delimiter was quoted.
    pub expand: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourcesAndDest {
    pub dest_path: String,
    pub source_paths: Vec<String>,
    pub source_contents: Vec<SourceContent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyCommand {
    pub sources_and_dest: SourcesAndDest,
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub exclude_patterns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCommand {
    pub sources_and_dest: SourcesAndDest,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    /// `--keep-git-dir`, only when given.
    pub keep_git_dir: Option<bool>,
    pub checksum: Option<String>,
    /// `--unpack`, only when given.
    pub unpack: Option<bool>,
    pub exclude_patterns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvCommand {
    pub env: Vec<KeyValuePair>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelCommand {
    pub labels: Vec<KeyValuePair>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgCommand {
    pub args: Vec<ArgPair>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkdirCommand {
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCommand {
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposeCommand {
    /// Sorted as BuildKit sorts them.
    pub ports: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeCommand {
    pub volumes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopSignalCommand {
    pub signal: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellCommand {
    pub shell: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintainerCommand {
    pub maintainer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnbuildCommand {
    /// The trigger as written after ONBUILD (with heredoc bodies appended), to be parsed again
    /// when a child image is built.
    pub expression: String,
}

/// The image's health check, as in the image config (`HealthcheckConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Healthcheck {
    /// `["NONE"]`, `["CMD", args…]` (exec form) or `["CMD-SHELL", command]`.
    pub test: Vec<String>,
    /// Zero when not set.
    pub interval: Duration,
    pub timeout: Duration,
    pub start_period: Duration,
    pub start_interval: Duration,
    pub retries: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthcheckCommand {
    pub health: Healthcheck,
}
