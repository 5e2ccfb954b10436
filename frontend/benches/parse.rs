//! Parser throughput on a large generated Dockerfile: the syntax layer alone, and syntax plus
//! typed instructions.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dockerfile_frontend::{instructions, syntax};
use std::hint::black_box;

/// Many stages with a realistic mix: flags, continuations, heredocs, JSON and shell forms.
fn generate(stages: usize) -> String {
    let mut s = String::from("# syntax=docker/dockerfile:1\nARG BASE=alpine\n");
    for i in 0..stages {
        s.push_str(&format!(
            r#"FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS s{i}
ARG VERSION=1.{i}
ENV CGO_ENABLED=0 GOOS=linux GOFLAGS="-trimpath -mod=readonly"
LABEL org.opencontainers.image.title="stage {i}"
WORKDIR /src/s{i}
COPY --link --chown=1000:1000 go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go mod download && \
    go build -ldflags "-s -w -X main.version=$VERSION" -o /out/app{i} ./cmd/app
COPY --from=s0 ["/out/app0", "/usr/local/bin/app"]
RUN <<EOF
set -e
echo "building {i}"
EOF
# the port of stage {i}
EXPOSE 80{i}/tcp
HEALTHCHECK --interval=30s --timeout=3s CMD ["wget", "-qO-", "http://localhost/"]
USER 1000:1000
ENTRYPOINT ["/usr/local/bin/app"]
CMD ["--serve"]
"#
        ));
    }
    s
}

fn bench(c: &mut Criterion) {
    let src = generate(500);
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(src.len() as u64));
    g.bench_function("syntax", |b| {
        b.iter(|| syntax::parse(black_box(&src)).map(|a| a.nodes.len()))
    });
    g.bench_function("syntax+instructions", |b| {
        b.iter(|| {
            let ast = syntax::parse(black_box(&src)).ok()?;
            instructions::parse_dockerfile(&ast)
                .ok()
                .map(|d| d.stages.len())
        })
    });
    // What the frontend does: the nodes move into the typed instructions.
    g.bench_function("syntax+instructions(owned)", |b| {
        b.iter(|| {
            let mut ast = syntax::parse(black_box(&src)).ok()?;
            let nodes = std::mem::take(&mut ast.nodes);
            instructions::parse_nodes(nodes)
                .ok()
                .map(|d| d.stages.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
