//! Physical lines as BuildKit's `bufio.Scanner` (with its line-ending-keeping split) hands them out,
//! plus the small per-line helpers of parser.go.

/// `bufio.MaxScanTokenSize`: BuildKit's scanner refuses longer lines.
pub(crate) const MAX_SCAN_TOKEN: usize = 64 * 1024;

/// Splits the source into lines that keep their `\n`, stopping (and remembering why) at a line
/// the Go scanner would reject as too long.
pub(crate) struct Lines<'a> {
    rest: &'a str,
    pub(crate) too_long: bool,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lines {
            rest: src,
            too_long: false,
        }
    }

    pub(crate) fn next_line(&mut self) -> Option<&'a str> {
        if self.too_long || self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.find('\n') {
            // A line with its newline fills at most the scanner's whole buffer.
            Some(i) if i < MAX_SCAN_TOKEN => self.rest.split_at(i + 1),
            // The last line needs one spare byte in the buffer to see EOF.
            None if self.rest.len() < MAX_SCAN_TOKEN => (self.rest, ""),
            _ => {
                self.too_long = true;
                return None;
            }
        };
        self.rest = rest;
        Some(line)
    }
}

/// `bytes.TrimRight(line, "\r\n")`.
pub(crate) fn trim_newline(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

/// Go's `unicode.IsSpace` is the same White_Space property Rust's `char::is_whitespace` uses.
pub(crate) fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

pub(crate) fn is_empty_continuation_line(line: &str) -> bool {
    trim_newline(line).trim_start().is_empty()
}

/// Port of the escape-token continuation regex `([^E])E[ \t]*$|^E[ \t]*$`: returns the line
/// without its continuation marker and whether the logical line ends here.
pub(crate) fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    if let Some(before) = trimmed.strip_suffix(escape) {
        match before.chars().next_back() {
            None => return ("", false),
            // An escaped escape token is not a continuation.
            Some(c) if c != escape => return (before, false),
            Some(_) => {}
        }
    }
    (line, true)
}

/// `discardBOM` for the first line.
pub(crate) fn discard_bom(line: &str) -> &str {
    line.strip_prefix('\u{feff}').unwrap_or(line)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_endings() {
        let mut l = Lines::new("a\r\nb\n\nc");
        assert_eq!(l.next_line(), Some("a\r\n"));
        assert_eq!(l.next_line(), Some("b\n"));
        assert_eq!(l.next_line(), Some("\n"));
        assert_eq!(l.next_line(), Some("c"));
        assert_eq!(l.next_line(), None);
        assert!(!l.too_long);
    }

    #[test]
    fn line_length_limit() {
        let ok = format!("{}\n", "a".repeat(MAX_SCAN_TOKEN - 1));
        let mut l = Lines::new(&ok);
        assert!(l.next_line().is_some());
        let bad = format!("{}\n", "a".repeat(MAX_SCAN_TOKEN));
        let mut l = Lines::new(&bad);
        assert!(l.next_line().is_none());
        assert!(l.too_long);
        let last_ok = "a".repeat(MAX_SCAN_TOKEN - 1);
        assert!(Lines::new(&last_ok).next_line().is_some());
        let last_bad = "a".repeat(MAX_SCAN_TOKEN);
        assert!(Lines::new(&last_bad).next_line().is_none());
    }

    #[test]
    fn continuation() {
        assert_eq!(trim_continuation("foo \\", '\\'), ("foo ", false));
        assert_eq!(trim_continuation("foo\\  \t", '\\'), ("foo", false));
        assert_eq!(trim_continuation("\\", '\\'), ("", false));
        assert_eq!(trim_continuation("  \\ ", '\\'), ("  ", false));
        assert_eq!(trim_continuation("foo \\\\", '\\'), ("foo \\\\", true));
        assert_eq!(trim_continuation("foo", '\\'), ("foo", true));
        assert_eq!(trim_continuation("foo `", '`'), ("foo ", false));
        assert_eq!(trim_continuation("foo \\", '`'), ("foo \\", true));
        assert_eq!(trim_continuation("é\\", '\\'), ("é", false));
    }
}
