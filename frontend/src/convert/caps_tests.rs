//! The converter on a daemon lacking LLB capabilities: falls back like the reference
//! (`--link` without merge ops is a plain copy) or fails naming the capability where the
//! reference would silently drop the feature.

use std::collections::BTreeSet;

use buildkit_llb::pb;
use prost::Message;

use super::{caps, convert_with, ConvertOptions, ResolvedImage};

fn ops(dockerfile: &str, opts: &ConvertOptions) -> Result<Vec<pb::Op>, String> {
    let ast = crate::syntax::parse(dockerfile).map_err(|e| e.message)?;
    let df = crate::instructions::parse_dockerfile(&ast).map_err(|e| e.message)?;
    let resolve = |_: &super::ImageKey| {
        Ok(ResolvedImage { digest: None, config: br#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#.to_vec() })
    };
    let converted = convert_with(&df, ast.escape, opts, resolve).map_err(|e| e.message)?;
    let def = converted.state.marshal().map_err(|e| e.to_string())?;
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).map_err(|e| e.to_string()))
        .collect()
}

fn all_caps_but(missing: &str) -> ConvertOptions {
    let all = [
        caps::MERGE_OP,
        caps::EXEC_META_ULIMIT,
        caps::EXEC_META_LINUX_RESOURCES,
        caps::EXEC_META_CGROUP_PARENT,
        caps::EXEC_META_CDI,
        caps::EXEC_MOUNT_TMPFS_SIZE,
        caps::EXEC_MOUNT_BIND_RW_NO_OUTPUT,
        "file.base",
    ];
    ConvertOptions {
        llb_caps: Some(
            all.iter()
                .filter(|c| **c != missing)
                .map(|c| c.to_string())
                .collect::<BTreeSet<_>>(),
        ),
        ..Default::default()
    }
}

fn has_merge(ops: &[pb::Op]) -> bool {
    ops.iter()
        .any(|o| matches!(o.op, Some(pb::op::Op::Merge(_))))
}

#[test]
fn link_without_merge_op_is_a_plain_copy() {
    let df = "FROM busybox\nCOPY --link a /a\n";
    let all = ops(df, &ConvertOptions::default());
    assert!(all.as_ref().is_ok_and(|o| has_merge(o)), "{all:?}");
    assert!(has_merge(
        &ops(df, &all_caps_but("none")).unwrap_or_default()
    ));
    let without = ops(df, &all_caps_but(caps::MERGE_OP)).unwrap_or_default();
    assert!(!without.is_empty() && !has_merge(&without));
}

#[test]
fn features_needing_a_missing_cap_are_errors() {
    let mut opts = all_caps_but(caps::EXEC_META_CGROUP_PARENT);
    opts.cgroup_parent = Some("cg".into());
    let err = ops("FROM busybox\nRUN true\n", &opts)
        .err()
        .unwrap_or_default();
    assert!(
        err.contains("cgroup-parent") && err.contains("exec.meta.cgroup.parent"),
        "{err}"
    );
    let mut opts = all_caps_but(caps::EXEC_META_LINUX_RESOURCES);
    opts.linux_resources = Some(buildkit_llb::LinuxResources {
        memory: 1,
        ..Default::default()
    });
    let err = ops("FROM busybox\nRUN true\n", &opts)
        .err()
        .unwrap_or_default();
    assert!(err.contains("exec.meta.linux.resources"), "{err}");
    let mut opts = all_caps_but(caps::EXEC_MOUNT_TMPFS_SIZE);
    opts.shm_size = 1024;
    let err = ops("FROM busybox\nRUN true\n", &opts)
        .err()
        .unwrap_or_default();
    assert!(err.contains("exec.mount.tmpfs.size"), "{err}");
}

#[test]
fn writable_bind_keeps_its_output_without_the_cap() {
    let no_output = |opts: &ConvertOptions| {
        ops(
            "FROM busybox\nRUN --mount=type=bind,rw,target=/src true\n",
            opts,
        )
        .unwrap_or_default()
        .iter()
        .filter_map(|o| match &o.op {
            Some(pb::op::Op::Exec(e)) => {
                e.mounts.iter().find(|m| m.dest == "/src").map(|m| m.output)
            }
            _ => None,
        })
        .next()
    };
    assert_eq!(no_output(&ConvertOptions::default()), Some(-1));
    assert_ne!(
        no_output(&all_caps_but(caps::EXEC_MOUNT_BIND_RW_NO_OUTPUT)),
        Some(-1)
    );
}
