//! The build options BuildKit passes a frontend (`--opt key=value`, `--build-arg`, …),
//! parsed once and validated with the reference's error messages.

use std::collections::{BTreeMap, BTreeSet};

use buildkit_llb::{LinuxResources, Platform};
use buildkit_proto::gateway::CacheOptionsEntry;
use serde::Deserialize;

use crate::gocompat::go_quote;
use crate::gocompat::parse::parse_bool;

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
    /// Path of the Dockerfile inside the `dockerfile` local (or the remote context).
    pub filename: String,
    /// `dockerfilekey`: the local the Dockerfile comes from, even when the context is remote.
    pub dockerfile_local: String,
    pub force_local_dockerfile: bool,
    /// The local holding the main context; always `context`, as in the reference (whose
    /// `contextkey` only names the option holding a remote context).
    pub context_local: String,
    /// A git or http(s) URL given as the context (`docker build <url>`), from the option
    /// `contextkey` names (default `context`).
    pub remote_context: Option<String>,
    /// `contextsubdir`: the directory of a remote context that is the build context.
    pub context_subdir: Option<String>,
    /// `BUILDKIT_CONTEXT_KEEP_GIT_DIR`: keep `.git` in a git context.
    pub context_keep_git_dir: bool,
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
    /// `add-hosts`: extra `/etc/hosts` entries for RUN.
    pub extra_hosts: Vec<HostIp>,
    /// `shm-size`, bytes: RUN gets a tmpfs `/dev/shm` of this size when positive.
    pub shm_size: i64,
    /// `ulimit`: resource limits for RUN.
    pub ulimits: Vec<Ulimit>,
    /// `memory`, `memswap`, `cpushares`, `cpuperiod`, `cpuquota`, `cpusetcpus`, `cpusetmems`:
    /// cgroup limits of every RUN (None when none is set).
    pub linux_resources: Option<LinuxResources>,
    pub force_network_mode: Option<String>,
    pub cache_imports: Vec<CacheOptionsEntry>,
    /// `context:NAME=…` named contexts.
    pub named_contexts: BTreeMap<String, String>,
    pub local_session_ids: BTreeMap<String, String>,
    /// The `requestid` of a subrequest (`frontend.outline`, …), if this is one.
    pub request_id: Option<String>,
    /// `attest:sbom`: the scanner to run on the result.
    pub sbom: Option<SbomScanner>,
}

/// dockerui's `SBOM`: the scanner image (normalised and tagged) and the other attributes, which
/// reach the scanner as `BUILDKIT_SCAN_<KEY>` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomScanner {
    pub generator: String,
    pub params: BTreeMap<String, String>,
}

/// Every option key [`BuildOptions::parse`] reads by name (`frontend/src/options.rs` is checked
/// against this list by a test, and the fuzz target `options` draws its keys from it).
pub const KEYS: [&str; 34] = [
    "add-hosts",
    "attest:provenance",
    "attest:sbom",
    "build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR",
    "build-arg:BUILDKIT_DISABLE_FILEOP",
    "build-arg:BUILDKIT_GIT_ADVICE",
    "build-arg:BUILDKIT_MULTI_PLATFORM",
    "build-arg:BUILDKIT_SANDBOX_HOSTNAME",
    "cache-from",
    "cache-imports",
    "cgroup-parent",
    "context",
    "contextkey",
    "contextsubdir",
    "cpuperiod",
    "cpuquota",
    "cpusetcpus",
    "cpusetmems",
    "cpushares",
    "dockerfilekey",
    "filename",
    "force-network-mode",
    "hostname",
    "image-resolve-mode",
    "memory",
    "memswap",
    "multi-platform",
    "no-cache",
    "override-copy-image",
    "platform",
    "requestid",
    "shm-size",
    "target",
    "ulimit",
];

/// The prefixes of the option families [`BuildOptions::parse`] reads (`build-arg:NAME`, …).
pub const PREFIXES: [&str; 6] = [
    "build-arg:",
    "build-arg:BUILDKIT_ATTEST_",
    "attest:",
    "context:",
    "label:",
    "local-sessionid:",
];

/// The scanner `attest:sbom` runs when it names none (attestations' `defaultSBOMGenerator`).
const DEFAULT_SBOM_GENERATOR: &str = "docker/buildkit-syft-scanner:stable-1";

