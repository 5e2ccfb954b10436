//! Per-op metadata that is not part of the op's digest: progress names, cache control,
//! capabilities the op needs, and where in a source file (the Dockerfile) it came from.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use buildkit_proto::pb;

/// A source file that ops can point into, e.g. the Dockerfile; sent once per definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceFile {
    pub filename: String,
    pub data: Vec<u8>,
    pub language: String,
    /// The definition the file was loaded with, if it came from a build (BuildKit keeps it in
    /// history and provenance, and uses it to tell equal sources apart).
    pub definition: Option<pb::Definition>,
}

// (No floats anywhere in a definition: equality is an equivalence.)
impl Eq for SourceFile {}

/// Lines (1-based, inclusive) of a source file an op came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: Arc<SourceFile>,
    pub ranges: Vec<(u32, u32)>,
}

impl SourceLocation {
    pub fn new(file: Arc<SourceFile>, start_line: u32, end_line: u32) -> Self {
        SourceLocation {
            file,
            ranges: vec![(start_line, end_line)],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `llb.customname` (the progress line), `com.docker.dockerfile.v1.command`, …
    /// (Keys and caps are usually literals: `"key".into()` borrows them, no allocation.)
    pub description: BTreeMap<Text, String>,
    pub ignore_cache: bool,
    pub progress_group: Option<ProgressGroup>,
    /// cgroup limits of an exec; an exec op with them declares `exec.meta.linux.resources`.
    pub linux_resources: Option<LinuxResources>,
    pub caps: BTreeSet<Text>,
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

    pub(crate) fn add_cap(&mut self, cap: &'static str) {
        self.caps.insert(Text::Borrowed(cap));
    }
}

/// The progress group an op's progress is shown in (`pb.ProgressGroup`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressGroup {
    pub id: String,
    pub name: String,
    /// A weak member does not open the group on its own.
    pub weak: bool,
}

impl From<ProgressGroup> for pb::ProgressGroup {
    fn from(g: ProgressGroup) -> Self {
        pb::ProgressGroup {
            id: g.id,
            name: g.name,
            weak: g.weak,
        }
    }
}

impl From<pb::ProgressGroup> for ProgressGroup {
    fn from(g: pb::ProgressGroup) -> Self {
        ProgressGroup {
            id: g.id,
            name: g.name,
            weak: g.weak,
        }
    }
}

/// cgroup limits of an exec (`pb.LinuxResources`); zero fields are unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinuxResources {
    pub memory: i64,
    pub memory_swap: i64,
    pub cpu_shares: u64,
    pub cpu_period: u64,
    pub cpu_quota: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
}

impl From<LinuxResources> for pb::LinuxResources {
    fn from(r: LinuxResources) -> Self {
        pb::LinuxResources {
            memory: r.memory,
            memory_swap: r.memory_swap,
            cpu_shares: r.cpu_shares,
            cpu_period: r.cpu_period,
            cpu_quota: r.cpu_quota,
            cpuset_cpus: r.cpuset_cpus,
            cpuset_mems: r.cpuset_mems,
        }
    }
}

impl From<pb::LinuxResources> for LinuxResources {
    fn from(r: pb::LinuxResources) -> Self {
        LinuxResources {
            memory: r.memory,
            memory_swap: r.memory_swap,
            cpu_shares: r.cpu_shares,
            cpu_period: r.cpu_period,
            cpu_quota: r.cpu_quota,
            cpuset_cpus: r.cpuset_cpus,
            cpuset_mems: r.cpuset_mems,
        }
    }
}

/// Metadata as an op keeps it until marshalling: the same content in a fraction of the
/// memory (a `BTreeMap` allocates a 0.5 KiB node for two entries), with the keys and caps
/// every op repeats shared instead of allocated per op.
#[derive(Debug, Clone)]
pub(crate) struct OpMetadata {
    /// Sorted by key.
    pub(crate) description: Box<[(Text, String)]>,
    pub(crate) ignore_cache: bool,
    pub(crate) progress_group: Option<Box<pb::ProgressGroup>>,
    pub(crate) linux_resources: Option<Box<pb::LinuxResources>>,
    /// Sorted.
    pub(crate) caps: Box<[Text]>,
    pub(crate) locations: Box<[SourceLocation]>,
}

/// A string that is usually a literal.
pub type Text = std::borrow::Cow<'static, str>;

impl From<Metadata> for OpMetadata {
    fn from(m: Metadata) -> Self {
        OpMetadata {
            description: m.description.into_iter().collect(),
            ignore_cache: m.ignore_cache,
            progress_group: m.progress_group.map(|g| Box::new(g.into())),
            linux_resources: m.linux_resources.map(|r| Box::new(r.into())),
            caps: m.caps.into_iter().collect(),
            locations: m
                .locations
                .into_iter()
                .map(|mut l| {
                    l.ranges.shrink_to_fit();
                    l
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_metadata_keeps_everything() {
        let mut m = Metadata::named("step");
        m.description.insert("other".into(), "x".into());
        m.caps.insert("file.base".into());
        m.ignore_cache = true;
        let c = OpMetadata::from(m);
        let desc: Vec<(&str, &str)> = c
            .description
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        assert_eq!(desc, vec![("llb.customname", "step"), ("other", "x")]);
        assert_eq!(c.caps.len(), 1);
        assert!(c.ignore_cache);
    }
}
