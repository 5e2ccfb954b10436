//! The build options BuildKit passes a frontend (`--opt key=value`, `--build-arg`, …),
//! parsed once and validated with the reference's error messages.

use std::collections::{BTreeMap, BTreeSet};

use buildkit_llb::Platform;
use buildkit_proto::gateway::CacheOptionsEntry;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OptionError(pub String);

/// Which stages skip the cache (`--no-cache`, `--opt no-cache=stage1,stage2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoCache {
    All,
    Stages(BTreeSet<String>),
}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub target: Option<String>,
    /// Path of the Dockerfile inside the `dockerfile` local.
    pub filename: String,
    pub dockerfile_local: String,
    pub context_local: String,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// Empty means "the build platform".
    pub target_platforms: Vec<Platform>,
    pub build_platform: Option<Platform>,
    pub multi_platform: bool,
    pub no_cache: Option<NoCache>,
    /// `default`, `pull` or `local`.
    pub image_resolve_mode: String,
    pub hostname: Option<String>,
    pub cgroup_parent: Option<String>,
    /// `build-arg:BUILDKIT_GIT_ADVICE`.
    pub git_advice: bool,
    pub force_network_mode: Option<String>,
    pub cache_imports: Vec<CacheOptionsEntry>,
    /// `context:NAME=…` named contexts.
    pub named_contexts: BTreeMap<String, String>,
    pub local_session_ids: BTreeMap<String, String>,
    /// The `requestid` of a subrequest (`frontend.outline`, …), if this is one.
    pub request_id: Option<String>,
}

/// Options this frontend does not implement yet: given one, the build fails saying so.
const NOT_YET_SUPPORTED: &[&str] = &["add-hosts", "shm-size", "ulimit", "attest:sbom", "contextsubdir", "memory", "memswap", "cpushares", "cpuperiod", "cpuquota", "cpusetcpus", "cpusetmems"];

