//! Heredoc detection (`<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF`), ported from parser.go.
//!
//! BuildKit finds heredoc words by running its shell lexer over the line (empty environment,
//! unset variables left as written), so the relevant part of that lexer is reproduced here.
//! Nested `${…}` recursion is capped at [`MAX_NESTING`] to keep the stack bounded; beyond it
//! the lexer reports an error (treated like any other lexing error).

const MAX_NESTING: usize = 100;

/// The heredoc start found in one word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeredocStart {
    pub name: String,
    pub expand: bool,
    pub chomp: bool,
    pub fd: u64,
}

/// A subset of BuildKit's `shell.Lex` with escape token `\`, `SkipUnsetEnv` and no variables.
struct Lexer {
    chars: Vec<char>,
    pos: usize,
    raw_quotes: bool,
    raw_escapes: bool,
    /// Shared by nested `process_stop_on` calls, as in Go (the inner call resets it).
    words_buf: String,
    depth: usize,
}

struct Words {
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, buf: &mut String, c: char) {
        if c.is_whitespace() && self.in_word {
            if !buf.is_empty() {
                self.words.push(std::mem::take(buf));
                self.in_word = false;
            }
        } else if !c.is_whitespace() {
            self.add_raw_char(buf, c);
        }
    }
    fn add_raw_char(&mut self, buf: &mut String, c: char) {
        buf.push(c);
        self.in_word = true;
    }
    fn add_string(&mut self, buf: &mut String, s: &str) {
        for c in s.chars() {
            self.add_char(buf, c);
        }
    }
    fn add_raw_string(&mut self, buf: &mut String, s: &str) {
        buf.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self, buf: &mut String) -> Vec<String> {
        if !buf.is_empty() {
            self.words.push(std::mem::take(buf));
            self.in_word = false;
        }
        self.words
    }
}

const ESCAPE: char = '\\';

impl Lexer {
    fn new(src: &str, raw_quotes: bool, raw_escapes: bool) -> Self {
        let mut chars: Vec<char> = src.chars().collect();
        // text/scanner skips a leading byte order mark.
        if chars.first() == Some(&'\u{feff}') {
            chars.remove(0);
        }
        Lexer {
            chars,
            pos: 0,
            raw_quotes,
            raw_escapes,
            words_buf: String::new(),
            depth: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn process_words(mut self) -> Result<Vec<String>, String> {
        let raw = self.raw_escapes;
        self.process_stop_on(None, raw, false).map(|(_, w)| w)
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
        preserve_pattern_escapes: bool,
    ) -> Result<(String, Vec<String>), String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err("nesting too deep".to_string());
        }
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let r = self.stop_on_inner(stop, preserve_pattern_escapes);
        self.raw_escapes = saved;
        self.depth -= 1;
        r
    }

