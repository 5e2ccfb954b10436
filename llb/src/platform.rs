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

/// Why a platform specifier does not parse: containerd's `platforms.Parse` errors. The message
/// quotes the specifier as Go's `%q` does; [`PlatformError::message`] takes the quoting
/// function (the frontend's port of `strconv.Quote`), `Display` uses Rust's `{:?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError {
    pub spec: String,
    pub kind: PlatformErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformErrorKind {
    /// `*` anywhere.
    Wildcard,
    /// The first component does not match containerd's `osRe`.
    InvalidOs(String),
    /// A later component does not match containerd's `specifierRe`.
    InvalidComponent(String),
    /// The OS version has a bad `%XX` escape (the escape as Go's `url.EscapeError` holds it).
    InvalidOsVersion { version: String, escape: String },
    /// One component that is neither a known OS nor a known architecture.
    UnknownOsOrArch,
    /// More than three components.
    TooManyComponents,
    /// OS features (`os(version+feature)`): containerd accepts them, nothing here carries them.
    OsFeatures,
}

/// containerd's `osRe` and `specifierRe`, as they print with `%q`.
const OS_RE: &str = r"^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$";
const SPECIFIER_RE: &str = "^[A-Za-z0-9_.-]+$";

impl PlatformError {
    fn new(spec: &str, kind: PlatformErrorKind) -> Self {
        PlatformError {
            spec: spec.to_string(),
            kind,
        }
    }

    /// containerd's message, strings quoted with `quote` (Go's `%q`).
    pub fn message(&self, quote: impl Fn(&str) -> String) -> String {
        let spec = quote(&self.spec);
        match &self.kind {
            PlatformErrorKind::Wildcard => {
                format!("{spec}: wildcards not yet supported: invalid argument")
            }
            PlatformErrorKind::InvalidOs(part) => format!(
                "{} is an invalid OS component of {spec}: OSAndVersion specifier component must match {}: invalid argument",
                quote(part),
                quote(OS_RE)
            ),
            PlatformErrorKind::InvalidComponent(part) => format!(
                "{} is an invalid component of {spec}: platform specifier component must match {}: invalid argument",
                quote(part),
                quote(SPECIFIER_RE)
            ),
            PlatformErrorKind::InvalidOsVersion { version, escape } => format!(
                "{spec} has an invalid OS version {}: invalid URL escape {}",
                quote(version),
                quote(escape)
            ),
            PlatformErrorKind::UnknownOsOrArch => {
                format!("{spec}: unknown operating system or architecture: invalid argument")
            }
            PlatformErrorKind::TooManyComponents => {
                format!("{spec}: cannot parse platform specifier: invalid argument")
            }
            PlatformErrorKind::OsFeatures => {
                format!("{spec}: OS features in a platform are not supported")
            }
        }
    }
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(|s| format!("{s:?}")))
    }
}

