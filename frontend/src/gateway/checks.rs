//! Build checks during a gateway build: the checker runs beside the conversion, and its
//! warnings go to the client as BuildKit vertex warnings on the "load build definition"
//! vertex (`#1 WARN: Rule: message (line N)` in plain progress), as the reference sends them.
//!
//! BuildKit's progress printer (`progressui`) keeps a warning with its vertex but prints it
//! only when that vertex next changes. The warnings come after the vertex is done (the
//! Dockerfile must be read first), so in plain progress they showed only when the client had
//! not yet printed the vertex's end (its display is rate-limited): by chance, for ours and for
//! the reference. The vertex is therefore in a progress group of its own name (`source.rs`);
//! once the warnings are sent, [`Checks::show`] solves one more, hidden member of the group,
//! which changes the group's vertex after the warnings, so the client prints them.

use buildkit_llb::{diff, Metadata, ProgressGroup, State};
use buildkit_proto::gateway as gw;
use buildkit_proto::pb;

use super::bridge::Bridge;
use super::source::{head_digest, BuildSource};
use crate::convert::{ImageKey, ResolvedImages};
use crate::lint::{self, Checker, Config, IgnoreMatcher, Warning};
use crate::syntax::Ast;

pub struct Checks<'a> {
    checker: Checker<'a>,
    /// Send warnings as they are found (a build, `frontend.outline`), or only collect them
    /// (`frontend.lint`).
    send: bool,
    sent: usize,
    /// The Dockerfile, then the files its INCLUDEs read, by number (`Location::file`).
    sources: Vec<pb::SourceInfo>,
    /// The vertex the warnings are attached to.
    vertex: String,
    /// A definition that changes the progress group of `vertex` (see [`Checks::show`]), while
    /// it is not yet solved.
    show: Option<pb::Definition>,
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
        let sources = dockerfile.infos();
        Checks {
            checker: Checker::new(ast, opts, cfg),
            send,
            sent: 0,
            sources,
            vertex: head_digest(&dockerfile.definition).unwrap_or_default(),
            show: show_definition(&dockerfile.definition),
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

    /// Makes the client print the warnings sent (see the module's doc): once, after the last
    /// [`Checks::flush`], whether the conversion succeeded or not. Needs nothing when no
    /// warning was sent.
    pub async fn show(&mut self, bridge: &Bridge) {
        if self.sent == 0 || !bridge.has_llb_cap("diffop") {
            return;
        }
        if let Some(def) = self.show.take() {
            // Only the display depends on it: a failure must not fail the build.
            let _ = bridge.evaluate(def).await;
        }
    }

    fn warn_request(&self, w: &Warning) -> gw::WarnRequest {
        let file = w.location.map_or(0, |l| l.file as usize);
        let source = self.sources.get(file).or(self.sources.first());
        warn_request(
            w,
            source.unwrap_or(&pb::SourceInfo::default()),
            &self.vertex,
        )
    }

    /// With `error=true`, the error the build fails with once converted.
    pub fn violation_error(&self) -> Option<String> {
        self.checker.violation_error()
    }

    pub fn checker(&self) -> &Checker<'a> {
        &self.checker
    }

    /// The Dockerfile, then each included file (`frontend.lint`'s `sources`).
    pub fn sources(&self) -> &[pb::SourceInfo] {
        &self.sources
    }
}

/// A definition whose one new vertex is a hidden (weak) member of the progress group of the
/// definition's head: the diff of the head with itself, which is empty and computed at once,
/// and whose digest (and cache key) follows the head's, so that builds running at the same
/// time share it only when they share the group. None when the head is in no group.
fn show_definition(def: &pb::Definition) -> Option<pb::Definition> {
    let head = head_digest(def)?;
    let group = def.metadata.get(&head)?.progress_group.clone()?;
    let read = State::from_definition(def).ok()?;
    let mut md = Metadata::named(format!("[internal] show the warnings of {}", group.name));
    md.progress_group = Some(ProgressGroup {
        id: group.id,
        name: group.name,
        weak: true,
    });
    diff(&read, &read, md).marshal().ok()
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
