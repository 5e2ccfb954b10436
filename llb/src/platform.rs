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
    /// A platform of these names, as written (see [`Platform::normalize`]).
    pub fn new(os: &str, architecture: &str, variant: &str) -> Self {
        Platform {
            os: os.into(),
            architecture: architecture.into(),
            variant: variant.into(),
            os_version: String::new(),
        }
    }

    pub fn with_os_version(mut self, os_version: &str) -> Self {
        self.os_version = os_version.to_string();
        self
    }

    /// containerd's `platforms.Parse` followed by `platforms.Normalize`, as BuildKit reads the
    /// `platform` option (dockerui's `parsePlatforms`): [`Platform::parse_unnormalized`], then
    /// [`Platform::normalize`] (`arm64/v8` → `arm64`, `arm` → `arm/v7`).
    pub fn parse(spec: &str) -> Result<Self, PlatformError> {
        Platform::parse_unnormalized(spec).map(Platform::normalize)
    }

    /// containerd's `platforms.Parse` alone, as dockerfile2llb reads `FROM --platform` and a
    /// stage's `TARGETPLATFORM`: `os[(osversion)][/arch[/variant]]`, or one component that is
    /// a known OS (this machine's architecture) or a known architecture (this machine's OS),
    /// else an error. Names are lowercased, the OS normalised (`macos` → `darwin`) and the
    /// architecture too (`x86_64` → `amd64`, `aarch64` → `arm64`, `armhf` → `arm/v7`), but the
    /// variant only as `Parse` does: `arm` and `arm/v7` keep no variant when none was written
    /// (`linux/arm` is `arm` with none), `arm64` gets `v8` when one was (`linux/arm64/v8`
    /// stays `v8`, `linux/arm64` has none). The OS version keeps its case, its `%XX` escapes
    /// decoded.
    pub fn parse_unnormalized(spec: &str) -> Result<Self, PlatformError> {
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
        let os = normalize_os(os);
        // `Parse` keeps no `v7` of `arm` named without a variant (`Normalize` puts it back).
        let without_v7 = |(arch, variant): (String, String)| match (arch.as_str(), variant.as_str())
        {
            ("arm", "v7") => (arch, String::new()),
            _ => (arch, variant),
        };
        let p = match parts.as_slice() {
            [_] if is_known_os(&os) => {
                // `runtime.GOARCH`, and for `arm` the CPU's variant unless it is `v7`.
                let host = Platform::host_ref();
                let variant = match (host.architecture.as_str(), host.variant.as_str()) {
                    ("arm", v) if v != "v7" => v,
                    _ => "",
                };
                Platform::new(&os, &host.architecture, variant)
            }
            [one] => {
                let (arch, variant) = without_v7(normalize_arch(one, ""));
                if !is_known_arch(&arch) {
                    return Err(err(PlatformErrorKind::UnknownOsOrArch));
                }
                Platform::new(&Platform::host_ref().os, &arch, &variant)
            }
            [_, arch] => {
                let (arch, variant) = without_v7(normalize_arch(arch, ""));
                Platform::new(&os, &arch, &variant)
            }
            [_, arch, variant] => {
                let (arch, mut variant) = normalize_arch(arch, variant);
                if arch == "arm64" && variant.is_empty() {
                    variant = "v8".into();
                }
                Platform::new(&os, &arch, &variant)
            }
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
        HOST.get_or_init(|| {
            let (arch, variant) = normalize_arch(std::env::consts::ARCH, "");
            Platform::new(&normalize_os(std::env::consts::OS), &arch, &variant)
        })
    }

    /// containerd's `platforms.Normalize`: the OS lowercased (`macos` → `darwin`, none →
    /// this machine's), the architecture and variant lowercased and normalised (`x86_64` →
    /// `amd64`, `aarch64`/`arm64` with `v8` → `arm64`, `arm` → `arm/v7`, `i386` → `386`).
    /// The OS version is kept.
    pub fn normalize(mut self) -> Self {
        self.os = if self.os.is_empty() {
            Platform::host_ref().os.clone()
        } else {
            normalize_os(&self.os)
        };
        let (arch, variant) = normalize_arch(&self.architecture, &self.variant);
        self.architecture = arch;
        self.variant = variant;
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

    /// The platform as the message holds it (not normalised).
    pub fn from_pb(p: &pb::Platform) -> Self {
        Platform::new(&p.os, &p.architecture, &p.variant).with_os_version(&p.os_version)
    }
}

/// containerd's `normalizeOS` of a named OS: lowercased, `macos` → `darwin`.
fn normalize_os(os: &str) -> String {
    match os.to_ascii_lowercase() {
        m if m == "macos" => "darwin".to_string(),
        os => os,
    }
}

/// containerd's `normalizeArch`: lowercased, then the architecture's aliases and variants.
fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let (arch, variant) = (arch.to_ascii_lowercase(), variant.to_ascii_lowercase());
    let (a, v) = match (arch.as_str(), variant.as_str()) {
        ("i386", _) => ("386", ""),
        ("x86_64" | "x86-64" | "amd64", "v1") => ("amd64", ""),
        ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v),
        ("aarch64" | "arm64", "8" | "v8" | "v8.0") => ("arm64", ""),
        ("aarch64" | "arm64", "9" | "9.0" | "v9.0") => ("arm64", "v9"),
        ("aarch64" | "arm64", v) => ("arm64", v),
        ("armhf", _) => ("arm", "v7"),
        ("armel", _) => ("arm", "v6"),
        ("arm", "" | "7") => ("arm", "v7"),
        ("arm", "5") => ("arm", "v5"),
        ("arm", "6") => ("arm", "v6"),
        ("arm", "8") => ("arm", "v8"),
        (a, v) => (a, v),
    };
    (a.to_string(), v.to_string())
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
mod unnormalized_tests {
    use super::*;

