//! A remote build context (`--opt context=<url>`, as `docker build <url>` sends it): a git
//! repository or an http(s) URL, detected like the reference's `dockerui.DetectGitContext`
//! and `DetectHTTPContext`, and turned into the source state the build reads from.

use std::collections::BTreeMap;

use buildkit_llb::{HttpOptions, Metadata, State};

/// A git URL split the way BuildKit's `dfgitutil.ParseGitRef` splits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitRef {
    /// The URL to fetch, without fragment and query (`https://host/repo.git`).
    pub remote: String,
    pub scheme: String,
    pub host: String,
    pub path: String,
    pub git_ref: String,
    pub subdir: String,
    pub checksum: String,
    pub keep_git_dir: Option<bool>,
    pub submodules: Option<bool>,
    pub mtime: String,
    pub fetch_by_commit: bool,
}

/// Why a string that looks like a git URL is still not a usable one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRefError(pub String);

const GIT_SCHEMES: &[&str] = &["http", "https", "ssh", "git"];

/// `Ok(None)`: not a git URL at all. `Err`: a git URL with a bad query.
pub fn parse_git_ref(s: &str) -> Result<Option<GitRef>, GitRefError> {
    if s.starts_with("./") || s.starts_with("../") {
        return Ok(None);
    }
    let mut r = GitRef::default();
    let query;
    if let Some(rest) = s.strip_prefix("github.com/") {
        // Deprecated, still accepted for build contexts: the remote keeps no scheme.
        let (url, q, fragment) = split_url(rest);
        query = q;
        r.scheme = "https".into();
        r.host = "github.com".into();
        r.path = format!("/{url}");
        r.remote = format!("github.com/{url}");
        set_fragment(&mut r, fragment);
    } else if let Some((scheme, rest)) = split_scheme(s) {
        if !GIT_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            return Ok(None);
        }
        let (url, q, fragment) = split_url(rest);
        query = q;
        let (authority, path) = url.find('/').map_or((url, ""), |i| (&url[..i], &url[i..]));
        r.scheme = scheme.to_ascii_lowercase();
        r.host = authority.rsplit_once('@').map_or(authority, |(_, h)| h).to_string();
        r.path = path.to_string();
        // Over http(s), only a path ending in .git says "git repository".
        if matches!(r.scheme.as_str(), "http" | "https") && !r.path.ends_with(".git") {
            return Ok(None);
        }
        r.remote = format!("{scheme}://{url}");
        set_fragment(&mut r, fragment);
    } else if let Some((user, host, path, q, fragment)) = split_scp(s) {
        query = q;
        r.scheme = "ssh".into();
        r.host = host.to_string();
        r.path = path.to_string();
        r.remote = format!("{user}@{host}:{path}");
        set_fragment(&mut r, fragment);
    } else {
        return Ok(None);
    }
    load_query(&mut r, query)?;
    Ok(Some(r))
}

/// `scheme://rest` when the scheme is alphanumeric (Go's `^[a-zA-Z0-9]+://`).
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    (!scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric())).then_some((scheme, rest))
}

/// `url?query#fragment` → (url, query, fragment), as Go's `url.Parse` cuts them.
fn split_url(s: &str) -> (&str, &str, &str) {
    let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
    let (url, query) = rest.split_once('?').unwrap_or((rest, ""));
    (url, query, fragment)
}

