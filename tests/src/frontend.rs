//! Which Dockerfile frontend the tests exercise (`DFRS_FRONTEND`) and how a build reaches it.

use crate::env::env;

/// Which Dockerfile frontend the tests exercise (`DFRS_FRONTEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Our frontend image through `gateway.v0`.
    Ours,
    /// BuildKit's own Dockerfile frontend, built into buildkitd (`dockerfile.v0`).
    Reference,
    /// BuildKit's own Dockerfile frontend as a gateway image (`$DFRS_REFERENCE_IMAGE`), run
    /// the way ours is.
    ReferenceImage,
}

/// The frontend under test, from `DFRS_FRONTEND` (`ours`, the default, `reference` or
/// `reference-image`).
pub fn mode() -> Mode {
    match std::env::var("DFRS_FRONTEND").as_deref() {
        Err(_) | Ok("") | Ok("ours") => Mode::Ours,
        Ok("reference") => Mode::Reference,
        Ok("reference-image") => Mode::ReferenceImage,
        Ok(other) => {
            panic!("DFRS_FRONTEND={other:?}: expected `ours`, `reference` or `reference-image`")
        }
    }
}

/// How the build reaches a Dockerfile frontend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frontend {
    /// `--frontend gateway.v0 --opt source=IMAGE`.
    Gateway(String),
    /// `--frontend dockerfile.v0`: the built-in frontend (which itself forwards to the image
    /// named by a `# syntax=` line).
    Builtin,
}

impl Frontend {
    /// The frontend under test: a gateway image (ours or the reference's), or the built-in
    /// reference.
    pub fn under_test() -> Frontend {
        match gateway_image_under_test() {
            Some(image) => Frontend::Gateway(image.to_string()),
            None => Frontend::Builtin,
        }
    }
}

/// The gateway image under test: `$DFRS_FRONTEND_IMAGE` (ours), `$DFRS_REFERENCE_IMAGE`
/// (reference-image), or none (reference: the built-in frontend).
pub fn gateway_image_under_test() -> Option<&'static str> {
    let env = env();
    match mode() {
        Mode::Ours => Some(&env.frontend_image),
        Mode::ReferenceImage => env.reference_image.as_deref(),
        Mode::Reference => None,
    }
}

/// The first line to put in a Dockerfile that must go through the frontend under test via the
/// `# syntax=` directive: `# syntax=IMAGE` for a gateway image, nothing for the built-in
/// reference (which is the frontend `dockerfile.v0` runs anyway).
pub fn syntax_line() -> String {
    match gateway_image_under_test() {
        Some(image) => format!("# syntax={image}\n"),
        None => String::new(),
    }
}
