//! Image references normalised as docker's `reference.ParseNormalizedNamed` + `TagNameOnly`:
//! `busybox` → `docker.io/library/busybox:latest`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host (with port), e.g. `docker.io` or `127.0.0.1:5000`.
    pub domain: String,
    /// Repository path, e.g. `library/busybox`.
    pub path: String,
    pub tag: Option<String>,
    /// `algorithm:hex`.
    pub digest: Option<String>,
}

/// A name distribution's `ParseNormalizedNamed` rejects, with its message (`Display`), e.g.
/// `invalid reference format`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct ReferenceError {
    pub reference: String,
    pub message: String,
}

const DEFAULT_DOMAIN: &str = "docker.io";

impl Reference {
    /// distribution's `ParseNormalizedNamed` (v0.6.0) and `TagNameOnly`: accepts and rejects
    /// exactly what it does, with its messages; adds the `latest` tag when there is neither
    /// tag nor digest.
    pub fn parse_normalized(s: &str) -> Result<Self, ReferenceError> {
        let err = |message: String| ReferenceError {
            reference: s.to_string(),
            message,
        };
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(err(format!(
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            )));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder.split(':').next().unwrap_or_default();
        if go_to_lower(remote) != remote {
            return Err(err(format!(
                "invalid reference format: repository name ({remote}) must be lowercase"
            )));
        }
        // `reference.Parse`.
        let full = format!("{domain}/{remainder}");
        let Some(m) = match_reference(&full) else {
            let message = if match_reference(&go_to_lower(&full)).is_some() {
                "repository name must be lowercase"
            } else {
                "invalid reference format"
            };
            return Err(err(message.into()));
        };
        if m.path.len() > 255 {
            return Err(err(
                "repository name must not be more than 255 characters".into()
            ));
        }
        if let Some(d) = m.digest {
            validate_digest(d).map_err(|m| err(m.into()))?;
        }
        let tag = match (m.tag, m.digest) {
            (None, None) => Some("latest".to_string()),
            (tag, _) => tag.map(str::to_string),
        };
        Ok(Reference {
            domain: m.domain.to_string(),
            path: m.path.to_string(),
            tag,
            digest: m.digest.map(str::to_string),
        })
    }

