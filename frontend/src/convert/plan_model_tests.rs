//! The stage plan's model: stages, bases, pruning, edges with their paths, ONBUILD triggers,
//! named contexts, platforms, parallel levels and the critical path.

use std::collections::BTreeMap;

use buildkit_llb::Platform;

use super::plan_model::{CriticalPath, EdgeKind, PlanBase, PlanEdge, PlanModel, PlanSource};
use super::{Conversion, ConvertOptions, ResolvedImage};
use crate::options::BuildOptions;
use crate::{instructions, syntax};

/// An image with a layer, for `platform`, with `on_build` triggers.
fn image(platform: &Platform, on_build: &[&str]) -> ResolvedImage {
    let config = serde_json::json!({
        "architecture": platform.architecture, "os": platform.os,
        "config": {"OnBuild": on_build},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]},
    });
    ResolvedImage {
        digest: Some(format!("sha256:{}", "1".repeat(64))),
        config: serde_json::to_vec(&config).unwrap_or_default(),
    }
}

fn opts(raw: &[(&str, &str)]) -> ConvertOptions {
    let raw: BTreeMap<String, String> = raw
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let build = BuildOptions::parse(&raw).unwrap();
    ConvertOptions {
        target_platform: build.target_platforms.first().cloned(),
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        build,
        ..Default::default()
    }
}

/// The plan of `df`, with images carrying the `triggers` of their (short) name.
pub(crate) fn plan_with(df: &str, raw: &[(&str, &str)], triggers: &[(&str, &[&str])]) -> PlanModel {
    let opts = opts(raw);
    let ast = syntax::parse(df).unwrap();
    let parsed = instructions::parse_dockerfile(&ast).unwrap();
    let mut conv = Conversion::new(&parsed, ast.escape, &opts).unwrap();
    conv.resolve_with(|(r, p)| {
        let name = r
            .trim_start_matches("docker.io/library/")
            .trim_end_matches(":latest");
        let t = triggers
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[][..], |(_, t)| t);
        Ok(image(p, t))
    })
    .unwrap();
    let model = conv.plan_model();
    conv.lower().unwrap();
    model
}

fn plan(df: &str, raw: &[(&str, &str)]) -> PlanModel {
    plan_with(df, raw, &[])
}

/// A builder → test → production Dockerfile, shared with the CLI's plan tests.
pub(crate) const BUILDER_TEST_PROD: &str =
    include_str!("../../tests/data/builder-test-prod.Dockerfile");

fn pinned(name: &str) -> Option<String> {
    Some(format!(
        "docker.io/library/{name}@sha256:{}",
        "1".repeat(64)
    ))
}

#[test]
fn builder_test_production() {
    let m = plan(BUILDER_TEST_PROD, &[]);
    assert_eq!(m.target, 2);
    assert_eq!(m.platform, "linux/amd64");
    let s = &m.stages;
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].name.as_deref(), Some("builder"));
    assert_eq!(
        s[0].base,
        PlanBase::Image {
            reference: "golang:1.22".into(),
            resolved: pinned("golang:1.22"),
        }
    );
    assert_eq!(s[1].base, PlanBase::Stage(0));
    assert_eq!(
        s.iter().map(|s| s.steps).collect::<Vec<_>>(),
        vec![4, 1, 4],
        "FROM an image counts, FROM a stage does not"
    );
    assert!(s.iter().all(|s| s.needed));
    assert_eq!(s.iter().map(|s| s.line).collect::<Vec<_>>(), vec![1, 6, 9]);
    assert_eq!(
        m.edges,
        vec![
            PlanEdge {
                from: PlanSource::Stage(0),
                to: 1,
                kind: EdgeKind::From,
                onbuild: false,
                paths: vec![],
                dest: None,
                line: 6,
            },
            PlanEdge {
                from: PlanSource::Stage(0),
                to: 2,
                kind: EdgeKind::Copy,
                onbuild: false,
                paths: vec!["/out/app".into()],
                dest: Some("/usr/local/bin/app".into()),
                line: 11,
            },
            PlanEdge {
                from: PlanSource::Stage(1),
                to: 2,
                kind: EdgeKind::Copy,
                onbuild: false,
                paths: vec!["/out/test-report.txt".into()],
                dest: Some("/usr/share/doc/app/".into()),
                line: 12,
            },
        ],
        "the cache mount reads no stage"
    );
    assert_eq!(m.levels, vec![vec![0], vec![1], vec![2]]);
    assert_eq!(
        m.critical_path,
        CriticalPath {
            stages: vec![0, 1, 2],
            steps: 9
        }
    );
    assert_eq!(m.final_copies().count(), 2);
}

#[test]
fn stages_the_target_does_not_need_are_pruned() {
    let m = plan(BUILDER_TEST_PROD, &[("target", "test")]);
    assert_eq!(m.target, 1);
    assert_eq!(
        m.stages.iter().map(|s| s.needed).collect::<Vec<_>>(),
        vec![true, true, false]
    );
    // Still listed, with what they would read.
    assert_eq!(m.edges.len(), 3);
    assert_eq!(m.levels, vec![vec![0], vec![1]]);
    assert_eq!(m.critical_path.stages, vec![0, 1]);
    assert_eq!(m.critical_path.steps, 5);
    // Its base was never resolved.
    assert_eq!(
        m.stages[2].base,
        PlanBase::Image {
            reference: "alpine:3.20".into(),
            resolved: None
        }
    );
    assert_eq!(m.final_copies().count(), 0);
}

