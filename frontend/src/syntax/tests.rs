//! Parser tests ported from BuildKit's parser_test.go, parser_heredoc_test.go and its
//! testfiles/ (compared through `Ast::dump`).

use super::*;
use std::path::Path;

fn testdata() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/syntax/testdata")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn testfiles_match_buildkit_dump() {
    let dir = testdata().join("testfiles");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("testfiles") {
        let case = entry.expect("entry").path();
        let src = read(&case.join("Dockerfile"));
        let want = read(&case.join("result"));
        let ast = parse(&src).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        assert_eq!(format!("{}\n", ast.dump()), want, "{}", case.display());
        count += 1;
    }
    assert!(count >= 30);
}

#[test]
fn negative_testfiles_fail() {
    let dir = testdata().join("testfiles-negative");
    for entry in std::fs::read_dir(&dir).expect("testfiles-negative") {
        let case = entry.expect("entry").path();
        let src = read(&case.join("Dockerfile"));
        assert!(parse(&src).is_err(), "{}", case.display());
    }
}

#[test]
fn line_numbers() {
    let ast = parse(&read(&testdata().join("testfile-line/Dockerfile"))).expect("parse");
    let got: Vec<(usize, usize)> = ast
        .nodes
        .iter()
        .map(|n| (n.location.start_line, n.location.end_line))
        .collect();
    assert_eq!(got, vec![(5, 5), (11, 12), (17, 31)]);
}

#[test]
fn warns_on_empty_continuation_line() {
    let src = "
FROM alpine:3.6

RUN valid \\
    continuation

RUN something \\

    following \\

    more

RUN another \\

    thing

RUN non-indented \\
# this is a comment
   after-comment

RUN indented \\
    # this is an indented comment
    comment
\t";
    let ast = parse(src).expect("parse");
    assert_eq!(ast.warnings.len(), 2);
    assert_eq!(ast.warnings[0].rule, "NoEmptyContinuation");
    assert_eq!(
        ast.nodes[2].original,
        "RUN something     following     more"
    );
    assert_eq!(ast.warnings[0].location.start_line, 11);
    assert_eq!(ast.nodes[3].original, "RUN another     thing");
    assert_eq!(ast.warnings[1].location.start_line, 15);
}

#[test]
fn scanner_errors() {
    let label = "a".repeat(64 * 1024);
    let src = format!("\n\t\tFROM image\n\t\tLABEL test={label}\n");
    assert_eq!(
        parse(&src).unwrap_err().message,
        "dockerfile line greater than max allowed size of 65535"
    );
}

#[test]
fn empty_files() {
    for src in ["", "\n\n", "# only\n# comments\n", "# syntax=foo\n"] {
        assert_eq!(
            parse(src).unwrap_err().message,
            "file with no instructions",
            "{src:?}"
        );
    }
}

fn hd(name: &str, content: &str, expand: bool, chomp: bool) -> Heredoc {
    Heredoc {
        name: name.into(),
        content: content.into(),
        expand,
        chomp,
    }
}

#[test]
fn extracts_heredocs() {
    let src = read(&testdata().join("heredocs/Dockerfile"));
    let expected: Vec<Vec<Heredoc>> = vec![
        vec![],
        vec![],
        vec![],
        vec![],
        vec![hd("EMPTY", "", true, false)],
        vec![hd("EMPTY2", "", true, false)],
        vec![],
        vec![hd("INDENT", "\tfoo\n\tbar\n", true, false)],
        vec![hd("UNINDENT", "\tbaz\n\tquux\n", true, true)],
        vec![hd("UNINDENT2", "\tbaz\n\tquux\n", true, true)],
        vec![hd("EXPAND", "\texpand $NAME\n", true, true)],
        vec![hd("NOEXPAND", "\tdon't expand $NAME\n", false, true)],
        vec![hd("COPY", "echo hello world\necho foo bar\n", true, false)],
        vec![hd(
            "COMMENT",
            "# internal comment\necho hello world\necho foo bar # trailing comment\n",
            true,
            false,
        )],
        vec![hd("MOUNT", "echo hello\n", true, false)],
        vec![
            hd("FILE1", "content 1\n", true, false),
            hd("FILE2", "content 2\n", true, false),
        ],
        vec![hd("EOF", "\"foo\"\n'bar'\n", true, false)],
        vec![hd("X", "Y\n", true, false), hd("Y", "X\n", true, false)],
        vec![hd("COMPLEX", "print('hello world')\n", true, false)],
        vec![hd("file.txt", "hello world\n", true, false)],
        vec![hd("eof", "echo foo\n", false, false)],
        vec![hd("eo'f", "echo foo\n", true, false)],
        vec![hd("eo'f", "echo foo\n", false, false)],
        vec![hd("one two", "echo bar\n", false, false)],
        vec![hd("$EOF", "", true, false)],
        vec![hd("EOF", "", true, false)],
        vec![hd("EOF", "", true, false)],
    ];
    let ast = parse(&src).expect("parse");
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(
            &ast.nodes[i + 1].heredocs,
            want,
            "node {} {}",
            i + 1,
            ast.nodes[i + 1].original
        );
    }
    // USER <<INVALID does not take a heredoc, so the next line is an (unknown) instruction.
    assert_eq!(ast.nodes[4].keyword, "invalid");
    assert_eq!(ast.nodes[4].args, vec![String::new()]);
}

