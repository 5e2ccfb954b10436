//! `RUN --mount`: bind, cache, tmpfs, secret and ssh mounts, as BuildKit's
//! convert_runmount.go, convert_secrets.go and convert_ssh.go lower them.

use std::collections::BTreeSet;

use buildkit_llb::{
    CacheSharing, Chown, FileActions, FileSecret, Metadata, MkdirOptions, Mount as LlbMount,
    MountKind, SecretEnv, State, UserSpec,
};

use super::env::EnvList;
use super::state::StageState;
use super::LocatedError;
use crate::gocompat::{go_path_base, go_quote};
use crate::instructions::{Mount, MountType, ShareMode};

/// Parses the RUN's mounts with variables expanded from the stage's environment, each field's
/// value on its own (BuildKit's `RunCommand.Expand`).
pub(super) fn expand_mounts(
    st: &StageState,
    lex: &crate::shell::Lex,
    raw_mounts: &[String],
) -> Result<Vec<Mount>, LocatedError> {
    raw_mounts
        .iter()
        .map(|raw| {
            let mut expand = |w: &str| st.expand(lex, w).map_err(|e| e.message);
            crate::instructions::parse_mount_with(raw, &mut expand)
                .map_err(|e| LocatedError::new(e.message))
        })
        .collect()
}

/// What the mounts of one RUN add to its exec.
#[derive(Debug, Default)]
pub(super) struct ExecMounts {
    pub mounts: Vec<LlbMount>,
    pub secrets: Vec<FileSecret>,
    pub secret_env: Vec<SecretEnv>,
    pub ssh: Vec<FileSecret>,
}

/// Where the mounts read from: the states of their `from=` nodes (None when not built yet),
/// in mount order, and the build context.
pub(super) struct MountInputs<'a> {
    pub sources: &'a [Option<&'a StageState>],
    pub context: &'a State,
    /// `BUILDKIT_CACHE_MOUNT_NS`.
    pub cache_namespace: &'a str,
}

/// BuildKit's `dispatchRunMounts`: the exec mounts, and the context paths bind mounts read.
pub(super) fn lower_mounts(
    st: &StageState,
    mounts: &[Mount],
    inputs: &MountInputs,
    context_paths: &mut BTreeSet<String>,
) -> Result<ExecMounts, LocatedError> {
    let mut out = ExecMounts::default();
    for (i, m) in mounts.iter().enumerate() {
        let mut from = m.from.clone();
        if from.is_empty() && m.mount_type == MountType::Cache {
            from = "scratch".into();
        }
        let mut source = inputs.context.clone();
        if !from.is_empty() {
            match inputs.sources.get(i).copied().flatten() {
                Some(s) => source = s.fs.clone(),
                None => return Err(LocatedError::new(format!("cannot mount from stage {} to {}, stage needs to be defined before current command", go_quote(&from), go_quote(&m.target)))),
            }
        }
        let kind = match m.mount_type {
            MountType::Secret => {
                lower_secret(st, m, &mut out)?;
                continue;
            }
            MountType::Ssh => {
                out.ssh.push(lower_ssh(m)?);
                continue;
            }
            MountType::Tmpfs => {
                source = State::scratch();
                MountKind::Tmpfs { size: m.size_limit }
            }
            MountType::Cache => {
                let sharing = match m.cache_sharing {
                    Some(ShareMode::Private) => CacheSharing::Private,
                    Some(ShareMode::Locked) => CacheSharing::Locked,
                    _ => CacheSharing::Shared,
                };
                let id = if m.cache_id.is_empty() {
                    buildkit_llb::clean_path(&m.target)
                } else {
                    m.cache_id.clone()
                };
                MountKind::Cache {
                    id: format!("{}/{id}", inputs.cache_namespace),
                    sharing,
                }
            }
            MountType::Bind => MountKind::Bind,
        };
        // A writable bind mount's changes are dropped (not an output of the exec).
        let no_output = !m.read_only && m.mount_type == MountType::Bind;
        let target = if m.target.starts_with('/') {
            m.target.clone()
        } else {
            buildkit_llb::clean_path(&format!("/{}/{}", st.dir, m.target))
        };
        if target == "/" {
            return Err(LocatedError::new(format!(
                "invalid mount target {}",
                go_quote(&target)
            )));
        }
        let source_path = buildkit_llb::clean_path(&format!("/{}", m.source));
        let mut selector = String::new();
        if source_path != "/" {
            selector = source_path.clone();
        } else if m.uid.is_some() || m.gid.is_some() || m.mode.is_some() {
            source = cache_dir_with_owner(m, source);
            selector = "/cache".into();
        }
        out.mounts.push(LlbMount {
            target,
            source,
            selector,
            readonly: m.read_only,
            kind,
            no_output,
        });
        if from.is_empty() {
            context_paths.insert(source_path);
        }
    }
    Ok(out)
}

