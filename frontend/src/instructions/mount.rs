//! `RUN --mount=…` values, ported from BuildKit's commands_runmount.go.
//!
//! At parse time BuildKit only checks the CSV syntax and that `from` is not a variable; the
//! full check runs on the expanded value, which is what [`parse_mount`] and
//! [`parse_mount_with`] do.

use std::borrow::Cow;

use super::suggest;
use crate::gocompat::parse::{parse_bool, parse_uint};
use crate::syntax::LocatedError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl MountType {
    pub fn as_str(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareMode {
    Shared,
    Private,
    Locked,
}

impl ShareMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareMode::Shared => "shared",
            ShareMode::Private => "private",
            ShareMode::Locked => "locked",
        }
    }
}

/// A parsed `--mount` with BuildKit's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub mount_type: MountType,
    pub from: String,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    /// tmpfs `size`, bytes (0: unset).
    pub size_limit: i64,
    /// `id` (cache or secret id).
    pub cache_id: String,
    pub cache_sharing: Option<ShareMode>,
    pub required: bool,
    /// secret `env`; `Some("")` means "use the default".
    pub env: Option<String>,
    pub mode: Option<u64>,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
}

impl Default for Mount {
    fn default() -> Self {
        Mount {
            mount_type: MountType::Bind,
            from: String::new(),
            source: String::new(),
            target: String::new(),
            read_only: false,
            size_limit: 0,
            cache_id: String::new(),
            cache_sharing: None,
            required: false,
            env: None,
            mode: None,
            uid: None,
            gid: None,
        }
    }
}

const MOUNT_TYPES: [&str; 5] = ["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARE_MODES: [&str; 3] = ["shared", "private", "locked"];
const ALL_KEYS: [&str; 19] = [
    "type",
    "from",
    "source",
    "target",
    "readonly",
    "id",
    "sharing",
    "required",
    "size",
    "mode",
    "uid",
    "gid",
    "src",
    "dst",
    "destination",
    "ro",
    "rw",
    "readwrite",
    "env",
];

/// `csvvalue.Fields` (comma-separated, `"` quoting, no lazy quotes) with Go's error texts.
pub(crate) fn csv_fields(line: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let line = line
        .strip_suffix("\r\n")
        .or_else(|| line.strip_suffix('\n'))
        .unwrap_or(line);
    if line.is_empty() {
        return Err("EOF".to_string());
    }
    let perr = |pos: usize, e: &str| format!("parse error on line 1, column {}: {e}", pos + 1);
    const BARE: &str = "bare \" in non-quoted-field";
    const QUOTE: &str = "extraneous or missing \" in quoted-field";
    let mut out: Vec<Cow<'_, str>> = Vec::new();
    let mut rest = line;
    let mut pos = 0;
    'field: loop {
        if !rest.starts_with('"') {
            let (field, next) = match rest.find(',') {
                Some(i) => (&rest[..i], Some(i)),
                None => (rest, None),
            };
            if let Some(j) = field.find('"') {
                return Err(perr(pos + j, BARE));
            }
            out.push(Cow::Borrowed(field));
            match next {
                Some(i) => {
                    rest = &rest[i + 1..];
                    pos += i + 1;
                    continue;
                }
                None => break,
            }
        }
        // Quoted field.
        rest = &rest[1..];
        pos += 1;
        let mut half_open = false;
        loop {
            let Some(i) = rest.find('"') else {
                return Err(perr(pos, QUOTE));
            };
            if half_open {
                if let Some(last) = out.last_mut() {
                    last.to_mut().push_str(&rest[..i]);
                }
            } else {
                out.push(Cow::Borrowed(&rest[..i]));
            }
            rest = &rest[i + 1..];
            pos += i + 1;
            match rest.chars().next() {
                Some('"') => {
                    if let Some(last) = out.last_mut() {
                        last.to_mut().push('"');
                    }
                    rest = &rest[1..];
                    pos += 1;
                    half_open = true;
                    continue;
                }
                Some(',') => {
                    rest = &rest[1..];
                    pos += 1;
                    continue 'field;
                }
                None => break 'field,
                Some(_) => return Err(perr(pos - 1, QUOTE)),
            }
        }
    }
    Ok(out)
}

