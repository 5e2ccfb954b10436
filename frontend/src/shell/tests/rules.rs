//! One test per expansion rule. Every expected value here was produced by running the same
//! input through BuildKit v0.34.2's lex.go.

use super::env;
use crate::shell::{EnvGetter, Lex};

fn check(lex: &Lex, vars: &dyn EnvGetter, input: &str, want: Result<&str, &str>) {
    let got = lex.process_word(input, vars);
    assert_eq!(
        got.as_deref().map_err(|e| e.message.as_str()),
        want,
        "{input:?}"
    );
}

fn check_words(lex: &Lex, vars: &dyn EnvGetter, input: &str, want: Result<&[&str], &str>) {
    let got = lex.process_words(input, vars);
    let got = got.as_ref().map_err(|e| e.message.as_str());
    let want = want.map(|w| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    assert_eq!(got, want.as_ref().map_err(|e| *e), "{input:?}");
}

fn check_matches(
    lex: &Lex,
    vars: &dyn EnvGetter,
    input: &str,
    matched: &[&str],
    unmatched: &[&str],
) {
    let got = lex.process_word_with_matches(input, vars).unwrap();
    assert_eq!(got.matched.iter().collect::<Vec<_>>(), matched, "{input:?}");
    assert_eq!(
        got.unmatched.iter().collect::<Vec<_>>(),
        unmatched,
        "{input:?}"
    );
}

#[test]
fn plain_variable() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("E", ""), ("한", "k"), ("क", "d")]);
    check(&lex, &vars, "$A", Ok("a"));
    check(&lex, &vars, "$A.b", Ok("a.b"));
    check(&lex, &vars, "$A-x", Ok("a-x"));
    check(&lex, &vars, "$A$A", Ok("aa"));
    check(&lex, &vars, "$A_b", Ok(""));
    check(&lex, &vars, "$Ab", Ok(""));
    check(&lex, &vars, "$E.", Ok("."));
    check(&lex, &vars, "$한", Ok("k"));
    check(&lex, &vars, "$कि", Ok("dि"));
    check(&lex, &vars, "$é", Ok(""));
}

#[test]
fn braced_variable() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("E", "")]);
    check(&lex, &vars, "${A}", Ok("a"));
    check(&lex, &vars, "${A}b", Ok("ab"));
    check(&lex, &vars, "${A}_b", Ok("a_b"));
    check(&lex, &vars, "${U}x", Ok("x"));
    check(&lex, &vars, "${E}x", Ok("x"));
}

#[test]
fn default_value() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("E", "")]);
    check(&lex, &vars, "${U:-w}|${E:-w}|${A:-w}", Ok("w|w|a"));
    check(&lex, &vars, "${U-w}|${E-w}|${A-w}", Ok("w||a"));
    check(&lex, &vars, "${U:-}", Ok(""));
    check(&lex, &vars, "${U:-a b}", Ok("a b"));
    check(&lex, &vars, "${U:-$A}", Ok("a"));
    check(&lex, &vars, "${U:-'q $A'}", Ok("q $A"));
    check(&lex, &vars, r#"${U:-"q $A"}"#, Ok("q a"));
    check(&lex, &vars, r#"${U:-x\}y}"#, Ok("x}y"));
}

#[test]
fn alternative_value() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("E", "")]);
    check(&lex, &vars, "${U:+w}|${E:+w}|${A:+w}", Ok("||w"));
    check(&lex, &vars, "${U+w}|${E+w}|${A+w}", Ok("|w|w"));
    check(&lex, &vars, "${A:+${A}-$A}", Ok("a-a"));
}

