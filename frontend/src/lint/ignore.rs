//! `.dockerignore` matching for the CopyIgnoredFile check: a port of moby's
//! `patternmatcher` (v0.6.1) — each pattern becomes an exact, prefix, suffix or regexp match,
//! and a path is ignored when it or one of its parent directories matches.

use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regexp,
}

#[derive(Debug)]
struct Pattern {
    cleaned: String,
    exclusion: bool,
    kind: Kind,
    /// `None` for a pattern that is not a valid regexp: it never matches.
    regexp: Option<Regex>,
}

/// The patterns of one `.dockerignore`.
#[derive(Debug)]
pub struct IgnoreMatcher {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

impl IgnoreMatcher {
    /// `patternmatcher.New`; an error for a pattern `filepath.Match` would reject.
    pub fn new(patterns: &[String]) -> Result<Self, String> {
        let mut out = Vec::new();
        let mut exclusions = false;
        for p in patterns {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            let mut p = buildkit_llb::clean_path(p);
            let mut exclusion = false;
            if let Some(rest) = p.strip_prefix('!') {
                if rest.is_empty() {
                    return Err("illegal exclusion pattern: \"!\"".to_string());
                }
                exclusion = true;
                exclusions = true;
                p = rest.to_string();
            }
            check_syntax(&p)?;
            let (kind, regexp) = compile(&p);
            out.push(Pattern {
                cleaned: p,
                exclusion,
                kind,
                regexp,
            });
        }
        Ok(IgnoreMatcher {
            patterns: out,
            exclusions,
        })
    }

    /// Whether any pattern starts with `!`.
    pub fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    /// Whether a pattern ignores every entry of the context root (`*`, `**`, `**/*`).
    pub fn ignores_root(&self) -> bool {
        self.patterns
            .iter()
            .any(|p| !p.exclusion && matches!(p.cleaned.as_str(), "*" | "**" | "**/*"))
    }

    /// `MatchesOrParentMatches`: `file` (slash-separated, cleaned) or a parent directory is
    /// matched by the last pattern that applies.
    pub fn matches_or_parent_matches(&self, file: &str) -> bool {
        let parent = dir(file);
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut m = p.matches(file);
            if !m && parent != "." {
                for i in 0..parent_dirs.len() {
                    if p.matches(&parent_dirs[..=i].join("/")) {
                        m = true;
                        break;
                    }
                }
            }
            if m {
                matched = !p.exclusion;
            }
        }
        matched
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            Kind::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || (suffix.starts_with('/') && path == &suffix[1..])
            }
            Kind::Regexp => self.regexp.as_ref().is_some_and(|r| r.is_match(path)),
        }
    }
}

/// Go's `filepath.Dir` for slash-separated paths.
fn dir(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => buildkit_llb::clean_path(&p[..=i]),
        None => ".".to_string(),
    }
}

/// The syntax errors `filepath.Match` reports: an unclosed `[`, a trailing `\`.
fn check_syntax(p: &str) -> Result<(), String> {
    let bad = || Err("syntax error in pattern".to_string());
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next().is_none() => return bad(),
            '[' => {
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                let mut n = 0;
                loop {
                    match chars.next() {
                        None => return bad(),
                        Some(']') if n > 0 => break,
                        Some('\\') => {
                            if chars.next().is_none() {
                                return bad();
                            }
                        }
                        Some(_) => {}
                    }
                    n += 1;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `Pattern.compile`: the pattern as a regexp, or a cheaper match kind when it allows one.
fn compile(pattern: &str) -> (Kind, Option<Regex>) {
    let mut re = String::from("^");
    let mut kind = Kind::Exact;
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let mut i = 0;
    while pos < chars.len() {
        let ch = chars[pos];
        pos += 1;
        match ch {
            '*' if chars.get(pos) == Some(&'*') => {
                pos += 1;
                if chars.get(pos) == Some(&'/') {
                    pos += 1;
                }
                if pos == chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = Kind::Regexp;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = Kind::Regexp;
                }
                if i == 0 {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = Kind::Regexp;
            }
            '?' => {
                re.push_str("[^/]");
                kind = Kind::Regexp;
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => match chars.get(pos) {
                Some(&next) => {
                    pos += 1;
                    re.push('\\');
                    re.push(next);
                    kind = Kind::Regexp;
                }
                None => re.push('\\'),
            },
            '[' | ']' => {
                re.push(ch);
                kind = Kind::Regexp;
            }
            _ => re.push(ch),
        }
        i += 1;
    }
    if kind == Kind::Regexp {
        re.push('$');
        return (kind, Regex::new(&re).ok());
    }
    (kind, None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn m(patterns: &[&str], file: &str) -> bool {
        let p: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
        IgnoreMatcher::new(&p)
            .unwrap()
            .matches_or_parent_matches(file)
    }

    // Cases from patternmatcher's TestMatchesOrParentMatches and TestMatches.
    #[test]
    fn matches_like_patternmatcher() {
        assert!(m(&["Dockerfile"], "Dockerfile"));
        assert!(!m(&["Dockerfile"], "Dockerfile2"));
        assert!(m(&["*"], "fileutils.go"));
        assert!(m(&["*.go"], "fileutils.go"));
        assert!(!m(&["*.go"], "dir/fileutils.go"));
        assert!(m(&["docs"], "docs/README.md"));
        assert!(m(&["docs/*"], "docs/a/b"));
        assert!(m(&["**"], "a/b/c"));
        assert!(m(&["**/foo"], "foo"));
        assert!(m(&["**/foo"], "a/b/foo"));
        assert!(!m(&["**/foo"], "a/bfoo"));
        assert!(m(&["a/**"], "a/b/c"));
        assert!(m(&["a/**/c"], "a/c"));
        assert!(m(&["a/**/c"], "a/b/x/c"));
        assert!(m(&["?.txt"], "a.txt"));
        assert!(!m(&["?.txt"], "ab.txt"));
        assert!(m(&["[a-c].txt"], "b.txt"));
        assert!(!m(&["[a-c].txt"], "d.txt"));
        assert!(m(&["a.b"], "a.b"));
        assert!(!m(&["a.b"], "axb"));
    }

    #[test]
    fn exclusions_and_order() {
        assert!(!m(&["**", "!Dockerfile"], "Dockerfile"));
        assert!(m(&["**", "!Dockerfile"], "other"));
        assert!(m(&["docs", "!docs/keep", "docs/keep"], "docs/keep"));
        let p = IgnoreMatcher::new(&["a".into(), "!b".into()]).unwrap();
        assert!(p.has_exclusions());
    }

    #[test]
    fn root_patterns_and_errors() {
        assert!(IgnoreMatcher::new(&["*".into()]).unwrap().ignores_root());
        assert!(IgnoreMatcher::new(&["**/*".into()]).unwrap().ignores_root());
        assert!(!IgnoreMatcher::new(&[".*".into()]).unwrap().ignores_root());
        assert!(IgnoreMatcher::new(&["!".into()]).is_err());
        assert!(IgnoreMatcher::new(&["[a".into()]).is_err());
        assert!(IgnoreMatcher::new(&["a\\".into()]).is_err());
    }
}
