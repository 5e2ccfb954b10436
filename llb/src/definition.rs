//! A state from an existing definition (BuildKit's `llb.NewDefinitionOp`): the ops are kept
//! byte for byte, so their digests (and the cache) are those of the definition given.

use std::collections::HashMap;
use std::sync::Arc;

use buildkit_proto::pb;
use prost::Message;

use crate::digest::{digest_of, OpDigest};
use crate::metadata::Metadata;
use crate::platform::Platform;
use crate::state::{OpNode, Output, State};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DefinitionError {
    #[error("failed to parse llb proto op: {0}")]
    Decode(String),
    #[error("invalid definition with no inputs on last vertex")]
    NoTerminalInput,
    #[error("definition refers to op {0}, which it does not contain")]
    MissingOp(String),
    #[error("definition has a cycle through op {0}")]
    Cycle(String),
}

impl State {
    /// The state a definition's terminal op selects; scratch for an empty definition.
    /// Op metadata (names, caps, cache flags) is carried over; source locations are not.
    pub fn from_definition(def: &pb::Definition) -> Result<State, DefinitionError> {
        let Some(last) = def.def.last() else {
            return Ok(State::scratch());
        };
        let mut ops: HashMap<String, (pb::Op, &Vec<u8>)> = HashMap::new();
        for bytes in &def.def {
            let op = pb::Op::decode(bytes.as_slice())
                .map_err(|e| DefinitionError::Decode(e.to_string()))?;
            ops.insert(digest_of(bytes), (op, bytes));
        }
        let terminal =
            pb::Op::decode(last.as_slice()).map_err(|e| DefinitionError::Decode(e.to_string()))?;
        let root = terminal
            .inputs
            .first()
            .ok_or(DefinitionError::NoTerminalInput)?;
        let mut built: HashMap<String, Arc<OpNode>> = HashMap::new();
        let node = build_node(&root.digest, &ops, &def.metadata, &mut built)?;
        Ok(State::from_node(node, root.index))
    }
}

impl State {
    /// The platform the op this state is an output of states, as written (None for scratch
    /// or an op without one): what Go's `llb.NewState` of a definition's op
    /// (`llb.NewDefinitionOp`) takes as the state's platform.
    pub fn op_platform(&self) -> Option<Platform> {
        let out = self.output.as_ref()?;
        let op = pb::Op::decode(out.node.bytes.as_slice()).ok()?;
        op.platform.as_ref().map(Platform::from_pb)
    }
}

/// Builds the node for `digest` after its inputs (iteratively, so deep graphs cannot overflow the stack).
fn build_node(
    digest: &str,
    ops: &HashMap<String, (pb::Op, &Vec<u8>)>,
    metadata: &std::collections::BTreeMap<String, pb::OpMetadata>,
    built: &mut HashMap<String, Arc<OpNode>>,
) -> Result<Arc<OpNode>, DefinitionError> {
    let mut stack: Vec<String> = vec![digest.to_string()];
    while let Some(d) = stack.last().cloned() {
        if built.contains_key(&d) {
            stack.pop();
            continue;
        }
        let (op, bytes) = ops
            .get(&d)
            .ok_or_else(|| DefinitionError::MissingOp(d.clone()))?;
        let pending: Vec<String> = op
            .inputs
            .iter()
            .map(|i| i.digest.clone())
            .filter(|i| !built.contains_key(i))
            .collect();
        if let Some(next) = pending.into_iter().next() {
            if stack.contains(&next) {
                return Err(DefinitionError::Cycle(next));
            }
            stack.push(next);
            continue;
        }
        let inputs = op
            .inputs
            .iter()
            .map(|i| {
                built
                    .get(&i.digest)
                    .map(|n| Output {
                        node: Arc::clone(n),
                        index: i.index,
                    })
                    .ok_or_else(|| DefinitionError::MissingOp(i.digest.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let md = metadata.get(&d).map(metadata_from_pb).unwrap_or_default();
        let digest = OpDigest::parse(&d).unwrap_or_else(|| OpDigest::of(bytes));
        let node = Arc::new(OpNode {
            bytes: (*bytes).clone(),
            digest,
            inputs,
            visit: Vec::new(),
            metadata: Arc::new(md.into()),
        });
        built.insert(d, node);
        stack.pop();
    }
    built
        .get(digest)
        .cloned()
        .ok_or_else(|| DefinitionError::MissingOp(digest.to_string()))
}

fn metadata_from_pb(md: &pb::OpMetadata) -> Metadata {
    Metadata {
        description: md
            .description
            .iter()
            .map(|(k, v)| (k.clone().into(), v.clone()))
            .collect(),
        ignore_cache: md.ignore_cache,
        progress_group: md.progress_group.clone().map(Into::into),
        linux_resources: md.linux_resources.clone().map(Into::into),
        caps: md
            .caps
            .iter()
            .filter(|(_, on)| **on)
            .map(|(c, _)| c.clone().into())
            .collect(),
        locations: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImageOptions, Metadata as Md};

    #[test]
    fn round_trips_a_definition() {
        let img = State::image(
            "docker.io/library/busybox:latest",
            ImageOptions {
                metadata: Md::named("base"),
                ..Default::default()
            },
        );
        let exec = crate::Exec::new(img, vec!["true".into()]).run().root();
        let def = exec.marshal().unwrap();
        let back = State::from_definition(&def).unwrap();
        assert_eq!(back.digest(), exec.digest());
        assert_eq!(back.marshal().unwrap().def, def.def);
    }

    #[test]
    fn op_platform_is_the_ops_own() {
        let arm = Platform::parse_unnormalized("linux/arm64/v8").unwrap();
        let img = State::image(
            "docker.io/library/busybox:latest",
            ImageOptions {
                platform: Some(arm.clone()),
                ..Default::default()
            },
        );
        assert_eq!(img.op_platform(), Some(arm));
        assert_eq!(State::scratch().op_platform(), None);
        // File ops carry none.
        let file = State::scratch().file(
            crate::FileActions::new().mkdir("/a", 0o755, Default::default()),
            Md::default(),
        );
        assert_eq!(file.op_platform(), None);
    }

    #[test]
    fn empty_is_scratch_and_garbage_is_an_error() {
        assert!(State::from_definition(&pb::Definition::default())
            .unwrap()
            .is_scratch());
        let bad = pb::Definition {
            def: vec![vec![0xff, 0xff]],
            ..Default::default()
        };
        assert!(State::from_definition(&bad).is_err());
    }
}
