//! BuildKit's `Node.Dump()` s-expression format, used to compare our AST with the `result`
//! files of BuildKit's parser test suite.

use super::ast::{Ast, Node};

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_go_print(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint` (letters, marks, numbers, punctuation, symbols
/// and the ASCII space): control, format, separator and unassigned-looking code points are not.
fn is_go_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e
        | 0x2060..=0x206f | 0xd800..=0xdfff | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff
        | 0xfdd0..=0xfdef | 0xfffe | 0xffff | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0x10ffff)
}

fn dump_node(node: &Node, out: &mut String) {
    let start = out.len();
    out.push_str(&super::case::go_lower(&node.keyword));
    if !node.flags.is_empty() {
        out.push_str(" [");
        for (i, f) in node.flags.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&go_quote(f));
        }
        out.push(']');
    }
    if let Some(sub) = &node.sub {
        out.push_str(" (");
        dump_node(sub, out);
        out.push(')');
    }
    if matches!(node.keyword.as_str(), "env" | "label") {
        // BuildKit keeps a third word per pair: "=" or "" for the legacy `KEY value` form.
        let sep = if node.legacy_key_value { "" } else { "=" };
        for pair in node.args.chunks(2) {
            for w in pair {
                out.push(' ');
                out.push_str(&go_quote(w));
            }
            out.push(' ');
            out.push_str(&go_quote(sep));
        }
    } else {
        for a in &node.args {
            out.push(' ');
            out.push_str(&go_quote(a));
        }
    }
    let trimmed = out[start..].trim().to_string();
    out.truncate(start);
    out.push_str(&trimmed);
}

/// One instruction in BuildKit's dump format, e.g. `copy ["--from=a"] "x" "/y"`.
pub fn dump_node_string(node: &Node) -> String {
    let mut s = String::new();
    dump_node(node, &mut s);
    s
}

impl Ast {
    /// The whole file in BuildKit's `Node.Dump()` format: one `(instruction …)` per line.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for n in &self.nodes {
            out.push('(');
            dump_node(n, &mut out);
            out.push_str(")\n");
        }
        out.trim().to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::go_quote;

    #[test]
    fn quote() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            go_quote("\u{0}\u{8}\u{c}\n\r\t\u{b}\u{7f}"),
            r#""\x00\b\f\n\r\t\v\x7f""#
        );
        assert_eq!(go_quote("♥☃é"), "\"♥☃é\"");
        assert_eq!(go_quote("\u{a0}\u{feff}"), r#""\u00a0\ufeff""#);
    }
}
