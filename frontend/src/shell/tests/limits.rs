//! Resource bounds: no stack overflow on deep nesting, no quadratic time on long input.
//!
//! A quadratic algorithm would take minutes on these sizes; the linear one takes well under a
//! second even in debug builds.

use super::{env, lex};
use crate::shell::lexer::MAX_NESTING;
use crate::shell::Lex;
use std::time::{Duration, Instant};

/// Runs `f` on a thread with a 1 MiB stack (half of what Rust gives threads by default), so a
/// recursion that is not bounded overflows here.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn nested(open: &str, depth: usize, inner: &str, close: &str) -> String {
    [open.repeat(depth), inner.to_owned(), close.repeat(depth)].concat()
}

const SHAPES: &[(&str, &str)] = &[
    ("${a:-", "}"),
    ("${a:+", "}"),
    ("${a?", "}"),
    ("${a#", "}"),
    ("${a%%", "}"),
    ("${a/", "/x}"),
    ("${a//x/", "}"),
    ("${a:-\"", "\"}"),
    ("\"${a:-", "}\""),
];

#[test]
fn nesting_100k_deep_is_an_error_not_a_crash() {
    on_small_stack(|| {
        for (open, close) in SHAPES {
            for input in [
                nested(open, 100_000, "x", close),
                open.repeat(100_000),
                "${a:-".repeat(100_000) + &"}".repeat(50_000),
            ] {
                let err = lex().process_word(&input, &env(&[])).unwrap_err();
                assert!(
                    err.message.contains("nested more than"),
                    "{open}: {}",
                    &err.message[err.message.len() - 80..]
                );
                assert!(lex().process_words(&input, &env(&[])).is_err());
            }
        }
    });
}

#[test]
fn nesting_up_to_the_bound_works() {
    on_small_stack(|| {
        let vars = env(&[("a", "")]);
        let ok = nested("${a:-", MAX_NESTING, "x", "}");
        assert_eq!(lex().process_word(&ok, &vars).as_deref(), Ok("x"));
        let ok = nested("${a:-\"", MAX_NESTING - 1, "$b", "\"}");
        assert_eq!(lex().process_word(&ok, &vars).as_deref(), Ok(""));
        let too_deep = nested("${a:-", MAX_NESTING + 1, "x", "}");
        assert!(lex().process_word(&too_deep, &vars).is_err());
    });
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(20), "{what} took {took:?}");
    out
}

#[test]
fn long_words_take_linear_time() {
    let n = 200_000;
    let big = "a b ".repeat(n / 4);
    let vars = env(&[("A", "x y"), ("B", big.as_str()), ("E", "")]);
    let lex = lex();

    let out = timed("plain text", || lex.process_words(&big, &vars).unwrap());
    assert_eq!(out.len(), n / 2);
    let word = "$A ".repeat(n / 3);
    let out = timed("many expansions", || {
        lex.process_words(&word, &vars).unwrap()
    });
    assert_eq!(out.len(), 2 * (n / 3));
    let word = "${E:-${A}}".repeat(n / 10);
    timed("many nested expansions", || {
        lex.process_word(&word, &vars).unwrap()
    });
    let word = "\"$A\"'q'\\ ".repeat(n / 10);
    timed("quotes and escapes", || {
        lex.process_words(&word, &vars).unwrap()
    });
    let word = "${E:-".repeat(MAX_NESTING - 1) + &big + &"}".repeat(MAX_NESTING - 1);
    let out = timed("long text at the nesting bound", || {
        lex.process_word(&word, &vars).unwrap()
    });
    assert_eq!(out, big);
    let skip = Lex {
        skip_unset_env: true,
        ..Lex::new('\\')
    };
    let word = "${U:-x} $U ${U/a/b}".repeat(n / 20);
    timed("skip unset env", || {
        skip.process_word(&word, &vars).unwrap()
    });
}

