//! Parser directives (`# syntax=…`, `# escape=…`, `# check=…`), ported from BuildKit's
//! directives.go: they are only recognised at the very top of the file, and the first line
//! that is not a directive ends them.

use super::ast::Location;
use super::json;

pub(crate) const KEY_SYNTAX: &str = "syntax";
pub(crate) const KEY_ESCAPE: &str = "escape";
pub(crate) const KEY_CHECK: &str = "check";

/// Go's regexp `\s`: `[\t\n\f\r ]`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` without a regex engine.
fn match_directive(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let key_end = b
        .iter()
        .position(|c| !c.is_ascii_alphanumeric())
        .unwrap_or(b.len());
    let after_key = s[key_end..].trim_start_matches(is_re_space);
    let rest = after_key.strip_prefix('=')?;
    // `.` does not match a newline.
    if rest.is_empty() || rest.contains('\n') {
        return None;
    }
    let value = rest.trim_start_matches(is_re_space);
    let value = if value.is_empty() {
        // All whitespace: the lazy group still takes the last character.
        let last = rest.chars().next_back()?;
        &rest[rest.len() - last.len_utf8()..]
    } else {
        value.trim_end_matches(is_re_space)
    };
    Some((&s[..key_end], value))
}

/// One directive as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDirective {
    /// Lowercased name.
    pub name: String,
    pub value: String,
    /// 1-based line.
    pub line: usize,
}

/// The state machine of BuildKit's `DirectiveParser`, fed one line at a time.
pub(crate) struct DirectiveParser {
    line: usize,
    comment: &'static str,
    seen: Vec<String>,
    done: bool,
}

impl DirectiveParser {
    pub(crate) fn new(comment: &'static str, first_line: usize) -> Self {
        DirectiveParser {
            line: first_line,
            comment,
            seen: Vec::new(),
            done: false,
        }
    }

    /// Returns the directive on this line, if it is one; an error for a repeated directive.
    pub(crate) fn parse_line(&mut self, line: &str) -> Result<Option<FoundDirective>, String> {
        self.line += 1;
        if self.done {
            return Ok(None);
        }
        let Some(rest) = line.strip_prefix(self.comment) else {
            self.done = true;
            return Ok(None);
        };
        let Some((key, value)) = match_directive(rest.trim_start()) else {
            self.done = true;
            return Ok(None);
        };
        let key = key.to_ascii_lowercase();
        if ![KEY_SYNTAX, KEY_ESCAPE, KEY_CHECK].contains(&key.as_str()) {
            self.done = true;
            return Ok(None);
        }
        if self.seen.contains(&key) {
            return Err(format!("only one {key} parser directive can be used"));
        }
        self.seen.push(key.clone());
        Ok(Some(FoundDirective {
            name: key,
            value: value.to_string(),
            line: self.line,
        }))
    }

    pub(crate) fn done(&self) -> bool {
        self.done
    }
}

/// A directive found by [`detect_syntax`] or [`parse_directive`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedDirective {
    /// The value up to the first space (for `syntax`, the frontend image reference).
    pub value: String,
    /// The whole value, including anything after a space.
    pub cmdline: String,
    pub location: Location,
}

/// BuildKit's `DetectSyntax`: the `syntax` directive, also accepting a leading shebang line,
/// `//syntax=` comments and a JSON document with a `"syntax"` key.
pub fn detect_syntax(source: &str) -> Option<DetectedDirective> {
    detect(KEY_SYNTAX, source, true)
}

/// BuildKit's `ParseDirective`: directive `key` in `#` form (a leading shebang is skipped).
pub fn parse_directive(key: &str, source: &str) -> Option<DetectedDirective> {
    detect(key, source, false)
}

fn detect(key: &str, source: &str, any_format: bool) -> Option<DetectedDirective> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let first = source.split('\n').next().unwrap_or("");
    let (source, first_line) = if first.starts_with("#!") {
        (source.split_once('\n').map(|(_, r)| r).unwrap_or(""), 1)
    } else {
        (source, 0)
    };
    if let Some(d) = detect_with(key, source, "#", first_line) {
        return Some(d);
    }
    if !any_format {
        return None;
    }
    if let Some(d) = detect_with(key, source, "//", first_line) {
        return Some(d);
    }
    let v = json::object_string_field(source, key)?;
    Some(DetectedDirective {
        value: v.clone(),
        cmdline: v,
        location: Location {
            start_line: first_line,
            end_line: first_line,
            file: 0,
        },
    })
}

