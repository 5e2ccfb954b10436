//! `SOURCE_DATE_EPOCH` as the reference's `dockerfile2llb/epoch.go` reads it, the part that
//! needs no I/O: which value the build sets (the build arg, else the global ARG's expanded
//! default), and what it names: a number of seconds, the main build context (`context`), a
//! named context, or a source-only stage (`FROM scratch`, ARGs and one remote ADD), whose
//! source the gateway then asks the daemon the time of.

use buildkit_llb::reference::Reference;
use buildkit_llb::{HttpOptions, Metadata, Platform, State};

use super::contexts::{self, NamedContext};
use super::env::EnvList;
use super::gitref::{git_source, parse_git_ref, GitRefParse, GitSourceOptions};
use super::{ConvertOptions, LocatedError};
use crate::image::Image;
use crate::instructions::{AddCommand, ArgPair, CommandKind, Dockerfile, Stage};
use crate::shell::Lex;

pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// What a `SOURCE_DATE_EPOCH` value names.
#[derive(Debug, Clone)]
pub enum EpochSource {
    Seconds(i64),
    /// `context`: the main build context's time.
    MainContext,
    /// A named context (`context:NAME`): its source's time.
    Named(NamedContext),
    /// A source-only stage: the time of its one remote ADD source.
    Stage {
        state: State,
        name: String,
    },
}

/// The reference's `getBuildArgValue`: the build arg when given (even empty), else the global
/// ARG when it has a non-empty value. None: the build does not set it.
pub fn value(
    build_args: &std::collections::BTreeMap<String, String>,
    global_args: &EnvList,
) -> Option<String> {
    if let Some(v) = build_args.get(SOURCE_DATE_EPOCH) {
        return Some(v.clone());
    }
    global_args
        .get(SOURCE_DATE_EPOCH)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Sets the epoch the value named (None: an empty value) as the reference does once resolved:
/// it stamps the build, and replaces the `SOURCE_DATE_EPOCH` build arg (dropped when empty).
pub fn set(o: &mut ConvertOptions, epoch: Option<i64>) {
    o.epoch = epoch;
    o.epoch_replaces_arg = true;
    if o.build_args.contains_key(SOURCE_DATE_EPOCH) {
        match epoch {
            Some(t) => {
                o.build_args.insert(SOURCE_DATE_EPOCH.into(), t.to_string());
            }
            None => {
                o.build_args.remove(SOURCE_DATE_EPOCH);
            }
        }
    }
}

/// The epoch without a daemon (the offline CLI), given the global ARGs: a number of seconds,
/// or an empty value; a context's or a stage's time needs the daemon and is refused.
pub fn set_offline(
    o: &mut ConvertOptions,
    df: &Dockerfile,
    escape: char,
    globals: &EnvList,
) -> Result<(), LocatedError> {
    let Some(value) = value(&o.build_args, globals) else {
        return Ok(());
    };
    let epoch = match source(&value, df, escape, o, globals)? {
        None => None,
        Some(EpochSource::Seconds(t)) => Some(t),
        Some(_) => {
            return Err(LocatedError::new(format!(
                "SOURCE_DATE_EPOCH={value}: the time of a context or a stage needs a daemon; offline, give a number of seconds"
            )))
        }
    };
    set(o, epoch);
    Ok(())
}

/// The reference's `resolveSourceDateEpochValue` up to its I/O: None for an empty value.
/// Errors read as the reference's (a stage's are located at its FROM).
pub fn source(
    value: &str,
    df: &Dockerfile,
    escape: char,
    opts: &ConvertOptions,
    global_args: &EnvList,
) -> Result<Option<EpochSource>, LocatedError> {
    if value.is_empty() {
        return Ok(None);
    }
    if let Ok(secs) = parse_seconds(value) {
        return Ok(Some(EpochSource::Seconds(secs)));
    }
    if value == "context" {
        return Ok(Some(EpochSource::MainContext));
    }
    if let Some(nc) = named_context(opts, value)? {
        return Ok(Some(EpochSource::Named(nc)));
    }
    let lex = Lex::new(escape).with_limits(opts.limits.for_source(df.source_len()));
    for st in &df.stages {
        if !st
            .name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(value))
        {
            continue;
        }
        let mut args = global_args.clone();
        args.remove(SOURCE_DATE_EPOCH);
        let state = stage_source(st, opts, args, &lex).map_err(|e| e.or_at(st.location))?;
        return Ok(Some(EpochSource::Stage {
            state,
            name: st.name.clone().unwrap_or_default(),
        }));
    }
    Err(LocatedError::new(format!(
        "invalid SOURCE_DATE_EPOCH: {value}"
    )))
}

