//! Platforms: containerd's parser, the build and target platforms of a conversion, the
//! platform ARGs every stage sees, and `FROM --platform` once expanded.

use std::collections::BTreeSet;

use buildkit_llb::Platform;

use super::env::EnvList;
use super::{ConvertOptions, LocatedError};
use crate::gocompat::go_quote;
use crate::image::Image;
use crate::instructions::suggest;
use crate::shell::{EnvGetter, Lex, ProcessResult};
use crate::syntax::Location;

/// `FROM --platform=…` expanded with the global ARGs and parsed (dockerfile2llb's
/// `buildDispatchStates`).
pub fn expand_platform(
    lex: &Lex,
    global_args: &EnvList,
    spec: &str,
    loc: Location,
) -> Result<Platform, LocatedError> {
    let res = lex
        .process_word_with_matches(spec, global_args)
        .map_err(|e| expansion_error(spec, &e.message, loc))?;
    platform_from_expansion(spec, &res, &global_args.keys(), loc)
}

/// The error of a `FROM --platform` value that does not expand.
pub fn expansion_error(spec: &str, error: &str, loc: Location) -> LocatedError {
    LocatedError::at(
        format!("failed to process arguments for platform {spec}: {error}"),
        loc,
    )
}

/// An expanded `FROM --platform` value: refused when empty, else parsed; the error hints at
/// an ARG close to a variable that was not set.
pub fn platform_from_expansion(
    spec: &str,
    res: &ProcessResult,
    arg_keys: &[String],
    loc: Location,
) -> Result<Platform, LocatedError> {
    if res.result.is_empty() {
        let msg = format!("empty platform value from expression {spec}");
        return Err(LocatedError::at(
            suggest_any(msg, &res.unmatched, arg_keys),
            loc,
        ));
    }
    parse_platform(&res.result).map_err(|e| {
        let msg = format!("failed to parse platform {spec}: {e}");
        LocatedError::at(suggest_any(msg, &res.unmatched, arg_keys), loc)
    })
}

/// dockerfile2llb's `buildPlatformOpt`: the target platform, the build platforms (the
/// first is where build steps run) and whether the target was implicit. Without build
/// platforms (offline) this machine is the build platform, as the gateway's worker would be.
pub(crate) fn platform_opt(opts: &ConvertOptions) -> (Platform, Vec<Platform>, bool) {
    let mut build = opts.build_platforms.clone();
    if build.is_empty() {
        build.push(Platform::host());
    }
    match &opts.target_platform {
        Some(t) => (t.clone(), build, false),
        None => (build[0].clone(), build, true),
    }
}

/// containerd's `platforms.Parse` with its error messages, specifiers quoted as Go's `%q`
/// does, and no `Normalize`: dockerfile2llb's parser of `FROM --platform` (and of a stage's
/// `TARGETPLATFORM` in progress names), so `linux/arm64/v8` keeps its `v8` and `linux/arm`
/// has no variant in the ops, image resolution and named contexts. (The `platform` option is
/// parsed and normalised by `BuildOptions::parse`, as dockerui's `parsePlatforms`.)
pub fn parse_platform(spec: &str) -> Result<Platform, String> {
    Platform::parse_unnormalized(spec).map_err(|e| e.message(go_quote))
}

/// dockerfile2llb's `defaultArgs`: the build and target platforms and the target stage.
pub fn default_args(
    build: &Platform,
    target: &Platform,
    overrides: &std::collections::BTreeMap<String, String>,
    target_stage: Option<&str>,
) -> EnvList {
    let mut env = EnvList::new();
    let pairs = [
        ("BUILDPLATFORM", build.format_without_os_version()),
        ("BUILDOS", build.os.clone()),
        ("BUILDOSVERSION", build.os_version.clone()),
        ("BUILDARCH", build.architecture.clone()),
        ("BUILDVARIANT", build.variant.clone()),
        ("TARGETPLATFORM", target.to_string()),
        ("TARGETOS", target.os.clone()),
        ("TARGETOSVERSION", target.os_version.clone()),
        ("TARGETARCH", target.architecture.clone()),
        ("TARGETVARIANT", target.variant.clone()),
        (
            "TARGETSTAGE",
            target_stage
                .filter(|s| !s.is_empty())
                .unwrap_or("default")
                .to_string(),
        ),
    ];
    for (k, v) in pairs {
        env.set(k, overrides.get(k).map_or(v.as_str(), String::as_str));
    }
    env
}

/// dockerfile2llb's `autoDetectPlatform`: keep the target if the image is for it, else the
/// build platform the image is for, else the target.
pub(super) fn auto_detect_platform(
    img: &Image,
    target: &Platform,
    supported: &[Platform],
) -> Platform {
    if target.os == img.os && target.architecture == img.architecture {
        return target.clone();
    }
    supported
        .iter()
        .find(|p| p.os == img.os && p.architecture == img.architecture)
        .cloned()
        .unwrap_or_else(|| target.clone())
}

/// dockerfile2llb's `wrapSuggestAny`: a hint for the first unmatched name close to an ARG.
fn suggest_any(msg: String, unmatched: &BTreeSet<String>, options: &[String]) -> String {
    let opts: Vec<&str> = options.iter().map(String::as_str).collect();
    for k in unmatched {
        if let Some(m) = suggest::search(k, &opts, true) {
            return format!("{msg} (did you mean {m}?)");
        }
    }
    msg
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_like_containerd() {
        assert_eq!(
            parse_platform("linux/arm64").unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(parse_platform("arm64").unwrap().to_string(), "linux/arm64");
        // `platforms.Parse` without `Normalize`, as dockerfile2llb reads `FROM --platform`.
        assert_eq!(
            parse_platform("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64/v8"
        );
        assert_eq!(
            parse_platform("linux/arm").unwrap().to_string(),
            "linux/arm"
        );
        assert_eq!(
            parse_platform("linux/aarch64").unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(
            parse_platform("foo").unwrap_err(),
            r#""foo": unknown operating system or architecture: invalid argument"#
        );
        assert!(parse_platform("linux/a b")
            .unwrap_err()
            .starts_with(r#""a b" is an invalid component of "linux/a b""#));
        assert_eq!(
            parse_platform("a/b/c/d").unwrap_err(),
            r#""a/b/c/d": cannot parse platform specifier: invalid argument"#
        );
        assert!(parse_platform("linux/*").unwrap_err().contains("wildcards"));
        // Quoted as Go's %q quotes (U+00A0 is not printable to Go).
        assert!(parse_platform("linux/a\u{a0}")
            .unwrap_err()
            .starts_with(r#""a\u00a0" is an invalid component of "linux/a\u00a0""#));
    }

    #[test]
    fn platform_opt_defaults() {
        let arm = Platform::parse("linux/arm64").unwrap();
        let o = ConvertOptions {
            target_platform: Some(arm.clone()),
            ..Default::default()
        };
        assert_eq!(
            platform_opt(&o),
            (arm.clone(), vec![Platform::host()], false)
        );
        let amd = Platform::parse("linux/amd64").unwrap();
        let o = ConvertOptions {
            build_platforms: vec![amd.clone()],
            ..Default::default()
        };
        assert_eq!(platform_opt(&o), (amd.clone(), vec![amd], true));
    }
}
