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
