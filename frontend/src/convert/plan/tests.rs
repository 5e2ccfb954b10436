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
    assert!(matches!(copy.kind, CommandKind::Copy(ref c) if c.from.as_deref() == Some("builder")));
}

#[test]
fn bad_triggers_are_refused_at_the_from_line() {
    let e = parse_trigger("FROM alpine", AT).unwrap_err();
    // `instructions.ParseCommand`'s error; "FROM isn't allowed as an ONBUILD trigger" is the
    // parser's for an ONBUILD FROM written in a Dockerfile (the old lint copy said that here).
    assert_eq!(e.message, "*instructions.Stage is not a command type");
    assert_eq!(e.location, Some(AT));
    assert_eq!(
        parse_trigger("RUN a\nRUN b", AT).unwrap_err().message,
        "onbuild trigger should be a single expression"
    );
    assert!(parse_trigger("FOO bar", AT)
        .unwrap_err()
        .message
        .contains("unknown instruction"));
}

#[test]
fn mount_froms_as_written() {
    let raw = [
        "type=bind,from=Build,target=/x".to_string(),
        "type=cache,target=/c".to_string(),
        "FROM=img,from=other".to_string(),
    ];
    assert_eq!(mount_froms(&raw), ["Build", "", "other"]);
}

#[test]
fn the_last_from_of_a_mount_wins() {
    // instructions.parseMount assigns each key in turn: the last `from` stays, an empty one
    // included (then the mount reads scratch). The old lint copy took the first non-empty one.
    let raw = ["from=a,from=b".to_string(), "from=a,from=".to_string()];
    assert_eq!(mount_froms(&raw), ["b", ""]);
    // Quoted fields are CSV, as the reference reads them (a `,` inside quotes is no separator).
    assert_eq!(
        mount_froms(&[r#""from=a,b",target=/t"#.to_string()]),
        ["a,b"]
    );
}
