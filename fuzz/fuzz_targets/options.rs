//! The build options (`--opt key=value`, `--build-arg`, …) as BuildKit passes them: one
//! `key=value` per line, keys from `options::KEYS` and its prefixes (the dictionary
//! `fuzz/dict/options.dict` lists them), values anything. They are parsed by
//! `BuildOptions::parse` as the gateway parses them, then a small fixed Dockerfile that uses
//! what they set (RUN limits, hosts and network, platforms, stages to target, named
//! contexts, build arguments, `SOURCE_DATE_EPOCH`, subrequests) is built with them, everything
//! sent to BuildKit dumped.
#![no_main]

use std::collections::BTreeMap;

use dfrs_fuzz::{dump, run, Daemon, Input};
use dockerfile_frontend::error::plain_status;
use dockerfile_frontend::options::BuildOptions;
use libfuzzer_sys::fuzz_target;

const DOCKERFILE: &str = r#"# syntax=docker/dockerfile:1
ARG BASE=busybox
ARG SOURCE_DATE_EPOCH
FROM --platform=$BUILDPLATFORM ${BASE} AS build
ARG TARGETPLATFORM
ARG TARGETARCH
RUN --mount=type=cache,target=/cache --mount=type=secret,id=s,required=false echo $TARGETPLATFORM > /out
FROM base AS other
COPY --from=build /out /out
WORKDIR /app
FROM build AS test
RUN --network=none --security=insecure true
FROM ${BASE}
LABEL a=b
COPY --from=other /out /
COPY --from=ctx / /ctx
ADD https://example.com/file.tar /f
RUN --network=host echo hi
HEALTHCHECK CMD true
ENV X=1
CMD ["sh"]
"#;

fuzz_target!(|data: &[u8]| {
    dump::input(data);
    let input = Input::split(data, true);
    let opts: BTreeMap<String, String> = input.pairs.into_iter().collect();
    let build = match BuildOptions::parse(&opts) {
        Ok(b) => b,
        Err(e) => return dump::status(&plain_status(&e.0)),
    };
    let daemon = Daemon {
        digest: true,
        ..Default::default()
    };
    run(DOCKERFILE.as_bytes(), &build, None, &daemon);
});