#[test]
fn json_form_has_no_heredoc() {
    let ast =
        parse("\nFROM alpine:3.6\n\nRUN [\"whoami\"]\nRUN [\"<<EOF\"]\nRUN [\"<<'EOF'\"]\n\t")
            .expect("parse");
    for n in &ast.nodes[1..] {
        assert!(n.heredocs.is_empty());
        assert!(n.json);
    }
}

#[test]
fn heredoc_errors_and_locations() {
    let e = parse("FROM a\nRUN <<EOF\necho\n").unwrap_err();
    assert_eq!(e.message, "unterminated heredoc");
    assert_eq!(
        e.location,
        Some(Location {
            start_line: 2,
            end_line: 3,
            file: 0,
        })
    );
    let ast = parse("FROM a\nRUN <<EOF\r\necho\r\nEOF\r\nRUN x").expect("parse");
    assert_eq!(ast.nodes[1].heredocs[0].content, "echo\r\n");
    assert_eq!(
        ast.nodes[1].location,
        Location {
            start_line: 2,
            end_line: 4,
            file: 0,
        }
    );
    assert_eq!(
        ast.nodes[2].location,
        Location {
            start_line: 5,
            end_line: 5,
            file: 0,
        }
    );
    // ONBUILD triggers take heredocs too.
    let ast = parse("ONBUILD RUN <<EOF\nx\nEOF\n").expect("parse");
    assert_eq!(ast.nodes[0].heredocs[0].content, "x\n");
    assert_eq!(ast.dump(), "(onbuild (run \"<<EOF\"))");
}

#[test]
fn directives_and_escape() {
    let ast =
        parse("# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM a\nRUN x `\n y")
            .expect("parse");
    assert_eq!(ast.escape, '`');
    let names: Vec<&str> = ast.directives.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["syntax", "escape", "check"]);
    assert_eq!(ast.directives[2].location.start_line, 3);
    assert_eq!(ast.nodes[1].args, vec!["x  y".to_string()]);
    assert!(ast.nodes[0].prev_comment.is_empty());

    let e = parse("# escape=x\nFROM a").unwrap_err();
    assert_eq!(e.message, "invalid escape token 'x' does not match ` or \\");
    let e = parse("# escape=`\n#ESCAPE=\\\nFROM a").unwrap_err();
    assert_eq!(e.message, "only one escape parser directive can be used");
    assert_eq!(
        e.location,
        Some(Location {
            start_line: 2,
            end_line: 2,
            file: 0,
        })
    );

    // Directives stop at the first other line: later ones are plain comments.
    let ast = parse("# foo\n# escape=`\nFROM a").expect("parse");
    assert_eq!(ast.escape, '\\');
    assert!(ast.directives.is_empty());
    assert_eq!(
        ast.nodes[0].prev_comment,
        vec!["foo".to_string(), "escape=`".to_string()]
    );
    let ast = parse("# unknown=1\n# escape=`\nFROM a").expect("parse");
    assert_eq!(ast.escape, '\\');
    // A BOM and leading whitespace do not hide a directive.
    let ast = parse("\u{feff}  # escape=`\nFROM a").expect("parse");
    assert_eq!(ast.escape, '`');
}

#[test]
fn comments_attach_to_next_instruction() {
    let ast = parse("# a\n#\n# b\n\n  # c\nFROM x\nRUN y\n").expect("parse");
    assert_eq!(
        ast.nodes[0].prev_comment,
        vec!["b".to_string(), "# c".to_string()]
    );
    assert!(ast.nodes[1].prev_comment.is_empty());
}

