//! The parser's main loop, ported from BuildKit's `parser.Parse`: directives, comments,
//! continuation lines, instruction nodes and heredoc bodies.

use std::borrow::Cow;

use super::args::{self, Kind};
use super::ast::{Ast, Directive, Heredoc, Location, Node, Warning};
use super::directives::{DirectiveParser, KEY_ESCAPE};
use super::heredoc::heredocs_from_line;
use super::lines::{
    discard_bom, is_comment, is_empty_continuation_line, trim_continuation, trim_newline, Lines,
    MAX_SCAN_TOKEN,
};
use super::located::LocatedError;
use super::words::{split_command, split_ws2};

/// ONBUILD ONBUILD … chains deeper than this keep only their first levels in the AST (they are
/// still parsed in full, so errors deeper down are reported).
const MAX_SUB_DEPTH: usize = 8;

/// A syntax error at lines `start..=end` (none when `start` is 0).
fn error_at(message: impl Into<String>, start: usize, end: usize) -> LocatedError {
    let location = (start > 0).then(|| Location {
        start_line: start,
        end_line: end.max(start),
        file: 0,
    });
    LocatedError {
        message: message.into(),
        location,
    }
}

fn set_escape(value: &str) -> Result<char, String> {
    match value {
        "\\" => Ok('\\'),
        "`" => Ok('`'),
        _ => Err(format!(
            "invalid escape token '{value}' does not match ` or \\"
        )),
    }
}

/// Instructions whose shell-form line may carry heredocs.
fn heredoc_keyword(k: &str) -> bool {
    matches!(k, "add" | "copy" | "run")
}

/// BuildKit's `canContainHeredoc`: RUN/COPY/ADD not in JSON form, also as an ONBUILD trigger.
fn can_contain_heredoc(node: &Node) -> bool {
    let n = match (&*node.keyword, &node.sub) {
        ("onbuild", Some(sub)) => sub,
        _ => node,
    };
    heredoc_keyword(&n.keyword) && !n.json
}

/// `newNodeFromLine`: split the command, parse its arguments. ONBUILD triggers are followed
/// in a loop rather than by recursion.
fn node_from_line(line: &str, escape: char) -> Result<Node, String> {
    let mut text: Cow<'_, str> = Cow::Borrowed(line);
    let mut range = 0..line.len();
    let mut chain: Vec<Node> = Vec::new();
    let mut depth = 0;
    loop {
        let cur = &text[range.clone()];
        let sc = split_command(cur, escape);
        let keyword = super::case::lower_keyword(sc.cmd);
        let kind = args::kind_of(&keyword);
        let keep = depth <= MAX_SUB_DEPTH;
        let mut node = Node {
            keyword,
            args: Vec::new(),
            json: false,
            flags: sc.flags,
            heredocs: Vec::new(),
            sub: None,
            // The caller sets the top one; deeper trigger texts are suffixes of the first, and
            // not copying them keeps memory linear.
            original: if depth == 1 {
                cur.to_string()
            } else {
                String::new()
            },
            location: Location::default(),
            prev_comment: Vec::new(),
            legacy_key_value: false,
        };
        if kind == Kind::SubCommand && !sc.args.is_empty() {
            match sc.args {
                Cow::Borrowed(s) => {
                    let off = s.as_ptr() as usize - text.as_ptr() as usize;
                    range = off..off + s.len();
                }
                Cow::Owned(s) => {
                    range = 0..s.len();
                    text = Cow::Owned(s);
                }
            }
            if keep {
                chain.push(node);
            }
            depth += 1;
            continue;
        }
        let parsed = args::parse_args(kind, &sc.args, escape)?;
        node.args = parsed.args;
        node.json = parsed.json;
        node.legacy_key_value = parsed.legacy_key_value;
        // Past the depth limit the last kept ONBUILD ends the chain.
        let mut node = if keep {
            node
        } else {
            chain.pop().ok_or("empty instruction")?
        };
        while let Some(mut parent) = chain.pop() {
            parent.sub = Some(Box::new(node));
            node = parent;
        }
        return Ok(node);
    }
}

