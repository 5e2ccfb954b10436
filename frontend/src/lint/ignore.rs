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
    /// `None` for a pattern that is not a valid regexp: matching it is an error.
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
    /// matched by the last pattern that applies. An error when a pattern that applies is not
    /// a valid regexp (Go compiles them lazily, when first asked).
    pub fn matches_or_parent_matches(&self, file: &str) -> Result<bool, String> {
        let parent = dir(file);
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut m = p
                .matches(file)
                .map_err(|()| "syntax error in pattern".to_string())?;
            if !m && parent != "." {
                for i in 0..parent_dirs.len() {
                    // Go ignores the error here.
                    if p.matches(&parent_dirs[..=i].join("/")) == Ok(true) {
                        m = true;
                        break;
                    }
                }
            }
            if m {
                matched = !p.exclusion;
            }
        }
        Ok(matched)
    }
}

impl Pattern {
    /// `Pattern.match`: an error for a regexp that does not compile.
    fn matches(&self, path: &str) -> Result<bool, ()> {
        Ok(match self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            Kind::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || (suffix.starts_with('/') && path == &suffix[1..])
            }
            Kind::Regexp => self.regexp.as_ref().ok_or(())?.is_match(path),
        })
    }
}

/// Go's `filepath.Dir` for slash-separated paths.
fn dir(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => buildkit_llb::clean_path(&p[..=i]),
        None => ".".to_string(),
    }
}

/// patternmatcher's syntax check: the error of Go's `filepath.Match(p, ".")`. Go reports a
/// malformed pattern only where matching `.` reaches it (`x*[` passes, `a[` does not), so this
/// is a port of `Match` itself.
fn check_syntax(p: &str) -> Result<(), String> {
    go_match(p.as_bytes(), b".")
        .map(|_| ())
        .map_err(|()| "syntax error in pattern".to_string())
}

/// Go's `filepath.Match` on Unix (`Err(())` is `ErrBadPattern`).
fn go_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, ()> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing * matches the rest of the name unless it has a /.
            return Ok(!name.contains(&b'/'));
        }
        if let Some(t) = match_chunk(chunk, name)? {
            if t.is_empty() || !pattern.is_empty() {
                name = t;
                continue;
            }
        }
        if star {
            // Skip i+1 bytes of the name (not a /) and try again.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                if let Some(t) = match_chunk(chunk, &name[i + 1..])? {
                    if !pattern.is_empty() || t.is_empty() {
                        name = t;
                        continue 'pattern;
                    }
                }
                i += 1;
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// `scanChunk`: the leading stars, the chunk up to the next star outside `[…]`, the rest.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while pattern.first() == Some(&b'*') {
        pattern = &pattern[1..];
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => return (star, &pattern[..i], &pattern[i..]),
            _ => {}
        }
        i += 1;
    }
    (star, pattern, &[])
}

/// `matchChunk`: the rest of `s` when the chunk matches its start. A malformation anywhere in
/// the chunk is an error even after the match failed.
fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> Result<Option<&'s [u8]>, ()> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        failed = failed || s.is_empty();
        match c {
            b'[' => {
                let mut r = 0;
                if !failed {
                    let (ch, n) = decode_rune(s);
                    r = ch;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    matched = matched || (lo <= r && r <= hi);
                    nrange += 1;
                }
                failed = failed || matched == negated;
            }
            b'?' => {
                if !failed {
                    failed = s[0] == b'/';
                    s = &s[decode_rune(s).1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(());
                    }
                }
                if !failed {
                    failed = chunk[0] != s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok((!failed).then_some(s))
}

/// `getEsc`: one possibly escaped character of a range, and what follows it (never nothing).
fn get_esc(mut chunk: &[u8]) -> Result<(u32, &[u8]), ()> {
    if matches!(chunk.first(), None | Some(b'-' | b']')) {
        return Err(());
    }
    if chunk[0] == b'\\' {
        chunk = &chunk[1..];
        if chunk.is_empty() {
            return Err(());
        }
    }
    let (r, n) = decode_rune(chunk);
    let rest = &chunk[n..];
    if (r == 0xFFFD && n == 1) || rest.is_empty() {
        return Err(());
    }
    Ok((r, rest))
}

/// `utf8.DecodeRuneInString` on a non-empty slice: the character and its length, or
/// U+FFFD and 1 for a byte that starts no valid character.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    let prefix = &s[..s.len().min(4)];
    let valid = match std::str::from_utf8(prefix) {
        Ok(v) => v,
        Err(e) => std::str::from_utf8(&prefix[..e.valid_up_to()]).unwrap_or_default(),
    };
    match valid.chars().next() {
        Some(c) => (u32::from(c), c.len_utf8()),
        None => (0xFFFD, 1),
    }
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
            // patternmatcher means to escape `.+()|{}$`, but its bitmap (`[8]byte`, indexed by
            // `1 << (b / 8)`) loses every byte from 64 up: `|`, `{` and `}` reach the regexp
            // as they are (`a|` matches everything).
            '.' | '+' | '(' | ')' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => match chars.get(pos) {
                Some(&next) => {
                    pos += 1;
                    // Go reads `\<` and `\>` as the characters; Rust as word boundaries.
                    if !matches!(next, '<' | '>') {
                        re.push('\\');
                    }
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
            .unwrap()
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

    /// Found by the fuzz target `dockerignore` against moby's own code: Go's syntax check
    /// is `filepath.Match(p, ".")`, which stops looking once `.` cannot match.
    #[test]
    fn syntax_errors_are_those_go_finds_matching_a_dot() {
        let ok = |p: &str| IgnoreMatcher::new(&[p.to_string()]).is_ok();
        assert!(ok("**/*. spaced["));
        assert!(ok("x*["));
        assert!(ok("\u{0}*.docker[ore"));
        assert!(!ok("a["));
        assert!(!ok("*["));
        assert!(!ok("*.["));
        assert!(!ok(".["));
        assert!(!ok("[]"));
        assert!(!ok("[a-]"));
        assert!(ok("[a-c]x"));
    }

    /// A pattern whose regexp does not compile fails the match when it is reached (the
    /// reference then reports nothing), not before.
    #[test]
    fn an_invalid_regexp_fails_the_match_where_it_applies() {
        let pm = |p: &[&str]| {
            IgnoreMatcher::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
        };
        assert!(pm(&["b\\m", "a"]).matches_or_parent_matches("a").is_err());
        assert_eq!(pm(&["a", "b\\m"]).matches_or_parent_matches("a"), Ok(true));
    }

    /// Found by the fuzz target `dockerignore` against moby's patternmatcher: `|` is not
    /// escaped there (so `a|` matches any path), and an escaped `<` or `>` is the character.
    #[test]
    fn regexps_are_those_patternmatcher_builds() {
        assert!(m(&["**?r|"], "Dockerfile"));
        assert!(!m(&["**?r"], "Dockerfile"));
        assert!(m(&["x|y*"], "y1"));
        assert!(m(&["a\\>*"], "a>b"));
        assert!(m(&["[a\\>]*"], ">"));
        assert!(!m(&["a\\<*"], "a"));
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
