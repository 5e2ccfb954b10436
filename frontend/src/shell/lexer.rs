//! The expansion itself: a port of BuildKit's `shellWord` (frontend/dockerfile/shell/lex.go).
//!
//! Errors are BuildKit's messages as plain strings; `Lex` adds the "failed to process" prefix.

use super::env::EnvGetter;
use super::lex::{Lex, SizeLimit};
use super::pattern::{replace, trim_prefix, trim_suffix};
use super::scanner::{rune_string, Scanner};
use super::words::Words;
use crate::gocompat::unicode::{is_digit, is_letter};
use std::collections::BTreeSet;

/// How deeply `${…}` may nest. BuildKit has no limit (Go stacks grow to 1 GiB); we recurse once
/// per level (about 4 KiB of stack per level in debug builds), so a bound keeps hostile input
/// from overflowing a thread's stack, and also caps the copying of nested results at
/// `MAX_NESTING` times the input. Real Dockerfiles nest a handful of levels.
pub(super) const MAX_NESTING: usize = 128;

type Res<T> = Result<T, String>;

pub(super) struct ShellWord<'a> {
    lex: &'a Lex,
    env: &'a dyn EnvGetter,
    scanner: Scanner<'a>,
    raw_escapes: bool,
    /// Record which names were looked up (ProcessWords does not).
    capture: bool,
    /// Split the result into words (only ProcessWords and ProcessWordWithMatches give them).
    split: bool,
    pub(super) matched: BTreeSet<String>,
    pub(super) unmatched: BTreeSet<String>,
    /// The word being split. BuildKit keeps one buffer for all nesting levels and every nested
    /// `${v:-word}` clears it, so a word in progress before such an expansion is lost from
    /// `process_words` (`a${x:-b}` splits to `[b]`). Kept shared to give the same words.
    words_buffer: String,
    depth: usize,
    limit: SizeLimit,
}

impl<'a> ShellWord<'a> {
    pub(super) fn new(
        lex: &'a Lex,
        word: &'a str,
        env: &'a dyn EnvGetter,
        capture: bool,
        split: bool,
    ) -> Self {
        ShellWord {
            lex,
            env,
            scanner: Scanner::new(word),
            raw_escapes: lex.raw_escapes,
            capture,
            split,
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
            words_buffer: String::new(),
            depth: 0,
            limit: SizeLimit {
                max: word.len().saturating_add(lex.max_len),
                added: lex.max_len,
            },
        }
    }

    /// Fails when a result would grow to `len` bytes, past the limit: where variable values
    /// are added, the only way a result can outgrow the word.
    fn check_len(&self, len: usize) -> Res<()> {
        self.limit.check(len)
    }

    /// The whole word: its expansion and its words.
    pub(super) fn process(&mut self) -> Res<(String, Vec<String>)> {
        self.process_stop_on(None, self.raw_escapes, false)
    }

