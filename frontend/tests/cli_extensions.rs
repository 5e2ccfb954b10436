//! Our extensions through the offline command line (docs/extensions.md): variables in
//! `COPY --from` / `RUN --mount from=`, and `INCLUDE` read from the Dockerfile's directory.

#![allow(clippy::panic, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory under cargo's per-test temporary directory, with `files` in it.
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("ext-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    dir
}

fn run(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dockerfile-frontend"))
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("running dockerfile-frontend: {e}"))
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const FROM_VARS: &str = "ARG SRC=builder\nFROM busybox AS builder\nRUN echo b > /out\nFROM busybox AS other\nRUN echo o > /out\nFROM busybox\nCOPY --from=$SRC /out /out\nRUN --mount=from=${SRC},target=/m cat /m/out\n";

#[test]
fn from_variables_choose_the_stage_in_the_plan() {
    let dir = project("from-vars", &[("Dockerfile", FROM_VARS)]);
    let file = dir.join("Dockerfile");
    let o = run(&["plan"], &file);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.contains("1  other    busybox  2      pruned"),
        "{text}"
    );
    assert!(
        text.contains("builder  ->  stage-2  line 7  COPY /out -> /out"),
        "{text}"
    );
    assert!(
        text.contains("builder  ->  stage-2  line 8  mount / -> /m"),
        "{text}"
    );
    let o = run(&["plan", "--build-arg", "SRC=other"], &file);
    assert!(
        out(&o).contains("0  builder  busybox  2      pruned"),
        "{}",
        out(&o)
    );
    let o = run(&["llb"], &file);
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn from_variables_are_flagged_by_the_checks() {
    let dir = project("from-vars-check", &[("Dockerfile", FROM_VARS)]);
    let o = run(&["check"], &dir.join("Dockerfile"));
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        "NeedsThisFrontend: COPY --from=$SRC is an extension of this frontend: the Dockerfile now needs it (the reference frontend rejects it) (line 7)\n\
         NeedsThisFrontend: RUN --mount from=${SRC} is an extension of this frontend: the Dockerfile now needs it (the reference frontend rejects it) (line 8)\n"
    );
}

#[test]
fn an_empty_from_is_a_located_error() {
    let dir = project(
        "from-empty",
        &[("Dockerfile", "FROM busybox\nCOPY --from=$NONE / /\n")],
    );
    let o = run(&["llb"], &dir.join("Dockerfile"));
    assert_eq!(o.status.code(), Some(1));
    let e = err(&o);
    assert!(e.contains(" >>>   2 | COPY --from=$NONE / /"), "{e}");
    assert!(
        e.contains("error: --from=$NONE expands to an empty value"),
        "{e}"
    );
}

fn include_project(name: &str) -> PathBuf {
    project(
        name,
        &[
            (
                "Dockerfile",
                "ARG A=1\nINCLUDE common/stages.Dockerfile\nFROM base AS final\nCOPY --from=tools /t /t\nRUN echo $A $B\n",
            ),
            (
                "common/stages.Dockerfile",
                "ARG B=2\nFROM busybox AS base\nINCLUDE steps\nFROM busybox AS tools\nRUN echo t > /t\n",
            ),
            ("common/steps", "RUN echo step\n"),
        ],
    )
}

#[test]
fn include_splices_stages_and_global_args() {
    let dir = include_project("include");
    let file = dir.join("Dockerfile");
    let o = run(&["plan"], &file);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    assert!(
        text.contains("tools  ->  final  line 4  COPY /t -> /t"),
        "{text}"
    );
    assert!(
        text.ends_with("Included files (INCLUDE, this frontend's extension):\n  line 2                           INCLUDE common/stages.Dockerfile\n  common/stages.Dockerfile line 3  INCLUDE common/steps\n"),
        "{text}"
    );
    let o = run(&["plan", "--format", "json"], &file);
    assert!(out(&o).contains("\"includes\": [\n    {\n      \"path\": \"common/stages.Dockerfile\",\n      \"in\": null,\n      \"line\": 2\n    },"), "{}", out(&o));
    let o = run(&["llb"], &file);
    assert!(o.status.success(), "{}", err(&o));
    let llb = out(&o);
    // B, a global ARG of the included file, is set in the final RUN; the source map holds
    // both files.
    assert!(
        llb.contains("echo 1 2") || llb.contains("echo $A $B"),
        "no final RUN"
    );
    assert!(llb.contains("common/stages.Dockerfile") && llb.contains("common/steps"));
    let o = run(&["check"], &file);
    assert!(
        out(&o).contains("NeedsThisFrontend: INCLUDE steps is an extension"),
        "{}",
        out(&o)
    );
}

#[test]
fn include_errors_point_into_the_included_file() {
    let dir = include_project("include-error");
    std::fs::write(dir.join("common/steps"), "RUN echo step\nRUN <<EOF\n").unwrap();
    let o = run(&["llb"], &dir.join("Dockerfile"));
    assert_eq!(o.status.code(), Some(1));
    let e = err(&o);
    assert!(e.contains("common/steps:2\n"), "{e}");
    assert!(e.contains(" >>>   2 | RUN <<EOF"), "{e}");
    assert!(e.ends_with("error: unterminated heredoc\n"), "{e}");
    // An instruction error inside an included file too.
    std::fs::write(
        dir.join("common/steps"),
        "RUN echo step\nEXPOSE bad/port/x\n",
    )
    .unwrap();
    let o = run(&["llb"], &dir.join("Dockerfile"));
    assert!(err(&o).contains("common/steps:2\n"), "{}", err(&o));
}

#[test]
fn include_cycles_and_escapes_are_refused() {
    let dir = project(
        "include-cycle",
        &[
            ("Dockerfile", "FROM busybox\nINCLUDE a\n"),
            ("a", "INCLUDE b\n"),
            ("b", "INCLUDE a\n"),
        ],
    );
    let o = run(&["llb"], &dir.join("Dockerfile"));
    let e = err(&o);
    assert!(e.contains("/ext-include-cycle/b:1\n"), "{e}");
    assert!(
        e.ends_with("error: INCLUDE a: include cycle: Dockerfile -> a -> b -> a\n"),
        "{e}"
    );
    let dir = project(
        "include-escape",
        &[("Dockerfile", "FROM busybox\nINCLUDE ../x\n")],
    );
    let o = run(&["plan"], &dir.join("Dockerfile"));
    let e = err(&o);
    assert!(e.contains(" >>>   2 | INCLUDE ../x"), "{e}");
    assert!(
        e.ends_with(
            "error: INCLUDE ../x: the path leaves the directory the Dockerfile is read from\n"
        ),
        "{e}"
    );
    let dir = project(
        "include-missing",
        &[("Dockerfile", "FROM busybox\nINCLUDE nope\n")],
    );
    let o = run(&["check"], &dir.join("Dockerfile"));
    assert!(
        err(&o).contains("error: INCLUDE nope: cannot read nope: "),
        "{}",
        err(&o)
    );
}
