//! What counts as a git URL in ADD, and its parts: a port of BuildKit's `dfgitutil.ParseGitRef`
//! (with `gitutil.ParseURL` and the SCP-style `user@host:path` form), and the git source op the
//! reference's `llb.Git` makes from it.

use std::collections::BTreeMap;

use buildkit_llb::{Metadata, State};

/// A parsed git reference, e.g. `https://github.com/foo/bar.git#ref:sub/dir`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitRef {
    /// The repository URL without fragment and query, as git is given it.
    pub remote: String,
    /// The repository's directory name (`bar`).
    pub short_name: String,
    pub reference: String,
    /// A commit hash the checkout must match.
    pub checksum: String,
    pub sub_dir: String,
    /// `github.com/foo/bar`: no scheme, so it is also a local path (ADD treats it as one).
    pub indistinguishable_from_local: bool,
    /// `git://` and `http://`.
    pub unencrypted_tcp: bool,
    pub keep_git_dir: Option<bool>,
    pub submodules: Option<bool>,
    pub mtime: String,
    pub fetch_by_commit: bool,
}

/// The outcome of [`parse_git_ref`], mirroring the reference's `(ref, isGit, err)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRefParse {
    NotGit,
    /// It is a git URL, but its query is invalid.
    Invalid(String),
    Git(GitRef),
}

const SUPPORTED_SCHEMES: [&str; 4] = ["http", "https", "ssh", "git"];

/// A URL split the way Go's `net/url` splits it (only what git refs need).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct GitUrl {
    scheme: String,
    host: String,
    path: String,
    query: Vec<(String, String)>,
    fragment: String,
    remote: String,
}

pub fn parse_git_ref(s: &str) -> GitRefParse {
    if s.starts_with("./") || s.starts_with("../") {
        return GitRefParse::NotGit;
    }
    let mut res = GitRef::default();
    let url = if let Some(rest) = s.strip_prefix("github.com/") {
        res.indistinguishable_from_local = true;
        match parse_std_url(&format!("https://github.com/{rest}")) {
            Some(u) => u,
            None => return GitRefParse::NotGit,
        }
    } else {
        let Some(u) = parse_url(s) else {
            return GitRefParse::NotGit;
        };
        if u.scheme == "http" || u.scheme == "git" {
            res.unencrypted_tcp = true;
        }
        // An http(s) URL is a git ref only when its path ends in `.git`.
        if (u.scheme == "http" || u.scheme == "https") && !u.path.ends_with(".git") {
            return GitRefParse::NotGit;
        }
        u
    };
    res.remote = url.remote.clone();
    if res.indistinguishable_from_local {
        res.remote = res
            .remote
            .split_once("://")
            .map_or(res.remote.clone(), |(_, r)| r.to_string());
    }
    if !url.fragment.is_empty() {
        let (r, sub) = split_fragment(&url.fragment);
        res.reference = r;
        res.sub_dir = sub;
    }
    res.short_name = res
        .remote
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches_once(".git")
        .to_string();
    match load_query(&mut res, &url.query) {
        Ok(()) => GitRefParse::Git(res),
        Err(e) => GitRefParse::Invalid(e),
    }
}

/// `ref:sub/dir` with the subdirectory cleaned and relative.
fn split_fragment(fragment: &str) -> (String, String) {
    let (r, sub) = fragment.split_once(':').unwrap_or((fragment, ""));
    let sub = buildkit_llb::clean_path(&format!("/{sub}"));
    (r.to_string(), sub.trim_start_matches('/').to_string())
}

trait TrimOnce {
    fn trim_end_matches_once(&self, suffix: &str) -> &str;
}

impl TrimOnce for str {
    fn trim_end_matches_once(&self, suffix: &str) -> &str {
        self.strip_suffix(suffix).unwrap_or(self)
    }
}

/// `gitutil.ParseURL`: `scheme://…` with a supported scheme, or SCP-style `user@host:path`.
fn parse_url(s: &str) -> Option<GitUrl> {
    if let Some(scheme) = scheme_prefix(s) {
        if !SUPPORTED_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            return None;
        }
        return parse_std_url(s);
    }
    parse_scp_url(s)
}

/// The scheme of `^[a-zA-Z0-9]+://`.
fn scheme_prefix(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once("://")?;
    (!scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric())).then_some(scheme)
}

