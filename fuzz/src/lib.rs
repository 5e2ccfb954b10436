//! What the fuzz targets share: how an input is read (option lines, then a Dockerfile), the
//! offline stand-ins for what the daemon answers, the conversion as the gateway drives it, and
//! the dump of every message the targets encode for BuildKit ([`dump`]), which
//! `tests/fuzz-decode.sh` checks with BuildKit's own Go decoders.

pub mod dump;
mod limit;

/// Every target's allocations, limited: one above [`limit::MALLOC_LIMIT`] is a failure.
#[global_allocator]
static ALLOCATOR: limit::Limited = limit::Limited;

use std::collections::BTreeMap;
use std::sync::Arc;

use buildkit_llb::{pb, LocalOptions, Metadata, Platform, SourceFile, State};
use dockerfile_frontend::convert::epoch::{self, EpochSource};
use dockerfile_frontend::convert::{
    dockerfile_text, global_args, parse_source, Conversion, ConvertOptions, Converted, ImageKey,
    LoadedContext, NamedContext, Need, Resolutions, ResolvedImage, ResolvedImages,
};
use dockerfile_frontend::error::LocatedError;
use dockerfile_frontend::limits::Limits;
use dockerfile_frontend::lint::{self, Checker, Config, IgnoreMatcher};
use dockerfile_frontend::options::BuildOptions;
use dockerfile_frontend::syntax::{self, Ast};
use dockerfile_frontend::{dockerignore, gateway, instructions, subrequests};

/// The line between an input's option lines and its Dockerfile.
pub const SEPARATOR: &str = "---";

/// At most this many target platforms are converted (a `platform=` list can be long).
pub const MAX_PLATFORMS: usize = 3;

/// An input split into `key=value` lines (before a line `---`) and the rest (after it).
pub struct Input<'a> {
    pub pairs: Vec<(String, String)>,
    /// The bytes after the separator line; None without one.
    pub body: Option<&'a [u8]>,
}

impl<'a> Input<'a> {
    /// `data` as option lines up to a `---` line, then the body. Without a separator the whole
    /// input is option lines when `header_only`, else the whole input is the body.
    pub fn split(data: &'a [u8], header_only: bool) -> Self {
        let mut start = 0;
        let mut header_end = None;
        while start <= data.len() {
            let end = data[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(data.len(), |i| start + i);
            let line = &data[start..end];
            if line == SEPARATOR.as_bytes() || line == b"---\r" {
                header_end = Some((start, (end + 1).min(data.len())));
                break;
            }
            start = end + 1;
        }
        let (header, body) = match header_end {
            Some((h, b)) => (&data[..h], Some(&data[b..])),
            None if header_only => (data, None),
            None => (&data[..0], Some(data)),
        };
        let pairs = String::from_utf8_lossy(header)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (l.to_string(), String::new()),
            })
            .collect();
        Input { pairs, body }
    }

    /// The value of the last `key=` line.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key=` lines, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The image config every base image has offline unless the input gives one: one layer, a
/// PATH, the platform asked for (as `cli.rs`'s offline stand-in).
pub fn stub_config(p: &Platform) -> Vec<u8> {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let variant = if p.variant.is_empty() {
        String::new()
    } else {
        format!(",\"variant\":{}", q(&p.variant))
    };
    format!(
        "{{\"architecture\":{},\"config\":{{\"Env\":[\"PATH=/usr/bin:/bin\"]}},\"os\":{},\"rootfs\":{{\"diff_ids\":[\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"],\"type\":\"layers\"}}{variant}}}",
        q(&p.architecture),
        q(&p.os),
    )
    .into_bytes()
}

/// The definition the Dockerfile is read with (the `dockerfile` local), as the gateway has it.
pub fn dockerfile_definition() -> pb::Definition {
    State::local(
        "dockerfile",
        LocalOptions {
            session_id: Some("fuzz-session".into()),
            shared_key_hint: Some("Dockerfile".into()),
            include_patterns: vec!["Dockerfile".into()],
            metadata: Metadata::named("[internal] load build definition from Dockerfile"),
            ..Default::default()
        },
    )
    .marshal()
    .unwrap_or_default()
}

/// The Dockerfile as errors and warnings point into it.
pub fn source_info(data: &[u8]) -> pb::SourceInfo {
    dockerfile_frontend::error::dockerfile_info("Dockerfile", data, Some(dockerfile_definition()))
}

/// What the offline daemon answers.
#[derive(Default)]
pub struct Daemon {
    /// The config of every base image and `docker-image://` context; None: [`stub_config`].
    pub image_config: Option<Vec<u8>>,
    /// Pin base images by a digest, as a registry would.
    pub digest: bool,
    /// The worker's platform (the build platform); None: this machine's.
    pub build_platform: Option<Platform>,
}

