//! A build through the gateway: read the Dockerfile and `.dockerignore`, convert each target
//! platform, resolve every distinct base image once and concurrently, solve, and assemble the
//! result with the image config metadata exporters read.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use buildkit_llb::{LocalOptions, Metadata, Platform, SourceFile, State};
use buildkit_proto::gateway as gw;
use buildkit_proto::google::rpc::Status;
use futures::future::try_join_all;
use serde_json::json;

use super::bridge::Bridge;
use crate::convert::{Conversion, ConvertOptions, ImageKey, ResolvedImage, ResolvedImages};
use crate::error::{plain_status, LocatedError};
use crate::options::BuildOptions;
use crate::{dockerignore, instructions, syntax};

/// Why a build failed: located in the Dockerfile, or not.
pub enum Failure {
    Located { error: LocatedError, filename: String, source: Vec<u8> },
    Plain(String),
}

impl Failure {
    pub fn to_status(&self) -> Status {
        match self {
            Failure::Located { error, filename, source } => error.to_status(filename, Some(source)),
            Failure::Plain(m) => plain_status(m),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Plain(format!("{e:#}"))
    }
}

pub async fn build(bridge: &Bridge) -> Result<gw::Result, Failure> {
    let opts = BuildOptions::parse(&bridge.opts).map_err(|e| Failure::Plain(e.0))?;
    if let Some(req) = &opts.request_id {
        return Err(Failure::Plain(format!("unsupported request {req}: subrequests are not supported by this frontend yet")));
    }
    let session_id = |local: &str| opts.local_session_ids.get(local).cloned().unwrap_or_else(|| bridge.session_id.clone());

    let dockerfile = read_dockerfile(bridge, &opts, session_id(&opts.dockerfile_local)).await?;
    let filename = opts.filename.clone();
    let locate = |e: LocatedError| Failure::Located { error: e, filename: filename.clone(), source: dockerfile.data.clone() };
    let text = String::from_utf8_lossy(&dockerfile.data).into_owned();
    let ast = syntax::parse(&text).map_err(|e| locate(LocatedError::new(e.message, e.location)))?;
    let df = instructions::parse_dockerfile(&ast).map_err(|e| locate(LocatedError::new(e.message, e.location)))?;

    let ignore = match dockerfile.ignore {
        Some(bytes) => Some(bytes),
        None => read_context_dockerignore(bridge, &opts, session_id(&opts.context_local)).await?,
    };
    let excludes = ignore.map(|b| dockerignore::parse(&String::from_utf8_lossy(&b))).unwrap_or_default();

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
            session_id: Some(session_id(&opts.context_local)),
            context_local: opts.context_local.clone(),
            context_excludes: excludes.clone(),
            source_file: Some(source_file.clone()),
        })
        .collect();
    let conversions = convert_opts
        .iter()
        .map(|o| Conversion::new(&df, ast.escape, o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| locate(LocatedError::new(e.message, e.location)))?;

    let keys: BTreeSet<ImageKey> = conversions.iter().flat_map(|c| c.images_to_resolve()).collect();
    let images = resolve_images(bridge, &opts, keys, &ast, &df).await.map_err(|e| match e {
        ResolveFailure::Located(l) => locate(l),
        ResolveFailure::Other(m) => Failure::Plain(m),
    })?;

    let converted = conversions.iter().map(|c| c.lower(&images)).collect::<Result<Vec<_>, _>>().map_err(|e| locate(LocatedError::new(e.message, e.location)))?;
    let solves = converted.iter().map(|c| async {
        let def = c.state.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
        bridge.solve(def, opts.cache_imports.clone()).await.map_err(Failure::from)
    });
    let refs = try_join_all(solves).await?;

    let mut result = gw::Result::default();
    let mut platforms_meta = Vec::new();
    let mut refmap = BTreeMap::new();
    for ((tp, conv), ref_id) in targets.iter().zip(&converted).zip(refs) {
        let p = tp.clone().unwrap_or_else(Platform::host);
        let id = p.to_string();
        let config = conv.image.to_json();
        let base = conv.base_image.as_ref().map(|b| b.to_json());
        if opts.multi_platform {
            refmap.insert(id.clone(), gw::Ref { id: ref_id, def: None });
            result.metadata.insert(format!("containerimage.config/{id}"), config);
            if let Some(b) = base {
                result.metadata.insert(format!("containerimage.base.config/{id}"), b);
            }
        } else {
            result.result = Some(gw::result::Result::Ref(gw::Ref { id: ref_id, def: None }));
            result.metadata.insert("containerimage.config".into(), config);
            if let Some(b) = base {
                result.metadata.insert("containerimage.base.config".into(), b);
            }
        }
        let mut platform = json!({"architecture": p.architecture, "os": p.os});
        if !p.variant.is_empty() {
            platform["variant"] = json!(p.variant);
        }
        platforms_meta.push(json!({"ID": id, "Platform": platform}));
    }
    if opts.multi_platform {
        result.result = Some(gw::result::Result::Refs(gw::RefMap { refs: refmap }));
    }
    result.metadata.insert("refs.platforms".into(), serde_json::to_vec(&json!({ "Platforms": platforms_meta })).unwrap_or_default());
    Ok(result)
}

