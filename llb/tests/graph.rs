#![allow(clippy::unwrap_used)]
//! Graph-level behaviour of the builder: op order, input sharing, output numbering, determinism.

use buildkit_llb::pb::{self, op::Op as OpKind};
use buildkit_llb::{Exec, FileActions, ImageOptions, Metadata, Mount, MountKind, Platform, State};
use prost::Message;

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).expect("decodes"))
        .collect()
}

fn busybox() -> State {
    State::image(
        "docker.io/library/busybox:latest",
        ImageOptions {
            platform: Some(Platform::new("linux", "amd64", "")),
            ..Default::default()
        },
    )
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
        let a = Exec::new(busybox(), vec!["sh".into(), "-c".into(), "echo a".into()])
            .run()
            .root();
        let b = Exec::new(busybox(), vec!["sh".into(), "-c".into(), "echo b".into()])
            .run()
            .root();
        a.file(
            FileActions::new().copy(b, "/x", "/y", Default::default()),
            Metadata::named("copy"),
        )
        .marshal()
        .unwrap()
        .encode_to_vec()
    };
    assert_eq!(build(), build());
}

#[test]
fn a_shared_op_appears_once() {
    let base = busybox();
    let a = Exec::new(base.clone(), vec!["a".into()]).run().root();
    let b = Exec::new(base, vec!["b".into()]).run().root();
    let joined = a.file(
        FileActions::new().copy(b, "/", "/", Default::default()),
        Metadata::default(),
    );
    let sources = ops(&joined.marshal().unwrap())
        .iter()
        .filter(|o| matches!(o.op, Some(OpKind::Source(_))))
        .count();
    assert_eq!(sources, 1);
}

#[test]
fn exec_mounts_are_sorted_and_share_inputs() {
    let base = busybox();
    let mut e = Exec::new(base.clone(), vec!["x".into()]);
    e.mounts.push(Mount {
        readonly: true,
        ..Mount::bind("/src", base.clone())
    });
    e.mounts.push(Mount {
        kind: MountKind::Cache {
            id: "c".into(),
            sharing: pb::CacheSharingOpt::Locked,
        },
        ..Mount::bind("/cache", State::scratch())
    });
    e.mounts.push(Mount::bind("/out", State::scratch()));
    let outs = e.run();
    let def = outs.root().marshal().unwrap();
    let exec = ops(&def).into_iter().find_map(|o| match o.op {
        Some(OpKind::Exec(e)) => Some((o.inputs, e)),
        _ => None,
    });
    let (inputs, exec) = exec.unwrap();
    let dests: Vec<_> = exec
        .mounts
        .iter()
        .map(|m| (m.dest.as_str(), m.input, m.output))
        .collect();
    assert_eq!(
        dests,
        vec![
            ("/", 0, 0),
            ("/cache", -1, -1),
            ("/out", -1, 1),
            ("/src", 0, -1)
        ]
    );
    assert_eq!(inputs.len(), 1);
    assert!(outs.mount("/out").is_some());
    assert!(outs.mount("/src").is_none());
}

#[test]
fn chained_file_actions_point_at_the_previous_action() {
    let other = Exec::new(busybox(), vec!["o".into()]).run().root();
    let st = busybox().file(
        FileActions::new()
            .mkdir("/a", 0o755, Default::default())
            .copy(other, "/f", "/a/", Default::default())
            .rm("/tmp/x", Default::default()),
        Metadata::default(),
    );
    let file = ops(&st.marshal().unwrap())
        .into_iter()
        .find_map(|o| match o.op {
            Some(OpKind::File(f)) => Some((o.inputs.len(), o.platform, f)),
            _ => None,
        });
    let (n_inputs, platform, file) = file.unwrap();
    assert_eq!(n_inputs, 2);
    assert!(platform.is_none(), "file ops are not platform specific");
    let idx: Vec<_> = file
        .actions
        .iter()
        .map(|a| (a.input, a.secondary_input, a.output))
        .collect();
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
        st = st.file(
            FileActions::new().mkfile(format!("/f{i}"), 0o644, vec![], Default::default()),
            Metadata::default(),
        );
    }
    assert_eq!(st.marshal().unwrap().def.len(), 20_001);
}

