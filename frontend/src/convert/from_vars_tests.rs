//! Our extension (docs/extensions.md): `COPY --from` and `RUN --mount from=` expanded with the
//! global ARGs and build args, before the stage graph is built.

use std::collections::BTreeMap;

use super::stages_tests::{amd64, convert, names};
use super::ConvertOptions;

const DF: &str = "ARG SRC=builder\nFROM busybox AS builder\nRUN echo b > /out\nFROM busybox AS other\nRUN echo o > /out\nFROM scratch\nCOPY --from=$SRC /out /out\n";

fn with_arg(k: &str, v: &str) -> ConvertOptions {
    let mut o = amd64();
    o.build.build_args.insert(k.into(), v.into());
    o
}

#[test]
fn copy_from_reads_the_stage_a_global_arg_names() {
    let n = names(&convert(DF, amd64(), &BTreeMap::new()).unwrap());
    assert!(
        n.iter().any(|s| s == "[builder 2/2] RUN echo b > /out"),
        "{n:#?}"
    );
    // The other stage is pruned: the graph was built with the expanded name.
    assert!(!n.iter().any(|s| s.starts_with("[other")), "{n:#?}");
    // The progress name expands the line with the stage's variables, as for every COPY.
    assert!(
        n.iter()
            .any(|s| s == "[stage-2 1/1] COPY --from= /out /out"),
        "{n:#?}"
    );
}

#[test]
fn a_build_arg_overrides_the_default() {
    let n = names(&convert(DF, with_arg("SRC", "other"), &BTreeMap::new()).unwrap());
    assert!(
        n.iter().any(|s| s == "[other 2/2] RUN echo o > /out"),
        "{n:#?}"
    );
    assert!(!n.iter().any(|s| s.starts_with("[builder")), "{n:#?}");
}

#[test]
fn a_name_no_stage_has_is_an_image() {
    let df = "ARG IMG=alpine:3.20\nFROM scratch\nCOPY --from=${IMG} /etc/os-release /r\n";
    let n = names(&convert(df, amd64(), &BTreeMap::new()).unwrap());
    assert!(
        n.iter()
            .any(|s| s.starts_with("docker-image://docker.io/library/alpine:3.20@sha256:")),
        "{n:#?}"
    );
}

#[test]
fn a_stage_index_works_as_written_literally() {
    let df = "ARG I=0\nFROM busybox\nRUN echo > /x\nFROM scratch\nCOPY --from=$I /x /x\n";
    let n = names(&convert(df, amd64(), &BTreeMap::new()).unwrap());
    assert!(
        n.iter().any(|s| s == "[stage-0 2/2] RUN echo > /x"),
        "{n:#?}"
    );
}

#[test]
fn mount_from_reads_the_stage_a_global_arg_names() {
    let df = "ARG SRC=builder\nFROM busybox AS builder\nRUN echo b > /out\nFROM busybox AS other\nRUN echo o > /out\nFROM busybox\nRUN --mount=from=$SRC,target=/m cat /m/out\n";
    let n = names(&convert(df, with_arg("SRC", "other"), &BTreeMap::new()).unwrap());
    assert!(
        n.iter().any(|s| s == "[other 2/2] RUN echo o > /out"),
        "{n:#?}"
    );
    assert!(!n.iter().any(|s| s.starts_with("[builder")), "{n:#?}");
}

#[test]
fn a_stage_arg_is_not_in_scope() {
    // Only global ARGs: an ARG of the stage does not count, as for FROM.
    let df = "FROM busybox AS b\nFROM scratch\nARG SRC=b\nCOPY --from=$SRC / /\n";
    let e = convert(df, amd64(), &BTreeMap::new()).unwrap_err();
    assert!(
        e.message
            .starts_with("--from=$SRC expands to an empty value"),
        "{}",
        e.message
    );
    assert_eq!(e.location.map(|l| l.start_line), Some(4));
}

#[test]
fn errors_are_located_at_the_command() {
    let df = "FROM busybox\nRUN --mount=from=${X:?unset},target=/m true\n";
    let e = convert(df, amd64(), &BTreeMap::new()).unwrap_err();
    assert!(
        e.message
            .starts_with("expanding --mount from=${X:?unset}: "),
        "{}",
        e.message
    );
    assert_eq!(e.location.map(|l| l.start_line), Some(2));
}
