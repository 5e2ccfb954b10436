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
    /// The order marshalling visits `inputs` in (indices), which decides the definition's op
    /// order: input order, except where BuildKit's client walks an op's inputs differently.
    pub(crate) visit_order: Vec<usize>,
}

impl OpNode {
    /// Encodes `op` with `inputs` filled in as its `Input`s and computes its digest.
    pub(crate) fn new(mut op: pb::Op, inputs: Vec<Output>, metadata: Metadata) -> Arc<Self> {
        op.inputs = inputs.iter().map(Output::to_input).collect();
        let bytes = encode_op(op);
        let digest = digest_of(&bytes);
        let visit_order = (0..inputs.len()).collect();
        Arc::new(OpNode { bytes, digest, inputs, metadata, visit_order })
    }
}

impl OpNode {
    /// Sets the order marshalling visits the inputs in; indices not listed are visited after.
    pub(crate) fn with_visit_order(mut node: Arc<Self>, order: Vec<usize>) -> Arc<Self> {
        if let Some(n) = Arc::get_mut(&mut node) {
            let mut order: Vec<usize> = order.into_iter().filter(|&i| i < n.inputs.len()).collect();
            for i in 0..n.inputs.len() {
                if !order.contains(&i) {
                    order.push(i);
                }
            }
            n.visit_order = order;
        }
        node
    }
}

/// The op's bytes as BuildKit's Go code marshals them (`proto.MarshalOptions{Deterministic:
/// true}`): regular fields by number, then the `op` oneof last. The daemon re-marshals every op
/// to compute vertex digests; bytes that differ would change the digests, so the definition's
/// source map (keyed by digest) would no longer find the op that failed.
fn encode_op(mut op: pb::Op) -> Vec<u8> {
    let oneof = op.op.take();
    let mut bytes = op.encode_to_vec();
    match oneof {
        Some(pb::op::Op::Source(src)) => encode_source(&src, &mut bytes),
        Some(o) => o.encode(&mut bytes),
        None => {}
    }
    bytes
}

/// `Op.source` (field 3). Go writes both fields of every map entry, even an empty value
/// (`local.unique=""`), where prost would leave the empty value out.
fn encode_source(src: &pb::SourceOp, buf: &mut Vec<u8>) {
    use prost::encoding::{encode_key, encode_varint, string, WireType};
    let mut body = Vec::new();
    if !src.identifier.is_empty() {
        string::encode(1, &src.identifier, &mut body);
    }
    for (k, v) in &src.attrs {
        let mut entry = Vec::new();
        string::encode(1, k, &mut entry);
        string::encode(2, v, &mut entry);
        encode_key(2, WireType::LengthDelimited, &mut body);
        encode_varint(entry.len() as u64, &mut body);
        body.extend_from_slice(&entry);
    }
    encode_key(3, WireType::LengthDelimited, buf);
    encode_varint(body.len() as u64, buf);
    buf.extend_from_slice(&body);
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Bytes from BuildKit's Go marshalling of the same ops (`proto.MarshalOptions{Deterministic: true}`).
    #[test]
    fn ops_encode_like_go() {
        let op = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: "local://context".into(),
                attrs: [("local.sharedkeyhint".to_string(), "context".to_string()), ("local.unique".to_string(), String::new())].into(),
            })),
            constraints: Some(pb::WorkerConstraints::default()),
            ..Default::default()
        };
        assert_eq!(
            hex::encode(encode_op(op)),
            "5a001a430a0f6c6f63616c3a2f2f636f6e74657874121e0a136c6f63616c2e7368617265646b657968696e741207636f6e7465787412100a0c6c6f63616c2e756e697175651200"
        );
        let op = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp { identifier: "docker-image://docker.io/library/busybox:latest".into(), attrs: Default::default() })),
            platform: Some(pb::Platform { architecture: "amd64".into(), os: "linux".into(), ..Default::default() }),
            constraints: Some(pb::WorkerConstraints::default()),
            ..Default::default()
        };
        assert_eq!(
            hex::encode(encode_op(op)),
            "520e0a05616d64363412056c696e75785a001a310a2f646f636b65722d696d6167653a2f2f646f636b65722e696f2f6c6962726172792f62757379626f783a6c6174657374"
        );
    }
}
