//! The stage graph end to end, without a daemon: Dockerfile in, LLB progress names, sources
//! and image configs out, checked against what the reference produces.

use crate::options::BuildOptions;
use std::collections::BTreeMap;

use buildkit_llb::{pb, Platform};
use prost::Message;

use super::{convert_with, ConvertOptions, Converted, LocatedError, ResolvedImage};
use crate::{instructions, syntax};

/// An image with a layer, for `platform` (its variant too, as a registry's config states it),
/// with `on_build` triggers.
fn image(platform: &Platform, on_build: &[&str]) -> ResolvedImage {
    let mut config = serde_json::json!({
        "architecture": platform.architecture, "os": platform.os,
        "config": {"OnBuild": on_build},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]},
    });
    if !platform.variant.is_empty() {
        config["variant"] = platform.variant.clone().into();
    }
    ResolvedImage {
        digest: Some(format!("sha256:{}", "1".repeat(64))),
        config: serde_json::to_vec(&config).unwrap_or_default(),
    }
}

pub(super) fn convert(
    df: &str,
    opts: ConvertOptions,
    triggers: &BTreeMap<&str, Vec<&str>>,
) -> Result<Converted, LocatedError> {
    let ast = syntax::parse(df).map_err(|e| LocatedError::new(e.message))?;
    let parsed = instructions::parse_dockerfile(&ast).map_err(|e| LocatedError::new(e.message))?;
    convert_with(&parsed, ast.escape, &opts, |(r, p)| {
        let name = r
            .trim_start_matches("docker.io/library/")
            .trim_end_matches(":latest");
        Ok(image(
            p,
            triggers.get(name).map(Vec::as_slice).unwrap_or_default(),
        ))
    })
}

pub(super) fn amd64() -> ConvertOptions {
    let mut opts = ConvertOptions {
        build_platforms: vec![Platform::new("linux", "amd64", "")],
        ..Default::default()
    };
    opts.context_local = "context".into();
    opts
}

/// The progress names of every op, and the source identifiers.
pub(super) fn names(c: &Converted) -> Vec<String> {
    let def = c.state.marshal().unwrap_or_default();
    let mut out = Vec::new();
    for bytes in &def.def {
        let digest = buildkit_llb::digest_of(bytes);
        if let Some(n) = def
            .metadata
            .get(&digest)
            .and_then(|m| m.description.get("llb.customname"))
        {
            out.push(n.clone());
        }
        if let Ok(pb::Op {
            op: Some(pb::op::Op::Source(s)),
            ..
        }) = pb::Op::decode(bytes.as_slice())
        {
            out.push(s.identifier);
        }
    }
    out
}

#[test]
fn image_triggers_run_first_and_extend_the_graph() {
    let triggers = BTreeMap::from([("parent", vec!["COPY --from=tools /t /t", "RUN echo hi"])]);
    let df = "FROM scratch AS tools\nCOPY x /t\nFROM parent\nRUN true\n";
    let c = convert(df, amd64(), &triggers).unwrap();
    let n = names(&c);
    assert!(
        n.contains(&"[stage-1 2/4] ONBUILD COPY --from=tools /t /t".to_string()),
        "{n:#?}"
    );
    assert!(
        n.contains(&"[stage-1 3/4] ONBUILD RUN echo hi".to_string()),
        "{n:#?}"
    );
    assert!(n.contains(&"[tools 1/1] COPY x /t".to_string()), "{n:#?}");
    // FROM is named before the triggers are counted.
    assert!(
        n.iter()
            .any(|s| s.starts_with("[stage-1 1/2] FROM docker.io/library/parent:latest@sha256:")),
        "{n:#?}"
    );
    assert!(c.image.config.on_build.is_none());
}

#[test]
fn a_stage_only_a_trigger_needs_counts_its_from_twice() {
    // The reference names FROM once per resolve round the stage was not needed in.
    let df = "FROM busybox AS tools\nRUN make\nFROM busybox AS parent\nONBUILD COPY --from=tools /t /t\nFROM parent\n";
    let n = names(&convert(df, amd64(), &BTreeMap::new()).unwrap());
    assert!(
        n.iter().any(|s| s.starts_with("[tools 2/2] FROM ")),
        "{n:#?}"
    );
    assert!(n.contains(&"[tools 3/2] RUN make".to_string()), "{n:#?}");
}

