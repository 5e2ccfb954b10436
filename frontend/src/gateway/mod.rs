//! The gateway program: talk to BuildKit over stdio, build, and return the result (or a
//! located error) with `Return`.

mod archive;
mod bridge;
mod build;
mod checks;
mod contexts;
mod conversion;
mod epoch;
mod failure;
mod images;
mod includes;
mod remote;
mod requests;
mod result;
mod sbom;
mod source;
mod stdio;

pub use bridge::{opts_from_env, Bridge};

/// The parts of what the gateway sends BuildKit that need no daemon, for the fuzz targets
/// (`fuzz/`), which encode them and check them with BuildKit's Go decoders.
pub mod pure {
    pub use super::checks::warn_request;
    pub use super::requests::unsupported_status;
    pub use super::result::assemble;
    pub use super::source::head_digest;
    pub use crate::convert::epoch::{apply as apply_epoch, rfc3339};
}

/// Runs one build (or subrequest) for the BuildKit that started this process.
pub async fn run() -> anyhow::Result<()> {
    let bridge = Bridge::connect().await?;
    let outcome = build::build(&bridge).await;
    match outcome {
        Ok(result) => match bridge.return_result(result).await {
            Ok(()) => Ok(()),
            // The daemon refused the result (e.g. an image config larger than its 16 MiB
            // message limit): say so to the client, which would otherwise see only the
            // frontend's exit code.
            Err(e) => {
                let status = failure::Failure::Plain(format!("failed to return the result: {e:#}"))
                    .to_status();
                bridge.return_error(status).await.map_err(|_| e)
            }
        },
        Err(failure) => {
            let status = failure.to_status();
            bridge.return_error(status).await
        }
    }
}
