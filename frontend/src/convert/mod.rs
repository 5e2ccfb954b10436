//! Lowering a parsed Dockerfile to LLB, in three steps so the I/O stays outside:
//! 1. [`Conversion::new`]: stages, names, the target and what it needs, global ARGs, FROM lines expanded;
//! 2. the caller resolves [`Conversion::images_to_resolve`] (each distinct image once, concurrently);
//! 3. [`Conversion::lower`]: every needed stage lowered to LLB with its image config.
//!
//! Behaviour follows BuildKit's `dockerfile2llb`; where it is silent, the reference's output is the spec.

mod copy;
mod dispatch;
mod env;
mod expose;
mod gitref;
mod mounts;
mod names;
mod run;
mod signal;
mod stages;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use buildkit_llb::{Platform, SourceFile, State};

use crate::image::Image;
use crate::instructions::Dockerfile;
use crate::options::NoCache;
use crate::syntax::Location;

pub use env::EnvList;
pub use stages::ImageKey;

/// What the build asks for, independent of how the Dockerfile was obtained.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// None: the build platform, and the image keeps its base image's platform.
    pub target_platform: Option<Platform>,
    /// The platforms of the worker; the first is the build platform.
    pub build_platforms: Vec<Platform>,
    /// Progress names carry the platform when several are built.
    pub multi_platform: bool,
    /// `pull` or `local`; None for the daemon's default.
    pub image_resolve_mode: Option<String>,
    pub no_cache: Option<NoCache>,
    pub hostname: Option<String>,
    pub force_network_mode: Option<String>,
    pub cgroup_parent: Option<String>,
    /// `BUILDKIT_GIT_ADVICE`: git sources print git's advice messages.
    pub git_advice: bool,
    /// `add-hosts`, `shm-size` and `ulimit`: applied to every RUN.
    pub extra_hosts: Vec<crate::options::HostIp>,
    pub shm_size: i64,
    pub ulimits: Vec<crate::options::Ulimit>,
    /// The client session that holds the build context.
    pub session_id: Option<String>,
    pub context_local: String,
    /// `.dockerignore` patterns applied to the build context.
    pub context_excludes: Vec<String>,
    /// The Dockerfile itself, so each op can point at the lines it came from.
    pub source_file: Option<Arc<SourceFile>>,
    /// The main build context when it is not the client's local directory (a git
    /// repository or a download: `docker build <url>`).
    pub main_context: Option<State>,
    /// The LLB capabilities the daemon supports (`file.base`, `mergeop`, `exec.mount.tmpfs.size`,
    /// …), from its Ping. None (offline) means all of them.
    pub llb_caps: Option<BTreeSet<String>>,
}

impl ConvertOptions {
    pub fn build_platform(&self) -> Platform {
        self.build_platforms.first().cloned().unwrap_or_else(Platform::host)
    }

    /// Whether the daemon supports an LLB capability (BuildKit's `solver/pb/caps.go` names).
    /// Where the reference checks one, the converter falls back like it or fails naming it.
    pub fn supports_cap(&self, cap: &str) -> bool {
        self.llb_caps.as_ref().is_none_or(|caps| caps.contains(cap))
    }

    pub fn effective_target_platform(&self) -> Platform {
        self.target_platform.clone().unwrap_or_else(|| self.build_platform())
    }
}

/// A conversion error, located in the Dockerfile where it has a place there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConvertError {
    pub message: String,
    pub location: Option<Location>,
}

impl ConvertError {
    pub fn new(message: impl Into<String>) -> Self {
        ConvertError { message: message.into(), location: None }
    }

    pub fn at(message: impl Into<String>, location: Location) -> Self {
        ConvertError { message: message.into(), location: Some(location) }
    }

    /// Adds a location unless the error already has one.
    pub fn or_at(mut self, location: Location) -> Self {
        self.location.get_or_insert(location);
        self
    }
}

/// A base image as the daemon resolved it.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// The manifest digest (`sha256:…`), pinned into the image source so the build is reproducible.
    pub digest: Option<String>,
    /// The image config JSON.
    pub config: Vec<u8>,
}

pub type ResolvedImages = HashMap<ImageKey, ResolvedImage>;

/// The result for one target platform.
#[derive(Debug)]
pub struct Converted {
    pub state: State,
    pub image: Image,
    /// The config of the image the target stage starts from, if it is an image.
    pub base_image: Option<Image>,
}

pub use stages::Conversion;

/// Parses nothing and resolves nothing: lowers `df` using `resolve` for base images, for the
/// CLI, tests and benchmarks. The gateway uses the three steps so it can resolve concurrently.
pub fn convert_with(
    df: &Dockerfile,
    escape: char,
    opts: &ConvertOptions,
    mut resolve: impl FnMut(&ImageKey) -> Result<ResolvedImage, ConvertError>,
) -> Result<Converted, ConvertError> {
    let conv = Conversion::new(df, escape, opts)?;
    let mut images = ResolvedImages::new();
    for key in conv.images_to_resolve() {
        let img = resolve(&key)?;
        images.insert(key, img);
    }
    conv.lower(&images)
}
