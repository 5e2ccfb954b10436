//! `SOURCE_DATE_EPOCH` (a build arg, or the default of a global `ARG`): the time this build's
//! history entries carry, and the `source.date.epoch` metadata exporters clamp timestamps to
//! (like the reference's `dockerfile2llb/epoch.go` and `dockerui/build.go`). A value that
//! names the main context, a named context or a source-only stage is resolved here, through
//! the daemon: a git commit's committer time, an http download's Last-Modified, or else the
//! newest file in the downloaded archive.

use std::collections::HashMap;

use buildkit_llb::{LocalOptions, Metadata, Platform, State};
use buildkit_proto::pb;
use prost::Message;

use super::bridge::Bridge;
use super::failure::Failure;
use super::source::BuildSource;
use crate::convert::epoch::{self as sde, EpochSource};
use crate::convert::{ContextSource, ConvertOptions, NamedContext};
use crate::error::LocatedError;
use crate::instructions::Dockerfile;
use crate::options::BuildOptions;

/// The result metadata key the exporters read the epoch from (`/<platform>` when several):
/// BuildKit's `exptypes.ExporterEpochKey`.
pub const EXPORTER_EPOCH_KEY: &str = "source.date.epoch";

/// The http source attribute naming the downloaded file.
const HTTP_FILENAME_ATTR: &str = "http.filename";

/// Resolves `SOURCE_DATE_EPOCH` for each target's options, as the reference does in
/// `toDispatchState` before it dispatches the stages: sets `epoch`, and replaces the build arg
/// (and, through `epoch_replaces_arg`, the global ARG) with the resolved seconds, or removes it
/// when the source has no time. Each distinct value is resolved once.
pub async fn resolve_all(
    bridge: &Bridge,
    opts: &BuildOptions,
    dockerfile: &BuildSource,
    df: &Dockerfile,
    escape: char,
    convert_opts: &mut [ConvertOptions],
) -> Result<(), Failure> {
    let located = |e: LocatedError| dockerfile.locate(e);
    let mut resolved: HashMap<String, Option<i64>> = HashMap::new();
    for o in convert_opts.iter_mut() {
        let globals = crate::convert::global_args(df, escape, o).map_err(located)?;
        let Some(value) = sde::value(&o.build_args, &globals) else {
            continue;
        };
        let epoch = match resolved.get(&value) {
            Some(t) => *t,
            None => {
                let t = match sde::source(&value, df, escape, o, &globals).map_err(located)? {
                    None => None,
                    Some(src) => resolve_source(bridge, opts, dockerfile, &value, src).await?,
                };
                resolved.insert(value, t);
                t
            }
        };
        sde::set(o, epoch);
    }
    Ok(())
}

/// `resolveSourceDateEpochState` and `resolveSourceDateEpochFromState`: the state the value
/// names, then the time of its one source.
async fn resolve_source(
    bridge: &Bridge,
    opts: &BuildOptions,
    dockerfile: &BuildSource,
    value: &str,
    src: EpochSource,
) -> Result<Option<i64>, Failure> {
    let (state, log_name) = match src {
        EpochSource::Seconds(s) => return Ok(Some(s)),
        EpochSource::MainContext => (
            main_context(bridge, opts, dockerfile),
            "[internal] resolve main build context metadata".to_string(),
        ),
        EpochSource::Named(nc) => match named_context_state(bridge, opts, &nc).await? {
            Some(st) => (
                st,
                format!("[internal] resolve SOURCE_DATE_EPOCH named context {value}"),
            ),
            None => return Ok(None),
        },
        EpochSource::Stage { state, name } => (
            state,
            format!("[internal] resolve SOURCE_DATE_EPOCH source stage {name}"),
        ),
    };
    from_state(bridge, &state, &log_name).await
}

/// dockerui's `MainContext`: a remote or input context as the build reads it, else the
/// client's local directory.
fn main_context(bridge: &Bridge, opts: &BuildOptions, dockerfile: &BuildSource) -> State {
    if let Some(st) = &dockerfile.main_context {
        return st.clone();
    }
    let session_id = opts
        .local_session_ids
        .get(&opts.context_local)
        .cloned()
        .unwrap_or_else(|| bridge.session_id.clone());
    State::local(
        &opts.context_local,
        LocalOptions {
            session_id: Some(session_id),
            shared_key_hint: Some(opts.context_local.clone()),
            metadata: Metadata::named("[internal] load build context"),
            ..Default::default()
        },
    )
}