impl BuildOptions {
    pub fn parse(opts: &BTreeMap<String, String>) -> Result<Self, OptionError> {
        for key in NOT_YET_SUPPORTED {
            if opts.get(*key).is_some_and(|v| !v.is_empty()) {
                return Err(OptionError(format!("the build option {key:?} is not supported by this frontend yet")));
            }
        }
        let get = |k: &str| opts.get(k).filter(|v| !v.is_empty()).cloned();
        let prefixed = |prefix: &str| -> BTreeMap<String, String> {
            opts.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), v.clone()))).collect()
        };
        let target_platforms = match get("platform") {
            Some(v) => parse_platforms(&v)?,
            None => Vec::new(),
        };
        let mut multi_platform = target_platforms.len() > 1;
        if let Some(v) = get("build-arg:BUILDKIT_MULTI_PLATFORM").or_else(|| get("multi-platform")) {
            let b = parse_bool(&v).ok_or_else(|| OptionError(format!("invalid boolean value for multi-platform: {v}")))?;
            if !b && multi_platform {
                return Err(OptionError("conflicting config: returning multiple target platforms is not allowed".into()));
            }
            multi_platform = b;
        }
        let image_resolve_mode = match get("image-resolve-mode").as_deref() {
            None | Some("default") => "default".to_string(),
            Some("pull") => "pull".to_string(),
            Some("local") => "local".to_string(),
            Some(other) => return Err(OptionError(format!("invalid image-resolve-mode: {other}"))),
        };
        let force_network_mode = match get("force-network-mode").as_deref() {
            None | Some("sandbox") => None,
            Some(m @ ("host" | "none")) => Some(m.to_string()),
            Some(other) => return Err(OptionError(format!("invalid netmode {other}"))),
        };
        let no_cache = opts.get("no-cache").map(|v| {
            if v.is_empty() {
                NoCache::All
            } else {
                NoCache::Stages(v.split(',').map(|s| s.trim().to_ascii_lowercase()).collect())
            }
        });
        let mut cache_imports = Vec::new();
        if let Some(v) = get("cache-imports") {
            #[derive(Deserialize)]
            struct Entry {
                #[serde(rename = "Type", alias = "type")]
                kind: String,
                #[serde(rename = "Attrs", alias = "attrs", default)]
                attrs: BTreeMap<String, String>,
            }
            let entries: Vec<Entry> = serde_json::from_str(&v).map_err(|e| OptionError(format!("failed to unmarshal cache-imports ({v:?}): {e}")))?;
            cache_imports.extend(entries.into_iter().map(|e| CacheOptionsEntry { r#type: e.kind, attrs: e.attrs }));
        }
        if let Some(v) = get("cache-from") {
            cache_imports.extend(v.split(',').map(|r| CacheOptionsEntry { r#type: "registry".into(), attrs: BTreeMap::from([("ref".to_string(), r.to_string())]) }));
        }
        let git_advice = match get("build-arg:BUILDKIT_GIT_ADVICE") {
            Some(v) => parse_bool(&v).ok_or_else(|| OptionError(format!("failed to parse build-arg:BUILDKIT_GIT_ADVICE: strconv.ParseBool: parsing {v:?}: invalid syntax")))?,
            None => false,
        };
        Ok(BuildOptions {
            target: get("target"),
            filename: get("filename").unwrap_or_else(|| "Dockerfile".into()),
            dockerfile_local: get("dockerfilekey").unwrap_or_else(|| "dockerfile".into()),
            context_local: get("contextkey").unwrap_or_else(|| "context".into()),
            build_args: prefixed("build-arg:"),
            labels: prefixed("label:"),
            target_platforms,
            build_platform: None,
            multi_platform,
            no_cache,
            image_resolve_mode,
            hostname: get("build-arg:BUILDKIT_SANDBOX_HOSTNAME").or_else(|| get("hostname")),
            cgroup_parent: get("cgroup-parent"),
            git_advice,
            force_network_mode,
            cache_imports,
            named_contexts: prefixed("context:"),
            local_session_ids: prefixed("local-sessionid:"),
            request_id: get("requestid"),
        })
    }

    /// Whether the cache is skipped for the stage with this name (lowercased) or index.
    pub fn ignore_cache(&self, stage_name: Option<&str>) -> bool {
        match &self.no_cache {
            None => false,
            Some(NoCache::All) => true,
            Some(NoCache::Stages(names)) => stage_name.is_some_and(|n| names.contains(n)),
        }
    }
}

fn parse_platforms(v: &str) -> Result<Vec<Platform>, OptionError> {
    let mut out: Vec<Platform> = Vec::new();
    for spec in v.split(',') {
        let p = Platform::parse(spec).map_err(|e| OptionError(format!("failed to parse target platform {spec}: {e}")))?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<BuildOptions, OptionError> {
        BuildOptions::parse(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn defaults() {
        let o = parse(&[]).unwrap();
        assert_eq!(o.filename, "Dockerfile");
        assert_eq!(o.context_local, "context");
        assert_eq!(o.dockerfile_local, "dockerfile");
        assert!(o.target.is_none() && o.target_platforms.is_empty() && !o.multi_platform);
    }

    #[test]
    fn build_args_labels_and_platforms() {
        let o = parse(&[("build-arg:A", "1"), ("label:x", "y"), ("platform", "linux/amd64,linux/arm64,linux/amd64"), ("target", "b")]).unwrap();
        assert_eq!(o.build_args["A"], "1");
        assert_eq!(o.labels["x"], "y");
        assert_eq!(o.target_platforms.len(), 2);
        assert!(o.multi_platform);
        assert_eq!(o.target.as_deref(), Some("b"));
    }

    #[test]
    fn no_cache_all_or_named() {
        assert_eq!(parse(&[("no-cache", "")]).unwrap().no_cache, Some(NoCache::All));
        let o = parse(&[("no-cache", "Build,test")]).unwrap();
        assert!(o.ignore_cache(Some("build")) && !o.ignore_cache(Some("other")) && !o.ignore_cache(None));
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse(&[("platform", "linux//x")]).is_err());
        assert!(parse(&[("image-resolve-mode", "sometimes")]).is_err());
        assert!(parse(&[("multi-platform", "nah")]).is_err());
        assert!(parse(&[("multi-platform", "false"), ("platform", "linux/amd64,linux/arm64")]).is_err());
        assert!(parse(&[("shm-size", "1g")]).unwrap_err().0.contains("not supported"));
    }
}
