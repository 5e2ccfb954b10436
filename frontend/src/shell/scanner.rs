//! A character cursor with the two quirks of Go's `text/scanner` that BuildKit's lexer inherits.

/// Reads a string one `char` at a time, like the `Peek`/`Next` part of Go's `text/scanner`.
///
/// Like Go's scanner it drops a byte order mark (U+FEFF) at the very start of the input; BuildKit
/// scans both the word and every `${v#pattern}` pattern with it, so both lose a leading BOM.
/// `None` stands for Go's `scanner.EOF`.
pub(super) struct Scanner<'a> {
    rest: &'a str,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        Scanner {
            rest: src.strip_prefix('\u{FEFF}').unwrap_or(src),
        }
    }

    /// The text not read yet.
    pub(super) fn rest(&self) -> &'a str {
        self.rest
    }

    /// The bytes not read yet.
    pub(super) fn remaining(&self) -> usize {
        self.rest.len()
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    pub(super) fn next(&mut self) -> Option<char> {
        let ch = self.peek()?;
        self.rest = &self.rest[ch.len_utf8()..];
        Some(ch)
    }
}

/// Go's `string(r)` for a scanned rune: EOF (-1) is not a valid rune and becomes U+FFFD.
pub(super) fn rune_string(ch: Option<char>) -> char {
    ch.unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_only_a_leading_bom() {
        let mut s = Scanner::new("\u{FEFF}a\u{FEFF}");
        assert_eq!(s.next(), Some('a'));
        assert_eq!(s.peek(), Some('\u{FEFF}'));
        assert_eq!(s.next(), Some('\u{FEFF}'));
        assert_eq!(s.next(), None);
        assert_eq!(s.next(), None);
    }
}
