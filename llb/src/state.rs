//! Graph nodes and states. Each op is encoded and digested once, when it is built, so
//! identical ops built twice share a digest and marshalling is a plain walk.

use std::sync::Arc;

use buildkit_proto::pb;
use prost::Message;

use crate::marshal::digest_of;
use crate::metadata::Metadata;

#[derive(Debug)]
pub(crate) struct OpNode {
    pub(crate) bytes: Vec<u8>,
    pub(crate) digest: String,
    pub(crate) inputs: Vec<Output>,
    pub(crate) metadata: Metadata,
}

impl OpNode {
    /// Encodes `op` with `inputs` filled in as its `Input`s and computes its digest.
    pub(crate) fn new(mut op: pb::Op, inputs: Vec<Output>, metadata: Metadata) -> Arc<Self> {
        op.inputs = inputs.iter().map(Output::to_input).collect();
        // BuildKit's Go encoder (vtprotobuf) writes a oneof after the plain fields, so `op`
        // (tags 2–7) comes after `platform` (10) and `constraints` (11); the digest depends on it.
        let oneof = op.op.take();
        let mut bytes = op.encode_to_vec();
        if let Some(o) = &oneof {
            o.encode(&mut bytes);
        }
        let digest = digest_of(&bytes);
        Arc::new(OpNode { bytes, digest, inputs, metadata })
    }
}

// Dropping a long chain of ops recursively would overflow the stack: unlink it iteratively.
impl Drop for OpNode {
    fn drop(&mut self) {
        let mut pending: Vec<Output> = std::mem::take(&mut self.inputs);
        while let Some(out) = pending.pop() {
            if let Ok(mut node) = Arc::try_unwrap(out.node) {
                pending.append(&mut node.inputs);
            }
        }
    }
}

/// One output of an op.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    pub(crate) node: Arc<OpNode>,
    pub(crate) index: i64,
}

impl Output {
    pub(crate) fn to_input(&self) -> pb::Input {
        pb::Input { digest: self.node.digest.clone(), index: self.index }
    }

    fn same(&self, other: &Output) -> bool {
        self.index == other.index && self.node.digest == other.node.digest
    }
}

/// A filesystem state: the output of an op, or scratch (empty).
#[derive(Debug, Clone, Default)]
pub struct State {
    pub(crate) output: Option<Output>,
}

impl State {
    pub fn scratch() -> Self {
        State { output: None }
    }

    pub fn is_scratch(&self) -> bool {
        self.output.is_none()
    }

    pub(crate) fn from_node(node: Arc<OpNode>, index: i64) -> Self {
        State { output: Some(Output { node, index }) }
    }

    /// The digest of the op this state is an output of (None for scratch).
    pub fn digest(&self) -> Option<&str> {
        self.output.as_ref().map(|o| o.node.digest.as_str())
    }

    /// True when both are the same output of the same op.
    pub fn same_as(&self, other: &State) -> bool {
        match (&self.output, &other.output) {
            (None, None) => true,
            (Some(a), Some(b)) => a.same(b),
            _ => false,
        }
    }
}

/// Collects the distinct inputs of one op and gives each state its input index (-1 for scratch).
#[derive(Default)]
pub(crate) struct InputSet {
    pub(crate) inputs: Vec<Output>,
}

pub(crate) const EMPTY_INPUT: i64 = -1;

impl InputSet {
    pub(crate) fn add(&mut self, state: &State) -> i64 {
        let Some(out) = &state.output else { return EMPTY_INPUT };
        if let Some(i) = self.inputs.iter().position(|o| o.same(out)) {
            return i as i64;
        }
        self.inputs.push(out.clone());
        (self.inputs.len() - 1) as i64
    }
}

/// The op skeleton every builder starts from: platform (None for file ops) and empty worker constraints.
pub(crate) fn base_op(platform: Option<&crate::Platform>) -> pb::Op {
    pb::Op {
        platform: platform.map(|p| p.to_pb()),
        constraints: Some(pb::WorkerConstraints::default()),
        ..Default::default()
    }
}