/// A `scheme://[user@]host/path?query#fragment` URL, as Go's `url.Parse` reads it.
fn parse_std_url(s: &str) -> Option<GitUrl> {
    if s.chars().any(|c| (c as u32) < 0x20 || c as u32 == 0x7f) {
        return None;
    }
    let (scheme, rest) = s.split_once("://")?;
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, unescape(f, false)?),
        None => (rest, String::new()),
    };
    let (rest, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let path = unescape(path, false)?;
    Some(GitUrl {
        scheme: scheme.to_ascii_lowercase(),
        host: host.to_string(),
        path,
        query: parse_query(raw_query),
        fragment,
        remote: format!("{}://{rest}", scheme.to_ascii_lowercase()),
    })
}

/// `^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$`
fn parse_scp_url(s: &str) -> Option<GitUrl> {
    let (user, rest) = s.split_once('@')?;
    if user.is_empty()
        || !user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let (host, rest) = rest.split_once(':')?;
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return None;
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
    let query = if raw_query.is_empty() {
        Vec::new()
    } else {
        parse_query_strict(raw_query)?
    };
    Some(GitUrl {
        scheme: "ssh".into(),
        host: host.to_string(),
        path: path.to_string(),
        query,
        fragment: fragment.to_string(),
        remote: format!("{user}@{host}:{path}"),
    })
}

/// Go's `url.ParseQuery`, keeping the pairs it could read (as `URL.Query` does).
fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty() && !p.contains(';'))
        .filter_map(query_pair)
        .collect()
}

/// Go's `url.ParseQuery` failing on the first bad pair.
fn parse_query_strict(raw: &str) -> Option<Vec<(String, String)>> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| if p.contains(';') { None } else { query_pair(p) })
        .collect()
}

fn query_pair(p: &str) -> Option<(String, String)> {
    let (k, v) = p.split_once('=').unwrap_or((p, ""));
    Some((unescape(k, true)?, unescape(v, true)?))
}

/// Percent-decoding (and `+` as space in queries); None on a bad escape, like Go.
fn unescape(s: &str, query: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
                continue;
            }
            b'+' if query => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn load_query(gf: &mut GitRef, query: &[(String, String)]) -> Result<(), String> {
    let mut values: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in query {
        values.entry(k).or_default().push(v);
    }
    let (mut tag, mut branch) = (String::new(), String::new());
    for (k, v) in values {
        if v.len() > 1 {
            return Err(format!("query \"{k}\" has multiple values"));
        }
        let v = v.first().copied().unwrap_or_default();
        let flag = |name: &str| -> Result<bool, String> {
            if v.is_empty() {
                return Ok(true);
            }
            crate::gocompat::parse::parse_bool(v)
                .ok_or_else(|| format!("invalid {name} value: \"{v}\""))
        };
        if v.is_empty() && !matches!(k, "submodules" | "keep-git-dir" | "fetch-by-commit") {
            return Err(format!("query \"{k}\" has no value"));
        }
        match k {
            "ref" => {
                if !gf.reference.is_empty() && gf.reference != v {
                    return Err(format!("ref conflicts: \"{}\" vs \"{v}\"", gf.reference));
                }
                gf.reference = v.to_string();
            }
            "tag" => tag = v.to_string(),
            "branch" => branch = v.to_string(),
            "subdir" => {
                if !gf.sub_dir.is_empty() && gf.sub_dir != v {
                    return Err(format!("subdir conflicts: \"{}\" vs \"{v}\"", gf.sub_dir));
                }
                gf.sub_dir = v.to_string();
            }
            "checksum" | "commit" => gf.checksum = v.to_string(),
            "keep-git-dir" => gf.keep_git_dir = Some(flag("keep-git-dir")?),
            "submodules" => gf.submodules = Some(flag("submodules")?),
            "mtime" => match v {
                "checkout" | "commit" => gf.mtime = v.to_string(),
                _ => {
                    return Err(format!(
                        "invalid mtime value: \"{v}\" (must be \"checkout\" or \"commit\")"
                    ))
                }
            },
            "fetch-by-commit" => gf.fetch_by_commit = flag("fetch-by-commit")?,
            _ => return Err(format!("unexpected query \"{k}\"")),
        }
    }
    if !tag.is_empty() {
        if !tag.starts_with("refs/tags/") {
            tag = format!("refs/tags/{tag}");
        }
        if !gf.reference.is_empty() && gf.reference != tag {
            return Err(format!("ref conflicts: \"{}\" vs \"{tag}\"", gf.reference));
        }
        gf.reference = tag.clone();
    }
    if !branch.is_empty() {
        if !tag.is_empty() {
            return Err("branch conflicts with tag".into());
        }
        if !branch.starts_with("refs/heads/") {
            branch = format!("refs/heads/{branch}");
        }
        if !gf.reference.is_empty() && gf.reference != branch {
            return Err(format!(
                "ref conflicts: \"{}\" vs \"{branch}\"",
                gf.reference
            ));
        }
        gf.reference = branch;
    }
    Ok(())
}

