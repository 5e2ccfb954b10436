//! Go's `strconv.Quote` (what `%q` prints), which BuildKit uses to show words in error messages
//! and exec forms in history entries.

use super::unicode::is_print;
use std::fmt::Write;

/// Go's `strconv.Quote` (printable per Go's Unicode tables).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut plain_from = 0;
    for (i, ch) in s.char_indices() {
        if ch != '"' && ch != '\\' && is_print(ch) {
            continue;
        }
        // Copy the run of characters that need no escaping in one go.
        out.push_str(&s[plain_from..i]);
        plain_from = i + ch.len_utf8();
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{B}' => out.push_str("\\v"),
            _ => {
                let cp = u32::from(ch);
                // Writing to a String cannot fail.
                let _ = if cp < 0x20 || cp == 0x7F {
                    write!(out, "\\x{cp:02x}")
                } else if cp < 0x10000 {
                    write!(out, "\\u{cp:04x}")
                } else {
                    write!(out, "\\U{cp:08x}")
                };
            }
        }
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
    out
}

/// Go's `fmt.Sprintf("%q", []string{…})`: `["a" "b"]`.
pub fn go_quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("${aaa"), "\"${aaa\"");
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(go_quote("\t\n\u{1}\u{7F}"), "\"\\t\\n\\x01\\x7f\"");
        assert_eq!(
            go_quote("안녕\u{A0}\u{E0001}é"),
            "\"안녕\\u00a0\\U000e0001é\""
        );
    }

    #[test]
    fn quotes_lists_like_go() {
        assert_eq!(
            go_quote_list(&["/bin/sh".into(), "-c".into(), "echo \"hi\"\n".into()]),
            r#"["/bin/sh" "-c" "echo \"hi\"\n"]"#
        );
    }
}
