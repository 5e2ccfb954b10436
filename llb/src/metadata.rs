//! Per-op metadata that is not part of the op's digest: progress names, cache control,
//! capabilities the op needs, and where in a source file (the Dockerfile) it came from.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use buildkit_proto::pb;

/// A source file that ops can point into, e.g. the Dockerfile; sent once per definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceFile {
    pub filename: String,
    pub data: Vec<u8>,
    pub language: String,
}

/// Lines (1-based, inclusive) of a source file an op came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: Arc<SourceFile>,
    pub ranges: Vec<(u32, u32)>,
}

impl SourceLocation {
    pub fn new(file: Arc<SourceFile>, start_line: u32, end_line: u32) -> Self {
        SourceLocation { file, ranges: vec![(start_line, end_line)] }
    }
}


#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `llb.customname` (the progress line), `com.docker.dockerfile.v1.command`, …
    pub description: BTreeMap<String, String>,
    pub ignore_cache: bool,
    pub progress_group: Option<pb::ProgressGroup>,
    pub caps: BTreeSet<String>,
    pub locations: Vec<SourceLocation>,
}

impl Metadata {
    pub fn named(name: impl Into<String>) -> Self {
        let mut m = Metadata::default();
        m.description.insert("llb.customname".into(), name.into());
        m
    }

    pub fn with_location(mut self, loc: Option<SourceLocation>) -> Self {
        self.locations.extend(loc);
        self
    }

    pub(crate) fn add_cap(&mut self, cap: &str) {
        self.caps.insert(cap.to_string());
    }
}

/// Metadata as an op keeps it until marshalling: the same content in a fraction of the
/// memory (a `BTreeMap` allocates a 0.5 KiB node for two entries), with the keys and caps
/// every op repeats shared instead of allocated per op.
#[derive(Debug, Clone)]
pub(crate) struct OpMetadata {
    /// Sorted by key.
    pub(crate) description: Box<[(Text, Box<str>)]>,
    pub(crate) ignore_cache: bool,
    pub(crate) progress_group: Option<Box<pb::ProgressGroup>>,
    /// Sorted.
    pub(crate) caps: Box<[Text]>,
    pub(crate) locations: Box<[SourceLocation]>,
}

pub(crate) type Text = std::borrow::Cow<'static, str>;

impl From<Metadata> for OpMetadata {
    fn from(m: Metadata) -> Self {
        OpMetadata {
            description: m.description.into_iter().map(|(k, v)| (shared(k), v.into_boxed_str())).collect(),
            ignore_cache: m.ignore_cache,
            progress_group: m.progress_group.map(Box::new),
            caps: m.caps.into_iter().map(shared).collect(),
            locations: m.locations.into_iter().map(|mut l| {
                l.ranges.shrink_to_fit();
                l
            }).collect(),
        }
    }
}

/// Strings many ops carry: description keys and capability names (sorted).
const SHARED: &[&str] = &[
    "com.docker.dockerfile.v1.command",
    "diffop",
    "exec.meta.base",
    "exec.meta.cgroup.parent",
    "exec.meta.network",
    "exec.meta.security",
    "exec.meta.setsdefaultpath",
    "exec.meta.ulimit",
    "exec.mount.bind",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.secret",
    "exec.mount.selector",
    "exec.mount.ssh",
    "exec.mount.tmpfs",
    "exec.mount.tmpfs.size",
    "exec.secretenv",
    "exec.validexitcode",
    "file.base",
    "file.copy.alwaysreplaceexistingdestpaths",
    "file.copy.includeexcludepatterns",
    "file.copy.modestring",
    "file.copy.requiredpaths",
    "file.rm.wildcard",
    "file.symlink.create",
    "llb.customname",
    "mergeop",
    "source.git",
    "source.git.checksum",
    "source.git.fullurl",
    "source.git.keepgitdir",
    "source.http",
    "source.http.checksum",
    "source.http.perm",
    "source.image",
    "source.image.resolvemode",
    "source.local",
    "source.local.differ",
    "source.local.excludepatterns",
    "source.local.followpaths",
    "source.local.includepatterns",
    "source.local.sessionid",
    "source.local.sharedkeyhint",
    "source.local.unique",
    "source.ocilayout",
];

fn shared(s: String) -> Text {
    match SHARED.binary_search(&s.as_str()) {
        Ok(i) => Text::Borrowed(SHARED[i]),
        Err(_) => Text::Owned(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_strings_are_sorted_for_binary_search() {
        assert!(SHARED.windows(2).all(|w| w[0] < w[1]));
        assert!(matches!(shared("file.base".into()), Text::Borrowed(_)));
        assert!(matches!(shared("my.cap".into()), Text::Owned(_)));
    }

    #[test]
    fn compact_metadata_keeps_everything() {
        let mut m = Metadata::named("step");
        m.description.insert("other".into(), "x".into());
        m.caps.insert("file.base".into());
        m.ignore_cache = true;
        let c = OpMetadata::from(m);
        let desc: Vec<(&str, &str)> = c.description.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        assert_eq!(desc, vec![("llb.customname", "step"), ("other", "x")]);
        assert_eq!(c.caps.len(), 1);
        assert!(c.ignore_cache);
    }
}