#[test]
fn stage_triggers_are_the_direct_bases_only() {
    let df = "FROM busybox AS a\nONBUILD RUN one\nFROM a AS b\nFROM b\nRUN two\n";
    let c = convert(df, amd64(), &BTreeMap::new()).unwrap();
    let n = names(&c);
    assert_eq!(
        n.iter().filter(|s| s.contains("ONBUILD RUN one")).count(),
        1,
        "{n:#?}"
    );
    assert!(n.contains(&"[b 1/1] ONBUILD RUN one".to_string()), "{n:#?}");
    assert!(n.contains(&"[stage-2 1/1] RUN two".to_string()), "{n:#?}");
    // The target records no triggers it did not declare.
    assert!(c.image.config.on_build.is_none());
    let own = convert("FROM busybox\nONBUILD RUN x\n", amd64(), &BTreeMap::new()).unwrap();
    assert_eq!(own.image.config.on_build, Some(vec!["RUN x".to_string()]));
}

#[test]
fn bad_triggers_are_located_at_from() {
    let triggers = BTreeMap::from([("parent", vec!["FROM x"])]);
    let e = convert("FROM scratch\n\nFROM parent\n", amd64(), &triggers).unwrap_err();
    assert_eq!(e.message, "*instructions.Stage is not a command type");
    assert_eq!(e.location.map(|l| l.start_line), Some(3));
}

#[test]
fn one_state_graphs_have_no_stage_name() {
    let n = names(&convert("FROM busybox\nRUN a\n", amd64(), &BTreeMap::new()).unwrap());
    assert!(n.contains(&"[2/2] RUN a".to_string()), "{n:#?}");
    // A COPY --from of an image adds a state: the stage keeps its `stage-0` name.
    let n = names(
        &convert(
            "FROM busybox\nCOPY --from=alpine /a /a\n",
            amd64(),
            &BTreeMap::new(),
        )
        .unwrap(),
    );
    assert!(
        n.contains(&"[stage-0 2/2] COPY --from=alpine /a /a".to_string()),
        "{n:#?}"
    );
}

#[test]
fn from_names_the_latest_stage_defined_before_it() {
    let df = "FROM busybox AS x\nRUN first\nFROM x AS y\nFROM busybox AS x\nRUN second\nFROM y\nRUN last\n";
    let n = names(&convert(df, amd64(), &BTreeMap::new()).unwrap());
    assert!(n.contains(&"[x 2/2] RUN first".to_string()), "{n:#?}");
    assert!(!n.iter().any(|s| s.contains("second")), "{n:#?}");
}

#[test]
fn graph_errors() {
    let e = |df: &str, opts: ConvertOptions| convert(df, opts, &BTreeMap::new()).unwrap_err();
    let target = ConvertOptions {
        build: BuildOptions {
            target: Some("buidler".into()),
            ..Default::default()
        },
        ..amd64()
    };
    assert_eq!(
        e("FROM busybox AS builder\nFROM busybox\n", target).message,
        "target stage \"buidler\" could not be found (did you mean builder?)"
    );
    let cyc = e(
        "FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n",
        amd64(),
    );
    assert_eq!(cyc.message, "circular dependency detected on stage: a");
    assert_eq!(cyc.location.map(|l| l.start_line), Some(2));
    let later = e(
        "FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nFROM a\n",
        amd64(),
    );
    assert_eq!(
        later.message,
        "cannot copy from stage \"b\", it needs to be defined before current stage \"a\""
    );
    let blank = e("ARG X\nFROM $X\n", amd64());
    assert_eq!(
        (blank.message.as_str(), blank.location.map(|l| l.start_line)),
        ("base name ($X) should not be blank", Some(2))
    );
    let bad = e("FROM Foo\n", amd64());
    assert_eq!(bad.message, "failed to parse stage name \"Foo\": invalid reference format: repository name (library/Foo) must be lowercase");
    assert_eq!(
        e("FROM busybox\nCOPY --from=7 /a /a\n", amd64()).message,
        "invalid stage index 7"
    );
    assert!(e("FROM --platform=$NOPE busybox\n", amd64())
        .message
        .starts_with("empty platform value from expression $NOPE"));
}