    /// containerd's `platforms.Parse` alone (v1.0.0-rc.5 platforms.go), which dockerfile2llb
    /// uses for `FROM --platform`: architectures normalised, variants only as `Parse` does.
    #[test]
    fn parse_alone_leaves_variants_as_containerd_does() {
        let raw = |s: &str| Platform::parse_unnormalized(s).unwrap().to_string();
        let host_os = &Platform::host().os;
        for (spec, parsed, normalised) in [
            ("linux/arm64/v8", "linux/arm64/v8", "linux/arm64"),
            ("linux/arm64/8", "linux/arm64/v8", "linux/arm64"),
            ("linux/arm64/v8.0", "linux/arm64/v8", "linux/arm64"),
            ("linux/ARM64/V8", "linux/arm64/v8", "linux/arm64"),
            ("linux/aarch64/v8", "linux/arm64/v8", "linux/arm64"),
            ("linux/arm64", "linux/arm64", "linux/arm64"),
            ("linux/arm64/v9.0", "linux/arm64/v9", "linux/arm64/v9"),
            ("linux/arm", "linux/arm", "linux/arm/v7"),
            ("linux/armhf", "linux/arm", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6", "linux/arm/v6"),
            ("linux/arm/v7", "linux/arm/v7", "linux/arm/v7"),
            ("linux/arm/7", "linux/arm/v7", "linux/arm/v7"),
            ("linux/arm/v6", "linux/arm/v6", "linux/arm/v6"),
            ("linux/armhf/v6", "linux/arm/v7", "linux/arm/v7"),
            ("linux/amd64/v1", "linux/amd64", "linux/amd64"),
            ("linux/x86_64/v3", "linux/amd64/v3", "linux/amd64/v3"),
            ("linux/i386/x", "linux/386", "linux/386"),
            ("MacOS/arm64", "darwin/arm64", "darwin/arm64"),
            (
                "windows(10.0.1)/amd64",
                "windows(10.0.1)/amd64",
                "windows(10.0.1)/amd64",
            ),
        ] {
            assert_eq!(raw(spec), parsed, "{spec}");
            assert_eq!(
                Platform::parse(spec).unwrap().to_string(),
                normalised,
                "{spec}"
            );
        }
        // One architecture: this machine's OS, `arm`'s v7 dropped (armel keeps v6).
        assert_eq!(raw("arm"), format!("{host_os}/arm"));
        assert_eq!(raw("armhf"), format!("{host_os}/arm"));
        assert_eq!(raw("armel"), format!("{host_os}/arm/v6"));
        assert_eq!(raw("aarch64"), format!("{host_os}/arm64"));
        // The same errors as `parse`.
        for bad in ["garbage", "linux/*", "a/b/c/d", "linux/a b", ""] {
            assert_eq!(
                Platform::parse_unnormalized(bad).unwrap_err(),
                Platform::parse(bad).unwrap_err(),
                "{bad}"
            );
        }
    }

    /// containerd's `Normalize`: names lowercased, no OS is this machine's, the OS version kept.
    #[test]
    fn normalize_is_containerds() {
        let n = |os: &str, arch: &str, variant: &str| {
            Platform::new(os, arch, variant).normalize().to_string()
        };
        assert_eq!(n("Linux", "X86_64", ""), "linux/amd64");
        assert_eq!(n("linux", "arm64", "V8"), "linux/arm64");
        assert_eq!(n("linux", "arm", ""), "linux/arm/v7");
        assert_eq!(n("linux", "arm", "5"), "linux/arm/v5");
        assert_eq!(n("linux", "ARMEL", "v7"), "linux/arm/v6");
        assert_eq!(n("macos", "arm64", ""), "darwin/arm64");
        assert_eq!(n("", "amd64", ""), format!("{}/amd64", Platform::host().os));
        assert_eq!(n("linux", "riscv64", "rva22"), "linux/riscv64/rva22");
        let w = Platform::new("windows", "amd64", "")
            .with_os_version("10.0.1")
            .normalize();
        assert_eq!(w.to_string(), "windows(10.0.1)/amd64");
        // `new` and `from_pb` keep what they are given.
        assert_eq!(Platform::new("linux", "arm64", "v8").variant, "v8");
        let pb = Platform::new("linux", "arm", "").to_pb();
        assert_eq!(Platform::from_pb(&pb).variant, "");
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
