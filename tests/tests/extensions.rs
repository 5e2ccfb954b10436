//! Our two extensions through the daemon (docs/extensions.md): variables in `COPY --from` and
//! `RUN --mount from=` expanded with the global ARGs, and `INCLUDE` of Dockerfile fragments
//! read from the Dockerfile's own source. The reference (BuildKit's built-in frontend) rejects
//! both; ours builds them, and its checks flag them (`NeedsThisFrontend`).
#![allow(clippy::panic)]

use e2e::{env, nonce, Context, Frontend};

fn base() -> &'static str {
    &env().base_image
}

fn from_vars_dockerfile(n: &str) -> String {
    let b = base();
    format!(
        "ARG SRC=builder\nFROM {b} AS builder\nRUN echo builder-{n} > /out\nFROM {b} AS other\nRUN echo other-{n} > /out\nFROM {b} AS final\nRUN --mount=from=$SRC,target=/m cp /m/out /mounted\nFROM scratch\nCOPY --from=${{SRC}} /out /copied\nCOPY --from=final /mounted /mounted\n"
    )
}

#[test]
fn from_variables_pick_the_stage() {
    let n = nonce();
    let ctx = Context::with_dockerfile("ext-from-vars", &from_vars_dockerfile(&n));
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("copied").trim(), format!("builder-{n}"));
    assert_eq!(res.read_output("mounted").trim(), format!("builder-{n}"));
    // A build arg overrides the global ARG; the stage not named is never built.
    let res = ctx.build().build_arg("SRC", "other").output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("copied").trim(), format!("other-{n}"));
    assert_eq!(res.read_output("mounted").trim(), format!("other-{n}"));
    assert!(
        !res.stderr.contains(&format!("echo builder-{n}")),
        "the pruned stage ran:\n{}",
        res.stderr
    );
    // The reference refuses the Dockerfile.
    let reference = ctx.build().frontend(Frontend::Builtin).run();
    reference.assert_failed();
}

#[test]
fn from_variable_naming_no_stage_is_an_image() {
    let ctx = Context::with_dockerfile(
        "ext-from-image",
        &format!(
            "ARG IMG={}\nFROM scratch\nCOPY --from=$IMG /bin/busybox /bb\n",
            base()
        ),
    );
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert!(res.out_dir().join("bb").exists(), "{}", res.report());
}

#[test]
fn an_empty_from_fails_at_its_line() {
    let ctx = Context::with_dockerfile(
        "ext-from-empty",
        &format!("FROM {}\nCOPY --from=$UNSET / /x\n", base()),
    );
    let res = ctx.build().run();
    res.assert_failed();
    let (header, marked) = res
        .error_location()
        .unwrap_or_else(|| panic!("{}", res.report()));
    assert_eq!(header, "Dockerfile:2");
    assert_eq!(marked, ["COPY --from=$UNSET / /x"]);
    assert!(
        res.error_message()
            .is_some_and(|m| m.contains("--from=$UNSET expands to an empty value")),
        "{}",
        res.report()
    );
}

fn include_context(name: &str, n: &str) -> Context {
    let b = base();
    let ctx = Context::with_dockerfile(
        name,
        "ARG GREETING=hello\nINCLUDE common/stages.Dockerfile\nFROM scratch\nCOPY --from=tools /t /t\nCOPY --from=base /b /b\n",
    );
    ctx.write(
        "common/stages.Dockerfile",
        &format!("ARG WHO=world\nFROM {b} AS base\nARG GREETING\nARG WHO\nINCLUDE steps\nFROM {b} AS tools\nRUN echo tools-{n} > /t\n"),
    );
    ctx.write("common/steps", "RUN echo \"$GREETING $WHO\" > /b\n");
    ctx
}

