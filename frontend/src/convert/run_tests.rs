//! RUN lowered end to end (Dockerfile → definition): the exec op's mounts, their order,
//! inputs and outputs, caps and meta, checked against what BuildKit's dockerfile2llb
//! produces for the same Dockerfiles (v0.34.2).

use crate::options::BuildOptions;
use std::collections::BTreeMap;

use buildkit_llb::pb;
use prost::Message;

use super::super::{convert_with, ConvertOptions, LocatedError, ResolvedImage};
use crate::image::Image;
use crate::options::{HostIp, Ulimit};

struct Lowered {
    ops: Vec<(String, pb::Op)>,
    metadata: BTreeMap<String, pb::OpMetadata>,
    source: Option<pb::Source>,
    image: Image,
}

impl Lowered {
    fn execs(&self) -> Vec<(&str, &pb::Op, &pb::ExecOp)> {
        self.ops
            .iter()
            .filter_map(|(d, op)| match &op.op {
                Some(pb::op::Op::Exec(e)) => Some((d.as_str(), op, e)),
                _ => None,
            })
            .collect()
    }

    /// The last exec op (the last RUN), its op and metadata.
    fn last_exec(&self) -> (&pb::Op, &pb::ExecOp, &pb::OpMetadata) {
        let (d, op, e) = self.execs().pop().expect("an exec op");
        (op, e, &self.metadata[d])
    }

    fn op(&self, digest: &str) -> &pb::Op {
        &self
            .ops
            .iter()
            .find(|(d, _)| d == digest)
            .expect("op by digest")
            .1
    }

    fn name(&self, digest: &str) -> &str {
        self.metadata[digest]
            .description
            .get("llb.customname")
            .map_or("", String::as_str)
    }

    fn local_follow_paths(&self) -> Option<String> {
        self.ops.iter().find_map(|(_, op)| match &op.op {
            Some(pb::op::Op::Source(s)) if s.identifier.starts_with("local://") => Some(
                s.attrs
                    .get("local.followpaths")
                    .cloned()
                    .unwrap_or_default(),
            ),
            _ => None,
        })
    }
}

fn lower_with(df: &str, opts: ConvertOptions) -> Result<Lowered, LocatedError> {
    let ast = crate::syntax::parse(df).map_err(|e| LocatedError::new(e.message))?;
    let parsed =
        crate::instructions::parse_dockerfile(&ast).map_err(|e| LocatedError::new(e.message))?;
    let mut opts = ConvertOptions {
        session_id: Some("s".into()),
        ..opts
    };
    opts.context_local = "context".into();
    let converted = convert_with(&parsed, ast.escape, &opts, |(_, p)| {
        let config = serde_json::json!({"architecture": p.architecture, "os": p.os, "config": {}, "rootfs": {"type": "layers", "diff_ids": ["sha256:00"]}});
        Ok(ResolvedImage {
            digest: None,
            config: serde_json::to_vec(&config).unwrap_or_default(),
        })
    })?;
    let def = converted.state.marshal().expect("marshal");
    let ops = def
        .def
        .iter()
        .map(|b| {
            (
                buildkit_llb::digest_of(b),
                pb::Op::decode(b.as_slice()).expect("op decodes"),
            )
        })
        .collect();
    Ok(Lowered {
        ops,
        metadata: def.metadata,
        source: def.source,
        image: converted.image,
    })
}

fn lower(df: &str) -> Lowered {
    lower_with(df, ConvertOptions::default()).expect("converts")
}

fn lower_err(df: &str) -> String {
    match lower_with(df, ConvertOptions::default()) {
        Ok(_) => panic!("expected an error for {df:?}"),
        Err(e) => e.message,
    }
}

fn mount_summary(m: &pb::Mount) -> (String, i64, i64, bool, String) {
    (
        m.dest.clone(),
        m.input,
        m.output,
        m.readonly,
        m.selector.clone(),
    )
}

