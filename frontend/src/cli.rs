//! The offline command line: convert a Dockerfile to LLB without a daemon, for inspection,
//! golden tests and benchmarks; run the build checks; show the stage plan. Base images are
//! taken as non-empty images with an empty config.

use std::io::Write;
use std::sync::Arc;

use buildkit_llb::{Platform, SourceFile};
use dockerfile_frontend::convert::{
    dockerfile_text, epoch, global_args, parse_source, Conversion, ConvertOptions, ResolvedImage,
};
use dockerfile_frontend::error::LocatedError;
use dockerfile_frontend::instructions;
use dockerfile_frontend::options::BuildOptions;
use dockerfile_frontend::subrequests::{plan, PlanFormat};

const USAGE: &str = "usage: dockerfile-frontend --version\n       dockerfile-frontend check [OPTIONS] FILE\n       dockerfile-frontend llb [OPTIONS] [--config] [--error-json] [--image-digest] FILE\n       dockerfile-frontend plan [OPTIONS] [--format text|json|mermaid|dot] FILE\n  OPTIONS: [--target STAGE] [--platform P] [--build-platform P] [--build-arg K=V]... [--opt K=V]...\n  --opt: a build option as the daemon passes it to the frontend (add-hosts, shm-size, ulimit, cgroup-parent, hostname, force-network-mode, memory, cpushares, …)";

/// Which subcommand's flags a command line may have besides the build options.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sub {
    Llb,
    Check,
    Plan,
}

/// The command line of the subcommands: the build options, parsed by the same code as a
/// build through the daemon, the Dockerfile, and the flags only `llb` or `plan` take.
#[derive(Default)]
struct Args {
    build: BuildOptions,
    /// `--build-platform`: the daemon's platform to convert for (`BUILDPLATFORM`); this
    /// machine's when not given.
    build_platforms: Vec<Platform>,
    /// `plan --format`, else the `plan-format` option, else the `BUILDKIT_PLAN_FORMAT` build arg.
    plan_format: PlanFormat,
    file: String,
    print_config: bool,
    /// For the differential test (tests/differential): a failure as one JSON line.
    error_json: bool,
    /// Base images pinned by a digest, as a registry would answer.
    image_digest: bool,
}

impl Args {
    fn parse(args: &[String], sub: Sub) -> Result<Self, String> {
        let llb_flags = sub == Sub::Llb;
        let mut parsed = Args::default();
        let mut file = None;
        let mut format = None;
        let mut opts = std::collections::BTreeMap::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
            };
            let key_value = |v: String| match v.split_once('=') {
                Some((k, val)) => (k.to_string(), val.to_string()),
                None => (v, String::new()),
            };
            match a.as_str() {
                "--target" => {
                    opts.insert("target".to_string(), value()?);
                }
                "--platform" => {
                    opts.insert("platform".to_string(), value()?);
                }
                "--build-platform" => {
                    let v = value()?;
                    let p =
                        Platform::parse(&v).map_err(|e| format!("--build-platform {v}: {e}"))?;
                    parsed.build_platforms.push(p);
                }
                "--build-arg" => {
                    let (k, v) = key_value(value()?);
                    opts.insert(format!("build-arg:{k}"), v);
                }
                "--opt" => {
                    let (k, v) = key_value(value()?);
                    opts.insert(k, v);
                }
                "--config" if llb_flags => parsed.print_config = true,
                "--error-json" if llb_flags => parsed.error_json = true,
                "--image-digest" if llb_flags => parsed.image_digest = true,
                "--format" if sub == Sub::Plan => format = Some(value()?),
                f if file.is_none() && !f.starts_with("--") => file = Some(f.to_string()),
                _ => return Err(USAGE.into()),
            }
        }
        parsed.file = file.ok_or(USAGE)?;
        parsed.build = BuildOptions::parse(&opts).map_err(|e| e.0)?;
        if sub == Sub::Plan {
            parsed.plan_format = match format {
                Some(f) => PlanFormat::parse(&f)?,
                None => PlanFormat::from_options(
                    opts.get(plan::FORMAT_OPT).map(String::as_str),
                    parsed
                        .build
                        .build_args
                        .get(plan::FORMAT_BUILD_ARG)
                        .map(String::as_str),
                )?,
            };
        }
        if parsed.build.target_platforms.len() > 1 {
            return Err("the offline command converts one platform at a time".into());
        }
        Ok(parsed)
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let (cmd, rest) = args.split_first().ok_or(USAGE)?;
    match cmd.as_str() {
        "llb" => {}
        "check" => return check(rest),
        "plan" => return plan_cmd(rest),
        "--version" | "version" => {
            println!("{}", dockerfile_frontend::build_info::version_line());
            return Ok(());
        }
        _ => return Err(USAGE.into()),
    }
    let Args {
        build,
        build_platforms,
        file,
        print_config,
        error_json,
        image_digest,
        ..
    } = Args::parse(rest, Sub::Llb)?;
    let mut opts = ConvertOptions {
        target_platform: build.target_platforms.first().cloned(),
        build,
        build_platforms,
        ..Default::default()
    };
    // Restarting with the allocator tuned pays off only on large files.
    if std::fs::metadata(&file).is_ok_and(|m| m.len() >= crate::heap::WORTH_TUNING) {
        crate::heap::tune();
    }
    // The definition's copy of the Dockerfile is the one parsed (one copy of a large file),
    // read as a build through the daemon reads it.
    let source = Arc::new(SourceFile {
        filename: file.clone(),
        data: read(&file)?,
        language: "Dockerfile".into(),
        definition: None,
    });
    let text = dockerfile_text(&source.data);
    let text = text.as_ref();
    let render_with = |e: &LocatedError, files: &[(String, String)]| {
        if error_json {
            error_to_json(e)
        } else {
            render_in((&file, text), files, e)
        }
    };
    // The AST is taken apart below (its strings move into the instructions): no copy of it.
    let Parsed { ast, files } = Parsed::load(&file, text).map_err(|(e, f)| render_with(&e, &f))?;
    let render = |e: LocatedError| render_with(&e, &files);
    let escape = ast.escape;
    opts.include_files = included_sources(&file, &ast.included_files, &files);
    // The typed instructions take the AST's strings instead of copying them: less peak memory.
    let df = instructions::parse_nodes(ast.nodes).map_err(render)?;
    opts.source_file = Some(Arc::clone(&source));
    let globals = global_args(&df, escape, &opts).map_err(render)?;
    epoch::set_offline(&mut opts, &df, escape, &globals).map_err(render)?;
    let lowered = {
        let mut conv = Conversion::new(&df, escape, &opts).map_err(render)?;
        conv.resolve_with(|(r, p)| Ok(offline_image(r, p, image_digest)))
            .map_err(render)?;
        conv.lower_deferred().map_err(render)?
    };
    // The Dockerfile is freed before the build context is swapped in and the definition
    // written, when the graph is at its largest (peak memory of a large conversion).
    drop(df);
    let mut converted = lowered.finish();
    if let Some(t) = opts.epoch {
        epoch::apply(&mut converted.image, t)?;
    }
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

