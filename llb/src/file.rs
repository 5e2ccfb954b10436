//! File ops: a chain of copy, mkdir, mkfile, rm and symlink actions applied to a state.
//! Paths are absolute (callers resolve the working directory); they are cleaned as BuildKit does.

use buildkit_proto::pb;

use crate::metadata::Metadata;
use crate::state::{base_op, InputSet, OpNode, State};

/// A user or group, by name (resolved in the destination's /etc/passwd or /etc/group) or id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSpec {
    Name(String),
    Id(u32),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chown {
    pub user: Option<UserSpec>,
    pub group: Option<UserSpec>,
}

impl Chown {
    /// `user[:group]` as BuildKit's Go client reads it (`llb.WithUser`): each part an id when
    /// it is `root` or a number that fits an `int32` (a negative one wraps to `uint32`:
    /// `-1` is 4294967295), otherwise a name; an empty user is uid 0 (Go's empty name
    /// marshals as id 0); an empty group (`1:`) leaves the group out.
    pub fn with_user(spec: &str) -> Chown {
        let part = |v: &str| match parse_uid(v) {
            Some(id) => UserSpec::Id(id),
            None if v.is_empty() => UserSpec::Id(0),
            None => UserSpec::Name(v.to_string()),
        };
        let (user, group) = match spec.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (spec, None),
        };
        Chown {
            user: Some(part(user)),
            group: group.filter(|g| !g.is_empty()).map(part),
        }
    }

    /// Whether a user or group is a name, resolved in the destination's /etc/passwd or
    /// /etc/group (the Dockerfile frontend's `chownByName`).
    pub fn by_name(&self) -> bool {
        [&self.user, &self.group]
            .iter()
            .any(|u| matches!(u, Some(UserSpec::Name(_))))
    }
}

/// Go's `parseUID`: `root`, or `strconv.ParseInt(s, 10, 32)` (sign allowed) wrapped to `uint32`
/// as the op's `ByID` is.
fn parse_uid(s: &str) -> Option<u32> {
    if s == "root" {
        return Some(0);
    }
    s.parse::<i32>().ok().map(|id| id as u32)
}

#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    pub owner: Option<Chown>,
    /// Numeric mode; `mode_str` wins when set (symbolic `--chmod`).
    pub mode: Option<u32>,
    pub mode_str: Option<String>,
    pub follow_symlinks: bool,
    pub dir_copy_contents: bool,
    pub attempt_unpack: bool,
    pub create_dest_path: bool,
    pub allow_wildcard: bool,
    pub allow_empty_wildcard: bool,
    /// Nanoseconds since the epoch; None keeps the source times.
    pub timestamp: Option<i64>,
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
    pub required_paths: Vec<String>,
    pub always_replace_existing_dest_paths: bool,
}

