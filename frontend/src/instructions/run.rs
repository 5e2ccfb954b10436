//! The other RUN flags: `--network`, `--security` and `--device` (commands_runnetwork.go,
//! commands_runsecurity.go, commands_rundevice.go).

use super::mount::csv_fields;
use super::suggest;
use crate::gocompat::parse::parse_bool;
use crate::syntax::LocatedError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkMode {
    #[default]
    Default,
    None,
    Host,
}

impl NetworkMode {
    pub(crate) fn parse(value: &str) -> Result<Self, LocatedError> {
        match value {
            "default" => Ok(NetworkMode::Default),
            "none" => Ok(NetworkMode::None),
            "host" => Ok(NetworkMode::Host),
            _ => Err(format!("invalid network mode {}", crate::gocompat::go_quote(value)).into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityMode {
    #[default]
    Sandbox,
    Insecure,
}

impl SecurityMode {
    pub(crate) fn parse(value: &str) -> Result<Self, LocatedError> {
        match value {
            "sandbox" => Ok(SecurityMode::Sandbox),
            "insecure" => Ok(SecurityMode::Insecure),
            _ => Err(format!("security {} is not valid", crate::gocompat::go_quote(value)).into()),
        }
    }
}

/// A `--device` request (CDI device name).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    pub name: String,
    pub required: bool,
}

/// BuildKit's `ParseDevice`.
pub fn parse_device(val: &str) -> Result<Device, LocatedError> {
    let fields = csv_fields(val).map_err(|e| format!("failed to parse csv devices: {e}"))?;
    let mut d = Device::default();
    for field in &fields {
        let Some((key, value)) = field.split_once('=') else {
            if crate::gocompat::go_lower(field) == "required" {
                d.required = true;
                continue;
            }
            if d.name.is_empty() {
                d.name = field.to_string();
                continue;
            }
            return Err(format!("invalid field '{field}' must be a key=value pair").into());
        };
        let key = crate::gocompat::go_lower(key);
        match key.as_str() {
            "name" => {
                if !d.name.is_empty() {
                    return Err(format!("device name already set to {}", d.name).into());
                }
                d.name = value.to_string();
            }
            "required" => {
                d.required =
                    parse_bool(value).ok_or_else(|| format!("invalid value for {key}: {value}"))?;
            }
            _ => {
                if d.name.is_empty() {
                    d.name = field.to_string();
                    continue;
                }
                let msg = format!("unexpected key '{key}' in '{field}'");
                return Err(suggest::wrap(msg, &key, &["name", "required"], true).into());
            }
        }
    }
    Ok(d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    // BuildKit's TestParseDevice.
    #[test]
    fn devices() {
        let ok = [
            ("vendor1.com/device=foo", "vendor1.com/device=foo", false),
            ("vendor1.com/device", "vendor1.com/device", false),
            (
                "vendor1.com/device=foo,required",
                "vendor1.com/device=foo",
                true,
            ),
            (
                "vendor1.com/device=foo,required=true",
                "vendor1.com/device=foo",
                true,
            ),
            (
                "vendor1.com/device=foo,required=false",
                "vendor1.com/device=foo",
                false,
            ),
            (
                "name=vendor1.com/device=foo",
                "vendor1.com/device=foo",
                false,
            ),
            (
                "name=vendor1.com/device=foo,required",
                "vendor1.com/device=foo",
                true,
            ),
        ];
        for (input, name, required) in ok {
            assert_eq!(
                parse_device(input).unwrap(),
                Device {
                    name: name.into(),
                    required
                },
                "{input}"
            );
        }
        assert_eq!(
            parse_device("vendor1.com/device=foo,name=vendor2.com/device=bar")
                .unwrap_err()
                .message,
            "device name already set to vendor1.com/device=foo"
        );
        assert_eq!(
            parse_device("a,b=c").unwrap_err().message,
            "unexpected key 'b' in 'b=c'"
        );
        assert_eq!(
            parse_device("a,b").unwrap_err().message,
            "invalid field 'b' must be a key=value pair"
        );
    }

    #[test]
    fn modes() {
        assert_eq!(NetworkMode::parse("host").unwrap(), NetworkMode::Host);
        assert_eq!(
            NetworkMode::parse("bridge").unwrap_err().message,
            "invalid network mode \"bridge\""
        );
        assert_eq!(
            SecurityMode::parse("insecure").unwrap(),
            SecurityMode::Insecure
        );
        assert_eq!(
            SecurityMode::parse("x").unwrap_err().message,
            "security \"x\" is not valid"
        );
    }
}