/// The Dockerfile parsed with its `INCLUDE`s spliced in (our extension), the included files
/// read from the Dockerfile's directory; and the files, to show an error in the right one.
struct Parsed {
    ast: dockerfile_frontend::syntax::Ast,
    /// Each included file: its name as shown (the Dockerfile's directory joined) and text.
    files: Vec<(String, String)>,
}

impl Parsed {
    fn load(file: &str, text: &str) -> Result<Parsed, (LocatedError, Vec<(String, String)>)> {
        use dockerfile_frontend::syntax::include::{expand_numbered, has_includes, Expansion};
        let ast = parse_source(text).map_err(|e| (e, Vec::new()))?;
        if !has_includes(&ast) {
            return Ok(Parsed {
                ast,
                files: Vec::new(),
            });
        }
        let path = std::path::Path::new(file);
        let dir = path.parent().unwrap_or(std::path::Path::new(""));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut read = std::collections::BTreeMap::new();
        loop {
            let (result, numbered) = expand_numbered(&ast, &name, &read);
            match result {
                Err(e) => {
                    let files = shown_files(dir, &read, &numbered);
                    return Err((e, files));
                }
                Ok(Expansion::Need(paths)) => {
                    for p in paths {
                        let data = std::fs::read(dir.join(&p)).map_err(|e| e.to_string());
                        read.insert(p, data.map(|d| dockerfile_text(&d).into_owned()));
                    }
                }
                Ok(Expansion::Done(ast)) => {
                    let files = shown_files(dir, &read, &ast.included_files);
                    return Ok(Parsed { ast, files });
                }
            }
        }
    }

    /// `e` shown in the lines of the file it points into.
    fn render(&self, main: (&str, &str), e: &LocatedError) -> String {
        render_in(main, &self.files, e)
    }
}

/// The included files by number (`order`) with the names they show.
fn shown_files(
    dir: &std::path::Path,
    read: &std::collections::BTreeMap<String, Result<String, String>>,
    order: &[String],
) -> Vec<(String, String)> {
    order
        .iter()
        .map(|p| {
            let text = read.get(p).and_then(|r| r.as_ref().ok()).cloned();
            (dir.join(p).display().to_string(), text.unwrap_or_default())
        })
        .collect()
}

/// `e` rendered in the Dockerfile (`main`: name, text) or the included file it points into.
fn render_in(main: (&str, &str), files: &[(String, String)], e: &LocatedError) -> String {
    let file = e.location.map_or(0, |l| l.file as usize);
    match file.checked_sub(1).and_then(|i| files.get(i)) {
        Some((name, text)) => e.render(name, text),
        None => e.render(main.0, main.1),
    }
}

/// The Dockerfile's bytes (text or not: [`dockerfile_text`] reads them as the gateway does).
fn read(file: &str) -> Result<Vec<u8>, String> {
    std::fs::read(file).map_err(|e| format!("{file}: {e}"))
}