impl BuildOptions {
    /// The resolve mode an image source carries: none for the daemon's default.
    pub fn image_source_resolve_mode(&self) -> Option<String> {
        match self.image_resolve_mode.as_str() {
            "" | "default" => None,
            mode => Some(mode.to_string()),
        }
    }

    pub fn parse(opts: &BTreeMap<String, String>) -> Result<Self, OptionError> {
        check_removed(opts)?;
        let sbom = parse_attestations(opts)?;
        let get = |k: &str| opts.get(k).filter(|v| !v.is_empty()).cloned();
        let prefixed = |prefix: &str| -> BTreeMap<String, String> {
            opts.iter()
                .filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), v.clone())))
                .collect()
        };
        let target_platforms = match get("platform") {
            Some(v) => parse_platforms(&v)?,
            None => Vec::new(),
        };
        let mut multi_platform = target_platforms.len() > 1;
        if let Some(v) = get("build-arg:BUILDKIT_MULTI_PLATFORM").or_else(|| get("multi-platform"))
        {
            let b = parse_bool(&v).ok_or_else(|| {
                OptionError(format!("invalid boolean value for multi-platform: {v}"))
            })?;
            if !b && multi_platform {
                return Err(OptionError(
                    "conflicting config: returning multiple target platforms is not allowed".into(),
                ));
            }
            multi_platform = b;
        }
        let image_resolve_mode = match get("image-resolve-mode").as_deref() {
            None | Some("default") => "default".to_string(),
            Some("pull") => "pull".to_string(),
            Some("local") => "local".to_string(),
            Some(other) => return Err(OptionError(format!("invalid image-resolve-mode: {other}"))),
        };
        let extra_hosts = parse_extra_hosts(opts.get("add-hosts").map_or("", String::as_str))
            .map_err(|e| OptionError(format!("failed to parse additional hosts: {e}")))?;
        let shm_size = parse_shm_size(opts.get("shm-size").map_or("", String::as_str))
            .map_err(|e| OptionError(format!("failed to parse shm size: {e}")))?;
        let ulimits = parse_ulimits(opts.get("ulimit").map_or("", String::as_str))
            .map_err(|e| OptionError(format!("failed to parse ulimit: {e}")))?;
        let linux_resources = parse_linux_resources(opts)
            .map_err(|e| OptionError(format!("failed to parse resource limits: {e}")))?;
        let force_network_mode = match get("force-network-mode").as_deref() {
            None | Some("sandbox") => None,
            Some(m @ ("host" | "none")) => Some(m.to_string()),
            Some(other) => return Err(OptionError(format!("invalid netmode {other}"))),
        };
        let no_cache = opts.get("no-cache").map(|v| {
            if v.is_empty() {
                NoCache::All
            } else {
                NoCache::Stages(
                    v.split(',')
                        .map(|s| s.trim().to_ascii_lowercase())
                        .collect(),
                )
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
            let entries: Vec<Entry> = serde_json::from_str(&v).map_err(|e| {
                OptionError(format!("failed to unmarshal cache-imports ({v:?}): {e}"))
            })?;
            cache_imports.extend(entries.into_iter().map(|e| CacheOptionsEntry {
                r#type: e.kind,
                attrs: e.attrs,
            }));
        }
        if let Some(v) = get("cache-from") {
            cache_imports.extend(v.split(',').map(|r| CacheOptionsEntry {
                r#type: "registry".into(),
                attrs: BTreeMap::from([("ref".to_string(), r.to_string())]),
            }));
        }
        let git_advice = match get("build-arg:BUILDKIT_GIT_ADVICE") {
            Some(v) => parse_bool(&v).ok_or_else(|| OptionError(format!("failed to parse build-arg:BUILDKIT_GIT_ADVICE: strconv.ParseBool: parsing {v:?}: invalid syntax")))?,
            None => false,
        };
        let context_key = opts
            .get("contextkey")
            .cloned()
            .unwrap_or_else(|| "context".into());
        let context_keep_git_dir = match get("build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR") {
            Some(v) => parse_bool(&v).unwrap_or(false),
            None => false,
        };
        Ok(BuildOptions {
            target: get("target"),
            filename: opts
                .get("filename")
                .cloned()
                .unwrap_or_else(|| "Dockerfile".into()),
            dockerfile_local: opts
                .get("dockerfilekey")
                .cloned()
                .unwrap_or_else(|| "dockerfile".into()),
            force_local_dockerfile: opts.contains_key("dockerfilekey"),
            context_local: "context".into(),
            remote_context: opts.get(&context_key).filter(|v| !v.is_empty()).cloned(),
            context_subdir: opts.get("contextsubdir").cloned(),
            context_keep_git_dir,
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
            extra_hosts,
            shm_size,
            ulimits,
            linux_resources,
            force_network_mode,
            cache_imports,
            named_contexts: prefixed("context:"),
            local_session_ids: prefixed("local-sessionid:"),
            request_id: get("requestid"),
            sbom,
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
        // dockerui's `parsePlatforms`: containerd's parser and messages, as `FROM --platform`.
        let p = Platform::parse(spec).map_err(|e| {
            OptionError(format!(
                "failed to parse target platform {spec}: {}",
                e.message(go_quote)
            ))
        })?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// A host name and the IP it resolves to in RUN containers (`llb.HostIP`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIp {
    pub host: String,
    /// As Go's `net.IP.String` prints it.
    pub ip: String,
}

/// One resource limit (`units.Ulimit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// dockerui's `parseExtraHosts`: `host=ip` pairs, comma-separated (CSV), lowercased.
fn parse_extra_hosts(v: &str) -> Result<Vec<HostIp>, String> {
    if v.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for field in crate::instructions::csv_fields(v)? {
        let lower = field.to_lowercase();
        let (host, ip) = lower
            .split_once('=')
            .ok_or_else(|| format!("invalid key-value pair {field}"))?;
        let parsed: std::net::IpAddr =
            ip.parse().map_err(|_| format!("failed to parse IP {ip}"))?;
        out.push(HostIp {
            host: host.to_string(),
            ip: go_ip_string(parsed),
        });
    }
    Ok(out)
}

/// `net.IP.String`: IPv4-mapped IPv6 addresses print as IPv4.
fn go_ip_string(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        v4 => v4.to_string(),
    }
}

/// dockerui's `parseShmSize`: bytes, a plain integer.
fn parse_shm_size(v: &str) -> Result<i64, String> {
    if v.is_empty() {
        return Ok(0);
    }
    crate::gocompat::parse::parse_int(v, 64)
}

/// dockerui's `parseLinuxResources`: each option given with a value is checked (a positive
/// number; `memswap` may be -1 for unlimited; a cpuset list) and kept as given.
fn parse_linux_resources(
    opts: &BTreeMap<String, String>,
) -> Result<Option<LinuxResources>, String> {
    let get = |k: &str| opts.get(k).filter(|v| !v.is_empty());
    let invalid = |k: &str, v: &str, e: &str| format!("invalid {k} value: {v}: {e}");
    let int = |k: &str| -> Result<i64, String> {
        match get(k) {
            None => Ok(0),
            Some(v) => crate::gocompat::parse::parse_int(v, 64).map_err(|e| invalid(k, v, &e)),
        }
    };
    let uint = |k: &str| -> Result<u64, String> {
        match get(k) {
            None => Ok(0),
            Some(v) => crate::gocompat::parse::parse_uint(v, 10, 64).map_err(|e| {
                let e = format!("strconv.ParseUint: parsing {}: {e}", go_quote(v));
                invalid(k, v, &e)
            }),
        }
    };
    let positive = |k: &str, n: bool| match get(k) {
        Some(v) if n => Err(invalid(k, v, "must be > 0")),
        _ => Ok(()),
    };
    let mut res = LinuxResources {
        memory: int("memory")?,
        ..Default::default()
    };
    positive("memory", res.memory <= 0 && get("memory").is_some())?;
    res.memory_swap = int("memswap")?;
    if let Some(v) = get("memswap").filter(|_| res.memory_swap < -1 || res.memory_swap == 0) {
        return Err(invalid("memswap", v, "must be -1 (unlimited) or > 0"));
    }
    res.cpu_shares = uint("cpushares")?;
    positive("cpushares", res.cpu_shares == 0)?;
    res.cpu_period = uint("cpuperiod")?;
    positive("cpuperiod", res.cpu_period == 0)?;
    res.cpu_quota = int("cpuquota")?;
    positive("cpuquota", res.cpu_quota <= 0)?;
    for (k, field) in [
        ("cpusetcpus", &mut res.cpuset_cpus),
        ("cpusetmems", &mut res.cpuset_mems),
    ] {
        if let Some(v) = get(k) {
            validate_cpuset(v).map_err(|e| invalid(k, v, &e))?;
            field.clone_from(v);
        }
    }
    Ok((res != LinuxResources::default()).then_some(res))
}

/// BuildKit's `cpuset.Validate`: comma-separated CPU (or memory node) numbers and `lo-hi`
/// ranges, each at most 8192; empty elements are allowed.
fn validate_cpuset(s: &str) -> Result<(), String> {
    const MAX_CPU: i64 = 8192;
    // Go's strconv.Atoi (a sign is accepted).
    let atoi = |s: &str| crate::gocompat::parse::parse_int(s, 64).ok();
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        match part.split_once('-') {
            None => match atoi(part) {
                Some(n) if n > MAX_CPU => {
                    return Err(format!(
                        "cpuset element {} exceeds maximum {MAX_CPU}",
                        go_quote(part)
                    ))
                }
                Some(n) if n >= 0 => {}
                _ => return Err(format!("invalid cpuset element {}", go_quote(part))),
            },
            Some((lo, hi)) => match (atoi(lo.trim()), atoi(hi.trim())) {
                (Some(lo), Some(hi)) if lo >= 0 && hi >= lo => {
                    if hi > MAX_CPU {
                        return Err(format!(
                            "cpuset range {} exceeds maximum {MAX_CPU}",
                            go_quote(part)
                        ));
                    }
                }
                _ => return Err(format!("invalid cpuset range {}", go_quote(part))),
            },
        }
    }
    Ok(())
}

/// dockerui's `parseUlimits`: CSV of `name=soft[:hard]` (`units.ParseUlimit`).
fn parse_ulimits(v: &str) -> Result<Vec<Ulimit>, String> {
    if v.is_empty() {
        return Ok(Vec::new());
    }
    crate::instructions::csv_fields(v)?
        .iter()
        .map(|f| parse_ulimit(f))
        .collect()
}

const ULIMIT_NAMES: [&str; 15] = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

fn parse_ulimit(val: &str) -> Result<Ulimit, String> {
    let (name, limits) = val
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit argument: {val}"))?;
    if !ULIMIT_NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let parts: Vec<&str> = limits.split(':').collect();
    let (soft, hard) = match parts.as_slice() {
        [soft] => {
            let soft = crate::gocompat::parse::parse_int(soft, 64)?;
            (soft, soft)
        }
        [soft, hard] => {
            // Go parses the hard limit first.
            let hard = crate::gocompat::parse::parse_int(hard, 64)?;
            (crate::gocompat::parse::parse_int(soft, 64)?, hard)
        }
        _ => {
            return Err(format!(
                "too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`"
            ))
        }
    };
    if hard != -1 {
        if soft == -1 {
            return Err(format!("ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: {hard}"));
        }
        if soft > hard {
            return Err(format!(
                "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            ));
        }
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

/// Options the reference rejects by name.
fn check_removed(opts: &BTreeMap<String, String>) -> Result<(), OptionError> {
    if opts
        .get("override-copy-image")
        .is_some_and(|v| !v.is_empty())
    {
        return Err(OptionError(
            "support for \"override-copy-image\" was removed in BuildKit 0.11".into(),
        ));
    }
    if opts
        .get("build-arg:BUILDKIT_DISABLE_FILEOP")
        .and_then(|v| parse_bool(v))
        == Some(true)
    {
        return Err(OptionError(
            "support for \"BUILDKIT_DISABLE_FILEOP\" build-arg was removed in BuildKit 0.11".into(),
        ));
    }
    Ok(())
}

/// `attest:TYPE` / `build-arg:BUILDKIT_ATTEST_TYPE` as the reference's `attestations.Parse`
/// and dockerui read them: provenance is the daemon's job; an SBOM is the frontend's, which
/// runs the scanner. `disabled=true` (which buildx never sends: it drops a disabled
/// attestation) turns the scan off here, where the reference would run the default scanner
/// with it as a parameter.
fn parse_attestations(opts: &BTreeMap<String, String>) -> Result<Option<SbomScanner>, OptionError> {
    let mut sbom = None;
    for (k, v) in opts {
        let Some(kind) = k
            .strip_prefix("attest:")
            .or_else(|| k.strip_prefix("build-arg:BUILDKIT_ATTEST_"))
        else {
            continue;
        };
        match kind.to_ascii_lowercase().as_str() {
            "provenance" => {}
            "sbom" => sbom = Some(v.as_str()),
            other => return Err(OptionError(format!("unknown attestation type {other:?}"))),
        }
    }
    let Some(value) = sbom else { return Ok(None) };
    let mut generator = DEFAULT_SBOM_GENERATOR.to_string();
    let mut params = BTreeMap::new();
    if !value.is_empty() {
        let fields = crate::instructions::csv_fields(value)
            .map_err(|e| OptionError(format!("failed to parse sbom: {e}")))?;
        for field in fields {
            let (k, v) = field.split_once('=').unwrap_or((&field, ""));
            if k == "generator" {
                generator = v.to_string();
            } else {
                params.insert(k.to_string(), v.to_string());
            }
        }
    }
    if params.get("disabled").is_some_and(|v| v == "true") {
        return Ok(None);
    }
    let generator = buildkit_llb::reference::Reference::parse_normalized(&generator)
        .map_err(|e| OptionError(format!("failed to parse sbom scanner {generator}: {e}")))?
        .to_string();
    Ok(Some(SbomScanner { generator, params }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string literals of the code above the tests that are looked up as option keys.
    fn keys_read_by_the_code() -> Vec<String> {
        let src = include_str!("options.rs");
        let code = src.split("#[cfg(test)]").next().unwrap_or(src);
        let calls = regex::Regex::new(
            r#"(?:\bget|\bint|\buint|\bpositive|\bprefixed|strip_prefix|contains_key)\("([^"]+)"|\("(cpuset[a-z]+)","#,
        )
        .unwrap();
        calls
            .captures_iter(code)
            .filter_map(|c| c.get(1).or_else(|| c.get(2)))
            .map(|m| m.as_str().to_string())
            // `attest:sbom`'s own `disabled=true` parameter, not an option.
            .filter(|k| k != "disabled")
            .collect()
    }

    #[test]
    fn keys_list_every_option_the_code_reads() {
        let read = keys_read_by_the_code();
        assert!(read.len() > 20, "the scan found too little: {read:?}");
        for k in &read {
            assert!(
                KEYS.contains(&k.as_str()) || PREFIXES.contains(&k.as_str()),
                "{k:?} is read by BuildOptions::parse but missing from KEYS/PREFIXES"
            );
        }
        let src = include_str!("options.rs");
        let code = src.split("#[cfg(test)]").next().unwrap_or(src);
        for k in KEYS {
            let literal = |s: &str| code.contains(&format!("\"{s}\""));
            let family = PREFIXES
                .iter()
                .any(|p| k.strip_prefix(p).is_some_and(&literal));
            assert!(
                literal(k) || family,
                "KEYS lists {k:?}, which the code never reads"
            );
        }
    }

    /// The fuzz target `options` finds keys through its dictionary.
    #[test]
    fn the_fuzz_dictionary_lists_every_key() {
        let dict = include_str!("../../fuzz/dict/options.dict");
        for k in KEYS.iter().chain(PREFIXES.iter()) {
            assert!(
                dict.lines().any(|l| l.trim() == format!("\"{k}\"")),
                "fuzz/dict/options.dict lacks \"{k}\""
            );
        }
    }

    fn parse(pairs: &[(&str, &str)]) -> Result<BuildOptions, OptionError> {
        BuildOptions::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
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
        let o = parse(&[
            ("build-arg:A", "1"),
            ("label:x", "y"),
            ("platform", "linux/amd64,linux/arm64,linux/amd64"),
            ("target", "b"),
        ])
        .unwrap();
        assert_eq!(o.build_args["A"], "1");
        assert_eq!(o.labels["x"], "y");
        assert_eq!(o.target_platforms.len(), 2);
        assert!(o.multi_platform);
        assert_eq!(o.target.as_deref(), Some("b"));
    }

    #[test]
    fn no_cache_all_or_named() {
        assert_eq!(
            parse(&[("no-cache", "")]).unwrap().no_cache,
            Some(NoCache::All)
        );
        let o = parse(&[("no-cache", "Build,test")]).unwrap();
        assert!(
            o.ignore_cache(Some("build"))
                && !o.ignore_cache(Some("other"))
                && !o.ignore_cache(None)
        );
    }

    /// dockerui's `parsePlatforms` wraps containerd's `platforms.Parse` error.
    #[test]
    fn platforms_are_refused_as_the_reference_refuses_them() {
        let msg = |v: &str| parse(&[("platform", v)]).err().map(|e| e.0);
        assert_eq!(
            msg("garbage").as_deref(),
            Some(
                r#"failed to parse target platform garbage: "garbage": unknown operating system or architecture: invalid argument"#
            )
        );
        assert_eq!(
            msg("linux/amd64,a/b/c/d").as_deref(),
            Some(
                r#"failed to parse target platform a/b/c/d: "a/b/c/d": cannot parse platform specifier: invalid argument"#
            )
        );
        assert_eq!(
            msg("linux/amd64, linux/arm64").as_deref(),
            Some(
                r#"failed to parse target platform  linux/arm64: " linux" is an invalid OS component of " linux/arm64": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$": invalid argument"#
            )
        );
        // One known architecture is this machine's OS with it; one known OS, its architecture.
        let o = parse(&[("platform", "arm64,linux")]).unwrap();
        assert_eq!(o.target_platforms[0].architecture, "arm64");
        assert_eq!(o.target_platforms[1].os, "linux");
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse(&[("platform", "linux//x")]).is_err());
        assert!(parse(&[("image-resolve-mode", "sometimes")]).is_err());
        assert!(parse(&[("multi-platform", "nah")]).is_err());
        assert!(parse(&[
            ("multi-platform", "false"),
            ("platform", "linux/amd64,linux/arm64")
        ])
        .is_err());
        assert!(parse(&[("memory", "1g")]).is_err());
    }

    #[test]
    fn run_options() {
        let o = parse(&[
            (
                "add-hosts",
                "Web=10.0.0.1,\"db=::ffff:1.2.3.4\",v6=2001:DB8:0:0:1::1",
            ),
            ("shm-size", "1048576"),
            ("ulimit", "nofile=1024:2048,core=-1"),
        ])
        .unwrap();
        let hosts: Vec<(&str, &str)> = o
            .extra_hosts
            .iter()
            .map(|h| (h.host.as_str(), h.ip.as_str()))
            .collect();
        assert_eq!(
            hosts,
            [
                ("web", "10.0.0.1"),
                ("db", "1.2.3.4"),
                ("v6", "2001:db8::1:0:0:1")
            ]
        );
        assert_eq!(o.shm_size, 1 << 20);
        assert_eq!(
            o.ulimits,
            [
                Ulimit {
                    name: "nofile".into(),
                    soft: 1024,
                    hard: 2048
                },
                Ulimit {
                    name: "core".into(),
                    soft: -1,
                    hard: -1
                }
            ]
        );
        let none = parse(&[("add-hosts", ""), ("shm-size", ""), ("ulimit", "")]).unwrap();
        assert!(none.extra_hosts.is_empty() && none.shm_size == 0 && none.ulimits.is_empty());
    }

    #[test]
    fn resource_limits() {
        // dockerui's parseLinuxResources v0.34.2: accepted values, kept as given.
        let o = parse(&[
            ("memory", "+7"),
            ("memswap", "-1"),
            ("cpushares", "18446744073709551615"),
            ("cpuperiod", "100000"),
            ("cpuquota", "50000"),
            ("cpusetcpus", ", 1 , 2 - 4,"),
            ("cpusetmems", "+3"),
            ("ulimit", ""),
        ])
        .unwrap();
        assert_eq!(
            o.linux_resources,
            Some(LinuxResources {
                memory: 7,
                memory_swap: -1,
                cpu_shares: u64::MAX,
                cpu_period: 100_000,
                cpu_quota: 50_000,
                cpuset_cpus: ", 1 , 2 - 4,".into(),
                cpuset_mems: "+3".into(),
            })
        );
        let none = parse(&[("memory", ""), ("cpusetcpus", "")]).unwrap();
        assert_eq!(none.linux_resources, None);
        // Errors byte for byte as the reference's (Go program calling parseLinuxResources).
        let err = |k: &str, v: &str| parse(&[(k, v)]).unwrap_err().0;
        assert_eq!(
            err("memory", "1g"),
            "failed to parse resource limits: invalid memory value: 1g: strconv.ParseInt: parsing \"1g\": invalid syntax"
        );
        assert_eq!(
            err("memory", "0"),
            "failed to parse resource limits: invalid memory value: 0: must be > 0"
        );
        assert_eq!(
            err("memory", "-5"),
            "failed to parse resource limits: invalid memory value: -5: must be > 0"
        );
        assert_eq!(
            err("memory", "99999999999999999999"),
            "failed to parse resource limits: invalid memory value: 99999999999999999999: strconv.ParseInt: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(
            err("memswap", "0"),
            "failed to parse resource limits: invalid memswap value: 0: must be -1 (unlimited) or > 0"
        );
        assert_eq!(
            err("memswap", "-2"),
            "failed to parse resource limits: invalid memswap value: -2: must be -1 (unlimited) or > 0"
        );
        assert_eq!(
            err("memswap", "x"),
            "failed to parse resource limits: invalid memswap value: x: strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            err("cpushares", "0"),
            "failed to parse resource limits: invalid cpushares value: 0: must be > 0"
        );
        assert_eq!(
            err("cpushares", "-1"),
            "failed to parse resource limits: invalid cpushares value: -1: strconv.ParseUint: parsing \"-1\": invalid syntax"
        );
        assert_eq!(
            err("cpushares", "+1"),
            "failed to parse resource limits: invalid cpushares value: +1: strconv.ParseUint: parsing \"+1\": invalid syntax"
        );
        assert_eq!(
            err("cpushares", "18446744073709551616"),
            "failed to parse resource limits: invalid cpushares value: 18446744073709551616: strconv.ParseUint: parsing \"18446744073709551616\": value out of range"
        );
        assert_eq!(
            err("cpuperiod", "0"),
            "failed to parse resource limits: invalid cpuperiod value: 0: must be > 0"
        );
        assert_eq!(
            err("cpuperiod", "1.5"),
            "failed to parse resource limits: invalid cpuperiod value: 1.5: strconv.ParseUint: parsing \"1.5\": invalid syntax"
        );
        assert_eq!(
            err("cpuquota", "0"),
            "failed to parse resource limits: invalid cpuquota value: 0: must be > 0"
        );
        assert_eq!(
            err("cpuquota", "-1"),
            "failed to parse resource limits: invalid cpuquota value: -1: must be > 0"
        );
        assert_eq!(
            err("cpuquota", "q"),
            "failed to parse resource limits: invalid cpuquota value: q: strconv.ParseInt: parsing \"q\": invalid syntax"
        );
        assert_eq!(
            err("cpusetcpus", "a"),
            "failed to parse resource limits: invalid cpusetcpus value: a: invalid cpuset element \"a\""
        );
        assert_eq!(
            err("cpusetcpus", "-1"),
            "failed to parse resource limits: invalid cpusetcpus value: -1: invalid cpuset range \"-1\""
        );
        assert_eq!(
            err("cpusetcpus", "3-1"),
            "failed to parse resource limits: invalid cpusetcpus value: 3-1: invalid cpuset range \"3-1\""
        );
        assert_eq!(
            err("cpusetcpus", "8193"),
            "failed to parse resource limits: invalid cpusetcpus value: 8193: cpuset element \"8193\" exceeds maximum 8192"
        );
        assert_eq!(
            err("cpusetcpus", "0-8193"),
            "failed to parse resource limits: invalid cpusetcpus value: 0-8193: cpuset range \"0-8193\" exceeds maximum 8192"
        );
        assert_eq!(
            err("cpusetmems", "0,x"),
            "failed to parse resource limits: invalid cpusetmems value: 0,x: invalid cpuset element \"x\""
        );
        assert_eq!(
            err("cpusetmems", "1-"),
            "failed to parse resource limits: invalid cpusetmems value: 1-: invalid cpuset range \"1-\""
        );
    }

    #[test]
    fn run_option_errors() {
        let err = |k: &str, v: &str| parse(&[(k, v)]).unwrap_err().0;
        assert_eq!(
            err("add-hosts", "web"),
            "failed to parse additional hosts: invalid key-value pair web"
        );
        assert_eq!(
            err("add-hosts", "web=1.2.3"),
            "failed to parse additional hosts: failed to parse IP 1.2.3"
        );
        assert_eq!(err("add-hosts", "a\"b"), "failed to parse additional hosts: parse error on line 1, column 2: bare \" in non-quoted-field");
        assert_eq!(
            err("shm-size", "1g"),
            "failed to parse shm size: strconv.ParseInt: parsing \"1g\": invalid syntax"
        );
        assert_eq!(
            err("ulimit", "nofile"),
            "failed to parse ulimit: invalid ulimit argument: nofile"
        );
        assert_eq!(
            err("ulimit", "as=1"),
            "failed to parse ulimit: invalid ulimit type: as"
        );
        assert_eq!(
            err("ulimit", "nofile=x"),
            "failed to parse ulimit: strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        assert_eq!(err("ulimit", "nofile=1:2:3"), "failed to parse ulimit: too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`");
        assert_eq!(err("ulimit", "nofile=-1:5"), "failed to parse ulimit: ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 5");
        assert_eq!(err("ulimit", "nofile=6:5"), "failed to parse ulimit: ulimit soft limit must be less than or equal to hard limit: 6 > 5");
        let sbom = |v: &str| parse(&[("attest:sbom", v)]).map(|o| o.sbom);
        assert_eq!(
            sbom("generator=127.0.0.1:5000/scanner,EXTRA=1").unwrap(),
            Some(SbomScanner {
                generator: "127.0.0.1:5000/scanner:latest".into(),
                params: BTreeMap::from([("EXTRA".into(), "1".into())]),
            })
        );
        assert_eq!(
            sbom("").unwrap().map(|s| s.generator),
            Some("docker.io/docker/buildkit-syft-scanner:stable-1".into())
        );
        assert_eq!(sbom("disabled=true").unwrap(), None);
        assert!(sbom("generator=Bad Name")
            .unwrap_err()
            .0
            .starts_with("failed to parse sbom scanner Bad Name"));
        assert!(parse(&[("attest:provenance", "mode=max")]).is_ok());
        assert_eq!(
            parse(&[("attest:foo", "")]).unwrap_err().0,
            "unknown attestation type \"foo\""
        );
        assert!(parse(&[("override-copy-image", "x")])
            .unwrap_err()
            .0
            .contains("removed in BuildKit 0.11"));
        assert!(parse(&[("build-arg:BUILDKIT_DISABLE_FILEOP", "1")]).is_err());
    }

    #[test]
    fn dockerfile_and_context_sources() {
        let o = parse(&[
            ("filename", "sub/dir/Dockerfile.dev"),
            ("dockerfilekey", "df2"),
            ("contextsubdir", "sub"),
        ])
        .unwrap();
        assert_eq!(
            (
                o.filename.as_str(),
                o.dockerfile_local.as_str(),
                o.force_local_dockerfile
            ),
            ("sub/dir/Dockerfile.dev", "df2", true)
        );
        assert_eq!(o.context_subdir.as_deref(), Some("sub"));
        assert!(o.remote_context.is_none());
        let o = parse(&[("context", "https://example.com/repo.git")]).unwrap();
        assert_eq!(
            o.remote_context.as_deref(),
            Some("https://example.com/repo.git")
        );
        // contextkey names the option holding the remote context; the local stays `context`.
        let o = parse(&[("contextkey", "ctx2"), ("ctx2", "http://127.0.0.1/c.tar")]).unwrap();
        assert_eq!(
            (o.context_local.as_str(), o.remote_context.as_deref()),
            ("context", Some("http://127.0.0.1/c.tar"))
        );
    }
}