/// The state of a named context, as `NamedContext.Load` makes it (only its source matters).
/// None where it has no source the daemon can date (scratch, an OCI layout).
async fn named_context_state(
    bridge: &Bridge,
    opts: &BuildOptions,
    nc: &NamedContext,
) -> Result<Option<State>, Failure> {
    let source = nc.source().map_err(|e| Failure::Plain(e.message))?;
    Ok(match &source {
        ContextSource::Scratch | ContextSource::OciLayout { .. } => None,
        ContextSource::Git(g) => {
            let git_opts = super::remote::GitContextOptions {
                advice: opts.git_advice,
                ..Default::default()
            };
            Some(super::remote::git_state(g, &nc.input, &git_opts))
        }
        ContextSource::Http { url } => Some(State::http(
            url,
            buildkit_llb::HttpOptions {
                filename: Some("context".into()),
                metadata: Metadata::named(format!("{} {url}", nc.log_prefix())),
                ..Default::default()
            },
        )),
        ContextSource::Image { reference, .. } => Some(State::image(
            reference,
            buildkit_llb::ImageOptions {
                platform: Some(Platform::host()),
                resolve_mode: None,
                metadata: Metadata::default(),
            },
        )),
        ContextSource::Local { name } => {
            let session_id = opts
                .local_session_ids
                .get(name)
                .cloned()
                .unwrap_or_else(|| bridge.session_id.clone());
            Some(State::local(
                name,
                LocalOptions {
                    session_id: Some(session_id),
                    ..Default::default()
                },
            ))
        }
        ContextSource::Input { name } => {
            let inputs = bridge
                .inputs()
                .await
                .map_err(|e| Failure::from(e.context("failed to get frontend inputs")))?;
            let def = inputs.get(name).ok_or_else(|| {
                Failure::Plain(format!(
                    "invalid input {name} for {}",
                    nc.name_with_platform
                ))
            })?;
            Some(State::from_definition(def).map_err(|e| {
                Failure::Plain(format!(
                    "invalid input {name} for {}: {e}",
                    nc.name_with_platform
                ))
            })?)
        }
    })
}

/// The one source op of a state (dockerfile2llb's `sourceOpFromState`): None when it has
/// none or several.
fn single_source(state: &State) -> Result<Option<pb::SourceOp>, Failure> {
    let def = state.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
    let mut found = None;
    for bytes in &def.def {
        let op = pb::Op::decode(bytes.as_slice()).map_err(|e| Failure::Plain(e.to_string()))?;
        if let Some(pb::op::Op::Source(src)) = op.op {
            if found.is_some() {
                return Ok(None);
            }
            found = Some(src);
        }
    }
    Ok(found)
}

/// `resolveSourceDateEpochFromState`: the source's metadata (a git commit object, an http
/// Last-Modified); for an http source without a Last-Modified, the newest file in the
/// download when it is an archive.
async fn from_state(
    bridge: &Bridge,
    state: &State,
    log_name: &str,
) -> Result<Option<i64>, Failure> {
    let Some(op) = single_source(state)? else {
        return Ok(None);
    };
    let is_git = op.identifier.starts_with("git://");
    let is_http = op.identifier.starts_with("http://") || op.identifier.starts_with("https://");
    let md = bridge
        .resolve_source_meta(op.clone(), log_name, is_git)
        .await?;
    if let Some(git) = md.git.as_ref().filter(|g| !g.commit_object.is_empty()) {
        return commit_time(&git.commit_object).map_err(Failure::Plain);
    }
    if let Some(t) = md.http.as_ref().and_then(|h| h.last_modified.as_ref()) {
        return Ok(Some(t.seconds));
    }
    let filename = op
        .attrs
        .get(HTTP_FILENAME_ATTR)
        .cloned()
        .unwrap_or_default();
    if !is_http || filename.is_empty() {
        return Ok(None);
    }
    let download = State::source(&op.identifier, op.attrs.clone(), None, Metadata::default());
    let def = download
        .marshal()
        .map_err(|e| Failure::Plain(e.to_string()))?;
    let ref_id = bridge.solve(def, Vec::new()).await?;
    let data = bridge
        .read_file(&ref_id, &filename)
        .await
        .map_err(|s| Failure::from(super::bridge::status_error(s)))?;
    // Not an archive (or a corrupt one): no time, as the reference's `allowNonArchive`.
    Ok(super::archive::max_file_time(&data)
        .ok()
        .flatten()
        .map(|(secs, _)| secs))
}

