//! Bounds on what a Dockerfile can make the frontend build (`docs/limits.md`).
//!
//! A few hundred bytes of `ARG b=$a$a`, `ARG c=$b$b`, … double a value thirty times: without a
//! bound the conversion would try to hold gigabytes. Each limit is far above what a Dockerfile
//! that can be built needs (Linux refuses to start a process whose single environment
//! variable is over 128 KiB, or whose environment is over 2 MiB with the default stack limit;
//! BuildKit refuses a definition over 16 MiB), and grows with the Dockerfile itself, so a
//! Dockerfile never fails for what it spells out literally, only for what expansion multiplies.

/// The most bytes expanding one word may add to it: 1 MiB, or the Dockerfile's own size when
/// larger. Enforced by the shell expansion (`crate::shell`).
pub const EXPANDED_WORD: usize = 1 << 20;

/// The most bytes a stage's environment (its `KEY=value` entries: the base image's, ENV and
/// ARG) may hold: 4 MiB, or 4 times the Dockerfile's size when larger (a value spelt out in
/// the file can be copied into a few variables). Enforced where ENV and ARG set variables, by
/// the converter and the checks.
pub const STAGE_ENV: usize = 4 << 20;

/// The most bytes one conversion may build: ops (their encoding, progress names and
/// descriptions), image history, and the state each stage copies from its base: 128 MiB,
/// or 16 times the Dockerfile's size when larger. Enforced by the converter, instruction by
/// instruction (`convert::lower`).
pub const CONVERSION: usize = 128 << 20;

/// The limits of one conversion. [`Limits::default`] holds the constants above; tests and the
/// fuzz target use smaller ones, to reach them with small inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// [`EXPANDED_WORD`].
    pub word: usize,
    /// [`STAGE_ENV`].
    pub env: usize,
    /// [`CONVERSION`].
    pub output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            word: EXPANDED_WORD,
            env: STAGE_ENV,
            output: CONVERSION,
        }
    }
}

impl Limits {
    /// The limits for a Dockerfile of `source_len` bytes: each grows with the file (the word
    /// limit to its size, the environment's to 4 times, the conversion's to 16 times).
    pub fn for_source(self, source_len: usize) -> Self {
        Limits {
            word: scaled(self.word, 1, source_len),
            env: scaled(self.env, 4, source_len),
            output: scaled(self.output, 16, source_len),
        }
    }
}

/// A limit for a Dockerfile of `source_len` bytes: `base`, or `factor × source_len` when larger.
pub fn scaled(base: usize, factor: usize, source_len: usize) -> usize {
    base.max(source_len.saturating_mul(factor))
}

/// `1 MiB`, `4 MiB`, or a byte count when not a whole number of MiB.
pub fn format_size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_written_in_the_docs() {
        assert_eq!(format_size(EXPANDED_WORD), "1 MiB");
        assert_eq!(format_size(STAGE_ENV), "4 MiB");
        assert_eq!(format_size(CONVERSION), "128 MiB");
        assert_eq!(format_size(1_500_000), "1500000 bytes");
        assert_eq!(scaled(EXPANDED_WORD, 1, 10), EXPANDED_WORD);
        assert_eq!(scaled(EXPANDED_WORD, 1, 5 << 20), 5 << 20);
        assert_eq!(scaled(CONVERSION, 16, 10 << 20), 160 << 20);
        assert_eq!(scaled(1, 16, usize::MAX), usize::MAX);
        let big = Limits::default().for_source(10 << 20);
        assert_eq!(
            (big.word, big.env, big.output),
            (10 << 20, 40 << 20, 160 << 20)
        );
        assert_eq!(Limits::default().for_source(100), Limits::default());
    }
}
