//! The OCI image config (with Docker's extensions) a build returns: the base image's config
//! carried forward, changed by each instruction, with one history entry per instruction.
//! Field names and omission rules follow the JSON the reference frontend writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Docker's `DockerOCIImage`: fields in the Go struct's order (`config` shadows the embedded
/// OCI image's and comes last), and like Go's decoder it keeps no field it does not know, so
/// our config is byte for byte the reference's `json.Marshal` output (`to_json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Image {
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "go_time"
    )]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub author: Option<String>,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(rename = "os.version", skip_serializing_if = "omit_empty")]
    pub os_version: Option<String>,
    #[serde(rename = "os.features", skip_serializing_if = "omit_empty")]
    pub os_features: Option<Vec<String>>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub variant: Option<String>,
    #[serde(default)]
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    #[serde(default)]
    pub config: ImageConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageConfig {
    #[serde(skip_serializing_if = "omit_empty")]
    pub user: Option<String>,
    #[serde(
        skip_serializing_if = "omit_empty",
        serialize_with = "go_empty_structs"
    )]
    pub exposed_ports: Option<BTreeMap<String, Map<String, Value>>>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub env: Option<Vec<String>>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub cmd: Option<Vec<String>>,
    #[serde(
        skip_serializing_if = "omit_empty",
        serialize_with = "go_empty_structs"
    )]
    pub volumes: Option<BTreeMap<String, Map<String, Value>>>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub working_dir: Option<String>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub stop_signal: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub args_escaped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub on_build: Option<Vec<String>>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub shell: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    #[serde(skip_serializing_if = "omit_empty")]
    pub test: Option<Vec<String>>,
    /// Durations in nanoseconds, as Go's `time.Duration` marshals.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub interval: i64,
    #[serde(skip_serializing_if = "is_zero", default)]
    pub timeout: i64,
    #[serde(skip_serializing_if = "is_zero", default)]
    pub start_period: i64,
    #[serde(skip_serializing_if = "is_zero", default)]
    pub start_interval: i64,
    #[serde(skip_serializing_if = "is_zero", default)]
    pub retries: i64,
}

/// A `created` time (a Go `*time.Time`) as the reference reads and writes it: a time Go
/// cannot read fails the config, one it reads is kept as Go writes it back.
fn go_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|t| crate::gocompat::time::json_time(&t).map_err(serde::de::Error::custom))
        .transpose()
}

/// Go's `omitempty`: absent, or an empty string, list or map.
fn omit_empty<T: IsEmpty>(v: &Option<T>) -> bool {
    v.as_ref().is_none_or(IsEmpty::is_empty)
}

trait IsEmpty {
    fn is_empty(&self) -> bool;
}

impl IsEmpty for String {
    fn is_empty(&self) -> bool {
        str::is_empty(self)
    }
}

impl IsEmpty for std::borrow::Cow<'_, str> {
    fn is_empty(&self) -> bool {
        str::is_empty(self)
    }
}

impl<T> IsEmpty for Vec<T> {
    fn is_empty(&self) -> bool {
        <[T]>::is_empty(self)
    }
}

impl<K, V> IsEmpty for BTreeMap<K, V> {
    fn is_empty(&self) -> bool {
        BTreeMap::is_empty(self)
    }
}

/// Go's `map[string]struct{}`: each value is written `{}`, whatever the base image had.
fn go_empty_structs<S: serde::Serializer>(
    v: &Option<BTreeMap<String, Map<String, Value>>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let keys = v.as_ref().map(BTreeMap::keys);
    let mut m = s.serialize_map(keys.as_ref().map(ExactSizeIterator::len))?;
    for k in keys.into_iter().flatten() {
        m.serialize_entry(k, &Map::new())?;
    }
    m.end()
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    /// None (JSON null) for an image with no layers yet, as Go marshals a nil slice.
    #[serde(default)]
    pub diff_ids: Option<Vec<String>>,
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs {
            kind: "layers".into(),
            diff_ids: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "go_time"
    )]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "omit_empty")]
    pub author: Option<String>,
    /// (Ours is always the same literal, kept borrowed.)
    #[serde(skip_serializing_if = "omit_empty")]
    pub comment: Option<std::borrow::Cow<'static, str>>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub empty_layer: bool,
}

impl Image {
    /// The config of an image built `FROM scratch` for a platform.
    pub fn empty(platform: &buildkit_llb::Platform) -> Self {
        let mut img = Image {
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            variant: (!platform.variant.is_empty()).then(|| platform.variant.clone()),
            os_version: (!platform.os_version.is_empty()).then(|| platform.os_version.clone()),
            ..Default::default()
        };
        img.config.working_dir = Some("/".into());
        if platform.os != "windows" {
            img.config.env = Some(vec![format!("PATH={DEFAULT_PATH}")]);
        }
        img
    }

    /// Parses a base image's config as the registry served it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The config as Go's `json.Marshal` writes it (the reference's `containerimage.config`).
    pub fn to_json(&self) -> Vec<u8> {
        crate::gocompat::json::to_vec(self)
    }

    pub fn env(&self) -> &[String] {
        self.config.env.as_deref().unwrap_or_default()
    }

