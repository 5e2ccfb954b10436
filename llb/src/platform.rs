//! OCI platforms (`os[(osversion)]/arch[/variant]`), parsed, normalised and formatted as
//! containerd does.

use std::fmt;

use buildkit_proto::pb;

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: String,
    /// The OS version (a Windows build, `windows(10.0.20348.1006)/amd64`); empty for most.
    pub os_version: String,
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
            os_version: String::new(),
        }
        .normalized()
    }

    pub fn with_os_version(mut self, os_version: &str) -> Self {
        self.os_version = os_version.to_string();
        self
    }

    /// Parses `os[(osversion)][/arch[/variant]]` or a bare architecture, with containerd's
    /// normalisation (`x86_64` → `amd64`, `aarch64` → `arm64`, `arm64/v8` → `arm64`, `arm` →
    /// `arm/v7`). The OS version keeps its case; `%XX` escapes in it are decoded.
    pub fn parse(spec: &str) -> Result<Self, PlatformError> {
        let err = |reason| PlatformError {
            spec: spec.to_string(),
            reason,
        };
        let trimmed = spec.trim();
        let (first, rest) = match trimmed.split_once('/') {
            Some((first, rest)) => (first, Some(rest)),
            None => (trimmed, None),
        };
        let (os, os_version) = split_os_version(first).map_err(err)?;
        let lower = match rest {
            Some(rest) => format!("{}/{}", os.to_ascii_lowercase(), rest.to_ascii_lowercase()),
            None => os.to_ascii_lowercase(),
        };
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
            [one] if is_known_os(one) => Platform::new(one, std::env::consts::ARCH, ""),
            [one] => Platform::new("linux", one, ""),
            [os, arch] => Platform::new(os, arch, ""),
            [os, arch, variant] => Platform::new(os, arch, variant),
            _ => return Err(err("too many components")),
        };
        Ok(p.with_os_version(&os_version))
    }

    /// containerd's `Format`: `os/arch[/variant]`, without the OS version (`BUILDPLATFORM`).
    pub fn format_without_os_version(&self) -> String {
        let mut s = format!("{}/{}", self.os, self.architecture);
        if !self.variant.is_empty() {
            s.push('/');
            s.push_str(&self.variant);
        }
        s
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
            os_version: self.os_version.clone(),
            ..Default::default()
        }
    }

    pub fn from_pb(p: &pb::Platform) -> Self {
        Platform::new(&p.os, &p.architecture, &p.variant).with_os_version(&p.os_version)
    }
}

/// The first component of a platform, `os` or `os(osversion)`, as containerd's `osRe` reads
/// it. OS features (`os(version+feature)`) are refused: nothing here carries them.
fn split_os_version(first: &str) -> Result<(&str, String), &'static str> {
    let Some((os, rest)) = first.split_once('(') else {
        return Ok((first, String::new()));
    };
    let version = rest
        .strip_suffix(')')
        .ok_or("the OS version must be closed with ')'")?;
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '-');
    if version.contains('+') {
        return Err("OS features in a platform are not supported");
    }
    if !version.chars().all(valid) {
        return Err("unexpected character in the OS version");
    }
    Ok((os, percent_decode(version)?))
}

/// Go's `url.PathUnescape` for the characters an OS version may hold.
fn percent_decode(s: &str) -> Result<String, &'static str> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or("invalid escape in the OS version")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "invalid escape in the OS version")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "invalid escape in the OS version")
}

/// containerd's `encodeOSOption`: the characters that would read as platform syntax, escaped.
fn encode_os_version(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '%' => s.push_str("%25"),
            '+' => s.push_str("%2B"),
            '(' => s.push_str("%28"),
            ')' => s.push_str("%29"),
            '/' => s.push_str("%2F"),
            c => s.push(c),
        }
    }
    s
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

/// containerd's `FormatAll`: `os[(osversion)]/arch[/variant]`.
impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.os)?;
        if !self.os_version.is_empty() {
            write!(f, "({})", encode_os_version(&self.os_version))?;
        }
        write!(f, "/{}", self.architecture)?;
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

#[cfg(test)]
mod os_version_tests {
    use super::*;

    #[test]
    fn os_version_is_parsed_kept_and_formatted_as_containerd_does() {
        let p = Platform::parse("windows(10.0.20348.1006)/amd64").unwrap();
        assert_eq!(
            (p.os.as_str(), p.os_version.as_str()),
            ("windows", "10.0.20348.1006")
        );
        assert_eq!(p.to_string(), "windows(10.0.20348.1006)/amd64");
        assert_eq!(p.format_without_os_version(), "windows/amd64");
        assert_eq!(p.to_pb().os_version, "10.0.20348.1006");
        assert_eq!(Platform::from_pb(&p.to_pb()), p);
        // The version keeps its case; the rest is lowercased; escapes are decoded and re-encoded.
        let p = Platform::parse("Windows(Ab%2B1)/BAR").unwrap();
        assert_eq!(
            (
                p.os.as_str(),
                p.architecture.as_str(),
                p.os_version.as_str()
            ),
            ("windows", "bar", "Ab+1")
        );
        assert_eq!(p.to_string(), "windows(Ab%2B1)/bar");
        assert!(Platform::parse("windows(1.0/amd64").is_err());
        assert!(Platform::parse("windows(1.0+feature)/amd64").is_err());
        assert!(Platform::parse("windows(1 0)/amd64").is_err());
    }
}
