//! Splitting an instruction line: the command word, the `--flags`, and the word lists some
//! instructions use (ports of split_command.go and `parseWords` in line_parsers.go).

use std::borrow::Cow;

/// The class of BuildKit's `reWhitespace` regex, `[\t\v\f\r ]`.
pub(crate) fn is_re_ws(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// `reWhitespace.Split(s, -1)`: pieces between whitespace runs, keeping empty leading and
/// trailing pieces as Go does.
pub(crate) fn split_ws_owned(s: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(4);
    let mut start = 0;
    let mut in_run = false;
    for (i, c) in s.char_indices() {
        if is_re_ws(c) {
            if !in_run {
                out.push(s[start..i].to_string());
                in_run = true;
            }
        } else if in_run {
            start = i;
            in_run = false;
        }
    }
    out.push(if in_run {
        String::new()
    } else {
        s[start..].to_string()
    });
    out
}

/// `reWhitespace.Split(s, 2)`: the text before the first whitespace run and the rest after it.
pub(crate) fn split_ws2(s: &str) -> (&str, Option<&str>) {
    match s.find(is_re_ws) {
        None => (s, None),
        Some(i) => (&s[..i], Some(s[i..].trim_start_matches(is_re_ws))),
    }
}

/// `unicode.IsSpace` on a single byte taken as a Latin-1 rune, as BuildKit's byte-wise loops do.
pub(crate) fn is_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0)
}

/// `line[pos:]` of a Go string: a byte offset that may split a UTF-8 sequence (BuildKit's
/// byte-wise loops can stop inside one); such a cut is repaired with U+FFFD.
pub(crate) fn byte_suffix(line: &str, pos: usize) -> Cow<'_, str> {
    match line.get(pos..) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(String::from_utf8_lossy(&line.as_bytes()[pos..]).into_owned()),
    }
}