/// The included files as the definition's source map holds them (by number, after the
/// Dockerfile), named by their path relative to the Dockerfile's directory.
fn included_sources(
    _file: &str,
    paths: &[String],
    files: &[(String, String)],
) -> Vec<Arc<SourceFile>> {
    paths
        .iter()
        .zip(files)
        .map(|(p, (_, text))| {
            Arc::new(SourceFile {
                filename: p.clone(),
                data: text.clone().into_bytes(),
                language: "Dockerfile".into(),
                definition: None,
            })
        })
        .collect()
}

/// An image with one layer and no config, standing in for a registry when offline; with
/// `with_digest`, pinned by the reference's own digest or else the sha256 of its config. The
/// same bytes and digest as the reference's stub (bench/ref-dockerfile2llb `stubConfig`).
fn offline_image(reference: &str, p: &Platform, with_digest: bool) -> ResolvedImage {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let variant = if p.variant.is_empty() {
        String::new()
    } else {
        format!(",\"variant\":{}", q(&p.variant))
    };
    let config = format!(
        "{{\"architecture\":{},\"config\":{{}},\"os\":{},\"rootfs\":{{\"diff_ids\":[\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"],\"type\":\"layers\"}}{variant}}}",
        q(&p.architecture),
        q(&p.os),
    )
    .into_bytes();
    ResolvedImage {
        digest: with_digest.then(|| match reference.split_once('@') {
            Some((_, d)) => d.to_string(),
            None => buildkit_llb::digest_of(&config),
        }),
        config,
    }
}

/// `--error-json`: the message and the source ranges as the gateway sends them
/// (`LocatedError::to_status`), in bench/ref-dockerfile2llb's `-error-json` shape.
fn error_to_json(e: &LocatedError) -> String {
    // The ranges the gateway sends in the error's errdefs.Source (one per line).
    let line = |p: &Option<buildkit_llb::pb::Position>| p.as_ref().map_or(0, |p| p.line);
    let sources: Vec<serde_json::Value> = e
        .location
        .iter()
        .map(|&l| {
            let ranges: Vec<serde_json::Value> = dockerfile_frontend::error::pb_ranges(l)
                .iter()
                .map(
                    |r| serde_json::json!({"start": [line(&r.start), 0], "end": [line(&r.end), 0]}),
                )
                .collect();
            serde_json::Value::from(ranges)
        })
        .collect();
    serde_json::json!({"message": e.shown_message(), "sources": sources}).to_string()
}

/// `check`: the build checks of every stage (or the target's), offline: one line per warning
/// as progress output shows it (`Rule: message (line N)`), then the error the checks stop with.
/// Base images are the offline stand-ins, so the rules that read an image's config see none.
fn check(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args, Sub::Check)?;
    let opts = dockerfile_frontend::lint::Options::for_build(
        &args.build,
        args.build_platforms.clone(),
        true,
    );
    let file = args.file;
    let data = read(&file)?;
    let text = dockerfile_text(&data);
    let cfg = dockerfile_frontend::lint::Config::for_build(None, &text)?;
    let parsed =
        Parsed::load(&file, &text).map_err(|(e, files)| render_in((&file, &text), &files, &e))?;
    let ast = &parsed.ast;
    let mut checker = dockerfile_frontend::lint::Checker::new(ast, opts, cfg);
    let images = checker
        .images_needed()
        .into_iter()
        .map(|key| {
            let image = offline_image(&key.0, &key.1, false);
            (key, image)
        })
        .collect();
    checker.dispatch(&images, None);
    let mut out = std::io::stdout().lock();
    for w in checker.warnings() {
        writeln!(out, "{}", w.short()).map_err(|e| e.to_string())?;
    }
    if let Some(e) = checker.error() {
        return Err(parsed.render((&file, &text), e));
    }
    Ok(())
}

/// `plan`: the stage plan (as `frontend.plan` shows it) in the format asked for, converting
/// as `llb` does with the offline base images, so it fails where a build would.
fn plan_cmd(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args, Sub::Plan)?;
    let file = args.file;
    let mut opts = ConvertOptions {
        target_platform: args.build.target_platforms.first().cloned(),
        build: args.build,
        build_platforms: args.build_platforms,
        ..Default::default()
    };
    let data = read(&file)?;
    let text = dockerfile_text(&data);
    let parsed =
        Parsed::load(&file, &text).map_err(|(e, files)| render_in((&file, &text), &files, &e))?;
    let render = |e: LocatedError| parsed.render((&file, &text), &e);
    let ast = &parsed.ast;
    let df = instructions::parse_dockerfile(ast).map_err(render)?;
    let globals = global_args(&df, ast.escape, &opts).map_err(render)?;
    epoch::set_offline(&mut opts, &df, ast.escape, &globals).map_err(render)?;
    let mut conv = Conversion::new(&df, ast.escape, &opts).map_err(render)?;
    conv.resolve_with(|(r, p)| Ok(offline_image(r, p, false)))
        .map_err(render)?;
    let mut model = conv.plan_model();
    model.set_includes(ast);
    conv.lower().map_err(render)?;
    let mut out = std::io::stdout().lock();
    out.write_all(args.plan_format.render(&model).as_bytes())
        .map_err(|e| e.to_string())
}
