//! BuildKit's own tests (frontend/dockerfile/shell/lex_test.go and its data files), ported.

use super::{env, lex, word};
use crate::shell::pattern::{self, compile, reverse_pattern, reverse_string};
use crate::shell::{envs_from_slice, Lex};
use std::collections::BTreeSet;

const ENV_VAR_TEST: &str = include_str!("../testdata/envVarTest");
const WORDS_TEST: &str = include_str!("../testdata/wordsTest");

/// TestShellParser4EnvVars: `platform|input|expected`, rows for Unix (`A`, `U`).
#[test]
fn env_var_table() {
    let vars = envs_from_slice(&["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);
    let mut ran = 0;
    for (n, line) in ENV_VAR_TEST.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('|').collect();
        assert_eq!(cols.len(), 3, "line {}", n + 1);
        let (platform, input, expected) = (cols[0].trim(), cols[1].trim(), cols[2].trim());
        if platform == "W" {
            continue;
        }
        let got = lex().process_word(input, &vars);
        if expected == "error" {
            assert!(got.is_err(), "line {}: {input:?} gave {got:?}", n + 1);
        } else {
            let got = got.unwrap_or_else(|e| panic!("line {}: {input:?}: {e}", n + 1));
            assert_eq!(got, expected, "line {}: {input:?}", n + 1);
        }
        ran += 1;
    }
    assert_eq!(ran, 228);
}

/// TestShellParser4Words. (BuildKit's second pass, with raw quotes, reads the already consumed
/// file and so checks nothing; its expectations would not hold for it.)
#[test]
fn words_table() {
    let mut vars: Vec<String> = Vec::new();
    let mut ran = 0;
    for (n, line) in WORDS_TEST.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ENV ") {
            vars.push(rest.trim_start_matches(' ').to_owned());
            continue;
        }
        let cols: Vec<&str> = line.split('|').collect();
        assert_eq!(cols.len(), 2, "line {}", n + 1);
        let input = cols[0].trim();
        let expected: Vec<&str> = cols[1].trim_start_matches(' ').split(',').collect();
        let got = lex()
            .process_words(input, &envs_from_slice(&vars))
            .unwrap_or_else(|_| vec!["error".to_owned()]);
        assert_eq!(got, expected, "line {}: {input:?}", n + 1);
        ran += 1;
    }
    assert_eq!(ran, 24);
}

/// TestShellParserMandatoryEnvVars.
#[test]
fn mandatory_env_vars() {
    let set = [("VAR", "plain"), ("ARG", "x")];
    let empty = [("VAR", ""), ("ARG", "x")];
    let unset = [("ARG", "x")];
    let no_empty = "${VAR:?message here$ARG}";
    let no_unset = "${VAR?message here$ARG}";

    assert_eq!(word(no_empty, &set).as_deref(), Ok("plain"));
    assert!(word(no_empty, &empty)
        .unwrap_err()
        .contains("message herex"));
    assert!(word(no_empty, &unset)
        .unwrap_err()
        .contains("message herex"));

    assert_eq!(word(no_unset, &set).as_deref(), Ok("plain"));
    assert_eq!(word(no_unset, &empty).as_deref(), Ok(""));
    assert!(word(no_unset, &unset)
        .unwrap_err()
        .contains("message herex"));
}

/// TestProcessWordRawEscapes.
#[test]
fn raw_escapes() {
    let vars = env(&[("FOO", "bar")]);
    let cases = [
        ('\\', r"C:\hello\world", r"C:\hello\world"),
        ('\\', r#""C:\hello\world""#, r#""C:\hello\world""#),
        ('\\', r#""a\"b" "a\\b" "\$FOO""#, r#""a\"b" "a\\b" "\$FOO""#),
        ('\\', r"\$FOO $FOO a\ b 'x\y'", r"\$FOO bar a\ b 'x\y'"),
        ('`', "C:\\hello `$FOO $FOO", "C:\\hello `$FOO bar"),
        ('`', "\"a`tb\" \"a`\"b\"", "\"a`tb\" \"a`\"b\""),
    ];
    for (escape, input, expected) in cases {
        let lex = Lex {
            raw_quotes: true,
            raw_escapes: true,
            ..Lex::new(escape)
        };
        assert_eq!(
            lex.process_word(input, &vars).as_deref(),
            Ok(expected),
            "{input:?}"
        );
    }
}

/// TestProcessWordRawQuotesPatternEscapes.
#[test]
fn raw_quotes_pattern_escapes() {
    let vars = env(&[("FOO", r"a\bc"), ("BAR", "ok")]);
    let lex = Lex {
        raw_quotes: true,
        raw_escapes: true,
        ..Lex::new('\\')
    };
    for input in [
        r#"$BAR ${FOO#"a\b"}"#,
        r"$BAR ${FOO#'a\b'}",
        r#"$BAR ${FOO/"a\b"/x}"#,
    ] {
        assert_eq!(
            lex.process_word(input, &vars).as_deref(),
            Ok(r"ok a\bc"),
            "{input:?}"
        );
    }
}

type MatchCase = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    &'static [&'static str],
    &'static [&'static str],
);

