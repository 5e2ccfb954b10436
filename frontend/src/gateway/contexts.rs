//! Loading named contexts through the gateway (the I/O half of dockerui's
//! `NamedContext.Load`): an image's config, a local directory's `.dockerignore`, a frontend
//! input and its metadata, an OCI layout image's config.

use std::collections::BTreeMap;

use anyhow::{anyhow, Context as _, Result};
use buildkit_llb::{LocalOptions, Metadata, State};
use buildkit_proto::gateway as gw;

use super::bridge::{Bridge, ResolvedToNonImage};
use crate::convert::{ContextSource, LoadedContext, NamedContext};
use crate::dockerignore;
use crate::options::BuildOptions;

/// The `.dockerignore` a local context is filtered by.
const DOCKERIGNORE: &str = ".dockerignore";

pub async fn load_context(
    bridge: &Bridge,
    opts: &BuildOptions,
    nc: &NamedContext,
) -> Result<LoadedContext> {
    load_context_redirected(bridge, opts, nc, 0).await
}

/// dockerui's `maxContextRecursion`: how many times source policies may turn a context's image
/// into another source.
const MAX_REDIRECTS: usize = 10;

async fn load_context_redirected(
    bridge: &Bridge,
    opts: &BuildOptions,
    nc: &NamedContext,
    redirects: usize,
) -> Result<LoadedContext> {
    if redirects > MAX_REDIRECTS {
        return Err(anyhow!("context recursion limit exceeded; this may indicate a cycle in the provided source policies: {}", nc.input));
    }
    let prefix = nc.log_prefix();
    match nc.source().map_err(|e| anyhow!(e.message))? {
        ContextSource::Image { written, reference } => {
            let req = gw::ResolveImageConfigRequest {
                r#ref: reference,
                platform: nc.platform.as_ref().map(|p| p.to_pb()),
                resolve_mode: opts.image_resolve_mode.clone(),
                log_name: format!("{prefix} load metadata for {written}"),
                ..Default::default()
            };
            match bridge.resolve_image_config_with(req).await {
                Ok((reference, _, config)) => Ok(LoadedContext::Image { reference, config }),
                Err(e) => match e.downcast_ref::<ResolvedToNonImage>() {
                    // A source policy made it another source: load that one instead, as the
                    // context `scheme:rest` (dockerui rewrites the context option the same way).
                    Some(redirect) => {
                        let (scheme, rest) = redirect
                            .updated
                            .split_once("://")
                            .ok_or_else(|| anyhow!("could not parse ref: {}", redirect.updated))?;
                        let input = format!("{scheme}:{rest}");
                        let redirected = NamedContext {
                            input: input.clone(),
                            ..nc.clone()
                        };
                        let loaded = Box::pin(load_context_redirected(
                            bridge,
                            opts,
                            &redirected,
                            redirects + 1,
                        ))
                        .await?;
                        Ok(match loaded {
                            // (Redirected again: the last source is the one built.)
                            last @ LoadedContext::Redirected { .. } => last,
                            loaded => LoadedContext::Redirected {
                                input,
                                loaded: Box::new(loaded),
                            },
                        })
                    }
                    None => Err(e),
                },
            }
        }
        ContextSource::OciLayout { store, digest } => {
            let reference = nc.oci_reference(&digest).map_err(|e| anyhow!(e.message))?;
            let req = gw::ResolveImageConfigRequest {
                r#ref: reference.clone(),
                platform: nc.platform.as_ref().map(|p| p.to_pb()),
                log_name: format!("{prefix} load metadata for {reference}"),
                resolver_type: 1,
                session_id: bridge.session_id.clone(),
                store_id: store,
                ..Default::default()
            };
            let (_, _, config) = bridge.resolve_image_config_with(req).await?;
            Ok(LoadedContext::OciLayout {
                session_id: bridge.session_id.clone(),
                config,
            })
        }
        ContextSource::Local { name } => {
            let session_id = opts
                .local_session_ids
                .get(&name)
                .cloned()
                .unwrap_or_else(|| bridge.session_id.clone());
            let st = State::local(
                &name,
                LocalOptions {
                    session_id: Some(session_id.clone()),
                    follow_paths: vec![DOCKERIGNORE.into()],
                    shared_key_hint: Some(format!(
                        "context:{}-{DOCKERIGNORE}",
                        nc.name_with_platform
                    )),
                    differ: Some("none".into()),
                    metadata: Metadata::named(format!("{prefix} load {DOCKERIGNORE}")),
                    ..Default::default()
                },
            );
            let def = st.marshal().map_err(|e| anyhow!(e.to_string()))?;
            let ref_id = bridge.solve(def, Vec::new()).await?;
            let excludes = match bridge.read_file(&ref_id, DOCKERIGNORE).await {
                Ok(data) => dockerignore::parse(&String::from_utf8_lossy(&data)),
                Err(_) => Vec::new(),
            };
            let shared_key = bridge
                .opts
                .get(&format!("sharedkey:localdir:{}", nc.name_with_platform))
                .cloned()
                .unwrap_or_default();
            Ok(LoadedContext::Local {
                session_id,
                shared_key,
                excludes,
            })
        }
        ContextSource::Input { name } => {
            let all = bridge
                .inputs()
                .await
                .context("failed to get frontend inputs")?;
            let definition = all
                .get(&name)
                .cloned()
                .ok_or_else(|| anyhow!("invalid input {name} for {}", nc.name_with_platform))?;
            let config = match bridge.opts.get(&format!("input-metadata:{name}")) {
                Some(md) => input_image_config(md)?,
                None => None,
            };
            Ok(LoadedContext::Input { definition, config })
        }
        // Scratch and http(s) contexts are built without the gateway.
        ContextSource::Scratch | ContextSource::Http { .. } | ContextSource::Git(_) => Err(
            anyhow!("named context {} needs no loading", nc.name_with_platform),
        ),
    }
}

/// `input-metadata:NAME`: a JSON object of base64 values (Go's `map[string][]byte`); the
/// image config is under `containerimage.config`.
fn input_image_config(md: &str) -> Result<Option<Vec<u8>>> {
    let map: BTreeMap<String, String> = serde_json::from_str(md)
        .map_err(|e| anyhow!("failed to parse input metadata {md}: {e}"))?;
    map.get("containerimage.config")
        .map(|v| {
            base64_decode(v)
                .ok_or_else(|| anyhow!("failed to parse input metadata {md}: bad base64"))
        })
        .transpose()
}

/// Standard base64 with padding, as Go's encoding/json writes `[]byte`.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend(acc.to_be_bytes()[1..1 + n].iter());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64() {
        assert_eq!(
            base64_decode("eyJhIjoxfQ==").as_deref(),
            Some(&b"{\"a\":1}"[..])
        );
        assert_eq!(base64_decode("YWJj").as_deref(), Some(&b"abc"[..]));
        assert_eq!(base64_decode("YQ").as_deref(), Some(&b"a"[..]));
        assert!(base64_decode("a!").is_none());
    }

    #[test]
    fn input_metadata() {
        let md = r#"{"containerimage.config":"eyJhIjoxfQ=="}"#;
        assert_eq!(
            input_image_config(md).ok().flatten().as_deref(),
            Some(&b"{\"a\":1}"[..])
        );
        assert!(input_image_config("{}").ok().flatten().is_none());
        assert!(input_image_config("nope").is_err());
    }
}
