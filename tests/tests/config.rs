//! The image config and history: each Dockerfile is built to an image through the frontend under
//! test and through BuildKit's built-in frontend (the reference), and the two configs pushed to
//! the registry are compared whole, except `created` timestamps and layer digests (RUN steps
//! write files with different times).
#![allow(clippy::panic)]

use e2e::{env, image_name, nonce, Build, Context, Frontend, Value};

/// The config with what legitimately differs between two builds removed.
fn normalized(mut config: Value) -> Value {
    if let Some(o) = config.as_object_mut() {
        o.remove("created");
        if let Some(rootfs) = o.get_mut("rootfs").and_then(Value::as_object_mut) {
            rootfs.remove("diff_ids");
        }
        if let Some(history) = o.get_mut("history").and_then(Value::as_array_mut) {
            for h in history {
                if let Some(h) = h.as_object_mut() {
                    h.remove("created");
                }
            }
        }
    }
    config
}

/// Builds `dockerfile` to an image with both frontends (with `opts` applied to both), asserts
/// the normalized configs are equal and returns ours.
#[track_caller]
fn same_config(name: &str, dockerfile: &str, opts: impl Fn(Build<'_>) -> Build<'_>) -> Value {
    let ctx = Context::with_dockerfile(name, dockerfile);
    ctx.write("a", "A\n");
    let ours_name = image_name(&format!("{name}-ours"));
    let ref_name = image_name(&format!("{name}-ref"));
    let ours = opts(ctx.build().output_image(&ours_name)).run();
    ours.assert_ok();
    let reference = opts(
        ctx.build()
            .frontend(Frontend::Builtin)
            .output_image(&ref_name),
    )
    .run();
    reference.assert_ok();
    let (a, b) = (
        normalized(ours.image().config),
        normalized(reference.image().config),
    );
    if a != b {
        let pretty = |v: &Value| serde_json_pretty(v);
        panic!(
            "the image configs differ\nours:\n{}\nreference:\n{}",
            pretty(&a),
            pretty(&b)
        );
    }
    a
}

fn serde_json_pretty(v: &Value) -> String {
    // Value's Display is compact JSON; one field per line is easier to diff by eye.
    let s = v.to_string();
    s.replace(",\"", ",\n\"")
}

#[test]
fn every_config_instruction_matches_the_reference() {
    let base = &env().base_image;
    let df = format!(
        "FROM {base}\n\
         MAINTAINER someone <a@b.c>\n\
         ENV A=1 B=\"two words\"\n\
         ENV C=$A-x PATH=/custom:$PATH\n\
         LABEL version=\"1.0\" \"with space\"=yes multi=a\\ b\n\
         LABEL version=2\n\
         EXPOSE 80 443/tcp 53/udp 8000-8002 ${{A}}0\n\
         VOLUME /data [\"/logs\", \"/cache\"]\n\
         VOLUME $A\n\
         STOPSIGNAL SIGTERM\n\
         USER nobody:nobody\n\
         WORKDIR /srv\n\
         WORKDIR sub/$A\n\
         USER root\n\
         SHELL [\"/bin/sh\", \"-e\", \"-c\"]\n\
         CMD echo $A\n\
         ENTRYPOINT [\"/bin/sh\", \"-c\"]\n\
         HEALTHCHECK --interval=30s --timeout=5s --start-period=1m --start-interval=2s --retries=3 CMD wget -q http://localhost/ || exit 1\n\
         ONBUILD RUN echo onbuild\n\
         ONBUILD COPY a /a\n\
         COPY a /a\n\
         ADD a /b\n\
         COPY --chown=1:2 --chmod=755 a /c\n\
         COPY --parents a /p/\n\
         COPY --link a /l\n\
         COPY <<EOF /doc\n\
         doc $A\n\
         EOF\n\
         WORKDIR /abs/dir/\n\
         ARG V=1\n\
         RUN true\n"
    );
    let cfg = same_config("config-all", &df, |b| b);
    let c = &cfg["config"];
    assert_eq!(
        c["Cmd"],
        serde_json::json!(["/bin/sh", "-e", "-c", "echo $A"])
    );
    assert_eq!(
        c["WorkingDir"], "/abs/dir/",
        "an absolute WORKDIR is kept as written"
    );
}

#[test]
fn entrypoint_resets_cmd_unless_the_stage_set_it() {
    let base = &env().base_image;
    let df = format!(
        "FROM {base} AS base\n\
         CMD [\"base-cmd\"]\n\
         FROM base AS child\n\
         ENTRYPOINT [\"/e\"]\n\
         FROM base AS both\n\
         CMD [\"c\"]\n\
         ENTRYPOINT /shell-form arg\n\
         FROM both AS last\n\
         HEALTHCHECK NONE\n\
         STOPSIGNAL 9\n"
    );
    let child = same_config("entrypoint-child", &df, |b| b.target("child"));
    assert!(
        child["config"].get("Cmd").is_none_or(Value::is_null),
        "ENTRYPOINT clears the inherited CMD: {child}"
    );
    let both = same_config("entrypoint-both", &df, |b| b.target("both"));
    assert_eq!(both["config"]["Cmd"], serde_json::json!(["c"]));
    let last = same_config("entrypoint-last", &df, |b| b.target("last"));
    assert_eq!(
        last["config"]["Healthcheck"]["Test"],
        serde_json::json!(["NONE"])
    );
}

#[test]
fn args_runs_and_build_options_in_history() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "ARG GLOBAL=g\n\
         ARG OVR=global\n\
         FROM {base}\n\
         ARG GLOBAL\n\
         ARG OVR\n\
         ARG FROMCLI\n\
         ARG LOCAL=l-$GLOBAL UNSET\n\
         RUN echo {n} $LOCAL\n\
         ENV E=$OVR\n\
         RUN echo $E > /e\n\
         LABEL from.dockerfile=1\n"
    );
    let cfg = same_config("args-history", &df, |b| {
        b.build_arg("FROMCLI", "cli")
            .build_arg("OVR", "override")
            .opt("label:from.opt", "2")
    });
    assert_eq!(cfg["config"]["Labels"]["from.opt"], "2");
}