#[test]
fn every_mount_type_in_reference_order() {
    let l = lower(
        "FROM scratch\nWORKDIR /w\nENV TOK=plain\n\
         RUN --mount=type=cache,target=/root/.cache --mount=type=cache,target=rel,id=foo,sharing=locked,uid=1,gid=2,mode=0750 \
         --mount=type=tmpfs,target=/t,size=1m --mount=type=bind,target=/ctx,source=sub --mount=type=bind,target=/ctxrw,rw \
         --mount=type=secret,id=s1 --mount=type=secret,id=s2,env=TOK,target=/s2,mode=0444 --mount=type=secret,id=s3,env=TOK2 \
         --mount=type=ssh --mount=type=ssh,id=k,target=/ssh,uid=5,required echo $TOK $TOK2\n",
    );
    let (op, exec, md) = l.last_exec();
    let got: Vec<_> = exec.mounts.iter().map(mount_summary).collect();
    let want = [
        ("/", 0, 0, false, ""),
        ("/ctx", 1, -1, true, "/sub"),
        ("/ctxrw", 1, -1, false, ""),
        ("/root/.cache", -1, -1, false, ""),
        ("/t", -1, -1, false, ""),
        ("/w/rel", 2, -1, false, "/cache"),
        ("/run/secrets/s1", -1, 0, false, ""),
        ("/s2", -1, 0, false, ""),
        ("/run/buildkit/ssh_agent.0", -1, 0, false, ""),
        ("/ssh", -1, 0, false, ""),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(d, i, o, r, s)| (d.to_string(), *i, *o, *r, s.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(op.inputs.len(), 3);

    let cache = |i: usize| exec.mounts[i].cache_opt.clone().expect("cache opt");
    assert_eq!(
        (cache(3).id.as_str(), cache(3).sharing),
        ("//root/.cache", pb::CacheSharingOpt::Shared as i32)
    );
    assert_eq!(
        (cache(5).id.as_str(), cache(5).sharing),
        ("/foo", pb::CacheSharingOpt::Locked as i32)
    );
    assert_eq!(
        exec.mounts[4].tmpfs_opt.as_ref().map(|t| t.size),
        Some(1 << 20)
    );
    // The cache mount's owner and mode come from a mkdir on its (scratch) source.
    let perms = l.op(&op.inputs[2].digest);
    assert_eq!(
        l.name(&op.inputs[2].digest),
        "[internal] setting cache mount permissions"
    );
    let Some(pb::op::Op::File(f)) = &perms.op else {
        panic!("a file op")
    };
    let Some(pb::file_action::Action::Mkdir(mkdir)) = &f.actions[0].action else {
        panic!("a mkdir")
    };
    assert_eq!(
        (mkdir.path.as_str(), mkdir.mode, mkdir.make_parents),
        ("/cache", 0o750, false)
    );

    let secret = |i: usize| exec.mounts[i].secret_opt.clone().expect("secret opt");
    assert_eq!(
        (secret(6).id.as_str(), secret(6).mode, secret(6).optional),
        ("s1", 0o400, true)
    );
    assert_eq!((secret(7).id.as_str(), secret(7).mode), ("s2", 0o444));
    let ssh = |i: usize| exec.mounts[i].ssh_opt.clone().expect("ssh opt");
    assert_eq!(
        (ssh(8).id.as_str(), ssh(8).mode, ssh(8).optional),
        ("", 0o600, true)
    );
    assert_eq!(
        (ssh(9).id.as_str(), ssh(9).uid, ssh(9).mode, ssh(9).optional),
        ("k", 5, 0o600, false)
    );
    let envs: Vec<_> = exec
        .secretenv
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str(), s.optional))
        .collect();
    assert_eq!(envs, [("s2", "TOK", true), ("s3", "TOK2", true)]);

    let meta = exec.meta.as_ref().expect("meta");
    assert_eq!(
        meta.env.last().map(String::as_str),
        Some("SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0")
    );
    let caps: Vec<&str> = md.caps.keys().map(String::as_str).collect();
    assert_eq!(
        caps,
        [
            "exec.meta.base",
            "exec.meta.setsdefaultpath",
            "exec.mount.bind",
            "exec.mount.cache",
            "exec.mount.cache.sharing",
            "exec.mount.secret",
            "exec.mount.selector",
            "exec.mount.ssh",
            "exec.mount.tmpfs",
            "exec.mount.tmpfs.size",
            "exec.secretenv"
        ]
    );
    // A secret's variable shows masked in the progress name; one RUN with mounts names the lone stage.
    let name = md.description["llb.customname"].as_str();
    assert!(
        name.starts_with("[stage-0 2/2] RUN --mount=type=cache")
            && name.ends_with(" echo **** ****"),
        "{name}"
    );
    // The context is read whole: the rw bind without a source needs all of it.
    assert_eq!(l.local_follow_paths().as_deref(), Some(""));
}

