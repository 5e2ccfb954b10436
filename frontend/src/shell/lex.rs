//! The options of an expansion and its size limit, apart from the code that expands (`mod.rs`,
//! `lexer.rs`, `pattern.rs`), so each reads them without depending on the others.

/// Options of one expansion, like BuildKit's `shell.Lex`. Cheap to clone; holds no state
/// between calls, so one `Lex` may be used from several threads.
#[derive(Clone, Debug)]
pub struct Lex {
    /// The escape character: `\` by default, `` ` `` with `# escape=``.
    pub escape: char,
    /// Keep the quote characters in the result (quoting still groups words).
    pub raw_quotes: bool,
    /// Keep escape characters in the result.
    pub raw_escapes: bool,
    /// Treat `'` and `"` as ordinary characters.
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as written instead of expanding them to nothing.
    pub skip_unset_env: bool,
    /// The most bytes an expansion may add to the word's own length: past it the word is an
    /// error, so that variables doubling each other cannot grow without bound.
    /// [`crate::limits::EXPANDED_WORD`] by default; see [`Lex::with_limit_for`].
    pub max_len: usize,
}

/// How long the results of expanding one word may grow.
#[derive(Clone, Copy, Debug)]
pub(super) struct SizeLimit {
    /// The most bytes a result may hold: the word's length and `added`.
    pub max: usize,
    /// What expansion may add to the word (`Lex::max_len`), named in the error.
    pub added: usize,
}

impl SizeLimit {
    /// The error for a result of `len` bytes, when it is over the limit.
    pub(super) fn check(self, len: usize) -> Result<(), String> {
        if len > self.max {
            return Err(format!(
                "expanded value exceeds the limit of {} per word",
                crate::limits::format_size(self.added)
            ));
        }
        Ok(())
    }
}
