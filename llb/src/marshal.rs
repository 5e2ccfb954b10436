//! Turning the graph behind a state into a `Definition`: ops in dependency order
//! (each once), their metadata, and the source files ops point into.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use buildkit_proto::pb;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::metadata::SourceFile;
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
        for node in post_order(&root.node) {
            def.def.push(node.bytes.clone());
            def.metadata.insert(node.digest.clone(), node.metadata.to_pb());
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
        }
        // The terminal op: no op of its own, just the selected output.
        let terminal = pb::Op { inputs: vec![root.to_input()], ..Default::default() };
        let bytes = terminal.encode_to_vec();
        let mut caps = BTreeMap::from([("constraints".to_string(), true), ("platform".to_string(), true)]);
        // As BuildKit's client: the terminal op declares the metadata features any op uses.
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

/// Every op reachable from `root`, each once, inputs before the ops that use them.
/// Iterative, so a chain of tens of thousands of ops cannot overflow the stack.
fn post_order(root: &Arc<OpNode>) -> Vec<Arc<OpNode>> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut order = Vec::new();
    // (node, next input to visit)
    let mut stack: Vec<(&Arc<OpNode>, usize)> = vec![(root, 0)];
    seen.insert(&root.digest);
    while let Some((node, next)) = stack.pop() {
        if let Some(input) = node.inputs.get(next) {
            stack.push((node, next + 1));
            if seen.insert(&input.node.digest) {
                stack.push((&input.node, 0));
            }
        } else {
            order.push(Arc::clone(node));
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
