//! A thin client over BuildKit's `LLBBridge`: the calls the frontend makes, with the
//! environment BuildKit gives a gateway frontend (options, session, capabilities).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{anyhow, Context, Result};
use buildkit_proto::gateway::{self as gw, llb_bridge_client::LlbBridgeClient};
use buildkit_proto::pb;
use tokio::sync::OnceCell;
use tonic::transport::{Channel, Endpoint, Uri};

use super::stdio::StdioStream;

/// Environment variables BuildKit sets for a gateway frontend.
const OPT_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";

pub struct Bridge {
    client: LlbBridgeClient<Channel>,
    pub opts: BTreeMap<String, String>,
    pub session_id: String,
    frontend_caps: BTreeSet<String>,
    llb_caps: BTreeSet<String>,
    pub workers: Vec<buildkit_proto::moby::buildkit::v1::types::WorkerRecord>,
    /// The frontend's inputs, asked for once.
    inputs: OnceCell<BTreeMap<String, pb::Definition>>,
}

impl Bridge {
    /// Connects over stdio and pings the daemon for its capabilities.
    pub async fn connect() -> Result<Self> {
        let channel = Endpoint::from_static("http://buildkit.gateway")
            .connect_with_connector(tower::service_fn(|_: Uri| async {
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(StdioStream::new()?))
            }))
            .await
            .context("connecting to BuildKit over stdio")?;
        let mut client = LlbBridgeClient::new(channel)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        let pong = client
            .ping(gw::PingRequest {})
            .await
            .context("ping")?
            .into_inner();
        let enabled = |caps: &[buildkit_proto::apicaps::ApiCap]| {
            caps.iter()
                .filter(|c| c.enabled)
                .map(|c| c.id.clone())
                .collect()
        };
        Ok(Bridge {
            frontend_caps: enabled(&pong.frontend_api_caps),
            llb_caps: enabled(&pong.llb_caps),
            workers: pong.workers,
            client,
            opts: opts_from_env(std::env::vars()),
            session_id: std::env::var("BUILDKIT_SESSION_ID").unwrap_or_default(),
            inputs: OnceCell::new(),
        })
    }

    pub fn has_frontend_cap(&self, cap: &str) -> bool {
        self.frontend_caps.contains(cap)
    }

    pub fn has_llb_cap(&self, cap: &str) -> bool {
        self.llb_caps.contains(cap)
    }

    /// The LLB capabilities the daemon enabled, for the converter to check.
    pub fn llb_caps(&self) -> &BTreeSet<String> {
        &self.llb_caps
    }

    /// The checks the reference makes before it builds anything (`dockerui.validateMinCaps`).
    pub fn validate_min_caps(&self) -> Result<(), String> {
        if !self.has_llb_cap(caps::FILE_BASE) {
            return Err(format!("requested feature \"{}\" is not supported by BuildKit: needs BuildKit 0.5 or later", caps::FILE_BASE));
        }
        Ok(())
    }

    fn client(&self) -> LlbBridgeClient<Channel> {
        self.client.clone()
    }

    /// Solves a definition and returns the result's ref id ("" for an empty result).
    pub async fn solve(
        &self,
        def: pb::Definition,
        cache_imports: Vec<gw::CacheOptionsEntry>,
    ) -> Result<String> {
        let req = gw::SolveRequest {
            definition: Some(def),
            allow_result_return: true,
            cache_imports,
            ..Default::default()
        };
        let res = self
            .client()
            .solve(req)
            .await
            .map_err(status_error)?
            .into_inner();
        match res.result.and_then(|r| r.result) {
            Some(gw::result::Result::Ref(r)) => Ok(r.id),
            Some(gw::result::Result::RefDeprecated(id)) => Ok(id),
            Some(gw::result::Result::Refs(_)) => Err(anyhow!(
                "solve returned several refs where one was expected"
            )),
            None => Ok(res.r#ref),
        }
    }

    /// Solves a definition and waits until its result is computed (`Evaluate`); the result is
    /// not kept.
    pub async fn evaluate(&self, def: pb::Definition) -> Result<()> {
        let req = gw::SolveRequest {
            definition: Some(def),
            allow_result_return: true,
            evaluate: true,
            ..Default::default()
        };
        self.client().solve(req).await.map_err(status_error)?;
        Ok(())
    }

    pub async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, tonic::Status> {
        let req = gw::ReadFileRequest {
            r#ref: ref_id.to_string(),
            file_path: path.to_string(),
            range: None,
        };
        Ok(self.client().read_file(req).await?.into_inner().data)
    }

    /// The first `length` bytes of a file (fewer if it is shorter).
    pub async fn read_file_head(
        &self,
        ref_id: &str,
        path: &str,
        length: i64,
    ) -> Result<Vec<u8>, tonic::Status> {
        let req = gw::ReadFileRequest {
            r#ref: ref_id.to_string(),
            file_path: path.to_string(),
            range: Some(gw::FileRange { offset: 0, length }),
        };
        Ok(self.client().read_file(req).await?.into_inner().data)
    }

    /// Runs another frontend (`gateway.v0` with `source=IMAGE`) on the same build and returns
    /// its whole result: refs, metadata and attestations.
    pub async fn solve_frontend(
        &self,
        frontend: &str,
        opts: BTreeMap<String, String>,
        inputs: BTreeMap<String, pb::Definition>,
    ) -> Result<gw::Result, tonic::Status> {
        let frontend_inputs = inputs
            .into_iter()
            .map(|(key, def)| gw::DefinitionEntry {
                key,
                value: Some(def),
            })
            .collect();
        let req = gw::SolveRequest {
            frontend: frontend.to_string(),
            frontend_opt: opts,
            frontend_inputs,
            allow_result_return: true,
            allow_result_array_ref: true,
            ..Default::default()
        };
        let res = self.client().solve(req).await?.into_inner();
        Ok(match res.result {
            Some(r) => r,
            None => gw::Result {
                result: Some(gw::result::Result::RefDeprecated(res.r#ref)),
                ..Default::default()
            },
        })
    }

    /// An image's config, with every field the caller sets (optional platform, OCI layout
    /// stores); returns the (possibly rewritten) reference, the digest and the config. As Go's
    /// gateway client, through `ResolveSourceMeta` where the daemon has it (the source policy
    /// applies there, and may turn the image into another kind of source:
    /// [`ResolvedToNonImage`]), else `ResolveImageConfig`.
    pub async fn resolve_image_config_with(
        &self,
        mut req: gw::ResolveImageConfigRequest,
    ) -> Result<(String, String, Vec<u8>)> {
        if req.session_id.is_empty() {
            req.session_id = self.session_id.clone();
        }
        if self.has_frontend_cap(caps::SOURCE_META_RESOLVER) {
            return self.resolve_image_config_via_source_meta(req, false).await;
        }
        let reference = req.r#ref.clone();
        let res = self
            .client()
            .resolve_image_config(req)
            .await
            .map_err(status_error)?
            .into_inner();
        let resolved = if res.r#ref.is_empty() {
            reference
        } else {
            res.r#ref
        };
        Ok((resolved, res.digest, res.config))
    }

    /// A base image's (or the SBOM scanner's) config, as the reference resolves it: through
    /// sourceresolver's image meta resolver, which also passes the resolve mode and names the
    /// image in its errors.
    pub async fn resolve_image_meta(
        &self,
        mut req: gw::ResolveImageConfigRequest,
    ) -> Result<(String, String, Vec<u8>)> {
        let reference = req.r#ref.clone();
        let res = if self.has_frontend_cap(caps::SOURCE_META_RESOLVER) {
            if req.session_id.is_empty() {
                req.session_id = self.session_id.clone();
            }
            self.resolve_image_config_via_source_meta(req, true).await
        } else {
            self.resolve_image_config_with(req).await
        };
        res.map_err(|e| {
            if e.is::<ResolvedToNonImage>() {
                e
            } else {
                e.context(format!("failed to resolve source metadata for {reference}"))
            }
        })
    }

    /// Go's `resolveImageConfigViaSourceMetadata` (which passes neither the resolve mode nor
    /// the resolver type beyond the source's scheme), or with `image_meta` what
    /// `ResolveSourceMetadata` sends for an image meta resolver (the resolve mode, an image
    /// request).
    async fn resolve_image_config_via_source_meta(
        &self,
        req: gw::ResolveImageConfigRequest,
        image_meta: bool,
    ) -> Result<(String, String, Vec<u8>)> {
        const OCI_LAYOUT: i32 = 1;
        let source = if req.resolver_type == OCI_LAYOUT {
            let named = buildkit_llb::reference::Reference::parse_normalized(&req.r#ref)?;
            pb::SourceOp {
                identifier: format!("oci-layout://{named}"),
                attrs: BTreeMap::from([
                    ("oci.session".to_string(), req.session_id.clone()),
                    ("oci.store".to_string(), req.store_id.clone()),
                ]),
            }
        } else {
            pb::SourceOp {
                identifier: format!("docker-image://{}", req.r#ref),
                attrs: BTreeMap::new(),
            }
        };
        let meta = gw::ResolveSourceMetaRequest {
            source: Some(source),
            platform: req.platform,
            log_name: req.log_name,
            resolve_mode: if image_meta {
                req.resolve_mode
            } else {
                String::new()
            },
            image: image_meta.then(gw::ResolveSourceImageRequest::default),
            ..Default::default()
        };
        let res = self
            .client()
            .resolve_source_meta(meta)
            .await
            .map_err(status_error)?
            .into_inner();
        let identifier = res.source.map(|s| s.identifier).unwrap_or_default();
        let Some(image) = res.image else {
            return Err(ResolvedToNonImage {
                reference: req.r#ref,
                updated: identifier,
            }
            .into());
        };
        let resolved = identifier
            .strip_prefix("docker-image://")
            .or_else(|| identifier.strip_prefix("oci-layout://"))
            .unwrap_or(&identifier)
            .to_string();
        Ok((resolved, image.digest, image.config))
    }

    /// `ResolveSourceMeta` for a source op, as Go's gateway client calls it: without the
    /// daemon capability, an empty answer (only images would be resolved another way). With
    /// `git_object`, the commit object is asked for (`ReturnObject`).
    pub async fn resolve_source_meta(
        &self,
        source: pb::SourceOp,
        log_name: &str,
        git_object: bool,
    ) -> Result<gw::ResolveSourceMetaResponse> {
        if !self.has_frontend_cap(caps::SOURCE_META_RESOLVER) {
            return Ok(gw::ResolveSourceMetaResponse {
                source: Some(source),
                ..Default::default()
            });
        }
        let req = gw::ResolveSourceMetaRequest {
            source: Some(source),
            log_name: log_name.to_string(),
            git: git_object.then_some(gw::ResolveSourceGitRequest {
                return_object: true,
            }),
            ..Default::default()
        };
        Ok(self
            .client()
            .resolve_source_meta(req)
            .await
            .map_err(status_error)?
            .into_inner())
    }

    pub async fn warn(&self, req: gw::WarnRequest) -> Result<()> {
        self.client().warn(req).await.map_err(status_error)?;
        Ok(())
    }

    /// The definitions the client passed as frontend inputs (asked once). As in Go's gateway
    /// client, an input without metadata (sent as nil) is an error.
    pub async fn inputs(&self) -> Result<&BTreeMap<String, pb::Definition>> {
        self.inputs
            .get_or_try_init(|| async {
                let inputs = self
                    .client()
                    .inputs(gw::InputsRequest {})
                    .await
                    .map_err(status_error)?
                    .into_inner()
                    .definitions;
                if inputs.values().any(|d| d.metadata.is_empty()) {
                    return Err(anyhow!("invalid nil input definition to definition op"));
                }
                Ok(inputs)
            })
            .await
    }

    /// [`Bridge::inputs`] where the daemon supports them; none otherwise.
    pub async fn inputs_if_supported(&self) -> Result<Option<&BTreeMap<String, pb::Definition>>> {
        if !self.has_frontend_cap(caps::FRONTEND_INPUTS) {
            return Ok(None);
        }
        self.inputs()
            .await
            .map(Some)
            .context("failed to get frontend inputs")
    }

    pub async fn return_result(&self, result: gw::Result) -> Result<()> {
        self.client()
            .r#return(gw::ReturnRequest {
                result: Some(result),
                error: None,
            })
            .await
            .map_err(status_error)?;
        Ok(())
    }

    pub async fn return_error(&self, error: buildkit_proto::google::rpc::Status) -> Result<()> {
        self.client()
            .r#return(gw::ReturnRequest {
                result: None,
                error: Some(error),
            })
            .await
            .map_err(status_error)?;
        Ok(())
    }
}

