//! Build checks during a gateway build: the checker runs beside the conversion, and its
//! warnings go to the client as BuildKit vertex warnings on the "load build definition"
//! vertex (`#1 WARN: Rule: message (line N)` in plain progress), as the reference sends them.

use buildkit_proto::gateway as gw;
use buildkit_proto::pb;
use prost::Message;

use super::bridge::Bridge;
use super::source::BuildSource;
use crate::convert::{ImageKey, ResolvedImages};
use crate::lint::{self, Checker, Config, IgnoreMatcher, Warning};
use crate::syntax::Ast;

pub struct Checks<'a> {
    checker: Checker<'a>,
    /// Send warnings as they are found (a build, `frontend.outline`), or only collect them
    /// (`frontend.lint`).
    send: bool,
    sent: usize,
    source: pb::SourceInfo,
    /// The vertex the warnings are attached to.
    vertex: String,
}

impl<'a> Checks<'a> {
    /// Runs the checks that need no base image, under `cfg` (from `BUILDKIT_DOCKERFILE_CHECK`
    /// or the Dockerfile's `# check=` directive: [`Config::for_build`]).
    pub fn new(
        ast: &'a Ast,
        opts: lint::Options,
        cfg: Config,
        dockerfile: &BuildSource,
        send: bool,
    ) -> Self {
        let source = dockerfile.info();
        Checks {
            checker: Checker::new(ast, opts, cfg),
            send,
            sent: 0,
            source,
            vertex: head_digest(&dockerfile.definition),
        }
    }

    /// The base images the checks need besides the conversion's.
    pub fn images_needed(&self) -> Vec<ImageKey> {
        self.checker.images_needed()
    }

    /// Runs each stage's instruction checks once base images are known.
    pub fn dispatch(&mut self, images: &ResolvedImages, dockerignore: &[String]) {
        let ignore = if dockerignore.is_empty() {
            None
        } else {
            IgnoreMatcher::new(dockerignore).ok()
        };
        self.checker.dispatch(images, ignore.as_ref());
    }

    /// Sends the warnings found since the last call (when sending).
    pub async fn flush(&mut self, bridge: &Bridge) {
        if !self.send {
            return;
        }
        let new: Vec<Warning> = self.checker.warnings()[self.sent..].to_vec();
        self.sent += new.len();
        for w in new {
            // A warning that can't be delivered must not fail the build.
            let _ = bridge.warn(self.warn_request(&w)).await;
        }
    }

    fn warn_request(&self, w: &Warning) -> gw::WarnRequest {
        warn_request(w, &self.source, &self.vertex)
    }

    /// With `error=true`, the error the build fails with once converted.
    pub fn violation_error(&self) -> Option<String> {
        self.checker.violation_error()
    }

    pub fn checker(&self) -> &Checker<'a> {
        &self.checker
    }

    pub fn source(&self) -> &pb::SourceInfo {
        &self.source
    }
}

/// A warning as the gateway sends it: on `vertex` (the digest of the definition the Dockerfile
/// was read with), pointing into `source`.
pub fn warn_request(w: &Warning, source: &pb::SourceInfo, vertex: &str) -> gw::WarnRequest {
    gw::WarnRequest {
        digest: vertex.to_string(),
        level: 1,
        short: w.short().into_bytes(),
        detail: vec![w.rule.description.as_bytes().to_vec()],
        url: w.rule.url.to_string(),
        info: Some(source.clone()),
        ranges: w.location.map(crate::error::pb_ranges).unwrap_or_default(),
    }
}

/// The vertex a definition ends in (Go's `Definition.Head`), as BuildKit names it.
fn head_digest(def: &pb::Definition) -> String {
    // Our ops are encoded as BuildKit's Go client encodes them (see llb's OpNode), so the
    // digest our definition names is the daemon's vertex digest.
    def.def
        .last()
        .and_then(|b| pb::Op::decode(b.as_slice()).ok())
        .and_then(|op| op.inputs.first().map(|i| i.digest.clone()))
        .unwrap_or_default()
}
