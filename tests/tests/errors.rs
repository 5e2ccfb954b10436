//! Located errors: every Dockerfile error and every failing RUN reaches buildctl and buildx
//! with the file name, the line and the surrounding lines (`Dockerfile:N`, then the lines
//! with `>>>` on the culprit), as BuildKit's own frontend reports them.
#![allow(clippy::panic)]

use e2e::{env, nonce, BuildResult, Context};

/// Asserts the build failed with `message` in its error and the location block naming
/// `file:line` and marking `marked` (the text of the culprit line).
#[track_caller]
fn assert_located(res: &BuildResult, file_line: &str, marked: &str, message: &str) {
    res.assert_failed();
    let error = res.error_message().unwrap_or_default();
    assert!(
        error.contains(message),
        "error {error:?} does not contain {message:?}\n{}",
        res.report()
    );
    let Some((header, lines)) = res.error_location() else {
        panic!(
            "no `{file_line}` block with the Dockerfile's lines in the output\n{}",
            res.report()
        );
    };
    assert_eq!(header, file_line, "{}", res.report());
    assert!(
        lines.iter().any(|l| l.ends_with(marked)),
        "no `>>>` line ending with {marked:?}: {lines:?}\n{}",
        res.report()
    );
}

/// Runs the Dockerfile through buildctl and buildx and checks the location with both.
#[track_caller]
fn check_both(name: &str, dockerfile: &str, file_line: &str, marked: &str, message: &str) {
    let ctx = Context::with_dockerfile(name, dockerfile);
    assert_located(&ctx.build().run(), file_line, marked, message);
    assert_located(&ctx.buildx().run(), file_line, marked, message);
}

fn base() -> &'static str {
    &env().base_image
}

#[test]
fn parse_error() {
    check_both(
        "err-parse",
        &format!("FROM {}\nRUN true\nFROM a b\n", base()),
        "Dockerfile:3",
        "FROM a b",
        "dockerfile parse error on line 3: FROM requires either one or three arguments",
    );
}

#[test]
fn unterminated_heredoc() {
    check_both(
        "err-heredoc",
        &format!("FROM {}\nRUN <<EOF\n", base()),
        "Dockerfile:2",
        "RUN <<EOF",
        "unterminated heredoc",
    );
}

#[test]
fn unknown_instruction() {
    check_both(
        "err-unknown-instruction",
        &format!("FROM {}\nFOO bar\n", base()),
        "Dockerfile:2",
        "FOO bar",
        "dockerfile parse error on line 2: unknown instruction: FOO (did you mean FROM?)",
    );
}

#[test]
fn unknown_flag() {
    check_both(
        "err-unknown-flag",
        &format!("FROM {}\nCOPY --nope a b\n", base()),
        "Dockerfile:2",
        "COPY --nope a b",
        "dockerfile parse error on line 2: unknown flag: --nope",
    );
}

#[test]
fn bad_flag_value() {
    check_both(
        "err-bad-flag-value",
        &format!("FROM {}\nRUN --network=bogus true\n", base()),
        "Dockerfile:2",
        "RUN --network=bogus true",
        "dockerfile parse error on line 2: invalid network mode \"bogus\"",
    );
}

/// A name `COPY --from` does not know as a stage is an image; one that does not exist fails
/// at that COPY.
#[test]
fn undefined_stage_in_copy_from() {
    let missing = format!("{}/e2e/no-such-stage-{}", env().registry, nonce());
    check_both(
        "err-copy-from",
        &format!("FROM {}\nCOPY --from={missing} /a /a\n", base()),
        "Dockerfile:2",
        &format!("COPY --from={missing} /a /a"),
        "not found",
    );
}

#[test]
fn circular_stage_reference() {
    check_both(
        "err-circular",
        &format!("FROM {} AS a\nCOPY --from=a /a /a\n", base()),
        "Dockerfile:2",
        "COPY --from=a /a /a",
        "circular dependency detected on stage: a",
    );
}

/// A failing RUN: the daemon locates it from the definition's source map.
#[test]
fn failing_run() {
    let n = nonce();
    check_both(
        "err-run",
        &format!(
            "FROM {}\nRUN true\nRUN echo {n} && exit 3\nRUN true\n",
            base()
        ),
        "Dockerfile:3",
        &format!("RUN echo {n} && exit 3"),
        &format!(
            "process \"/bin/sh -c echo {n} && exit 3\" did not complete successfully: exit code: 3"
        ),
    );
}

/// A RUN spanning lines (a continuation): every line of it is marked.
#[test]
fn failing_multiline_run() {
    let n = nonce();
    let ctx = Context::with_dockerfile(
        "err-run-multiline",
        &format!("FROM {}\nRUN echo {n} && \\\n    exit 4\n", base()),
    );
    let res = ctx.build().run();
    assert_located(&res, "Dockerfile:2", "exit 4", "exit code: 4");
    let (_, lines) = res.error_location().unwrap_or_default();
    assert_eq!(lines.len(), 2, "{lines:?}\n{}", res.report());
}
