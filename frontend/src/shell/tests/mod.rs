//! Tests of the whole expansion. Expected values are BuildKit's: its own test tables
//! (`buildkit`), single rules checked against BuildKit v0.34.2 (`rules`), a corpus of inputs run
//! through BuildKit's lex.go (`golden`), and resource bounds (`limits`).

mod buildkit;
mod golden;
mod limits;
mod rules;

use super::Lex;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn lex() -> Lex {
    Lex::new('\\')
}

/// `process_word` with `\` as escape, `Err` holding BuildKit's message.
fn word(input: &str, vars: &[(&str, &str)]) -> Result<String, String> {
    lex().process_word(input, &env(vars)).map_err(|e| e.message)
}

/// Words with nothing to expand skip the lexer: they must come out as the lexer gives them.
#[test]
fn literal_words_take_the_fast_path_with_the_lexers_result() {
    let env = env(&[("A", "x")]);
    for escape in ['\\', '`'] {
        for skip_quotes in [false, true] {
            let mut lex = Lex::new(escape);
            lex.skip_process_quotes = skip_quotes;
            for w in [
                "",
                " ",
                "plain",
                "two words",
                " lead and trail ",
                "a\tb\u{a0}c\u{2003}d",
                "/usr/bin:/bin",
                "é ü 日本",
                "{A}",
                "a>b",
                "q'uote\"s",
                "tick`s",
                "back\\slash",
            ] {
                let mut sw = super::lexer::ShellWord::new(&lex, w, &env, true, true);
                let Ok((result, words)) = sw.process() else {
                    continue;
                };
                if lex.is_literal(w) {
                    assert_eq!(lex.process_word(w, &env).unwrap(), result, "{w:?}");
                    assert_eq!(lex.process_words(w, &env).unwrap(), words, "{w:?}");
                    let m = lex.process_word_with_matches(w, &env).unwrap();
                    assert_eq!((m.result, m.words), (result, words), "{w:?}");
                }
            }
        }
    }
    assert!(!lex().is_literal("\u{FEFF}bom"));
    assert!(!lex().is_literal("$A"));
    assert!(!lex().is_literal("<<EOF"));
}
