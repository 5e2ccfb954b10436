//! The pattern operators: `${v#p}`, `${v##p}`, `${v%p}`, `${v%%p}`, `${v/p/r}` and `${v//p/r}`.
//!
//! Ported from BuildKit's `convertShellPatternToRegex`, `trimPrefix`, `trimSuffix` and the `/`
//! branch of `processDollar`: `*` and `?` are wildcards, `\` escapes `*`, `?` and `\`, and a `\`
//! before `}` or `/` is dropped. There are no bracket expressions.

use super::lex::SizeLimit;
use super::matcher::{Atom, Pattern};
use super::regex_limits::GoParseCost;
use super::scanner::{rune_string, Scanner};
use crate::gocompat::unicode::{is_digit, is_letter};

/// BuildKit's `convertShellPatternToRegex`; the error is its message (before the
/// "invalid pattern" prefix its callers add).
pub(super) fn compile(pattern: &str, greedy: bool, anchored: bool) -> Result<Pattern, String> {
    let mut s = Scanner::new(pattern);
    let mut atoms = Vec::new();
    let mut cost = GoParseCost::new(anchored);
    while let Some(tok) = s.next() {
        match tok {
            '*' => atoms.push(Atom::Star),
            '?' => atoms.push(Atom::Any),
            '\\' => {
                // `\}` and `\/` only protect the ${} syntax; the character itself is read next.
                if matches!(s.peek(), Some('}' | '/')) {
                    continue;
                }
                match s.next() {
                    Some(c @ ('*' | '?' | '\\')) => atoms.push(Atom::Lit(c)),
                    other => return Err(format!("invalid escape '\\{}'", rune_string(other))),
                }
            }
            c => atoms.push(Atom::Lit(c)),
        }
        if let Some(&atom) = atoms.last() {
            cost.add(atom);
        }
    }
    if cost.too_large() {
        return Err(format!(
            "error parsing regexp: expression too large: `{}`",
            regex_source(&atoms, greedy, anchored)
        ));
    }
    Ok(Pattern::new(atoms, greedy, anchored))
}

/// The regular expression BuildKit builds for a pattern (Go quotes it in errors).
pub(super) fn regex_source(atoms: &[Atom], greedy: bool, anchored: bool) -> String {
    let mut out = String::from(if anchored { "^" } else { "" });
    for atom in atoms {
        match *atom {
            Atom::Star if greedy => out.push_str(".*"),
            Atom::Star => out.push_str(".*?"),
            Atom::Any => out.push('.'),
            Atom::Lit(c) => {
                if "[]{}.+()|^$*?\\".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

fn compile_for(pattern: &str, greedy: bool, anchored: bool) -> Result<Pattern, String> {
    compile(pattern, greedy, anchored)
        .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))
}

/// `${v#pattern}` (shortest) and `${v##pattern}` (longest, `greedy`).
pub(super) fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let re = compile_for(pattern, greedy, true)?;
    Ok(match re.find_at(value, 0) {
        Some((_, end)) => value[end..].to_owned(),
        None => value.to_owned(),
    })
}

/// `${v%pattern}` and `${v%%pattern}`: a regular expression finds the leftmost match only, so
/// BuildKit reverses both the value and the pattern and trims a prefix instead.
pub(super) fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let trimmed = trim_prefix(&reverse_pattern(pattern), &reverse_string(value), greedy)?;
    Ok(reverse_string(&trimmed))
}

/// Reverses a pattern but keeps each `\x` escape pair in order (`a\*c` becomes `c\*a`). Pairs
/// are found reading forwards, as BuildKit's `reversePattern` does.
pub(super) fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens: Vec<&[char]> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let len = if chars[i] == '\\' && i + 1 < chars.len() {
            2
        } else {
            1
        };
        tokens.push(&chars[i..i + len]);
        i += len;
    }
    tokens.iter().rev().flat_map(|t| t.iter()).collect()
}

pub(super) fn reverse_string(s: &str) -> String {
    s.chars().rev().collect()
}

/// `${v/pattern/replacement}` and `${v//pattern/replacement}`. Stars are always greedy here.
/// A result over `limit` bytes is an error (replacing every character of a long value with a
/// long text multiplies their lengths).
pub(super) fn replace(
    pattern: &str,
    value: &str,
    replacement: &str,
    all: bool,
    limit: SizeLimit,
) -> Result<String, String> {
    let re = compile_for(pattern, true, false)?;
    if !all {
        // Go's FindStringIndex and a plain splice: the replacement is literal.
        return Ok(match re.find_at(value, 0) {
            Some((a, b)) => {
                limit.check(value.len() - (b - a) + replacement.len())?;
                [&value[..a], replacement, &value[b..]].concat()
            }
            None => value.to_owned(),
        });
    }
    replace_all(&re, value, replacement, limit)
}

/// Go's `Regexp.ReplaceAllString`: non-overlapping matches, an empty match right after a match
/// is not replaced, and the replacement is a template where `$0` is the match.
fn replace_all(re: &Pattern, src: &str, repl: &str, limit: SizeLimit) -> Result<String, String> {
    let mut out = String::with_capacity(src.len());
    let mut last_end = 0;
    let mut search = 0;
    let mut searcher = re.searcher();
    while search <= src.len() {
        let Some((a, b)) = searcher.find_at(src, search) else {
            break;
        };
        limit.check(out.len() + (a - last_end))?;
        out.push_str(&src[last_end..a]);
        if b > last_end || a == 0 {
            expand(&mut out, repl, &src[a..b], limit)?;
        }
        last_end = b;
        // Always advance by at least one character.
        let width = src[search..].chars().next().map_or(0, char::len_utf8);
        if search + width > b {
            search += width;
        } else if search + 1 > b {
            search += 1;
        } else {
            search = b;
        }
    }
    limit.check(out.len() + (src.len() - last_end))?;
    out.push_str(&src[last_end..]);
    Ok(out)
}

/// Go's `Regexp.Expand` for an expression without groups: `$$` is `$`, `$0`/`${0}` the match,
/// any other `$name`/`${name}` nothing, and a `$` not followed by a name is literal. Fails when
/// `out` would pass `limit` bytes.
fn expand(
    out: &mut String,
    mut template: &str,
    matched: &str,
    limit: SizeLimit,
) -> Result<(), String> {
    while let Some((before, after)) = template.split_once('$') {
        limit.check(out.len() + before.len() + 1)?;
        out.push_str(before);
        template = after;
        if let Some(rest) = template.strip_prefix('$') {
            out.push('$');
            template = rest;
            continue;
        }
        match extract_name(template) {
            Some((name, rest)) => {
                if name == "0" {
                    limit.check(out.len() + matched.len())?;
                    out.push_str(matched);
                }
                template = rest;
            }
            None => out.push('$'),
        }
    }
    limit.check(out.len() + template.len())?;
    out.push_str(template);
    Ok(())
}

/// Go's `extract`: a leading `name` or `{name}` of letters, digits and `_`, and what follows.
fn extract_name(s: &str) -> Option<(&str, &str)> {
    let (brace, s) = match s.strip_prefix('{') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let end = s
        .char_indices()
        .find(|&(_, c)| !is_letter(c) && !is_digit(c) && c != '_')
        .map_or(s.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let (name, rest) = s.split_at(end);
    if brace {
        return rest.strip_prefix('}').map(|rest| (name, rest));
    }
    Some((name, rest))
}
