//! BuildKit's `Node.Dump()` s-expression format, used to compare our AST with the `result`
//! files of BuildKit's parser test suite.

use super::ast::{Ast, Node};

use crate::gocompat::{go_lower, go_quote};

fn dump_node(node: &Node, out: &mut String) {
    let start = out.len();
    out.push_str(&go_lower(&node.keyword));
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
    if matches!(&*node.keyword, "env" | "label") {
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