/// What ADD asks of a git source beyond the URL.
#[derive(Debug, Clone, Default)]
pub struct GitSourceOptions {
    pub reference: String,
    pub sub_dir: String,
    pub keep_git_dir: bool,
    pub checksum: String,
    pub skip_submodules: bool,
    pub fetch_by_commit: bool,
    pub advice: bool,
    /// `git.mtime`: `checkout` or `commit` (file times); empty leaves the daemon's default.
    pub mtime: String,
}

/// The source op of the reference's `llb.Git(remote, "", …)`: identifier `git://host/path#ref:subdir`,
/// the full URL, the auth secret names, and for SSH the agent socket. (The reference also scans the
/// SSH host's keys over the network, best effort; we never do.)
pub fn git_source(remote: &str, opts: &GitSourceOptions, metadata: Metadata) -> State {
    let (url, parsed) = match parse_url(remote) {
        Some(u) => (u.remote.clone(), Some(u)),
        None => {
            let https = format!("https://{remote}");
            match parse_url(&https) {
                Some(u) => (u.remote.clone(), Some(u)),
                None => (remote.to_string(), None),
            }
        }
    };
    let mut id = match &parsed {
        Some(u) => format!(
            "{}{}",
            u.host,
            buildkit_llb::clean_path(&format!("/{}", u.path))
        ),
        None => url.clone(),
    };
    if parsed.is_some() && (!opts.reference.is_empty() || !opts.sub_dir.is_empty()) {
        id.push('#');
        id.push_str(&opts.reference);
        if !opts.sub_dir.is_empty() {
            id.push(':');
            id.push_str(&opts.sub_dir);
        }
    }
    let mut md = metadata;
    let mut attrs = BTreeMap::new();
    if opts.keep_git_dir {
        attrs.insert("git.keepgitdir".to_string(), "true".to_string());
        md.caps.insert("source.git.keepgitdir".into());
    }
    if !url.is_empty() {
        attrs.insert("git.fullurl".into(), url.clone());
        md.caps.insert("source.git.fullurl".into());
    }
    attrs.insert("git.authtokensecret".into(), "GIT_AUTH_TOKEN".into());
    attrs.insert("git.authheadersecret".into(), "GIT_AUTH_HEADER".into());
    if parsed.as_ref().is_some_and(|u| u.scheme == "ssh") {
        md.caps.insert("source.git.knownsshhosts".into());
        attrs.insert("git.mountsshsock".into(), "default".into());
        md.caps.insert("source.git.mountsshsock".into());
    }
    if !opts.checksum.is_empty() {
        attrs.insert("git.checksum".into(), opts.checksum.clone());
        md.caps.insert("source.git.checksum".into());
    }
    if opts.skip_submodules {
        attrs.insert("git.skipsubmodules".into(), "true".into());
        md.caps.insert("source.git.skipsubmodules".into());
    }
    if !opts.mtime.is_empty() {
        attrs.insert("git.mtime".into(), opts.mtime.clone());
        md.caps.insert("source.git.mtime".into());
    }
    if opts.advice {
        attrs.insert("git.advice".into(), "true".into());
    }
    if opts.fetch_by_commit {
        attrs.insert("git.fetchbycommit".into(), "true".into());
        md.caps.insert("source.git.fetchbycommit".into());
    }
    State::source(&format!("git://{id}"), attrs, None, md)
}

/// Options that shape the git source of the context (from build args).
#[derive(Debug, Clone, Default)]
pub struct GitContextOptions {
    /// `BUILDKIT_CONTEXT_KEEP_GIT_DIR`.
    pub keep_git_dir: bool,
    /// `SOURCE_DATE_EPOCH` is set: file times are the commit's.
    pub mtime_commit: bool,
    /// `BUILDKIT_GIT_ADVICE`.
    pub advice: bool,
}