/// TestProcessWithMatches: input, env, expected result (`None`: an error), matched, unmatched.
#[rustfmt::skip]
const WITH_MATCHES: &[MatchCase] = &[
    ("x", &[("DUMMY", "dummy")], Some("x"), &[], &[]),
    ("x ${UNUSED}", &[("DUMMY", "dummy")], Some("x "), &[], &["UNUSED"]),
    ("x ${FOO}", &[("FOO", "y")], Some("x y"), &["FOO"], &[]),
    ("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", &[("FOO", "xxx"), ("BAR", "")], Some("xxx  ccc"), &["FOO", "BAR"], &["BAZ"]),
    ("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", &[("FOO", "xxx"), ("BAR", "")], Some("xxx bbb ccc"), &["FOO", "BAR"], &["BAZ"]),
    ("${FOO:-}", &[("FOO", "xxx"), ("BAR", "")], Some("xxx"), &["FOO"], &[]),
    ("${FOO:-}", &[], Some(""), &[], &["FOO"]),
    ("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", &[("FOO", "xxx"), ("BAR", "")], Some("aaa bbb "), &["FOO", "BAR"], &["BAZ"]),
    ("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", &[("FOO", "xxx"), ("BAR", "")], Some("aaa  "), &["FOO", "BAR"], &["BAZ"]),
    ("${FOO?aaa}", &[("FOO", "xxx"), ("BAR", "")], Some("xxx"), &["FOO"], &[]),
    ("${BAR?bbb}", &[("FOO", "xxx"), ("BAR", "")], Some(""), &["BAR"], &[]),
    ("${BAZ?ccc}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &["BAZ"]),
    ("${FOO:?aaa}", &[("FOO", "xxx"), ("BAR", "")], Some("xxx"), &["FOO"], &[]),
    ("${BAR:?bbb}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &[]),
    ("${BAZ:?ccc}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &["BAZ"]),
    ("${BAZ:?}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &["BAZ"]),
    ("${FOO=aaa}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &[]),
    ("${FOO=:aaa}", &[("FOO", "xxx"), ("BAR", "")], None, &[], &[]),
    ("${FOO=}", &[], None, &[], &[]),
    (r"${FOO#()[]{\}^$.\*\?|\\}", &[("FOO", r"()[]{}^$.*?|\x")], Some("x"), &["FOO"], &[]),
    (r"${FOO%%\**}", &[("FOO", "xx**")], Some("xx"), &["FOO"], &[]),
    ("${FOO#*x*y}", &[("FOO", "xxyy")], Some("y"), &["FOO"], &[]),
    ("${FOO#*}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    ("${FOO#$BAR}", &[("FOO", "xxyy"), ("BAR", "x")], Some("xyy"), &["FOO", "BAR"], &[]),
    ("${FOO#$BAR}", &[("FOO", "xxyy"), ("BAR", "")], Some("xxyy"), &["FOO", "BAR"], &[]),
    ("${FOO#}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    ("${FOO##*x}", &[("FOO", "xxyy")], Some("yy"), &["FOO"], &[]),
    ("${FOO##}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    (r"${FOO#?\?}", &[("FOO", "???y")], Some("?y"), &["FOO"], &[]),
    (r#"${FOO#"a\b"}"#, &[("FOO", r"a\bc")], Some("c"), &["FOO"], &[]),
    (r"${FOO#'a\b'}", &[("FOO", r"a\bc")], Some("c"), &["FOO"], &[]),
    ("${ABC:-.}${FOO%x}${ABC:-.}", &[("FOO", "xxyy")], Some(".xxyy."), &["FOO"], &["ABC"]),
    (r"${FOO%%\**\*}", &[("FOO", "a***yy*")], Some("a"), &["FOO"], &[]),
    ("${FOO%}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    ("${FOO%%$BAR}", &[("FOO", "xxyy"), ("BAR", "")], Some("xxyy"), &["FOO", "BAR"], &[]),
    ("${FOO:#}", &[], None, &[], &[]),
    ("${FOO:##}", &[], None, &[], &[]),
    ("${FOO:%}", &[], None, &[], &[]),
    ("${FOO:%%}", &[], None, &[], &[]),
    ("${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", &[("FOO", "/foo*/*/*.txt"), ("NEEDLE", r"\*/")], Some("/foo.*/*.txt - /foo..*.txt"), &["FOO", "NEEDLE"], &[]),
    ("${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", &[("FOO", "/tmp/tmp/bar.txt"), ("NEEDLE", "/tmp")], Some("/tmp/bar.txt - /bar.txt"), &["FOO", "NEEDLE"], &[]),
    ("${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}", &[("FOO", "/a/foo/b/c.txt"), ("NEEDLE", "/?/"), ("REPLACEMENT", "/")], Some("/foo/b/c.txt - /foo/c.txt"), &["FOO", "NEEDLE", "REPLACEMENT"], &[]),
    ("${FOO/$NEEDLE/$REPLACEMENT}", &[("FOO", "http://google.de"), ("NEEDLE", "http://"), ("REPLACEMENT", "https://")], Some("https://google.de"), &["FOO", "NEEDLE", "REPLACEMENT"], &[]),
    (r"${FOO//\//\/}", &[("FOO", "/tmp/foo.txt")], Some(r"\/tmp\/foo.txt"), &["FOO"], &[]),
    ("${FOO/$BAR/ww}", &[("FOO", "xxyy"), ("BAR", "")], Some("wwxxyy"), &["FOO", "BAR"], &[]),
    ("${FOO//ww}", &[("FOO", "xxyy")], None, &[], &[]),
    ("${FOO//}", &[("FOO", "xxyy")], None, &[], &[]),
    ("${FOO///}", &[("FOO", "xxyy")], Some("xxyy"), &["FOO"], &[]),
    ("${FOO///}", &[], Some(""), &[], &["FOO"]),
];

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn process_with_matches() {
    for &(input, vars, expected, matched, unmatched) in WITH_MATCHES {
        let got = lex().process_word_with_matches(input, &env(vars));
        let Some(expected) = expected else {
            assert!(got.is_err(), "{input:?} gave {got:?}");
            continue;
        };
        let got = got.unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(got.result, expected, "{input:?}");
        assert_eq!(got.matched, set(matched), "{input:?}");
        assert_eq!(got.unmatched, set(unmatched), "{input:?}");
    }
    assert_eq!(WITH_MATCHES.len(), 49);
}

/// TestProcessWithMatchesPlatform.
#[test]
fn process_with_matches_platform() {
    let release =
        "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
    let base = [("VERSION", "v1.2.3"), ("TARGETOS", "linux")];
    let run = |extra: &[(&str, &str)]| {
        let mut vars = env(&base);
        vars.extend(env(extra));
        lex()
            .process_word_with_matches(release, &vars)
            .map(|r| r.result)
    };
    assert_eq!(
        run(&[("TARGETARCH", "arm"), ("TARGETVARIANT", "v7")]).as_deref(),
        Ok("something-v1.2.3.linux-arm-v7.tar.gz")
    );
    assert_eq!(
        run(&[("TARGETARCH", "arm64"), ("TARGETVARIANT", "")]).as_deref(),
        Ok("something-v1.2.3.linux-arm64.tar.gz")
    );
    assert_eq!(
        run(&[("TARGETARCH", "arm64")]).as_deref(),
        Ok("something-v1.2.3.linux-arm64.tar.gz")
    );
}

fn regex_source(pattern: &str, greedy: bool, anchored: bool) -> Result<String, String> {
    let re = compile(pattern, greedy, anchored)?;
    Ok(pattern::regex_source(re.atoms(), re.greedy(), anchored))
}

/// TestConvertShellPatternToRegex.
#[test]
fn convert_shell_pattern_to_regex() {
    let cases = [
        ("*", "^.*"),
        ("?", "^."),
        (r"\*", r"^\*"),
        (r"(()[]{\}^$.\*\?|\\", r"^\(\(\)\[\]\{\}\^\$\.\*\?\|\\"),
    ];
    for (pattern, expected) in cases {
        assert_eq!(regex_source(pattern, true, true).as_deref(), Ok(expected));
    }
    for pattern in [r"\", r"\x", r"\\\"] {
        assert!(compile(pattern, true, true).is_err(), "{pattern:?}");
    }
}

/// TestReverseString.
#[test]
fn reverse_string_by_chars() {
    assert_eq!(reverse_string("54321"), "12345");
    assert_eq!(reverse_string("🖖🚀👽"), "👽🚀🖖");
}

/// TestReversePattern.
#[test]
fn reverse_pattern_keeps_escapes() {
    let cases = [
        (r"a\*c", r"c\*a"),
        (r"\\\ab", r"b\a\\"),
        (r"ab\", r"\ba"),
        (r"👽\🚀🖖", r"🖖\🚀👽"),
        (r"\\b", r"b\\"),
    ];
    for (pattern, expected) in cases {
        assert_eq!(reverse_pattern(pattern), expected, "{pattern:?}");
    }
}