/// Parses a Dockerfile into its instruction nodes, as BuildKit's `parser.Parse`.
pub fn parse(source: &str) -> Result<Ast, LocatedError> {
    let mut lines = Lines::new(source);
    let mut escape = '\\';
    let mut dp = DirectiveParser::new("#", 0);
    let mut directives = Vec::new();
    // The line count bounds the instruction count: sizing once saves regrowing a large vector.
    let line_count = source.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut nodes: Vec<Node> = Vec::with_capacity(line_count);
    let mut warnings = Vec::new();
    let mut comments: Vec<String> = Vec::new();
    let mut current_line = 0usize;
    let mut buf = String::new();

    while let Some(raw) = lines.next_line() {
        let raw = if current_line == 0 {
            discard_bom(raw)
        } else {
            raw
        };
        if is_comment(raw) {
            // BuildKit drops the line's first byte (usually the `#`) and trims the rest.
            let first = raw.chars().next().map_or(0, char::len_utf8);
            let comment = raw[first..].trim();
            if comment.is_empty() {
                comments.clear();
            } else {
                comments.push(comment.to_string());
            }
        }
        let token = trim_newline(raw).trim_start();
        match dp.parse_line(token) {
            Err(e) => return Err(error_at(e, current_line + 1, current_line + 1)),
            Ok(Some(d)) => {
                if d.name == KEY_ESCAPE {
                    escape = set_escape(&d.value)
                        .map_err(|e| error_at(e, current_line + 1, current_line + 1))?;
                }
                // A directive is not a comment of the next instruction.
                comments.pop();
                directives.push(Directive {
                    name: d.name,
                    value: d.value,
                    location: Location {
                        start_line: d.line,
                        end_line: d.line,
                        file: 0,
                    },
                });
            }
            Ok(None) => {}
        }
        let token = if is_comment(token) { "" } else { token };
        current_line += 1;
        let start_line = current_line;
        let (first_part, mut end_of_line) = trim_continuation(token, escape);
        if end_of_line && first_part.is_empty() {
            continue;
        }
        buf.clear();
        buf.push_str(first_part);

        let mut has_empty_continuation = false;
        while !end_of_line {
            let Some(next) = lines.next_line() else { break };
            current_line += 1;
            if is_comment(next) {
                continue;
            }
            let next = trim_newline(next);
            if is_empty_continuation_line(next) {
                has_empty_continuation = true;
                continue;
            }
            let (part, eol) = trim_continuation(next, escape);
            end_of_line = eol;
            buf.push_str(part);
        }
        let line = buf.as_str();

        if has_empty_continuation {
            warnings.push(Warning {
                rule: "NoEmptyContinuation".to_string(),
                message: "Empty continuation line".to_string(),
                location: Location {
                    start_line: current_line,
                    end_line: current_line,
                    file: 0,
                },
            });
        }

        let mut node =
            node_from_line(line, escape).map_err(|e| error_at(e, start_line, current_line))?;
        node.original = line.to_string();

        if can_contain_heredoc(&node) && line.contains("<<") {
            let starts =
                heredocs_from_line(line).map_err(|e| error_at(e, start_line, current_line))?;
            for h in starts {
                let mut content = String::new();
                let mut terminated = false;
                while let Some(body) = lines.next_line() {
                    current_line += 1;
                    let mut candidate = trim_newline(body);
                    if h.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == h.name {
                        terminated = true;
                        break;
                    }
                    content.push_str(body);
                }
                if !terminated {
                    return Err(error_at("unterminated heredoc", start_line, current_line));
                }
                node.heredocs.push(Heredoc {
                    name: h.name,
                    content,
                    expand: h.expand,
                    chomp: h.chomp,
                });
            }
        }

        node.location = Location {
            start_line,
            end_line: current_line,
            file: 0,
        };
        node.prev_comment = std::mem::take(&mut comments);
        if node.legacy_key_value {
            let cmd = split_ws2(line.trim()).0;
            warnings.push(Warning {
                rule: "LegacyKeyValueFormat".to_string(),
                message: format!("\"{cmd} key=value\" should be used instead of legacy \"{cmd} key value\" format"),
                location: node.location,
            });
        }
        nodes.push(node);
    }

    if nodes.is_empty() {
        return Err(error_at(
            "file with no instructions",
            current_line,
            current_line,
        ));
    }
    if lines.too_long {
        return Err(error_at(
            format!(
                "dockerfile line greater than max allowed size of {}",
                MAX_SCAN_TOKEN - 1
            ),
            current_line,
            current_line,
        ));
    }
    Ok(Ast {
        directives,
        escape,
        nodes,
        warnings,
        includes: Vec::new(),
        included_files: Vec::new(),
    })
}

/// The instruction name as written (first word of the line).
pub(crate) fn written_command(original: &str) -> &str {
    split_ws2(original.trim()).0
}
