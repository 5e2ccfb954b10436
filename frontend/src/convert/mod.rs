//! Lowering a parsed Dockerfile to LLB, in three steps so the I/O stays outside:
//! 1. [`Conversion::new`]: stages, names, the target and what it needs, global ARGs, FROM lines expanded;
//! 2. the caller looks up [`Conversion::needs`] (base images, named contexts: each distinct one
//!    once, concurrently) and hands the answers to [`Conversion::provide`], until nothing is
//!    needed (ONBUILD triggers can add stages to the graph between rounds);
//! 3. [`Conversion::lower`]: every needed stage lowered to LLB with its image config.
//!
//! Behaviour follows BuildKit's `dockerfile2llb`; where it is silent, the reference's output is the spec.

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod caps_tests;
mod contexts;
mod copy;
mod dispatch;
mod env;
pub mod epoch;
mod expose;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod from_vars_tests;
pub mod gitref;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod limits_tests;
mod lower;
mod mounts;
mod names;
pub mod plan;
pub mod plan_model;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
pub(crate) mod plan_model_tests;
pub mod platform;
mod resolve;
mod run;
pub mod sbom;
mod signal;
mod stages;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod stages_tests;
mod state;
mod url;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use buildkit_llb::{Platform, SourceFile, State};

use crate::image::Image;
use crate::instructions::Dockerfile;
use crate::options::BuildOptions;
use crate::syntax::{self, Ast, LocatedError};

pub use contexts::{lookup_in as lookup_named_context, ContextSource, LoadedContext, NamedContext};
pub use env::{split_key_value, EnvList};
pub use stages::ImageKey;
pub(crate) use state::env_size_error;

/// What one conversion asks for: the build-wide options as parsed from the frontend options
/// (embedded, as BuildKit's `ConvertOpt` embeds `dockerui.Config`; readable as fields of this
/// type through `Deref`), and what is particular to this conversion (its target platform, the
/// daemon's answers, the Dockerfile it reads).
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    pub build: BuildOptions,
    /// None: the build platform, and the image keeps its base image's platform.
    pub target_platform: Option<Platform>,
    /// The platforms of the worker; the first is the build platform.
    pub build_platforms: Vec<Platform>,
    /// The client session that holds the build context.
    pub session_id: Option<String>,
    /// `.dockerignore` patterns applied to the build context.
    pub context_excludes: Vec<String>,
    /// The Dockerfile itself, so each op can point at the lines it came from.
    pub source_file: Option<Arc<SourceFile>>,
    /// The files the Dockerfile's `INCLUDE`s read (our extension), by number: an op from
    /// included file `n` ([`syntax::Location::file`]) points into `include_files[n - 1]`.
    pub include_files: Vec<Arc<SourceFile>>,
    /// The main build context when it is not the client's local directory (a git
    /// repository or a download: `docker build <url>`).
    pub main_context: Option<State>,
    /// The LLB capabilities the daemon supports (`file.base`, `mergeop`, `exec.mount.tmpfs.size`,
    /// …), from its Ping. None (offline) means all of them.
    pub llb_caps: Option<BTreeSet<String>>,
    /// `SOURCE_DATE_EPOCH` in seconds: the time of directories WORKDIR creates.
    pub epoch: Option<i64>,
    /// Collect the states an SBOM scan reads besides the target ([`Converted::sbom`]).
    pub sbom_targets: bool,
    /// Resolve and lower every stage, not only those the target needs (dockerfile2llb's
    /// `AllStages`: lint without a target reports any stage's error).
    pub all_stages: bool,
    /// `epoch` is what a `SOURCE_DATE_EPOCH` build arg or global ARG resolved to (a number, a
    /// context's or a stage's time, or nothing): a global `SOURCE_DATE_EPOCH` ARG takes it
    /// (or is unset), as the reference's `setBuildArgValue`. The caller replaces the build arg.
    pub epoch_replaces_arg: bool,
    /// The size limits (`crate::limits`, before they are scaled to the Dockerfile).
    pub limits: crate::limits::Limits,
}

impl std::ops::Deref for ConvertOptions {
    type Target = BuildOptions;
    fn deref(&self) -> &BuildOptions {
        &self.build
    }
}

impl std::ops::DerefMut for ConvertOptions {
    fn deref_mut(&mut self) -> &mut BuildOptions {
        &mut self.build
    }
}

impl ConvertOptions {
    pub fn build_platform(&self) -> Platform {
        self.build_platforms
            .first()
            .cloned()
            .unwrap_or_else(Platform::host)
    }

    /// Whether the daemon supports an LLB capability (BuildKit's `solver/pb/caps.go` names).
    /// Where the reference checks one, the converter falls back like it or fails naming it.
    pub fn supports_cap(&self, cap: &str) -> bool {
        self.llb_caps.as_ref().is_none_or(|caps| caps.contains(cap))
    }

    /// For a feature the reference would silently drop on an old daemon: an error naming it
    /// and the missing capability instead.
    pub fn require_cap(&self, cap: &str, feature: &str) -> Result<(), LocatedError> {
        if self.supports_cap(cap) {
            Ok(())
        } else {
            Err(LocatedError::new(format!("{feature} is not supported by this BuildKit daemon (it lacks the LLB capability {cap:?})")))
        }
    }

    pub fn effective_target_platform(&self) -> Platform {
        self.target_platform
            .clone()
            .unwrap_or_else(|| self.build_platform())
    }
}