#[test]
fn platform_names_and_args_per_target() {
    let arm = Platform::new("linux", "arm64", "");
    let opts = ConvertOptions {
        build: BuildOptions {
            multi_platform: true,
            ..Default::default()
        },
        target_platform: Some(arm.clone()),
        ..amd64()
    };
    let df = "FROM --platform=$BUILDPLATFORM busybox AS build\nARG TARGETARCH\nRUN echo $TARGETARCH\nFROM busybox\nARG TARGETPLATFORM\nCOPY --from=build /a /a\nRUN echo $TARGETPLATFORM\n";
    let c = convert(df, opts, &BTreeMap::new()).unwrap();
    let n = names(&c);
    assert!(
        n.contains(&"[linux/amd64->arm64 build 2/2] RUN echo arm64".to_string()),
        "{n:#?}"
    );
    assert!(
        n.contains(&"[linux/arm64 stage-1 3/3] RUN echo linux/arm64".to_string()),
        "{n:#?}"
    );
    assert!(
        n.iter()
            .any(|s| s.starts_with("[linux/amd64 build 1/2] FROM ")),
        "{n:#?}"
    );
    assert_eq!(
        (c.image.os.as_str(), c.image.architecture.as_str()),
        ("linux", "arm64")
    );
}

#[test]
fn named_contexts_replace_from_and_stages() {
    let contexts = BTreeMap::from([
        ("alpine".to_string(), "docker-image://scratch".to_string()),
        (
            "deps".to_string(),
            "https://example.com/deps.tar".to_string(),
        ),
    ]);
    let opts = ConvertOptions {
        build: BuildOptions {
            named_contexts: contexts,
            ..Default::default()
        },
        ..amd64()
    };
    let df =
        "FROM busybox AS deps\nRUN exit 1\nFROM alpine:latest\nCOPY --from=deps /context /deps\n";
    let n = names(&convert(df, opts, &BTreeMap::new()).unwrap());
    assert!(
        n.contains(&"[context deps] https://example.com/deps.tar".to_string()),
        "{n:#?}"
    );
    assert!(
        !n.iter()
            .any(|s| s.contains("exit 1") || s.contains("busybox")),
        "{n:#?}"
    );
}

#[test]
fn onbuild_loops_are_cut_off() {
    // Each image's trigger copies from the other image: new pseudo-stages every round.
    let triggers = BTreeMap::from([
        ("a", vec!["COPY --from=b /x /x"]),
        ("b", vec!["COPY --from=a /x /x"]),
    ]);
    let e = convert("FROM a\n", amd64(), &triggers).unwrap_err();
    assert!(
        e.message.contains("ONBUILD triggers kept adding stages"),
        "{}",
        e.message
    );
}

#[test]
fn os_version_of_the_target_platform_reaches_args_names_and_config() {
    let win = Platform::parse("windows(10.0.20348.1006)/amd64").unwrap_or_else(|e| panic!("{e}"));
    let opts = ConvertOptions {
        build: BuildOptions {
            multi_platform: true,
            ..Default::default()
        },
        target_platform: Some(win),
        ..amd64()
    };
    let df = "FROM scratch\nARG TARGETOSVERSION\nARG TARGETPLATFORM\nARG BUILDPLATFORM\nENV V=$TARGETOSVERSION P=$TARGETPLATFORM B=$BUILDPLATFORM\n";
    let c = convert(df, opts, &BTreeMap::new()).unwrap();
    let env = c.image.config.env.clone().unwrap_or_default();
    assert!(env.contains(&"V=10.0.20348.1006".to_string()), "{env:?}");
    assert!(
        env.contains(&"P=windows(10.0.20348.1006)/amd64".to_string()),
        "{env:?}"
    );
    assert!(env.contains(&"B=linux/amd64".to_string()), "{env:?}");
    assert_eq!(c.image.os_version.as_deref(), Some("10.0.20348.1006"));
    assert_eq!(
        (c.image.os.as_str(), c.image.architecture.as_str()),
        ("windows", "amd64")
    );
}

