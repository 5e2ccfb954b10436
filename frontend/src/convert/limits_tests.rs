//! The size limits (`crate::limits`, docs/limits.md) end to end: a Dockerfile that multiplies a
//! variable stops with an error at the instruction that crosses a limit, quickly and without
//! holding more than the limit, in the conversion and in the checks alike; large Dockerfiles
//! that spell their text out still convert.

use std::time::{Duration, Instant};

use buildkit_llb::Platform;

use super::{convert_with, ConvertOptions, LocatedError, ResolvedImage};
use crate::lint::{Checker, Config, Options};
use crate::{instructions, syntax};

fn resolved() -> ResolvedImage {
    ResolvedImage {
        digest: None,
        config: br#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:00"]}}"#.to_vec(),
    }
}

/// Converts `df`, within a time bound. Ok: the definition's size.
fn convert(df: &str) -> Result<usize, LocatedError> {
    convert_opts(df, &ConvertOptions::default())
}

fn convert_opts(df: &str, opts: &ConvertOptions) -> Result<usize, LocatedError> {
    let start = Instant::now();
    let ast = syntax::parse(df).map_err(|e| LocatedError::new(e.message))?;
    let parsed = instructions::parse_dockerfile(&ast)?;
    let out = convert_with(&parsed, ast.escape, opts, |_| Ok(resolved()));
    let took = start.elapsed();
    assert!(took < Duration::from_secs(30), "conversion took {took:?}");
    let def = out?
        .state
        .marshal()
        .map_err(|e| LocatedError::new(e.to_string()))?;
    Ok(prost::Message::encoded_len(&def))
}

/// The checks' error on `df`, if any.
fn check(df: &str) -> Option<LocatedError> {
    let start = Instant::now();
    let ast = syntax::parse(df).unwrap();
    let opts = Options {
        target: None,
        build_args: Default::default(),
        target_platform: None,
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        all_stages: true,
        ..Options::default()
    };
    let mut c = Checker::new(&ast, opts, Config::for_build(None, df).unwrap());
    let images = c
        .images_needed()
        .into_iter()
        .map(|k| (k, resolved()))
        .collect();
    c.dispatch(&images, None);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(30), "checks took {took:?}");
    c.error().cloned()
}

/// Both the conversion and the checks stop at `line` with an error containing `message`
/// (the checks' own wording for the whole-build limit: `check_message`).
fn both_fail(df: &str, line: usize, message: &str, check_message: &str) {
    let e = convert(df).unwrap_err();
    assert!(e.message.contains(message), "{}", e.message);
    assert_eq!(
        e.location.map(|l| l.start_line),
        Some(line),
        "{}",
        e.message
    );
    let e = check(df).expect("the checks stop too");
    assert!(e.message.contains(check_message), "{}", e.message);
    assert!(e.location.is_some(), "{}", e.message);
}

/// `ARG v0=xxxxxxxx`, then `ARG v1=$v0$v0`, … 30 times (`kw` ARG or ENV): 8 GiB at the
/// end, 1 MiB at `v17`.
fn doubling(kw: &str) -> String {
    doubling_with(kw, |v| format!("${v}${v}"))
}

/// [`doubling`] with each value made by `value` from the previous name.
fn doubling_with(kw: &str, value: impl Fn(&str) -> String) -> String {
    let mut lines = vec![format!("{kw} v0=xxxxxxxx")];
    lines.extend((1..=30).map(|i| format!("{kw} v{i}={}", value(&format!("v{}", i - 1)))));
    lines.join("\n")
}

const WORD: &str = "expanded value exceeds the limit of 1 MiB per word";

#[test]
fn doubling_a_variable_stops_at_the_word_limit() {
    // v17 is 1 MiB: v18 is the first over.
    for (df, line) in [
        (
            format!("FROM scratch\n{}\nRUN echo $v30", doubling("ARG")),
            20,
        ),
        (format!("FROM scratch\n{}", doubling("ENV")), 20),
        (format!("{}\nFROM scratch", doubling("ARG")), 19),
        (
            format!(
                "FROM scratch\n{}",
                doubling_with("ARG", |v| format!("${{nope:-${v}${v}}}"))
            ),
            20,
        ),
    ] {
        both_fail(&df, line, WORD, WORD);
        let message = convert(&df).unwrap_err().message;
        assert!(
            message.starts_with("failed to process \"$v17$v17\"")
                || message.starts_with("failed to process \"${nope:-$v17$v17}\""),
            "the word is named: {message}"
        );
    }
    // Replacing every character with the whole value: squares the length in one word.
    let df = "FROM scratch\nARG a=0123456789abcdef0123456789abcdef\nARG b=${a//?/$a}\nARG c=${b//?/$b}\nARG d=${c//?/$c}\nRUN echo $d";
    both_fail(df, 5, WORD, WORD);
}

#[test]
fn a_large_environment_stops_at_the_stage_limit() {
    // 4 MiB of environment with words of 1 MiB at most.
    let mut df = format!(
        "FROM scratch\n{}",
        doubling("ARG")
            .lines()
            .take(18)
            .collect::<Vec<_>>()
            .join("\n")
    );
    for i in 0..4 {
        df.push_str(&format!("\nENV e{i}=$v16$v16"));
    }
    // v0..v17 hold 2 MiB, e0 1 MiB (3 MiB), e1 takes it past 4 MiB.
    let env = "the stage's environment (ENV and ARG values) exceeds the limit of 4 MiB";
    both_fail(&df, 21, env, env);
}

