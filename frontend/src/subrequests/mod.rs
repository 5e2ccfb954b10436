//! Subrequests: what a client gets instead of a build when it sets the `requestid` option —
//! `frontend.outline` (the build arguments, secrets and SSH ids a target uses),
//! `frontend.targets` (the stages), `frontend.lint` (the build checks' findings) and
//! `frontend.subrequests.describe` (which of these exist), and one of ours, `frontend.plan`
//! (the stage plan, `plan.rs`; docs/plan.md). Each returns result metadata
//! (`result.json`, `result.txt`, `version`, and for lint `result.statuscode`) that is byte for
//! byte what BuildKit's Dockerfile frontend returns (`frontend/subrequests`, `dockerui/requests.go`).
//!
//! This module builds the results; the gateway (`gateway/requests.rs`) reads the Dockerfile,
//! runs the checks and returns them.

mod describe;
pub mod json;
mod lint;
mod outline;
pub mod plan;
mod targets;

pub use describe::describe;
pub use lint::{lint, print_source, LintReport};
pub use outline::outline;
pub use plan::PlanFormat;
pub use targets::targets;

pub const OUTLINE: &str = "frontend.outline";
pub const TARGETS: &str = "frontend.targets";
pub const LINT: &str = "frontend.lint";
pub const DESCRIBE: &str = "frontend.subrequests.describe";
/// Not BuildKit's: the stage plan (docs/plan.md).
pub const PLAN: &str = "frontend.plan";

/// Result metadata, in the order it is added.
pub type Metadata = Vec<(String, Vec<u8>)>;

/// The error for a `requestid` this frontend does not know (BuildKit's
/// `UnsupportedSubrequestError`).
pub fn unsupported(request: &str) -> String {
    format!("unsupported request {request}")
}

/// `result.json` and `result.txt` (and `version`), as `ToResult` adds them.
/// The text is bytes: `frontend.lint` prints the Dockerfile's lines as they are.
fn result(json: String, txt: impl Into<Vec<u8>>, extra: &[(&str, Vec<u8>)]) -> Metadata {
    let mut md = vec![
        ("result.json".to_string(), json.into_bytes()),
        ("result.txt".to_string(), txt.into()),
    ];
    md.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    md.push(("version".to_string(), b"1.0.0".to_vec()));
    md
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod plan_tests;
