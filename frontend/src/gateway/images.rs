//! Base images: every distinct (reference, platform) the conversions need, resolved through
//! the gateway once each and all at once.

use std::collections::BTreeSet;

use super::bridge::Bridge;
use crate::convert::{Conversion, ImageKey, ResolvedImage, ResolvedImages};
use crate::error::LocatedError;
use crate::options::BuildOptions;

pub enum ResolveFailure {
    Located(LocatedError),
    Other(String),
}

/// Resolves every image at once; an image that cannot be resolved is reported at the first FROM that names it.
pub async fn resolve_images(bridge: &Bridge, opts: &BuildOptions, keys: BTreeSet<ImageKey>, conversions: &[Conversion<'_>]) -> Result<ResolvedImages, ResolveFailure> {
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
                let location = conversions.iter().find_map(|c| c.image_location(&reference));
                let message = format!("{reference}: {e:#}");
                return Err(match location {
                    Some(l) => ResolveFailure::Located(LocatedError::new(message, Some(l))),
                    None => ResolveFailure::Other(message),
                });
            }
        }
    }
    Ok(images)
}
