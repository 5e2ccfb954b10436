//! Shell word expansion for Dockerfile instructions: a port of BuildKit's
//! `frontend/dockerfile/shell` package (v0.34.2).
//!
//! Expands `$name`, `${name}` and the `${name<op>word}` forms, removes quotes and escapes, and
//! optionally splits the result into words. See `docs/word-expansion.md` for the forms.
//!
//! ```
//! use dockerfile_frontend::shell::Lex;
//! let env = vec![("NAME".to_owned(), "world".to_owned())];
//! let out = Lex::new('\\').process_word("hello ${NAME:-you}", &env).unwrap();
//! assert_eq!(out, "hello world");
//! ```

mod env;
mod lex;
mod lexer;
mod matcher;
mod pattern;
mod regex_limits;
mod scanner;
mod words;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;

pub use env::{envs_from_slice, EnvGetter};
pub use lex::Lex;

use std::collections::BTreeSet;

/// The outcome of an expansion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessResult {
    /// The expanded word, quotes and escapes removed.
    pub result: String,
    /// The expanded word split at unquoted whitespace, empty words dropped.
    pub words: Vec<String>,
    /// Names that were looked up and set (possibly to the empty string).
    pub matched: BTreeSet<String>,
    /// Names that were looked up and not set (for the UndefinedVar check).
    pub unmatched: BTreeSet<String>,
}

/// A malformed word or a `${name?message}` failure, worded as BuildKit words it:
/// `failed to process "<word>": <reason>`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ShellError {
    pub message: String,
}

impl Lex {
    pub fn new(escape: char) -> Self {
        Lex {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
            max_len: crate::limits::EXPANDED_WORD,
        }
    }

    /// The expansion limit for a Dockerfile of `source_len` bytes: [`crate::limits::EXPANDED_WORD`]
    /// or the Dockerfile's size, when larger (so a value spelt out in the file always fits).
    pub fn with_limit_for(self, source_len: usize) -> Self {
        self.with_limits(crate::limits::Limits::default().for_source(source_len))
    }

    /// The expansion limit of `limits` (already scaled to the Dockerfile).
    pub fn with_limits(mut self, limits: crate::limits::Limits) -> Self {
        self.max_len = limits.word;
        self
    }

    /// Expands `word` into one string (BuildKit's `ProcessWord`).
    pub fn process_word(&self, word: &str, env: &dyn EnvGetter) -> Result<String, ShellError> {
        if self.is_literal(word) {
            return Ok(word.to_owned());
        }
        // Neither the names looked up nor the words are wanted.
        self.process(word, env, false, false).map(|r| r.result)
    }

    /// Expands `word` and splits it into words at unquoted whitespace (BuildKit's
    /// `ProcessWords`). Splitting happens after expansion, so a variable holding spaces yields
    /// several words unless quoted.
    pub fn process_words(
        &self,
        word: &str,
        env: &dyn EnvGetter,
    ) -> Result<Vec<String>, ShellError> {
        if self.is_literal(word) {
            return Ok(literal_words(word));
        }
        self.process(word, env, false, true).map(|r| r.words)
    }

    /// Expands `word` and reports which variables were found and which were not (BuildKit's
    /// `ProcessWordWithMatches`).
    pub fn process_word_with_matches(
        &self,
        word: &str,
        env: &dyn EnvGetter,
    ) -> Result<ProcessResult, ShellError> {
        self.process(word, env, true, true)
    }

    /// Nothing in `word` is expanded or removed: no variable, quote, escape or heredoc
    /// marker, and no leading byte order mark (which the scanner drops). Most words are like
    /// this, and they expand to themselves without running the lexer.
    fn is_literal(&self, word: &str) -> bool {
        let quotes = !self.skip_process_quotes;
        if word.starts_with('\u{FEFF}') || word.contains(self.escape) {
            return false;
        }
        !word
            .bytes()
            .any(|b| b == b'$' || b == b'<' || (quotes && (b == b'\'' || b == b'"')))
    }

    fn process(
        &self,
        word: &str,
        env: &dyn EnvGetter,
        capture: bool,
        split: bool,
    ) -> Result<ProcessResult, ShellError> {
        if self.is_literal(word) {
            return Ok(ProcessResult {
                result: word.to_owned(),
                words: literal_words(word),
                ..Default::default()
            });
        }
        let mut sw = lexer::ShellWord::new(self, word, env, capture, split);
        match sw.process() {
            Ok((result, words)) => Ok(ProcessResult {
                result,
                words,
                matched: sw.matched,
                unmatched: sw.unmatched,
            }),
            Err(reason) => Err(ShellError {
                message: format!(
                    "failed to process {}: {reason}",
                    crate::gocompat::go_quote(word)
                ),
            }),
        }
    }
}

/// The words of a word with nothing to expand: split at whitespace, empty words dropped.
fn literal_words(word: &str) -> Vec<String> {
    word.split(crate::gocompat::unicode::is_space)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}
