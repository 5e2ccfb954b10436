//! The offline command line: convert a Dockerfile to LLB without a daemon, for inspection,
//! golden tests and benchmarks. Base images are taken as non-empty images with an empty config.

use std::io::Write;
use std::sync::Arc;

use buildkit_llb::{Platform, SourceFile};
use dockerfile_frontend::convert::{
    parse_source, Conversion, ConvertError, ConvertOptions, ResolvedImage,
};
use dockerfile_frontend::error::LocatedError;
use dockerfile_frontend::instructions;

const USAGE: &str = "usage: dockerfile-frontend llb [--target STAGE] [--platform P] [--build-arg K=V]... [--config] FILE";

pub fn run(args: &[String]) -> Result<(), String> {
    let (cmd, rest) = args.split_first().ok_or(USAGE)?;
    if cmd != "llb" {
        return Err(USAGE.into());
    }
    let mut opts = ConvertOptions {
        context_local: "context".into(),
        ..Default::default()
    };
    let mut file = None;
    let mut print_config = false;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--target" => opts.target = Some(value()?),
            "--platform" => {
                opts.target_platform = Some(Platform::parse(&value()?).map_err(|e| e.to_string())?)
            }
            "--build-arg" => {
                let v = value()?;
                let (k, val) = v.split_once('=').unwrap_or((&v, ""));
                opts.build_args.insert(k.to_string(), val.to_string());
            }
            "--config" => print_config = true,
            f if file.is_none() && !f.starts_with("--") => file = Some(f.to_string()),
            _ => return Err(USAGE.into()),
        }
    }
    let file = file.ok_or(USAGE)?;
    // Restarting with the allocator tuned pays off only on large files.
    if std::fs::metadata(&file).is_ok_and(|m| m.len() >= crate::heap::WORTH_TUNING) {
        crate::heap::tune();
    }
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
    // The definition's copy of the Dockerfile is the one parsed (one copy of a large file).
    let source = Arc::new(SourceFile {
        filename: file.clone(),
        data: text.into_bytes(),
        language: "Dockerfile".into(),
    });
    let text = std::str::from_utf8(&source.data).map_err(|e| format!("{file}: {e}"))?;
    let render = |e: LocatedError| e.render(&file, text);
    let ast = parse_source(text).map_err(|e| render(LocatedError::new(e.message, e.location)))?;
    let escape = ast.escape;
    // The typed instructions take the AST's strings instead of copying them: less peak memory.
    let df = instructions::parse_nodes(ast.nodes)
        .map_err(|e| render(LocatedError::new(e.message, e.location)))?;
    opts.source_file = Some(Arc::clone(&source));
    let located = |e: ConvertError| render(LocatedError::new(e.message, e.location));
    let lowered = {
        let mut conv = Conversion::new(&df, escape, &opts).map_err(located)?;
        conv.resolve_with(|(_, p)| Ok(offline_image(p)))
            .map_err(located)?;
        conv.lower_deferred().map_err(located)?
    };
    // The Dockerfile is freed before the build context is swapped in and the definition
    // written, when the graph is at its largest (peak memory of a large conversion).
    drop(df);
    let converted = lowered.finish();
    let mut out = std::io::stdout().lock();
    if print_config {
        out.write_all(&converted.image.to_json())
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    // Stream the definition and skip freeing the graph: the process exits next.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    converted
        .state
        .write_definition(&mut out)
        .map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    std::mem::forget(converted);
    Ok(())
}

/// An image with one layer and no config, standing in for a registry when offline.
fn offline_image(p: &Platform) -> ResolvedImage {
    let config = serde_json::json!({
        "architecture": p.architecture, "os": p.os,
        "config": {}, "rootfs": {"type": "layers", "diff_ids": ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]},
    });
    ResolvedImage {
        digest: None,
        config: serde_json::to_vec(&config).unwrap_or_default(),
    }
}
