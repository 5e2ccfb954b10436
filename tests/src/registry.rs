//! Images in the environment's local registry, read over its HTTP API.

use std::process::Command;

use serde_json::Value;

/// An image in the local registry: its (platform) manifest and its config.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: String,
    /// The index (or manifest list) if the tag points at one.
    pub index: Option<Value>,
    /// The linux/amd64 manifest.
    pub manifest: Value,
    pub config: Value,
}

impl Image {
    /// `config.config` of the image config (Env, Cmd, Entrypoint, ...), `Null` if absent.
    pub fn container_config(&self) -> &Value {
        &self.config["config"]
    }

    /// The sorted `os/architecture` of the index's images (or of the one image).
    #[track_caller]
    pub fn platforms(&self) -> Vec<String> {
        let mut platforms: Vec<String> = self
            .platform_configs()
            .iter()
            .map(|(p, _)| {
                format!(
                    "{}/{}",
                    p["os"].as_str().unwrap_or_default(),
                    p["architecture"].as_str().unwrap_or_default()
                )
            })
            .collect();
        platforms.sort();
        platforms
    }

    /// The `(platform, image config)` of every manifest of the index (just the one manifest
    /// when the tag is not an index; its platform then comes from the config).
    #[track_caller]
    pub fn platform_configs(&self) -> Vec<(Value, Value)> {
        let Some(index) = &self.index else {
            let p = serde_json::json!({"os": self.config["os"], "architecture": self.config["architecture"]});
            return vec![(p, self.config.clone())];
        };
        let (registry, repo, _) = split_ref(&self.name);
        let base = format!("http://{registry}/v2/{repo}");
        let entries = index["manifests"].as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .filter(|m| m["platform"]["os"] != "unknown")
            .map(|m| {
                let digest = m["digest"].as_str().unwrap_or_default();
                let manifest =
                    registry_json(&format!("{base}/manifests/{digest}"), Some(MANIFEST_ACCEPT));
                let config_digest = manifest["config"]["digest"].as_str().unwrap_or_default();
                let config = registry_json(&format!("{base}/blobs/{config_digest}"), None);
                (m["platform"].clone(), config)
            })
            .collect()
    }
}

pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Splits `REGISTRY/repo/path:tag` (or `@digest`) into (registry, repo, reference).
pub(crate) fn split_ref(name: &str) -> (&str, &str, &str) {
    let (registry, rest) = name
        .split_once('/')
        .unwrap_or_else(|| panic!("bad image name {name}"));
    if let Some((repo, digest)) = rest.split_once('@') {
        return (registry, repo, digest);
    }
    match rest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (registry, repo, tag),
        _ => (registry, rest, "latest"),
    }
}

fn registry_get(url: &str, accept: Option<&str>) -> Vec<u8> {
    let mut cmd = Command::new("curl");
    cmd.args(["-fsSL", "--max-time", "30"]);
    if let Some(a) = accept {
        cmd.args(["-H", &format!("Accept: {a}")]);
    }
    cmd.arg(url);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    if !out.status.success() {
        panic!("GET {url} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.stdout
}

fn registry_json(url: &str, accept: Option<&str>) -> Value {
    let body = registry_get(url, accept);
    serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "GET {url}: not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    })
}

/// A JSON document of the image's repository in the local registry: a manifest (or index)
/// by tag or digest (`manifests/REF`), or a blob (`blobs/DIGEST`).
pub fn registry_document(name: &str, what: &str) -> Value {
    let (registry, repo, _) = split_ref(name);
    registry_json(
        &format!("http://{registry}/v2/{repo}/{what}"),
        Some(MANIFEST_ACCEPT),
    )
}

/// The digest the registry gives the manifest (or index) `name` points at.
#[track_caller]
pub fn manifest_digest(name: &str) -> String {
    let (registry, repo, reference) = split_ref(name);
    let url = format!("http://{registry}/v2/{repo}/manifests/{reference}");
    let out = Command::new("curl")
        .args(["-fsSI", "--max-time", "30", "-H"])
        .arg(format!("Accept: {MANIFEST_ACCEPT}"))
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    let headers = String::from_utf8_lossy(&out.stdout);
    headers
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("docker-content-digest")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("HEAD {url}: no Docker-Content-Digest in {headers}"))
}

/// Fetches an image's manifest (the linux/amd64 one of an index) and config from the local
/// registry over HTTP.
#[track_caller]
pub fn fetch_image(name: &str) -> Image {
    let (registry, repo, reference) = split_ref(name);
    let base = format!("http://{registry}/v2/{repo}");
    let top = registry_json(
        &format!("{base}/manifests/{reference}"),
        Some(MANIFEST_ACCEPT),
    );
    let (index, manifest) = if top.get("manifests").is_some() {
        let entries = top["manifests"].as_array().cloned().unwrap_or_default();
        let entry = entries
            .iter()
            .find(|m| m["platform"]["os"] == "linux" && m["platform"]["architecture"] == "amd64")
            .unwrap_or_else(|| panic!("{name}: no linux/amd64 manifest in the index: {top}"));
        let digest = entry["digest"].as_str().unwrap_or_default();
        let m = registry_json(&format!("{base}/manifests/{digest}"), Some(MANIFEST_ACCEPT));
        (Some(top), m)
    } else {
        (None, top)
    };
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: manifest without config digest: {manifest}"));
    let config = registry_json(&format!("{base}/blobs/{config_digest}"), None);
    Image {
        name: name.to_string(),
        index,
        manifest,
        config,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_image_refs() {
        assert_eq!(
            split_ref("127.0.0.1:5000/e2e/x:latest"),
            ("127.0.0.1:5000", "e2e/x", "latest")
        );
        assert_eq!(
            split_ref("127.0.0.1:5000/x"),
            ("127.0.0.1:5000", "x", "latest")
        );
        assert_eq!(split_ref("r:1/x@sha256:ab"), ("r:1", "x", "sha256:ab"));
    }
}
