//! Subrequests through the gateway (`--opt requestid=…`): the Dockerfile is read as for a build,
//! then instead of solving, the frontend returns a result that carries only metadata
//! (`result.json`, `result.txt`, …) built by [`crate::subrequests`], as BuildKit's
//! `dockerui.HandleSubrequest` does.

use buildkit_proto::gateway as gw;
use buildkit_proto::google::rpc::Status;

use super::bridge::Bridge;
use super::checks::Checks;
use super::conversion::{
    build_checks, build_platforms, convert, convert_inspecting, parse_for_build,
};
use super::failure::Failure;
use super::source::BuildSource;
use crate::error::LocatedError;
use crate::lint::{self, Config};
use crate::options::BuildOptions;
use crate::subrequests::{self, LintReport, Metadata};
use crate::{instructions, syntax};

/// gRPC's `Unknown`, what BuildKit uses for build errors.
const CODE_UNKNOWN: i32 = 2;

pub async fn handle(
    bridge: &Bridge,
    opts: &BuildOptions,
    check_arg: Option<&Config>,
    dockerfile: &BuildSource,
    request: &str,
) -> Result<gw::Result, Failure> {
    let metadata = match request {
        subrequests::DESCRIBE => subrequests::describe(),
        subrequests::TARGETS => targets(dockerfile)?,
        subrequests::OUTLINE => outline(bridge, opts, check_arg, dockerfile).await?,
        subrequests::LINT => lint(bridge, opts, check_arg, dockerfile).await,
        subrequests::PLAN => plan(bridge, opts, check_arg, dockerfile).await?,
        other => return Err(Failure::Status(unsupported_status(other))),
    };
    // A result with an empty reference and the metadata, as the reference returns it.
    Ok(gw::Result {
        result: Some(gw::result::Result::Ref(gw::Ref {
            id: String::new(),
            def: None,
        })),
        metadata: metadata.into_iter().collect(),
        ..Default::default()
    })
}

/// `frontend.targets`: the stages, from the parsed Dockerfile alone.
fn targets(dockerfile: &BuildSource) -> Result<Metadata, Failure> {
    let text = crate::convert::dockerfile_text(&dockerfile.data);
    let ast = syntax::parse(&text).map_err(|e| dockerfile.locate(e))?;
    let ast = dockerfile
        .included
        .splice(ast, &dockerfile.filename)
        .map_err(|e| dockerfile.locate(e))?;
    let df = instructions::parse_dockerfile(&ast).map_err(|e| dockerfile.locate(e))?;
    Ok(subrequests::targets(&df, &dockerfile.data))
}

/// `frontend.outline`: converts the target as a build would (failing as it would, and sending
/// the checks' warnings), then reports what it uses.
async fn outline(
    bridge: &Bridge,
    opts: &BuildOptions,
    check_arg: Option<&Config>,
    dockerfile: &BuildSource,
) -> Result<Metadata, Failure> {
    let (ast, cfg) = parse_for_build(dockerfile, check_arg)?;
    let mut checks = build_checks(&ast, bridge, opts, cfg, dockerfile);
    convert(bridge, opts, dockerfile, &ast, &[None], &mut checks).await?;
    Ok(subrequests::outline(
        &checks.checker().outline(),
        &dockerfile.data,
    ))
}

/// `frontend.plan`: converts the target as a build would (for the `platform` option's first
/// platform, else the default one), failing as it would, and reports the stage plan read from
/// the converter's graph once base images and named contexts are resolved. `result.txt` is in
/// the format the `plan-format` option (or the `BUILDKIT_PLAN_FORMAT` build arg) names.
async fn plan(
    bridge: &Bridge,
    opts: &BuildOptions,
    check_arg: Option<&Config>,
    dockerfile: &BuildSource,
) -> Result<Metadata, Failure> {
    let format = subrequests::PlanFormat::from_options(
        bridge
            .opts
            .get(subrequests::plan::FORMAT_OPT)
            .map(String::as_str),
        opts.build_args
            .get(subrequests::plan::FORMAT_BUILD_ARG)
            .map(String::as_str),
    )
    .map_err(Failure::Plain)?;
    let (ast, cfg) = parse_for_build(dockerfile, check_arg)?;
    let mut checks = build_checks(&ast, bridge, opts, cfg, dockerfile);
    let platform = [opts.target_platforms.first().cloned()];
    let mut model = None;
    convert_inspecting(
        bridge,
        opts,
        dockerfile,
        &ast,
        &platform,
        &mut checks,
        &mut |c| {
            let mut m = c.plan_model();
            m.set_includes(&ast);
            model = Some(m)
        },
    )
    .await?;
    let model = model.ok_or_else(|| Failure::Plain("no stage plan was made".into()))?;
    Ok(subrequests::plan::plan(&model, format))
}

/// `frontend.lint`: every stage's findings (or the target's), and the error a build would stop
/// with, reported rather than failed.
async fn lint(
    bridge: &Bridge,
    opts: &BuildOptions,
    check_arg: Option<&Config>,
    dockerfile: &BuildSource,
) -> Metadata {
    let text = crate::convert::dockerfile_text(&dockerfile.data);
    let sources = dockerfile.infos();
    let early = |error: LocatedError| {
        subrequests::lint(&LintReport {
            warnings: &[],
            sources: sources.clone(),
            error: Some(error),
        })
    };
    let cfg = match Config::for_build(check_arg, &text) {
        Ok(c) => c,
        Err(e) => return early(LocatedError::new(e)),
    };
    let ast = match dockerfile.parse() {
        Ok(a) => a,
        Err(e) => return early(e),
    };
    let mut checks = Checks::new(
        &ast,
        lint::Options::for_build(opts, build_platforms(bridge), true),
        cfg,
        dockerfile,
        false,
    );
    let converted = convert(bridge, opts, dockerfile, &ast, &[None], &mut checks).await;
    // The conversion's error is the build's; else the checks may have stopped in a stage the
    // target doesn't need.
    let error = match converted {
        Err(f) => Some(f.into_located()),
        Ok(_) => checks.checker().error().cloned(),
    };
    subrequests::lint(&LintReport {
        warnings: checks.checker().warnings(),
        sources: checks.sources().to_vec(),
        error,
    })
}

/// BuildKit's `UnsupportedSubrequestError`, with its typed detail so clients can tell it apart.
pub fn unsupported_status(request: &str) -> Status {
    // Go's JSON of `errdefs.Subrequest`, whose name is `omitempty`.
    let name = if request.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::json!({ "name": request })
    };
    let detail = prost_types::Any {
        type_url: "github.com/moby/buildkit/errdefs.Subrequest+json".into(),
        value: crate::gocompat::json::to_vec(&name),
    };
    Status {
        code: CODE_UNKNOWN,
        message: subrequests::unsupported(request),
        details: vec![detail],
    }
}

#[cfg(test)]
mod tests {
    /// Found by the fuzz target `errors` against BuildKit's Go types: an empty name is left out.
    #[test]
    fn the_unsupported_request_detail_is_gos_json() {
        let value = |r: &str| super::unsupported_status(r).details[0].value.clone();
        assert_eq!(value("frontend.x"), br#"{"name":"frontend.x"}"#);
        assert_eq!(value(""), b"{}");
        assert_eq!(value("<&>"), br#"{"name":"\u003c\u0026\u003e"}"#);
    }
}
