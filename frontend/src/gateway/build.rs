//! A build through the gateway: read the Dockerfile and `.dockerignore`, convert each target
//! platform, resolve every distinct base image once and concurrently, solve, and assemble the
//! result with the image config metadata exporters read. Build checks run beside the
//! conversion; a `requestid` option makes it a subrequest instead (`requests.rs`).

use std::collections::BTreeSet;
use std::sync::Arc;

use buildkit_llb::{Platform, SourceFile};
use buildkit_proto::google::rpc::Status;
use buildkit_proto::{gateway as gw, pb};
use futures::future::try_join_all;

use super::bridge::Bridge;
use super::bridge::GrpcError;
use super::checks::{self, Checks};
use super::images::resolve_needs;
use super::sbom::{self, Scanner};
use super::source::{self, BuildSource, Entry};
use crate::convert::{Conversion, ConvertOptions, Converted, Need, ResolvedImages};
use crate::error::{plain_status, status_from_grpc, LocatedError};
use crate::lint;
use crate::options::BuildOptions;
use crate::{dockerignore, instructions, syntax};

/// Why a build failed: located in the Dockerfile, or not.
pub enum Failure {
    Located {
        error: LocatedError,
        /// The Dockerfile it points into (boxed: it holds the definition the Dockerfile was
        /// loaded with, and every `Result` with a `Failure` would carry its size).
        info: Box<pb::SourceInfo>,
    },
    Plain(String),
    /// A status as is: a daemon error with its details, or another frontend's error.
    Status(Status),
}

impl Failure {
    pub fn to_status(&self) -> Status {
        match self {
            Failure::Located { error, info } => error.to_status(info),
            Failure::Plain(m) => plain_status(m),
            Failure::Status(s) => s.clone(),
        }
    }

    /// The message and lines, as `frontend.lint` reports a build error.
    pub fn into_located(self) -> LocatedError {
        match self {
            Failure::Located { error, .. } => error,
            Failure::Plain(m) => LocatedError::new(m),
            Failure::Status(s) => LocatedError::new(s.message),
        }
    }
}

impl From<anyhow::Error> for Failure {
    /// Keeps the details of a daemon error (a failed RUN's location, exit code, vertex).
    fn from(e: anyhow::Error) -> Self {
        match e.downcast_ref::<GrpcError>() {
            Some(g) => Failure::Status(Status {
                message: format!("{e:#}"),
                ..status_from_grpc(&g.0)
            }),
            None => Failure::Plain(format!("{e:#}")),
        }
    }
}

pub async fn build(bridge: &Bridge) -> Result<gw::Result, Failure> {
    let opts = BuildOptions::parse(&bridge.opts).map_err(|e| Failure::Plain(e.0))?;
    let check_arg = lint::Config::from_build_arg(&bridge.opts).map_err(Failure::Plain)?;

    let dockerfile = match source::entry(bridge, &opts).await? {
        Entry::Build(src) => src,
        Entry::Forwarded(result) => return Ok(result),
    };
    if let Some(req) = &opts.request_id {
        return super::requests::handle(bridge, &opts, check_arg.as_ref(), &dockerfile, req).await;
    }
    let text = String::from_utf8_lossy(&dockerfile.data).into_owned();
    let check_config =
        lint::Config::for_build(check_arg.as_ref(), &text).map_err(Failure::Plain)?;
    let ast = crate::convert::parse_source(&text).map_err(|e| dockerfile.locate(e))?;
    let mut checks = Checks::new(
        &ast,
        checks::options(&opts, build_platforms(bridge), false),
        check_config,
        &dockerfile,
        true,
    );

    let targets: Vec<Option<Platform>> = if opts.target_platforms.is_empty() {
        vec![None]
    } else {
        opts.target_platforms.iter().cloned().map(Some).collect()
    };
    let (converted, epochs) =
        convert(bridge, &opts, &dockerfile, &ast, &targets, &mut checks).await?;
    let scanner = match &opts.sbom {
        Some(s) => {
            let platform = build_platforms(bridge)
                .into_iter()
                .next()
                .unwrap_or_else(Platform::host);
            Some(Scanner::resolve(bridge, &opts, s, platform).await?)
        }
        None => None,
    };
    let solve = |state: &buildkit_llb::State, cache_imports| {
        let def = state.marshal().map_err(|e| Failure::Plain(e.to_string()));
        async move {
            bridge
                .solve(def?, cache_imports)
                .await
                .map_err(Failure::from)
        }
    };
    let solves = converted
        .iter()
        .map(|c| solve(&c.state, opts.cache_imports.clone()));
    let refs = try_join_all(solves).await?;
    let mut attestations = Vec::new();
    if let Some(scanner) = &scanner {
        let scans = targets.iter().zip(&converted).map(|(tp, c)| {
            let id = super::result::platform_id(tp.as_ref());
            solve(&scanner.scan(&id, c), Vec::new())
        });
        attestations = try_join_all(scans)
            .await?
            .into_iter()
            .map(sbom::attestation)
            .collect();
    }

    Ok(super::result::assemble(
        &targets,
        &converted,
        refs,
        attestations,
        opts.multi_platform,
        &epochs,
    ))
}