/// LLB capability names the converter checks (BuildKit's `solver/pb/caps.go`).
pub mod caps {
    pub const MERGE_OP: &str = "mergeop";
    pub const EXEC_META_ULIMIT: &str = "exec.meta.ulimit";
    pub const EXEC_META_LINUX_RESOURCES: &str = "exec.meta.linux.resources";
    pub const EXEC_META_CGROUP_PARENT: &str = "exec.meta.cgroup.parent";
    pub const EXEC_META_CDI: &str = "exec.meta.cdi";
    pub const EXEC_MOUNT_TMPFS_SIZE: &str = "exec.mount.tmpfs.size";
    pub const EXEC_MOUNT_BIND_RW_NO_OUTPUT: &str = "exec.mount.bind.readwrite-nooutput";
}

/// A base image as the daemon resolved it.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// The manifest digest (`sha256:…`), pinned into the image source so the build is reproducible.
    pub digest: Option<String>,
    /// The image config JSON.
    pub config: Vec<u8>,
}

/// Base images by (reference, platform), as the build checks read them.
pub type ResolvedImages = HashMap<ImageKey, ResolvedImage>;

/// Something the conversion needs looked up before it can lower.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    /// A base image's config (and digest) for a platform.
    Image(ImageKey),
    /// A named context that needs I/O to load (an image config, a local's `.dockerignore`, an input).
    Context(NamedContext),
}

/// The answers to [`Need`]s; an error is reported where the Dockerfile uses the need.
#[derive(Debug, Default)]
pub struct Resolutions {
    pub images: HashMap<ImageKey, Result<ResolvedImage, String>>,
    pub contexts: HashMap<NamedContext, Result<LoadedContext, String>>,
}

/// The result for one target platform.
#[derive(Debug)]
pub struct Converted {
    pub state: State,
    pub image: Image,
    /// The config of the image the target stage starts from, if it is an image.
    pub base_image: Option<std::sync::Arc<Image>>,
    /// What an SBOM scanner reads besides the target, when [`ConvertOptions::sbom_targets`].
    pub sbom: sbom::SbomTargets,
}

pub use lower::Lowered;
pub use platform::default_args;
pub use stages::{global_args, Conversion};

impl Conversion<'_> {
    /// Answers every need without a daemon: images through `resolve`; named contexts fail.
    pub fn resolve_with(
        &mut self,
        mut resolve: impl FnMut(&ImageKey) -> Result<ResolvedImage, LocatedError>,
    ) -> Result<(), LocatedError> {
        loop {
            let needs = self.needs()?;
            if needs.is_empty() {
                return Ok(());
            }
            let mut res = Resolutions::default();
            for need in needs {
                match need {
                    Need::Image(key) => {
                        let img = resolve(&key)?;
                        res.images.insert(key, Ok(img));
                    }
                    Need::Context(nc) => {
                        let msg = format!(
                            "named context {} needs a BuildKit daemon to load",
                            nc.name_with_platform
                        );
                        res.contexts.insert(nc, Err(msg));
                    }
                }
            }
            self.provide(&res)?;
        }
    }
}

/// The Dockerfile's bytes as text, as every path reads them (a build through the daemon, the
/// subrequests, the offline CLI's `llb` and `check`): bytes that are not UTF-8 (a Latin-1
/// `é` in a comment) become U+FFFD instead of failing the build. Borrowed when the file is
/// UTF-8. The bytes themselves still travel unchanged as the definition's source file and an
/// error's `errdefs.Source`.
pub fn dockerfile_text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The Dockerfile parsed as every conversion reads it (a build, the outline and lint
/// subrequests, the offline CLI), as the reference's `toDispatchState` starts: an empty file is
/// refused before it is parsed. (`frontend.targets` parses without this: an empty file is
/// "file with no instructions" there, as for a file of only comments here.)
pub fn parse_source(text: &str) -> Result<Ast, LocatedError> {
    if text.is_empty() {
        return Err(LocatedError {
            message: "the Dockerfile cannot be empty".into(),
            location: None,
        });
    }
    syntax::parse(text)
}

/// Parses nothing and resolves nothing: lowers `df` using `resolve` for base images, for the
/// CLI, tests and benchmarks. The gateway uses the three steps so it can resolve concurrently.
pub fn convert_with(
    df: &Dockerfile,
    escape: char,
    opts: &ConvertOptions,
    mut resolve: impl FnMut(&ImageKey) -> Result<ResolvedImage, LocatedError>,
) -> Result<Converted, LocatedError> {
    let mut conv = Conversion::new(df, escape, opts)?;
    conv.resolve_with(&mut resolve)?;
    conv.lower()
}

#[cfg(test)]
mod parse_source_tests {
    use super::parse_source;

    #[test]
    fn an_empty_dockerfile_is_refused_before_parsing() {
        let e = parse_source("").unwrap_err();
        assert_eq!(e.message, "the Dockerfile cannot be empty");
        assert_eq!(e.location, None);
        // Only comments (or blank lines): the parser's error, at the last line.
        let e = parse_source("# just a comment\n\n").unwrap_err();
        assert_eq!(e.message, "file with no instructions");
        assert_eq!(e.location.map(|l| l.start_line), Some(2));
        assert!(parse_source("FROM scratch").is_ok());
    }

    #[test]
    fn bytes_that_are_not_utf8_read_as_replacement_characters() {
        use super::dockerfile_text;
        use std::borrow::Cow;
        assert!(matches!(
            dockerfile_text(b"FROM scratch\n"),
            Cow::Borrowed(_)
        ));
        let text = dockerfile_text(b"FROM scratch\n# caf\xe9\nRUN echo caf\xe9\n");
        assert_eq!(text, "FROM scratch\n# caf\u{FFFD}\nRUN echo caf\u{FFFD}\n");
        let ast = parse_source(&text).unwrap();
        assert_eq!(ast.nodes.len(), 2);
    }
}