/// Go's `strconv.ParseInt(v, 10, 64)`: an optional sign and decimal digits, in range.
fn parse_seconds(v: &str) -> Result<i64, ()> {
    crate::gocompat::parse::parse_int(v, 64).map_err(|_| ())
}

/// dockerui's `Client.NamedContext(value, ContextOpt{})`: the name must be a valid reference
/// (else an error, even with no named contexts set); no platform means the frontend's own.
fn named_context(opts: &ConvertOptions, name: &str) -> Result<Option<NamedContext>, LocatedError> {
    Reference::parse_normalized(name)
        .map_err(|e| LocatedError::new(format!("invalid context name {name}: {e}")))?;
    contexts::lookup(opts, name, Some(&Platform::host()))
}

/// The reference's `sourceDateEpochStageSource`: a stage that only fetches one remote source.
fn stage_source(
    st: &Stage,
    opts: &ConvertOptions,
    global_args: EnvList,
    lex: &Lex,
) -> Result<State, LocatedError> {
    let base = lex.process_word(&st.base_name, &global_args).map_err(|e| {
        LocatedError::new(format!(
            "failed to process source stage base name {:?}: {e}",
            st.base_name
        ))
    })?;
    if base != "scratch" {
        return Err(LocatedError::new(
            "SOURCE_DATE_EPOCH stage must use FROM scratch",
        ));
    }
    let one_add =
        || LocatedError::new("SOURCE_DATE_EPOCH stage must contain exactly one remote ADD");
    let mut env = global_args;
    let mut source = None;
    for cmd in &st.commands {
        match &cmd.kind {
            CommandKind::Arg(a) => apply_args(&a.args, &mut env, opts, lex)?,
            CommandKind::Add(add) => {
                if source.is_some() {
                    return Err(one_add());
                }
                source = Some(add_source(add, &env, lex, opts.git_advice)?);
            }
            _ => {
                return Err(LocatedError::new(format!(
                    "SOURCE_DATE_EPOCH stage does not meet source-only requirements: unsupported {} instruction",
                    cmd.name()
                )))
            }
        }
    }
    source.ok_or_else(one_add)
}

/// `applySourceDateEpochStageArgs`: a build arg wins; a default is expanded with what is set.
fn apply_args(
    args: &[ArgPair],
    env: &mut EnvList,
    opts: &ConvertOptions,
    lex: &Lex,
) -> Result<(), LocatedError> {
    for arg in args {
        if let Some(v) = opts.build_args.get(&arg.key) {
            env.set(&arg.key, v);
            continue;
        }
        let Some(default) = &arg.value else {
            continue;
        };
        let v = lex
            .process_word(default, &*env)
            .map_err(|e| LocatedError::new(e.to_string()))?;
        env.set(&arg.key, &v);
    }
    Ok(())
}

/// `sourceDateEpochAddSource`: the ADD's one source, an http(s) download or a git repository.
fn add_source(
    add: &AddCommand,
    env: &EnvList,
    lex: &Lex,
    git_advice: bool,
) -> Result<State, LocatedError> {
    let sd = &add.sources_and_dest;
    if !sd.source_contents.is_empty() || sd.source_paths.len() != 1 {
        return Err(LocatedError::new(
            "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD source",
        ));
    }
    let expand = |w: &str| {
        lex.process_word(w, env)
            .map_err(|e| LocatedError::new(e.to_string()))
    };
    let src = expand(&sd.source_paths[0])?;
    let checksum = add.checksum.as_deref().filter(|c| !c.is_empty());
    let git = parse_git_ref(&src);
    let is_git = matches!(git, GitRefParse::Git(_));
    if (src.starts_with("http://") || src.starts_with("https://")) && !is_git {
        let checksum = match checksum {
            Some(c) => Some(super::url::parse_digest(&expand(c)?)?),
            None => None,
        };
        return Ok(State::http(
            &src,
            HttpOptions {
                checksum,
                filename: Some(super::url::url_filename(&src)),
                ..Default::default()
            },
        ));
    }
    match git {
        GitRefParse::Invalid(e) => Err(LocatedError::new(e)),
        GitRefParse::Git(g) if !g.indistinguishable_from_local => {
            let checksum = match checksum {
                Some(c) => expand(c)?,
                None => g.checksum.clone(),
            };
            let opts = GitSourceOptions {
                reference: g.reference.clone(),
                sub_dir: g.sub_dir.clone(),
                keep_git_dir: add.keep_git_dir == Some(true) || g.keep_git_dir == Some(true),
                checksum,
                skip_submodules: g.submodules == Some(false),
                fetch_by_commit: false,
                advice: git_advice,
                mtime: String::new(),
            };
            Ok(git_source(&g.remote, &opts, Metadata::default()))
        }
        _ => Err(LocatedError::new(
            "SOURCE_DATE_EPOCH stage source must be a single HTTP(S) or Git ADD",
        )),
    }
}