impl Daemon {
    pub fn image(&self, key: &ImageKey) -> ResolvedImage {
        let config = self
            .image_config
            .clone()
            .unwrap_or_else(|| stub_config(&key.1));
        ResolvedImage {
            digest: self.digest.then(|| buildkit_llb::digest_of(&config)),
            config,
        }
    }

    /// A named context as the gateway would load it: an image with [`Daemon::image`]'s config,
    /// a local directory, another build's definition, an OCI layout.
    pub fn context(&self, nc: &NamedContext) -> Result<LoadedContext, String> {
        use dockerfile_frontend::convert::ContextSource;
        let platform = nc.platform.clone().unwrap_or_else(Platform::host);
        let config = || {
            self.image_config
                .clone()
                .unwrap_or_else(|| stub_config(&platform))
        };
        match nc.source().map_err(|e| e.message)? {
            ContextSource::Image { reference, .. } => Ok(LoadedContext::Image {
                reference,
                config: config(),
            }),
            ContextSource::Local { name } => Ok(LoadedContext::Local {
                session_id: "fuzz-session".into(),
                shared_key: name,
                excludes: vec!["*.tmp".into(), "!keep.tmp".into()],
            }),
            ContextSource::Input { name } => Ok(LoadedContext::Input {
                definition: State::image(
                    &format!("docker.io/library/{}:latest", name.to_ascii_lowercase()),
                    Default::default(),
                )
                .marshal()
                .map_err(|e| e.to_string())?,
                config: Some(config()),
            }),
            ContextSource::OciLayout { .. } => Ok(LoadedContext::OciLayout {
                session_id: "fuzz-session".into(),
                config: config(),
            }),
            ContextSource::Scratch | ContextSource::Http { .. } | ContextSource::Git(_) => {
                Err(format!("{} needs no loading", nc.name_with_platform))
            }
        }
    }

    fn build_platforms(&self) -> Vec<Platform> {
        self.build_platform.iter().cloned().collect()
    }
}

/// What [`convert`] produced: per target platform, the result and its `SOURCE_DATE_EPOCH`.
pub struct Build {
    pub targets: Vec<Option<Platform>>,
    pub converted: Vec<Converted>,
    pub epochs: Vec<Option<i64>>,
}

/// Why a build failed, as `gateway/failure.rs` tells them apart.
pub enum Failure {
    Located(LocatedError),
    Plain(String),
}

impl From<LocatedError> for Failure {
    fn from(e: LocatedError) -> Self {
        Failure::Located(e)
    }
}

impl Failure {
    fn into_located(self) -> LocatedError {
        match self {
            Failure::Located(e) => e,
            Failure::Plain(m) => LocatedError::new(m),
        }
    }
}

/// The target platforms a build converts for (at most [`MAX_PLATFORMS`]).
pub fn targets(build: &BuildOptions) -> Vec<Option<Platform>> {
    let mut targets: Vec<Option<Platform>> = build
        .target_platforms
        .iter()
        .take(MAX_PLATFORMS)
        .cloned()
        .map(Some)
        .collect();
    if targets.is_empty() {
        targets.push(None);
    }
    targets
}

/// Size limits (docs/limits.md) small enough for small inputs to reach them, so that a
/// conversion stays far below the memory a run may use (tests/fuzz.sh): more is a bound missing.
const FUZZ_LIMITS: Limits = Limits {
    word: 64 << 10,
    env: 256 << 10,
    output: 8 << 20,
};