#[test]
fn patterns_on_long_values_take_linear_time() {
    let n = 200_000;
    let value = "ab/".repeat(n / 3);
    let vars = env(&[("V", value.as_str())]);
    let lex = lex();
    let run = |word: &str| timed(word, || lex.process_word(word, &vars).unwrap());

    assert_eq!(run("${V//b/c}").len(), value.len());
    assert_eq!(run("${V//?/c}").len(), value.len());
    assert_eq!(run("${V//*/c}"), "c");
    assert_eq!(run("${V//a*b/c}"), "c/");
    assert_eq!(run("${V//a?\\//}"), "");
    assert_eq!(run("${V##*/}"), "");
    assert_eq!(run("${V#*/}").len(), value.len() - 3);
    assert_eq!(run("${V%%/*}"), "ab");
    assert_eq!(run("${V%/*}").len(), value.len() - 1);
    assert_eq!(run("${V/zz*/x}"), value);
    assert_eq!(run("${V#*z}"), value);
    // A value with many lines: `*` stops at newlines, so each line is matched again.
    let lines = "a\n".repeat(n / 2);
    let vars = env(&[("V", lines.as_str())]);
    let out = timed("lines", || lex.process_word("${V//*/x}", &vars).unwrap());
    assert_eq!(out, "x\n".repeat(n / 2) + "x");
}

const TOO_LONG: &str = "expanded value exceeds the limit of 1 MiB per word";

fn too_long(lex: &Lex, word: &str, vars: &[(String, String)]) {
    // (Not `unwrap_err`: it would print a megabyte.)
    let message = |r: Result<usize, crate::shell::ShellError>| match r {
        Ok(len) => panic!("{word}: {len} bytes"),
        Err(e) => e.message,
    };
    let m = message(timed(word, || {
        lex.process_word(word, &vars).map(|r| r.len())
    }));
    assert!(m.ends_with(TOO_LONG), "{word}: {m}");
    let m = message(timed(word, || {
        lex.process_words(word, &vars).map(|w| w.len())
    }));
    assert!(m.ends_with(TOO_LONG), "{word}: {m}");
}

#[test]
fn expansions_stop_at_the_size_limit() {
    let half = "x".repeat(512 << 10);
    // Over 1 MiB with H, by more than the longest word below.
    let over = "y".repeat((512 << 10) + 64);
    let short = "0123456789abcdef".repeat(64); // 1 KiB
    let dollars = "$$".repeat(100_000);
    let matches = "$0".repeat(2_000);
    let vars = env(&[
        ("H", half.as_str()),
        ("O", over.as_str()),
        ("S", short.as_str()),
        ("D", dollars.as_str()),
        ("M", matches.as_str()),
        ("E", ""),
    ]);
    let lex = lex();
    // Up to 1 MiB: fine.
    assert_eq!(lex.process_word("$H$H", &vars).unwrap().len(), 1 << 20);
    assert_eq!(
        lex.process_word("\"$H\"${E:-$H}", &vars).unwrap().len(),
        1 << 20
    );
    assert_eq!(
        lex.process_word("${S//?/$S}", &vars).unwrap().len(),
        1 << 20
    );
    // More: an error, in every place values are joined.
    for word in [
        "$H$O",
        "${H}${O}",
        "\"$H$O\"",
        "$H\"$O\"",
        "${E:-$H$O}",
        "${E:-\"$H$O\"}",
        "${U-$H$O}",
        "${H:+$H$O}",
        "x${S/0/$O}$H",
        "${H/x/$O$O}",
        // Replacing every character of a long value with a long text multiplies lengths.
        "${S//?/$S$S}",
        "${H//?/$S}",
        // Go templates: `$0` is the match (the value of M is expanded first), `$$` a `$`.
        "${H//?/$M}",
        "${S//?/$D}",
    ] {
        too_long(&lex, word, &vars);
    }
    // The limit is on what expansion adds: a long literal may still take values.
    let long = "z".repeat(3 << 20) + "$H$H";
    assert_eq!(lex.process_word(&long, &vars).unwrap().len(), 4 << 20);
    too_long(&lex, &(long + "$S"), &vars);
    // The limit follows the Dockerfile's size.
    let roomy = Lex::new('\\').with_limit_for(4 << 20);
    assert_eq!(
        roomy.process_word("$H$O$H$O", &vars).unwrap().len(),
        (2 << 20) + 128
    );
    assert!(roomy.process_word("${H//?/$S}", &vars).is_err());
}
