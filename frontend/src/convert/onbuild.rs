//! ONBUILD triggers: a trigger recorded in a base image's config (or an ONBUILD in a base
//! stage) parsed again as the instruction it is, located at the FROM line that runs it.

use crate::instructions::{parse_instruction, Command, Instruction};
use crate::syntax::{self, Location};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerError {
    pub message: String,
}

/// Parses one trigger (dockerfile2llb's `initOnBuildTriggers`): exactly one instruction,
/// which must be a command (a FROM is refused the way the reference refuses it).
pub fn parse_trigger(trigger: &str, location: Location) -> Result<Command, TriggerError> {
    let err = |message: String| TriggerError { message };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instructions::CommandKind;

    const AT: Location = Location {
        start_line: 3,
        end_line: 3,
    };

    #[test]
    fn triggers_become_commands_at_the_from_line() {
        let cmd = parse_trigger("RUN echo hi", AT).unwrap();
        assert!(matches!(cmd.kind, CommandKind::Run(_)));
        assert_eq!(cmd.location, AT);
        assert_eq!(cmd.original, "RUN echo hi");
        let copy = parse_trigger("COPY --from=builder /a /b", AT).unwrap();
        assert!(
            matches!(copy.kind, CommandKind::Copy(ref c) if c.from.as_deref() == Some("builder"))
        );
    }

    #[test]
    fn bad_triggers_are_refused() {
        assert_eq!(
            parse_trigger("FROM alpine", AT).unwrap_err().message,
            "*instructions.Stage is not a command type"
        );
        assert_eq!(
            parse_trigger("RUN a\nRUN b", AT).unwrap_err().message,
            "onbuild trigger should be a single expression"
        );
        assert!(parse_trigger("FOO bar", AT)
            .unwrap_err()
            .message
            .contains("unknown instruction"));
    }
}
