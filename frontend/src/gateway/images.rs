//! What the conversions need looked up: every distinct base image (reference, platform) and
//! named context, each once and all at once. Failures are handed back to the conversion,
//! which reports them where the Dockerfile uses the image.

use std::collections::BTreeSet;

use buildkit_llb::Platform;
use buildkit_proto::gateway as gw;
use futures::future::join_all;

use super::bridge::Bridge;
use super::contexts::load_context;
use crate::convert::{ImageKey, Need, Resolutions, ResolvedImage};
use crate::options::BuildOptions;

pub async fn resolve_needs(
    bridge: &Bridge,
    opts: &BuildOptions,
    needs: BTreeSet<Need>,
) -> Resolutions {
    let (mut images, mut contexts) = (Vec::new(), Vec::new());
    for need in needs {
        match need {
            Need::Image(key) => images.push(key),
            Need::Context(nc) => contexts.push(nc),
        }
    }
    let image_lookups = join_all(images.into_iter().map(|key| async move {
        let res = resolve_image(bridge, opts, &key).await;
        (key, res)
    }));
    let context_loads = join_all(contexts.into_iter().map(|nc| async move {
        let res = load_context(bridge, opts, &nc)
            .await
            .map_err(|e| format!("{e:#}"));
        (nc, res)
    }));
    let (images, contexts) = futures::join!(image_lookups, context_loads);
    Resolutions {
        images: images.into_iter().collect(),
        contexts: contexts.into_iter().collect(),
    }
}

/// One base image's config, with the log line the reference shows while it resolves.
async fn resolve_image(
    bridge: &Bridge,
    opts: &BuildOptions,
    (reference, platform): &ImageKey,
) -> Result<ResolvedImage, String> {
    let req = gw::ResolveImageConfigRequest {
        r#ref: reference.clone(),
        platform: Some(platform.to_pb()),
        resolve_mode: opts.image_resolve_mode.clone(),
        log_name: format!(
            "{} load metadata for {reference}",
            internal_prefix(opts.multi_platform, platform)
        ),
        ..Default::default()
    };
    let (_, digest, config) = bridge
        .resolve_image_meta(req)
        .await
        .map_err(|e| format!("{e:#}"))?;
    Ok(ResolvedImage {
        digest: (!digest.is_empty()).then_some(digest),
        config,
    })
}

/// `[internal]`, or `[linux/arm64 internal]` when several platforms are built.
fn internal_prefix(multi_platform: bool, platform: &Platform) -> String {
    if multi_platform {
        format!("[{platform} internal]")
    } else {
        "[internal]".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let arm = Platform::parse("linux/arm64").unwrap_or_else(|_| Platform::host());
        assert_eq!(internal_prefix(false, &arm), "[internal]");
        assert_eq!(internal_prefix(true, &arm), "[linux/arm64 internal]");
    }
}
