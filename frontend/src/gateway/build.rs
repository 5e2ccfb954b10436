//! A build through the gateway: read the Dockerfile and `.dockerignore`, convert each target
//! platform, resolve every distinct base image once and concurrently, solve, and assemble the
//! result with the image config metadata exporters read.

use std::collections::BTreeSet;
use std::sync::Arc;

use buildkit_llb::{Platform, SourceFile};
use buildkit_proto::gateway as gw;
use buildkit_proto::google::rpc::Status;
use futures::future::try_join_all;

use super::bridge::Bridge;
use super::images::{resolve_images, ResolveFailure};
use super::bridge::GrpcError;
use super::source::{self, Entry};
use crate::convert::{Conversion, ConvertOptions, ImageKey};
use crate::error::{plain_status, status_from_grpc, LocatedError};
use crate::options::BuildOptions;
use crate::{dockerignore, instructions, syntax};

/// Why a build failed: located in the Dockerfile, or not.
pub enum Failure {
    Located { error: LocatedError, filename: String, source: Vec<u8> },
    Plain(String),
    /// A status as is: a daemon error with its details, or another frontend's error.
    Status(Status),
}

impl Failure {
    pub fn to_status(&self) -> Status {
        match self {
            Failure::Located { error, filename, source } => error.to_status(filename, Some(source)),
            Failure::Plain(m) => plain_status(m),
            Failure::Status(s) => s.clone(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    /// Keeps the details of a daemon error (a failed RUN's location, exit code, vertex).
    fn from(e: anyhow::Error) -> Self {
        match e.downcast_ref::<GrpcError>() {
            Some(g) => Failure::Status(Status { message: format!("{e:#}"), ..status_from_grpc(&g.0) }),
            None => Failure::Plain(format!("{e:#}")),
        }
    }
}

pub async fn build(bridge: &Bridge) -> Result<gw::Result, Failure> {
    let opts = BuildOptions::parse(&bridge.opts).map_err(|e| Failure::Plain(e.0))?;
    let session_id = |local: &str| opts.local_session_ids.get(local).cloned().unwrap_or_else(|| bridge.session_id.clone());

    let dockerfile = match source::entry(bridge, &opts).await? {
        Entry::Build(src) => src,
        Entry::Forwarded(result) => return Ok(result),
    };
    if let Some(req) = &opts.request_id {
        return Err(Failure::Plain(format!("unsupported request {req}: subrequests are not supported by this frontend yet")));
    }
    let filename = dockerfile.filename.clone();
    let locate = |e: LocatedError| Failure::Located { error: e, filename: filename.clone(), source: dockerfile.data.clone() };
    let text = String::from_utf8_lossy(&dockerfile.data).into_owned();
    let ast = syntax::parse(&text).map_err(|e| locate(LocatedError::new(e.message, e.location)))?;
    let df = instructions::parse_dockerfile(&ast).map_err(|e| locate(LocatedError::new(e.message, e.location)))?;

    let excludes = dockerfile.ignore.clone().map(|b| dockerignore::parse(&String::from_utf8_lossy(&b))).unwrap_or_default();

    let source_file = Arc::new(SourceFile { filename: filename.clone(), data: dockerfile.data.clone(), language: "Dockerfile".into() });
    let build_platforms: Vec<Platform> = bridge.workers.first().map(|w| w.platforms.iter().map(Platform::from_pb).collect()).unwrap_or_default();
    let targets: Vec<Option<Platform>> = if opts.target_platforms.is_empty() { vec![None] } else { opts.target_platforms.iter().cloned().map(Some).collect() };
    let convert_opts: Vec<ConvertOptions> = targets
        .iter()
        .map(|tp| ConvertOptions {
            target: opts.target.clone(),
            build_args: opts.build_args.clone(),
            labels: opts.labels.clone(),
            target_platform: tp.clone(),
            build_platforms: build_platforms.clone(),
            multi_platform: opts.multi_platform,
            image_resolve_mode: (opts.image_resolve_mode != "default").then(|| opts.image_resolve_mode.clone()),
            no_cache: opts.no_cache.clone(),
            hostname: opts.hostname.clone(),
            force_network_mode: opts.force_network_mode.clone(),
            cgroup_parent: opts.cgroup_parent.clone(),
            git_advice: opts.git_advice,
            extra_hosts: opts.extra_hosts.clone(),
            shm_size: opts.shm_size,
            ulimits: opts.ulimits.clone(),
            session_id: Some(session_id(&opts.context_local)),
            context_local: opts.context_local.clone(),
            context_excludes: excludes.clone(),
            source_file: Some(source_file.clone()),
            main_context: dockerfile.main_context.clone(),
            llb_caps: Some(bridge.llb_caps().clone()),
        })
        .collect();
    let conversions = convert_opts
        .iter()
        .map(|o| Conversion::new(&df, ast.escape, o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| locate(LocatedError::new(e.message, e.location)))?;

    let keys: BTreeSet<ImageKey> = conversions.iter().flat_map(|c| c.images_to_resolve()).collect();
    let images = resolve_images(bridge, &opts, keys, &df).await.map_err(|e| match e {
        ResolveFailure::Located(l) => locate(l),
        ResolveFailure::Other(m) => Failure::Plain(m),
    })?;

    let converted = conversions.iter().map(|c| c.lower(&images)).collect::<Result<Vec<_>, _>>().map_err(|e| locate(LocatedError::new(e.message, e.location)))?;
    let solves = converted.iter().map(|c| async {
        let def = c.state.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
        bridge.solve(def, opts.cache_imports.clone()).await.map_err(Failure::from)
    });
    let refs = try_join_all(solves).await?;

    Ok(super::result::assemble(&targets, &converted, refs, opts.multi_platform))
}

