//! Per-instruction argument parsing, the dispatch table of BuildKit's parser.go and the
//! functions of line_parsers.go.

use super::json::{self, JsonArray};
use super::words::{
    byte_prefix, byte_suffix, is_space_byte, parse_words, split_ws2, split_ws_owned,
};

pub(crate) const ERR_NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// The arguments of one instruction as BuildKit's parser leaves them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Args {
    pub args: Vec<String>,
    pub json: bool,
    /// ENV/LABEL written as `KEY name value`.
    pub legacy_key_value: bool,
}

/// How an instruction's arguments are parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    MaybeJsonToList,
    NameOrNameVal,
    MaybeJson,
    NameVal(&'static str),
    WhitespaceDelimited,
    HealthConfig,
    String,
    SubCommand,
    /// Unknown instruction: BuildKit keeps one empty argument.
    Ignore,
}

pub(crate) fn kind_of(keyword: &str) -> Kind {
    match keyword {
        "add" | "copy" | "volume" => Kind::MaybeJsonToList,
        "arg" => Kind::NameOrNameVal,
        "cmd" | "entrypoint" | "run" | "shell" => Kind::MaybeJson,
        "env" => Kind::NameVal("ENV"),
        "label" => Kind::NameVal("LABEL"),
        "expose" | "from" => Kind::WhitespaceDelimited,
        "healthcheck" => Kind::HealthConfig,
        "maintainer" | "stopsignal" | "user" | "workdir" => Kind::String,
        "onbuild" => Kind::SubCommand,
        _ => Kind::Ignore,
    }
}

/// Parses `rest` (already trimmed, flags removed) for every kind but `SubCommand`.
pub(crate) fn parse_args(kind: Kind, rest: &str, escape: char) -> Result<Args, String> {
    match kind {
        Kind::MaybeJsonToList => maybe_json_to_list(rest),
        Kind::NameOrNameVal => Ok(list(parse_words(rest, escape))),
        Kind::MaybeJson => maybe_json(rest),
        Kind::NameVal(key) => name_val(rest, key, escape),
        Kind::WhitespaceDelimited => Ok(whitespace_delimited(rest)),
        Kind::HealthConfig => health_config(rest),
        Kind::String => Ok(if rest.is_empty() {
            Args::default()
        } else {
            list(vec![rest.to_string()])
        }),
        Kind::Ignore => Ok(list(vec![String::new()])),
        // Handled by the caller, which walks nested instructions without recursion.
        Kind::SubCommand => Ok(Args::default()),
    }
}

fn list(args: Vec<String>) -> Args {
    Args {
        args,
        ..Args::default()
    }
}

enum JsonResult {
    Ok(Vec<String>),
    /// Not a JSON array: try the other form.
    NotJson,
}

/// `parseJSON`.
fn parse_json(rest: &str) -> Result<JsonResult, String> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(JsonResult::NotJson);
    }
    match json::parse_string_array(rest) {
        JsonArray::Strings(v) => Ok(JsonResult::Ok(v)),
        JsonArray::NotStrings => Err(ERR_NOT_STRING_ARRAY.to_string()),
        JsonArray::Invalid => Ok(JsonResult::NotJson),
    }
}

fn maybe_json(rest: &str) -> Result<Args, String> {
    if rest.is_empty() {
        return Ok(Args::default());
    }
    Ok(match parse_json(rest)? {
        JsonResult::Ok(args) => Args {
            args,
            json: true,
            ..Args::default()
        },
        JsonResult::NotJson => list(vec![rest.to_string()]),
    })
}

fn maybe_json_to_list(rest: &str) -> Result<Args, String> {
    Ok(match parse_json(rest)? {
        JsonResult::Ok(args) => Args {
            args,
            json: true,
            ..Args::default()
        },
        JsonResult::NotJson => whitespace_delimited(rest),
    })
}

fn whitespace_delimited(rest: &str) -> Args {
    if rest.is_empty() {
        return Args::default();
    }
    list(split_ws_owned(rest))
}

/// `parseNameVal`: `KEY a=1 b=2`, or the legacy `KEY name value…` when the first word has no `=`.
fn name_val(rest: &str, key: &str, escape: char) -> Result<Args, String> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Args::default());
    };
    if !first.contains('=') {
        let (name, value) = split_ws2(rest);
        let Some(value) = value else {
            return Err(format!("{key} must have two arguments"));
        };
        return Ok(Args {
            args: vec![name.to_string(), value.to_string()],
            json: false,
            legacy_key_value: true,
        });
    }
    let mut args = Vec::with_capacity(words.len() * 2);
    for word in words {
        let Some((k, v)) = word.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                crate::gocompat::go_quote(&word)
            ));
        };
        args.push(k.to_string());
        args.push(v.to_string());
    }
    Ok(list(args))
}

/// `parseHealthConfig`: the type word (`CMD`, `NONE`, …) then a maybe-JSON command. Like
/// BuildKit it looks for the end of the type word byte by byte.
fn health_config(rest: &str) -> Result<Args, String> {
    let b = rest.as_bytes();
    let sep = b.iter().position(|&c| is_space_byte(c)).unwrap_or(b.len());
    if sep == 0 {
        return Ok(Args::default());
    }
    let next = sep
        + b[sep..]
            .iter()
            .position(|&c| !is_space_byte(c))
            .unwrap_or(b.len() - sep);
    let typ = byte_prefix(rest, sep).into_owned();
    let cmd_text = byte_suffix(rest, next);
    let cmd = maybe_json(&cmd_text)?;
    let mut args = Vec::with_capacity(cmd.args.len() + 1);
    args.push(typ);
    args.extend(cmd.args);
    Ok(Args {
        args,
        json: cmd.json,
        legacy_key_value: false,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn name_val_forms() {
        // BuildKit's TestParseNameValOldFormat / NewFormat / WithoutVal.
        let a = name_val("foo bar", "LABEL", '\\').unwrap();
        assert_eq!(a.args, args(&["foo", "bar"]));
        assert!(a.legacy_key_value);
        let a = name_val("foo=bar thing=star", "LABEL", '\\').unwrap();
        assert_eq!(a.args, args(&["foo", "bar", "thing", "star"]));
        assert!(!a.legacy_key_value);
        assert_eq!(
            name_val("foo", "ENV", '\\').unwrap_err(),
            "ENV must have two arguments"
        );
        assert_eq!(
            name_val("a=b c", "ENV", '\\').unwrap_err(),
            "Syntax error - can't find = in \"c\". Must be of the form: name=value"
        );
        let a = name_val("a  b   c", "ENV", '\\').unwrap();
        assert_eq!(a.args, args(&["a", "b   c"]));
    }

    #[test]
    fn health() {
        assert_eq!(
            health_config("CMD [\"a\"]").unwrap(),
            Args {
                args: args(&["CMD", "a"]),
                json: true,
                legacy_key_value: false
            }
        );
        assert_eq!(health_config("NONE").unwrap().args, args(&["NONE"]));
        assert_eq!(
            health_config("CMD   a b").unwrap().args,
            args(&["CMD", "a b"])
        );
        assert_eq!(health_config("").unwrap().args, Vec::<String>::new());
    }

    #[test]
    fn json_forms() {
        assert_eq!(maybe_json("[\"a\", 1]").unwrap_err(), ERR_NOT_STRING_ARRAY);
        assert_eq!(maybe_json("[1e999]").unwrap().args, args(&["[1e999]"]));
        assert_eq!(maybe_json_to_list("a  b").unwrap().args, args(&["a", "b"]));
        let a = maybe_json("[]").unwrap();
        assert!(a.json && a.args.is_empty());
    }
}
