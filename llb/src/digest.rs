//! Op digests: `sha256:<hex>` of an op's encoded bytes, as BuildKit names ops. A leaf module:
//! the state graph and marshalling both use it.

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of the bytes, BuildKit's op digest.
pub fn digest_of(bytes: &[u8]) -> String {
    OpDigest::of(bytes).as_str().to_string()
}

/// An op's digest, `sha256:` and 64 hex digits, kept inline: one per op, compared and sorted
/// often, so no allocation and no pointer to follow. Orders as its text does.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct OpDigest([u8; 71]);

impl OpDigest {
    pub(crate) fn of(bytes: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 71];
        text[..7].copy_from_slice(b"sha256:");
        for (i, b) in Sha256::digest(bytes).into_iter().enumerate() {
            text[7 + 2 * i] = HEX[usize::from(b >> 4)];
            text[8 + 2 * i] = HEX[usize::from(b & 0xf)];
        }
        OpDigest(text)
    }

    /// The digest of a definition's op, as the definition names it (None if it is not one).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        Some(OpDigest(text.as_bytes().try_into().ok()?))
    }

    /// The first 8 characters after `sha256:`, as a number that orders as they do.
    pub(crate) fn prefix(&self) -> u64 {
        let mut head = [0u8; 8];
        head.copy_from_slice(&self.0[7..15]);
        u64::from_be_bytes(head)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Always ASCII (built from "sha256:" and hex digits above).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for OpDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
