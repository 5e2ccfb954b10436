//! Build checks: BuildKit's Dockerfile linter (`frontend/dockerfile/linter` and the places in
//! `dockerfile2llb` where each rule fires), as a pass of its own over the parsed Dockerfile.
//!
//! [`Checker`] walks the file the way the reference's conversion does — instructions, stage
//! names, global ARGs and `FROM` lines, then (once base images are resolved) every stage it
//! would lower, tracking each stage's environment for `UndefinedVar` — and records each
//! violation where the reference reports it, in the same order. It also records what the
//! `frontend.outline` subrequest shows (build arguments, secrets and SSH ids a target uses).
//!
//! Which rules run follows the `# check=` directive (or the `BUILDKIT_DOCKERFILE_CHECK` build
//! argument) and `# check=` comments above single instructions: see [`Config`].

mod capture;
mod commands;
mod config;
mod ignore;
mod multistage;
mod packages;
mod ports;
mod root_user;
pub mod rules;
mod scratch_paths;
mod stages;
mod unused_args;
mod walk;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod docs_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod graph_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod multistage_tests;

pub use capture::{Outline, OutlineArg, OutlineMount};
pub use config::{Config, CHECK_BUILD_ARG};
pub use ignore::IgnoreMatcher;
pub use rules::{Rule, RuleInfo};
pub use walk::{Checker, Options};

use crate::syntax::Location;

/// One violation, as the reference reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub rule: RuleInfo,
    /// The message for this occurrence (the reference's "detail" in the lint result).
    pub detail: String,
    /// The instruction's lines; `None` where the reference has no place for it.
    pub location: Option<Location>,
}

impl Warning {
    /// The one-line form progress output shows: `Rule: message (line N)`.
    pub fn short(&self) -> String {
        rules::format_short(
            self.rule.name,
            &self.detail,
            self.location.map_or(0, |l| l.start_line),
        )
    }
}

/// Collects violations, honouring the configuration each one runs under.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    warnings: Vec<Warning>,
    /// Rules that fired, in order of first occurrence (for the `error=true` message).
    called: Vec<&'static str>,
}

impl Sink {
    pub(crate) fn run(
        &mut self,
        cfg: &Config,
        rule: &RuleInfo,
        location: Option<Location>,
        detail: String,
    ) {
        if !cfg.enabled(rule) {
            return;
        }
        if !self.called.contains(&rule.name) {
            self.called.push(rule.name);
        }
        self.warnings.push(Warning {
            rule: *rule,
            detail,
            location,
        });
    }
}