/// The gateway's conversion (`gateway/conversion.rs`) without I/O: every target platform,
/// `SOURCE_DATE_EPOCH` resolved (a time the daemon would look up is a fixed one), needs
/// answered by `daemon` in rounds, the checks run beside it, the epoch applied to the image's
/// history.
pub fn convert(
    ast: &Ast,
    data: &[u8],
    build: &BuildOptions,
    excludes: &[String],
    daemon: &Daemon,
    checker: &mut Checker<'_>,
) -> Result<Build, Failure> {
    let df = instructions::parse_dockerfile(ast)?;
    let escape = ast.escape;
    let targets = targets(build);
    let source_file = Arc::new(SourceFile {
        filename: "Dockerfile".into(),
        data: data.to_vec(),
        language: "Dockerfile".into(),
        definition: Some(dockerfile_definition()),
    });
    let mut opts: Vec<ConvertOptions> = targets
        .iter()
        .map(|tp| ConvertOptions {
            build: build.clone(),
            target_platform: tp.clone(),
            build_platforms: daemon.build_platforms(),
            session_id: Some("fuzz-session".into()),
            context_excludes: excludes.to_vec(),
            source_file: Some(Arc::clone(&source_file)),
            sbom_targets: build.sbom.is_some(),
            all_stages: checker.all_stages(),
            limits: FUZZ_LIMITS,
            ..Default::default()
        })
        .collect();
    for o in &mut opts {
        let globals = global_args(&df, escape, o)?;
        let Some(value) = epoch::value(&o.build_args, &globals) else {
            continue;
        };
        let t = match epoch::source(&value, &df, escape, o, &globals)? {
            None => None,
            Some(EpochSource::Seconds(t)) => Some(t),
            Some(_) => Some(1_700_000_000),
        };
        o.epoch = t;
        o.epoch_replaces_arg = true;
        if o.build_args.contains_key(epoch::SOURCE_DATE_EPOCH) {
            match t {
                Some(t) => {
                    o.build_args
                        .insert(epoch::SOURCE_DATE_EPOCH.into(), t.to_string());
                }
                None => {
                    o.build_args.remove(epoch::SOURCE_DATE_EPOCH);
                }
            }
        }
    }
    let epochs: Vec<Option<i64>> = opts.iter().map(|o| o.epoch).collect();
    let mut conversions = opts
        .iter()
        .map(|o| Conversion::new(&df, escape, o))
        .collect::<Result<Vec<_>, _>>()?;
    let mut images = ResolvedImages::new();
    let mut for_checks: Vec<Need> = checker
        .images_needed()
        .into_iter()
        .map(Need::Image)
        .collect();
    // ONBUILD triggers can add needs; the Dockerfile bounds the rounds, this bounds a bug.
    for _ in 0..1000 {
        let mut asked = Vec::with_capacity(conversions.len());
        for c in &mut conversions {
            asked.push(c.needs()?);
        }
        let mut all: Vec<Need> = asked.iter().flatten().cloned().collect();
        all.append(&mut for_checks);
        if all.is_empty() {
            break;
        }
        let mut res = Resolutions::default();
        for need in all {
            match need {
                Need::Image(key) => {
                    let img = daemon.image(&key);
                    images.insert(key.clone(), img.clone());
                    res.images.insert(key, Ok(img));
                }
                Need::Context(nc) => {
                    let loaded = daemon.context(&nc);
                    res.contexts.insert(nc, loaded);
                }
            }
        }
        for (c, asked) in conversions.iter_mut().zip(&asked) {
            if !asked.is_empty() {
                c.provide(&res)?;
            }
        }
    }
    let ignore = if excludes.is_empty() {
        None
    } else {
        IgnoreMatcher::new(excludes).ok()
    };
    checker.dispatch(&images, ignore.as_ref());
    let mut converted = conversions
        .iter()
        .map(|c| c.lower())
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(e) = checker.violation_error() {
        return Err(Failure::Plain(e));
    }
    for (c, t) in converted.iter_mut().zip(&epochs) {
        if let Some(t) = t {
            gateway::pure::apply_epoch(&mut c.image, *t).map_err(Failure::Plain)?;
        }
    }
    Ok(Build {
        targets,
        converted,
        epochs,
    })
}

/// A build (or, with `requestid`, a subrequest) as `gateway/build.rs` runs it once the
/// options are parsed, everything it would send BuildKit encoded and dumped: each platform's
/// definition, the result with its image configs and the warnings; or the error as a status.
/// `ignore`: the context's `.dockerignore`.
pub fn run(data: &[u8], build: &BuildOptions, ignore: Option<&[u8]>, daemon: &Daemon) {
    let info = source_info(data);
    let plain = |m: &str| dump::status(&dockerfile_frontend::error::plain_status(m));
    let check_arg = match Config::from_build_arg(&build_arg_options(build)) {
        Ok(c) => c,
        Err(e) => return plain(&e),
    };
    let excludes = ignore
        .map(|b| dockerignore::parse(&String::from_utf8_lossy(b)))
        .unwrap_or_default();
    let text = dockerfile_text(data);
    if let Some(req) = &build.request_id {
        return subrequest(
            req,
            data,
            &text,
            build,
            check_arg.as_ref(),
            &excludes,
            daemon,
        );
    }
    let cfg = match Config::for_build(check_arg.as_ref(), &text) {
        Ok(c) => c,
        Err(e) => return plain(&e),
    };
    let ast = match parse_source(&text) {
        Ok(a) => a,
        Err(e) => return dump::status(&e.to_status(&info)),
    };
    let mut checker = Checker::new(
        &ast,
        lint::Options::for_build(build, daemon.build_platforms(), false),
        cfg,
    );
    let built = convert(&ast, data, build, &excludes, daemon, &mut checker);
    let vertex = gateway::pure::head_digest(&dockerfile_definition()).unwrap_or_default();
    for w in checker.warnings() {
        dump::warning(&gateway::pure::warn_request(w, &info, &vertex));
    }
    let b = match built {
        Ok(b) => b,
        Err(Failure::Located(e)) => return dump::status(&e.to_status(&info)),
        Err(Failure::Plain(m)) => return plain(&m),
    };
    let mut refs = Vec::new();
    for c in &b.converted {
        match c.state.marshal() {
            Ok(def) => dump::definition(&def),
            Err(e) => return plain(&e.to_string()),
        }
        refs.push(format!("ref-{}", refs.len()));
        dump::image_config(&c.image.to_json());
    }
    let res = gateway::pure::assemble(
        &b.targets,
        &b.converted,
        refs,
        Vec::new(),
        build.multi_platform,
        &b.epochs,
    );
    dump::result(&res);
}

