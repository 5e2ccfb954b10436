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