/// The git source state of a git context (the main one or a named one), as the reference's
/// `DetectGitContext` builds it.
pub fn git_state(r: &GitRef, raw: &str, opts: &GitContextOptions) -> State {
    let mtime = if !r.mtime.is_empty() {
        r.mtime.clone()
    } else if opts.mtime_commit {
        "commit".into()
    } else {
        String::new()
    };
    let source = GitSourceOptions {
        reference: r.reference.clone(),
        sub_dir: r.sub_dir.clone(),
        keep_git_dir: opts.keep_git_dir || r.keep_git_dir == Some(true),
        checksum: r.checksum.clone(),
        skip_submodules: r.submodules == Some(false),
        fetch_by_commit: r.fetch_by_commit,
        advice: opts.advice,
        mtime,
    };
    git_source(
        &r.remote,
        &source,
        Metadata::named(format!("[internal] load git source {raw}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(s: &str) -> GitRef {
        match parse_git_ref(s) {
            GitRefParse::Git(g) => g,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn https_needs_a_dot_git_path() {
        assert_eq!(
            parse_git_ref("https://example.com/file.tar.gz"),
            GitRefParse::NotGit
        );
        assert_eq!(
            parse_git_ref("https://example.com/x.git.tar"),
            GitRefParse::NotGit
        );
        let g = git("https://github.com/foo/bar.git#baz/qux:quux/quuz");
        assert_eq!(g.remote, "https://github.com/foo/bar.git");
        assert_eq!(g.short_name, "bar");
        assert_eq!(g.reference, "baz/qux");
        assert_eq!(g.sub_dir, "quux/quuz");
        assert!(!g.unencrypted_tcp);
    }

    #[test]
    fn other_forms() {
        let g = git("git@github.com:moby/buildkit.git#main");
        assert_eq!(
            (g.remote.as_str(), g.reference.as_str()),
            ("git@github.com:moby/buildkit.git", "main")
        );
        assert!(git("git://example.com/repo").unencrypted_tcp);
        assert!(git("http://example.com/repo.git").unencrypted_tcp);
        let g = git("github.com/moby/buildkit");
        assert!(g.indistinguishable_from_local);
        assert_eq!(g.remote, "github.com/moby/buildkit");
        assert_eq!(
            git("ssh://git@host:2222/r.git").remote,
            "ssh://git@host:2222/r.git"
        );
        assert_eq!(parse_git_ref("./github.com/x"), GitRefParse::NotGit);
        assert_eq!(
            parse_git_ref("ftp://example.com/x.git"),
            GitRefParse::NotGit
        );
        assert_eq!(parse_git_ref("dir/file"), GitRefParse::NotGit);
        assert_eq!(parse_git_ref("/abs/path.git"), GitRefParse::NotGit);
    }

    #[test]
    fn queries() {
        let g =
            git("https://github.com/foo/bar.git?ref=main&subdir=docs&keep-git-dir&checksum=abc");
        assert_eq!(
            (
                g.reference.as_str(),
                g.sub_dir.as_str(),
                g.keep_git_dir,
                g.checksum.as_str()
            ),
            ("main", "docs", Some(true), "abc")
        );
        assert_eq!(git("https://x/r.git?tag=v1").reference, "refs/tags/v1");
        assert_eq!(
            git("https://x/r.git?branch=dev&submodules=false").reference,
            "refs/heads/dev"
        );
        assert_eq!(
            git("https://x/r.git?submodules=false").submodules,
            Some(false)
        );
        let bad = |s: &str| match parse_git_ref(s) {
            GitRefParse::Invalid(e) => e,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(bad("https://x/r.git?foo=1"), "unexpected query \"foo\"");
        assert_eq!(bad("https://x/r.git?ref="), "query \"ref\" has no value");
        assert_eq!(
            bad("https://x/r.git?ref=a&ref=b"),
            "query \"ref\" has multiple values"
        );
        assert_eq!(
            bad("https://x/r.git?ref=b#a"),
            "ref conflicts: \"a\" vs \"b\""
        );
        assert_eq!(
            bad("https://x/r.git?tag=a&branch=b"),
            "branch conflicts with tag"
        );
        assert_eq!(
            bad("https://x/r.git?keep-git-dir=maybe"),
            "invalid keep-git-dir value: \"maybe\""
        );
    }
}
