//! ONBUILD triggers: a trigger recorded in a base image's config (or an ONBUILD in a base
//! stage) parsed again as the instruction it is, located at the FROM line that runs it
//! (dockerfile2llb's `initOnBuildTriggers`).

use crate::convert::LocatedError;
use crate::instructions::{parse_instruction, Command, CommandKind, Instruction};
use crate::shell::Lex;
use crate::syntax::{self, Location};

/// Parses one trigger: exactly one instruction, which must be a command (a FROM is refused
/// the way the reference's `ParseCommand` refuses it).
pub fn parse_trigger(trigger: &str, location: Location) -> Result<Command, LocatedError> {
    let err = |message: String| LocatedError::at(message, location);
    let ast = syntax::parse(trigger).map_err(|e| err(e.message))?;
    let [node] = ast.nodes.as_slice() else {
        return Err(err("onbuild trigger should be a single expression".into()));
    };
    let mut node = node.clone();
    node.location = location;
    match parse_instruction(&node).map_err(|e| err(e.message))? {
        Instruction::Command(cmd) => Ok(cmd),
        Instruction::Stage(_) => Err(err("*instructions.Stage is not a command type".into())),
    }
}

/// The ONBUILD expressions among a base stage's commands: a stage built on it runs them first.
pub fn onbuild_expressions<'c>(commands: impl IntoIterator<Item = &'c Command>) -> Vec<String> {
    commands
        .into_iter()
        .filter_map(|c| match &c.kind {
            CommandKind::Onbuild(o) => Some(o.expression.clone()),
            _ => None,
        })
        .collect()
}

impl<X: Default> super::Graph<X> {
    /// dockerfile2llb's `initOnBuildTriggers` for node `i`: each trigger parsed at the node's
    /// FROM line with the nodes it reads, which are added to the graph ahead of what the
    /// node's own commands read.
    pub fn add_triggers(
        &mut self,
        i: usize,
        lex: &Lex,
        triggers: &[String],
    ) -> Result<Vec<(Command, Vec<usize>)>, LocatedError> {
        let location = self.nodes[i].location.unwrap_or_default();
        let mut out = Vec::with_capacity(triggers.len());
        let mut all_sources = Vec::new();
        for trigger in triggers {
            let cmd = parse_trigger(trigger, location)?;
            let sources = self
                .command_sources(lex, None, &cmd)
                .map_err(|e| LocatedError::at(e.message, location))?;
            all_sources.extend_from_slice(&sources);
            out.push((cmd, sources));
        }
        self.add_deps(i, &all_sources, location, true);
        Ok(out)
    }
}
