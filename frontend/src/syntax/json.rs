//! A small JSON reader with Go `encoding/json` semantics, for exec-form arguments
//! (`["a", "b"]`) and JSON-style `{"syntax": …}` directives.
//!
//! Iterative (no recursion) so that deeply nested input cannot overflow the stack; like Go it
//! rejects nesting deeper than 10000 and treats out-of-range numbers as a decode error.

/// Go's `maxNestingDepth`.
const MAX_DEPTH: usize = 10_000;

/// What `json.Unmarshal` into `[]any` followed by BuildKit's string check yields.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsonArray {
    Strings(Vec<String>),
    /// Valid JSON, but an element is not a string: BuildKit reports an error.
    NotStrings,
    /// Not decodable: BuildKit falls back to the shell form.
    Invalid,
}

/// A top-level item seen while scanning.
enum Item {
    /// A string value at depth 1 (array element or object value), decoded.
    Str(String),
    /// A non-string value at depth 1.
    Other,
    /// An object key at depth 1, decoded.
    Key(String),
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    /// Some number does not fit an f64 (Go's `UnmarshalTypeError`).
    overflow: bool,
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> Scan<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && is_ws(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn lit(&mut self, word: &[u8]) -> Result<(), ()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(())
        }
    }

    fn number(&mut self) -> Result<(), ()> {
        let start = self.i;
        let b = self.b;
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            *i > s
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => return Err(()),
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return Err(());
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return Err(());
            }
        }
        self.i = i;
        // The text is ASCII by construction.
        let text = std::str::from_utf8(&b[start..i]).map_err(|_| ())?;
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => {}
            _ => self.overflow = true,
        }
        Ok(())
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.b.get(at..at + 4)?;
        let mut v = 0u32;
        for &c in h {
            v = v * 16 + (c as char).to_digit(16)?;
        }
        Some(v)
    }

    /// Scans a string starting at the opening quote; decodes it when `decode`.
    fn string(&mut self, decode: bool) -> Result<Option<String>, ()> {
        self.i += 1;
        // Fast path: no escapes before the closing quote, so the text is the value.
        let rest = &self.b[self.i..];
        if let Some(end) = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        {
            if rest[end] == b'"' {
                let s = self.text(self.i, self.i + end)?;
                self.i += end + 1;
                return Ok(decode.then(|| s.to_string()));
            }
        }
        let mut out = decode.then(String::new);
        let mut run_start = self.i;
        loop {
            let c = *self.b.get(self.i).ok_or(())?;
            match c {
                b'"' => {
                    if let Some(o) = out.as_mut() {
                        o.push_str(self.text(run_start, self.i)?);
                    }
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    if let Some(o) = out.as_mut() {
                        o.push_str(self.text(run_start, self.i)?);
                    }
                    let e = *self.b.get(self.i + 1).ok_or(())?;
                    let simple = match e {
                        b'"' => Some('"'),
                        b'\\' => Some('\\'),
                        b'/' => Some('/'),
                        b'b' => Some('\u{8}'),
                        b'f' => Some('\u{c}'),
                        b'n' => Some('\n'),
                        b'r' => Some('\r'),
                        b't' => Some('\t'),
                        b'u' => None,
                        _ => return Err(()),
                    };
                    if let Some(ch) = simple {
                        if let Some(o) = out.as_mut() {
                            o.push(ch);
                        }
                        self.i += 2;
                    } else {
                        let r = self.hex4(self.i + 2).ok_or(())?;
                        self.i += 6;
                        let ch = if (0xD800..0xE000).contains(&r) {
                            // Go pairs a high surrogate with a following `\uDC00-\uDFFF`,
                            // anything else becomes U+FFFD.
                            let low = if self.b.get(self.i) == Some(&b'\\')
                                && self.b.get(self.i + 1) == Some(&b'u')
                            {
                                self.hex4(self.i + 2)
                            } else {
                                None
                            };
                            match low {
                                Some(lo)
                                    if (0xD800..0xDC00).contains(&r)
                                        && (0xDC00..0xE000).contains(&lo) =>
                                {
                                    self.i += 6;
                                    char::from_u32(0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00))
                                        .unwrap_or('\u{fffd}')
                                }
                                _ => '\u{fffd}',
                            }
                        } else {
                            char::from_u32(r).unwrap_or('\u{fffd}')
                        };
                        if let Some(o) = out.as_mut() {
                            o.push(ch);
                        }
                    }
                    run_start = self.i;
                }
                0..=0x1f => return Err(()),
                _ => self.i += 1,
            }
        }
    }

    fn text(&self, a: usize, b: usize) -> Result<&'a str, ()> {
        std::str::from_utf8(&self.b[a..b]).map_err(|_| ())
    }

    /// Validates one complete JSON document, reporting depth-1 items to `seen`.
    fn document(&mut self, seen: &mut dyn FnMut(Item)) -> Result<(), ()> {
        let mut stack: Vec<u8> = Vec::new();
        self.ws();
        'value: loop {
            // Parse one value.
            self.ws();
            let top_level_item = stack.len() == 1;
            match self.peek().ok_or(())? {
                open @ (b'[' | b'{') => {
                    if top_level_item {
                        seen(Item::Other);
                    }
                    stack.push(open);
                    if stack.len() > MAX_DEPTH {
                        return Err(());
                    }
                    self.i += 1;
                    self.ws();
                    let close = if open == b'[' { b']' } else { b'}' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                        stack.pop();
                    } else if open == b'{' {
                        self.key(stack.len() == 1, seen)?;
                        continue 'value;
                    } else {
                        continue 'value;
                    }
                }
                b'"' => {
                    let s = self.string(top_level_item)?;
                    if let Some(s) = s {
                        seen(Item::Str(s));
                    }
                }
                b't' | b'f' | b'n' => {
                    let w: &[u8] = match self.peek() {
                        Some(b't') => b"true",
                        Some(b'f') => b"false",
                        _ => b"null",
                    };
                    self.lit(w)?;
                    if top_level_item {
                        seen(Item::Other);
                    }
                }
                b'-' | b'0'..=b'9' => {
                    self.number()?;
                    if top_level_item {
                        seen(Item::Other);
                    }
                }
                _ => return Err(()),
            }
            // After a value: close containers or move to the next element.
            loop {
                self.ws();
                let Some(&top) = stack.last() else {
                    return if self.i == self.b.len() {
                        Ok(())
                    } else {
                        Err(())
                    };
                };
                let close = if top == b'[' { b']' } else { b'}' };
                match self.peek().ok_or(())? {
                    b',' => {
                        self.i += 1;
                        if top == b'{' {
                            self.ws();
                            self.key(stack.len() == 1, seen)?;
                        }
                        continue 'value;
                    }
                    c if c == close => {
                        self.i += 1;
                        stack.pop();
                    }
                    _ => return Err(()),
                }
            }
        }
    }

    /// An object key and its colon.
    fn key(&mut self, report: bool, seen: &mut dyn FnMut(Item)) -> Result<(), ()> {
        if self.peek() != Some(b'"') {
            return Err(());
        }
        if let Some(k) = self.string(report)? {
            seen(Item::Key(k));
        }
        self.ws();
        if self.peek() != Some(b':') {
            return Err(());
        }
        self.i += 1;
        Ok(())
    }
}