#[test]
fn repeating_a_large_variable_stops_at_the_build_limit() {
    let base = format!(
        "FROM alpine\n{}",
        doubling("ARG")
            .lines()
            .take(17)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let build = "the LLB definition and image history exceed the limit of 128 MiB per build";
    let checks = "the expanded words exceed the limit of 128 MiB per build";
    // 1,000 RUNs in a 1 MiB environment; 1,000 RUNs naming 1 MiB; history of 1,000 ENVs.
    for (each, first_line) in [
        ("RUN true", 2 + 17),
        ("RUN echo $v16$v16", 2 + 17),
        ("ENV e=$v16$v16", 2 + 17),
        ("LABEL l=$v16$v16", 2 + 17),
        ("COPY <<EOF /f\n$v16$v16\nEOF", 2 + 17),
    ] {
        let mut df = base.clone();
        if each == "RUN true" {
            df.push_str("\nENV e=$v16$v16");
        }
        for _ in 0..1000 {
            df.push('\n');
            df.push_str(each);
        }
        let e = convert(&df).unwrap_err();
        assert!(e.message.contains(build), "{each}: {}", e.message);
        let line = e.location.map_or(0, |l| l.start_line);
        assert!(
            line > first_line && line < first_line + 4 * 140,
            "{each}: line {line}"
        );
        if !each.starts_with("RUN") {
            let e = check(&df).expect("the checks stop too");
            assert!(e.message.contains(checks), "{each}: {}", e.message);
        }
    }
    // Stages built on a stage with a large environment copy it.
    let mut df = base.replace("FROM alpine", "FROM alpine AS base") + "\nENV e=$v16$v16";
    for i in 0..300 {
        df.push_str(&format!("\nFROM base AS s{i}"));
    }
    df.push_str("\nFROM scratch");
    for i in 0..300 {
        df.push_str(&format!("\nCOPY --from=s{i} /a /a{i}"));
    }
    let e = convert(&df).unwrap_err();
    assert!(e.message.contains(build), "{}", e.message);
    let e = check(&df).expect("the checks stop too");
    assert!(e.message.contains(checks), "{}", e.message);
}

#[test]
fn large_dockerfiles_spelt_out_still_convert() {
    // A value longer than the word limit, written out (on continuation lines: a line of a
    // Dockerfile is at most 64 KiB): the limits grow with the file.
    let big = vec!["x".repeat(60_000); 55].join("\\\n");
    let df = format!("FROM alpine\nARG big={big}\nENV e=$big\nLABEL l=\"$big\"\nRUN echo ${{big}}");
    assert!(convert(&df).unwrap() > 3 << 20);
    assert_eq!(check(&df), None);
    // A 13 MB definition: 400 RUNs in an environment of 200 variables.
    let mut df = String::from("FROM alpine");
    for i in 0..200 {
        df.push_str(&format!("\nENV VARIABLE_{i}={}", "v".repeat(150)));
    }
    for i in 0..400 {
        df.push_str(&format!("\nRUN echo {i}"));
    }
    assert!(convert(&df).unwrap() > 12_000_000);
    assert_eq!(check(&df), None);
    // 20,000 instructions of every common kind.
    let mut df = String::from("ARG BASE=alpine\nFROM $BASE");
    for i in 0..20_000 {
        df.push('\n');
        df.push_str(&match i % 6 {
            0 => format!(
                "ENV K{}=value-{i} L{}=${{K{}:-unset}}",
                i % 10,
                i % 7,
                (i + 3) % 10
            ),
            1 => format!("ARG A{}=arg-{i}", i % 10),
            2 => format!("RUN echo \"{i} $K{} ${{A{}}}\"", i % 10, i % 10),
            3 => format!("COPY src/f{}.txt /dst/{i}/", i % 9),
            4 => format!("WORKDIR /w/{}", i % 7),
            _ => format!("LABEL l{i}=\"label {i}\""),
        });
    }
    assert!(convert(&df).is_ok());
    assert_eq!(check(&df), None);
}

#[test]
fn the_options_set_the_limits() {
    let opts = ConvertOptions {
        limits: crate::limits::Limits {
            word: 1000,
            env: 5000,
            output: 100_000,
        },
        ..Default::default()
    };
    let message = |df: &str| {
        let e = convert_opts(df, &opts).unwrap_err();
        (e.message, e.location.map_or(0, |l| l.start_line))
    };
    // v7 is 1 KiB: v8 adds 1,024 bytes to its word.
    let (m, line) = message(&format!("FROM scratch\n{}", doubling("ARG")));
    assert!(
        m.ends_with("exceeds the limit of 1000 bytes per word"),
        "{m}"
    );
    assert_eq!(line, 2 + 7);
    let df = format!(
        "FROM scratch\n{}\nENV a=$v6 b=$v6 c=$v6 d=$v6 e=$v6 f=$v6 g=$v6 h=$v6 i=$v6 j=$v6",
        doubling("ARG")
            .lines()
            .take(7)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(message(&df).0.ends_with("exceeds the limit of 5000 bytes"));
    let df = format!(
        "FROM alpine\n{}\nENV e=$v6\n{}",
        doubling("ARG")
            .lines()
            .take(7)
            .collect::<Vec<_>>()
            .join("\n"),
        "RUN true\n".repeat(200)
    );
    let (m, _) = message(&df);
    assert!(
        m.ends_with("exceed the limit of 100000 bytes per build"),
        "{m}"
    );
    assert!(convert(&df).is_ok());
}
