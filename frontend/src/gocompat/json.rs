//! JSON as Go's `encoding/json` writes it (`json.Marshal`, HTML escaping on), for every JSON
//! document the reference frontend also writes with Go: the image config and base image config
//! (whose bytes name the image), `refs.platforms`, the subrequests' `result.json` and the
//! unsupported-subrequest error detail.
//!
//! Go escapes `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`, and U+2028/U+2029 as
//! `\u2028`/`\u2029`; the rest of its string escaping (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
//! other control characters as `\u00xx` in lowercase hex, DEL and everything else as is) is
//! serde_json's, so only those five are added here. Go writes an invalid UTF-8 byte as
//! `\ufffd`; a Rust string holds none (the gateway reads the Dockerfile lossily, so such a
//! byte arrives here as U+FFFD, written as is).

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

/// serde_json's compact formatter with Go's extra string escapes.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `json.Marshal(v)`: the value written compactly, strings escaped as Go escapes them. Field
/// order and omission are the value's own (`Serialize`), so a struct must list its fields in
/// the Go struct's order.
pub fn to_vec<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    // Writing to a Vec cannot fail, and our values have string keys only.
    let _ = v.serialize(&mut ser);
    out
}

/// Appends `s` as a JSON string literal (quotes included), escaped as Go escapes it.
pub fn push_str(out: &mut String, s: &str) {
    out.push_str(&String::from_utf8_lossy(&to_vec(s)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        // Expected bytes from Go 1.26: json.Marshal("<a href=\"x\">&\u2028\u2029\x01\b\f\n\r\t\\\x7fé😀")
        let s = "<a href=\"x\">&\u{2028}\u{2029}\u{1}\u{8}\u{c}\n\r\t\\\u{7f}é😀";
        let want = concat!(
            r#""\u003ca href=\"x\"\u003e\u0026\u2028\u2029\u0001\b\f\n\r\t\\"#,
            "\u{7f}é😀\""
        );
        assert_eq!(String::from_utf8(to_vec(s)).unwrap(), want);
        let mut out = String::new();
        push_str(&mut out, s);
        assert_eq!(out, want);
    }

    #[test]
    fn map_keys_are_escaped_too() {
        let m = std::collections::BTreeMap::from([("a<b", "c&d")]);
        assert_eq!(to_vec(&m), br#"{"a\u003cb":"c\u0026d"}"#);
    }
}