/// `units.RAMInBytes`.
pub(crate) fn ram_in_bytes(s: &str) -> Option<i64> {
    let sep = s.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')?;
    let (num, sfx) = if s.as_bytes()[sep] != b' ' {
        (&s[..=sep], &s[sep + 1..])
    } else {
        (&s[..sep], &s[sep + 1..])
    };
    let size: f64 = num
        .parse()
        .ok()
        .filter(|_| !num.contains(['i', 'I', 'n', 'N']))?;
    if size < 0.0 {
        return None;
    }
    if sfx.is_empty() {
        return Some(size as i64);
    }
    if sfx.len() > 3 {
        return None;
    }
    let sfx = crate::gocompat::go_lower(sfx);
    let b = sfx.as_bytes();
    if b[0] == b'b' {
        return (b.len() == 1).then_some(size as i64);
    }
    let mul: f64 = match b[0] {
        b'k' => 1024.0,
        b'm' => 1024.0 * 1024.0,
        b'g' => 1024.0 * 1024.0 * 1024.0,
        b't' => 1024f64.powi(4),
        b'p' => 1024f64.powi(5),
        _ => return None,
    };
    if (b.len() == 2 && b[1] != b'b') || (b.len() == 3 && &sfx[1..] != "ib") {
        return None;
    }
    Some((size * mul) as i64)
}

/// The check BuildKit makes at parse time, before variables are expanded: the value must be
/// CSV. (BuildKit also refuses a `from=` with a variable here, "'from' doesn't support variable
/// expansion, define alias stage instead"; ours expands it with the global ARGs instead, an
/// extension: docs/extensions.md, `convert/plan/sources.rs`.)
pub(crate) fn check_unexpanded_mount(value: &str) -> Result<(), LocatedError> {
    csv_fields(value).map_err(|e| format!("failed to parse csv mounts: {e}"))?;
    Ok(())
}

/// Parses an already expanded `--mount` value.
pub fn parse_mount(value: &str) -> Result<Mount, LocatedError> {
    let mut identity = |s: &str| Ok(s.to_string());
    parse_mount_with(value, &mut identity)
}

