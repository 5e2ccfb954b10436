//! Build checks in builds: warnings show in buildctl's plain progress output exactly as the
//! reference's do (`#N WARN: Rule: message (line N)`), `# check=error=true` fails the build,
//! `skip=` and `BUILDKIT_DOCKERFILE_CHECK` turn rules off, and warnings found before an error
//! are still shown. Each test runs the frontend under test and BuildKit's built-in frontend on
//! the same context and compares.
#![allow(clippy::panic)]

use e2e::{env, BuildResult, Context, Frontend};

/// The warning lines of a plain progress log, without the vertex number (`WARN: …`).
fn warnings(res: &BuildResult) -> Vec<String> {
    res.stderr.lines().filter_map(|l| l.split_once(" WARN: ").map(|(_, w)| format!("WARN: {w}"))).collect()
}

/// Builds `ctx` with the frontend under test and with the reference, with the same options.
fn both(ctx: &Context, opts: &[(&str, &str)]) -> (BuildResult, BuildResult) {
    let run = |f: Option<Frontend>| {
        let mut b = ctx.build();
        if let Some(f) = f {
            b = b.frontend(f);
        }
        for (k, v) in opts {
            b = b.opt(k, v);
        }
        b.run()
    };
    (run(None), run(Some(Frontend::Builtin)))
}

#[track_caller]
fn same_warnings(ours: &BuildResult, reference: &BuildResult) -> Vec<String> {
    let (w, r) = (warnings(ours), warnings(reference));
    assert_eq!(w, r, "warnings differ from the reference\n--- ours:\n{}\n--- reference:\n{}", ours.report(), reference.report());
    w
}

#[test]
fn warnings_show_in_progress_with_their_line() {
    let base = &env().base_image;
    let df = format!("FROM {base} as base\nMAINTAINER me@example.org\nENV key value\nCMD echo hi\nCOPY $nope /x\nFROM base\nWORKDIR app\nEXPOSE 80/TCP\n");
    let ctx = Context::with_dockerfile("warnings", &df);
    ctx.write("x", "x");
    let (ours, reference) = both(&ctx, &[]);
    ours.assert_ok();
    reference.assert_ok();
    let w = same_warnings(&ours, &reference);
    assert!(w.contains(&"WARN: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)".to_string()), "{w:?}");
    assert!(w.contains(&"WARN: UndefinedVar: Usage of undefined variable '$nope' (line 5)".to_string()), "{w:?}");
    assert_eq!(w.len(), 8, "{w:?}");
}

#[test]
fn multi_line_instructions_and_empty_continuations() {
    let base = &env().base_image;
    let df = format!("FROM {base}\nRUN echo a \\\n\n  && echo b\nENV a=1 \\\n    b $c\n");
    let ctx = Context::with_dockerfile("continuation", &df);
    let (ours, reference) = both(&ctx, &[]);
    ours.assert_ok();
    reference.assert_ok();
    let w = same_warnings(&ours, &reference);
    assert!(w.iter().any(|l| l.starts_with("WARN: NoEmptyContinuation: Empty continuation line (line 4)")), "{w:?}");
}

#[test]
fn error_true_fails_after_the_warnings() {
    let base = &env().base_image;
    let ctx = Context::with_dockerfile("error-true", &format!("#check=error=true\nFROM {base} as base\nRUN true\n"));
    let (ours, reference) = both(&ctx, &[]);
    ours.assert_failed();
    reference.assert_failed();
    same_warnings(&ours, &reference);
    ours.assert_stderr_contains(&["lint violation found for rules: FromAsCasing"]);
    reference.assert_stderr_contains(&["lint violation found for rules: FromAsCasing"]);
}

