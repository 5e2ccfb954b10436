//! A build through the gateway: read the Dockerfile and `.dockerignore`, convert each target
//! platform, resolve every distinct base image once and concurrently, solve, and assemble the
//! result with the image config metadata exporters read. Build checks run beside the
//! conversion (`conversion.rs`); a `requestid` option makes it a subrequest instead (`requests.rs`).

use buildkit_llb::Platform;
use buildkit_proto::gateway as gw;
use futures::future::try_join_all;

use super::bridge::Bridge;
use super::conversion::{build_checks, build_platforms, convert, parse_for_build};
use super::failure::Failure;
use super::sbom::{self, Scanner};
use super::source::{self, Entry};
use crate::lint;
use crate::options::BuildOptions;

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
    let (ast, check_config) = parse_for_build(&dockerfile, check_arg.as_ref())?;
    let mut checks = build_checks(&ast, bridge, &opts, check_config, &dockerfile);

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