#[test]
fn independent_stages_share_a_level_and_the_longest_chain_is_critical() {
    let df = "FROM busybox AS a\nRUN 1\nRUN 2\nRUN 3\nFROM busybox AS b\nRUN 1\nFROM scratch AS unused\nFROM scratch\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n";
    let m = plan(df, &[]);
    assert_eq!(m.levels, vec![vec![0, 1], vec![3]]);
    assert!(!m.stages[2].needed);
    assert_eq!(m.stages[2].base, PlanBase::Scratch);
    assert_eq!(m.stages[3].steps, 2);
    assert_eq!(
        m.critical_path,
        CriticalPath {
            stages: vec![0, 3],
            steps: 6
        }
    );
    assert_eq!(m.stages[3].label(), "stage-3");
}

#[test]
fn run_mounts_from_stages_carry_their_source_to_their_target() {
    let df = "FROM busybox AS deps\nRUN fetch\nFROM busybox\nRUN --mount=type=bind,from=deps,source=/vendor,target=/src/vendor --mount=type=cache,target=/c --mount=from=deps,dst=/all make\n";
    let m = plan(df, &[]);
    let mounts: Vec<(&[String], Option<&str>)> = m
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Mount)
        .map(|e| (e.paths.as_slice(), e.dest.as_deref()))
        .collect();
    assert_eq!(
        mounts,
        vec![
            (&["/vendor".to_string()][..], Some("/src/vendor")),
            (&["/".to_string()][..], Some("/all")),
        ]
    );
    assert_eq!(m.levels, vec![vec![0], vec![1]]);
}

#[test]
fn images_named_by_copy_from_are_sources() {
    let df = "FROM scratch\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx\n";
    let m = plan(df, &[]);
    assert_eq!(
        m.edges[0].from,
        PlanSource::Image {
            reference: "nginx:1.27".into(),
            resolved: pinned("nginx:1.27"),
        }
    );
    assert_eq!(m.levels, vec![vec![0]]);
    assert_eq!(m.final_copies().count(), 1);
}

#[test]
fn onbuild_triggers_of_a_base_stage_are_edges() {
    let df = "FROM busybox AS tools\nRUN make\nFROM busybox AS parent\nONBUILD COPY --from=tools /t /t\nFROM parent\nRUN use\n";
    let m = plan(df, &[]);
    let e: Vec<&PlanEdge> = m.edges.iter().filter(|e| e.onbuild).collect();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].from, PlanSource::Stage(0));
    assert_eq!(e[0].to, 2);
    assert_eq!(e[0].kind, EdgeKind::Copy);
    assert_eq!(e[0].paths, vec!["/t".to_string()]);
    assert_eq!(e[0].line, 5, "at the FROM that runs it");
    assert!(m.stages.iter().all(|s| s.needed));
    // The trigger is a step of the stage built on it.
    assert_eq!(m.stages[2].steps, 2);
    assert_eq!(m.levels, vec![vec![0, 1], vec![2]]);
}

#[test]
fn onbuild_triggers_of_a_base_image_are_edges() {
    let df = "FROM scratch AS tools\nCOPY x /t\nFROM parent\nRUN true\n";
    let m = plan_with(df, &[], &[("parent", &["COPY --from=tools /t /opt/t"])]);
    let e = m.edges.iter().find(|e| e.onbuild).unwrap();
    assert_eq!((e.from.clone(), e.to), (PlanSource::Stage(0), 1));
    assert_eq!(e.dest.as_deref(), Some("/opt/t"));
    assert!(m.stages[0].needed, "needed through the trigger");
    assert_eq!(m.levels, vec![vec![0], vec![1]]);
}

#[test]
fn named_contexts_are_bases_and_sources() {
    let df =
        "FROM scratch AS base\nRUN never\nFROM mylib AS lib\nFROM base\nCOPY --from=lib / /lib\n";
    let m = plan(
        df,
        &[
            ("context:base", "https://example.com/base.tar"),
            ("context:mylib", "https://example.com/lib.tar"),
        ],
    );
    assert_eq!(
        m.stages[0].base,
        PlanBase::Context {
            name: "base".into(),
            input: "https://example.com/base.tar".into(),
        }
    );
    assert_eq!(m.stages[0].steps, 0, "a replaced stage runs nothing");
    assert_eq!(
        m.stages[1].base,
        PlanBase::Context {
            name: "mylib".into(),
            input: "https://example.com/lib.tar".into(),
        }
    );
    assert_eq!(m.stages[2].base, PlanBase::Stage(0));
    assert_eq!(m.levels, vec![vec![0, 1], vec![2]]);
}

#[test]
fn platforms_come_from_from_platform_the_base_stage_or_the_target() {
    let df = "FROM --platform=linux/arm64 busybox AS cross\nRUN x\nFROM cross AS child\nFROM busybox\nCOPY --from=child / /\n";
    let m = plan(df, &[("platform", "linux/s390x")]);
    assert_eq!(m.platform, "linux/s390x");
    let p: Vec<(&str, bool)> = m
        .stages
        .iter()
        .map(|s| (s.platform.as_str(), s.platform_flag))
        .collect();
    assert_eq!(
        p,
        vec![
            ("linux/arm64", true),
            ("linux/arm64", false),
            ("linux/s390x", false)
        ]
    );
}

#[test]
fn a_long_chain_of_stages_is_walked_without_recursion() {
    let mut df = String::from("FROM scratch AS s0\n");
    for i in 1..2000 {
        df.push_str(&format!("FROM s{} AS s{i}\nWORKDIR /w\n", i - 1));
    }
    let m = plan(&df, &[]);
    assert_eq!(m.levels.len(), 2000);
    assert_eq!(m.critical_path.stages.len(), 2000);
    assert_eq!(m.critical_path.steps, 1999);
}