/// `line[:pos]` of a Go string, see [`byte_suffix`].
pub(crate) fn byte_prefix(line: &str, pos: usize) -> Cow<'_, str> {
    match line.get(..pos) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(String::from_utf8_lossy(&line.as_bytes()[..pos]).into_owned()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// `extractBuilderFlags`: leading `--flag` words (quotes removed, escapes applied) and the rest
/// of the line. Like BuildKit it walks bytes, so non-ASCII bytes inside a flag come out as
/// Latin-1 characters.
pub(crate) fn extract_builder_flags(line: &str, escape: char) -> (Cow<'_, str>, Vec<String>) {
    let b = line.as_bytes();
    let n = b.len();
    let esc = escape as u32;
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= n {
        let ch = if pos < n { b[pos] } else { 0 };
        if phase == Phase::Spaces {
            if pos == n {
                break;
            }
            if is_space_byte(ch) {
                pos += 1;
                continue;
            }
            // Only keep going while the next word starts with "--".
            if ch != b'-' || pos + 1 == n || b[pos + 1] != b'-' {
                return (byte_suffix(line, pos), words);
            }
            if word.capacity() == 0 {
                // One scratch buffer for all flags; each flag is copied out at its size.
                word.reserve(n - pos);
            }
            phase = Phase::Word;
        }
        if pos == n {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word.as_str().to_string());
            }
            break;
        }
        let mut c = ch;
        if phase == Phase::Word {
            if is_space_byte(ch) {
                phase = Phase::Spaces;
                if word == "--" {
                    return (byte_suffix(line, pos), words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(word.clone());
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            if u32::from(ch) == esc {
                if pos + 1 == n {
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = b[pos];
            }
            word.push(char::from(c));
            pos += 1;
            continue;
        }
        // In quotes.
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        if u32::from(ch) == esc {
            if pos + 1 == n {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = b[pos];
        }
        word.push(char::from(c));
        pos += 1;
    }
    (Cow::Borrowed(""), words)
}

/// `splitCommand`: the command word, its flags and the trimmed arguments.
pub(crate) struct SplitCommand<'a> {
    pub cmd: &'a str,
    pub flags: Vec<String>,
    pub args: Cow<'a, str>,
}

pub(crate) fn split_command(line: &str, escape: char) -> SplitCommand<'_> {
    let (cmd, rest) = split_ws2(line.trim());
    let (args, flags) = match rest {
        Some(rest) => extract_builder_flags(rest, escape),
        None => (Cow::Borrowed(""), Vec::new()),
    };
    let args = match args {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
    };
    SplitCommand { cmd, flags, args }
}

/// `parseWords`: whitespace-separated words where quotes group (and are kept) and the escape
/// token protects the next character (and is kept too). Every character is kept except an
/// escape token ending the input, so each word is a slice of `rest`.
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let mut words = Vec::with_capacity(4);
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    // The current word is rest[start..end].
    let (mut start, mut end) = (0, 0);
    let mut chars = rest.char_indices();
    loop {
        let next = chars.next();
        if phase == Phase::Spaces {
            match next {
                None => break,
                Some((_, c)) if c.is_whitespace() => continue,
                Some((i, _)) => {
                    phase = Phase::Word;
                    start = i;
                    end = i;
                }
            }
        }
        let Some((i, c)) = next else {
            if blank_ok || end > start {
                words.push(rest[start..end].to_string());
            }
            break;
        };
        if phase == Phase::Word {
            if c.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || end > start {
                    words.push(rest[start..end].to_string());
                }
                blank_ok = false;
                continue;
            }
            if c == '\'' || c == '"' {
                quote = c;
                blank_ok = true;
                phase = Phase::Quote;
            }
            end = i + c.len_utf8();
            if c == escape {
                // The escape token and the character after it; a final one is dropped.
                match chars.next() {
                    Some((j, n)) => end = j + n.len_utf8(),
                    None => end = i,
                }
            }
            continue;
        }
        // In quotes: the escape token works except inside single quotes.
        if c == quote {
            phase = Phase::Word;
        }
        end = i + c.len_utf8();
        if c == escape && quote != '\'' {
            match chars.next() {
                Some((j, n)) => end = j + n.len_utf8(),
                None => {
                    end = i;
                    phase = Phase::Word;
                }
            }
        }
    }
    words
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        // BuildKit's TestParseWords.
        let cases: &[(&str, &[&str])] = &[
            ("foo", &["foo"]),
            ("foo bar", &["foo", "bar"]),
            ("foo\\ bar", &["foo\\ bar"]),
            ("foo=bar", &["foo=bar"]),
            ("foo bar 'abc xyz'", &["foo", "bar", "'abc xyz'"]),
            ("foo bar \"abc xyz\"", &["foo", "bar", "\"abc xyz\""]),
            ("àöû", &["àöû"]),
            ("föo bàr \"âbc xÿz\"", &["föo", "bàr", "\"âbc xÿz\""]),
            ("a=\"\"", &["a=\"\""]),
            ("\"\"", &["\"\""]),
            ("a\\", &["a"]),
            ("'a\\'", &["'a\\'"]),
        ];
        for (input, expect) in cases {
            assert_eq!(parse_words(input, '\\'), *expect, "{input}");
        }
    }

    #[test]
    fn whitespace_split() {
        assert_eq!(split_ws_owned("a b\t\tc"), vec!["a", "b", "c"]);
        assert_eq!(split_ws_owned(" a "), vec!["", "a", ""]);
        assert_eq!(split_ws_owned(""), vec![""]);
        assert_eq!(split_ws_owned("a\u{a0}b"), vec!["a\u{a0}b"]);
        assert_eq!(split_ws2("RUN  echo hi"), ("RUN", Some("echo hi")));
        assert_eq!(split_ws2("RUN"), ("RUN", None));
    }

    #[test]
    fn flags() {
        let (rest, f) = extract_builder_flags("--a=b --c \"x y\"", '\\');
        assert_eq!(
            (rest.as_ref(), f),
            ("\"x y\"", vec!["--a=b".to_string(), "--c".to_string()])
        );
        let (rest, f) = extract_builder_flags("--a=\"x y\" -- --b z", '\\');
        assert_eq!((rest.as_ref(), f), (" --b z", vec!["--a=x y".to_string()]));
        let (rest, f) = extract_builder_flags("--a --", '\\');
        assert_eq!((rest.as_ref(), f), ("", vec!["--a".to_string()]));
        let (rest, f) = extract_builder_flags("--a=\"\" b", '\\');
        assert_eq!((rest.as_ref(), f), ("b", vec!["--a=".to_string()]));
        let (rest, f) = extract_builder_flags("-a b", '\\');
        assert_eq!((rest.as_ref(), f.len()), ("-a b", 0));
        // Byte-wise like BuildKit: non-ASCII comes out as Latin-1.
        let (_, f) = extract_builder_flags("--from=é x", '\\');
        assert_eq!(f, vec!["--from=Ã©".to_string()]);
        // 0xA0 is a space byte to BuildKit.
        let (rest, f) = extract_builder_flags("--x=à y", '\\');
        assert_eq!((rest.as_ref(), f), ("y", vec!["--x=Ã".to_string()]));
        let (rest, _) = extract_builder_flags("--x=\u{800}", '\\');
        assert_eq!(rest.as_ref(), "\u{fffd}");
    }

    #[test]
    fn command() {
        let sc = split_command("  COPY --from=a  src dst  ", '\\');
        assert_eq!(sc.cmd, "COPY");
        assert_eq!(sc.flags, vec!["--from=a".to_string()]);
        assert_eq!(sc.args, "src dst");
    }
}
