//! What an SBOM scanner reads besides the target (dockerfile2llb's `SBOMTargets.Extras`): the
//! build context when `BUILDKIT_SBOM_SCAN_CONTEXT` is on for the target stage, and every other
//! stage the target needs that has `BUILDKIT_SBOM_SCAN_STAGE` on.

use std::collections::BTreeMap;

use buildkit_llb::State;

use super::env::EnvList;

pub const SCAN_CONTEXT: &str = "BUILDKIT_SBOM_SCAN_CONTEXT";
pub const SCAN_STAGE: &str = "BUILDKIT_SBOM_SCAN_STAGE";

/// ARGs that configure the scan and never become environment variables (the reference's
/// `nonEnvArgs`).
pub const NON_ENV_ARGS: [&str; 2] = [SCAN_CONTEXT, SCAN_STAGE];

/// The extra states, by name (`context` or the stage's name), and whether any of them (or the
/// target) ignores the cache, so the scan does too.
#[derive(Debug, Clone, Default)]
pub struct SbomTargets {
    pub extras: BTreeMap<String, State>,
    pub ignore_cache: bool,
}

/// Whether `name` (`SCAN_CONTEXT` or `SCAN_STAGE`) is on for a stage: the global ARG's value,
/// overridden by the stage's own ARG (dockerfile2llb's loop over `globalArgs` and `buildArgs`).
pub fn enabled(
    name: &str,
    stage: &str,
    global: &EnvList,
    stage_args: &[(String, Option<String>)],
) -> bool {
    let mut on = global
        .get(name)
        .is_some_and(|v| enabled_for_stage(stage, v));
    for (k, v) in stage_args {
        if let (true, Some(v)) = (k == name, v) {
            on = enabled_for_stage(stage, v);
        }
    }
    on
}

/// dockerfile2llb's `isEnabledForStage`: a boolean, or a comma-separated list of stage names.
fn enabled_for_stage(stage: &str, value: &str) -> bool {
    match crate::gocompat::parse::parse_bool(value) {
        Some(b) => b,
        None => value.split(',').any(|s| s == stage),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boolean_or_a_list_of_stages_and_the_stage_arg_wins() {
        let mut global = EnvList::new();
        global.set(SCAN_STAGE, "true");
        assert!(enabled(SCAN_STAGE, "build", &global, &[]));
        assert!(!enabled(SCAN_CONTEXT, "build", &global, &[]));
        let off = [(SCAN_STAGE.to_string(), Some("0".to_string()))];
        assert!(!enabled(SCAN_STAGE, "build", &global, &off));
        let declared_only = [(SCAN_STAGE.to_string(), None)];
        assert!(enabled(SCAN_STAGE, "build", &global, &declared_only));
        let list = [(SCAN_STAGE.to_string(), Some("test,build".to_string()))];
        assert!(enabled(SCAN_STAGE, "build", &EnvList::new(), &list));
        assert!(!enabled(SCAN_STAGE, "other", &EnvList::new(), &list));
    }
}
