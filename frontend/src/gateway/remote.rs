//! A remote build context (`--opt context=<url>`, as `docker build <url>` sends it): a git
//! repository or an http(s) URL, detected like the reference's `dockerui.DetectGitContext`
//! and `DetectHTTPContext`, and turned into the source state the build reads from.

use buildkit_llb::{HttpOptions, Metadata, State};

pub use crate::convert::gitref::{git_state, parse_git_ref, GitContextOptions, GitRefParse};

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
    const MAGICS: &[&[u8]] = &[
        b"BZh",
        &[0x1f, 0x8b, 0x08],
        &[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
        &[0x28, 0xb5, 0x2f, 0xfd],
    ];
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
    let Ok(expected) = u32::from_str_radix(field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
    else {
        return false;
    };
    let sum: u32 = h[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(b)
            }
        })
        .sum();
    sum == expected
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::convert::gitref::GitRef;

    fn git(s: &str) -> GitRef {
        match parse_git_ref(s) {
            GitRefParse::Git(g) => g,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn git_source_identifier_and_attrs() {
        let r = git("http://127.0.0.1:8080/repo.git#main:sub");
        let st = git_state(
            &r,
            "http://127.0.0.1:8080/repo.git#main:sub",
            &GitContextOptions {
                keep_git_dir: false,
                mtime_commit: true,
                advice: false,
            },
        );
        let def = st.marshal().unwrap();
        let ops: Vec<buildkit_proto::pb::Op> = def
            .def
            .iter()
            .map(|b| prost::Message::decode(b.as_slice()).unwrap())
            .collect();
        let Some(buildkit_proto::pb::op::Op::Source(src)) = ops.iter().find_map(|o| o.op.clone())
        else {
            panic!("no source op")
        };
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