/// The committer time of a raw git commit object, as BuildKit's `gitobject.Parse` and
/// `ToCommit` read it: None when the committer line has no valid time.
pub fn commit_time(raw: &[u8]) -> Result<Option<i64>, String> {
    let text = String::from_utf8_lossy(raw);
    if raw.starts_with(b"object ") {
        // A tag object: parsed (its required headers checked), but not a commit.
        for h in ["object", "type", "tag", "tagger"] {
            if !headers(&text).any(|(k, _)| k == h) {
                return Err(format!("invalid tag object: missing {h} header"));
            }
        }
        return Err("not a commit object".into());
    }
    for h in ["tree", "author", "committer"] {
        if !headers(&text).any(|(k, _)| k == h) {
            return Err(format!("invalid commit object: missing {h} header"));
        }
    }
    let time = headers(&text)
        .find(|(k, _)| *k == "committer")
        .and_then(|(_, v)| actor_time(v));
    Ok(time)
}

/// The header lines of a commit object (up to the first empty line), as `key value`; a
/// signature's continuation lines are skipped.
fn headers(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut in_sig = false;
    text.split('\n')
        .take_while(|l| !l.is_empty())
        .filter_map(move |l| {
            if l.starts_with("gpgsig ") || l.starts_with("gpgsig-sha256 ") {
                in_sig = true;
                return None;
            }
            if in_sig {
                if l.starts_with(' ') {
                    return None;
                }
                in_sig = false;
            }
            l.split_once(' ')
        })
}

/// `parseActor`'s time: `Name <email> 1700000101 +0100` → 1700000101.
fn actor_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let start = s.rfind('<')?;
    let end = s.rfind('>')?;
    if end < start {
        return None;
    }
    let mut parts = s[end + 1..].split_whitespace();
    let secs = parts.next()?;
    let tz = parts.next()?;
    let secs = crate::gocompat::parse::parse_int(secs, 64).ok()?;
    let tz = tz.as_bytes();
    if tz.len() != 5 || (tz[0] != b'+' && tz[0] != b'-') {
        return None;
    }
    Some(secs)
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unreachable)]
mod tests {
    use super::*;

    /// WORKDIR creates its directory with the epoch's time, as the reference's `WithCreatedTime`.
    #[test]
    fn workdir_directories_carry_the_epoch() {
        use buildkit_llb::pb;
        use prost::Message;
        let ast = crate::syntax::parse("FROM scratch\nWORKDIR /app\n")
            .unwrap_or_else(|e| panic!("{e:?}"));
        let df = crate::instructions::parse_dockerfile(&ast).unwrap_or_else(|e| panic!("{e:?}"));
        let opts = crate::convert::ConvertOptions {
            epoch: Some(1_700_000_000),
            ..Default::default()
        };
        let conv = crate::convert::convert_with(&df, ast.escape, &opts, |_| unreachable!())
            .unwrap_or_else(|e| panic!("{e:?}"));
        let def = conv.state.marshal().unwrap_or_else(|e| panic!("{e}"));
        let mkdir = def
            .def
            .iter()
            .filter_map(|b| pb::Op::decode(b.as_slice()).ok())
            .find_map(|op| match op.op {
                Some(pb::op::Op::File(f)) => f.actions.into_iter().find_map(|a| match a.action {
                    Some(pb::file_action::Action::Mkdir(m)) => Some(m),
                    _ => None,
                }),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no mkdir"));
        assert_eq!(mkdir.timestamp, 1_700_000_000_000_000_000);
    }

    #[test]
    fn committer_time_of_a_commit_object() {
        let commit = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
parent 1111111111111111111111111111111111111111\n\
author A U Thor <a@example.com> 1600000000 +0200\n\
committer C O Mitter <c@example.com> 1700000101 -0130\n\
gpgsig -----BEGIN PGP SIGNATURE-----\n \n committer X <x@example.com> 1 +0000\n -----END PGP SIGNATURE-----\n\
\n\
msg\ncommitter Not <n@example.com> 2 +0000\n";
        assert_eq!(commit_time(commit), Ok(Some(1_700_000_101)));
        // A committer without a valid time: parsed, no time.
        let no_time = b"tree t\nauthor a <a> 1 +0000\ncommitter c <c>\n\nmsg\n";
        assert_eq!(commit_time(no_time), Ok(None));
        let bad_tz = b"tree t\nauthor a <a> 1 +0000\ncommitter c <c> 5 0000\n\nmsg\n";
        assert_eq!(commit_time(bad_tz), Ok(None));
        assert_eq!(
            commit_time(b"tree t\nauthor a <a> 1 +0000\n\nmsg\n"),
            Err("invalid commit object: missing committer header".into())
        );
        assert_eq!(
            commit_time(b"object o\ntype commit\ntag v1\ntagger t <t> 1 +0000\n\nmsg\n"),
            Err("not a commit object".into())
        );
    }
}
