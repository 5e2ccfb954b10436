//! Image-config instructions lowered end to end (Dockerfile → config, history and the exec
//! op's meta), checked against what BuildKit's dockerfile2llb v0.34.2 produces.

use crate::options::BuildOptions;
use buildkit_llb::pb;
use prost::Message;

use super::super::{convert_with, ConvertOptions, Converted, ResolvedImage};

fn convert(df: &str) -> Converted {
    let ast = crate::syntax::parse(df).expect("parses");
    let parsed = crate::instructions::parse_dockerfile(&ast).expect("instructions");
    let opts = ConvertOptions {
        build: BuildOptions {
            context_local: "context".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    convert_with(&parsed, ast.escape, &opts, |(_, p)| {
        let config = serde_json::json!({"architecture": p.architecture, "os": p.os, "config": {}, "rootfs": {"type": "layers", "diff_ids": ["sha256:00"]}});
        Ok(ResolvedImage {
            digest: None,
            config: serde_json::to_vec(&config).unwrap_or_default(),
        })
    })
    .expect("converts")
}

fn history(c: &Converted) -> Vec<&str> {
    c.image
        .history
        .iter()
        .filter_map(|h| h.created_by.as_deref())
        .collect()
}

/// The working directory of each RUN, in Dockerfile order.
fn run_cwds(c: &Converted) -> Vec<String> {
    let def = c.state.marshal().expect("marshal");
    // Ops are written inputs first, so a chain of RUNs comes out in order.
    def.def
        .iter()
        .filter_map(|b| match pb::Op::decode(b.as_slice()).ok()?.op? {
            pb::op::Op::Exec(e) => e.meta.map(|m| m.cwd),
            _ => None,
        })
        .collect()
}

#[test]
fn env_pairs_expand_against_the_environment_before_the_instruction() {
    // The Dockerfile reference's own example: def is hello, not bye.
    let c = convert(
        "FROM busybox\nENV abc=hello\nENV abc=bye def=$abc\nENV x=1 y=$x z=${def}\nRUN echo $def\n",
    );
    let env = c.image.env();
    assert!(env.contains(&"abc=bye".to_string()), "{env:?}");
    assert!(env.contains(&"def=hello".to_string()), "{env:?}");
    assert!(env.contains(&"y=".to_string()), "{env:?}");
    assert!(env.contains(&"z=hello".to_string()), "{env:?}");
    assert_eq!(
        &history(&c)[1..3],
        ["ENV abc=bye def=hello", "ENV x=1 y= z=hello"]
    );
}

#[test]
fn label_pairs_see_the_env_and_arg_pairs_see_earlier_pairs() {
    // LABEL never changes the environment; ARG is applied pair by pair in the reference
    // (each default expanded after the previous one is set).
    let c = convert("FROM busybox\nENV abc=hi\nLABEL l1=$abc l2=q\nARG a1=1 a2=$a1\n");
    let labels = c.image.config.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("l1").map(String::as_str), Some("hi"));
    assert_eq!(history(&c)[2], "ARG a1=1 a2=1");
}

#[test]
fn workdir_expanding_to_nothing_keeps_the_directory_as_written() {
    let c = convert(
        "FROM busybox\nWORKDIR /a/\nWORKDIR $empty\nRUN pwd\nWORKDIR b/\nRUN pwd\nWORKDIR /c/./d/\nWORKDIR ${empty}\nRUN pwd\nWORKDIR .\nRUN pwd\n",
    );
    assert_eq!(
        history(&c),
        [
            "WORKDIR /a/",
            "WORKDIR /a/",
            "RUN /bin/sh -c pwd # buildkit",
            "WORKDIR /a/b",
            "RUN /bin/sh -c pwd # buildkit",
            "WORKDIR /c/./d/",
            "WORKDIR /c/./d/",
            "RUN /bin/sh -c pwd # buildkit",
            "WORKDIR /c/d",
            "RUN /bin/sh -c pwd # buildkit",
        ]
    );
    assert_eq!(run_cwds(&c), ["/a/", "/a/b", "/c/./d/", "/c/d"]);
    assert_eq!(c.image.config.working_dir.as_deref(), Some("/c/d"));
}

#[test]
fn workdir_relative_to_a_relative_or_empty_base_directory() {
    // A base image's relative WorkingDir is taken from the root; an empty WORKDIR then
    // keeps that joined path.
    let mut st = super::StageState::new(
        buildkit_llb::State::scratch(),
        crate::image::Image::default(),
        None,
        buildkit_llb::Platform::new("linux", "amd64", ""),
    );
    st.image.config.working_dir = Some("rel/".into());
    st.set_workdir("");
    assert_eq!(st.dir, "/rel");
    st.set_workdir("x/../y/");
    assert_eq!(st.dir, "/rel/y");
    st.image.config.working_dir = None;
    st.set_workdir("");
    assert_eq!(st.dir, "/");
}