/// Capability names (BuildKit's `solver/pb/caps.go` and `frontend/gateway/pb/caps.go`).
pub mod caps {
    pub const FILE_BASE: &str = "file.base";
    pub const FRONTEND_INPUTS: &str = "frontend.inputs";
    pub const SOURCE_META_RESOLVER: &str = "source.metaresolver";
}

/// A source policy turned the image being resolved into another kind of source (imageutil's
/// `ResolveToNonImageError`): a named context then loads that source instead.
#[derive(Debug, thiserror::Error)]
#[error("ref mutated by policy to non-image: docker-image://{reference} -> {updated}")]
pub struct ResolvedToNonImage {
    pub reference: String,
    /// The source's new identifier, `scheme://rest`.
    pub updated: String,
}

/// The frontend capabilities this frontend implements: what `frontend.caps` may ask for, and
/// what the image's `moby.buildkit.frontend.caps` label declares.
pub const FRONTEND_CAPS: &[&str] = &[
    "moby.buildkit.frontend.inputs",
    "moby.buildkit.frontend.subrequests",
    "moby.buildkit.frontend.contexts",
    "moby.buildkit.frontend.gitquerystring",
];

/// The reference's `validateCaps` on the `frontend.caps` option: a capability we lack is an
/// error, unless it is marked `+forward` (then the build may still go to a `# syntax=`
/// frontend, and fails only if it does not). Returns (may forward, the error).
pub fn validate_frontend_caps(requested: &str) -> (bool, Option<String>) {
    let mut forward = false;
    let mut error = None;
    for c in requested.split(',').filter(|c| !c.is_empty()) {
        let name = c.split('+').next().unwrap_or(c);
        if !FRONTEND_CAPS.contains(&name) {
            error = Some(format!("unsupported frontend capability {name}"));
            if c.contains("+forward") {
                forward = true;
            } else {
                return (false, error);
            }
        }
    }
    (forward, error)
}

