//! The conversion step a build and the subrequests share: parse the instructions, convert for
//! each target platform with the build checks alongside, and resolve base images and named
//! contexts through the daemon in rounds.

use std::collections::BTreeSet;
use std::sync::Arc;

use buildkit_llb::{Platform, SourceFile};

use super::bridge::Bridge;
use super::checks::Checks;
use super::failure::Failure;
use super::images::resolve_needs;
use super::source::BuildSource;
use crate::convert::{Conversion, ConvertOptions, Converted, Need, ResolvedImages};
use crate::error::LocatedError;
use crate::options::BuildOptions;
use crate::{dockerignore, instructions, lint, syntax};

/// Converts the Dockerfile for each target platform, running the build checks alongside
/// (their warnings are sent before lowering, and shown once the conversion ends, failed or
/// not; with `error=true` a violation fails here).
/// Also returns each target's `SOURCE_DATE_EPOCH` (seconds) when the build sets it.
pub async fn convert(
    bridge: &Bridge,
    opts: &BuildOptions,
    dockerfile: &BuildSource,
    ast: &syntax::Ast,
    targets: &[Option<Platform>],
    checks: &mut Checks<'_>,
) -> Result<(Vec<Converted>, Vec<Option<i64>>), Failure> {
    convert_inspecting(bridge, opts, dockerfile, ast, targets, checks, &mut |_| {}).await
}

/// [`convert`], showing each platform's conversion to `inspect` once its base images and named
/// contexts are resolved, before it is lowered (`frontend.plan` reads the stage graph there).
pub async fn convert_inspecting(
    bridge: &Bridge,
    opts: &BuildOptions,
    dockerfile: &BuildSource,
    ast: &syntax::Ast,
    targets: &[Option<Platform>],
    checks: &mut Checks<'_>,
    inspect: &mut (dyn FnMut(&Conversion<'_>) + Send),
) -> Result<(Vec<Converted>, Vec<Option<i64>>), Failure> {
    let converted = convert_checked(bridge, opts, dockerfile, ast, targets, checks, inspect).await;
    checks.show(bridge).await;
    converted
}

async fn convert_checked(
    bridge: &Bridge,
    opts: &BuildOptions,
    dockerfile: &BuildSource,
    ast: &syntax::Ast,
    targets: &[Option<Platform>],
    checks: &mut Checks<'_>,
    inspect: &mut (dyn FnMut(&Conversion<'_>) + Send),
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
    let include_files = dockerfile.included.source_files();
    let build_platforms = build_platforms(bridge);
    let session_id = opts
        .local_session_ids
        .get(&opts.context_local)
        .cloned()
        .unwrap_or_else(|| bridge.session_id.clone());
    let mut convert_opts: Vec<ConvertOptions> = targets
        .iter()
        .map(|tp| ConvertOptions {
            build: opts.clone(),
            target_platform: tp.clone(),
            build_platforms: build_platforms.clone(),
            session_id: Some(session_id.clone()),
            context_excludes: excludes.clone(),
            source_file: Some(source_file.clone()),
            include_files: include_files.clone(),
            main_context: dockerfile.main_context.clone(),
            llb_caps: Some(bridge.llb_caps().clone()),
            epoch: None,
            epoch_replaces_arg: false,
            sbom_targets: opts.sbom.is_some(),
            all_stages: checks.checker().all_stages(),
            limits: Default::default(),
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
    for c in &conversions {
        inspect(c);
    }

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
            crate::convert::epoch::apply(&mut c.image, *t).map_err(Failure::Plain)?;
        }
    }
    Ok((converted, epochs))
}

/// The Dockerfile's AST and its checks as a build (or a subrequest converting as one) sets
/// them up: the configuration from the build arg, else the `# check=` directive; warnings sent
/// as they are found. The caller builds the checks on the AST: `build_checks`.
pub fn parse_for_build(
    dockerfile: &BuildSource,
    check_arg: Option<&lint::Config>,
) -> Result<(syntax::Ast, lint::Config), Failure> {
    let text = crate::convert::dockerfile_text(&dockerfile.data);
    let cfg = lint::Config::for_build(check_arg, &text).map_err(Failure::Plain)?;
    let ast = dockerfile.parse().map_err(|e| dockerfile.locate(e))?;
    Ok((ast, cfg))
}

/// The checks of a build (see [`parse_for_build`]).
pub fn build_checks<'a>(
    ast: &'a syntax::Ast,
    bridge: &Bridge,
    opts: &BuildOptions,
    cfg: lint::Config,
    dockerfile: &BuildSource,
) -> Checks<'a> {
    let lint_opts = lint::Options::for_build(opts, build_platforms(bridge), false);
    Checks::new(ast, lint_opts, cfg, dockerfile, true)
}

/// dockerui: the build platform is the first worker's first platform.
pub fn build_platforms(bridge: &Bridge) -> Vec<Platform> {
    bridge
        .workers
        .first()
        .and_then(|w| w.platforms.first())
        .map(Platform::from_pb)
        .into_iter()
        .collect()
}