/// `user@host:path?query#fragment` (Go's `gitSSHRegex`).
fn split_scp(s: &str) -> Option<(&str, &str, &str, &str, &str)> {
    let (user, rest) = s.split_once('@')?;
    let (host, rest) = rest.split_once(':')?;
    let user_ok = !user.is_empty() && user.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let host_ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !user_ok || !host_ok {
        return None;
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Some((user, host, path, query, fragment))
}

/// `ref:subdir`, the subdir cleaned like `path.Join("/", subdir)` without the leading slash.
fn set_fragment(r: &mut GitRef, fragment: &str) {
    if fragment.is_empty() {
        return;
    }
    let (git_ref, subdir) = fragment.split_once(':').unwrap_or((fragment, ""));
    r.git_ref = git_ref.to_string();
    r.subdir = buildkit_llb::clean_path(&format!("/{subdir}")).trim_start_matches('/').to_string();
}

fn load_query(r: &mut GitRef, query: &str) -> Result<(), GitRefError> {
    let err = |m: String| Err(GitRefError(m));
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        values.entry(percent_decode(k)).or_default().push(percent_decode(v));
    }
    let (mut tag, mut branch) = (String::new(), String::new());
    let parse_flag = |k: &str, v: Option<&String>| -> Result<bool, GitRefError> {
        match v {
            None => Ok(true),
            Some(v) => crate::options::parse_bool(v).ok_or_else(|| GitRefError(format!("invalid {k} value: {v:?}"))),
        }
    };
    for (k, v) in &values {
        if v.len() > 1 {
            return err(format!("query {k:?} has multiple values"));
        }
        let value = v.first().filter(|v| !v.is_empty());
        if value.is_none() && !matches!(k.as_str(), "submodules" | "keep-git-dir" | "fetch-by-commit") {
            return err(format!("query {k:?} has no value"));
        }
        let val = value.cloned().unwrap_or_default();
        match k.as_str() {
            "ref" => {
                if !r.git_ref.is_empty() && r.git_ref != val {
                    return err(format!("ref conflicts: {:?} vs {val:?}", r.git_ref));
                }
                r.git_ref = val;
            }
            "tag" => tag = val,
            "branch" => branch = val,
            "subdir" => {
                if !r.subdir.is_empty() && r.subdir != val {
                    return err(format!("subdir conflicts: {:?} vs {val:?}", r.subdir));
                }
                r.subdir = val;
            }
            "checksum" | "commit" => r.checksum = val,
            "keep-git-dir" => r.keep_git_dir = Some(parse_flag(k, value)?),
            "submodules" => r.submodules = Some(parse_flag(k, value)?),
            "fetch-by-commit" => r.fetch_by_commit = parse_flag(k, value)?,
            "mtime" => match val.as_str() {
                "checkout" | "commit" => r.mtime = val,
                _ => return err(format!("invalid mtime value: {val:?} (must be \"checkout\" or \"commit\")")),
            },
            _ => return err(format!("unexpected query {k:?}")),
        }
    }
    if !tag.is_empty() {
        let tag = if tag.starts_with("refs/tags/") { tag } else { format!("refs/tags/{tag}") };
        if !r.git_ref.is_empty() && r.git_ref != tag {
            return err(format!("ref conflicts: {:?} vs {tag:?}", r.git_ref));
        }
        r.git_ref = tag;
    }
    if !branch.is_empty() {
        if r.git_ref.starts_with("refs/tags/") && values.contains_key("tag") {
            return err("branch conflicts with tag".into());
        }
        let branch = if branch.starts_with("refs/heads/") { branch } else { format!("refs/heads/{branch}") };
        if !r.git_ref.is_empty() && r.git_ref != branch {
            return err(format!("ref conflicts: {:?} vs {branch:?}", r.git_ref));
        }
        r.git_ref = branch;
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or(()) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Options that shape the git source of the context (from build args).
#[derive(Debug, Clone, Default)]
pub struct GitContextOptions {
    /// `BUILDKIT_CONTEXT_KEEP_GIT_DIR`.
    pub keep_git_dir: bool,
    /// `SOURCE_DATE_EPOCH` is set: file times are the commit's.
    pub mtime_commit: bool,
}

/// The git source state, built like Go's `llb.Git(remote, "", opts...)`.
pub fn git_state(r: &GitRef, raw: &str, opts: &GitContextOptions) -> State {
    let mut id = format!("{}{}", r.host, buildkit_llb::clean_path(&format!("/{}", r.path)));
    if !r.git_ref.is_empty() || !r.subdir.is_empty() {
        id.push('#');
        id.push_str(&r.git_ref);
        if !r.subdir.is_empty() {
            id.push(':');
            id.push_str(&r.subdir);
        }
    }
    let mut attrs = BTreeMap::new();
    if opts.keep_git_dir || r.keep_git_dir == Some(true) {
        attrs.insert("git.keepgitdir".to_string(), "true".to_string());
    }
    attrs.insert("git.fullurl".into(), r.remote.clone());
    attrs.insert("git.authtokensecret".into(), "GIT_AUTH_TOKEN".into());
    attrs.insert("git.authheadersecret".into(), "GIT_AUTH_HEADER".into());
    if r.scheme == "ssh" {
        attrs.insert("git.mountsshsock".into(), "default".into());
    }
    if !r.checksum.is_empty() {
        attrs.insert("git.checksum".into(), r.checksum.clone());
    }
    if r.submodules == Some(false) {
        attrs.insert("git.skipsubmodules".into(), "true".into());
    }
    let mtime = if !r.mtime.is_empty() { r.mtime.clone() } else if opts.mtime_commit { "commit".into() } else { String::new() };
    if !mtime.is_empty() {
        attrs.insert("git.mtime".into(), mtime);
    }
    if r.fetch_by_commit {
        attrs.insert("git.fetchbycommit".into(), "true".into());
    }
    State::source(&format!("git://{id}"), attrs, None, Metadata::named(format!("[internal] load git source {raw}")))
}

/// `http://` or `https://`: the context is downloaded (a Dockerfile, or an archive of the context).
pub fn is_http_context(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// The file name the downloaded context is stored under.
pub const HTTP_CONTEXT_FILENAME: &str = "context";

pub fn http_state(url: &str) -> State {
    State::http(
        url,
        HttpOptions {
            filename: Some(HTTP_CONTEXT_FILENAME.into()),
            metadata: Metadata::named("[internal] load remote build context"),
            ..Default::default()
        },
    )
}

/// BuildKit's `archiveutil.IsArchive` on the first bytes of a file: a compressed stream or a tar header.
pub fn is_archive(header: &[u8]) -> bool {
    const MAGICS: &[&[u8]] = &[b"BZh", &[0x1f, 0x8b, 0x08], &[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], &[0x28, 0xb5, 0x2f, 0xfd]];
    if MAGICS.iter().any(|m| header.starts_with(m)) {
        return true;
    }
    if header.len() >= 8 {
        let magic = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            return true;
        }
    }
    is_tar_header(header)
}

/// A 512-byte tar header whose checksum field matches its bytes.
fn is_tar_header(h: &[u8]) -> bool {
    if h.len() < 512 || h[..512].iter().all(|&b| b == 0) {
        return false;
    }
    let field = String::from_utf8_lossy(&h[148..156]);
    let Ok(expected) = u32::from_str_radix(field.trim_matches(|c: char| c == '\0' || c == ' '), 8) else { return false };
    let sum: u32 = h[..512].iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { u32::from(b' ') } else { u32::from(b) }).sum();
    sum == expected
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn git(s: &str) -> GitRef {
        parse_git_ref(s).unwrap().unwrap_or_else(|| GitRef { remote: format!("NOT GIT: {s}"), ..Default::default() })
    }

    #[test]
    fn recognises_git_urls() {
        let r = git("https://example.com/foo/bar.git#v1:sub/dir");
        assert_eq!((r.remote.as_str(), r.git_ref.as_str(), r.subdir.as_str()), ("https://example.com/foo/bar.git", "v1", "sub/dir"));
        assert_eq!(git("git://127.0.0.1:9418/repo").host, "127.0.0.1:9418");
        let scp = git("git@github.com:moby/buildkit.git#main");
        assert_eq!((scp.scheme.as_str(), scp.path.as_str(), scp.git_ref.as_str()), ("ssh", "moby/buildkit.git", "main"));
        assert_eq!(git("github.com/moby/buildkit").remote, "github.com/moby/buildkit");
    }

    #[test]
    fn other_strings_are_not_git() {
        for s in ["https://example.com/context.tar.gz", "./repo.git", "dir", "docker-image://busybox", ""] {
            assert_eq!(parse_git_ref(s).unwrap(), None, "{s}");
        }
    }

    #[test]
    fn query_forms() {
        let r = git("https://h/r.git?tag=v1&subdir=a%2Fb&keep-git-dir");
        assert_eq!((r.git_ref.as_str(), r.subdir.as_str(), r.keep_git_dir), ("refs/tags/v1", "a/b", Some(true)));
        assert_eq!(git("https://h/r.git?branch=dev").git_ref, "refs/heads/dev");
        assert!(parse_git_ref("https://h/r.git#a?ref=b").is_ok());
        assert_eq!(parse_git_ref("https://h/r.git?ref=b#a").unwrap_err().0, "ref conflicts: \"a\" vs \"b\"");
        assert_eq!(parse_git_ref("https://h/r.git?nope=1").unwrap_err().0, "unexpected query \"nope\"");
        assert_eq!(parse_git_ref("https://h/r.git?ref=").unwrap_err().0, "query \"ref\" has no value");
    }

    #[test]
    fn git_source_identifier_and_attrs() {
        let r = git("http://127.0.0.1:8080/repo.git#main:sub");
        let st = git_state(&r, "http://127.0.0.1:8080/repo.git#main:sub", &GitContextOptions { keep_git_dir: false, mtime_commit: true });
        let def = st.marshal().unwrap();
        let ops: Vec<buildkit_proto::pb::Op> = def.def.iter().map(|b| prost::Message::decode(b.as_slice()).unwrap()).collect();
        let Some(buildkit_proto::pb::op::Op::Source(src)) = ops.iter().find_map(|o| o.op.clone()) else { panic!("no source op") };
        assert_eq!(src.identifier, "git://127.0.0.1:8080/repo.git#main:sub");
        assert_eq!(src.attrs["git.fullurl"], "http://127.0.0.1:8080/repo.git");
        assert_eq!(src.attrs["git.mtime"], "commit");
    }

    #[test]
    fn archives_by_magic() {
        assert!(is_archive(&[0x1f, 0x8b, 0x08, 0]));
        assert!(!is_archive(b"FROM busybox\nRUN true\n"));
        let mut tar = vec![0u8; 512];
        tar[..5].copy_from_slice(b"a.txt");
        tar[257..262].copy_from_slice(b"ustar");
        let sum: u32 = tar.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * u32::from(b' ');
        tar[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert!(is_archive(&tar));
    }
}