#[test]
fn scratch_and_platform_configs() {
    let df = "FROM scratch\nCOPY a /a\nENV X=1\nCMD [\"/a\"]\n";
    let cfg = same_config("scratch", df, |b| b);
    assert_eq!(
        cfg["config"]["Env"][0],
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    );
    let cfg = same_config("scratch-arm", df, |b| b.opt("platform", "linux/arm64"));
    assert_eq!(cfg["architecture"], "arm64");
    let base = &env().base_image;
    let cfg = same_config(
        "stage-chain",
        &format!("FROM {base} AS a\nWORKDIR /x\nUSER 1:2\nFROM a\nWORKDIR y\nRUN pwd\n"),
        |b| b,
    );
    assert_eq!(cfg["config"]["WorkingDir"], "/x/y");
}

#[test]
fn configs_inherited_from_a_base_image_match() {
    let base = &env().base_image;
    let n = nonce();
    // A base image using every config field, built and pushed with the reference.
    let parent = image_name("config-parent");
    let parent_df = format!(
        "FROM {base}\n\
         ENV P1=one P2=two\n\
         LABEL parent.label=p\n\
         EXPOSE 1234/udp\n\
         VOLUME /pvol\n\
         USER nobody\n\
         WORKDIR /pwork\n\
         SHELL [\"/bin/sh\", \"-xc\"]\n\
         HEALTHCHECK --interval=5s CMD true\n\
         STOPSIGNAL SIGINT\n\
         ENTRYPOINT [\"/bin/echo\"]\n\
         CMD [\"{n}\"]\n"
    );
    let ctx = Context::with_dockerfile("config-parent", &parent_df);
    ctx.build()
        .frontend(Frontend::Builtin)
        .output_image(&parent)
        .run()
        .assert_ok();
    let child = format!(
        "FROM {parent}\n\
         ENV P2=changed C=$P1\n\
         LABEL child.label=c\n\
         EXPOSE 80\n\
         RUN pwd > /tmp/where\n\
         WORKDIR sub\n\
         CMD shell form\n"
    );
    let cfg = same_config("config-child", &child, |b| b);
    let c = &cfg["config"];
    assert_eq!(c["WorkingDir"], "/pwork/sub");
    assert_eq!(c["User"], "nobody");
    assert_eq!(
        c["Cmd"],
        serde_json::json!(["/bin/sh", "-xc", "shell form"]),
        "the inherited SHELL wraps CMD"
    );
    assert!(
        cfg["history"].as_array().is_some_and(|h| h.len() > 12),
        "the base's history is kept: {cfg}"
    );
    // A child stage of a stage: the same rules without a registry round trip.
    let staged = format!("FROM {parent} AS p\nENV S=1\nFROM p\nENTRYPOINT [\"/e\"]\n");
    let cfg = same_config("config-staged", &staged, |b| b);
    assert!(
        cfg["config"].get("Cmd").is_none(),
        "ENTRYPOINT in a new stage clears the inherited CMD: {cfg}"
    );
}