#[test]
fn mounts_from_stages_and_images() {
    let l = lower(
        "FROM scratch AS base\nWORKDIR /src\nFROM scratch AS build\nARG DIR=/mnt\n\
         RUN --mount=from=base,target=$DIR --mount=type=bind,from=base,source=/src,target=/rw,rw --mount=type=cache,from=base,source=src,target=/c2 \
         --mount=type=tmpfs,from=base,target=/tt --mount=from=busybox,target=/bb ls\n",
    );
    let (op, exec, _) = l.last_exec();
    let got: Vec<_> = exec.mounts.iter().map(mount_summary).collect();
    let want = [
        ("/", -1, 0, false, ""),
        ("/bb", 0, -1, true, ""),
        ("/c2", 1, -1, false, "/src"),
        ("/mnt", 1, -1, true, ""),
        ("/rw", 1, -1, false, "/src"),
        ("/tt", -1, -1, false, ""),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(d, i, o, r, s)| (d.to_string(), *i, *o, *r, s.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(l.name(&op.inputs[1].digest), "[base 1/1] WORKDIR /src");
    assert!(
        matches!(&l.op(&op.inputs[0].digest).op, Some(pb::op::Op::Source(s)) if s.identifier == "docker-image://docker.io/library/busybox:latest")
    );
    assert_eq!(
        exec.mounts[2].cache_opt.as_ref().map(|c| c.id.as_str()),
        Some("//c2")
    );
    // Nothing reads the build context.
    assert_eq!(l.local_follow_paths(), None);
}

#[test]
fn context_paths_of_bind_mounts() {
    let l = lower(
        "FROM scratch\nRUN --mount=target=/a,source=dir/a --mount=target=/b,src=./b/../c ls\n",
    );
    assert_eq!(l.local_follow_paths().as_deref(), Some("[\"c\",\"dir/a\"]"));
}

#[test]
fn cache_ids_are_namespaced() {
    let mut opts = ConvertOptions::default();
    opts.build_args
        .insert("BUILDKIT_CACHE_MOUNT_NS".into(), "ns".into());
    let l = lower_with("FROM scratch\nRUN --mount=type=cache,target=/root/.cache --mount=type=cache,id=x,target=/x ls\n", opts).expect("converts");
    let (_, exec, _) = l.last_exec();
    let ids: Vec<_> = exec
        .mounts
        .iter()
        .filter_map(|m| m.cache_opt.as_ref().map(|c| c.id.as_str()))
        .collect();
    assert_eq!(ids, ["ns//root/.cache", "ns/x"]);
}

#[test]
fn network_and_security() {
    let l = lower("FROM scratch\nRUN --network=none --security=insecure ls\nRUN --network=host ls\nRUN --network=default ls\n");
    let modes: Vec<_> = l
        .execs()
        .iter()
        .map(|(d, _, e)| {
            (
                e.network,
                e.security,
                l.metadata[*d].caps.contains_key("exec.meta.network"),
                l.metadata[*d].caps.contains_key("exec.meta.security"),
            )
        })
        .collect();
    let (none, host, unset) = (
        pb::NetMode::None as i32,
        pb::NetMode::Host as i32,
        pb::NetMode::Unset as i32,
    );
    let (insecure, sandbox) = (
        pb::SecurityMode::Insecure as i32,
        pb::SecurityMode::Sandbox as i32,
    );
    assert_eq!(
        modes,
        [
            (none, insecure, true, true),
            (host, sandbox, true, false),
            (unset, sandbox, false, false)
        ]
    );

    // `--network=default` keeps the build's forced mode.
    let opts = ConvertOptions {
        build: BuildOptions {
            force_network_mode: Some("none".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let l = lower_with("FROM scratch\nRUN --network=default ls\n", opts).expect("converts");
    assert_eq!(l.last_exec().1.network, none);
}

#[test]
fn build_options_for_run() {
    let mut opts = ConvertOptions {
        build: BuildOptions {
            extra_hosts: vec![HostIp {
                host: "db".into(),
                ip: "10.0.0.2".into(),
            }],
            shm_size: 1 << 20,
            ulimits: vec![Ulimit {
                name: "nofile".into(),
                soft: 10,
                hard: 20,
            }],
            cgroup_parent: Some("cg".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    opts.build_args
        .insert("http_proxy".into(), "http://proxy".into());
    opts.build_args.insert("NO_PROXY".into(), "local".into());
    let l = lower_with("FROM scratch\nARG NO_PROXY\nRUN ls\n", opts).expect("converts");
    let (_, exec, md) = l.last_exec();
    let meta = exec.meta.as_ref().expect("meta");
    assert_eq!(
        meta.extra_hosts,
        [pb::HostIp {
            host: "db".into(),
            ip: "10.0.0.2".into()
        }]
    );
    assert_eq!(
        meta.ulimit,
        [pb::Ulimit {
            name: "nofile".into(),
            soft: 10,
            hard: 20
        }]
    );
    assert_eq!(meta.cgroup_parent, "cg");
    let proxy = meta.proxy_env.as_ref().expect("proxy env");
    assert_eq!(
        (proxy.http_proxy.as_str(), proxy.no_proxy.as_str()),
        ("http://proxy", "local")
    );
    // Proxies are not in the environment, except a declared ARG, which is.
    assert!(!meta.env.iter().any(|e| e.starts_with("http_proxy")));
    assert!(meta.env.iter().any(|e| e == "NO_PROXY=local"));
    let shm = exec
        .mounts
        .iter()
        .find(|m| m.dest == "/dev/shm")
        .expect("shm mount");
    assert_eq!(
        (
            shm.mount_type,
            shm.input,
            shm.output,
            shm.tmpfs_opt.as_ref().map(|t| t.size)
        ),
        (pb::MountType::Tmpfs as i32, -1, -1, Some(1 << 20))
    );
    let caps: Vec<&str> = md.caps.keys().map(String::as_str).collect();
    assert_eq!(
        caps,
        [
            "exec.meta.base",
            "exec.meta.proxyenv",
            "exec.meta.setsdefaultpath",
            "exec.meta.ulimit",
            "exec.mount.tmpfs",
            "exec.mount.tmpfs.size"
        ]
    );
    let history: Vec<_> = l
        .image
        .history
        .iter()
        .filter_map(|h| h.created_by.as_deref())
        .collect();
    assert_eq!(
        history.last().copied(),
        Some("RUN |1 NO_PROXY=local /bin/sh -c ls # buildkit")
    );
}

#[test]
fn resource_limits_go_in_every_run_metadata() {
    // As dockerfile2llb v0.34.2 with `--opt memory=… --opt cpusetcpus=…`: the limits are op
    // metadata with the `exec.meta.linux.resources` cap; the ops (and digests) are unchanged.
    let limits = buildkit_llb::LinuxResources {
        memory: 1 << 30,
        memory_swap: -1,
        cpu_shares: 512,
        cpu_period: 100_000,
        cpu_quota: 50_000,
        cpuset_cpus: "0-1".into(),
        cpuset_mems: "0".into(),
    };
    let df = "FROM scratch\nRUN a\nRUN b\n";
    let plain = lower(df);
    let l = lower_with(
        df,
        ConvertOptions {
            build: BuildOptions {
                linux_resources: Some(limits.clone()),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .expect("converts");
    let execs = l.execs();
    assert_eq!(execs.len(), 2);
    for (d, _, _) in &execs {
        let md = &l.metadata[*d];
        assert_eq!(
            md.linux_resources.as_ref(),
            Some(&pb::LinuxResources::from(limits.clone()))
        );
        assert!(md.caps.contains_key("exec.meta.linux.resources"));
    }
    let digests = |l: &Lowered| l.ops.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>();
    assert_eq!(digests(&l), digests(&plain));
    assert!(plain
        .metadata
        .values()
        .all(|m| m.linux_resources.is_none() && !m.caps.contains_key("exec.meta.linux.resources")));
}

#[test]
fn devices() {
    let l = lower(
        "FROM scratch\nRUN --device=vendor.com/gpu=0 --device=name=vendor.com/x,required ls\n",
    );
    let (_, exec, md) = l.last_exec();
    let got: Vec<_> = exec
        .cdi_devices
        .iter()
        .map(|d| (d.name.as_str(), d.optional))
        .collect();
    assert_eq!(got, [("vendor.com/gpu=0", true), ("vendor.com/x", false)]);
    assert!(md.caps.contains_key("exec.meta.cdi"));
}

#[test]
fn heredocs() {
    let l = lower(
        "FROM scratch\nRUN <<EOF\necho hi\nEOF\nRUN <<-EOT bash\n\t#!/bin/bash\n\techo $HOME\n\tEOT\n\
         RUN <<EOF\n#!/bin/sh\necho from shebang\nEOF\nRUN <<-\"EOF\"\n\t#!/bin/sh\n\techo chomp $X\n\tEOF\n\
         RUN python3 <<EOF\nprint(1)\nEOF\nRUN cat <<A <<B > /out\na\nA\nb\nB\nRUN 3<<EOF\nfd3\nEOF\n",
    );
    let execs = l.execs();
    let args: Vec<Vec<&str>> = execs
        .iter()
        .map(|(_, _, e)| {
            e.meta
                .as_ref()
                .map(|m| m.args.iter().map(String::as_str).collect())
                .unwrap_or_default()
        })
        .collect();
    let sh = |s: &'static str| vec!["/bin/sh", "-c", s];
    assert_eq!(
        args,
        [
            sh("echo hi\n"),
            sh("<<-EOT bash\n\t#!/bin/bash\n\techo $HOME\nEOT"),
            sh("/dev/pipes/EOF"),
            sh("/dev/pipes/EOF"),
            sh("python3 <<EOF\nprint(1)\nEOF"),
            sh("cat <<A <<B > /out\na\nA\nb\nB"),
            sh("fd3\n"),
        ]
    );
    // The shebang scripts are files on a read-only mount; a chomped one loses its tabs.
    let (_, op, exec) = execs[3];
    let pipes = exec
        .mounts
        .iter()
        .find(|m| m.dest == "/dev/pipes/")
        .expect("pipes mount");
    assert_eq!(
        (pipes.readonly, pipes.output, pipes.selector.as_str()),
        (true, -1, "/")
    );
    let Some(pb::op::Op::File(f)) = &l.op(&op.inputs[pipes.input as usize].digest).op else {
        panic!("a file op")
    };
    let Some(pb::file_action::Action::Mkfile(mkfile)) = &f.actions[0].action else {
        panic!("a mkfile")
    };
    assert_eq!(
        (mkfile.path.as_str(), mkfile.mode, mkfile.data.as_slice()),
        ("/EOF", 0o755, &b"#!/bin/sh\necho chomp $X\n"[..])
    );
    let names: Vec<&str> = execs.iter().map(|(d, _, _)| l.name(d)).collect();
    assert_eq!(names[0], "[1/7] RUN <<EOF (echo hi)");
    assert_eq!(names[2], "[3/7] RUN <<EOF (#!/bin/sh...)");
}

#[test]
fn mount_errors() {
    assert_eq!(
        lower_err("FROM scratch\nRUN --mount=target=/ ls\n"),
        "invalid mount target \"/\""
    );
    assert_eq!(
        lower_err("FROM scratch\nRUN --mount=target= ls\n"),
        "invalid mount target \"/\""
    );
    assert_eq!(
        lower_err("FROM scratch\nRUN --mount=type=ssh,source=x ls\n"),
        "ssh does not support source"
    );
    assert_eq!(
        lower_err("FROM scratch\nARG T=foo\nRUN --mount=type=$T,target=/x ls\n"),
        "unsupported mount type \"foo\""
    );
    assert_eq!(
        lower_err("FROM scratch AS a\nRUN --mount=from=a,target=/x ls\n"),
        "circular dependency detected on stage: a"
    );
    let opts = ConvertOptions {
        build: BuildOptions {
            target: Some("first".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = lower_with(
        "FROM scratch AS first\nRUN --mount=from=later,target=/x ls\nFROM scratch AS later\n",
        opts,
    )
    .err()
    .map(|e| e.message);
    assert_eq!(err.as_deref(), Some("cannot mount from stage \"later\" to \"/x\", stage needs to be defined before current command"));
}

#[test]
fn exec_ops_are_deterministic() {
    let df = "FROM scratch\nRUN --mount=type=cache,target=/c,uid=1 --mount=type=secret,id=a --mount=type=ssh ls\n";
    let a: Vec<String> = lower(df).ops.into_iter().map(|(d, _)| d).collect();
    let b: Vec<String> = lower(df).ops.into_iter().map(|(d, _)| d).collect();
    assert_eq!(a, b);
}

/// The source map as the reference's `location(sourceMap, node.Location())` writes it: one
/// range per line of a continued RUN (comment and empty lines inside it included), and for the
/// image only a `--mount=from=` names, a location with no ranges (its made-up stage has none).
#[test]
fn source_map_ranges_per_line_and_none_for_a_mount_image() {
    let df = "FROM alpine\nRUN --mount=from=busybox,target=/b echo a \\\n# note\n\n    b\n";
    let file = std::sync::Arc::new(buildkit_llb::SourceFile {
        filename: "Dockerfile".into(),
        data: df.as_bytes().to_vec(),
        language: "Dockerfile".into(),
        ..Default::default()
    });
    let l = lower_with(
        df,
        ConvertOptions {
            source_file: Some(file),
            ..Default::default()
        },
    )
    .expect("converts");
    let source = l.source.as_ref().expect("a source map");
    let ranges = |digest: &str| -> Vec<Vec<(i32, i32)>> {
        source.locations[digest]
            .locations
            .iter()
            .map(|loc| {
                assert_eq!(loc.source_index, 0);
                loc.ranges
                    .iter()
                    .map(|r| {
                        let (s, e) = (r.start.as_ref().unwrap(), r.end.as_ref().unwrap());
                        assert_eq!((s.character, e.character), (0, 0));
                        (s.line, e.line)
                    })
                    .collect()
            })
            .collect()
    };
    let (run, _, _) = l.execs().pop().expect("the RUN");
    assert_eq!(ranges(run), vec![vec![(2, 2), (3, 3), (4, 4), (5, 5)]]);
    let image = |name: &str| {
        l.ops
            .iter()
            .find(|(_, op)| matches!(&op.op, Some(pb::op::Op::Source(s)) if s.identifier.contains(name)))
            .map(|(d, _)| d.as_str())
            .expect("the image op")
    };
    assert_eq!(ranges(image("alpine")), vec![vec![(1, 1)]]);
    assert_eq!(ranges(image("busybox")), vec![Vec::<(i32, i32)>::new()]);
}
