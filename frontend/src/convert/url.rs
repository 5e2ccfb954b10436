//! ADD's remote sources: the file name a URL is saved as, and `--checksum` digests.

use super::LocatedError;

/// The file name an ADD of a URL gets: Go's `path.Base` of the URL's (unescaped) path, or
/// `__unnamed__` when that is `.` or `/`.
pub(super) fn url_filename(url: &str) -> String {
    let unnamed = || "__unnamed__".to_string();
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let without_fragment = after_scheme.split('#').next().unwrap_or_default();
    let raw = without_fragment.split('?').next().unwrap_or_default();
    let raw_path = raw.find('/').map_or("", |i| &raw[i..]);
    let Some(path) = percent_decode(raw_path) else {
        return unnamed();
    };
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit('/').next() {
        Some(b) if !b.is_empty() && b != "." => b.to_string(),
        _ => unnamed(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(s.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// go-digest's `Parse` for `--checksum` of a URL, with its errors.
pub(super) fn parse_digest(d: &str) -> Result<String, LocatedError> {
    let format = || LocatedError::new("invalid checksum digest format");
    let i = d
        .find(':')
        .filter(|&i| i > 0 && i + 1 < d.len())
        .ok_or_else(format)?;
    let (alg, enc) = (&d[..i], &d[i + 1..]);
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            let alg_ok = alg.split(['.', '+', '_', '-']).all(|c| {
                !c.is_empty()
                    && c.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
            let enc_ok = enc
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b));
            return Err(if alg_ok && enc_ok {
                LocatedError::new("unsupported digest algorithm")
            } else {
                format()
            });
        }
    };
    if enc.len() != len {
        return Err(LocatedError::new("invalid checksum digest length"));
    }
    if !enc
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format());
    }
    Ok(d.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn digests() {
        let ok = format!("sha256:{}", "a".repeat(64));
        assert_eq!(parse_digest(&ok).unwrap(), ok);
        assert_eq!(
            parse_digest("sha256:abc").unwrap_err().message,
            "invalid checksum digest length"
        );
        assert_eq!(
            parse_digest("md5:abc").unwrap_err().message,
            "unsupported digest algorithm"
        );
        assert_eq!(
            parse_digest("nocolon").unwrap_err().message,
            "invalid checksum digest format"
        );
        assert_eq!(
            parse_digest(&format!("sha256:{}", "G".repeat(64)))
                .unwrap_err()
                .message,
            "invalid checksum digest format"
        );
    }

    #[test]
    fn url_names() {
        assert_eq!(
            url_filename("https://example.com/a/b.tar.gz?x=1"),
            "b.tar.gz"
        );
        assert_eq!(url_filename("https://example.com/"), "__unnamed__");
        assert_eq!(url_filename("https://example.com"), "__unnamed__");
        assert_eq!(url_filename("https://example.com/a/b/"), "b");
        assert_eq!(url_filename("https://example.com/a%20b#frag"), "a b");
        assert_eq!(url_filename("https://example.com/."), "__unnamed__");
    }
}