#[derive(Debug, Clone, Default)]
pub struct MkdirOptions {
    pub make_parents: bool,
    pub owner: Option<Chown>,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct MkfileOptions {
    pub owner: Option<Chown>,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct RmOptions {
    pub allow_not_found: bool,
    pub allow_wildcard: bool,
}

#[derive(Debug, Clone)]
enum Action {
    Copy {
        source: State,
        src: String,
        dest: String,
        opts: CopyOptions,
    },
    Mkdir {
        path: String,
        mode: u32,
        opts: MkdirOptions,
    },
    Mkfile {
        path: String,
        mode: u32,
        data: Vec<u8>,
        opts: MkfileOptions,
    },
    Rm {
        path: String,
        opts: RmOptions,
    },
    Symlink {
        old: String,
        new: String,
        owner: Option<Chown>,
        timestamp: Option<i64>,
    },
}

/// The actions of one file op, applied in order.
#[derive(Debug, Clone, Default)]
pub struct FileActions {
    actions: Vec<Action>,
}

impl FileActions {
    pub fn new() -> Self {
        FileActions::default()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn copy(
        mut self,
        source: State,
        src: impl Into<String>,
        dest: impl Into<String>,
        opts: CopyOptions,
    ) -> Self {
        self.actions.push(Action::Copy {
            source,
            src: src.into(),
            dest: dest.into(),
            opts,
        });
        self
    }

    pub fn mkdir(mut self, path: impl Into<String>, mode: u32, opts: MkdirOptions) -> Self {
        self.actions.push(Action::Mkdir {
            path: path.into(),
            mode,
            opts,
        });
        self
    }

    pub fn mkfile(
        mut self,
        path: impl Into<String>,
        mode: u32,
        data: Vec<u8>,
        opts: MkfileOptions,
    ) -> Self {
        self.actions.push(Action::Mkfile {
            path: path.into(),
            mode,
            data,
            opts,
        });
        self
    }

    pub fn rm(mut self, path: impl Into<String>, opts: RmOptions) -> Self {
        self.actions.push(Action::Rm {
            path: path.into(),
            opts,
        });
        self
    }

    pub fn symlink(
        mut self,
        old: impl Into<String>,
        new: impl Into<String>,
        owner: Option<Chown>,
        timestamp: Option<i64>,
    ) -> Self {
        self.actions.push(Action::Symlink {
            old: old.into(),
            new: new.into(),
            owner,
            timestamp,
        });
        self
    }
}

impl State {
    /// Applies `actions` to this state in one file op. File ops are not platform specific.
    pub fn file(&self, actions: FileActions, mut metadata: Metadata) -> State {
        if actions.actions.is_empty() {
            return self.clone();
        }
        metadata.add_cap("file.base");
        let mut inputs = InputSet::default();
        let base = inputs.add(self);
        // Sources are added in action order, after the base, like BuildKit's marshal state.
        let sources: Vec<i64> = actions
            .actions
            .iter()
            .map(|a| match a {
                Action::Copy { source, .. } => inputs.add(source),
                _ => -1,
            })
            .collect();
        // Go's `FileOp.Inputs()` lists the base, then copy sources from the last action back.
        let mut order = InputSet::default();
        order.add(self);
        for a in actions.actions.iter().rev() {
            if let Action::Copy { source, .. } = a {
                order.add(source);
            }
        }
        let visit = order.objects;
        let n_inputs = inputs.inputs.len() as i64;
        let last = actions.actions.len() - 1;
        let mut pb_actions = Vec::with_capacity(actions.actions.len());
        for (i, action) in actions.actions.into_iter().enumerate() {
            // The first action works on the base; each later one on the previous action's result.
            let input = if i == 0 {
                base
            } else {
                n_inputs + i as i64 - 1
            };
            let (secondary, pb_action) = match action {
                Action::Copy {
                    src, dest, opts, ..
                } => {
                    // BuildKit's client adds these caps too late to take effect (its FileOp.Marshal
                    // reads the actions before collecting them), so the reference never sends them;
                    // neither do we, for byte-identical definitions.
                    (
                        sources[i],
                        pb::file_action::Action::Copy(copy_action(&src, &dest, opts, base)),
                    )
                }
                Action::Mkdir { path, mode, opts } => (
                    -1,
                    pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                        path: normalize_path(&path, false),
                        mode: (mode & 0o777) as i32,
                        make_parents: opts.make_parents,
                        owner: chown_pb(opts.owner.as_ref(), base),
                        timestamp: opts.timestamp.unwrap_or(-1),
                    }),
                ),
                Action::Mkfile {
                    path,
                    mode,
                    data,
                    opts,
                } => (
                    -1,
                    pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                        path: normalize_path(&path, false),
                        mode: (mode & 0o777) as i32,
                        data,
                        owner: chown_pb(opts.owner.as_ref(), base),
                        timestamp: opts.timestamp.unwrap_or(-1),
                    }),
                ),
                Action::Rm { path, opts } => {
                    if opts.allow_wildcard {
                        metadata.add_cap("file.rm.wildcard");
                    }
                    (
                        -1,
                        pb::file_action::Action::Rm(pb::FileActionRm {
                            path: normalize_path(&path, false),
                            allow_not_found: opts.allow_not_found,
                            allow_wildcard: opts.allow_wildcard,
                        }),
                    )
                }
                Action::Symlink {
                    old,
                    new,
                    owner,
                    timestamp,
                } => {
                    metadata.add_cap("file.symlink.create");
                    (
                        -1,
                        pb::file_action::Action::Symlink(pb::FileActionSymlink {
                            oldpath: old,
                            newpath: normalize_path(&new, false),
                            owner: chown_pb(owner.as_ref(), base),
                            timestamp: timestamp.unwrap_or(-1),
                        }),
                    )
                }
            };
            pb_actions.push(pb::FileAction {
                input,
                secondary_input: secondary,
                output: if i == last { 0 } else { -1 },
                action: Some(pb_action),
            });
        }
        let mut op = base_op(None);
        op.op = Some(pb::op::Op::File(pb::FileOp {
            actions: pb_actions,
        }));
        State::from_node(OpNode::with_visit(op, inputs.inputs, visit, metadata), 0)
    }
}

fn copy_action(src: &str, dest: &str, opts: CopyOptions, base: i64) -> pb::FileActionCopy {
    let (mode, mode_str) = match (&opts.mode_str, opts.mode) {
        (Some(s), _) => (0, s.clone()),
        (None, Some(m)) => (m as i32, String::new()),
        (None, None) => (-1, String::new()),
    };
    pb::FileActionCopy {
        src: clean_abs(src),
        dest: normalize_path(dest, true),
        owner: chown_pb(opts.owner.as_ref(), base),
        mode,
        follow_symlink: opts.follow_symlinks,
        dir_copy_contents: opts.dir_copy_contents,
        attempt_unpack_docker_compatibility: opts.attempt_unpack,
        create_dest_path: opts.create_dest_path,
        allow_wildcard: opts.allow_wildcard,
        allow_empty_wildcard: opts.allow_empty_wildcard,
        timestamp: opts.timestamp.unwrap_or(-1),
        include_patterns: opts.include_patterns,
        exclude_patterns: opts.exclude_patterns,
        always_replace_existing_dest_paths: opts.always_replace_existing_dest_paths,
        mode_str,
        required_paths: opts.required_paths,
    }
}

