//! The converter in-process, on the files `bench/run.sh` compares with the reference
//! (`bench/gen.py` writes the same text): N stages of FROM, ARG, ENV, RUN and COPY --from
//! the stage before, and one stage of 10,000 instructions. `convert/*` is the whole
//! offline conversion (parse, lower, marshal) as `dockerfile-frontend llb` does it;
//! `phases/*` splits it, so the two lowering passes (`lower`) can be weighed against the rest.
//!
//! `cargo bench -p dockerfile-frontend --bench convert`

use std::hint::black_box;
use std::sync::Arc;

use buildkit_llb::{Platform, SourceFile};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dockerfile_frontend::convert::{convert_with, Conversion, ConvertOptions, ResolvedImage};
use dockerfile_frontend::instructions::Dockerfile;
use dockerfile_frontend::{instructions, syntax};

/// `bench/gen.py stages(n)`.
fn stages(n: usize) -> String {
    let mut s = String::from("ARG BASE=busybox:latest\n");
    for i in 0..n {
        s.push_str(&format!("\nFROM ${{BASE}} AS s{i}\nARG A{i}=arg-{i}\nENV E{i}=env-${{A{i}}} PATH=/usr/local/bin:/usr/bin:/bin\n"));
        s.push_str(&format!("RUN echo \"stage {i} $E{i}\" > /out-{i}\n"));
        if i > 0 {
            s.push_str(&format!("COPY --from=s{} /out-{} /prev/\n", i - 1, i - 1));
        }
    }
    s
}

/// `bench/gen.py instructions(n)`.
fn instructions(n: usize) -> String {
    let mut s = String::from("ARG BASE=busybox:latest\nFROM ${BASE}\n");
    for i in 0..n {
        s.push_str(&match i % 6 {
            0 => format!(
                "ENV K{}=value-{i} L{}=${{K{}:-unset}}\n",
                i % 16,
                i % 7,
                (i + 3) % 16
            ),
            1 => format!("ARG A{}=arg-{i}\n", i % 16),
            2 => format!(
                "RUN echo \"{i} $K{} ${{A{}}}\" > /f{} && cat /f{}\n",
                i % 16,
                i % 16,
                i % 64,
                i % 64
            ),
            3 => format!("COPY src/f{}.txt /dst/{i}/\n", i % 8),
            4 => format!("WORKDIR /w/{}\n", i % 10),
            _ => format!("LABEL l{}=\"label {i}\"\n", i % 16),
        });
    }
    s
}

/// The offline CLI's stand-in for every base image: one layer, empty config.
fn offline_image(p: &Platform) -> ResolvedImage {
    let config = format!(
        r#"{{"architecture":"{}","os":"{}","config":{{}},"rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
        p.architecture,
        p.os,
        "0".repeat(64)
    );
    ResolvedImage {
        digest: None,
        config: config.into_bytes(),
    }
}

fn options(text: &str) -> ConvertOptions {
    let mut opts = ConvertOptions {
        source_file: Some(Arc::new(SourceFile {
            filename: "Dockerfile".into(),
            data: text.as_bytes().to_vec(),
            language: "Dockerfile".into(),
            ..Default::default()
        })),
        ..Default::default()
    };
    opts.context_local = "context".into();
    opts
}

fn parse(text: &str) -> (Dockerfile, char) {
    let ast = syntax::parse(text).expect("generated Dockerfiles parse");
    let df = instructions::parse_dockerfile(&ast).expect("generated Dockerfiles are valid");
    (df, ast.escape)
}

/// Text to definition bytes, as `dockerfile-frontend llb FILE` does.
fn convert(text: &str, opts: &ConvertOptions) -> usize {
    let (df, escape) = parse(text);
    let converted =
        convert_with(&df, escape, opts, |(_, p)| Ok(offline_image(p))).expect("converts");
    let mut out = Vec::new();
    converted
        .state
        .write_definition(&mut out)
        .expect("marshals");
    out.len()
}

fn files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = [1, 100, 1000]
        .iter()
        .map(|&n| (format!("stages-{n}"), stages(n)))
        .collect();
    files.push(("instr-10000".into(), instructions(10_000)));
    files
}

fn whole(c: &mut Criterion) {
    let mut g = c.benchmark_group("convert");
    g.sample_size(10);
    for (name, text) in files() {
        let opts = options(&text);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(&name), &text, |b, text| {
            b.iter(|| convert(black_box(text), &opts))
        });
    }
    g.finish();
}

fn phases(c: &mut Criterion) {
    let mut g = c.benchmark_group("phases");
    g.sample_size(10);
    for (name, text) in files()
        .into_iter()
        .filter(|(n, _)| n == "stages-1000" || n == "instr-10000")
    {
        let opts = options(&text);
        g.bench_function(BenchmarkId::new("parse", &name), |b| {
            b.iter(|| parse(black_box(&text)).0.stages.len())
        });
        let (df, escape) = parse(&text);
        g.bench_function(BenchmarkId::new("plan", &name), |b| {
            b.iter(|| {
                Conversion::new(black_box(&df), escape, &opts)
                    .and_then(|mut c| c.needs())
                    .map(|n| n.len())
            })
        });
        let mut conv = Conversion::new(&df, escape, &opts).expect("plans");
        conv.resolve_with(|k| Ok(offline_image(&k.1)))
            .expect("resolves offline");
        // Both lowering passes: the first only learns which context paths COPY reads.
        g.bench_function(BenchmarkId::new("lower", &name), |b| {
            b.iter(|| black_box(&conv).lower().map(|c| c.image.history.len()))
        });
        let converted = conv.lower().expect("lowers");
        g.bench_function(BenchmarkId::new("marshal", &name), |b| {
            b.iter(|| {
                let mut out = Vec::new();
                converted
                    .state
                    .write_definition(&mut out)
                    .map(|()| out.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, whole, phases);
criterion_main!(benches);