#[test]
fn include_builds_stages_and_args_from_fragments() {
    let n = nonce();
    let ctx = include_context("ext-include", &n);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("t").trim(), format!("tools-{n}"));
    assert_eq!(res.read_output("b").trim(), "hello world");
    let res = ctx.build().build_arg("WHO", "you").output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("b").trim(), "hello you");
    // The reference does not know the instruction.
    let reference = ctx.build().frontend(Frontend::Builtin).run();
    reference.assert_failed();
    assert!(
        reference.stderr.contains("unknown instruction: INCLUDE"),
        "{}",
        reference.report()
    );
}

#[test]
fn include_errors_point_into_the_included_file() {
    let n = nonce();
    let ctx = include_context("ext-include-error", &n);
    ctx.write("common/steps", "RUN true\nEXPOSE 80/bogus\n");
    let res = ctx.build().run();
    res.assert_failed();
    let (header, marked) = res
        .error_location()
        .unwrap_or_else(|| panic!("{}", res.report()));
    assert_eq!(header, "common/steps:2", "{}", res.report());
    assert_eq!(marked, ["EXPOSE 80/bogus"]);
    // A cycle, at the INCLUDE that closes it.
    ctx.write("common/steps", "INCLUDE stages.Dockerfile\n");
    let res = ctx.build().run();
    res.assert_failed();
    let (header, _) = res
        .error_location()
        .unwrap_or_else(|| panic!("{}", res.report()));
    assert_eq!(header, "common/steps:1", "{}", res.report());
    assert!(
        res.error_message()
            .is_some_and(|m| m.contains("include cycle")),
        "{}",
        res.report()
    );
    // No way out of the Dockerfile's directory.
    ctx.write("common/steps", "INCLUDE ../../secret\n");
    let res = ctx.build().run();
    res.assert_failed();
    assert!(
        res.error_message()
            .is_some_and(|m| m.contains("leaves the directory")),
        "{}",
        res.report()
    );
}

#[test]
fn the_checks_flag_both_extensions() {
    let n = nonce();
    let ctx = include_context("ext-check", &n);
    ctx.write(
        "Dockerfile",
        "ARG SRC=tools\nINCLUDE common/stages.Dockerfile\nFROM scratch\nCOPY --from=$SRC /t /t\n",
    );
    let check = ctx.buildx().args(["--call", "check"]).run();
    let all = format!("{}{}", check.stdout, check.stderr);
    for want in [
        "NeedsThisFrontend",
        "INCLUDE common/stages.Dockerfile is an extension of this frontend",
        "INCLUDE steps is an extension of this frontend",
        "COPY --from=$SRC is an extension of this frontend",
        // The warning in the included file points into it (its `sourceIndex`): buildx shows
        // that file's lines (under the Dockerfile's name, as it names every source).
        "   4 |     ARG WHO\n   5 | >>> INCLUDE steps\n",
    ] {
        assert!(
            all.contains(want),
            "{want:?} missing\n{}\n{all}",
            check.report()
        );
    }
    // skip= turns it off.
    ctx.write(
        "Dockerfile",
        "# check=skip=NeedsThisFrontend\nARG SRC=tools\nINCLUDE common/stages.Dockerfile\nFROM scratch\nCOPY --from=$SRC /t /t\n",
    );
    let check = ctx.buildx().args(["--call", "check"]).run();
    let all = format!("{}{}", check.stdout, check.stderr);
    assert!(
        !all.contains("NeedsThisFrontend"),
        "{}\n{all}",
        check.report()
    );
}

#[test]
fn the_plan_shows_the_resolved_stage_and_the_includes() {
    let n = nonce();
    let ctx = include_context("ext-plan", &n);
    ctx.write(
        "Dockerfile",
        "ARG SRC=tools\nINCLUDE common/stages.Dockerfile\nFROM scratch\nCOPY --from=$SRC /t /t\n",
    );
    let plan = ctx.buildx().args(["--call", "plan"]).run();
    plan.assert_ok();
    for want in [
        "tools  ->  stage-2",
        "Included files (INCLUDE, this frontend's extension):",
        "INCLUDE common/stages.Dockerfile",
        "common/stages.Dockerfile line 5  INCLUDE common/steps",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{want:?} missing\n{}\n{}",
            plan.report(),
            plan.stdout
        );
    }
}
