//! OCI platforms (`os/arch[/variant]`), parsed and normalised as containerd does.

use std::fmt;

use buildkit_proto::pb;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid platform {spec:?}: {reason}")]
pub struct PlatformError {
    pub spec: String,
    pub reason: &'static str,
}

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: &str) -> Self {
        Platform {
            os: os.into(),
            architecture: architecture.into(),
            variant: variant.into(),
        }
        .normalized()
    }

    /// Parses `os[/arch[/variant]]` or a bare architecture, with containerd's normalisation
    /// (`x86_64` → `amd64`, `aarch64` → `arm64`, `arm64/v8` → `arm64`, `arm` → `arm/v7`).
    pub fn parse(spec: &str) -> Result<Self, PlatformError> {
        let err = |reason| PlatformError {
            spec: spec.to_string(),
            reason,
        };
        let lower = spec.trim().to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(err("empty component"));
        }
        if parts.iter().any(|p| {
            !p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        }) {
            return Err(err("unexpected character"));
        }
        let p = match parts.as_slice() {
            [one] => {
                if is_known_os(one) {
                    Platform {
                        os: one.to_string(),
                        architecture: std::env::consts::ARCH.into(),
                        variant: String::new(),
                    }
                } else {
                    Platform {
                        os: "linux".into(),
                        architecture: one.to_string(),
                        variant: String::new(),
                    }
                }
            }
            [os, arch] => Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: String::new(),
            },
            [os, arch, variant] => Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: variant.to_string(),
            },
            _ => return Err(err("too many components")),
        };
        Ok(p.normalized())
    }

    /// The platform this program runs on.
    pub fn host() -> Self {
        Platform::host_ref().clone()
    }

    /// [`Platform::host`], worked out once.
    pub(crate) fn host_ref() -> &'static Platform {
        static HOST: std::sync::OnceLock<Platform> = std::sync::OnceLock::new();
        HOST.get_or_init(|| Platform::new(std::env::consts::OS, std::env::consts::ARCH, ""))
    }

    fn normalized(mut self) -> Self {
        if self.os == "macos" {
            self.os = "darwin".into();
        }
        let (arch, variant) = match (self.architecture.as_str(), self.variant.as_str()) {
            ("i386", _) => ("386", ""),
            ("x86_64" | "x86-64" | "amd64", "" | "v1") => ("amd64", ""),
            ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v),
            ("aarch64" | "arm64", "" | "8" | "v8") => ("arm64", ""),
            ("aarch64" | "arm64", v) => ("arm64", v),
            ("armhf", _) => ("arm", "v7"),
            ("armel", _) => ("arm", "v6"),
            ("arm", "") | ("arm", "7") => ("arm", "v7"),
            ("arm", "5") => ("arm", "v5"),
            ("arm", "6") => ("arm", "v6"),
            (a, v) => (a, v),
        };
        // (Reallocated only when normalising changed them.)
        if (arch, variant) != (self.architecture.as_str(), self.variant.as_str()) {
            let (arch, variant) = (arch.to_string(), variant.to_string());
            self.architecture = arch;
            self.variant = variant;
        }
        self
    }

    pub fn to_pb(&self) -> pb::Platform {
        pb::Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
            ..Default::default()
        }
    }

    pub fn from_pb(p: &pb::Platform) -> Self {
        Platform::new(&p.os, &p.architecture, &p.variant)
    }
}

fn is_known_os(s: &str) -> bool {
    matches!(
        s,
        "linux"
            | "windows"
            | "darwin"
            | "freebsd"
            | "netbsd"
            | "openbsd"
            | "solaris"
            | "illumos"
            | "android"
            | "aix"
            | "plan9"
            | "dragonfly"
            | "ios"
            | "js"
            | "wasip1"
    )
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(
            Platform::parse("linux/amd64").unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::parse("linux/x86_64").unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(
            Platform::parse("linux/arm").unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(Platform::parse("arm64").unwrap().to_string(), "linux/arm64");
        assert_eq!(
            Platform::parse("Linux/AMD64").unwrap().to_string(),
            "linux/amd64"
        );
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(Platform::parse("linux//amd64").is_err());
        assert!(Platform::parse("a/b/c/d").is_err());
        assert!(Platform::parse("linux/am d64").is_err());
        assert!(Platform::parse("").is_err());
    }
}