/// `setCacheUIDGID`: the mount's source gets a `/cache` directory with the wanted owner and mode.
fn cache_dir_with_owner(m: &Mount, source: State) -> State {
    let id = |v: Option<u64>| UserSpec::Id(v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0));
    let owner = Chown {
        user: Some(id(m.uid)),
        group: Some(id(m.gid)),
    };
    let mode = m.mode.and_then(|v| u32::try_from(v).ok()).unwrap_or(0o755);
    source.file(
        FileActions::new().mkdir(
            "/cache",
            mode,
            MkdirOptions {
                make_parents: false,
                owner: Some(owner),
                timestamp: None,
            },
        ),
        Metadata::named("[internal] setting cache mount permissions"),
    )
}

/// `dispatchSecret`: a file under /run/secrets (or `target`), and/or an environment variable.
fn lower_secret(st: &StageState, m: &Mount, out: &mut ExecMounts) -> Result<(), LocatedError> {
    let windows = st.platform.os == "windows";
    let target = if windows {
        m.target.replace('\\', "/")
    } else {
        m.target.clone()
    };
    let mut id = if m.source.is_empty() {
        m.cache_id.clone()
    } else {
        m.source.clone()
    };
    if id.is_empty() {
        if target.is_empty() {
            return Err(LocatedError::new("one of source, target required"));
        }
        id = go_path_base(&target);
    }
    if windows && !target.is_empty() && !is_windows_abs(&target) {
        return Err(LocatedError::new(format!(
            "secret target {} must be an absolute path with forward slashes on Windows, e.g. --mount=type=secret,id={id},target=C:/path/to/secret",
            go_quote(&target)
        )));
    }
    let mut dest = (!target.is_empty()).then(|| target.clone());
    if m.env.is_none() && dest.is_none() {
        if windows {
            return Err(LocatedError::new(format!("secret target is required on Windows, e.g. --mount=type=secret,id={id},target=C:/path/to/secret")));
        }
        dest = Some(format!("/run/secrets/{}", go_path_base(&id)));
    }
    let optional = !m.required;
    if let Some(name) = &m.env {
        out.secret_env.push(SecretEnv {
            id: id.clone(),
            name: name.clone(),
            optional,
        });
    }
    if let Some(target) = dest {
        let (uid, gid, mode) = file_opts(m, 0o400);
        out.secrets.push(FileSecret {
            target,
            id,
            uid,
            gid,
            mode,
            optional,
        });
    }
    Ok(())
}

/// `dispatchSSH`: an ssh-agent socket (BuildKit picks the path when no target is given).
fn lower_ssh(m: &Mount) -> Result<FileSecret, LocatedError> {
    if !m.source.is_empty() {
        return Err(LocatedError::new("ssh does not support source"));
    }
    let (uid, gid, mode) = file_opts(m, 0o600);
    // The id stays empty for the default agent: the daemon reads "" as "default".
    Ok(FileSecret {
        target: m.target.clone(),
        id: m.cache_id.clone(),
        uid,
        gid,
        mode,
        optional: !m.required,
    })
}

/// uid, gid and mode of a secret or socket file: 0, 0 and the default unless set.
fn file_opts(m: &Mount, default_mode: u32) -> (u32, u32, u32) {
    let v = |x: Option<u64>, d: u32| x.map_or(d, |x| u32::try_from(x).unwrap_or(u32::MAX));
    (v(m.uid, 0), v(m.gid, 0), v(m.mode, default_mode))
}

/// The environment RUN's progress name is expanded with: a secret's variable shows as `****`.
/// (Borrowed when no secret is exposed as a variable, as in most RUNs.)
pub(super) fn mask_secret_env<'a>(
    env: &'a EnvList,
    mounts: &[Mount],
) -> std::borrow::Cow<'a, EnvList> {
    let mut masked = std::borrow::Cow::Borrowed(env);
    for m in mounts.iter().filter(|m| m.mount_type == MountType::Secret) {
        if let Some(name) = &m.env {
            masked.to_mut().set(name, "****");
        }
    }
    masked
}

/// BuildKit's `system.IsAbs(p, "windows")`: rooted, with no drive or the system drive `C:`
/// (other drives and UNC paths are not absolute there).
fn is_windows_abs(p: &str) -> bool {
    let p = p.replace('\\', "/");
    if (p.len() == 2 && p.as_bytes()[1] == b':') || p.starts_with("//") {
        return false;
    }
    match p.split_once(':') {
        None => p.starts_with('/'),
        Some((drive, rest)) => drive.eq_ignore_ascii_case("c") && rest.starts_with('/'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_absolute_paths() {
        for (p, abs) in [
            ("C:/s", true),
            ("c:\\s", true),
            ("/s", true),
            ("D:/s", false),
            ("C:s", false),
            ("C:", false),
            ("//host/s", false),
            ("s", false),
        ] {
            assert_eq!(is_windows_abs(p), abs, "{p}");
        }
    }
}