    /// `domain/path` without tag or digest (`path` alone for a name without a domain, which
    /// `ParseNormalizedNamed` gives when the part before the first `/` looks like a domain but
    /// is not one and the whole is a path: `a_b.c/x`).
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The familiar short form users write (`busybox:latest` for `docker.io/library/busybox:latest`).
    pub fn familiar(&self) -> String {
        let mut s = if self.domain == DEFAULT_DOMAIN {
            self.path
                .strip_prefix("library/")
                .unwrap_or(&self.path)
                .to_string()
        } else {
            self.name()
        };
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    pub fn with_digest(&self, digest: &str) -> Self {
        Reference {
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// distribution's `splitDockerDomain`: the domain (`docker.io` unless the part before the
/// first `/` looks like one) and the rest, `library/` added to a one-part Docker Hub name.
fn split_docker_domain(name: &str) -> (&str, String) {
    let (domain, remote) = match name.split_once('/') {
        None => return (DEFAULT_DOMAIN, format!("library/{name}")),
        Some(("localhost", rest)) => ("localhost", rest),
        Some(("index.docker.io", rest)) => (DEFAULT_DOMAIN, rest),
        Some((first, rest)) if first.contains(['.', ':']) || go_to_lower(first) != first => {
            (first, rest)
        }
        Some(_) => (DEFAULT_DOMAIN, name),
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        (domain, format!("library/{remote}"))
    } else {
        (domain, remote.to_string())
    }
}

/// Go's `strings.ToLower` (per character, simple case mapping).
fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '\u{130}' {
                return 'i';
            }
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

/// The parts of a string that distribution's `ReferenceRegexp` matches whole, as
/// `reference.Parse` takes them (its `anchoredNameRegexp` splits the name).
struct Matched<'a> {
    domain: &'a str,
    path: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

/// `^(namePat)(?::(tag))?(?:@(digestPat))?$`. No part but the digest can hold an `@`, and no
/// part of the name a `:` after its last `/`, so the split is the only one the regex can make.
fn match_reference(s: &str) -> Option<Matched<'_>> {
    let (rest, digest) = match s.split_once('@') {
        Some((rest, d)) => (rest, Some(d).filter(|d| digest_pattern(d))?.into()),
        None => (s, None),
    };
    let after_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[after_slash..].find(':') {
        Some(i) => {
            let tag = &rest[after_slash + i + 1..];
            (
                &rest[..after_slash + i],
                Some(tag).filter(|t| valid_tag(t))?.into(),
            )
        }
        None => (rest, None),
    };
    // `(?:(domainAndPort)/)?(remoteName)`: with the domain when it can be one.
    let (domain, path) = match name.split_once('/') {
        Some((domain, path)) if domain_and_port(domain) && remote_name(path) => (domain, path),
        _ if remote_name(name) => ("", name),
        _ => return None,
    };
    Some(Matched {
        domain,
        path,
        tag,
        digest,
    })
}

/// `pathComponent(?:/pathComponent)*`
fn remote_name(s: &str) -> bool {
    s.split('/').all(valid_path_component)
}

/// `(?:domainName|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`, domainName being
/// `domainNameComponent(?:\.domainNameComponent)*`.
fn domain_and_port(s: &str) -> bool {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let Some((addr, rest)) = v6.split_once(']') else {
            return false;
        };
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        (None, rest)
    } else {
        match s.split_once(':') {
            Some((host, _)) => (Some(host), &s[host.len()..]),
            None => (Some(s), ""),
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    // `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
    let component = |c: &str| {
        let b = c.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
    };
    port_ok && host.is_none_or(|h| h.split('.').all(component))
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[\w][\w.-]{0,127}` (`\w` is ASCII in Go's regexp).
fn valid_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|&x| word(x) || x == b'.' || x == b'-')
}

/// distribution's `digestPat`:
/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`.
fn digest_pattern(d: &str) -> bool {
    let Some((algorithm, hex)) = d.split_once(':') else {
        return false;
    };
    let component = |c: &str| {
        let b = c.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(|x| x.is_ascii_alphanumeric())
    };
    algorithm.split(['-', '_', '+', '.']).all(component)
        && hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest's `Digest.Validate` (v1.0.0) of a digest `digest_pattern` accepts: sha256, sha384
/// and sha512 in lower-case hex of their length.
fn validate_digest(d: &str) -> Result<(), &'static str> {
    let (algorithm, hex) = d.split_once(':').unwrap_or_default();
    let size = match algorithm {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => {
            // go-digest's `DigestRegexpAnchored`.
            let known_form = algorithm.split(['.', '+', '_', '-']).all(|c| {
                !c.is_empty()
                    && c.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            }) && hex
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b));
            return Err(if known_form {
                "unsupported digest algorithm"
            } else {
                "invalid checksum digest format"
            });
        }
    };
    if hex.len() != size * 2 {
        return Err("invalid checksum digest length");
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("invalid checksum digest format");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Reference::parse_normalized(s).unwrap().to_string()
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(norm("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(norm("user/app:1.0"), "docker.io/user/app:1.0");
        assert_eq!(
            norm("127.0.0.1:5000/busybox"),
            "127.0.0.1:5000/busybox:latest"
        );
        assert_eq!(norm("localhost/x:y"), "localhost/x:y");
        assert_eq!(
            norm("index.docker.io/alpine"),
            "docker.io/library/alpine:latest"
        );
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            norm(&format!("alpine@{d}")),
            format!("docker.io/library/alpine@{d}")
        );
        assert_eq!(
            norm(&format!("alpine:3@{d}")),
            format!("docker.io/library/alpine:3@{d}")
        );
    }

    #[test]
    fn familiar_form() {
        assert_eq!(
            Reference::parse_normalized("busybox").unwrap().familiar(),
            "busybox:latest"
        );
        assert_eq!(
            Reference::parse_normalized("127.0.0.1:5000/a/b:t")
                .unwrap()
                .familiar(),
            "127.0.0.1:5000/a/b:t"
        );
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "Busybox",
            "a::b",
            "a:b:c",
            "-a",
            "a/",
            "a@sha256:xyz",
            "a:-tag",
        ] {
            assert!(Reference::parse_normalized(bad).is_err(), "{bad}");
        }
    }

    /// What distribution's `ParseNormalizedNamed` (v0.6.0) says, checked against the
    /// reference frontend (`failed to parse stage name "NAME": MESSAGE`).
    #[test]
    fn rejects_what_distribution_rejects_with_its_messages() {
        let hex64 = "a".repeat(64);
        let long_tag = format!("busybox:{}", "a".repeat(129));
        let d = "ab".repeat(32);
        let cases = [
            // A tag must match `[\w][\w.-]{0,127}`; `busybox:` is no registry host.
            ("busybox:/x", "invalid reference format"),
            ("/x", "invalid reference format"),
            ("a:b/c", "invalid reference format"),
            ("ho_st:1/a", "invalid reference format"),
            ("ex-.com/a", "invalid reference format"),
            ("busybox:-x", "invalid reference format"),
            (&long_tag, "invalid reference format"),
            ("a..b", "invalid reference format"),
            ("a___b", "invalid reference format"),
            ("busybox@sha256:abc", "invalid reference format"),
            (
                "Foo",
                "invalid reference format: repository name (library/Foo) must be lowercase",
            ),
            (
                "foo/Bar",
                "invalid reference format: repository name (foo/Bar) must be lowercase",
            ),
            ("busybox:\u{130}", "repository name must be lowercase"),
            (
                &hex64,
                "invalid repository name (aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa), cannot specify 64-byte hexadecimal strings",
            ),
            (
                &format!("busybox@sha256:{}", d.to_uppercase()),
                "invalid checksum digest format",
            ),
            (
                "busybox@md5:abababababababababababababababab",
                "unsupported digest algorithm",
            ),
            (
                "busybox@sha512:abababababababababababababababab",
                "invalid checksum digest length",
            ),
        ];
        for (name, message) in cases {
            let e = Reference::parse_normalized(name).expect_err(name);
            assert_eq!(e.to_string(), message, "{name}");
        }
    }

    #[test]
    fn accepts_what_distribution_accepts() {
        let d = "ab".repeat(32);
        for (name, normalized) in [
            // A first part that is no domain but makes a path with the rest: no domain at all.
            ("a_b.c/x", "a_b.c/x:latest".to_string()),
            ("A/b", "A/b:latest".into()),
            ("FOO.com/bar", "FOO.com/bar:latest".into()),
            ("[::1]/a", "[::1]/a:latest".into()),
            ("[::1]:5000/a", "[::1]:5000/a:latest".into()),
            ("localhost:5000/a:Tag_1", "localhost:5000/a:Tag_1".into()),
            ("a__b", "docker.io/library/a__b:latest".into()),
            ("a--b/c.d", "docker.io/a--b/c.d:latest".into()),
            (
                &format!("docker.io/a/b:1@sha256:{d}"),
                format!("docker.io/a/b:1@sha256:{d}"),
            ),
        ] {
            assert_eq!(norm(name), normalized, "{name}");
        }
        let long_path = format!("x/{}", "a".repeat(253));
        assert!(Reference::parse_normalized(&long_path).is_ok());
        assert_eq!(
            Reference::parse_normalized(&format!("{long_path}a"))
                .unwrap_err()
                .to_string(),
            "repository name must not be more than 255 characters"
        );
    }
}
