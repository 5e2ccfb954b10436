//! "A multi-stage Dockerfile builds end-to-end": stages run in parallel, targets prune the
//! graph, the cache is reused, `COPY --from` finds stages and images, the image config is
//! exported, and errors name the Dockerfile line.
#![allow(clippy::panic)]

use e2e::{
    env, gateway_image_under_test, image_name, nonce, syntax_line, Context, Frontend, Value,
};

/// A shell snippet printing a timestamp in seconds. busybox `date` has no `%N`; the first field
/// of /proc/uptime (seconds since boot, 10 ms steps) is one clock shared by all containers.
const NOW: &str = "cut -d' ' -f1 /proc/uptime";

#[test]
fn independent_stages_run_in_parallel() {
    let base = &env().base_image;
    let n = nonce();
    let mut df = String::new();
    for s in ["a", "b", "c"] {
        df += &format!(
            "FROM {base} AS {s}\n\
             RUN mkdir /t && echo {n} && {NOW} > /t/start && sleep 2 && {NOW} > /t/end\n"
        );
    }
    df += "FROM scratch\n\
           COPY --from=a /t/ /a/\n\
           COPY --from=b /t/ /b/\n\
           COPY --from=c /t/ /c/\n";
    let ctx = Context::with_dockerfile("parallel", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();

    let mut intervals = Vec::new();
    for s in ["a", "b", "c"] {
        let read = |f: &str| -> f64 {
            let text = res.read_output(&format!("{s}/{f}"));
            text.trim()
                .parse()
                .unwrap_or_else(|e| panic!("stage {s}: {f} = {text:?}: {e}"))
        };
        let (start, end) = (read("start"), read("end"));
        assert!(
            end - start >= 1.9,
            "stage {s} slept less than 2 s: {start}..{end}"
        );
        intervals.push((s, start, end));
    }
    let latest_start = intervals.iter().map(|i| i.1).fold(f64::MIN, f64::max);
    let earliest_end = intervals.iter().map(|i| i.2).fold(f64::MAX, f64::min);
    let first_start = intervals.iter().map(|i| i.1).fold(f64::MAX, f64::min);
    let last_end = intervals.iter().map(|i| i.2).fold(f64::MIN, f64::max);
    println!(
        "three 2 s stages: RUN steps spanned {:.2} s, whole build {:.2} s (wall); intervals {:?}",
        last_end - first_start,
        res.elapsed.as_secs_f64(),
        intervals
    );
    assert!(
        latest_start < earliest_end,
        "the three stages did not run at the same time: {intervals:?} (the last started at \
         {latest_start}, after the first ended at {earliest_end})\n{}",
        res.report()
    );
}

#[test]
fn target_builds_only_the_stages_it_needs() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "FROM {base} AS broken\n\
         RUN echo {n} && false\n\
         FROM {base} AS builder\n\
         RUN echo {n} > /built\n\
         FROM builder AS final\n\
         COPY --from=broken /etc /broken-etc\n"
    );
    let ctx = Context::with_dockerfile("target", &df);

    let res = ctx.build().target("builder").output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("built").trim(), n);
    let ran_broken: Vec<_> = res
        .instruction_steps()
        .into_iter()
        .filter(|s| s.stage() == Some("broken"))
        .collect();
    assert!(
        ran_broken.is_empty(),
        "steps of the unused stage ran: {ran_broken:?}\n{}",
        res.report()
    );
    assert!(
        !res.stderr.contains(&format!("echo {n} && false")),
        "the unused stage's RUN appears in the log\n{}",
        res.report()
    );

    // The unused stage really would have failed the build.
    ctx.build().run().assert_failed();
}