/// Digests from BuildKit v0.34.2's Go client for the same ops: equal ops must encode to the
/// same bytes, or BuildKit's cache is not shared with the Go frontend.
#[test]
fn ops_encode_byte_for_byte_like_go() {
    let image = busybox();
    assert_eq!(
        image.digest(),
        Some("sha256:e1432b8e2054abb034451c15f0a8ad49d07f5892ca266016226fec77e95d20a0")
    );
    let mut exec = Exec::new(
        image,
        vec![
            "/bin/sh".into(),
            "-c".into(),
            "echo \"stage 0 $E0\" > /out-0".into(),
        ],
    );
    exec.meta.env = vec![
        "A0=arg-0".into(),
        "E0=env-arg-0".into(),
        "PATH=/usr/local/bin:/usr/bin:/bin".into(),
    ];
    exec.platform = Some(Platform::parse("linux/amd64").unwrap());
    assert_eq!(
        exec.run().root().digest(),
        Some("sha256:ca5482cbc099a884f545f3ae60bf7eb92f3921240b95da02c108adabf4c84de3")
    );
}

#[test]
fn equal_ops_built_twice_are_written_once_with_merged_metadata() {
    let file = std::sync::Arc::new(buildkit_llb::SourceFile {
        filename: "Dockerfile".into(),
        data: b"FROM a\nFROM b\n".to_vec(),
        language: "Dockerfile".into(),
        ..Default::default()
    });
    let image = |name: &str, line| {
        let md = Metadata::named(name).with_location(Some(buildkit_llb::SourceLocation::new(
            file.clone(),
            line,
            line,
        )));
        State::image(
            "docker.io/library/busybox:latest",
            ImageOptions {
                platform: Some(Platform::parse("linux/amd64").unwrap()),
                metadata: md,
                ..Default::default()
            },
        )
    };
    let (first, second) = (image("first", 1), image("second", 2));
    let joined = first.file(
        FileActions::new().copy(second.clone(), "/", "/", Default::default()),
        Metadata::named("copy"),
    );
    let def = joined.marshal().unwrap();
    assert_eq!(
        ops(&def)
            .iter()
            .filter(|o| matches!(o.op, Some(OpKind::Source(_))))
            .count(),
        1
    );
    let digest = second.digest().unwrap();
    // Go visits `first` then `second`: the later name wins, and both lines are kept.
    assert_eq!(def.metadata[digest].description["llb.customname"], "second");
    let locations = &def.source.as_ref().unwrap().locations[digest].locations;
    let lines: Vec<i32> = locations
        .iter()
        .map(|l| l.ranges[0].start.as_ref().unwrap().line)
        .collect();
    assert_eq!(lines, vec![1, 2]);
    // The terminal op declares that ops carry descriptions.
    let terminal = def
        .metadata
        .values()
        .find(|m| m.caps.contains_key("constraints"))
        .unwrap();
    assert!(terminal.caps.contains_key("meta.description"));
}

#[test]
fn merge_and_diff_write_inputs_like_go() {
    let a = busybox();
    let merged = buildkit_llb::merge(&[a.clone(), a.clone()], Metadata::default());
    let op = ops(&merged.marshal().unwrap())
        .into_iter()
        .find(|o| matches!(o.op, Some(OpKind::Merge(_))))
        .unwrap();
    assert_eq!(op.inputs.len(), 2, "a state merged twice is two inputs");
    assert!(
        buildkit_llb::diff(&State::scratch(), &a, Metadata::default()).same_as(&a),
        "a diff from scratch is the upper state"
    );
    let d = buildkit_llb::diff(&a, &a, Metadata::default());
    let op = ops(&d.marshal().unwrap())
        .into_iter()
        .find(|o| matches!(o.op, Some(OpKind::Diff(_))))
        .unwrap();
    assert_eq!(op.inputs.len(), 2);
}