#[test]
fn all_stages_lowers_the_stages_the_target_does_not_need() {
    let df = "FROM busybox AS unused\nWORKDIR ${X:?must be set}\nFROM scratch\nENV A=1\n";
    assert!(convert(df, amd64(), &BTreeMap::new()).is_ok());
    let all = ConvertOptions {
        all_stages: true,
        ..amd64()
    };
    let err = convert(df, all, &BTreeMap::new()).unwrap_err();
    assert!(err.message.contains("must be set"), "{err:?}");
    assert_eq!(err.location.map(|l| l.start_line), Some(2));
}

/// Each op that carries a platform (image sources and execs): its source identifier (or
/// `exec`) and the platform as `os/arch[/variant]`.
fn op_platforms(c: &Converted) -> Vec<(String, String)> {
    let def = c.state.marshal().unwrap_or_default();
    let mut out = Vec::new();
    for bytes in &def.def {
        let Ok(op) = pb::Op::decode(bytes.as_slice()) else {
            continue;
        };
        let Some(p) = &op.platform else { continue };
        let what = match &op.op {
            Some(pb::op::Op::Source(s)) => s.identifier.clone(),
            Some(pb::op::Op::Exec(_)) => "exec".to_string(),
            _ => "other".to_string(),
        };
        out.push((what, Platform::from_pb(p).to_string()));
    }
    out
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// dockerfile2llb parses `FROM --platform` with containerd's `platforms.Parse` and does not
/// normalise it (convert.go `p, err := platforms.Parse(platMatch.Result)`): the image source
/// is asked for the platform as written, FROM/COPY/WORKDIR progress names show it, while the
/// LLB state (Go's `llb` normalises a state's platform) gives RUN its platform and its name.
/// Checked against BuildKit v0.34.2 (bench/ref-dockerfile2llb -multi-platform).
#[test]
fn from_platform_is_kept_as_written_and_runs_get_it_normalised() {
    let amd = Platform::parse("linux/amd64").unwrap();
    let opts = ConvertOptions {
        build: BuildOptions {
            multi_platform: true,
            ..Default::default()
        },
        target_platform: Some(amd),
        ..amd64()
    };
    let df = "FROM --platform=linux/arm64/v8 busybox AS a\nARG TARGETPLATFORM\nRUN echo $TARGETPLATFORM\nWORKDIR /w\nCOPY x /x\n\nFROM --platform=linux/arm alpine AS b\nRUN true\n\nFROM scratch\nCOPY --from=a /x /y\nCOPY --from=b /x /z\nRUN true\n";
    let c = convert(df, opts, &BTreeMap::new()).unwrap();
    let busybox = format!(
        "docker-image://docker.io/library/busybox:latest@sha256:{}",
        "1".repeat(64)
    );
    let alpine = format!(
        "docker-image://docker.io/library/alpine:latest@sha256:{}",
        "1".repeat(64)
    );
    assert_eq!(
        op_platforms(&c),
        pairs(&[
            (&busybox, "linux/arm64/v8"),
            ("exec", "linux/arm64"),
            (&alpine, "linux/arm"),
            ("exec", "linux/arm/v7"),
            // A scratch stage's state has no platform: the definition's default, the target.
            ("exec", "linux/amd64"),
        ])
    );
    let n = names(&c);
    for name in [
        "[linux/arm64/v8 a 1/4] FROM docker.io/library/busybox:latest@sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "[linux/arm64->amd64 a 2/4] RUN echo linux/amd64",
        "[linux/arm64/v8->amd64 a 3/4] WORKDIR /w",
        "[linux/arm64/v8->amd64 a 4/4] COPY x /x",
        "[linux/arm b 1/2] FROM docker.io/library/alpine:latest@sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "[linux/arm/v7 b 2/2] RUN true",
        "[linux/amd64 stage-2 1/3] COPY --from=a /x /y",
        // No platform in the name of a RUN on scratch (its state has none).
        "[stage-2 3/3] RUN true",
    ] {
        assert!(n.contains(&name.to_string()), "{name}\n{n:#?}");
    }
}

/// The spellings of `FROM --platform` and of the `platform` option, each as the reference
/// reads it: the option normalised (dockerui's `parsePlatforms`: TARGETPLATFORM,
/// TARGETVARIANT), `FROM --platform` as `platforms.Parse` leaves it (the image source's
/// platform), the RUN's platform normalised; the image config normalised at the end.
#[test]
fn from_platform_spellings_against_target_options() {
    let cases: &[(&str, Option<&str>, &str, &str, &str)] = &[
        // (FROM --platform, target option, image source, exec, RUN's `$TARGETVARIANT $TARGETPLATFORM`)
        (
            "linux/arm64/v8",
            None,
            "linux/arm64/v8",
            "linux/arm64",
            " linux/amd64",
        ),
        (
            "linux/arm64",
            None,
            "linux/arm64",
            "linux/arm64",
            " linux/amd64",
        ),
        (
            "linux/arm",
            None,
            "linux/arm",
            "linux/arm/v7",
            " linux/amd64",
        ),
        (
            "linux/arm/v6",
            None,
            "linux/arm/v6",
            "linux/arm/v6",
            " linux/amd64",
        ),
        (
            "linux/arm/v7",
            None,
            "linux/arm/v7",
            "linux/arm/v7",
            " linux/amd64",
        ),
        (
            "linux/amd64/v2",
            None,
            "linux/amd64/v2",
            "linux/amd64/v2",
            " linux/amd64",
        ),
        (
            "linux/amd64/v3",
            None,
            "linux/amd64/v3",
            "linux/amd64/v3",
            " linux/amd64",
        ),
        ("linux/386", None, "linux/386", "linux/386", " linux/amd64"),
        (
            "windows/amd64",
            None,
            "windows/amd64",
            "windows/amd64",
            " linux/amd64",
        ),
        (
            "darwin/arm64",
            None,
            "darwin/arm64",
            "darwin/arm64",
            " linux/amd64",
        ),
        (
            "linux/ARM64/V8",
            None,
            "linux/arm64/v8",
            "linux/arm64",
            " linux/amd64",
        ),
        (
            "linux/arm64/8",
            None,
            "linux/arm64/v8",
            "linux/arm64",
            " linux/amd64",
        ),
        (
            "linux/aarch64",
            None,
            "linux/arm64",
            "linux/arm64",
            " linux/amd64",
        ),
        ("armhf", None, "linux/arm", "linux/arm/v7", " linux/amd64"),
        (
            "armel",
            None,
            "linux/arm/v6",
            "linux/arm/v6",
            " linux/amd64",
        ),
        (
            "linux/x86_64/v1",
            None,
            "linux/amd64",
            "linux/amd64",
            " linux/amd64",
        ),
        (
            "linux/arm64/v9.0",
            None,
            "linux/arm64/v9",
            "linux/arm64/v9",
            " linux/amd64",
        ),
        // The option is normalised: linux/arm64/v8 is linux/arm64, linux/arm is linux/arm/v7.
        (
            "$TARGETPLATFORM",
            Some("linux/arm64/v8"),
            "linux/arm64",
            "linux/arm64",
            " linux/arm64",
        ),
        (
            "$TARGETPLATFORM",
            Some("linux/arm"),
            "linux/arm/v7",
            "linux/arm/v7",
            "v7 linux/arm/v7",
        ),
        (
            "$TARGETPLATFORM",
            Some("linux/arm/v6"),
            "linux/arm/v6",
            "linux/arm/v6",
            "v6 linux/arm/v6",
        ),
        (
            "$BUILDPLATFORM",
            Some("linux/arm"),
            "linux/amd64",
            "linux/amd64",
            "v7 linux/arm/v7",
        ),
        (
            "linux/arm64/v8",
            Some("linux/arm"),
            "linux/arm64/v8",
            "linux/arm64",
            "v7 linux/arm/v7",
        ),
        (
            "linux/arm",
            Some("linux/arm64/v8"),
            "linux/arm",
            "linux/arm/v7",
            " linux/arm64",
        ),
    ];
    for &(from, target, source, exec, echoed) in cases {
        let opts = ConvertOptions {
            target_platform: target.map(|t| Platform::parse(t).unwrap()),
            ..amd64()
        };
        let df = format!(
            "FROM --platform={from} busybox\nARG TARGETVARIANT\nARG TARGETPLATFORM\nRUN echo $TARGETVARIANT $TARGETPLATFORM\n"
        );
        let c = convert(&df, opts, &BTreeMap::new()).unwrap_or_else(|e| panic!("{from}: {e:?}"));
        let got = op_platforms(&c);
        let what = format!("FROM --platform={from}, target {target:?}: {got:?}");
        assert_eq!(got.len(), 2, "{what}");
        assert_eq!(got[0].1, source, "{what}");
        assert_eq!(got[1], ("exec".to_string(), exec.to_string()), "{what}");
        let n = names(&c);
        assert!(
            n.contains(&format!("[2/2] RUN echo {echoed}")),
            "{what}: {n:#?}"
        );
        // The image config: the target's when one was asked for, else the base image's
        // (the platform asked for), normalised either way.
        let want = match target {
            Some(t) => Platform::parse(t).unwrap(),
            None => Platform::parse(source).unwrap(),
        };
        assert_eq!(
            (
                c.image.os.as_str(),
                c.image.architecture.as_str(),
                c.image.variant.as_deref().unwrap_or("")
            ),
            (
                want.os.as_str(),
                want.architecture.as_str(),
                want.variant.as_str()
            ),
            "{what}"
        );
    }
}

/// An image without layers is `llb.Scratch()` in the reference: the stage's state has no
/// platform, so its RUN runs on the target platform and its name shows none, while
/// COPY's name shows the platform FROM asked for.
#[test]
fn a_stage_on_an_empty_image_runs_on_the_target_platform() {
    let df = "FROM --platform=linux/arm64/v8 empty\nCOPY a /a\nRUN true\n";
    let ast = syntax::parse(df).unwrap();
    let parsed = instructions::parse_dockerfile(&ast).unwrap();
    let opts = ConvertOptions {
        build: BuildOptions {
            multi_platform: true,
            ..Default::default()
        },
        target_platform: Some(Platform::parse("linux/amd64").unwrap()),
        ..amd64()
    };
    let c = convert_with(&parsed, ast.escape, &opts, |(_, p)| {
        let config = serde_json::json!({
            "architecture": p.architecture, "os": p.os, "variant": p.variant,
            "rootfs": {"type": "layers"},
        });
        Ok(ResolvedImage {
            digest: None,
            config: serde_json::to_vec(&config).unwrap_or_default(),
        })
    })
    .unwrap();
    assert_eq!(op_platforms(&c), pairs(&[("exec", "linux/amd64")]));
    let n = names(&c);
    // (FROM counts as a step though it names no op, as in the reference.)
    assert!(
        n.contains(&"[linux/arm64/v8 1/3] COPY a /a".to_string()),
        "{n:#?}"
    );
    assert!(n.contains(&"[2/3] RUN true".to_string()), "{n:#?}");
}

/// A stage replaced by a named context whose source has no platform (http here; local and
/// git alike): Go's state has none, so a stage built on it runs on the target platform and
/// its RUN's name shows none, while COPY's shows the stage's `FROM --platform`.
#[test]
fn a_stage_on_a_context_without_a_platform_runs_on_the_target_platform() {
    let opts = ConvertOptions {
        build: BuildOptions {
            named_contexts: BTreeMap::from([(
                "deps".to_string(),
                "https://example.com/deps.tar".to_string(),
            )]),
            multi_platform: true,
            ..Default::default()
        },
        target_platform: Some(Platform::parse("linux/amd64").unwrap()),
        ..amd64()
    };
    let df =
        "FROM --platform=linux/arm64/v8 busybox AS deps\nFROM deps AS child\nCOPY a /a\nRUN true\n";
    let c = convert(df, opts, &BTreeMap::new()).unwrap();
    assert_eq!(op_platforms(&c), pairs(&[("exec", "linux/amd64")]));
    let n = names(&c);
    for name in [
        "[linux/arm64/v8 child 1/2] COPY a /a",
        "[child 2/2] RUN true",
    ] {
        assert!(n.contains(&name.to_string()), "{name}\n{n:#?}");
    }
}