#[test]
fn flags_and_forms() {
    let ast = parse("FROM --platform=$BUILDPLATFORM a AS b\nCOPY --from=b --chown=1:1 [\"a b\", \"/c\"]\nRUN --mount=type=cache,target=/x \\\n  echo hi\nHEALTHCHECK --interval=5s CMD [\"x\"]\n").expect("parse");
    assert_eq!(ast.dump(), "(from [\"--platform=$BUILDPLATFORM\"] \"a\" \"AS\" \"b\")\n(copy [\"--from=b\" \"--chown=1:1\"] \"a b\" \"/c\")\n(run [\"--mount=type=cache,target=/x\"] \"echo hi\")\n(healthcheck [\"--interval=5s\"] \"CMD\" \"x\")");
    assert!(ast.nodes[1].json);
    assert!(!ast.nodes[2].json);
    assert!(ast.nodes[3].json);
}

#[test]
fn legacy_env_warns() {
    let ast = parse("FROM a\nENV A b c\nenv A=b\nLabel x y\n").expect("parse");
    let rules: Vec<(&str, &str)> = ast
        .warnings
        .iter()
        .map(|w| (w.rule.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        rules,
        vec![
            (
                "LegacyKeyValueFormat",
                "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format"
            ),
            (
                "LegacyKeyValueFormat",
                "\"Label key=value\" should be used instead of legacy \"Label key value\" format"
            ),
        ]
    );
    assert!(ast.nodes[1].legacy_key_value);
    assert_eq!(ast.nodes[1].args, vec!["A".to_string(), "b c".to_string()]);
}

#[test]
fn parse_errors() {
    let cases = [
        (
            "FROM a\nCMD [\"a\", 1]",
            "when using JSON array syntax, arrays must be comprised of strings only",
            (2, 2),
        ),
        ("FROM a\nENV x", "ENV must have two arguments", (2, 2)),
        (
            "FROM a\nLABEL \\\n x",
            "LABEL must have two arguments",
            (2, 3),
        ),
        (
            "FROM a\nENV a=b c",
            "Syntax error - can't find = in \"c\". Must be of the form: name=value",
            (2, 2),
        ),
        (
            "FROM a\nONBUILD ONBUILD RUN [1]",
            "when using JSON array syntax, arrays must be comprised of strings only",
            (2, 2),
        ),
    ];
    for (src, msg, (s, e)) in cases {
        let err = parse(src).unwrap_err();
        assert_eq!(err.message, msg, "{src}");
        assert_eq!(
            err.location,
            Some(Location {
                start_line: s,
                end_line: e,
                file: 0,
            }),
            "{src}"
        );
    }
}

#[test]
fn onbuild_chains_are_bounded() {
    let src = format!("{}RUN x", "ONBUILD \\\n".repeat(100_000));
    let ast = parse(&src).expect("parse");
    let mut depth = 0;
    let mut n = &ast.nodes[0];
    while let Some(s) = &n.sub {
        depth += 1;
        n = s;
    }
    assert!(depth <= 8);
    let src = format!("{}RUN [1]", "ONBUILD \\\n".repeat(10_000));
    assert!(parse(&src).is_err());
}

#[test]
fn continuation_at_eof_and_whitespace_after_escape() {
    let ast = parse("FROM a\nRUN a \\   \n  b \\").expect("parse");
    assert_eq!(ast.nodes[1].args, vec!["a   b".to_string()]);
    let ast = parse("FROM a\n\\\n").expect("parse");
    assert_eq!(ast.nodes.len(), 2);
    assert_eq!(ast.nodes[1].keyword, "");
}

/// Pathological inputs: every one must end in a result or an error, quickly, without a panic
/// or a stack overflow (the fuzz target in fuzz/ explores further).
mod pathological {
    use super::*;
    use crate::instructions;
    use std::time::{Duration, Instant};

    fn run(name: &str, src: &str) {
        let start = Instant::now();
        if let Ok(ast) = parse(src) {
            let _ = ast.dump();
            let _ = instructions::parse_dockerfile(&ast);
        }
        let _ = detect_syntax(src);
        // Generous for unoptimised test builds on a loaded machine; quadratic behaviour on these
        // sizes would take minutes.
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{name} took {:?}",
            start.elapsed()
        );
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
            v[(self.next() % v.len() as u64) as usize]
        }
    }

    #[test]
    fn deep_and_long_inputs() {
        run(
            "continuations",
            &format!("FROM a\nRUN a \\\n{}b", "  x \\\n".repeat(200_000)),
        );
        run(
            "empty continuations",
            &format!("FROM a\nRUN a \\\n{}b", "\n".repeat(200_000)),
        );
        run(
            "comment continuations",
            &format!("FROM a\nRUN a \\\n{}b", "# c\n".repeat(200_000)),
        );
        run(
            "heredoc",
            &format!("FROM a\nRUN <<EOF\n{}EOF\n", "echo x\n".repeat(200_000)),
        );
        run(
            "unterminated heredoc",
            &format!("FROM a\nRUN <<EOF\n{}", "echo x\n".repeat(200_000)),
        );
        let names: String = (0..5_000).map(|i| format!("<<E{i} ")).collect();
        let bodies: String = (0..5_000).map(|i| format!("x\nE{i}\n")).collect();
        run(
            "many heredocs",
            &format!("FROM a\nCOPY {names}/dst\n{bodies}"),
        );
        run(
            "json brackets",
            &format!("FROM a\nCMD {}", "[".repeat(60_000)),
        );
        run(
            "json closed",
            &format!("FROM a\nCMD {}{}", "[".repeat(30_000), "]".repeat(30_000)),
        );
        run(
            "json continued",
            &format!("FROM a\nCMD \\\n{}", "[[[[[[[[[[ \\\n".repeat(50_000)),
        );
        run(
            "dollar nesting",
            &format!("FROM a\nRUN <<EOF {}\nEOF", "${a:-".repeat(12_000)),
        );
        run(
            "onbuild chain",
            &format!("FROM a\n{}RUN x", "ONBUILD \\\n".repeat(100_000)),
        );
        run(
            "flags",
            &format!(
                "FROM a\nRUN {}echo",
                "--mount=type=cache,target=/x ".repeat(2_000)
            ),
        );
        run(
            "flag continuation",
            &format!("FROM a\nCOPY \\\n{}a b", "--exclude=x \\\n".repeat(100_000)),
        );
        let comments = "# a b\n".repeat(50_000);
        let args: String = (0..50_000).map(|i| format!("a{i} ")).collect();
        run(
            "args under comments",
            &format!("{comments}ARG {args}\nFROM a"),
        );
        run("long line", &format!("FROM a\nRUN {}", "x".repeat(65_000)));
        run(
            "quotes",
            &format!("FROM a\nENV {}", "a=\"b ".repeat(10_000)),
        );
        run("escapes", &format!("FROM a\nENV a={}", "\\".repeat(60_001)));
        run("many instructions", &"FROM a\nRUN x\n".repeat(50_000));
        run("stages", &"FROM a AS b\n".repeat(50_000));
        run("directive-like", &"# escape=`\n".repeat(100_000));
        run("crlf", &"FROM a\r\nRUN a \\\r\n b\r\n".repeat(20_000));
    }

    #[test]
    fn random_inputs() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let pieces = [
            "FROM ",
            "RUN ",
            "COPY ",
            "ADD ",
            "ENV ",
            "LABEL ",
            "ARG ",
            "CMD ",
            "ONBUILD ",
            "HEALTHCHECK ",
            "SHELL ",
            "--mount=",
            "--from=",
            "--link",
            "--",
            " ",
            "\t",
            "\n",
            "\r\n",
            "\\",
            "`",
            "\\\n",
            "<<",
            "<<-",
            "EOF",
            "'",
            "\"",
            "[",
            "]",
            "{",
            "}",
            ",",
            "=",
            "$",
            "${",
            "#",
            "# escape=`\n",
            "é",
            "\u{a0}",
            "\u{85}",
            "\u{feff}",
            "\u{0}",
            "1e999",
            "a",
            "b=c",
            "NONE",
            "CMD",
        ];
        for _ in 0..3_000 {
            let n = (rng.next() % 64) as usize;
            let src: String = (0..n).map(|_| rng.pick(&pieces)).collect();
            run("random pieces", &src);
        }
        for _ in 0..1_000 {
            let n = (rng.next() % 512) as usize;
            let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
            run("random bytes", &String::from_utf8_lossy(&bytes));
        }
    }
}