    /// Reads until `stop` (consumed) or the end. `raw_escapes` keeps escape characters in the
    /// result; `preserve_pattern_escapes` doubles escapes inside quotes so that a quoted pattern
    /// operand stays literal when the pattern is parsed.
    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
        preserve_pattern_escapes: bool,
    ) -> Res<(String, Vec<String>)> {
        let saved = std::mem::replace(&mut self.raw_escapes, raw_escapes);
        let out = self.stop_on_loop(stop, preserve_pattern_escapes);
        self.raw_escapes = saved;
        out
    }

    fn stop_on_loop(
        &mut self,
        stop: Option<char>,
        preserve_pattern_escapes: bool,
    ) -> Res<(String, Vec<String>)> {
        // The outermost level usually gives back about what it reads: one allocation.
        let mut result = if stop.is_none() {
            String::with_capacity(self.scanner.remaining())
        } else {
            String::new()
        };
        self.words_buffer.clear();
        // Only the outermost level (the one without a stop character) keeps its words.
        let mut words = Words::new(self.split && stop.is_none());
        let quotes = !self.lex.skip_process_quotes;
        let escape = self.lex.escape;

        while let Some(ch) = self.scanner.peek() {
            if stop == Some(ch) {
                self.scanner.next();
                return Ok((result, words.finish(&mut self.words_buffer)));
            }
            match ch {
                '$' => {
                    let tmp = self.process_dollar()?;
                    self.check_len(result.len().saturating_add(tmp.len()))?;
                    result.push_str(&tmp);
                    words.add_string(&mut self.words_buffer, &tmp);
                }
                '<' => {
                    let tmp = self.process_possible_heredoc();
                    result.push_str(&tmp);
                    words.add_raw_string(&mut self.words_buffer, &tmp);
                }
                '\'' if quotes => {
                    let tmp = self.process_single_quote(preserve_pattern_escapes)?;
                    result.push_str(&tmp);
                    words.add_raw_string(&mut self.words_buffer, &tmp);
                }
                '"' if quotes => {
                    let tmp = self.process_double_quote(preserve_pattern_escapes)?;
                    self.check_len(result.len().saturating_add(tmp.len()))?;
                    result.push_str(&tmp);
                    words.add_raw_string(&mut self.words_buffer, &tmp);
                }
                _ => {
                    self.scanner.next();
                    if ch != escape {
                        words.add_char(&mut self.words_buffer, ch);
                        result.push(ch);
                        continue;
                    }
                    if self.raw_escapes {
                        words.add_raw_char(&mut self.words_buffer, ch);
                        result.push(ch);
                    }
                    // The escape escapes anything; at the very end it is dropped.
                    let Some(escaped) = self.scanner.next() else {
                        break;
                    };
                    words.add_raw_char(&mut self.words_buffer, escaped);
                    result.push(escaped);
                }
            }
        }
        if let Some(stop) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish(&mut self.words_buffer)))
    }

    /// Everything up to the closing `'` is literal; there is no escaping it.
    fn process_single_quote(&mut self, preserve_pattern_escapes: bool) -> Res<String> {
        let mut result = String::new();
        self.scanner.next();
        if self.lex.raw_quotes {
            result.push('\'');
        }
        loop {
            match self.scanner.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .to_owned(),
                    )
                }
                Some('\'') => {
                    if self.lex.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(ch) => {
                    if preserve_pattern_escapes && ch == self.lex.escape {
                        result.push(ch);
                    }
                    result.push(ch);
                }
            }
        }
    }

    /// Variables expand inside `"…"`; the escape only escapes `"`, `$` and itself.
    fn process_double_quote(&mut self, preserve_pattern_escapes: bool) -> Res<String> {
        let mut result = String::new();
        let escape = self.lex.escape;
        self.scanner.next();
        if self.lex.raw_quotes {
            result.push('"');
        }
        loop {
            match self.scanner.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .to_owned(),
                    )
                }
                Some('"') => {
                    self.scanner.next();
                    if self.lex.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    self.check_len(result.len().saturating_add(value.len()))?;
                    result.push_str(&value);
                }
                Some(mut ch) => {
                    self.scanner.next();
                    if ch == escape {
                        match self.scanner.peek() {
                            // An escape right before the end is dropped (then the quote is unclosed).
                            None => continue,
                            Some(next) if next == '"' || next == '$' || next == escape => {
                                if self.raw_escapes {
                                    result.push(ch);
                                }
                                self.scanner.next();
                                ch = next;
                            }
                            Some(_) => {
                                // Kept as written; patterns need it doubled even with raw quotes.
                                if self.raw_escapes
                                    && (!self.lex.raw_quotes || preserve_pattern_escapes)
                                {
                                    result.push(ch);
                                }
                            }
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn process_dollar(&mut self) -> Res<String> {
        if self.depth >= MAX_NESTING {
            return Err(format!(
                "syntax error: variable expansions nested more than {MAX_NESTING} levels deep"
            ));
        }
        self.depth += 1;
        let out = self.process_dollar_inner();
        self.depth -= 1;
        out
    }

    fn process_dollar_inner(&mut self) -> Res<String> {
        self.scanner.next();

        // $name
        if self.scanner.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".to_owned());
            }
            return Ok(match self.get_env(name) {
                Some(value) => value.to_owned(),
                None if self.lex.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }

        self.scanner.next();
        match self.scanner.peek() {
            None => return Err("syntax error: missing '}'".to_owned()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".to_owned()),
            _ => {}
        }
        let name = self.process_name();
        let ch = self.scanner.next();
        match ch {
            Some('}') => Ok(match self.get_env(name) {
                Some(value) => value.to_owned(),
                None if self.lex.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            Some(':') => {
                let op = self.scanner.next();
                let chs = format!(":{}", rune_string(op));
                self.process_modifier(name, op, &chs, true)
            }
            Some('+' | '-' | '?' | '#' | '%') => {
                self.process_modifier(name, ch, &rune_string(ch).to_string(), false)
            }
            Some('/') => self.process_replace(name),
            _ => Err(format!(
                "unsupported modifier ({}) in substitution",
                rune_string(ch)
            )),
        }
    }

    /// `${name<op>word}` and `${name:<op>word}`. The word is read (and its variables looked up)
    /// before an unknown operator is rejected, as BuildKit does.
    fn process_modifier(
        &mut self,
        name: &str,
        op: Option<char>,
        chs: &str,
        null_is_unset: bool,
    ) -> Res<String> {
        let pattern_op = matches!(op, Some('#' | '%'));
        if null_is_unset && pattern_op {
            return Err(format!("unsupported modifier ({chs}) in substitution"));
        }
        let word = match self.process_stop_on(Some('}'), pattern_op, pattern_op) {
            Ok((word, _)) => word,
            Err(_) if self.scanner.peek().is_none() => {
                return Err("syntax error: missing '}'".to_owned())
            }
            Err(e) => return Err(e),
        };

        let value = self.get_env(name);
        if self.lex.skip_unset_env && value.is_none() {
            return Ok(format!("${{{name}{chs}{word}}}"));
        }
        let set = value.is_some();
        let value = value.unwrap_or_default();
        let null = !set || (null_is_unset && value.is_empty());

        match op {
            Some('-') => Ok(if null { word } else { value.to_owned() }),
            Some('+') => Ok(if null { String::new() } else { word }),
            Some('?') => {
                if null {
                    let message = if !word.is_empty() {
                        word.as_str()
                    } else if !set {
                        "is not allowed to be unset"
                    } else {
                        "is not allowed to be empty"
                    };
                    return Err(format!("{name}: {message}"));
                }
                Ok(value.to_owned())
            }
            Some(c @ ('#' | '%')) => {
                // A doubled operator (`##`, `%%`) asks for the longest match.
                let (pattern, greedy) = match word.strip_prefix(c) {
                    Some(rest) => (rest, true),
                    None => (word.as_str(), false),
                };
                if c == '%' {
                    trim_suffix(pattern, value, greedy)
                } else {
                    trim_prefix(pattern, value, greedy)
                }
            }
            _ => Err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    /// `${name/pattern/replacement}` and `${name//pattern/replacement}`.
    fn process_replace(&mut self, name: &str) -> Res<String> {
        let all = self.scanner.peek() == Some('/');
        if all {
            self.scanner.next();
        }
        let pattern = match self.process_stop_on(Some('/'), true, true) {
            Ok((pattern, _)) => pattern,
            Err(_) if self.scanner.peek().is_none() => {
                return Err("syntax error: missing '/' in ${}".to_owned())
            }
            Err(e) => return Err(e),
        };
        let replacement = match self.process_stop_on(Some('}'), true, false) {
            Ok((replacement, _)) => replacement,
            Err(_) if self.scanner.peek().is_none() => {
                return Err("syntax error: missing '}'".to_owned())
            }
            Err(e) => return Err(e),
        };

        let value = self.get_env(name);
        if self.lex.skip_unset_env && value.is_none() {
            // BuildKit writes a single `/` back even for `//`.
            return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
        }
        replace(
            &pattern,
            value.unwrap_or_default(),
            &replacement,
            all,
            self.limit,
        )
    }

    /// A name: letters, digits and `_`; or all the digits of a positional parameter; or one
    /// special parameter character.
    fn process_name(&mut self) -> &'a str {
        let start = self.scanner.rest();
        let mut len = 0;
        let mut take = |scanner: &mut Scanner<'a>, ch: char| {
            scanner.next();
            len += ch.len_utf8();
        };
        match self.scanner.peek() {
            Some(ch) if is_digit(ch) => {
                while let Some(d) = self.scanner.peek().filter(|&c| is_digit(c)) {
                    take(&mut self.scanner, d);
                }
            }
            Some(ch) if is_special_param(ch) => take(&mut self.scanner, ch),
            _ => {
                while let Some(ch) = self
                    .scanner
                    .peek()
                    .filter(|&c| is_letter(c) || is_digit(c) || c == '_')
                {
                    take(&mut self.scanner, ch);
                }
            }
        }
        &start[..len]
    }

    /// `<<` keeps the whitespace after it in the same word so a heredoc marker stays whole.
    fn process_possible_heredoc(&mut self) -> String {
        self.scanner.next();
        if self.scanner.peek() != Some('<') {
            return "<".to_owned();
        }
        self.scanner.next();
        let mut result = "<<".to_owned();
        while let Some(ch) = self
            .scanner
            .peek()
            .filter(|c| matches!(c, '\t' | '\r' | ' '))
        {
            result.push(ch);
            self.scanner.next();
        }
        result
    }

    fn get_env(&mut self, name: &str) -> Option<&'a str> {
        let value = self.env.get(name);
        if self.capture {
            let set = if value.is_some() {
                &mut self.matched
            } else {
                &mut self.unmatched
            };
            if !set.contains(name) {
                set.insert(name.to_owned());
            }
        }
        value
    }
}

/// POSIX special parameters; BuildKit never sets them, so they expand to nothing.
fn is_special_param(ch: char) -> bool {
    matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}
