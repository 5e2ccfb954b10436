use std::collections::BTreeMap;

use super::{expand_includes, has_includes, Expansion, FileRead, MAX_DEPTH};
use crate::syntax::Ast;
use crate::syntax::{parse, LocatedError};

fn files(list: &[(&str, &str)]) -> BTreeMap<String, FileRead> {
    list.iter()
        .map(|(p, t)| (p.to_string(), Ok(t.to_string())))
        .collect()
}

/// Expands `main` (at `Dockerfile`) reading from `list`, round after round.
fn run(main: &str, list: &[(&str, &str)]) -> Result<Ast, LocatedError> {
    run_at("Dockerfile", main, list)
}

fn run_at(path: &str, main: &str, list: &[(&str, &str)]) -> Result<Ast, LocatedError> {
    let all = files(list);
    let ast = parse(main).unwrap();
    let mut have = BTreeMap::new();
    for _ in 0..64 {
        match expand_includes(&ast, path, &have)? {
            Expansion::Done(i) => return Ok(i),
            Expansion::Need(need) => {
                for p in need {
                    let read = all.get(&p).cloned().unwrap_or(Err("no such file".into()));
                    have.insert(p, read);
                }
            }
        }
    }
    panic!("too many rounds")
}

fn lines(i: &Ast) -> Vec<(String, u32, usize)> {
    i.nodes
        .iter()
        .map(|n| (n.original.clone(), n.location.file, n.location.start_line))
        .collect()
}

#[test]
fn splices_in_place_with_file_numbers() {
    let i = run(
        "ARG A=1\nINCLUDE common/stages.Dockerfile\nFROM base\nRUN x\n",
        &[
            (
                "common/stages.Dockerfile",
                "ARG B=2\n\nFROM busybox AS base\nINCLUDE steps\n",
            ),
            ("common/steps", "RUN make\n"),
        ],
    )
    .unwrap();
    assert_eq!(
        lines(&i),
        vec![
            ("ARG A=1".into(), 0, 1),
            ("ARG B=2".into(), 1, 1),
            ("FROM busybox AS base".into(), 1, 3),
            ("RUN make".into(), 2, 1),
            ("FROM base".into(), 0, 3),
            ("RUN x".into(), 0, 4),
        ]
    );
    assert_eq!(
        i.included_files,
        vec!["common/stages.Dockerfile", "common/steps"]
    );
    assert_eq!(i.includes.len(), 2);
    assert_eq!(i.includes[1].location.file, 1);
    assert_eq!(i.includes[1].location.start_line, 4);
    assert!(has_includes(&parse("FROM a\ninclude x\n").unwrap()));
}

#[test]
fn a_file_included_twice_keeps_its_number() {
    let i = run("INCLUDE a\nINCLUDE ./a\nFROM x\n", &[("a", "ARG X\n")]).unwrap();
    assert_eq!(i.included_files, vec!["a"]);
    assert_eq!(
        lines(&i)[..2],
        [("ARG X".into(), 1, 1), ("ARG X".into(), 1, 1)]
    );
}

#[test]
fn cycles_are_located_errors() {
    let e = run(
        "FROM x\nINCLUDE a\n",
        &[("a", "RUN a\nINCLUDE b\n"), ("b", "INCLUDE a\n")],
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "INCLUDE a: include cycle: Dockerfile -> a -> b -> a"
    );
    let l = e.location.unwrap();
    assert_eq!((l.file, l.start_line), (2, 1));
    let e = run("FROM x\nINCLUDE Dockerfile\n", &[]).unwrap_err();
    assert!(
        e.message
            .contains("include cycle: Dockerfile -> Dockerfile"),
        "{}",
        e.message
    );
}

#[test]
fn depth_is_bounded() {
    let chain: Vec<(String, String)> = (0..=MAX_DEPTH + 1)
        .map(|i| (format!("f{i}"), format!("INCLUDE f{}\n", i + 1)))
        .collect();
    let list: Vec<(&str, &str)> = chain
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let e = run("FROM x\nINCLUDE f0\n", &list).unwrap_err();
    assert!(
        e.message.contains("nest deeper than 16 levels"),
        "{}",
        e.message
    );
}

#[test]
fn paths_are_relative_and_stay_in_the_root() {
    let i = run_at(
        "sub/Dockerfile",
        "INCLUDE ../lib/a\nFROM x\n",
        &[("lib/a", "ARG A\n")],
    )
    .unwrap();
    assert_eq!(i.included_files, vec!["lib/a"]);
    let e = run("FROM x\nINCLUDE ../outside\n", &[]).unwrap_err();
    assert_eq!(
        e.message,
        "INCLUDE ../outside: the path leaves the directory the Dockerfile is read from"
    );
    assert_eq!(e.location.unwrap().start_line, 2);
    let e = run("FROM x\nINCLUDE /etc/passwd\n", &[]).unwrap_err();
    assert!(e.message.contains("must be relative"), "{}", e.message);
}

#[test]
fn bad_arguments_and_files() {
    for df in [
        "FROM x\nINCLUDE\n",
        "FROM x\nINCLUDE a b\n",
        "FROM x\nINCLUDE --x=1 a\n",
    ] {
        let e = run(df, &[]).unwrap_err();
        assert!(
            e.message.starts_with("INCLUDE takes one path"),
            "{df}: {}",
            e.message
        );
    }
    let e = run("FROM x\nINCLUDE missing\n", &[]).unwrap_err();
    assert_eq!(
        e.message,
        "INCLUDE missing: cannot read missing: no such file"
    );
    let e = run("FROM x\nINCLUDE empty\n", &[("empty", "")]).unwrap_err();
    assert_eq!(e.message, "INCLUDE empty: the included file is empty");
    assert_eq!(e.location.unwrap().start_line, 2);
    // A syntax error inside the included file is located there.
    let e = run("FROM x\nINCLUDE bad\n", &[("bad", "RUN a\nRUN <<EOF\nx\n")]).unwrap_err();
    assert_eq!(e.message, "unterminated heredoc");
    assert_eq!(e.location.unwrap().file, 1);
    let e = run("FROM x\nINCLUDE esc\n", &[("esc", "# escape=`\nRUN a\n")]).unwrap_err();
    assert!(e.message.contains("escape character"), "{}", e.message);
}

#[test]
fn warnings_of_included_files_point_into_them() {
    let i = run("FROM x\nINCLUDE w\n", &[("w", "ENV a b\n")]).unwrap();
    let w = i
        .warnings
        .iter()
        .find(|w| w.rule == "LegacyKeyValueFormat")
        .unwrap();
    assert_eq!((w.location.file, w.location.start_line), (1, 1));
}

#[test]
fn files_are_numbered_on_an_error_too() {
    let ast = parse("FROM x\nINCLUDE a\n").unwrap();
    let have = files(&[("a", "RUN a\nINCLUDE b\n"), ("b", "INCLUDE a\n")]);
    let (result, numbered) = super::expand_numbered(&ast, "Dockerfile", &have);
    assert_eq!(result.unwrap_err().location.unwrap().file, 2);
    assert_eq!(numbered, ["a", "b"]);
}