    fn stop_on_inner(
        &mut self,
        stop: Option<char>,
        preserve: bool,
    ) -> Result<(String, Vec<String>), String> {
        let mut result = String::new();
        self.words_buf.clear();
        let mut words = Words {
            words: Vec::new(),
            in_word: false,
        };
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                let mut buf = std::mem::take(&mut self.words_buf);
                let w = words.finish(&mut buf);
                self.words_buf = buf;
                return Ok((result, w));
            }
            let special = match ch {
                '$' => Some(self.process_dollar()?),
                '<' => Some(self.process_possible_heredoc()),
                '\'' => Some(self.process_single_quote(preserve)?),
                '"' => Some(self.process_double_quote(preserve)?),
                _ => None,
            };
            let mut buf = std::mem::take(&mut self.words_buf);
            if let Some(tmp) = special {
                result.push_str(&tmp);
                if ch == '$' {
                    words.add_string(&mut buf, &tmp);
                } else {
                    words.add_raw_string(&mut buf, &tmp);
                }
            } else {
                let mut c = self.next().unwrap_or(ch);
                if c == ESCAPE {
                    if self.raw_escapes {
                        words.add_raw_char(&mut buf, c);
                        result.push(c);
                    }
                    match self.next() {
                        None => {
                            self.words_buf = buf;
                            break;
                        }
                        Some(n) => c = n,
                    }
                    words.add_raw_char(&mut buf, c);
                } else {
                    words.add_char(&mut buf, c);
                }
                result.push(c);
            }
            self.words_buf = buf;
        }
        if let Some(s) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {s}"
            ));
        }
        let mut buf = std::mem::take(&mut self.words_buf);
        let w = words.finish(&mut buf);
        self.words_buf = buf;
        Ok((result, w))
    }

    fn process_single_quote(&mut self, preserve: bool) -> Result<String, String> {
        let mut out = String::new();
        let q = self.next().unwrap_or('\'');
        if self.raw_quotes {
            out.push(q);
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .to_string(),
                    )
                }
                Some('\'') => {
                    if self.raw_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(c) => {
                    if preserve && c == ESCAPE {
                        out.push(c);
                    }
                    out.push(c);
                }
            }
        }
    }

    fn process_double_quote(&mut self, preserve: bool) -> Result<String, String> {
        let mut out = String::new();
        let q = self.next().unwrap_or('"');
        if self.raw_quotes {
            out.push(q);
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .to_string(),
                    )
                }
                Some('"') => {
                    self.next();
                    if self.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => {
                    let v = self.process_dollar()?;
                    out.push_str(&v);
                }
                Some(_) => {
                    let mut c = self.next().unwrap_or(' ');
                    if c == ESCAPE {
                        match self.peek() {
                            None => continue,
                            Some('"' | '$' | ESCAPE) => {
                                if self.raw_escapes {
                                    out.push(c);
                                }
                                c = self.next().unwrap_or(c);
                            }
                            Some(_) => {
                                if self.raw_escapes && (!self.raw_quotes || preserve) {
                                    out.push(c);
                                }
                            }
                        }
                    }
                    out.push(c);
                }
            }
        }
    }

    /// `$name` / `${…}` with every variable unset: the text comes back as written (after
    /// quote/escape processing of modifier words), or a syntax error.
    fn process_dollar(&mut self) -> Result<String, String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            return Ok(format!("${name}"));
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".to_string()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".to_string()),
            _ => {}
        }
        let name = self.process_name();
        let ch = self.next();
        // Go turns EOF (-1) into U+FFFD when making a string of it.
        let mut chs = ch.unwrap_or('\u{fffd}').to_string();
        let mut modifier = ch;
        let mut null_is_unset = false;
        match ch {
            Some('}') => return Ok(format!("${{{name}}}")),
            Some(':') => {
                null_is_unset = true;
                modifier = self.next();
                chs.push(modifier.unwrap_or('\u{fffd}'));
            }
            Some('+' | '-' | '?' | '#' | '%') => {}
            Some('/') => {
                if self.peek() == Some('/') {
                    self.next();
                }
                let pattern = match self.process_stop_on(Some('/'), true, true) {
                    Ok((p, _)) => p,
                    Err(e) => {
                        return Err(if self.peek().is_none() {
                            "syntax error: missing '/' in ${}".to_string()
                        } else {
                            e
                        })
                    }
                };
                let replacement = match self.process_stop_on(Some('}'), true, false) {
                    Ok((r, _)) => r,
                    Err(e) => {
                        return Err(if self.peek().is_none() {
                            "syntax error: missing '}'".to_string()
                        } else {
                            e
                        })
                    }
                };
                return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
            }
            _ => return Err(format!("unsupported modifier ({chs}) in substitution")),
        }
        // `${name:X…}` falls through to the modifier handling whatever X is.
        let raw = matches!(modifier, Some('#' | '%'));
        if null_is_unset && raw {
            return Err(format!("unsupported modifier ({chs}) in substitution"));
        }
        let word = match self.process_stop_on(Some('}'), raw, raw) {
            Ok((w, _)) => w,
            Err(e) => {
                return Err(if self.peek().is_none() {
                    "syntax error: missing '}'".to_string()
                } else {
                    e
                })
            }
        };
        Ok(format!("${{{name}{chs}{word}}}"))
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if name.is_empty() && c.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                name.push(c);
                return name;
            }
            if !c.is_alphanumeric() && c != '_' {
                break;
            }
            self.next();
            name.push(c);
        }
        name
    }

    fn process_possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".to_string();
        }
        self.next();
        let mut out = "<<".to_string();
        while let Some(c @ ('\t' | '\r' | ' ')) = self.peek() {
            out.push(c);
            self.next();
        }
        out
    }
}

/// Go's regexp `\s`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// `^(\d*)<<(-?)\s*([^<]*)$`: the fd digits, the chomp dash and the delimiter word.
fn match_heredoc(src: &str) -> Option<(&str, bool, &str)> {
    let digits = src.bytes().take_while(u8::is_ascii_digit).count();
    let rest = src[digits..].strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let word = rest.trim_start_matches(is_re_space);
    if word.contains('<') {
        return None;
    }
    Some((&src[..digits], chomp, word))
}

