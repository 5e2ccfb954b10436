//! glibc's allocator settings for this program. glibc reads them from `GLIBC_TUNABLES` only at
//! start-up, so the gateway images set the variable in their config (BuildKit starts the
//! frontend with the image's environment) and a program started without it re-executes itself
//! once with it set (the command line only for a large Dockerfile).
//!
//! Why: a conversion is short and allocation-heavy. On 1,000 stages a fifth of the time went to
//! first-touch page faults on a heap grown a little at a time. These settings ask for
//! transparent huge pages on the heap (where the kernel allows them), grow it 8 MiB at a time
//! and keep large blocks (up to 32 MiB) in it rather than in separate mappings of small pages:
//! most faults go, for about 1 MiB more peak memory (bench/notes.md has the figures).

/// The settings; the gateway images' `ENV GLIBC_TUNABLES` holds the same value (a test checks).
pub const GLIBC_TUNABLES: &str =
    "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=8388608:glibc.malloc.mmap_threshold=33554432";

/// The Dockerfile size (bytes) from which the command line restarts itself tuned: re-executing
/// costs about 0.4 ms, about what the settings save on 300 small stages (48 KiB).
pub const WORTH_TUNING: u64 = 48 << 10;

/// Re-executes this program with [`GLIBC_TUNABLES`] unless the variable is already set (by the
/// image, by the user, or by the first execution). Returns when it cannot: the settings only
/// make the program faster.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        use std::os::unix::process::CommandExt;
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new("/proc/self/exe");
        if let Some(name) = args.next() {
            command.arg0(name);
        }
        let _ = command
            .args(args)
            .env("GLIBC_TUNABLES", GLIBC_TUNABLES)
            .exec();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_gateway_images_set_the_same_tunables() {
        let line = format!("ENV GLIBC_TUNABLES={}", super::GLIBC_TUNABLES);
        for (name, text) in [
            ("Dockerfile", include_str!("../../Dockerfile")),
            (
                "tests/env/images/frontend.Dockerfile",
                include_str!("../../tests/env/images/frontend.Dockerfile"),
            ),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{name} should have the line {line}"
            );
        }
    }
}