impl std::error::Error for PlatformError {}

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

    /// containerd's `platforms.Parse` followed by `platforms.Normalize`, as BuildKit reads the
    /// `platform` option (dockerui's `parsePlatforms`) and `FROM --platform`:
    /// `os[(osversion)][/arch[/variant]]`, or one component that is a known OS (this machine's
    /// architecture) or a known architecture (this machine's OS), else an error. Names are
    /// lowercased and normalised (`x86_64` → `amd64`, `aarch64` → `arm64`, `arm64/v8` →
    /// `arm64`, `arm` → `arm/v7`); the OS version keeps its case, its `%XX` escapes decoded.
    pub fn parse(spec: &str) -> Result<Self, PlatformError> {
        let err = |kind| PlatformError::new(spec, kind);
        if spec.contains('*') {
            return Err(err(PlatformErrorKind::Wildcard));
        }
        // At most four parts, as containerd splits (the fourth is refused below).
        let parts: Vec<&str> = spec.splitn(4, '/').collect();
        let first = parts.first().copied().unwrap_or_default();
        let Some((os, version, features)) = split_os_component(first) else {
            return Err(err(PlatformErrorKind::InvalidOs(first.to_string())));
        };
        let os_version = percent_decode(version).map_err(|escape| {
            err(PlatformErrorKind::InvalidOsVersion {
                version: version.to_string(),
                escape,
            })
        })?;
        if let Some(bad) = parts[1..].iter().find(|p| !is_specifier_component(p)) {
            return Err(err(PlatformErrorKind::InvalidComponent(bad.to_string())));
        }
        if !features.is_empty() {
            return Err(err(PlatformErrorKind::OsFeatures));
        }
        // containerd's `normalizeOS`.
        let os = match os.to_ascii_lowercase() {
            m if m == "macos" => "darwin".to_string(),
            os => os,
        };
        let p = match parts.as_slice() {
            [_] if is_known_os(&os) => Platform::new(&os, &Platform::host_ref().architecture, ""),
            [one] => {
                let arch = Platform::new("", &one.to_ascii_lowercase(), "");
                if !is_known_arch(&arch.architecture) {
                    return Err(err(PlatformErrorKind::UnknownOsOrArch));
                }
                Platform::new(&Platform::host_ref().os, &arch.architecture, &arch.variant)
            }
            [_, arch] => Platform::new(&os, &arch.to_ascii_lowercase(), ""),
            [_, arch, variant] => Platform::new(
                &os,
                &arch.to_ascii_lowercase(),
                &variant.to_ascii_lowercase(),
            ),
            _ => return Err(err(PlatformErrorKind::TooManyComponents)),
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

    /// containerd's `Normalize` (`normalizeOS`, `normalizeArch`) of names already lowercase.
    fn normalized(mut self) -> Self {
        if self.os == "macos" {
            self.os = "darwin".into();
        }
        let (arch, variant) = match (self.architecture.as_str(), self.variant.as_str()) {
            ("i386", _) => ("386", ""),
            ("x86_64" | "x86-64" | "amd64", "" | "v1") => ("amd64", ""),
            ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v),
            ("aarch64" | "arm64", "" | "8" | "v8" | "v8.0") => ("arm64", ""),
            ("aarch64" | "arm64", "9" | "9.0" | "v9.0") => ("arm64", "v9"),
            ("aarch64" | "arm64", v) => ("arm64", v),
            ("armhf", _) => ("arm", "v7"),
            ("armel", _) => ("arm", "v6"),
            ("arm", "") | ("arm", "7") => ("arm", "v7"),
            ("arm", "5") => ("arm", "v5"),
            ("arm", "6") => ("arm", "v6"),
            ("arm", "8") => ("arm", "v8"),
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

/// The first component of a platform as containerd's `osRe` reads it: the OS, the OS version
/// (still escaped) and the OS features (`+a+b`, empty when none); `None` when it does not match.
fn split_os_component(first: &str) -> Option<(&str, &str, &str)> {
    let word = |s: &str, dot_percent: bool| {
        s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c == '_'
                || c == '-'
                || (dot_percent && (c == '.' || c == '%'))
        })
    };
    let (os, version, features) = match first.split_once('(') {
        None => (first, "", ""),
        Some((os, rest)) => {
            let inner = rest.strip_suffix(')')?;
            match inner.find('+') {
                Some(i) => (os, &inner[..i], &inner[i..]),
                None => (os, inner, ""),
            }
        }
    };
    let features_ok = features.is_empty()
        || features[1..]
            .split('+')
            .all(|f| !f.is_empty() && word(f, true));
    (!os.is_empty() && word(os, false) && word(version, true) && features_ok)
        .then_some((os, version, features))
}

/// containerd's `specifierRe`: a component after the OS.
fn is_specifier_component(part: &str) -> bool {
    !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Go's `url.PathUnescape` (containerd's `decodeOSOption`); the error is the bad escape as
/// Go's `url.EscapeError` holds it (at most three bytes from the `%`). Decoded bytes that are
/// not UTF-8 become U+FFFD (Go keeps them; its protobuf encoder then refuses the platform).
fn percent_decode(s: &str) -> Result<String, String> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
        match (hex(i + 1), hex(i + 2)) {
            (Some(h), Some(l)) => {
                // Two hex digits: at most 0xFF.
                out.push(u8::try_from(h * 16 + l).unwrap_or(u8::MAX));
                i += 3;
            }
            _ => {
                let rest = &s[i..];
                let end = rest
                    .char_indices()
                    .map(|(k, c)| k + c.len_utf8())
                    .take_while(|&e| e <= 3)
                    .last()
                    .unwrap_or(0);
                return Err(rest[..end].to_string());
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
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

/// containerd's `isKnownOS`.
fn is_known_os(s: &str) -> bool {
    matches!(
        s,
        "aix"
            | "android"
            | "darwin"
            | "dragonfly"
            | "freebsd"
            | "hurd"
            | "illumos"
            | "ios"
            | "js"
            | "linux"
            | "nacl"
            | "netbsd"
            | "openbsd"
            | "plan9"
            | "solaris"
            | "windows"
            | "zos"
    )
}

/// containerd's `isKnownArch`.
fn is_known_arch(s: &str) -> bool {
    matches!(
        s,
        "386"
            | "amd64"
            | "amd64p32"
            | "arm"
            | "armbe"
            | "arm64"
            | "arm64be"
            | "ppc64"
            | "ppc64le"
            | "loong64"
            | "mips"
            | "mipsle"
            | "mips64"
            | "mips64le"
            | "mips64p32"
            | "mips64p32le"
            | "ppc"
            | "riscv"
            | "riscv64"
            | "s390"
            | "s390x"
            | "sparc"
            | "sparc64"
            | "wasm"
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
        // containerd does not trim.
        assert!(Platform::parse(" linux/amd64").is_err());
    }

    /// containerd's `platforms.Parse` (v1.0.0-rc.5, platforms.go and database.go): one
    /// component is a known OS (this machine's architecture), else a known architecture (this
    /// machine's OS), else an error.
    #[test]
    fn one_component_is_a_known_os_or_a_known_architecture() {
        let host = Platform::host();
        let p = Platform::parse("linux").unwrap();
        assert_eq!(
            (p.os.as_str(), &p.architecture),
            ("linux", &host.architecture)
        );
        assert_eq!(Platform::parse("MacOS").unwrap().os, "darwin");
        assert_eq!(Platform::parse("zos").unwrap().os, "zos");
        let p = Platform::parse("aarch64").unwrap();
        assert_eq!((&p.os, p.architecture.as_str()), (&host.os, "arm64"));
        assert_eq!(Platform::parse("armhf").unwrap().variant, "v7");
        assert_eq!(Platform::parse("i386").unwrap().architecture, "386");
        assert_eq!(
            Platform::parse("windows(10.0.20348)").unwrap().os_version,
            "10.0.20348"
        );
        for unknown in ["garbage", "wasip1", "amd64(1.0)", "arm64be(x)"] {
            assert_eq!(
                Platform::parse(unknown).unwrap_err().kind,
                PlatformErrorKind::UnknownOsOrArch,
                "{unknown}"
            );
        }
        // Two components are an OS and an architecture, known or not.
        assert_eq!(
            Platform::parse("garbage/x").unwrap().to_string(),
            "garbage/x"
        );
    }

    #[test]
    fn errors_read_as_containerd_writes_them() {
        let msg = |s: &str| Platform::parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("garbage"),
            r#""garbage": unknown operating system or architecture: invalid argument"#
        );
        assert_eq!(
            msg("linux/*"),
            r#""linux/*": wildcards not yet supported: invalid argument"#
        );
        assert_eq!(
            msg("a/b/c/d"),
            r#""a/b/c/d": cannot parse platform specifier: invalid argument"#
        );
        assert_eq!(
            msg("linux/am d64"),
            r#""am d64" is an invalid component of "linux/am d64": platform specifier component must match "^[A-Za-z0-9_.-]+$": invalid argument"#
        );
        assert_eq!(
            msg("lin.ux/amd64"),
            r#""lin.ux" is an invalid OS component of "lin.ux/amd64": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$": invalid argument"#
        );
        assert_eq!(
            msg(""),
            r#""" is an invalid OS component of "": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$": invalid argument"#
        );
        assert_eq!(
            msg("windows(1%zz0)/amd64"),
            r#""windows(1%zz0)/amd64" has an invalid OS version "1%zz0": invalid URL escape "%zz""#
        );
        assert_eq!(
            msg("windows(1%4)/amd64"),
            r#""windows(1%4)/amd64" has an invalid OS version "1%4": invalid URL escape "%4""#
        );
        // The OS version is decoded before the later components are checked.
        assert_eq!(
            Platform::parse("windows(%)/a b").unwrap_err().kind,
            PlatformErrorKind::InvalidOsVersion {
                version: "%".into(),
                escape: "%".into()
            }
        );
        // The quoting is the caller's (Go's %q in the frontend).
        let e = Platform::parse("x y").unwrap_err();
        assert_eq!(
            e.message(|s| format!("<{s}>")),
            format!("<x y> is an invalid OS component of <x y>: OSAndVersion specifier component must match <{OS_RE}>: invalid argument")
        );
    }

    #[test]
    fn arm_variants_normalise_as_containerd() {
        let p = |s: &str| Platform::parse(s).unwrap().to_string();
        assert_eq!(p("linux/arm64/v8.0"), "linux/arm64");
        assert_eq!(p("linux/arm64/9"), "linux/arm64/v9");
        assert_eq!(p("linux/arm64/v9.0"), "linux/arm64/v9");
        assert_eq!(p("linux/arm/8"), "linux/arm/v8");
        assert_eq!(p("linux/ARM/V6"), "linux/arm/v6");
        assert_eq!(p("linux/amd64/v1"), "linux/amd64");
        assert_eq!(p("linux/amd64/v3"), "linux/amd64/v3");
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
        assert_eq!(
            Platform::parse("windows(1.0+feature)/amd64")
                .unwrap_err()
                .kind,
            PlatformErrorKind::OsFeatures
        );
        // An empty feature does not match containerd's osRe.
        assert!(matches!(
            Platform::parse("windows(1.0+)/amd64").unwrap_err().kind,
            PlatformErrorKind::InvalidOs(_)
        ));
        assert!(Platform::parse("windows(1 0)/amd64").is_err());
        assert_eq!(Platform::parse("windows()/amd64").unwrap().os_version, "");
    }
}
