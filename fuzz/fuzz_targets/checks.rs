//! The build checks (`lint::Checker`) over any Dockerfile, as the offline `check` command
//! drives them (cli.rs) and as the subrequests report them. Input: option lines, then a line
//! `---` and the Dockerfile (without one, the whole input is the Dockerfile):
//!   `target=STAGE`, `arg:NAME=VALUE` (a build argument), `check=…` (the
//!   `BUILDKIT_DOCKERFILE_CHECK` build argument), `platform=P` (target platform),
//!   `build-platform=P` (the worker's), `ignore=PATTERN` (a `.dockerignore` line, repeatable),
//!   `request=frontend.lint|frontend.outline|frontend.targets|…` (answer that subrequest
//!   as the gateway does, converting as a build would).
//! `# check=` directives and comments come with the Dockerfile. The warnings, the outline and
//! the subrequest results are dumped for the Go checker.
#![no_main]

use std::collections::BTreeMap;

use buildkit_llb::Platform;
use dfrs_fuzz::{dump, run, stub_config, subrequest_results, Daemon, Input};
use dockerfile_frontend::convert::{dockerfile_text, parse_source, ResolvedImage};
use dockerfile_frontend::error::plain_status;
use dockerfile_frontend::lint::{self, Checker, Config, IgnoreMatcher, CHECK_BUILD_ARG};
use dockerfile_frontend::options::BuildOptions;
use dockerfile_frontend::{dockerignore, instructions, syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dump::input(data);
    let input = Input::split(data, false);
    let dockerfile = input.body.unwrap_or_default();
    let mut opts = BTreeMap::new();
    for (k, v) in &input.pairs {
        let key = match k.as_str() {
            "target" | "platform" => k.clone(),
            "check" => CHECK_BUILD_ARG.to_string(),
            "request" => "requestid".to_string(),
            k => match k.strip_prefix("arg:") {
                Some(name) => format!("build-arg:{name}"),
                None => continue,
            },
        };
        opts.insert(key, v.clone());
    }
    let build = match BuildOptions::parse(&opts) {
        Ok(b) => b,
        Err(e) => return dump::status(&plain_status(&e.0)),
    };
    let ignore = input.all("ignore").join("\n");
    let daemon = Daemon {
        build_platform: input
            .get("build-platform")
            .and_then(|p| Platform::parse(p).ok()),
        ..Default::default()
    };
    if build.request_id.is_some() {
        let ignore = (!ignore.is_empty()).then_some(ignore.as_bytes());
        return run(dockerfile, &build, ignore, &daemon);
    }

    // `dockerfile-frontend check`: every stage (or the target's), offline base images.
    let check_arg = match Config::from_build_arg(&opts) {
        Ok(c) => c,
        Err(e) => return dump::status(&plain_status(&e)),
    };
    let text = dockerfile_text(dockerfile);
    let cfg = match Config::for_build(check_arg.as_ref(), &text) {
        Ok(c) => c,
        Err(e) => return dump::status(&plain_status(&e)),
    };
    let ast = match parse_source(&text) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.render("Dockerfile", &text);
            return dump::status(&e.to_status(&dfrs_fuzz::source_info(dockerfile)));
        }
    };
    let platforms: Vec<Platform> = daemon.build_platform.iter().cloned().collect();
    let mut checker = Checker::new(&ast, lint::Options::for_build(&build, platforms, true), cfg);
    let images = checker
        .images_needed()
        .into_iter()
        .map(|key| {
            let config = stub_config(&key.1);
            (
                key,
                ResolvedImage {
                    digest: None,
                    config,
                },
            )
        })
        .collect();
    let patterns = dockerignore::parse(&ignore);
    let matcher = IgnoreMatcher::new(&patterns).ok();
    checker.dispatch(&images, matcher.as_ref());
    for w in checker.warnings() {
        let _ = w.short();
    }
    let _ = checker.violation_error();
    if let Some(e) = checker.error() {
        let _ = e.render("Dockerfile", &text);
    }
    let df = syntax::parse(&text)
        .and_then(|ast| instructions::parse_dockerfile(&ast))
        .ok();
    subrequest_results(df.as_ref(), dockerfile, &checker, checker.error().cloned());
});
