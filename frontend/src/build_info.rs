//! Which build of the frontend this is: the crate's version and the commit it was built from
//! (`DFRS_REVISION` at compile time: the root Dockerfile's `REVISION` build argument, or
//! `git rev-parse HEAD` in tests/env). Printed by `dockerfile-frontend --version`; the image
//! carries the same values as OCI labels.

/// The crate's version (Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit the binary was built from, when the build said.
pub fn revision() -> Option<&'static str> {
    option_env!("DFRS_REVISION").filter(|r| !r.is_empty())
}

/// `dockerfile-frontend 0.1.0 (revision 0123abcd…)`.
pub fn version_line() -> String {
    format!(
        "dockerfile-frontend {VERSION} (revision {})",
        revision().unwrap_or("unknown")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The image's `org.opencontainers.image.version` label defaults to the crate's version.
    #[test]
    fn the_root_dockerfile_labels_the_crate_version() {
        let dockerfile = include_str!("../../Dockerfile");
        let line = format!("ARG VERSION={VERSION}");
        assert!(
            dockerfile.lines().any(|l| l == line),
            "the root Dockerfile should have the line {line}"
        );
    }

    #[test]
    fn the_version_line_names_version_and_revision() {
        let line = version_line();
        assert!(line.starts_with(&format!("dockerfile-frontend {VERSION} (revision ")));
        assert!(line.ends_with(')'));
    }
}