/// `gateway/requests.rs`: the subrequest's result metadata, or its error as a status.
fn subrequest(
    request: &str,
    data: &[u8],
    text: &str,
    build: &BuildOptions,
    check_arg: Option<&Config>,
    excludes: &[String],
    daemon: &Daemon,
) {
    let info = source_info(data);
    let plain = |m: &str| dump::status(&dockerfile_frontend::error::plain_status(m));
    let located = |e: LocatedError| dump::status(&e.to_status(&info));
    match request {
        subrequests::DESCRIBE => dump::metadata(dump::DESCRIBE, &subrequests::describe()),
        subrequests::TARGETS => {
            let parsed = syntax::parse(text).and_then(|ast| instructions::parse_dockerfile(&ast));
            match parsed {
                Ok(df) => dump::metadata(dump::TARGETS, &subrequests::targets(&df, data)),
                Err(e) => located(e),
            }
        }
        subrequests::OUTLINE => {
            let cfg = match Config::for_build(check_arg, text) {
                Ok(c) => c,
                Err(e) => return plain(&e),
            };
            let ast = match parse_source(text) {
                Ok(a) => a,
                Err(e) => return located(e),
            };
            let mut checker = Checker::new(
                &ast,
                lint::Options::for_build(build, daemon.build_platforms(), false),
                cfg,
            );
            match convert(&ast, data, build, excludes, daemon, &mut checker) {
                Ok(_) => dump::metadata(
                    dump::OUTLINE,
                    &subrequests::outline(&checker.outline(), data),
                ),
                Err(Failure::Located(e)) => located(e),
                Err(Failure::Plain(m)) => plain(&m),
            }
        }
        subrequests::LINT => {
            let early = |error: LocatedError| {
                dump::metadata(
                    dump::LINT,
                    &subrequests::lint(&subrequests::LintReport {
                        warnings: &[],
                        sources: vec![info.clone()],
                        error: Some(error),
                    }),
                )
            };
            let cfg = match Config::for_build(check_arg, text) {
                Ok(c) => c,
                Err(e) => return early(LocatedError::new(e)),
            };
            let ast = match parse_source(text) {
                Ok(a) => a,
                Err(e) => return early(e),
            };
            let mut checker = Checker::new(
                &ast,
                lint::Options::for_build(build, daemon.build_platforms(), true),
                cfg,
            );
            let error = match convert(&ast, data, build, excludes, daemon, &mut checker) {
                Err(f) => Some(f.into_located()),
                Ok(_) => checker.error().cloned(),
            };
            dump::metadata(
                dump::LINT,
                &subrequests::lint(&subrequests::LintReport {
                    warnings: checker.warnings(),
                    sources: vec![info.clone()],
                    error,
                }),
            );
        }
        other => dump::status(&gateway::pure::unsupported_status(other)),
    }
}

/// The build arguments as option keys, as the checks read `BUILDKIT_DOCKERFILE_CHECK`.
fn build_arg_options(build: &BuildOptions) -> BTreeMap<String, String> {
    build
        .build_args
        .iter()
        .map(|(k, v)| (format!("build-arg:{k}"), v.clone()))
        .collect()
}

/// The subrequests' results from a checker that ran without a conversion (as `check` runs):
/// `frontend.targets` (when the instructions parse), `frontend.outline`, `frontend.lint`.
pub fn subrequest_results(
    df: Option<&instructions::Dockerfile>,
    data: &[u8],
    checker: &Checker<'_>,
    error: Option<LocatedError>,
) {
    if let Some(df) = df {
        dump::metadata(dump::TARGETS, &subrequests::targets(df, data));
    }
    dump::metadata(
        dump::OUTLINE,
        &subrequests::outline(&checker.outline(), data),
    );
    dump::metadata(
        dump::LINT,
        &subrequests::lint(&subrequests::LintReport {
            warnings: checker.warnings(),
            sources: vec![source_info(data)],
            error,
        }),
    );
}