#[test]
fn skip_and_the_build_argument() {
    let base = &env().base_image;
    // skip= in the directive, and per instruction.
    let ctx = Context::with_dockerfile("skip", &format!("#check=skip=FromAsCasing\nFROM {base} as base\n# check=skip=JSONArgsRecommended\nCMD echo hi\nENTRYPOINT echo hi\n"));
    let (ours, reference) = both(&ctx, &[]);
    ours.assert_ok();
    assert_eq!(same_warnings(&ours, &reference), vec!["WARN: JSONArgsRecommended: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals (line 5)".to_string()]);

    // BUILDKIT_DOCKERFILE_CHECK replaces the directive.
    let ctx = Context::with_dockerfile("check-arg", &format!("#check=skip=all\nFROM {base} as base\ncopy x /x\n"));
    ctx.write("x", "x");
    let (ours, reference) = both(&ctx, &[("build-arg:BUILDKIT_DOCKERFILE_CHECK", "skip=ConsistentInstructionCasing;error=true")]);
    ours.assert_failed();
    reference.assert_failed();
    assert_eq!(same_warnings(&ours, &reference), vec!["WARN: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 2)".to_string()]);
    ours.assert_stderr_contains(&["lint violation found for rules: FromAsCasing"]);
    let (ours, reference) = both(&ctx, &[("build-arg:BUILDKIT_DOCKERFILE_CHECK", "skip=all")]);
    ours.assert_ok();
    assert!(same_warnings(&ours, &reference).is_empty());
}

#[test]
fn invalid_check_options_fail() {
    let base = &env().base_image;
    let ctx = Context::with_dockerfile("bad-check", &format!("# check=bogus\nFROM {base}\n"));
    let (ours, reference) = both(&ctx, &[]);
    ours.assert_failed();
    reference.assert_failed();
    let msg = "failed to parse check options: invalid check option \"bogus\"";
    ours.assert_stderr_contains(&[msg]);
    reference.assert_stderr_contains(&[msg]);
    let ctx = Context::with_dockerfile("bad-check-arg", &format!("FROM {base}\n"));
    let (ours, reference) = both(&ctx, &[("build-arg:BUILDKIT_DOCKERFILE_CHECK", "error=maybe")]);
    ours.assert_failed();
    reference.assert_failed();
    let msg = "failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: failed to parse check option \"error=maybe\"";
    ours.assert_stderr_contains(&[msg]);
    reference.assert_stderr_contains(&[msg]);
}

#[test]
fn warnings_before_an_error_are_shown() {
    let ctx = Context::with_dockerfile("before-error", "\nFROM scratch AS BadStageName\nMAINTAINER me@example.org\nBADCMD\n");
    let (ours, reference) = both(&ctx, &[]);
    ours.assert_failed();
    reference.assert_failed();
    let w = same_warnings(&ours, &reference);
    assert_eq!(w.len(), 2, "{w:?}");
    ours.assert_stderr_contains(&["unknown instruction: BADCMD"]);
}

#[test]
fn copy_ignored_file_and_undefined_args() {
    let base = &env().base_image;
    let ctx = Context::with_dockerfile("ignored", &format!("ARG tag=latest\nFROM {base}${{tagg:+x}}\nCOPY kept ignored /\nADD ignored /ignored2\n"));
    ctx.write("kept", "k").write("ignored", "i").write(".dockerignore", "ignored\n");
    let (ours, reference) = both(&ctx, &[]);
    // The ignored file is not in the context, so both fail to copy it, after warning.
    ours.assert_failed();
    reference.assert_failed();
    let w = same_warnings(&ours, &reference);
    assert!(w.iter().any(|l| l.contains("CopyIgnoredFile: Attempting to Copy file \"ignored\"")), "{w:?}");
    assert!(w.iter().any(|l| l.contains("UndefinedArgInFrom: FROM argument 'tagg' is not declared (did you mean tag?) (line 2)")), "{w:?}");
}

#[test]
fn multi_platform_builds_warn_once() {
    e2e::require_multiarch();
    let base = &env().base_image;
    let ctx = Context::with_dockerfile("multi", &format!("FROM {base} as base\nENV a b\n"));
    let (ours, reference) = both(&ctx, &[("platform", "linux/amd64,linux/arm64")]);
    ours.assert_ok();
    reference.assert_ok();
    assert_eq!(same_warnings(&ours, &reference).len(), 2);
}