#[test]
fn required_value() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("E", "")]);
    check(&lex, &vars, "${A:?}", Ok("a"));
    check(&lex, &vars, "${A?}", Ok("a"));
    check(&lex, &vars, "${E?}", Ok(""));
    check(
        &lex,
        &vars,
        "${E:?}",
        Err(r#"failed to process "${E:?}": E: is not allowed to be empty"#),
    );
    check(
        &lex,
        &vars,
        "${U?}",
        Err(r#"failed to process "${U?}": U: is not allowed to be unset"#),
    );
    check(
        &lex,
        &vars,
        "${U:?}",
        Err(r#"failed to process "${U:?}": U: is not allowed to be unset"#),
    );
    check(
        &lex,
        &vars,
        "${U:?custom message}",
        Err(r#"failed to process "${U:?custom message}": U: custom message"#),
    );
    check(
        &lex,
        &vars,
        "${E:?must be set to $A}",
        Err(r#"failed to process "${E:?must be set to $A}": E: must be set to a"#),
    );
    check(
        &lex,
        &vars,
        "${U?}tail",
        Err(r#"failed to process "${U?}tail": U: is not allowed to be unset"#),
    );
}

#[test]
fn prefix_removal() {
    let lex = Lex::new('\\');
    let vars = env(&[
        ("P", "/usr/local/bin"),
        ("N", "a\nb/c"),
        ("G", "a*b?c"),
        ("B", r#"a\b"#),
    ]);
    check(&lex, &vars, "${P#*/}", Ok("usr/local/bin"));
    check(&lex, &vars, "${P##*/}", Ok("bin"));
    check(&lex, &vars, "${P#/usr}", Ok("/local/bin"));
    check(&lex, &vars, "${P#usr}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${P#/?s}", Ok("r/local/bin"));
    check(&lex, &vars, "${P##/*l}", Ok("/bin"));
    check(&lex, &vars, "${P#}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${P##}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${N#*/}", Ok("a\nb/c"));
    check(&lex, &vars, "${N#a?}", Ok("a\nb/c"));
    check(&lex, &vars, r#"${G#a\*}"#, Ok("b?c"));
    check(&lex, &vars, r#"${G#a\*b\?}"#, Ok("c"));
    check(&lex, &vars, "${G#'a*'}", Ok("*b?c"));
    check(&lex, &vars, r#"${G#"a*"}"#, Ok("*b?c"));
    check(&lex, &vars, r#"${B#a\\}"#, Ok("b"));
    check(
        &lex,
        &vars,
        r#"${B#a\b}"#,
        Err(
            r#"failed to process "${B#a\\b}": invalid pattern (a\b) in substitution: invalid escape '\b'"#,
        ),
    );
    check(
        &lex,
        &vars,
        r#"${P#\x}"#,
        Err(
            r#"failed to process "${P#\\x}": invalid pattern (\x) in substitution: invalid escape '\x'"#,
        ),
    );
    check(&lex, &vars, "${P#[/]}", Ok("/usr/local/bin"));
}

#[test]
fn suffix_removal() {
    let lex = Lex::new('\\');
    let vars = env(&[("P", "/usr/local/bin"), ("N", "a/b\nc"), ("G", "a*b?c")]);
    check(&lex, &vars, "${P%/*}", Ok("/usr/local"));
    check(&lex, &vars, "${P%%/*}", Ok(""));
    check(&lex, &vars, "${P%bin}", Ok("/usr/local/"));
    check(&lex, &vars, "${P%?in}", Ok("/usr/local/"));
    check(&lex, &vars, "${P%%l*}", Ok("/usr/"));
    check(&lex, &vars, "${P%}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${N%/*}", Ok("a/b\nc"));
    check(&lex, &vars, r#"${G%\?c}"#, Ok("a*b"));
    check(&lex, &vars, r#"${G%%\**}"#, Ok("a"));
    check(
        &lex,
        &vars,
        r#"${P%x\}"#,
        Err(r#"failed to process "${P%x\\}": syntax error: missing '}'"#),
    );
}

#[test]
fn replace() {
    let lex = Lex::new('\\');
    let vars = env(&[
        ("P", "/usr/local/bin"),
        ("N", "a\nb\nc"),
        ("E", ""),
        ("R", "$0"),
    ]);
    check(&lex, &vars, "${P/l/L}", Ok("/usr/Local/bin"));
    check(&lex, &vars, "${P//l/L}", Ok("/usr/LocaL/bin"));
    check(
        &lex,
        &vars,
        "${P//}",
        Err(r#"failed to process "${P//}": syntax error: missing '/' in ${}"#),
    );
    check(&lex, &vars, "${P///}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${P/local/}", Ok("/usr//bin"));
    check(&lex, &vars, r#"${P//\//:}"#, Ok(":usr:local:bin"));
    check(&lex, &vars, "${P/*/x}", Ok("x"));
    check(&lex, &vars, "${P//o*/x}", Ok("/usr/lx"));
    check(&lex, &vars, "${P//?/-}", Ok("--------------"));
    check(&lex, &vars, "${N//?/-}", Ok("-\n-\n-"));
    check(&lex, &vars, "${N//*/x}", Ok("x\nx\nx"));
    check(&lex, &vars, "${E//*/x}", Ok("x"));
    check(&lex, &vars, "${U/a/b}", Ok(""));
    check(&lex, &vars, "${P/#/x}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${P/%/x}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${P//o/'$0'}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${P//o/'[$0]$$'}", Ok("/usr/l[o]$cal/bin"));
    check(&lex, &vars, "${P//o/'$1${0}${x'}", Ok("/usr/lo${xcal/bin"));
    check(&lex, &vars, "${P//o/$R}", Ok("/usr/local/bin"));
    check(&lex, &vars, "${P/o/'$0'}", Ok("/usr/l$0cal/bin"));
    check(&lex, &vars, r#"${P//o/\$0}"#, Ok(r#"/usr/l\ocal/bin"#));
    check(
        &lex,
        &vars,
        r#"${P//\o/x}"#,
        Err(
            r#"failed to process "${P//\\o/x}": invalid pattern (\o) in substitution: invalid escape '\o'"#,
        ),
    );
    check(
        &lex,
        &vars,
        "${P/l",
        Err(r#"failed to process "${P/l": syntax error: missing '/' in ${}"#),
    );
    check(
        &lex,
        &vars,
        "${P/l/x",
        Err(r#"failed to process "${P/l/x": syntax error: missing '}'"#),
    );
}

#[test]
fn nested_expansion() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("E", ""), ("B", "b")]);
    check(&lex, &vars, "${U:-${E:-${A}}}", Ok("a"));
    check(&lex, &vars, "${A:+x${B:+y${U:-z}}}", Ok("xyz"));
    check(&lex, &vars, r#"${U:-"${B} and '$A'"}"#, Ok("b and 'a'"));
    check(&lex, &vars, "${A#${B}}", Ok("a"));
    check(&lex, &vars, "${A/$A/${B}$B}", Ok("bb"));
    check(&lex, &vars, r#""${U:-${B:-x}}""#, Ok("b"));
    check(
        &lex,
        &vars,
        "${U:-${V:-${W?deep}}}",
        Err(r#"failed to process "${U:-${V:-${W?deep}}}": W: deep"#),
    );
    check(
        &lex,
        &vars,
        "${U:-${V?inner}x}",
        Err(r#"failed to process "${U:-${V?inner}x}": V: inner"#),
    );
}

#[test]
fn single_quotes() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a")]);
    check(&lex, &vars, "'$A'", Ok("$A"));
    check(&lex, &vars, "'a  b'", Ok("a  b"));
    check(&lex, &vars, r#"'it'\''s'"#, Ok("it's"));
    check(&lex, &vars, r#"'a\b'"#, Ok(r#"a\b"#));
    check(&lex, &vars, r#"'"q"'"#, Ok(r#""q""#));
    check(&lex, &vars, "a'b'c", Ok("abc"));
    check(
        &lex,
        &vars,
        "'unterminated",
        Err(
            r#"failed to process "'unterminated": unexpected end of statement while looking for matching single-quote"#,
        ),
    );
}

#[test]
fn double_quotes() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("S", "x  y")]);
    check(&lex, &vars, r#""$A""#, Ok("a"));
    check(&lex, &vars, r#""${A}b""#, Ok("ab"));
    check(&lex, &vars, r#""$S""#, Ok("x  y"));
    check(&lex, &vars, r#""'$A'""#, Ok("'a'"));
    check(&lex, &vars, r#""\$A""#, Ok("$A"));
    check(&lex, &vars, r#""\"q\"""#, Ok(r#""q""#));
    check(&lex, &vars, r#""a\\b""#, Ok(r#"a\b"#));
    check(&lex, &vars, r#""a\b""#, Ok(r#"a\b"#));
    check(
        &lex,
        &vars,
        r#""a\"#,
        Err(
            r#"failed to process "\"a\\": unexpected end of statement while looking for matching double-quote"#,
        ),
    );
    check(
        &lex,
        &vars,
        r#""unterminated"#,
        Err(
            r#"failed to process "\"unterminated": unexpected end of statement while looking for matching double-quote"#,
        ),
    );
    check(&lex, &vars, r#""a"b"c""#, Ok("abc"));
}

#[test]
fn escapes() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a")]);
    check(&lex, &vars, r#"\$A"#, Ok("$A"));
    check(&lex, &vars, r#"a\ b"#, Ok("a b"));
    check(&lex, &vars, r#"\'"#, Ok("'"));
    check(&lex, &vars, r#"\""#, Ok(r#"""#));
    check(&lex, &vars, r#"\\"#, Ok(r#"\"#));
    check(&lex, &vars, r#"\a"#, Ok("a"));
    check(&lex, &vars, r#"a\"#, Ok("a"));
    check(&lex, &vars, r#"\${A}"#, Ok("${A}"));
    check(&lex, &vars, r#"x\}"#, Ok("x}"));
}

#[test]
fn backtick_escape() {
    let lex = Lex::new('`');
    let vars = env(&[("A", "a")]);
    check(&lex, &vars, "`$A", Ok("$A"));
    check(&lex, &vars, "a` b", Ok("a b"));
    check(&lex, &vars, r#""`$A `" a`b""#, Ok(r#"$A " a`b"#));
    check(&lex, &vars, r#"C:\path\$A"#, Ok(r#"C:\path\a"#));
}

#[test]
fn dollar_without_name() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a")]);
    check(&lex, &vars, "$", Ok("$"));
    check(&lex, &vars, "x$", Ok("x$"));
    check(&lex, &vars, "$.", Ok("$."));
    check(&lex, &vars, "$ A", Ok("$ A"));
    check(&lex, &vars, r#""$""#, Ok("$"));
    check(&lex, &vars, "${A}$", Ok("a$"));
    check(&lex, &vars, "'$'", Ok("$"));
}

#[test]
fn unset_and_empty() {
    let lex = Lex::new('\\');
    let vars = env(&[("E", "")]);
    check(&lex, &vars, "$E|$U", Ok("|"));
    check(&lex, &vars, "${E-unset}|${U-unset}", Ok("|unset"));
    check(&lex, &vars, "${E:-null}|${U:-null}", Ok("null|null"));
    check(&lex, &vars, "${E+set}|${U+set}", Ok("set|"));
    check(&lex, &vars, "${E:+nonnull}|${U:+nonnull}", Ok("|"));
}

#[test]
fn special_parameters() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a")]);
    check(&lex, &vars, "$@ $* $# $? $- $$ $! $0", Ok("       "));
    check(&lex, &vars, "${@}${*}${#}${?}${-}${$}${!}${0}", Ok(""));
    check(&lex, &vars, "${#:-n}${?:+x}", Ok("n"));
    check(&lex, &vars, "$1 ${1} $9x $10 ${10:-ten}", Ok("  x  ten"));
    check(&lex, &vars, "$@@", Ok("@"));
    check(&lex, &vars, "$$A", Ok("A"));
}

#[test]
fn unsupported_modifiers() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a")]);
    check(
        &lex,
        &vars,
        "${A:=x}",
        Err(r#"failed to process "${A:=x}": unsupported modifier (:=) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A=x}",
        Err(r#"failed to process "${A=x}": unsupported modifier (=) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A:x}",
        Err(r#"failed to process "${A:x}": unsupported modifier (:x) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A:#x}",
        Err(r#"failed to process "${A:#x}": unsupported modifier (:#) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A:%x}",
        Err(r#"failed to process "${A:%x}": unsupported modifier (:%) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A^}",
        Err(r#"failed to process "${A^}": unsupported modifier (^) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A,,}",
        Err(r#"failed to process "${A,,}": unsupported modifier (,) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A!}",
        Err(r#"failed to process "${A!}": unsupported modifier (!) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${!A}",
        Err(r#"failed to process "${!A}": unsupported modifier (A) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${#A}",
        Err(r#"failed to process "${#A}": unsupported modifier (A) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A",
        Err(r#"failed to process "${A": unsupported modifier (�) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A:-x",
        Err(r#"failed to process "${A:-x": syntax error: missing '}'"#),
    );
    check(
        &lex,
        &vars,
        "${A:",
        Err(r#"failed to process "${A:": syntax error: missing '}'"#),
    );
    check(
        &lex,
        &vars,
        "${",
        Err(r#"failed to process "${": syntax error: missing '}'"#),
    );
    check(
        &lex,
        &vars,
        "${}",
        Err(r#"failed to process "${}": syntax error: bad substitution"#),
    );
    check(
        &lex,
        &vars,
        "${:}",
        Err(r#"failed to process "${:}": syntax error: bad substitution"#),
    );
    check(
        &lex,
        &vars,
        "${:-x}",
        Err(r#"failed to process "${:-x}": syntax error: bad substitution"#),
    );
    check(
        &lex,
        &vars,
        "${{A}}",
        Err(r#"failed to process "${{A}}": syntax error: bad substitution"#),
    );
    check(
        &lex,
        &vars,
        "${.}",
        Err(r#"failed to process "${.}": unsupported modifier (.) in substitution"#),
    );
    check(
        &lex,
        &vars,
        "${A }",
        Err(r#"failed to process "${A }": unsupported modifier ( ) in substitution"#),
    );
}

#[test]
fn words() {
    let lex = Lex::new('\\');
    let vars = env(&[
        ("S", "x  y"),
        ("L", "  lead"),
        ("T", "trail  "),
        ("E", ""),
        ("A", "a"),
    ]);
    check_words(&lex, &vars, "a b  c", Ok(&["a", "b", "c"]));
    check_words(&lex, &vars, "a $S b", Ok(&["a", "x", "y", "b"]));
    check_words(&lex, &vars, r#""a $S" b"#, Ok(&["a x  y", "b"]));
    check_words(&lex, &vars, r#"a"$S"b"#, Ok(&["ax  yb"]));
    check_words(&lex, &vars, "$L$T", Ok(&["leadtrail"]));
    check_words(&lex, &vars, r#"a\ b"#, Ok(&["a b"]));
    check_words(&lex, &vars, r#"'a b' "c d""#, Ok(&["a b", "c d"]));
    check_words(&lex, &vars, r#""" '' x"#, Ok(&["x"]));
    check_words(&lex, &vars, "$E", Ok(&[]));
    check_words(&lex, &vars, r#""$E""#, Ok(&[]));
    check_words(&lex, &vars, "a${E}b", Ok(&["ab"]));
    check_words(&lex, &vars, "x ${U:-a b}", Ok(&["x", "a", "b"]));
    check_words(&lex, &vars, "pre${U:-a b}", Ok(&["a", "b"]));
    check_words(&lex, &vars, "pre$S", Ok(&["prex", "y"]));
    check_words(&lex, &vars, r#"a"${U:-x}""#, Ok(&["x"]));
    check_words(&lex, &vars, "tab\tsep", Ok(&["tab", "sep"]));
    check_words(&lex, &vars, r#"a\"#, Ok(&["a"]));
    check_words(&lex, &vars, "a << b", Ok(&["a", "<< b"]));
    check_words(&lex, &vars, "cmd <<EOF", Ok(&["cmd", "<<EOF"]));
    check_words(
        &lex,
        &vars,
        "a\u{A0}b\u{3000}c\u{200B}d",
        Ok(&["a", "b", "c\u{200B}d"]),
    );
    check_words(&lex, &vars, "<<-  EOF x", Ok(&["<<-", "EOF", "x"]));
    check_words(
        &lex,
        &vars,
        "'a",
        Err(
            r#"failed to process "'a": unexpected end of statement while looking for matching single-quote"#,
        ),
    );
}

#[test]
fn matches() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("E", "")]);
    check_matches(
        &lex,
        &vars,
        "$A $E $U ${V:-$W}",
        &["A", "E"],
        &["U", "V", "W"],
    );
    check_matches(&lex, &vars, "${A:+$X}", &["A"], &["X"]);
    check_matches(&lex, &vars, "${U-}${A?}${E?}x", &["A", "E"], &["U"]);
    check_matches(&lex, &vars, r#"'quoted $Q' "$R""#, &[], &["R"]);
    check_matches(&lex, &vars, r#"\$S"#, &[], &[]);
    check_matches(&lex, &vars, "${A/$P/$Q}", &["A"], &["P", "Q"]);
    check_matches(&lex, &vars, "${A#$PAT}", &["A"], &["PAT"]);
    check_matches(&lex, &vars, "$1 $@", &[], &["1", "@"]);
}

#[test]
fn skip_unset_env() {
    let lex = Lex {
        skip_unset_env: true,
        ..Lex::new('\\')
    };
    let vars = env(&[("A", "a"), ("E", "")]);
    check(&lex, &vars, "$A $U", Ok("a $U"));
    check(&lex, &vars, "${A}${U}", Ok("a${U}"));
    check(&lex, &vars, "${U:-x}", Ok("${U:-x}"));
    check(&lex, &vars, "${U:=x}", Ok("${U:=x}"));
    check(&lex, &vars, "${U+$A}", Ok("${U+a}"));
    check(&lex, &vars, "${U/x/y}", Ok("${U/x/y}"));
    check(&lex, &vars, "${U//x/y}", Ok("${U/x/y}"));
    check(&lex, &vars, "${U#x}", Ok("${U#x}"));
    check(&lex, &vars, "${A:-x} ${E:-x}", Ok("a x"));
}

#[test]
fn raw_quotes() {
    let lex = Lex {
        raw_quotes: true,
        ..Lex::new('\\')
    };
    let vars = env(&[("A", "a")]);
    check(&lex, &vars, r#"'a b' "c $A""#, Ok(r#"'a b' "c a""#));
    check_words(&lex, &vars, r#"'a b' "c $A""#, Ok(&["'a b'", r#""c a""#]));
    check(&lex, &vars, r#""a\"b""#, Ok(r#""a"b""#));
}

#[test]
fn raw_escapes() {
    let lex = Lex {
        raw_escapes: true,
        ..Lex::new('\\')
    };
    let vars = env(&[("A", "a")]);
    check(&lex, &vars, r#"\$A a\ b \\"#, Ok(r#"\$A a\ b \\"#));
    check(&lex, &vars, r#""\$A \x""#, Ok(r#"\$A \\x"#));
}

#[test]
fn raw_quotes_and_escapes() {
    let lex = Lex {
        raw_quotes: true,
        raw_escapes: true,
        ..Lex::new('\\')
    };
    let vars = env(&[("A", "a")]);
    check(
        &lex,
        &vars,
        r#""\$A \x" 'y\z' \$A"#,
        Ok(r#""\$A \x" 'y\z' \$A"#),
    );
    check(&lex, &vars, r#"${A#"a"}"#, Ok("a"));
}

#[test]
fn skip_process_quotes() {
    let lex = Lex {
        skip_process_quotes: true,
        ..Lex::new('\\')
    };
    let vars = env(&[("A", "a")]);
    check(&lex, &vars, r#"'$A' "$A""#, Ok(r#"'a' "a""#));
    check_words(
        &lex,
        &vars,
        r#"'a b' "c d""#,
        Ok(&["'a", "b'", r#""c"#, r#"d""#]),
    );
}

#[test]
fn unicode_and_bom() {
    let lex = Lex::new('\\');
    let vars = env(&[("A", "a"), ("한국", "korean")]);
    check(&lex, &vars, "\u{FEFF}$A", Ok("a"));
    check(&lex, &vars, "x\u{FEFF}$A", Ok("x\u{FEFF}a"));
    check(&lex, &vars, "${A#\u{FEFF}a}", Ok(""));
    check(&lex, &vars, "$한국어", Ok(""));
    check(&lex, &vars, "${한국:-x}", Ok("korean"));
    check(&lex, &vars, r#""\u00a0"$A"#, Ok(r#"\u00a0a"#));
}