/// Decodes `s` (which the caller has checked starts with `[`) as BuildKit's `parseJSON` does.
pub(crate) fn parse_string_array(s: &str) -> JsonArray {
    let mut sc = Scan {
        b: s.as_bytes(),
        i: 0,
        overflow: false,
    };
    let mut strings = Vec::with_capacity(4);
    let mut all_strings = true;
    let res = sc.document(&mut |item| match item {
        Item::Str(v) => strings.push(v),
        Item::Other | Item::Key(_) => all_strings = false,
    });
    if res.is_err() || sc.overflow || !s.starts_with('[') {
        return JsonArray::Invalid;
    }
    if all_strings {
        JsonArray::Strings(strings)
    } else {
        JsonArray::NotStrings
    }
}

/// `json.Unmarshal(s, &map[string]any{})` then `m[key].(string)`.
pub(crate) fn object_string_field(s: &str, key: &str) -> Option<String> {
    let mut sc = Scan {
        b: s.as_bytes(),
        i: 0,
        overflow: false,
    };
    let mut last_key: Option<String> = None;
    let mut value: Option<Option<String>> = None;
    let res = sc.document(&mut |item| match item {
        Item::Key(k) => last_key = Some(k),
        Item::Str(v) => {
            if last_key.as_deref() == Some(key) {
                value = Some(Some(v));
            }
        }
        Item::Other => {
            if last_key.as_deref() == Some(key) {
                value = Some(None);
            }
        }
    });
    let trimmed = s.trim_start_matches([' ', '\t', '\n', '\r']);
    if res.is_err() || sc.overflow || !trimmed.starts_with('{') {
        return None;
    }
    value.flatten()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> JsonArray {
        JsonArray::Strings(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn valid_arrays() {
        // From BuildKit's json_test.go.
        assert_eq!(parse_string_array("[]"), strings(&[]));
        assert_eq!(parse_string_array(r#"[""]"#), strings(&[""]));
        assert_eq!(parse_string_array(r#"["a"]"#), strings(&["a"]));
        assert_eq!(parse_string_array(r#"["a","b"]"#), strings(&["a", "b"]));
        assert_eq!(parse_string_array(r#"[ "a", "b" ]"#), strings(&["a", "b"]));
        assert_eq!(
            parse_string_array("[\t\"a\",\t\"b\"\t]"),
            strings(&["a", "b"])
        );
        assert_eq!(
            parse_string_array("[\t\"a\",\t\"b\"\t]\t"),
            strings(&["a", "b"])
        );
        assert_eq!(
            parse_string_array(r#"["abc 123", "♥", "☃", "\" \\ \/ \b \f \n \r \t \u0000"]"#),
            strings(&["abc 123", "♥", "☃", "\" \\ / \u{8} \u{c} \n \r \t \u{0}"])
        );
    }

    #[test]
    fn not_string_arrays() {
        for s in [
            r#"["a",42,"b"]"#,
            r#"["a",123.456,"b"]"#,
            r#"["a",{},"b"]"#,
            r#"["a",{"c": "d"},"b"]"#,
            r#"["a",["c"],"b"]"#,
            r#"["a",true,"b"]"#,
            r#"["a",false,"b"]"#,
            r#"["a",null,"b"]"#,
        ] {
            assert_eq!(parse_string_array(s), JsonArray::NotStrings, "{s}");
        }
    }

    #[test]
    fn invalid() {
        for s in [
            "[",
            r#"["a""#,
            r#"["a",]"#,
            r#"['a']"#,
            r#"["a"] x"#,
            r#"[01]"#,
            r#"["a\x"]"#,
            "[\"\t\"]",
            r#"[1e999]"#,
            r#"["a", [1e400]]"#,
            r#"[-]"#,
            r#"[1.]"#,
            r#"[{"a"}]"#,
            r#"[{1:2}]"#,
        ] {
            assert_eq!(parse_string_array(s), JsonArray::Invalid, "{s}");
        }
    }

    #[test]
    fn surrogates() {
        assert_eq!(parse_string_array(r#"["\ud83d\ude00"]"#), strings(&["😀"]));
        assert_eq!(
            parse_string_array(r#"["\ud83dx"]"#),
            strings(&["\u{fffd}x"])
        );
        assert_eq!(
            parse_string_array(r#"["\ude00\ud83d"]"#),
            strings(&["\u{fffd}\u{fffd}"])
        );
        assert_eq!(
            parse_string_array(r#"["\ud83d\u0041"]"#),
            strings(&["\u{fffd}A"])
        );
    }

    #[test]
    fn depth_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(parse_string_array(&ok), JsonArray::NotStrings);
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(parse_string_array(&deep), JsonArray::Invalid);
        let unclosed = "[".repeat(1_000_000);
        assert_eq!(parse_string_array(&unclosed), JsonArray::Invalid);
    }

    #[test]
    fn object_field() {
        assert_eq!(
            object_string_field(r#"{"syntax": "foo", "bar": ["abc"]}"#, "syntax").as_deref(),
            Some("foo")
        );
        assert_eq!(object_string_field(r#"{"syntax": "foo""#, "syntax"), None);
        assert_eq!(
            object_string_field("{\"syntax\": \"foo\"}\n# syntax=bar", "syntax"),
            None
        );
        assert_eq!(object_string_field(r#"{"syntax": 1}"#, "syntax"), None);
        assert_eq!(
            object_string_field(r#"{"syntax": "a", "syntax": "b"}"#, "syntax").as_deref(),
            Some("b")
        );
        assert_eq!(
            object_string_field(r#"{"x": {"syntax": "a"}}"#, "syntax"),
            None
        );
        assert_eq!(object_string_field(r#"["syntax"]"#, "syntax"), None);
    }
}
