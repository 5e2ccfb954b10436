use super::*;
use crate::instructions::CommandKind;

const AT: Location = Location {
    start_line: 3,
    end_line: 3,
    file: 0,
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

/// A chain of `n` stages, each reading the next at line `i + 1`; the last reads the first.
fn ring(n: usize) -> Graph<()> {
    let mut g = Graph::default();
    for i in 0..n {
        g.push_stage(Node {
            stage: Some(i),
            display_name: format!("stage-{i}"),
            ..Node::default()
        });
    }
    for i in 0..n {
        let at = Location {
            start_line: i + 1,
            end_line: i + 1,
            file: 0,
        };
        g.add_deps(i, &[(i + 1) % n], at, false);
    }
    g
}

#[test]
fn cycles_are_found_without_recursion() {
    // Deep enough that a recursive search would overflow a test thread's stack.
    let e = ring(200_000).check_cycles().unwrap_err();
    assert_eq!(e.message, "circular dependency detected on stage: stage-0");
    // The first command on the path, as the reference's first location.
    assert_eq!(e.location.map(|l| l.start_line), Some(1));
    assert!(ring(1).check_cycles().is_err());
    let mut chain = ring(3);
    chain.nodes[2].deps.clear();
    assert!(chain.check_cycles().is_ok());
    assert_eq!(chain.reachable(0), [true, true, true]);
    assert_eq!(chain.reachable(1), [false, true, true]);
}

#[test]
fn trigger_sources_come_first_each_node_once() {
    let mut g = ring(3);
    g.add_deps(0, &[2, 1, 2], AT, true);
    let deps: Vec<usize> = g.nodes[0].deps.iter().map(|d| d.node).collect();
    assert_eq!(deps, [2, 1]);
    assert_eq!(g.nodes[0].deps[1].location.start_line, 1);
}