/// `DirectiveParser.ParseAll` over `bufio.ScanLines` lines, then the first match of `key`.
fn detect_with(
    key: &str,
    source: &str,
    comment: &'static str,
    first_line: usize,
) -> Option<DetectedDirective> {
    let mut p = DirectiveParser::new(comment, first_line);
    for raw in source.split_inclusive('\n') {
        if p.done() {
            break;
        }
        // bufio.ScanLines stops at a line longer than its buffer.
        if raw.len() > super::lines::MAX_SCAN_TOKEN {
            break;
        }
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        match p.parse_line(line) {
            Ok(Some(d)) if d.name == key => {
                let value = d.value.split(' ').next().unwrap_or("").to_string();
                return Some(DetectedDirective {
                    value,
                    cmdline: d.value,
                    location: Location {
                        start_line: d.line,
                        end_line: d.line,
                        file: 0,
                    },
                });
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn all(src: &str) -> Vec<FoundDirective> {
        let mut p = DirectiveParser::new("#", 0);
        let mut out = Vec::new();
        for l in src.lines() {
            if p.done() {
                break;
            }
            if let Ok(Some(d)) = p.parse_line(l) {
                out.push(d);
            }
        }
        out
    }

    #[test]
    fn directives() {
        let d = all("#escape=\\\n# key = FOO bar\n\n# smth\n");
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].name.as_str(), d[0].value.as_str()), ("escape", "\\"));
        let d = all("# EScape=\\\n# KEY = FOO bar\n\n# smth\n");
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].name.as_str(), d[0].value.as_str()), ("escape", "\\"));
    }

    #[test]
    fn directive_regex() {
        assert_eq!(
            match_directive("syntax = foo bar  "),
            Some(("syntax", "foo bar"))
        );
        assert_eq!(match_directive("escape=   "), Some(("escape", " ")));
        assert_eq!(match_directive("escape="), None);
        assert_eq!(match_directive("1x=a"), None);
        assert_eq!(match_directive("x y=a"), None);
        assert_eq!(
            match_directive("check=skip=all // x"),
            Some(("check", "skip=all // x"))
        );
    }

    #[test]
    fn duplicate_is_error() {
        let mut p = DirectiveParser::new("#", 0);
        assert!(p.parse_line("# syntax=a").is_ok());
        assert_eq!(
            p.parse_line("# SYNTAX=b").unwrap_err(),
            "only one syntax parser directive can be used"
        );
    }

    #[test]
    fn detect_syntax_cases() {
        let d =
            detect_syntax("# syntax = dockerfile:experimental // opts\nFROM busybox\n").unwrap();
        assert_eq!(d.value, "dockerfile:experimental");
        assert_eq!(d.cmdline, "dockerfile:experimental // opts");
        assert_eq!(
            d.location,
            Location {
                start_line: 1,
                end_line: 1,
                file: 0,
            }
        );

        let d =
            detect_syntax("#!/bin/sh\n# syntax = dockerfile:experimental\nFROM busybox\n").unwrap();
        assert_eq!(d.value, "dockerfile:experimental");
        assert_eq!(d.location.start_line, 2);

        assert!(detect_syntax("#!/bin/sh\n\n# syntax = dockerfile:experimental\n").is_none());
        assert!(detect_syntax("FROM busybox\nRUN ls\n").is_none());
        assert_eq!(
            detect_syntax("//syntax=foo\n//key=value").unwrap().value,
            "foo"
        );
        assert_eq!(detect_syntax("#!/bin/sh\n//syntax=x").unwrap().value, "x");
        assert_eq!(
            detect_syntax(r#"{"syntax": "foo", "bar": ["abc"]}"#)
                .unwrap()
                .value,
            "foo"
        );
        assert!(detect_syntax(r#"{"syntax": "foo""#).is_none());
        assert!(detect_syntax("{\"syntax\": \"foo\"}\n# syntax=bar").is_none());
        let d = detect_syntax("\u{feff}# syntax = myfrontend\nFROM busybox\n").unwrap();
        assert_eq!((d.value.as_str(), d.location.start_line), ("myfrontend", 1));
    }

    #[test]
    fn parse_directive_cases() {
        let d = parse_directive("check", "#check = skip=all // opts\nFROM busybox\n").unwrap();
        assert_eq!(d.value, "skip=all");
        assert_eq!(d.cmdline, "skip=all // opts");
        let d = parse_directive("check", "#!/bin/sh\n# check = skip=all\nFROM busybox\n").unwrap();
        assert_eq!((d.value.as_str(), d.location.start_line), ("skip=all", 2));
        assert!(parse_directive("check", "#!/bin/sh\n\n# check = skip=all\n").is_none());
        assert!(parse_directive("check", "FROM busybox\nRUN ls\n").is_none());
        assert!(parse_directive("check", "//check=skip=all\n//key=value").is_none());
    }
}
