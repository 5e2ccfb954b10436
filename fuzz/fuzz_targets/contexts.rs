//! Named contexts (`--build-context NAME=VALUE`, the option `context:NAME`): every kind of
//! value (`docker-image://`, `local:`, `input:`, `oci-layout://`, git and http URLs, and values
//! that are none of these), for names a Dockerfile uses as a base, a stage or a `--from`,
//! with or without a platform (`NAME::os/arch`). Loaded contexts and base images get the
//! image config the input gives. Input: one `NAME=VALUE` per line, and `config=JSON` (the
//! image config), `platform=P`, `target=STAGE`, `arg:NAME=VALUE`; then optionally a line `---`
//! and a Dockerfile (else a fixed one that uses many names). The build is dumped as the
//! gateway would send it.
#![no_main]

use std::collections::BTreeMap;

use dfrs_fuzz::{dump, run, Daemon, Input};
use dockerfile_frontend::error::plain_status;
use dockerfile_frontend::image::Image;
use dockerfile_frontend::options::BuildOptions;
use libfuzzer_sys::fuzz_target;

const DOCKERFILE: &str = r#"ARG SOURCE_DATE_EPOCH
FROM alpine AS a
COPY --from=src / /src
RUN --mount=from=cache,target=/c true
FROM base AS b
COPY --from=a / /
COPY --from=busybox:1.36 /bin/sh /sh
COPY --from=docker.io/library/debian:stable / /deb
FROM --platform=linux/arm64 ctx AS armctx
FROM b
COPY --from=armctx / /arm
ONBUILD RUN true
"#;

fuzz_target!(|data: &[u8]| {
    dump::input(data);
    let input = Input::split(data, true);
    let mut opts = BTreeMap::new();
    for (k, v) in &input.pairs {
        let key = match k.as_str() {
            "config" => continue,
            "platform" | "target" => k.clone(),
            k => match k.strip_prefix("arg:") {
                Some(name) => format!("build-arg:{name}"),
                None => format!("context:{k}"),
            },
        };
        opts.insert(key, v.clone());
    }
    let build = match BuildOptions::parse(&opts) {
        Ok(b) => b,
        Err(e) => return dump::status(&plain_status(&e.0)),
    };
    let config = input.get("config").map(|c| c.as_bytes().to_vec());
    if let Some(c) = &config {
        // An image config as a registry serves it, read as the converter reads it, and
        // written again as the result's config.
        if let Ok(img) = Image::from_json(c) {
            dump::image_config(&img.to_json());
        }
    }
    let daemon = Daemon {
        image_config: config,
        digest: true,
        ..Default::default()
    };
    let dockerfile = input.body.unwrap_or(DOCKERFILE.as_bytes());
    run(dockerfile, &build, None, &daemon);
});