#[test]
fn second_build_is_cached_and_a_change_reruns_only_its_stage() {
    let base = &env().base_image;
    let n = nonce();
    let df = format!(
        "FROM {base} AS a\n\
         COPY a.txt /a.txt\n\
         RUN echo {n} && cat /a.txt > /a.out\n\
         FROM {base} AS b\n\
         COPY b.txt /b.txt\n\
         RUN echo {n} && cat /b.txt > /b.out\n\
         FROM scratch\n\
         COPY --from=a /a.out /a.out\n\
         COPY --from=b /b.out /b.out\n"
    );
    let ctx = Context::with_dockerfile("cache", &df);
    // Unique contents: BuildKit's COPY cache is content-based, so files seen in an earlier run
    // against the same daemon would be cache hits.
    let (a1, a2, b1) = (
        format!("a one {n}\n"),
        format!("a two {n}\n"),
        format!("b one {n}\n"),
    );
    ctx.write("a.txt", &a1).write("b.txt", &b1);

    let first = ctx.build().output_local().run();
    first.assert_ok();
    assert_eq!(first.read_output("a.out"), a1);
    let steps = first.instruction_steps();
    assert_eq!(
        steps.len(),
        6,
        "expected 6 RUN/COPY steps in the log: {steps:?}\n{}",
        first.report()
    );

    let second = ctx.build().output_local().run();
    second.assert_ok();
    let steps = second.instruction_steps();
    assert_eq!(
        steps.len(),
        6,
        "expected 6 RUN/COPY steps in the log: {steps:?}\n{}",
        second.report()
    );
    let not_cached: Vec<_> = steps
        .iter()
        .filter(|s| !s.cached)
        .map(|s| &s.name)
        .collect();
    assert!(
        not_cached.is_empty(),
        "identical rebuild re-ran {not_cached:?}\n{}",
        second.report()
    );

    ctx.write("a.txt", &a2);
    let third = ctx.build().output_local().run();
    third.assert_ok();
    assert_eq!(third.read_output("a.out"), a2);
    assert_eq!(third.read_output("b.out"), b1);
    let steps = third.instruction_steps();
    let report = third.report();
    for s in &steps {
        match s.stage() {
            Some("b") => assert!(
                s.cached,
                "stage b does not use a.txt but re-ran {:?}\n{report}",
                s.name
            ),
            Some("a") => assert!(
                !s.cached,
                "stage a uses a.txt but was cached {:?}\n{report}",
                s.name
            ),
            _ => {}
        }
    }
    let final_copy_a = steps
        .iter()
        .find(|s| s.instruction().starts_with("COPY --from=a "))
        .unwrap_or_else(|| panic!("no COPY --from=a step in the log\n{report}"));
    assert!(
        !final_copy_a.cached,
        "the final stage did not re-run after stage a changed\n{report}"
    );
    assert!(
        steps.iter().any(|s| s.stage() == Some("b")),
        "no stage b steps in the log\n{report}"
    );
}

#[test]
fn copy_from_stage_name_index_and_image() {
    let e = env();
    let n = nonce();
    let df = format!(
        "FROM {base} AS first\n\
         RUN echo {n}-first > /first\n\
         FROM {base} AS named\n\
         RUN echo {n}-named > /named\n\
         FROM scratch\n\
         COPY --from=named /named /by-name\n\
         COPY --from=0 /first /by-index\n\
         COPY --from={base} /bin/busybox /x\n",
        base = e.base_image
    );
    let ctx = Context::with_dockerfile("copy-from", &df);
    let res = ctx.build().output_local().run();
    res.assert_ok();
    assert_eq!(res.read_output("by-name").trim(), format!("{n}-named"));
    assert_eq!(res.read_output("by-index").trim(), format!("{n}-first"));
    let x = std::fs::read(res.out_dir().join("x")).unwrap_or_default();
    let busybox = std::fs::read(e.run_dir.join("ctx/busybox/busybox-amd64")).unwrap_or_default();
    assert!(
        !busybox.is_empty(),
        "cannot read the base image's busybox from the run dir"
    );
    assert!(
        x == busybox,
        "/x is not the base image's /bin/busybox ({} bytes vs {})",
        x.len(),
        busybox.len()
    );
}

