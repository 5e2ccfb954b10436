//! Turning the graph behind a state into a `Definition`: ops in dependency order
//! (each once), their metadata, and the source files ops point into.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use buildkit_proto::pb;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::metadata::{Metadata, SourceFile};
use crate::state::{OpNode, State};

#[derive(Debug, thiserror::Error)]
pub enum MarshalError {
    #[error("too many source files in one definition")]
    TooManySources,
}

/// `sha256:<hex>` of the bytes, BuildKit's op digest.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl State {
    /// The definition of everything this state depends on; byte-identical for identical graphs.
    /// Scratch gives an empty definition.
    pub fn marshal(&self) -> Result<pb::Definition, MarshalError> {
        let mut def = pb::Definition::default();
        let Some(root) = &self.output else { return Ok(def) };
        let mut sources = SourceTable::default();
        let mut emitted: HashSet<&str> = HashSet::new();
        // Like Go's `llb.State.Marshal`: every op object is visited once, inputs first; ops
        // built separately but equal (one digest) are written once, with their metadata
        // merged in visit order (later descriptions win) and all their source locations.
        for node in post_order(&root.node) {
            merge_metadata(def.metadata.entry(node.digest.clone()).or_default(), &node.metadata);
            for loc in &node.metadata.locations {
                let index = sources.index_of(&loc.file)?;
                let ranges = loc
                    .ranges
                    .iter()
                    .map(|&(s, e)| pb::Range {
                        start: Some(pb::Position { line: s as i32, character: 0 }),
                        end: Some(pb::Position { line: e as i32, character: 0 }),
                    })
                    .collect();
                def.source
                    .get_or_insert_with(Default::default)
                    .locations
                    .entry(node.digest.clone())
                    .or_default()
                    .locations
                    .push(pb::Location { source_index: index, ranges });
            }
            if emitted.insert(&node.digest) {
                def.def.push(node.bytes.clone());
            }
        }
        // The terminal op: no op of its own, just the selected output.
        let terminal = pb::Op { inputs: vec![root.to_input()], ..Default::default() };
        let bytes = terminal.encode_to_vec();
        // The terminal op declares the metadata features the other ops use, as Go's `State.Marshal` does.
        let mut caps = BTreeMap::from([("constraints".to_string(), true), ("platform".to_string(), true)]);
        for m in def.metadata.values() {
            if m.ignore_cache {
                caps.insert("meta.ignorecache".into(), true);
            }
            if !m.description.is_empty() {
                caps.insert("meta.description".into(), true);
            }
            if m.export_cache.is_some() {
                caps.insert("meta.exportcache".into(), true);
            }
        }
        let md = pb::OpMetadata { caps, ..Default::default() };
        def.metadata.insert(digest_of(&bytes), md);
        def.def.push(bytes);
        if !sources.files.is_empty() {
            def.source.get_or_insert_with(Default::default).infos = sources
                .files
                .into_iter()
                .map(|f| pb::SourceInfo { filename: f.filename.clone(), data: f.data.clone(), definition: None, language: f.language.clone() })
                .collect();
        }
        Ok(def)
    }
}

/// Go's `mergeMetadata`: a later op's description keys overwrite, caps and ignore-cache add up.
fn merge_metadata(into: &mut pb::OpMetadata, md: &Metadata) {
    into.ignore_cache |= md.ignore_cache;
    for (k, v) in &md.description {
        into.description.insert(k.clone(), v.clone());
    }
    for c in &md.caps {
        into.caps.insert(c.clone(), true);
    }
    if let Some(g) = &md.progress_group {
        into.progress_group = Some(g.clone());
    }
}

/// Every op object reachable from `root` (by identity: equal ops built twice are both
/// listed), each once, inputs before the ops that use them, in Go's recursive visiting order.
/// Iterative, so a chain of tens of thousands of ops cannot overflow the stack.
fn post_order(root: &Arc<OpNode>) -> Vec<&OpNode> {
    let mut seen: HashSet<*const OpNode> = HashSet::new();
    let mut order = Vec::new();
    // (node, next input to visit)
    let mut stack: Vec<(&OpNode, usize)> = vec![(root, 0)];
    seen.insert(Arc::as_ptr(root));
    while let Some((node, next)) = stack.pop() {
        if let Some(input) = node.visit_inputs().get(next) {
            stack.push((node, next + 1));
            if seen.insert(Arc::as_ptr(&input.node)) {
                stack.push((&input.node, 0));
            }
        } else {
            order.push(node);
        }
    }
    order
}

#[derive(Default)]
struct SourceTable {
    files: Vec<Arc<SourceFile>>,
    index: HashMap<*const SourceFile, i32>,
}

impl SourceTable {
    fn index_of(&mut self, file: &Arc<SourceFile>) -> Result<i32, MarshalError> {
        if let Some(&i) = self.index.get(&Arc::as_ptr(file)) {
            return Ok(i);
        }
        if let Some(i) = self.files.iter().position(|f| **f == **file) {
            return Ok(i as i32);
        }
        let i = i32::try_from(self.files.len()).map_err(|_| MarshalError::TooManySources)?;
        self.files.push(Arc::clone(file));
        self.index.insert(Arc::as_ptr(file), i);
        Ok(i)
    }
}