fn chown_pb(owner: Option<&Chown>, base: i64) -> Option<pb::ChownOpt> {
    let user = |u: &UserSpec| pb::UserOpt {
        user: Some(match u {
            UserSpec::Name(n) => pb::user_opt::User::ByName(pb::NamedUserOpt {
                name: n.clone(),
                input: base,
            }),
            UserSpec::Id(id) => pb::user_opt::User::ById(*id),
        }),
    };
    owner.map(|c| pb::ChownOpt {
        user: c.user.as_ref().map(user),
        group: c.group.as_ref().map(user),
    })
}

/// `path.Join("/", path.Clean(p))`.
fn clean_abs(p: &str) -> String {
    clean(&["/", p].concat())
}

/// Go's `path.Clean` for slash paths.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    if is_clean(p) {
        return p.to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            x => parts.push(x),
        }
    }
    let mut out = String::with_capacity(p.len() + 1);
    for (i, part) in parts.iter().enumerate() {
        if rooted || i > 0 {
            out.push('/');
        }
        out.push_str(part);
    }
    if out.is_empty() {
        out.push(if rooted { '/' } else { '.' });
    }
    out
}

/// Already what `clean` makes of it: no empty, `.` or `..` element and no trailing slash.
fn is_clean(p: &str) -> bool {
    if p == "/" {
        return true;
    }
    !p.ends_with('/')
        && p.strip_prefix('/')
            .unwrap_or(p)
            .split('/')
            .all(|e| !e.is_empty() && e != "." && e != "..")
}

/// BuildKit's `normalizePath`: `p` cleaned (joined under `dir` when relative), and with
/// `keep_slash` (a copy destination) a trailing `/` or `/.` kept, meaning "into this directory".
pub fn normalize_path_in(dir: &str, p: &str, keep_slash: bool) -> String {
    let mut out = if p.starts_with('/') {
        clean(p)
    } else {
        clean(&["/", dir, "/", p].concat())
    };
    if keep_slash {
        if p.ends_with('/') && !out.ends_with('/') {
            out.push('/');
        } else if p.ends_with("/.") {
            if out != "/" {
                out.push('/');
            }
            out.push('.');
        }
    }
    out
}

fn normalize_path(p: &str, keep_slash: bool) -> String {
    normalize_path_in("/", p, keep_slash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_user_reads_owners_as_go() {
        use UserSpec::{Id, Name};
        let name = |n: &str| Some(Name(n.to_string()));
        // What dockerfile2llb v0.34.2 writes for `COPY --chown=X` (and a WORKDIR after `USER X`).
        let cases: [(&str, Option<UserSpec>, Option<UserSpec>); 21] = [
            ("name", name("name"), None),
            ("1000", Some(Id(1000)), None),
            ("name:group", name("name"), name("group")),
            ("1000:2000", Some(Id(1000)), Some(Id(2000))),
            (":1", Some(Id(0)), Some(Id(1))),
            ("1:", Some(Id(1)), None),
            (":", Some(Id(0)), None),
            ("0", Some(Id(0)), None),
            ("root", Some(Id(0)), None),
            ("root:root", Some(Id(0)), Some(Id(0))),
            ("-1", Some(Id(u32::MAX)), None),
            ("4294967295", name("4294967295"), None),
            ("4294967296", name("4294967296"), None),
            ("3000000000", name("3000000000"), None),
            (
                "2147483647:-2147483648",
                Some(Id(2147483647)),
                Some(Id(2147483648)),
            ),
            ("+5", Some(Id(5)), None),
            ("007", Some(Id(7)), None),
            ("1_000", name("1_000"), None),
            ("Root", name("Root"), None),
            ("a:b:c", name("a"), name("b:c")),
            ("-", name("-"), None),
        ];
        for (spec, user, group) in cases {
            assert_eq!(Chown::with_user(spec), Chown { user, group }, "{spec}");
        }
        assert!(Chown::with_user("1:g").by_name());
        assert!(!Chown::with_user(":").by_name());
        assert!(!Chown::with_user("-1:3").by_name());
    }

    #[test]
    fn clean_matches_go() {
        // The first ones, then Go's own `path` test table (cleantests).
        for (i, o) in [
            ("/a/b/../c", "/a/c"),
            ("/../a", "/a"),
            ("a/./b/", "a/b"),
            ("", "."),
            ("/", "/"),
            ("../x", "../x"),
            ("//a//b", "/a/b"),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("a/b/c/", "a/b/c"),
            ("./", "."),
            ("../", ".."),
            ("../../", "../.."),
            ("/abc/", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("//abc", "/abc"),
            ("///abc", "/abc"),
            ("//abc//", "/abc"),
            ("abc//", "abc"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("abc/./../def", "def"),
            ("abc//./../def", "def"),
            ("abc/../../././../def", "../../def"),
        ] {
            assert_eq!(clean(i), o, "{i}");
        }
    }

    #[test]
    fn copy_dest_keeps_directory_suffix() {
        assert_eq!(normalize_path("/app/", true), "/app/");
        assert_eq!(normalize_path("/app/.", true), "/app/.");
        assert_eq!(normalize_path("/.", true), "/.");
        assert_eq!(normalize_path("/app/", false), "/app");
    }
}