#[test]
fn image_export_has_the_config() {
    let n = nonce();
    let df = format!(
        "FROM {base}\n\
         ENV A=1 B=\"two words\"\n\
         RUN echo {n} > /n\n\
         WORKDIR /app\n\
         USER 1000:1000\n\
         LABEL org.example.k=v \"other\"=\"x y\"\n\
         EXPOSE 8080 53/udp\n\
         ENTRYPOINT [\"/bin/sh\", \"-c\"]\n\
         CMD [\"echo hi\"]\n",
        base = env().base_image
    );
    let ctx = Context::with_dockerfile("image-config", &df);
    let name = image_name("image-config");
    let res = ctx.build().output_image(&name).run();
    res.assert_ok();
    let image = res.image();
    let cfg = image.container_config();
    let ctx_msg = format!("image config: {:#}", image.config);

    let env_list: Vec<&str> = cfg["Env"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        env_list.contains(&"A=1"),
        "Env lacks A=1: {env_list:?}\n{ctx_msg}"
    );
    assert!(
        env_list.contains(&"B=two words"),
        "Env lacks B: {env_list:?}\n{ctx_msg}"
    );
    assert!(
        env_list.iter().any(|e| e.starts_with("PATH=")),
        "Env lacks PATH: {env_list:?}\n{ctx_msg}"
    );
    assert_eq!(
        cfg["Entrypoint"],
        serde_json::json!(["/bin/sh", "-c"]),
        "{ctx_msg}"
    );
    assert_eq!(cfg["Cmd"], serde_json::json!(["echo hi"]), "{ctx_msg}");
    assert_eq!(cfg["WorkingDir"], "/app", "{ctx_msg}");
    assert_eq!(cfg["User"], "1000:1000", "{ctx_msg}");
    assert_eq!(
        cfg["Labels"],
        serde_json::json!({"org.example.k": "v", "other": "x y"}),
        "{ctx_msg}"
    );
    assert_eq!(
        cfg["ExposedPorts"],
        serde_json::json!({"8080/tcp": {}, "53/udp": {}}),
        "{ctx_msg}"
    );
    assert_eq!(image.config["os"], "linux", "{ctx_msg}");
    assert_eq!(image.config["architecture"], "amd64", "{ctx_msg}");
    let layers = image.manifest["layers"].as_array().map_or(0, Vec::len);
    let diff_ids = image.config["rootfs"]["diff_ids"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(
        layers >= 2,
        "expected the base layers plus the RUN layer, got {layers}: {}",
        image.manifest
    );
    assert_eq!(
        layers, diff_ids,
        "manifest layers vs rootfs.diff_ids\n{ctx_msg}"
    );
}

#[test]
fn missing_from_argument_names_the_line() {
    let df = format!("FROM {}\nRUN true\nFROM\n", env().base_image);
    let ctx = Context::with_dockerfile("syntax-error", &df);
    let res = ctx.build().run();
    res.assert_failed()
        .assert_stderr_contains(&["line 3", "FROM requires"]);
    println!("error: {:?}", res.error_message());
}

#[test]
fn unknown_instruction_names_the_line() {
    let df = format!("FROM {}\nRUN true\nFOO bar\n", env().base_image);
    let ctx = Context::with_dockerfile("unknown-instruction", &df);
    let res = ctx.build().run();
    res.assert_failed()
        .assert_stderr_contains(&["line 3", "unknown instruction", "FOO"]);
    println!("error: {:?}", res.error_message());
}

/// `# syntax=<our image>` through the built-in frontend, and the same Dockerfile given to our
/// image directly through `gateway.v0`, each exporting a directory and an image. (With
/// DFRS_FRONTEND=reference there is no syntax line: both builds use the built-in frontend;
/// DFRS_FRONTEND=reference-image runs this as for ours, with BuildKit's frontend image.)
#[test]
fn syntax_directive_and_gateway_source() {
    let e = env();
    let n = nonce();
    let df = format!(
        "{}FROM {}\nRUN echo {n} > /hello\nCMD [\"cat\", \"/hello\"]\n",
        syntax_line(),
        e.base_image
    );
    let ctx = Context::with_dockerfile("syntax", &df);

    for (how, frontend) in [
        ("dockerfile.v0", Frontend::Builtin),
        ("gateway.v0", Frontend::under_test()),
    ] {
        let local = ctx.build().frontend(frontend.clone()).output_local().run();
        local.assert_ok();
        assert_eq!(local.read_output("hello").trim(), n, "via {how}");
        if let Some(image) = gateway_image_under_test() {
            // The build really went through the image (resolved and run by BuildKit).
            local.assert_stderr_contains(&[&format!("docker-image://{image}")]);
        }

        let name = image_name(&format!("syntax-{}", how.replace('.', "-")));
        let img = ctx.build().frontend(frontend).output_image(&name).run();
        img.assert_ok();
        let image = img.image();
        assert_eq!(
            image.container_config()["Cmd"],
            serde_json::json!(["cat", "/hello"]),
            "via {how}"
        );
    }
}