    /// Sets `key=value` in the config env, replacing an earlier value of the same key.
    pub fn set_env(&mut self, key: &str, value: &str) {
        let env = self.config.env.get_or_insert_with(Vec::new);
        let entry = [key, "=", value].concat();
        match env
            .iter_mut()
            .find(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) == key)
        {
            Some(e) => *e = entry,
            None => env.push(entry),
        }
    }

    /// Bytes of text in the history (what a conversion's size limit counts).
    pub fn history_bytes(&self) -> usize {
        self.history
            .iter()
            .map(|h| h.created_by.as_ref().map_or(0, String::len))
            .sum()
    }

    pub fn add_history(&mut self, created_by: String, empty_layer: bool, created: Option<String>) {
        self.history.push(History {
            created,
            created_by: Some(created_by),
            comment: Some(HISTORY_COMMENT.into()),
            empty_layer,
            ..Default::default()
        });
    }
}

/// The comment the reference frontend puts on every history entry it writes.
pub const HISTORY_COMMENT: &str = "buildkit.dockerfile.v0";

/// The PATH an image gets when its base image sets none (BuildKit's `system.DefaultPathEnvUnix`).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_docker_config_dropping_unknown_fields_like_go() {
        // Go decodes a base image's config into DockerOCIImage, which has no field for
        // anything else: the reference's config (and so the image digest) has none of them.
        let src = br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"Custom":1,"ExposedPorts":{"80/tcp":{"x":1}}},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[{"created_by":"x"}],"container":"abc"}"#;
        let img = Image::from_json(src).unwrap();
        assert_eq!(img.config.cmd.as_deref(), Some(&["sh".to_string()][..]));
        assert_eq!(
            String::from_utf8(img.to_json()).unwrap(),
            r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[{"created_by":"x"}],"config":{"ExposedPorts":{"80/tcp":{}},"Env":["PATH=/bin"],"Cmd":["sh"]}}"#
        );
    }

    /// Found by the fuzz target `contexts` against Go's decoder: a base image's `created`
    /// times are Go `time.Time`s in the reference, which refuses what is no time and writes
    /// the others back in its own form.
    #[test]
    fn created_times_are_read_and_written_as_go_does() {
        let img = Image::from_json(
            br#"{"created":"2024-01-02T03:04:05.500+00:00","history":[{"created":"2024-01-02T3:04:05,000+01:00"},{"created":null}]}"#,
        )
        .unwrap();
        assert_eq!(img.created.as_deref(), Some("2024-01-02T03:04:05.5Z"));
        assert_eq!(
            img.history[0].created.as_deref(),
            Some("2024-01-02T03:04:05+01:00")
        );
        assert_eq!(img.history[1].created, None);
        for bad in [
            br#"{"created":"x"}"#.as_slice(),
            br#"{"history":[{"created":"not a time"}]}"#,
            br#"{"created":1}"#,
        ] {
            assert!(
                Image::from_json(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn config_bytes_are_go_json_marshal_output() {
        // As dockerfile2llb v0.34.2 writes it (json.Marshal of its image) for `FROM scratch` and
        // `MAINTAINER me <me@x.org>` (checked byte for byte), with a label and CMD set.
        let mut img = Image::empty(&buildkit_llb::Platform::parse("linux/amd64").unwrap());
        img.author = Some("me <me@x.org>".into());
        img.config.labels = Some(BTreeMap::from([
            ("a".to_string(), "<b>&c".to_string()),
            ("d".to_string(), "\u{2028}x\u{2029}".to_string()),
        ]));
        img.config.cmd = Some(vec!["<>&".into()]);
        img.add_history("MAINTAINER me <me@x.org>".into(), true, None);
        assert_eq!(
            String::from_utf8(img.to_json()).unwrap(),
            r#"{"author":"me \u003cme@x.org\u003e","architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":null},"history":[{"created_by":"MAINTAINER me \u003cme@x.org\u003e","comment":"buildkit.dockerfile.v0","empty_layer":true}],"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["\u003c\u003e\u0026"],"WorkingDir":"/","Labels":{"a":"\u003cb\u003e\u0026c","d":"\u2028x\u2029"}}}"#
        );
    }

    #[test]
    fn empty_fields_are_omitted_like_go_omitempty() {
        let mut img = Image::empty(&buildkit_llb::Platform::parse("linux/amd64").unwrap());
        img.config.cmd = Some(Vec::new());
        img.config.user = Some(String::new());
        img.config.labels = Some(BTreeMap::new());
        let v: Value = serde_json::from_slice(&img.to_json()).unwrap();
        assert!(
            v["config"].get("Cmd").is_none()
                && v["config"].get("User").is_none()
                && v["config"].get("Labels").is_none(),
            "{v}"
        );
        assert_eq!(
            v["rootfs"]["diff_ids"],
            Value::Null,
            "a nil slice, as Go writes it"
        );
    }

    #[test]
    fn set_env_replaces_by_key() {
        let mut img = Image::empty(&buildkit_llb::Platform::parse("linux/amd64").unwrap());
        img.set_env("A", "1");
        img.set_env("PATH", "/x");
        img.set_env("A", "2");
        assert_eq!(img.env(), &["PATH=/x".to_string(), "A=2".to_string()]);
    }
}