struct DockerfileSource {
    data: Vec<u8>,
    /// `<Dockerfile>.dockerignore`, which takes precedence over the context's `.dockerignore`.
    ignore: Option<Vec<u8>>,
}

async fn read_dockerfile(bridge: &Bridge, opts: &BuildOptions, session_id: String) -> Result<DockerfileSource, Failure> {
    let filename = &opts.filename;
    let mut follow = vec![filename.clone(), format!("{filename}.dockerignore")];
    let lowercase = lowercase_variant(filename);
    follow.extend(lowercase.clone());
    let local = State::local(
        &opts.dockerfile_local,
        LocalOptions {
            session_id: Some(session_id),
            shared_key_hint: Some(opts.dockerfile_local.clone()),
            follow_paths: follow,
            differ: Some("none".into()),
            metadata: Metadata::named(format!("[internal] load build definition from {filename}")),
            ..Default::default()
        },
    );
    let def = local.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
    let ref_id = bridge.solve(def, Vec::new()).await.map_err(|e| Failure::Plain(format!("failed to resolve dockerfile: {e:#}")))?;
    let data = match bridge.read_file(&ref_id, filename).await {
        Ok(d) => d,
        Err(first) => match &lowercase {
            Some(l) => bridge.read_file(&ref_id, l).await.map_err(|_| Failure::Plain(format!("failed to read dockerfile: {}", first.message())))?,
            None => return Err(Failure::Plain(format!("failed to read dockerfile: {}", first.message()))),
        },
    };
    if data.is_empty() {
        return Err(Failure::Plain("the Dockerfile cannot be empty".into()));
    }
    let ignore = bridge.read_file(&ref_id, &format!("{filename}.dockerignore")).await.ok();
    Ok(DockerfileSource { data, ignore })
}

/// `dockerfile` is also accepted where `Dockerfile` is asked for (moby/moby#10858).
fn lowercase_variant(filename: &str) -> Option<String> {
    let (dir, base) = filename.rsplit_once('/').map_or(("", filename), |(d, b)| (d, b));
    (base == "Dockerfile").then(|| if dir.is_empty() { "dockerfile".to_string() } else { format!("{dir}/dockerfile") })
}

async fn read_context_dockerignore(bridge: &Bridge, opts: &BuildOptions, session_id: String) -> Result<Option<Vec<u8>>, Failure> {
    let local = State::local(
        &opts.context_local,
        LocalOptions {
            session_id: Some(session_id),
            shared_key_hint: Some(opts.context_local.clone()),
            follow_paths: vec![".dockerignore".into()],
            differ: Some("none".into()),
            metadata: Metadata::named("[internal] load .dockerignore"),
            ..Default::default()
        },
    );
    let def = local.marshal().map_err(|e| Failure::Plain(e.to_string()))?;
    let ref_id = bridge.solve(def, Vec::new()).await?;
    Ok(bridge.read_file(&ref_id, ".dockerignore").await.ok())
}

enum ResolveFailure {
    Located(LocatedError),
    Other(String),
}

/// Resolves every image at once; an image that cannot be resolved is reported at the first FROM that names it.
async fn resolve_images(bridge: &Bridge, opts: &BuildOptions, keys: BTreeSet<ImageKey>, _ast: &syntax::Ast, df: &instructions::Dockerfile) -> Result<ResolvedImages, ResolveFailure> {
    let multi = opts.multi_platform;
    let lookups = keys.into_iter().map(|(reference, platform)| async move {
        let prefix = if multi { format!("[{platform} internal]") } else { "[internal]".to_string() };
        let res = bridge.resolve_image_config(&reference, &platform.to_pb(), &opts.image_resolve_mode, format!("{prefix} load metadata for {reference}")).await;
        (reference, platform, res)
    });
    let mut images = ResolvedImages::new();
    for (reference, platform, res) in futures::future::join_all(lookups).await {
        match res {
            Ok((digest, config)) => {
                images.insert((reference, platform), ResolvedImage { digest: (!digest.is_empty()).then_some(digest), config });
            }
            Err(e) => {
                let location = df.stages.iter().find(|s| {
                    buildkit_llb::reference::Reference::parse_normalized(&s.base_name).map(|r| r.to_string()).as_deref() == Ok(reference.as_str())
                });
                let message = format!("{reference}: {e:#}");
                return Err(match location {
                    Some(s) => ResolveFailure::Located(LocatedError::new(message, Some(s.location))),
                    None => ResolveFailure::Other(message),
                });
            }
        }
    }
    Ok(images)
}
