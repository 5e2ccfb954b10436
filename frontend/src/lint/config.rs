//! Which rules run and whether a violation fails the build: the `# check=` directive, the
//! `BUILDKIT_DOCKERFILE_CHECK` build argument and `# check=` comments above one instruction
//! (BuildKit's `linter.ParseLintOptions`, `WithMergedConfig`, `WithMergedConfigFromComments`).

use std::collections::BTreeSet;

use super::rules::RuleInfo;
use crate::gocompat::go_quote;
use crate::syntax::parse_directive;

/// The build argument that overrides the Dockerfile's `# check=` directive.
pub const CHECK_BUILD_ARG: &str = "build-arg:BUILDKIT_DOCKERFILE_CHECK";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub skip_all: bool,
    pub skip: BTreeSet<String>,
    pub experimental_all: bool,
    pub experimental: BTreeSet<String>,
    /// `error=true`: any violation fails the build.
    pub error: bool,
}

impl Config {
    /// `linter.ParseLintOptions`, with its error messages.
    pub fn parse(check: &str) -> Result<Config, String> {
        let check = check.trim();
        let mut cfg = Config::default();
        if check.is_empty() {
            return Ok(cfg);
        }
        for part in check.splitn(3, ';') {
            let Some((k, v)) = part.split_once('=') else {
                return Err(format!("invalid check option {}", go_quote(part)));
            };
            let list = |v: &str| {
                v.split(',')
                    .map(|r| r.trim().to_string())
                    .collect::<BTreeSet<_>>()
            };
            match k.trim() {
                "skip" => match v.trim() {
                    "all" => cfg.skip_all = true,
                    v => cfg.skip = list(v),
                },
                "experimental" => match v.trim() {
                    "all" => cfg.experimental_all = true,
                    v => cfg.experimental = list(v),
                },
                "error" => {
                    let v = v.trim();
                    cfg.error = crate::gocompat::parse::parse_bool(v).ok_or_else(|| format!("failed to parse check option {}: strconv.ParseBool: parsing {}: invalid syntax", go_quote(part), go_quote(v)))?;
                }
                k => return Err(format!("invalid check option {}", go_quote(k))),
            }
        }
        Ok(cfg)
    }

    /// The configuration of a build: `BUILDKIT_DOCKERFILE_CHECK` when given (the directive is
    /// then ignored), else the Dockerfile's `# check=` directive.
    pub fn for_build(build_arg: Option<&Config>, dockerfile: &str) -> Result<Config, String> {
        if let Some(c) = build_arg {
            return Ok(c.clone());
        }
        let value = parse_directive("check", dockerfile)
            .map(|d| d.value)
            .unwrap_or_default();
        Config::parse(&value).map_err(|e| format!("failed to parse check options: {e}"))
    }

    /// `BUILDKIT_DOCKERFILE_CHECK` from the frontend options, if set.
    pub fn from_build_arg(
        opts: &std::collections::BTreeMap<String, String>,
    ) -> Result<Option<Config>, String> {
        match opts.get(CHECK_BUILD_ARG) {
            Some(v) => Config::parse(v)
                .map(Some)
                .map_err(|e| format!("failed to parse {CHECK_BUILD_ARG}: {e}")),
            None => Ok(None),
        }
    }

    /// This configuration with `other` added (skips and experiments accumulate).
    pub fn merged(&self, other: &Config) -> Config {
        let mut out = self.clone();
        out.experimental_all |= other.experimental_all;
        out.experimental.extend(other.experimental.iter().cloned());
        out.skip_all |= other.skip_all;
        out.skip.extend(other.skip.iter().cloned());
        out
    }

    /// The configuration for one instruction: the first `# check=` comment right above it is
    /// merged in; an invalid one is ignored.
    pub fn with_comments(&self, comments: &[String]) -> Config {
        for c in comments {
            // The comment without its `#`, read as a directive line would be.
            let Some(d) = parse_directive("check", &format!("#{c}")) else {
                continue;
            };
            return match Config::parse(&d.value) {
                Ok(other) => self.merged(&other),
                Err(_) => self.clone(),
            };
        }
        self.clone()
    }

    /// Whether `rule` runs under this configuration.
    pub fn enabled(&self, rule: &RuleInfo) -> bool {
        if rule.ours && !rule.experimental {
            // Ours and on by default (NeedsThisFrontend): `skip=` turns it off.
            return !(self.skip_all || self.skip.contains(rule.name));
        }
        if rule.ours {
            // Ours: only when named in `experimental=`, and `skip=` (by name or `all`) wins.
            return self.experimental.contains(rule.name)
                && !(self.skip_all || self.skip.contains(rule.name));
        }
        if rule.experimental {
            self.experimental_all || self.experimental.contains(rule.name)
        } else {
            !(self.skip_all || self.skip.contains(rule.name))
        }
    }
}
