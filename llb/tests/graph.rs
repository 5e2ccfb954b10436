#![allow(clippy::unwrap_used)]
//! Graph-level behaviour of the builder: op order, input sharing, output numbering, determinism.

use buildkit_llb::pb::{self, op::Op as OpKind};
use buildkit_llb::{Exec, FileActions, ImageOptions, Metadata, Mount, MountKind, Platform, State};
use prost::Message;

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def.iter().map(|b| pb::Op::decode(b.as_slice()).expect("decodes")).collect()
}

fn busybox() -> State {
    State::image("docker.io/library/busybox:latest", ImageOptions { platform: Some(Platform::parse("linux/amd64").expect("a platform")), ..Default::default() })
}

#[test]
fn definition_lists_inputs_first_and_ends_with_the_terminal_op() {
    let out = Exec::new(busybox(), vec!["true".into()]).run().root();
    let def = out.marshal().unwrap();
    let ops = ops(&def);
    assert_eq!(ops.len(), 3);
    assert!(matches!(ops[0].op, Some(OpKind::Source(_))));
    assert!(matches!(ops[1].op, Some(OpKind::Exec(_))));
    assert!(ops[2].op.is_none());
    assert_eq!(ops[2].inputs[0].digest, out.digest().unwrap());
    assert_eq!(def.metadata.len(), 3);
}

#[test]
fn identical_graphs_marshal_to_identical_bytes() {
    let build = || {
        let a = Exec::new(busybox(), vec!["sh".into(), "-c".into(), "echo a".into()]).run().root();
        let b = Exec::new(busybox(), vec!["sh".into(), "-c".into(), "echo b".into()]).run().root();
        a.file(FileActions::new().copy(b, "/x", "/y", Default::default()), Metadata::named("copy")).marshal().unwrap().encode_to_vec()
    };
    assert_eq!(build(), build());
}

#[test]
fn a_shared_op_appears_once() {
    let base = busybox();
    let a = Exec::new(base.clone(), vec!["a".into()]).run().root();
    let b = Exec::new(base, vec!["b".into()]).run().root();
    let joined = a.file(FileActions::new().copy(b, "/", "/", Default::default()), Metadata::default());
    let sources = ops(&joined.marshal().unwrap()).iter().filter(|o| matches!(o.op, Some(OpKind::Source(_)))).count();
    assert_eq!(sources, 1);
}

#[test]
fn exec_mounts_are_sorted_and_share_inputs() {
    let base = busybox();
    let mut e = Exec::new(base.clone(), vec!["x".into()]);
    e.mounts.push(Mount { readonly: true, ..Mount::bind("/src", base.clone()) });
    e.mounts.push(Mount { kind: MountKind::Cache { id: "c".into(), sharing: pb::CacheSharingOpt::Locked }, ..Mount::bind("/cache", State::scratch()) });
    e.mounts.push(Mount::bind("/out", State::scratch()));
    let outs = e.run();
    let def = outs.root().marshal().unwrap();
    let exec = ops(&def).into_iter().find_map(|o| match o.op {
        Some(OpKind::Exec(e)) => Some((o.inputs, e)),
        _ => None,
    });
    let (inputs, exec) = exec.unwrap();
    let dests: Vec<_> = exec.mounts.iter().map(|m| (m.dest.as_str(), m.input, m.output)).collect();
    assert_eq!(dests, vec![("/", 0, 0), ("/cache", -1, -1), ("/out", -1, 1), ("/src", 0, -1)]);
    assert_eq!(inputs.len(), 1);
    assert!(outs.mount("/out").is_some());
    assert!(outs.mount("/src").is_none());
}

#[test]
fn chained_file_actions_point_at_the_previous_action() {
    let other = Exec::new(busybox(), vec!["o".into()]).run().root();
    let st = busybox().file(
        FileActions::new().mkdir("/a", 0o755, Default::default()).copy(other, "/f", "/a/", Default::default()).rm("/tmp/x", Default::default()),
        Metadata::default(),
    );
    let file = ops(&st.marshal().unwrap()).into_iter().find_map(|o| match o.op {
        Some(OpKind::File(f)) => Some((o.inputs.len(), o.platform, f)),
        _ => None,
    });
    let (n_inputs, platform, file) = file.unwrap();
    assert_eq!(n_inputs, 2);
    assert!(platform.is_none(), "file ops are not platform specific");
    let idx: Vec<_> = file.actions.iter().map(|a| (a.input, a.secondary_input, a.output)).collect();
    assert_eq!(idx, vec![(0, -1, -1), (2, 1, -1), (3, -1, 0)]);
    match &file.actions[1].action {
        Some(pb::file_action::Action::Copy(c)) => {
            assert_eq!(c.dest, "/a/");
            assert_eq!(c.mode, -1);
        }
        other => panic!("expected copy, got {other:?}"),
    }
}

#[test]
fn scratch_marshals_to_an_empty_definition() {
    assert!(State::scratch().marshal().unwrap().def.is_empty());
}

#[test]
fn a_long_chain_marshals_without_recursion() {
    let mut st = State::scratch();
    for i in 0..20_000 {
        st = st.file(FileActions::new().mkfile(format!("/f{i}"), 0o644, vec![], Default::default()), Metadata::default());
    }
    assert_eq!(st.marshal().unwrap().def.len(), 20_001);
}
