//! ONBUILD: triggers recorded in the image config, run at the start of a stage built on the
//! image (or on a stage that declares them), their `COPY --from` extending the stage graph,
//! forbidden triggers refused and trigger errors pointing at the FROM line.
#![allow(clippy::panic)]

use e2e::{env, image_name, nonce, Context};

/// Builds and pushes a parent image with these ONBUILD lines; returns its name.
#[track_caller]
fn push_parent(name: &str, triggers: &str) -> String {
    let df = format!(
        "FROM {}\nRUN echo {}\n{triggers}",
        env().base_image,
        nonce()
    );
    let ctx = Context::with_dockerfile(name, &df);
    let image = image_name(name);
    ctx.build().output_image(&image).run().assert_ok();
    image
}

#[test]
fn triggers_are_recorded_in_the_image_config() {
    let image = push_parent(
        "onbuild-record",
        "ONBUILD RUN echo triggered > /t\nONBUILD COPY --chown=1:1 a /b\n",
    );
    let config = e2e::fetch_image(&image).config;
    assert_eq!(
        config["config"]["OnBuild"],
        serde_json::json!(["RUN echo triggered > /t", "COPY --chown=1:1 a /b"])
    );
}

#[test]
fn base_image_triggers_run_first_and_are_not_inherited() {
    let parent = push_parent(
        "onbuild-parent",
        "ONBUILD RUN echo triggered > /t\nONBUILD ENV FROM_TRIGGER=1\n",
    );
    let n = nonce();
    let df =
        format!("FROM {parent}\nRUN echo {n} && cat /t > /seen && echo $FROM_TRIGGER > /env\n");
    let ctx = Context::with_dockerfile("onbuild-child", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("seen").trim(), "triggered");
    assert_eq!(res.read_output("env").trim(), "1");
    let names: Vec<String> = res.steps().into_iter().map(|s| s.name).collect();
    assert!(
        names
            .iter()
            .any(|s| s == "[2/4] ONBUILD RUN echo triggered > /t"),
        "{names:#?}"
    );
    // The reference names FROM before it knows about the triggers (ENV counts as a step too).
    assert!(
        names.iter().any(|s| s.starts_with("[1/2] FROM ")),
        "{names:#?}"
    );

    // The child image does not carry its parent's triggers.
    let name = image_name("onbuild-child");
    let res = ctx.build().output_image(&name).run();
    res.assert_ok();
    assert!(res
        .image()
        .container_config()
        .get("OnBuild")
        .is_none_or(|v| v.is_null()));
}

#[test]
fn base_stage_triggers_run_in_the_stage_built_on_it() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "FROM {base} AS parent\nONBUILD RUN echo {n} > /t\n\
         FROM parent AS child\nRUN cat /t > /seen\n\
         FROM child AS grandchild\nRUN ls /t > /again\n"
    );
    let ctx = Context::with_dockerfile("onbuild-stage", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("seen").trim(), n);
    // Triggers run once, in the direct child only.
    let onbuild_steps: Vec<String> = res
        .steps()
        .into_iter()
        .map(|s| s.name)
        .filter(|s| s.contains("ONBUILD"))
        .collect();
    assert_eq!(
        onbuild_steps,
        [format!("[child 1/2] ONBUILD RUN echo {n} > /t")],
        "{}",
        res.report()
    );
}

#[test]
fn trigger_copy_from_adds_a_stage_to_the_graph() {
    let base = &env().base_image;
    let n = nonce();
    // `tools` is needed only by the trigger the final stage inherits.
    let df = format!(
        "FROM {base} AS tools\nRUN echo {n} > /tool\n\
         FROM {base} AS parent\nONBUILD COPY --from=tools /tool /tool\n\
         FROM parent\nRUN cat /tool > /seen\n"
    );
    let ctx = Context::with_dockerfile("onbuild-deps", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("seen").trim(), n);
    let names: Vec<String> = res.steps().into_iter().map(|s| s.name).collect();
    assert!(
        names
            .iter()
            .any(|s| s == "[stage-2 1/2] ONBUILD COPY --from=tools /tool /tool"),
        "{names:#?}"
    );
}

#[test]
fn image_trigger_copy_from_a_stage_of_the_child() {
    let parent = push_parent("onbuild-copy-parent", "ONBUILD COPY --from=assets /a /a\n");
    let n = nonce();
    let df = format!(
        "FROM {} AS assets\nRUN echo {n} > /a\nFROM {parent}\nRUN cat /a > /seen\n",
        env().base_image
    );
    let ctx = Context::with_dockerfile("onbuild-copy-child", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("seen").trim(), n);
}

#[test]
fn forbidden_triggers_are_refused() {
    for (trigger, message) in [
        (
            "ONBUILD FROM scratch",
            "FROM isn't allowed as an ONBUILD trigger",
        ),
        (
            "ONBUILD MAINTAINER me",
            "MAINTAINER isn't allowed as an ONBUILD trigger",
        ),
        (
            "ONBUILD ONBUILD RUN true",
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
        ),
    ] {
        let df = format!("FROM scratch\n{trigger}\n");
        Context::with_dockerfile("onbuild-forbidden", &df)
            .build()
            .run()
            .assert_failed()
            .assert_stderr_contains(&[message, &format!(">>> {trigger}")]);
    }
}

#[test]
fn trigger_errors_point_at_the_from_line() {
    // Valid in the parent, refused when it runs: --from cannot use variables.
    let parent = push_parent("onbuild-bad-parent", "ONBUILD COPY --from=$X /a /a\n");
    let df = format!("FROM scratch AS x\n\nFROM {parent}\nRUN true\n");
    Context::with_dockerfile("onbuild-bad-child", &df)
        .build()
        .run()
        .assert_failed()
        .assert_stderr_contains(&[
            "variable expansion is not supported for --from",
            &format!(">>> FROM {parent}"),
        ]);
}