/// BuildKit's `ParseHeredoc`: `Ok(None)` when `src` is not a heredoc word.
pub(crate) fn parse_heredoc(src: &str) -> Result<Option<HeredocStart>, String> {
    let Some((fd, chomp, rest)) = match_heredoc(src) else {
        return Ok(None);
    };
    if rest.is_empty() {
        return Ok(None);
    }
    let wrap = |e: String| format!("failed to process {}: {e}", crate::gocompat::go_quote(rest));
    // Lex with and without quote removal: if they differ, part of the word was quoted and the
    // body must not be expanded.
    let words = Lexer::new(rest, false, false)
        .process_words()
        .map_err(wrap)?;
    if words.len() != 1 {
        return Ok(None);
    }
    let raw = Lexer::new(rest, true, false)
        .process_words()
        .map_err(wrap)?;
    if raw.len() != words.len() {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    }
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let expand = quotes(&words[0]) == quotes(&raw[0]);
    Ok(Some(HeredocStart {
        name: words.into_iter().next().unwrap_or_default(),
        expand,
        chomp,
        // Go ignores the ParseUint error (overflow gives 0).
        fd: fd.parse().unwrap_or(0),
    }))
}

/// `ParseHeredoc` with the error dropped (`MustParseHeredoc`).
pub(crate) fn must_parse_heredoc(src: &str) -> Option<HeredocStart> {
    parse_heredoc(src).ok().flatten()
}

/// BuildKit's `heredocsFromLine`: every heredoc word of a (joined) instruction line.
pub(crate) fn heredocs_from_line(line: &str) -> Result<Vec<HeredocStart>, String> {
    // A lexing error means no words at all, as in Go.
    let words = Lexer::new(line, true, true)
        .process_words()
        .unwrap_or_default();
    let mut docs = Vec::new();
    for w in &words {
        if let Some(h) = parse_heredoc(w)? {
            docs.push(h);
        }
    }
    Ok(docs)
}

/// `ChompHeredocContent`: removes leading tabs from every line.
pub fn chomp_heredoc_content(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for line in src.split_inclusive('\n') {
        out.push_str(line.trim_start_matches('\t'));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_helpers() {
        for src in [
            "<<EOF",
            "<<'EOF'",
            "<<\"EOF\"",
            "<<-EOF",
            "<<-'EOF'",
            "<<-\"EOF\"",
            "<<EO\"F\"",
            "<< EOF",
            "<<- EOF",
        ] {
            assert_eq!(parse_heredoc(src).unwrap().unwrap().name, "EOF", "{src}");
        }
        for src in ["<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""] {
            assert!(parse_heredoc(src).is_err(), "{src}");
        }
        for src in ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"] {
            assert_eq!(parse_heredoc(src).unwrap(), None, "{src}");
        }
        let h = parse_heredoc("3<<-'E'").unwrap().unwrap();
        assert_eq!(
            h,
            HeredocStart {
                name: "E".into(),
                expand: false,
                chomp: true,
                fd: 3
            }
        );
    }

    #[test]
    fn from_line() {
        let cases: &[(&str, &[&str])] = &[
            ("RUN <<EOF", &["EOF"]),
            ("RUN <<-EOF", &["EOF"]),
            // The lexer splits `<<-` from `EOF` (BuildKit's own test passes vacuously here).
            ("RUN <<- EOF", &[]),
            ("RUN << -EOF", &["-EOF"]),
            ("RUN <<'EOF'", &["EOF"]),
            ("RUN 4<<EOF", &["EOF"]),
            ("RUN <<EOF <<EOF2", &["EOF", "EOF2"]),
            ("RUN '<<EOF'", &[]),
            ("RUN \"<<EOF\"", &[]),
            ("RUN <<eo'f'", &["eof"]),
            ("RUN <<eo\\'f", &["eo'f"]),
            ("RUN <<'e'o\\'f", &["eo'f"]),
            ("RUN <<'one two'", &["one two"]),
            ("RUN <<$EOF", &["$EOF"]),
            ("RUN <<  EOF  > foo", &["EOF"]),
            ("RUN cat <<EOF \"unterminated", &[]),
            // Go's lexer shares its word buffer with nested `${…}` processing, which drops
            // what came before in the word.
            ("RUN <<x${a:-b}", &[]),
            ("RUN <<${a/b/c}", &[]),
            ("RUN <<$a", &["$a"]),
        ];
        for (line, names) in cases {
            let got: Vec<String> = heredocs_from_line(line)
                .unwrap()
                .into_iter()
                .map(|h| h.name)
                .collect();
            assert_eq!(got, *names, "{line}");
        }
        let e = heredocs_from_line("RUN <<eo'f'").unwrap();
        assert!(!e[0].expand);
        let e = heredocs_from_line("RUN <<eo\\'f").unwrap();
        assert!(e[0].expand);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let line = format!("RUN <<EOF {}", "${a:-".repeat(100_000));
        assert!(heredocs_from_line(&line).unwrap().is_empty());
    }

    #[test]
    fn chomp() {
        assert_eq!(
            chomp_heredoc_content("\thello\n\tworld\n"),
            "hello\nworld\n"
        );
        assert_eq!(chomp_heredoc_content("\t\ta\n b\n"), "a\n b\n");
    }
}
