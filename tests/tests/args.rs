//! ARG scoping (global ARGs, stage ARGs, build args, ENV over ARG) and the stage-level errors
//! (unknown target or stage, blank base name, bad platform, copies from later stages, cycles),
//! worded and located like the reference's.
#![allow(clippy::panic)]

use e2e::{env, image_name, nonce, Context};

/// Builds `df` and returns the local output's `/out` file.
#[track_caller]
fn out(name: &str, df: &str, args: &[(&str, &str)]) -> String {
    let ctx = Context::with_dockerfile(name, df);
    let mut b = ctx.build().output_local();
    for (k, v) in args {
        b = b.build_arg(k, v);
    }
    let res = b.run();
    res.assert_ok();
    res.read_output("out")
}

#[test]
fn global_args_need_redeclaring_in_a_stage() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "ARG G=global\nARG H=other\nFROM {base}\nARG G\nRUN echo {n} && echo \"G=$G H=[$H]\" > /out\n"
    );
    assert_eq!(out("args-global", &df, &[]).trim(), "G=global H=[]");
    // A build arg overrides the global default, also for the redeclared ARG.
    assert_eq!(
        out("args-global-override", &df, &[("G", "cli")]).trim(),
        "G=cli H=[]"
    );
}

#[test]
fn stage_arg_defaults_build_args_and_env() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "FROM {base}\n\
         ARG A=one\n\
         ARG B=${{A}}-two\n\
         ARG C=argval\n\
         ENV C=envval\n\
         RUN echo {n} && echo \"A=$A B=$B C=$C\" > /out\n"
    );
    assert_eq!(
        out("args-stage", &df, &[]).trim(),
        "A=one B=one-two C=envval"
    );
    assert_eq!(
        out(
            "args-stage-cli",
            &df,
            &[("A", "x"), ("C", "cli"), ("UNUSED", "1")]
        )
        .trim(),
        "A=x B=x-two C=envval"
    );
}

#[test]
fn arg_values_reach_run_but_not_the_image_env() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "FROM {base}\nARG SECRETISH=default\nENV KEPT=yes\nRUN echo {n} && test \"$SECRETISH\" = fromcli\n"
    );
    let ctx = Context::with_dockerfile("args-image-env", &df);
    let name = image_name("args-image-env");
    let res = ctx
        .build()
        .build_arg("SECRETISH", "fromcli")
        .output_image(&name)
        .run();
    res.assert_ok();
    let image = res.image();
    let env_list = image.container_config()["Env"].to_string();
    assert!(env_list.contains("KEPT=yes"), "{env_list}");
    assert!(!env_list.contains("SECRETISH"), "{env_list}");
    let history = image.config["history"].to_string();
    assert!(
        history.contains("|1 SECRETISH=fromcli /bin/sh -c"),
        "the RUN history lists the ARG: {history}"
    );
}

#[test]
fn target_stage_arg_and_duplicate_stage_names() {
    let base = &env().base_image;
    let n = nonce();
    // The later of two stages with one name wins for --target and COPY --from; FROM names the
    // latest defined before it.
    let df = format!(
        "FROM {base} AS dup\nRUN echo first > /v\n\
         FROM dup AS child\nRUN cat /v > /child\n\
         FROM {base} AS dup\nRUN echo second > /v\n\
         FROM {base} AS final\nARG TARGETSTAGE\nCOPY --from=dup /v /v\nCOPY --from=child /child /child\n\
         RUN echo {n} && echo $TARGETSTAGE > /stage\n"
    );
    let ctx = Context::with_dockerfile("args-dup", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("v").trim(), "second");
    assert_eq!(res.read_output("child").trim(), "first");
    assert_eq!(res.read_output("stage").trim(), "final");
    let res = ctx.build().target("dup").output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("v").trim(), "second");
}

#[test]
fn unknown_target_suggests_a_stage() {
    let ctx = Context::with_dockerfile(
        "args-target",
        "FROM scratch AS builder\nFROM scratch AS final\n",
    );
    ctx.build()
        .target("buidler")
        .run()
        .assert_failed()
        .assert_stderr_contains(&[
            "target stage \"buidler\" could not be found (did you mean builder?)",
        ]);
}

#[test]
fn unknown_base_suggests_a_stage_and_names_the_from_line() {
    let ctx = Context::with_dockerfile(
        "args-unknown-base",
        "FROM scratch AS builder\nCOPY x /x\nFROM buildr\n",
    );
    ctx.write("x", "x");
    ctx.build().run().assert_failed().assert_stderr_contains(&[
        "error: ",
        "buildr: ",
        "(did you mean builder?)",
        ">>> FROM buildr",
    ]);
}

#[test]
fn blank_base_name_is_an_error() {
    let ctx = Context::with_dockerfile("args-blank", "ARG IMG\nFROM $IMG\n");
    ctx.build()
        .run()
        .assert_failed()
        .assert_stderr_contains(&["base name ($IMG) should not be blank", ">>> FROM $IMG"]);
}

#[test]
fn invalid_platform_in_from_is_an_error() {
    let ctx = Context::with_dockerfile("args-platform", "ARG P=nope\nFROM --platform=$P scratch\n");
    ctx.build().run().assert_failed().assert_stderr_contains(&[
        "failed to parse platform $P: \"nope\": unknown operating system or architecture: invalid argument",
        ">>> FROM --platform=$P scratch",
    ]);
    let ctx = Context::with_dockerfile("args-platform-empty", "FROM --platform=$NOPE scratch\n");
    ctx.build()
        .run()
        .assert_failed()
        .assert_stderr_contains(&["empty platform value from expression $NOPE"]);
}

#[test]
fn copy_from_a_later_stage_is_an_error() {
    let ctx = Context::with_dockerfile(
        "args-later",
        "FROM scratch AS first\nCOPY --from=later /x /x\nFROM scratch AS later\nCOPY x /x\nFROM first\n",
    );
    ctx.write("x", "x");
    ctx.build().run().assert_failed().assert_stderr_contains(&[
        "cannot copy from stage \"later\", it needs to be defined before current stage \"first\"",
        ">>> COPY --from=later /x /x",
    ]);
}

#[test]
fn cycles_are_errors() {
    let ctx = Context::with_dockerfile("args-self", "FROM scratch AS a\nCOPY --from=a /x /x\n");
    ctx.build().run().assert_failed().assert_stderr_contains(&[
        "circular dependency detected on stage: a",
        ">>> COPY --from=a /x /x",
    ]);
    let ctx = Context::with_dockerfile(
        "args-cycle",
        "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY --from=a /y /y\n",
    );
    ctx.build()
        .run()
        .assert_failed()
        .assert_stderr_contains(&["circular dependency detected on stage: a"]);
}

#[test]
fn unreachable_stages_are_not_resolved() {
    // An image that does not exist, in a stage nothing needs: never looked up.
    let base = &env().base_image;
    let df = format!(
        "FROM {}/does-not-exist-{} AS unused\nFROM {base}\nRUN true\n",
        env().registry,
        nonce()
    );
    Context::with_dockerfile("args-unreachable", &df)
        .build()
        .run()
        .assert_ok();
}