/// A daemon-side error, with its message (which already carries BuildKit's context) and its
/// typed details, which the build passes back so the client can locate the error.
pub fn status_error(s: tonic::Status) -> anyhow::Error {
    anyhow::Error::new(GrpcError(s))
}

#[derive(Debug)]
pub struct GrpcError(pub tonic::Status);

impl std::fmt::Display for GrpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.message())
    }
}

impl std::error::Error for GrpcError {}

/// `BUILDKIT_FRONTEND_OPT_<n>=key=value` → `{key: value}`.
pub fn opts_from_env(vars: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
    vars.filter(|(k, _)| k.starts_with(OPT_PREFIX))
        .map(|(_, v)| match v.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (v, String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The images declare exactly the caps the code implements.
    #[test]
    fn image_labels_declare_the_caps() {
        let label = format!(
            "LABEL moby.buildkit.frontend.caps=\"{}\"",
            FRONTEND_CAPS.join(",")
        );
        for (name, text) in [
            ("Dockerfile", include_str!("../../../Dockerfile")),
            (
                "tests/env/images/frontend.Dockerfile",
                include_str!("../../../tests/env/images/frontend.Dockerfile"),
            ),
        ] {
            assert!(
                text.lines().any(|l| l == label),
                "{name} should have the line {label}"
            );
            assert!(
                text.contains("LABEL moby.buildkit.frontend.network.none=\"true\""),
                "{name}"
            );
        }
    }

    #[test]
    fn frontend_caps_requests() {
        assert_eq!(validate_frontend_caps(""), (false, None));
        assert_eq!(
            validate_frontend_caps("moby.buildkit.frontend.subrequests"),
            (false, None)
        );
        let (fwd, err) = validate_frontend_caps("moby.buildkit.frontend.unknown+forward");
        assert!(fwd && err.is_some_and(|e| e.contains("moby.buildkit.frontend.unknown")));
        assert!(!validate_frontend_caps("x.y").0);
        assert!(validate_frontend_caps("x.y").1.is_some());
    }

    #[test]
    fn options_come_from_numbered_variables() {
        let vars = [
            ("BUILDKIT_FRONTEND_OPT_0", "target=builder"),
            ("BUILDKIT_FRONTEND_OPT_1", "build-arg:A=x=y"),
            ("BUILDKIT_FRONTEND_OPT_2", "no-cache"),
            ("PATH", "/bin"),
        ];
        let opts = opts_from_env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(opts.get("target").map(String::as_str), Some("builder"));
        assert_eq!(opts.get("build-arg:A").map(String::as_str), Some("x=y"));
        assert_eq!(opts.get("no-cache").map(String::as_str), Some(""));
        assert_eq!(opts.len(), 3);
    }
}