/// The seconds Go can write as a `time.Time` in JSON: years 0 to 9999.
const JSON_TIMES: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;

/// Stamps the history entries this build added (those without a time) with the epoch. An
/// epoch outside the years 0 to 9999 in the history fails as the reference fails when it
/// writes the config (Go's `time.Time` refuses to be written, BuildKit could not read it).
pub fn apply(image: &mut Image, epoch: i64) -> Result<(), String> {
    let stamp = rfc3339(epoch);
    let mut stamped = false;
    for h in image.history.iter_mut().filter(|h| h.created.is_none()) {
        h.created = Some(stamp.clone());
        stamped = true;
    }
    if stamped && !JSON_TIMES.contains(&epoch) {
        return Err("failed to marshal image config: json: error calling MarshalJSON for type *time.Time: Time.MarshalJSON: year outside of range [0,9999]".into());
    }
    Ok(())
}

/// `2023-11-14T22:13:20Z` for 1700000000 (UTC, whole seconds, as Go marshals a `time.Time`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use buildkit_proto::pb;
    use prost::Message;

    use super::*;

    /// Found by the fuzz target `options` against Go's decoder: a history time beyond the
    /// year 9999 (or before 0) is no time Go writes or reads; the build fails as the
    /// reference's does (checked with Go 1.26: the bounds are Go's).
    #[test]
    fn an_epoch_go_cannot_write_fails_the_build() {
        let mut img = Image::default();
        img.add_history("RUN x".into(), false, None);
        for ok in [-62_167_219_200, 253_402_300_799, 0] {
            assert!(apply(&mut img.clone(), ok).is_ok(), "{ok}");
        }
        for bad in [
            -62_167_219_201,
            253_402_300_800,
            -99_999_999_999,
            i64::MAX,
            i64::MIN,
        ] {
            match apply(&mut img.clone(), bad) {
                Err(e) => assert!(e.ends_with("year outside of range [0,9999]"), "{bad}: {e}"),
                Ok(()) => panic!("{bad} was applied"),
            }
        }
        // Nothing stamped, nothing written: no error.
        assert!(apply(&mut Image::default(), i64::MAX).is_ok());
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    use crate::options::BuildOptions;

    fn parse(src: &str) -> (Dockerfile, char) {
        let ast = crate::syntax::parse(src).unwrap_or_else(|e| panic!("{e:?}"));
        let df = crate::instructions::parse_dockerfile(&ast).unwrap_or_else(|e| panic!("{e:?}"));
        (df, ast.escape)
    }

    /// The value and what it names, with `args` as build args.
    fn resolve(src: &str, args: &[(&str, &str)]) -> Result<Option<EpochSource>, LocatedError> {
        resolve_with(src, args, &[])
    }

    fn resolve_with(
        src: &str,
        args: &[(&str, &str)],
        contexts: &[(&str, &str)],
    ) -> Result<Option<EpochSource>, LocatedError> {
        let (df, escape) = parse(src);
        let opts = ConvertOptions {
            build: BuildOptions {
                build_args: args
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                named_contexts: contexts
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            },
            ..Default::default()
        };
        let globals = crate::convert::global_args(&df, escape, &opts)?;
        match value(&opts.build_args, &globals) {
            None => Ok(None),
            Some(v) => source(&v, &df, escape, &opts, &globals),
        }
    }

    fn seconds(r: Result<Option<EpochSource>, LocatedError>) -> Option<i64> {
        match r {
            Ok(Some(EpochSource::Seconds(s))) => Some(s),
            Ok(None) => None,
            other => panic!("not seconds: {other:?}"),
        }
    }

    fn err(r: Result<Option<EpochSource>, LocatedError>) -> LocatedError {
        match r {
            Err(e) => e,
            Ok(o) => panic!("no error: {o:?}"),
        }
    }

    /// The stage's one source op.
    fn stage_op(r: Result<Option<EpochSource>, LocatedError>) -> pb::SourceOp {
        let Ok(Some(EpochSource::Stage { state, .. })) = r else {
            panic!("not a stage: {r:?}")
        };
        let def = state.marshal().unwrap();
        let ops: Vec<pb::SourceOp> = def
            .def
            .iter()
            .filter_map(|b| match pb::Op::decode(b.as_slice()).unwrap().op {
                Some(pb::op::Op::Source(s)) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(ops.len(), 1, "{ops:?}");
        ops.into_iter().next().unwrap()
    }

    #[test]
    fn numbers_from_build_arg_or_expanded_global_default() {
        let df = "ARG SOURCE_DATE_EPOCH=42\nFROM scratch\n";
        assert_eq!(seconds(resolve(df, &[])), Some(42));
        assert_eq!(seconds(resolve(df, &[("SOURCE_DATE_EPOCH", "7")])), Some(7));
        // An empty build arg wins and unsets it.
        assert_eq!(seconds(resolve(df, &[("SOURCE_DATE_EPOCH", "")])), None);
        // The default is expanded, with build args for the ARGs before it.
        let df = "ARG T=100\nARG SOURCE_DATE_EPOCH=${T}0\nFROM scratch\n";
        assert_eq!(seconds(resolve(df, &[])), Some(1000));
        assert_eq!(seconds(resolve(df, &[("T", "5")])), Some(50));
        // The last global ARG wins; one without a value keeps the previous.
        let df = "ARG SOURCE_DATE_EPOCH=1\nARG SOURCE_DATE_EPOCH=2\nARG SOURCE_DATE_EPOCH\nFROM scratch\n";
        assert_eq!(seconds(resolve(df, &[])), Some(2));
        // A stage's ARG is not a global one; none set means none.
        assert_eq!(
            seconds(resolve("FROM scratch\nARG SOURCE_DATE_EPOCH=3\n", &[])),
            None
        );
        assert_eq!(
            seconds(resolve("ARG SOURCE_DATE_EPOCH=\nFROM scratch\n", &[])),
            None
        );
        assert_eq!(
            seconds(resolve("FROM scratch\n", &[("SOURCE_DATE_EPOCH", "-5")])),
            Some(-5)
        );
        assert_eq!(
            seconds(resolve("FROM scratch\n", &[("SOURCE_DATE_EPOCH", "+5")])),
            Some(5)
        );
    }

    #[test]
    fn invalid_values_read_like_the_reference() {
        let e = err(resolve(
            "ARG SOURCE_DATE_EPOCH=not-a-timestamp\nFROM scratch\nCOPY Dockerfile .\n",
            &[],
        ));
        assert_eq!(e.message, "invalid SOURCE_DATE_EPOCH: not-a-timestamp");
        assert_eq!(e.location, None);
        // Out of int64's range is not a number.
        let e = err(resolve(
            "FROM scratch\n",
            &[("SOURCE_DATE_EPOCH", "99999999999999999999")],
        ));
        assert_eq!(e.message, "invalid SOURCE_DATE_EPOCH: 99999999999999999999");
        // Named contexts are looked up first: the value must be a valid name.
        let e = err(resolve("FROM scratch\n", &[("SOURCE_DATE_EPOCH", "Foo")]));
        assert_eq!(
            e.message,
            "invalid context name Foo: invalid reference format: repository name (library/Foo) must be lowercase"
        );
    }

    #[test]
    fn context_and_named_contexts() {
        assert!(matches!(
            resolve("FROM scratch\n", &[("SOURCE_DATE_EPOCH", "context")]),
            Ok(Some(EpochSource::MainContext))
        ));
        let r = resolve_with(
            "ARG SOURCE_DATE_EPOCH=mysource\nFROM scratch\n",
            &[],
            &[("mysource", "https://example.com/src.tar")],
        );
        let Ok(Some(EpochSource::Named(nc))) = r else {
            panic!("{r:?}")
        };
        assert_eq!(nc.input, "https://example.com/src.tar");
        // A named context wins over a stage of that name.
        let r = resolve_with(
            "ARG SOURCE_DATE_EPOCH=mysource\nFROM busybox AS mysource\n",
            &[],
            &[("mysource", "docker-image://busybox")],
        );
        assert!(matches!(r, Ok(Some(EpochSource::Named(_)))), "{r:?}");
    }

    #[test]
    fn source_stage_http() {
        let df = "ARG SOURCE_DATE_EPOCH=mysource\nFROM scratch AS MySource\nARG V=1\nADD https://example.com/v${V}/src.tar /\nFROM busybox\n";
        let op = stage_op(resolve(df, &[]));
        assert_eq!(op.identifier, "https://example.com/v1/src.tar");
        assert_eq!(
            op.attrs.get("http.filename").map(String::as_str),
            Some("src.tar")
        );
        // A build arg wins over the stage ARG's default.
        let op = stage_op(resolve(df, &[("V", "2")]));
        assert_eq!(op.identifier, "https://example.com/v2/src.tar");
        let sum = format!("sha256:{}", "a".repeat(64));
        let df = format!("ARG SOURCE_DATE_EPOCH=s\nFROM scratch AS s\nADD --checksum={sum} https://example.com/ /\nFROM scratch\n");
        let op = stage_op(resolve(&df, &[]));
        assert_eq!(
            op.attrs.get("http.filename").map(String::as_str),
            Some("__unnamed__")
        );
        assert_eq!(op.attrs.get("http.checksum"), Some(&sum));
        let df = "ARG SOURCE_DATE_EPOCH=s\nFROM scratch AS s\nADD --checksum=nope https://example.com/a /\nFROM scratch\n";
        assert_eq!(
            err(resolve(df, &[])).message,
            "invalid checksum digest format"
        );
    }

    #[test]
    fn source_stage_git() {
        let df = "ARG SOURCE_DATE_EPOCH=s\nFROM scratch AS s\nADD https://example.com/repo.git#v1:sub /\nFROM scratch\n";
        let op = stage_op(resolve(df, &[]));
        assert_eq!(op.identifier, "git://example.com/repo.git#v1:sub");
        assert_eq!(
            op.attrs.get("git.fullurl").map(String::as_str),
            Some("https://example.com/repo.git")
        );
        assert!(!op.attrs.contains_key("git.mtime"));
    }

    #[test]
    fn source_stage_errors_at_the_stage() {
        let cases = [
            (
                "FROM busybox AS s\nADD https://example.com/a /\n",
                "SOURCE_DATE_EPOCH stage must use FROM scratch",
            ),
            (
                "FROM scratch AS s\nCOPY Dockerfile /Dockerfile\n",
                "SOURCE_DATE_EPOCH stage does not meet source-only requirements: unsupported COPY instruction",
            ),
            (
                "FROM scratch AS s\nadd https://example.com/a /\nrun true\n",
                "SOURCE_DATE_EPOCH stage does not meet source-only requirements: unsupported run instruction",
            ),
            (
                "FROM scratch AS s\nARG X=1\n",
                "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD",
            ),
            (
                "FROM scratch AS s\nADD https://example.com/a /\nADD https://example.com/b /\n",
                "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD",
            ),
            (
                "FROM scratch AS s\nADD https://example.com/a https://example.com/b /\n",
                "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD source",
            ),
            (
                "FROM scratch AS s\nADD <<EOF /x\nhi\nEOF\n",
                "SOURCE_DATE_EPOCH stage must contain exactly one remote ADD source",
            ),
            (
                "FROM scratch AS s\nADD src.tar /\n",
                "SOURCE_DATE_EPOCH stage source must be a single HTTP(S) or Git ADD",
            ),
            (
                "FROM scratch AS s\nADD github.com/foo/bar /\n",
                "SOURCE_DATE_EPOCH stage source must be a single HTTP(S) or Git ADD",
            ),
        ];
        for (stage, msg) in cases {
            let df = format!("ARG SOURCE_DATE_EPOCH=s\nFROM scratch\n{stage}");
            let e = err(resolve(&df, &[]));
            assert_eq!(e.message, msg, "{stage}");
            // Located at the stage's FROM (line 3).
            assert_eq!(e.location.map(|l| l.start_line), Some(3), "{stage}");
        }
        // The base name is expanded with the global ARGs (without SOURCE_DATE_EPOCH itself).
        let df = "ARG BASE=scratch\nARG SOURCE_DATE_EPOCH=s\nFROM ${BASE} AS s\nADD https://example.com/a /\n";
        assert!(matches!(
            resolve(df, &[]),
            Ok(Some(EpochSource::Stage { .. }))
        ));
        let df = "ARG SOURCE_DATE_EPOCH=s\nFROM ${SOURCE_DATE_EPOCH:-scratch} AS s\nADD https://example.com/a /\n";
        assert!(matches!(
            resolve(df, &[]),
            Ok(Some(EpochSource::Stage { .. }))
        ));
    }
}