/// Converts the Dockerfile for each target platform, running the build checks alongside
/// (their warnings are sent before lowering; with `error=true` a violation fails here).
/// Also returns each target's `SOURCE_DATE_EPOCH` (seconds) when the build sets it.
pub(super) async fn convert(
    bridge: &Bridge,
    opts: &BuildOptions,
    dockerfile: &BuildSource,
    ast: &syntax::Ast,
    targets: &[Option<Platform>],
    checks: &mut Checks<'_>,
) -> Result<(Vec<Converted>, Vec<Option<i64>>), Failure> {
    checks.flush(bridge).await;
    let locate = |e: LocatedError| dockerfile.locate(e);
    let df = instructions::parse_dockerfile(ast).map_err(locate)?;

    let excludes = dockerfile
        .ignore
        .clone()
        .map(|b| dockerignore::parse(&String::from_utf8_lossy(&b)))
        .unwrap_or_default();

    let source_file = Arc::new(SourceFile {
        filename: dockerfile.filename.clone(),
        data: dockerfile.data.clone(),
        language: "Dockerfile".into(),
        definition: Some(dockerfile.definition.clone()),
    });
    let build_platforms = build_platforms(bridge);
    let session_id = opts
        .local_session_ids
        .get(&opts.context_local)
        .cloned()
        .unwrap_or_else(|| bridge.session_id.clone());
    let mut convert_opts: Vec<ConvertOptions> = targets
        .iter()
        .map(|tp| ConvertOptions {
            target: opts.target.clone(),
            build_args: opts.build_args.clone(),
            labels: opts.labels.clone(),
            target_platform: tp.clone(),
            build_platforms: build_platforms.clone(),
            multi_platform: opts.multi_platform,
            image_resolve_mode: (opts.image_resolve_mode != "default")
                .then(|| opts.image_resolve_mode.clone()),
            no_cache: opts.no_cache.clone(),
            hostname: opts.hostname.clone(),
            force_network_mode: opts.force_network_mode.clone(),
            cgroup_parent: opts.cgroup_parent.clone(),
            git_advice: opts.git_advice,
            extra_hosts: opts.extra_hosts.clone(),
            shm_size: opts.shm_size,
            ulimits: opts.ulimits.clone(),
            linux_resources: opts.linux_resources.clone(),
            session_id: Some(session_id.clone()),
            context_local: opts.context_local.clone(),
            context_excludes: excludes.clone(),
            source_file: Some(source_file.clone()),
            named_contexts: opts.named_contexts.clone(),
            main_context: dockerfile.main_context.clone(),
            llb_caps: Some(bridge.llb_caps().clone()),
            epoch: None,
            epoch_replaces_arg: false,
            sbom_targets: opts.sbom.is_some(),
            all_stages: checks.checker().all_stages(),
        })
        .collect();
    // SOURCE_DATE_EPOCH is resolved (possibly through the daemon) before the stages are
    // dispatched, and the resolved seconds replace the build arg and the global ARG.
    super::epoch::resolve_all(bridge, opts, dockerfile, &df, ast.escape, &mut convert_opts).await?;
    let epochs: Vec<Option<i64>> = convert_opts.iter().map(|o| o.epoch).collect();
    let mut conversions = convert_opts
        .iter()
        .map(|o| Conversion::new(&df, ast.escape, o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(locate)?;

    // Base images and named contexts, in rounds (ONBUILD triggers can need more), every
    // platform's and the checks' at once, so each distinct one is looked up once.
    let mut images = ResolvedImages::new();
    let mut for_checks: BTreeSet<Need> = checks
        .images_needed()
        .into_iter()
        .map(Need::Image)
        .collect();
    loop {
        let mut needs: Vec<Vec<Need>> = Vec::with_capacity(conversions.len());
        for c in &mut conversions {
            needs.push(c.needs().map_err(locate)?);
        }
        let mut all: BTreeSet<Need> = needs.iter().flatten().cloned().collect();
        all.append(&mut for_checks);
        if all.is_empty() {
            break;
        }
        let res = resolve_needs(bridge, opts, all).await;
        images.extend(
            res.images
                .iter()
                .filter_map(|(k, v)| v.as_ref().ok().map(|r| (k.clone(), r.clone()))),
        );
        for (c, asked) in conversions.iter_mut().zip(&needs) {
            if !asked.is_empty() {
                c.provide(&res).map_err(locate)?;
            }
        }
    }
    checks.dispatch(&images, &excludes);
    checks.flush(bridge).await;

    let mut converted = conversions
        .iter()
        .map(|c| c.lower())
        .collect::<Result<Vec<_>, _>>()
        .map_err(locate)?;
    if let Some(e) = checks.violation_error() {
        return Err(Failure::Plain(e));
    }
    for (c, epoch) in converted.iter_mut().zip(&epochs) {
        if let Some(t) = epoch {
            super::epoch::apply(&mut c.image, *t);
        }
    }
    Ok((converted, epochs))
}

/// dockerui: the build platform is the first worker's first platform.
pub(super) fn build_platforms(bridge: &Bridge) -> Vec<Platform> {
    bridge
        .workers
        .first()
        .and_then(|w| w.platforms.first())
        .map(Platform::from_pb)
        .into_iter()
        .collect()
}