/// Parses a `--mount` value, expanding each field's value with `expand` after the CSV split
/// (as BuildKit does, so commas inside variables do not split fields).
pub fn parse_mount_with(
    value: &str,
    expand: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Mount, LocatedError> {
    let fields = csv_fields(value).map_err(|e| format!("failed to parse csv mounts: {e}"))?;
    let mut m = Mount::default();
    let mut ro_auto = true;
    let file_info_type = |t: MountType| matches!(t, MountType::Secret | MountType::Ssh);

    for field in &fields {
        let (key, value, has_value) = match field.split_once('=') {
            Some((k, v)) => (crate::gocompat::go_lower(k), v.to_string(), true),
            None => (crate::gocompat::go_lower(field), String::new(), false),
        };
        if !has_value {
            match key.as_str() {
                "readonly" | "ro" => {
                    m.read_only = true;
                    ro_auto = false;
                    continue;
                }
                "readwrite" | "rw" => {
                    m.read_only = false;
                    ro_auto = false;
                    continue;
                }
                "required" => {
                    if file_info_type(m.mount_type) {
                        m.required = true;
                        continue;
                    }
                    return Err(format!(
                        "unexpected key '{key}' for mount type '{}'",
                        m.mount_type.as_str()
                    )
                    .into());
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair").into()),
            }
        }
        let value = expand(&value)?;
        let bad_value = || LocatedError::new(format!("invalid value for {key}: {value}"));
        match key.as_str() {
            "type" => {
                m.mount_type = match crate::gocompat::go_lower(&value).as_str() {
                    "bind" => MountType::Bind,
                    "cache" => MountType::Cache,
                    "tmpfs" => MountType::Tmpfs,
                    "secret" => MountType::Secret,
                    "ssh" => MountType::Ssh,
                    _ => {
                        let msg = format!(
                            "unsupported mount type {}",
                            crate::gocompat::go_quote(&value)
                        );
                        return Err(suggest::wrap(msg, &value, &MOUNT_TYPES, true).into());
                    }
                }
            }
            "from" => m.from = value,
            "source" | "src" => m.source = value,
            "target" | "dst" | "destination" => m.target = value,
            "readonly" | "ro" => {
                m.read_only = parse_bool(&value).ok_or_else(bad_value)?;
                ro_auto = false;
            }
            "readwrite" | "rw" => {
                m.read_only = !parse_bool(&value).ok_or_else(bad_value)?;
                ro_auto = false;
            }
            "required" => {
                if !file_info_type(m.mount_type) {
                    return Err(format!(
                        "unexpected key '{key}' for mount type '{}'",
                        m.mount_type.as_str()
                    )
                    .into());
                }
                m.required = parse_bool(&value).ok_or_else(bad_value)?;
            }
            "size" => {
                if m.mount_type != MountType::Tmpfs {
                    return Err(format!(
                        "unexpected key '{key}' for mount type '{}'",
                        m.mount_type.as_str()
                    )
                    .into());
                }
                m.size_limit = ram_in_bytes(&value).ok_or_else(bad_value)?;
            }
            "id" => m.cache_id = value,
            "sharing" => {
                m.cache_sharing = Some(match crate::gocompat::go_lower(&value).as_str() {
                    "shared" => ShareMode::Shared,
                    "private" => ShareMode::Private,
                    "locked" => ShareMode::Locked,
                    _ => {
                        let msg = format!(
                            "unsupported sharing value {}",
                            crate::gocompat::go_quote(&value)
                        );
                        return Err(suggest::wrap(msg, &value, &SHARE_MODES, true).into());
                    }
                })
            }
            "mode" => {
                m.mode = Some(
                    parse_uint(&value, 8, 32)
                        .map_err(|_| format!("invalid value {value} for mode"))?,
                )
            }
            "uid" => {
                m.uid = Some(
                    parse_uint(&value, 10, 32)
                        .map_err(|_| format!("invalid value {value} for uid"))?,
                )
            }
            "gid" => {
                m.gid = Some(
                    parse_uint(&value, 10, 32)
                        .map_err(|_| format!("invalid value {value} for gid"))?,
                )
            }
            "env" => m.env = Some(value),
            _ => {
                let msg = format!("unexpected key '{key}' in '{field}'");
                return Err(suggest::wrap(msg, &key, &ALL_KEYS, true).into());
            }
        }
    }

    let t = m.mount_type.as_str();
    if !matches!(
        m.mount_type,
        MountType::Secret | MountType::Ssh | MountType::Cache
    ) {
        if m.mode.is_some() {
            return Err(format!("mode not allowed for \"{t}\" type mounts").into());
        }
        if m.uid.is_some() {
            return Err(format!("uid not allowed for \"{t}\" type mounts").into());
        }
        if m.gid.is_some() {
            return Err(format!("gid not allowed for \"{t}\" type mounts").into());
        }
    }
    if ro_auto {
        m.read_only = !matches!(m.mount_type, MountType::Cache | MountType::Tmpfs);
    }
    if m.mount_type == MountType::Secret {
        if !m.from.is_empty() {
            return Err("secret mount should not have a from".into());
        }
        if m.cache_sharing.is_some() {
            return Err("secret mount should not define sharing".into());
        }
        if m.source.is_empty() && m.target.is_empty() && m.cache_id.is_empty() {
            return Err("invalid secret mount. one of source, target required".into());
        }
        if !m.source.is_empty() && !m.cache_id.is_empty() {
            return Err("both source and id can't be set".into());
        }
    }
    if m.cache_sharing.is_some() && m.mount_type != MountType::Cache {
        return Err(format!("invalid cache sharing set for {t} mount").into());
    }
    Ok(m)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn csv() {
        let csv_fields = |s| {
            super::csv_fields(s).map(|v| {
                v.into_iter()
                    .map(|c| c.into_owned())
                    .collect::<Vec<String>>()
            })
        };
        assert_eq!(csv_fields("a,b=c").unwrap(), vec!["a", "b=c"]);
        assert_eq!(csv_fields("\"a,b\",c").unwrap(), vec!["a,b", "c"]);
        assert_eq!(csv_fields("\"a\"\"b\"").unwrap(), vec!["a\"b"]);
        assert_eq!(csv_fields("a,").unwrap(), vec!["a", ""]);
        assert_eq!(csv_fields("a\n").unwrap(), vec!["a"]);
        assert_eq!(csv_fields("").unwrap_err(), "EOF");
        assert_eq!(
            csv_fields("a\"b").unwrap_err(),
            "parse error on line 1, column 2: bare \" in non-quoted-field"
        );
        assert_eq!(
            csv_fields("\"ab").unwrap_err(),
            "parse error on line 1, column 2: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            csv_fields("\"a\"b").unwrap_err(),
            "parse error on line 1, column 3: extraneous or missing \" in quoted-field"
        );
    }

    #[test]
    fn ram() {
        assert_eq!(ram_in_bytes("10"), Some(10));
        assert_eq!(ram_in_bytes("1k"), Some(1024));
        assert_eq!(ram_in_bytes("1KiB"), Some(1024));
        assert_eq!(ram_in_bytes("1.5m"), Some(1572864));
        assert_eq!(ram_in_bytes("2 GB"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(ram_in_bytes("1b"), Some(1));
        assert_eq!(ram_in_bytes("x"), None);
        assert_eq!(ram_in_bytes("1x"), None);
        assert_eq!(ram_in_bytes("1kbb"), None);
        assert_eq!(ram_in_bytes("-1"), None);
    }

    #[test]
    fn defaults() {
        let m = parse_mount("target=/x").unwrap();
        assert_eq!(m.mount_type, MountType::Bind);
        assert!(m.read_only);
        let m = parse_mount("type=cache,target=/x").unwrap();
        assert!(!m.read_only);
        let m = parse_mount("type=tmpfs,target=/x,size=1m").unwrap();
        assert!(!m.read_only);
        assert_eq!(m.size_limit, 1 << 20);
        let m = parse_mount("type=bind,source=/a,target=/b,rw").unwrap();
        assert!(!m.read_only);
        let m =
            parse_mount("type=cache,target=/x,ro=true,sharing=LOCKED,id=foo,mode=0700,uid=1,gid=2")
                .unwrap();
        assert!(m.read_only);
        assert_eq!(m.cache_sharing, Some(ShareMode::Locked));
        assert_eq!((m.mode, m.uid, m.gid), (Some(0o700), Some(1), Some(2)));
        let m = parse_mount("type=secret,id=tok,env=TOK,required").unwrap();
        assert!(m.required && m.read_only);
        assert_eq!(m.env.as_deref(), Some("TOK"));
        let m = parse_mount("type=ssh,required=false").unwrap();
        assert!(!m.required);
        let m = parse_mount("Type=Cache,DST=/x").unwrap();
        assert_eq!((m.mount_type, m.target.as_str()), (MountType::Cache, "/x"));
    }

    #[test]
    fn errors() {
        let cases = [
            ("type=foo", "unsupported mount type \"foo\""),
            ("type=cach", "unsupported mount type \"cach\" (did you mean cache?)"),
            ("type=cache,sharing=foo", "unsupported sharing value \"foo\""),
            ("target=/x,foo=bar", "unexpected key 'foo' in 'foo=bar' (did you mean from?)"),
            ("target=/x,bogus=bar", "unexpected key 'bogus' in 'bogus=bar'"),
            ("target=/x,sorce=bar", "unexpected key 'sorce' in 'sorce=bar' (did you mean source?)"),
            ("target=/x,foo", "invalid field 'foo' must be a key=value pair"),
            ("target=/x,required", "unexpected key 'required' for mount type 'bind'"),
            ("target=/x,size=1m", "unexpected key 'size' for mount type 'bind'"),
            ("type=tmpfs,size=x", "invalid value for size: x"),
            ("target=/x,ro=maybe", "invalid value for ro: maybe"),
            ("target=/x,mode=0700", "mode not allowed for \"bind\" type mounts"),
            ("type=tmpfs,uid=1", "uid not allowed for \"tmpfs\" type mounts"),
            ("type=cache,mode=9", "invalid value 9 for mode"),
            ("type=cache,uid=-1", "invalid value -1 for uid"),
            ("type=secret", "invalid secret mount. one of source, target required"),
            ("type=secret,id=a,from=b", "secret mount should not have a from"),
            ("type=secret,id=a,sharing=shared", "secret mount should not define sharing"),
            ("type=secret,id=a,source=b", "both source and id can't be set"),
            ("target=/x,sharing=shared", "invalid cache sharing set for bind mount"),
            ("", "failed to parse csv mounts: EOF"),
            ("a\"b", "failed to parse csv mounts: parse error on line 1, column 2: bare \" in non-quoted-field"),
        ];
        for (input, want) in cases {
            assert_eq!(parse_mount(input).unwrap_err().message, want, "{input}");
        }
    }

    #[test]
    fn unexpanded_check() {
        assert!(check_unexpanded_mount("type=foo,target=$X,bogus").is_ok());
        assert!(check_unexpanded_mount("from=$").is_ok());
        // The reference refuses this one; ours expands it later (an extension).
        assert!(check_unexpanded_mount("from=$STAGE").is_ok());
        assert!(check_unexpanded_mount("").is_err());
    }

    #[test]
    fn expander_runs_per_field() {
        let mut exp = |s: &str| Ok(s.replace("$T", "/a,b"));
        let m = parse_mount_with("type=cache,target=$T", &mut exp).unwrap();
        assert_eq!(m.target, "/a,b");
        let mut fail = |_: &str| Err("boom".to_string());
        assert_eq!(
            parse_mount_with("target=x", &mut fail).unwrap_err().message,
            "boom"
        );
    }
}