#[test]
fn copy_sources_are_listed_last_action_first() {
    // Go's FileOp.Inputs() walks the actions from the last one back: the definition lists the
    // sources of later copies first.
    let doc = |name: &str| {
        State::scratch().file(
            FileActions::new().mkfile(
                format!("/{name}"),
                0o644,
                name.as_bytes().to_vec(),
                Default::default(),
            ),
            Metadata::default(),
        )
    };
    let (a, b) = (doc("a"), doc("b"));
    let st = busybox().file(
        FileActions::new()
            .copy(a.clone(), "/a", "/", Default::default())
            .copy(b.clone(), "/b", "/", Default::default()),
        Metadata::default(),
    );
    let def = st.marshal().unwrap();
    let order: Vec<String> = def.def.iter().map(|b| buildkit_llb::digest_of(b)).collect();
    let pos = |s: &State| order.iter().position(|d| d == s.digest().unwrap()).unwrap();
    assert!(pos(&busybox()) < pos(&b) && pos(&b) < pos(&a));
    let file = ops(&def)
        .into_iter()
        .rfind(|o| matches!(o.op, Some(OpKind::File(_))))
        .unwrap();
    let inputs: Vec<&str> = file.inputs.iter().map(|i| i.digest.as_str()).collect();
    assert_eq!(
        inputs,
        vec![
            busybox().digest().unwrap(),
            a.digest().unwrap(),
            b.digest().unwrap()
        ],
        "but the op's inputs are in action order"
    );
}

#[test]
fn a_written_definition_is_the_marshalled_one_encoded() {
    let file = |name: &str| {
        std::sync::Arc::new(buildkit_llb::SourceFile {
            filename: name.into(),
            data: b"FROM a\n".to_vec(),
            language: "Dockerfile".into(),
            ..Default::default()
        })
    };
    let (f1, f2, f1_again) = (file("Dockerfile"), file("other"), file("Dockerfile"));
    let at = |f: &std::sync::Arc<buildkit_llb::SourceFile>, line| {
        Some(buildkit_llb::SourceLocation::new(f.clone(), line, line))
    };
    let mut md = Metadata::named("one").with_location(at(&f1, 1));
    md.ignore_cache = true;
    md.progress_group = Some(buildkit_llb::ProgressGroup {
        id: "g".into(),
        name: "group".into(),
        weak: true,
    });
    let a = State::image(
        "docker.io/library/busybox:latest",
        ImageOptions {
            metadata: md,
            ..Default::default()
        },
    );
    let b = State::image(
        "docker.io/library/busybox:latest",
        ImageOptions {
            metadata: Metadata::named("two").with_location(at(&f2, 2)),
            ..Default::default()
        },
    );
    let mut e = Exec::new(a, vec!["true".into()]);
    e.mounts.push(Mount {
        readonly: true,
        ..Mount::bind("/b", b)
    });
    e.metadata = Metadata::named("run").with_location(at(&f1_again, 3));
    let out = e.run().root().file(
        FileActions::new().mkdir("/x", 0o755, Default::default()),
        Metadata::default(),
    );
    for st in [out, busybox(), State::scratch()] {
        let mut written = Vec::new();
        st.write_definition(&mut written).unwrap();
        assert_eq!(written, st.marshal().unwrap().encode_to_vec());
    }
}

#[test]
fn a_source_file_keeps_the_definition_it_was_loaded_with() {
    let loaded_with = buildkit_proto::pb::Definition {
        def: vec![b"local".to_vec()],
        ..Default::default()
    };
    let file = std::sync::Arc::new(buildkit_llb::SourceFile {
        filename: "Dockerfile".into(),
        data: b"FROM a\n".to_vec(),
        language: "Dockerfile".into(),
        definition: Some(loaded_with.clone()),
    });
    let md =
        Metadata::named("from").with_location(Some(buildkit_llb::SourceLocation::new(file, 1, 1)));
    let st = State::image(
        "docker.io/library/busybox:latest",
        ImageOptions {
            metadata: md,
            ..Default::default()
        },
    );
    let def = st.marshal().unwrap();
    let infos = &def.source.as_ref().unwrap().infos;
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].definition, Some(loaded_with));
    let mut streamed = Vec::new();
    st.write_definition(&mut streamed).unwrap();
    assert_eq!(streamed, prost::Message::encode_to_vec(&def));
}
