//! What a command reads from other nodes (dockerfile2llb's `toCommand` and `detectRunMount`):
//! the stage or image `COPY --from` names, and one node per `RUN --mount`.

use super::Graph;
use crate::convert::{EnvList, LocatedError};
use crate::instructions::{csv_fields, Command, CommandKind};
use crate::shell::Lex;

/// The `from=` of each `--mount` of a RUN as written, before expansion ("" when absent): the
/// reference builds the graph from these. Its mount parser keeps the last `from` of a mount
/// (an empty one included), as for every other key.
pub fn mount_froms(raw_mounts: &[String]) -> Vec<String> {
    raw_mounts
        .iter()
        .map(|raw| {
            let fields = csv_fields(raw).unwrap_or_default();
            let from = fields
                .iter()
                .rev()
                .filter_map(|f| f.split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("from"));
            from.map(|(_, v)| v.to_string()).unwrap_or_default()
        })
        .collect()
}

impl<X: Default> Graph<X> {
    /// The nodes `cmd` reads, in the reference's order, adding a node for each image named:
    /// the one `COPY --from` names, or one per `RUN --mount` (`scratch` for a mount without
    /// `from=`).
    ///
    /// With `global` (the global ARGs and build args, as FROM expands with), a `--from`/`from=`
    /// holding a `$` is expanded with them first (our extension, docs/extensions.md: the
    /// reference rejects every such value); without it (ONBUILD triggers), as the reference.
    pub fn command_sources(
        &mut self,
        lex: &Lex,
        global: Option<&EnvList>,
        cmd: &Command,
    ) -> Result<Vec<usize>, LocatedError> {
        let mut sources = Vec::new();
        match &cmd.kind {
            CommandKind::Copy(c) => {
                if let Some(from) = &c.from {
                    sources.push(self.copy_source(lex, global, from, cmd)?);
                }
            }
            CommandKind::Run(r) => {
                // By name only (`from=0` is an image).
                for from in mount_froms(&r.mounts) {
                    let from = match global {
                        Some(g) if from.contains('$') => {
                            expand_from(lex, g, "--mount from=", &from, cmd.location)?
                        }
                        _ if from.is_empty() => "scratch".to_string(),
                        _ => from,
                    };
                    let j = match self.find_by_name(&from) {
                        Some(j) => j,
                        None => self.add_pseudo(&from, None),
                    };
                    sources.push(j);
                }
            }
            _ => {}
        }
        Ok(sources)
    }

    /// `COPY --from`: a stage by index or name, else an image.
    fn copy_source(
        &mut self,
        lex: &Lex,
        global: Option<&EnvList>,
        from: &str,
        cmd: &Command,
    ) -> Result<usize, LocatedError> {
        let expanded;
        let from = match global {
            Some(g) if from.contains('$') => {
                expanded = expand_from(lex, g, "--from=", from, cmd.location)?;
                expanded.as_str()
            }
            _ => {
                let same = lex
                    .process_word(from, &EnvList::new())
                    .map_err(|e| LocatedError::at(e.to_string(), cmd.location))?;
                if same != from {
                    return Err(LocatedError::at(
                        "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
                        cmd.location,
                    ));
                }
                from
            }
        };
        match from.parse::<i64>() {
            Ok(index) => usize::try_from(index)
                .ok()
                .filter(|&i| i < self.nodes.len())
                .ok_or_else(|| {
                    LocatedError::at(format!("invalid stage index {index}"), cmd.location)
                }),
            Err(_) => Ok(match self.find_by_name(from) {
                Some(j) => j,
                None => self.add_pseudo(from, Some(cmd.location)),
            }),
        }
    }
}

/// Whether a `COPY --from` or a mount's `from=` uses our extension: a `$` (the reference
/// rejects every such value: no stage name or image reference holds one).
pub fn from_needs_expansion(from: &str) -> bool {
    from.contains('$')
}

/// Our extension (docs/extensions.md): `value` (a `--from`/`from=` with a `$`) expanded with
/// the global ARGs as FROM expands its image. An empty result or a failed expansion is an
/// error at the command.
fn expand_from(
    lex: &Lex,
    global: &EnvList,
    flag: &str,
    value: &str,
    location: crate::syntax::Location,
) -> Result<String, LocatedError> {
    let expanded = lex
        .process_word(value, global)
        .map_err(|e| LocatedError::at(format!("expanding {flag}{value}: {e}"), location))?;
    if expanded.is_empty() {
        // The reference's own words follow, for those who match on them (BuildKit's suite
        // does): it rejects any variable here, with the workaround to use.
        let reference = if flag == "--from=" {
            "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround"
        } else {
            "'from' doesn't support variable expansion, define alias stage instead"
        };
        return Err(LocatedError::at(
            format!("{flag}{value} expands to an empty value: this frontend expands only global ARGs (declared before the first FROM) and build args here; the reference frontend rejects any variable: {reference}"),
            location,
        ));
    }
    Ok(expanded)
}
