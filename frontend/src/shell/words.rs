//! Splitting the expanded text into words, as BuildKit's `wordsStruct` does.

use crate::gocompat::unicode::is_space;

/// Words finished so far; the word in progress lives in a buffer owned by the caller, because
/// BuildKit shares that buffer between nesting levels (see `lexer::ShellWord::words_buffer`).
///
/// Only the outermost level's words are ever used: a nested level's words are dropped and it
/// leaves the shared buffer empty when it ends. So nested levels are created disabled, which
/// gives the same words without splitting a long text again at every level.
pub(super) struct Words {
    words: Vec<String>,
    in_word: bool,
    enabled: bool,
}

impl Words {
    pub(super) fn new(enabled: bool) -> Self {
        Words {
            words: Vec::new(),
            in_word: false,
            enabled,
        }
    }

    /// A character from unquoted text: whitespace ends the current word.
    pub(super) fn add_char(&mut self, buf: &mut String, ch: char) {
        if !self.enabled {
            return;
        }
        if !is_space(ch) {
            self.add_raw_char(buf, ch);
        } else if self.in_word && !buf.is_empty() {
            self.words.push(std::mem::take(buf));
            self.in_word = false;
        }
    }

    /// A character that belongs to the word whatever it is (escaped).
    pub(super) fn add_raw_char(&mut self, buf: &mut String, ch: char) {
        if !self.enabled {
            return;
        }
        buf.push(ch);
        self.in_word = true;
    }

    /// Expanded variable values are split like unquoted text.
    pub(super) fn add_string(&mut self, buf: &mut String, s: &str) {
        if !self.enabled {
            return;
        }
        for ch in s.chars() {
            self.add_char(buf, ch);
        }
    }

    /// Quoted text stays in one word.
    pub(super) fn add_raw_string(&mut self, buf: &mut String, s: &str) {
        if !self.enabled {
            return;
        }
        buf.push_str(s);
        self.in_word = true;
    }

    /// The words, dropping an empty last one (`""` alone yields no word).
    pub(super) fn finish(mut self, buf: &mut String) -> Vec<String> {
        if !buf.is_empty() {
            self.words.push(std::mem::take(buf));
        }
        self.words
    }
}
