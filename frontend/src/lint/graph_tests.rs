//! The checks read the converter's stage graph (`convert::plan`): where their own copy of it
//! differed from the reference, these cases failed.

use buildkit_llb::Platform;

use super::*;
use crate::convert::{ResolvedImage, ResolvedImages};
use crate::syntax;

/// Runs the checks over `df` (base images resolved with `config_extra` in their config).
fn check(df: &str, target: Option<&str>, config_extra: &str) -> (Checker<'static>, Vec<String>) {
    let ast: &'static syntax::Ast = Box::leak(Box::new(syntax::parse(df).unwrap()));
    let opts = Options {
        target: target.map(str::to_string),
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        ..Options::default()
    };
    let mut c = Checker::new(ast, opts, Config::default());
    let needed = c.images_needed();
    let mut images = ResolvedImages::new();
    for key in &needed {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Env":["PATH=/bin"]{config_extra}}},"rootfs":{{"type":"layers","diff_ids":["sha256:00"]}}}}"#
        );
        let resolved = ResolvedImage {
            digest: None,
            config: config.into_bytes(),
        };
        images.insert(key.clone(), resolved);
    }
    c.dispatch(&images, None);
    (c, needed.into_iter().map(|k| k.0).collect())
}

#[test]
fn a_cycle_is_reported_at_the_first_command_on_its_path() {
    // validateCircularDependency locates the error at the commands on the path (the first is
    // shown); the old copy pointed at the FROM line of the stage closing the cycle (line 3).
    let df = "FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nCOPY --from=a /y /y\n";
    let (c, _) = check(df, None, "");
    let e = c.error().unwrap();
    assert_eq!(e.message, "circular dependency detected on stage: a");
    assert_eq!(e.location.map(|l| l.start_line), Some(2));
}

#[test]
fn onbuild_triggers_are_not_in_the_cycle_check() {
    // The reference checks cycles before it adds the base stage's triggers (resolveStages);
    // the old copy added them first and failed here.
    let df = "FROM alpine AS a\nONBUILD COPY --from=b /x /x\nFROM a AS b\n";
    let (c, _) = check(df, None, "");
    assert!(c.error().is_none_or(|e| !e.message.contains("circular")));
}

#[test]
fn a_mount_reads_its_last_from() {
    // instructions.parseMount keeps the last `from`; the old copy took the first.
    let (_, images) = check("FROM scratch\nRUN --mount=from=a,from=b true\n", None, "");
    assert_eq!(images, ["docker.io/library/b:latest"]);
}

#[test]
fn an_unknown_target_gets_a_hint() {
    // resolveTarget wraps the error with suggest.WrapError; the old copy gave no hint.
    let (c, _) = check("FROM scratch AS build\n", Some("biuld"), "");
    assert_eq!(
        c.error().unwrap().message,
        r#"target stage "biuld" could not be found (did you mean build?)"#
    );
}

#[test]
fn a_from_trigger_in_an_image_is_refused_as_the_reference_does() {
    // instructions.ParseCommand's error; the old copy had its own message.
    let (c, _) = check(
        "FROM alpine\nRUN true\n",
        None,
        r#","OnBuild":["FROM busybox"]"#,
    );
    let e = c.error().unwrap();
    assert_eq!(e.message, "*instructions.Stage is not a command type");
    assert_eq!(e.location.map(|l| l.start_line), Some(1));
}

#[test]
fn undefined_variable_hints_are_case_sensitive_as_on_linux() {
    // One suggester (instructions::suggest, BuildKit's suggest.Search); case-insensitive
    // searches match the case of the value as the reference's matchCase does, which the old
    // lint copy did not ("RUN" for "Runn").
    use crate::instructions::suggest::search;
    assert_eq!(search("Runn", &["RUN"], false).as_deref(), Some("run"));
    assert_eq!(
        search("Pth", &["PATH", "pth2"], true).as_deref(),
        Some("pth2")
    );
}

/// A named context replaces a base image for the checks as for the conversion, which resolves
/// it: the checks ask for nothing in its place (they asked the registry for `golang:1.22`,
/// an extra failing step on a machine without Docker Hub), and still for the other images.
#[test]
fn named_contexts_replace_base_images_for_the_checks() {
    let ast: &'static syntax::Ast = Box::leak(Box::new(
        syntax::parse("FROM golang:1.22 AS b\nFROM alpine AS c\nFROM busybox\nCOPY --from=b /x /x\nCOPY --from=c /y /y\n").unwrap(),
    ));
    let opts = Options {
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        named_contexts: [
            (
                "golang:1.22".to_string(),
                "docker-image://mirror.local/golang:1.22".to_string(),
            ),
            ("alpine".to_string(), "local:alpine-dir".to_string()),
        ]
        .into_iter()
        .collect(),
        ..Options::default()
    };
    let c = Checker::new(ast, opts, Config::default());
    let needed: Vec<String> = c.images_needed().into_iter().map(|k| k.0).collect();
    assert_eq!(needed, ["docker.io/library/busybox:latest"]);
}
