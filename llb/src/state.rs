//! Graph nodes and states. Each op is encoded and digested once, when it is built, so
//! identical ops built twice share a digest and marshalling is a plain walk.

use std::cell::Cell;
use std::sync::Arc;

use buildkit_proto::pb;
use prost::Message;

use crate::digest::OpDigest;
use crate::metadata::{Metadata, OpMetadata};

thread_local! {
    /// See [`built_bytes`].
    static BUILT: Cell<u64> = const { Cell::new(0) };
}

/// How many bytes of ops this thread has built so far: each op's encoding and the text of its
/// metadata (progress name, descriptions). Every op is built on the thread that calls the
/// [`State`] method making it, so a caller can bound what a piece of its own code builds by
/// reading this before and after (a Dockerfile can multiply a large variable into many ops).
pub fn built_bytes() -> u64 {
    BUILT.with(Cell::get)
}

fn count_built(bytes: &[u8], metadata: &OpMetadata) {
    let text: usize = metadata
        .description
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    let len = (bytes.len() + text) as u64;
    BUILT.with(|b| b.set(b.get().saturating_add(len)));
}

#[derive(Debug)]
pub(crate) struct OpNode {
    pub(crate) bytes: Vec<u8>,
    pub(crate) digest: OpDigest,
    /// The inputs written in the op.
    pub(crate) inputs: Vec<Output>,
    /// The outputs Go's `Vertex.Inputs()` lists, in its order, when they are not `inputs`:
    /// marshalling visits these, so equal ops built twice are both visited (their metadata
    /// merged) and ops are listed in the reference's order.
    pub(crate) visit: Vec<Output>,
    /// Shared: an op rebuilt with new inputs (a context swap) keeps the same metadata.
    pub(crate) metadata: Arc<OpMetadata>,
}

impl OpNode {
    /// Encodes `op` with `inputs` filled in as its `Input`s and computes its digest.
    pub(crate) fn new(op: pb::Op, inputs: Vec<Output>, metadata: Metadata) -> Arc<Self> {
        OpNode::with_visit(op, inputs, Vec::new(), metadata)
    }

    /// `new`, with the outputs marshalling visits when they differ from `inputs`.
    pub(crate) fn with_visit(
        op: pb::Op,
        inputs: Vec<Output>,
        visit: Vec<Output>,
        metadata: Metadata,
    ) -> Arc<Self> {
        let bytes = encode_op(op, &inputs);
        let digest = OpDigest::of(&bytes);
        let visit = if same_objects(&visit, &inputs) {
            Vec::new()
        } else {
            visit
        };
        let metadata = OpMetadata::from(metadata);
        count_built(&bytes, &metadata);
        Arc::new(OpNode {
            bytes,
            digest,
            inputs,
            visit,
            metadata: Arc::new(metadata),
        })
    }

    /// The inputs in the order marshalling visits them.
    pub(crate) fn visit_inputs(&self) -> &[Output] {
        if self.visit.is_empty() {
            &self.inputs
        } else {
            &self.visit
        }
    }
}

fn same_objects(a: &[Output], b: &[Output]) -> bool {
    a.is_empty() || (a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.is(y)))
}

/// Encodes an op, with `inputs` as its `Input`s, byte for byte as BuildKit's Go client does
/// (`proto.MarshalOptions{Deterministic: true}`), so equal ops get equal digests and share
/// BuildKit's cache with the Go frontend. Go's protobuf writes the plain fields by number and
/// oneof fields after them ("legacy field order"): `inputs`, `platform`, `constraints`, then the
/// `op` oneof. prost would write the oneof at its field number, between `inputs` and `platform`.
/// Nested messages need nothing: their oneofs (`FileAction.action`, `UserOpt.user`) already
/// have the highest numbers. The inputs are written straight from the outputs (`op.inputs` is
/// expected empty), sparing a message and a digest copy per input.
pub(crate) fn encode_op(mut op: pb::Op, inputs: &[Output]) -> Vec<u8> {
    let body = op.op.take();
    let mut buf = Vec::with_capacity(
        inputs.len() * 80 + op.encoded_len() + body.as_ref().map_or(0, pb::op::Op::encoded_len),
    );
    encode_inputs(inputs, &mut buf);
    op.encode_raw(&mut buf);
    match &body {
        Some(pb::op::Op::Source(src)) => encode_source(src, &mut buf),
        Some(body) => body.encode(&mut buf),
        None => {}
    }
    buf
}

/// `Op.inputs` (field 1, written first): each `Input { digest = 1, index = 2 }`.
pub(crate) fn encode_inputs(inputs: &[Output], buf: &mut Vec<u8>) {
    use prost::encoding::{
        encode_key, encode_varint, encoded_len_varint, int64, key_len, WireType,
    };
    for input in inputs {
        let digest = input.node.digest.as_str().as_bytes();
        let digest_len = key_len(1) + encoded_len_varint(digest.len() as u64) + digest.len();
        let index_len = if input.index == 0 {
            0
        } else {
            int64::encoded_len(2, &input.index)
        };
        encode_key(1, WireType::LengthDelimited, buf);
        encode_varint((digest_len + index_len) as u64, buf);
        encode_key(1, WireType::LengthDelimited, buf);
        encode_varint(digest.len() as u64, buf);
        buf.extend_from_slice(digest);
        if input.index != 0 {
            int64::encode(2, &input.index, buf);
        }
    }
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
        pending.append(&mut self.visit);
        while let Some(out) = pending.pop() {
            if let Ok(mut node) = Arc::try_unwrap(out.node) {
                pending.append(&mut node.inputs);
                pending.append(&mut node.visit);
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
    /// The same output of equal ops (what an op's inputs are told apart by).
    fn same(&self, other: &Output) -> bool {
        self.index == other.index && self.node.digest == other.node.digest
    }

    /// The same output of the same op object (what Go's `Output` interface values compare).
    pub(crate) fn is(&self, other: &Output) -> bool {
        self.index == other.index && Arc::ptr_eq(&self.node, &other.node)
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
        State {
            output: Some(Output { node, index }),
        }
    }

    /// This state's op built again, as another op object with `metadata` (and the caps the op
    /// itself needs): equal ops built twice are what building the same instruction in two
    /// places gives, without encoding and digesting the op again.
    pub fn rebuilt(&self, mut metadata: Metadata) -> State {
        let Some(out) = &self.output else {
            return State::scratch();
        };
        let node = &out.node;
        metadata.caps.extend(node.metadata.caps.iter().cloned());
        let metadata = OpMetadata::from(metadata);
        count_built(&node.bytes, &metadata);
        let copy = OpNode {
            bytes: node.bytes.clone(),
            digest: node.digest,
            inputs: node.inputs.clone(),
            visit: node.visit.clone(),
            metadata: Arc::new(metadata),
        };
        State::from_node(Arc::new(copy), out.index)
    }

    /// The digest of the op this state is an output of (None for scratch).
    pub fn digest(&self) -> Option<&str> {
        self.output.as_ref().map(|o| o.node.digest.as_str())
    }

    /// True when no other state (no clone) and no op holds this state's op: nothing built
    /// on it. Scratch is always unique.
    pub fn is_unique(&self) -> bool {
        self.output
            .as_ref()
            .is_none_or(|o| Arc::strong_count(&o.node) == 1)
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
    /// Distinct by digest and output index, as the op lists them.
    pub(crate) inputs: Vec<Output>,
    /// Every distinct output object added, in order: Go's `Vertex.Inputs()` for execs.
    pub(crate) objects: Vec<Output>,
}

pub(crate) const EMPTY_INPUT: i64 = -1;

impl InputSet {
    pub(crate) fn add(&mut self, state: &State) -> i64 {
        let Some(out) = &state.output else {
            return EMPTY_INPUT;
        };
        if !self.objects.iter().any(|o| o.is(out)) {
            self.objects.push(out.clone());
        }
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

    /// A rebuilt op is the op built again: same digest, its own metadata, the op's caps kept;
    /// both copies are visited and their metadata merged, as for an op built twice.
    #[test]
    fn a_rebuilt_op_is_the_op_built_again() {
        let opts = |name: &str| crate::ImageOptions {
            resolve_mode: Some("pull".into()),
            metadata: Metadata::named(name),
            ..Default::default()
        };
        let first = State::image("docker.io/library/busybox:latest", opts("one"));
        let again = State::image("docker.io/library/busybox:latest", opts("two"));
        let rebuilt = first.rebuilt(Metadata::named("two"));
        assert_eq!(rebuilt.digest(), again.digest());
        let (a, b) = (
            rebuilt.output.as_ref().unwrap(),
            again.output.as_ref().unwrap(),
        );
        assert_eq!(a.node.bytes, b.node.bytes);
        assert_eq!(
            format!("{:?}", a.node.metadata),
            format!("{:?}", b.node.metadata)
        );
        assert!(!a.is(first.output.as_ref().unwrap()));
        assert!(State::scratch().rebuilt(Metadata::named("x")).is_scratch());
    }

    /// Bytes from BuildKit's Go marshalling of the same ops (`proto.MarshalOptions{Deterministic: true}`).
    #[test]
    fn ops_encode_like_go() {
        let op = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: "local://context".into(),
                attrs: [
                    ("local.sharedkeyhint".to_string(), "context".to_string()),
                    ("local.unique".to_string(), String::new()),
                ]
                .into(),
            })),
            constraints: Some(pb::WorkerConstraints::default()),
            ..Default::default()
        };
        assert_eq!(
            hex::encode(encode_op(op, &[])),
            "5a001a430a0f6c6f63616c3a2f2f636f6e74657874121e0a136c6f63616c2e7368617265646b657968696e741207636f6e7465787412100a0c6c6f63616c2e756e697175651200"
        );
        let op = pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: "docker-image://docker.io/library/busybox:latest".into(),
                attrs: Default::default(),
            })),
            platform: Some(pb::Platform {
                architecture: "amd64".into(),
                os: "linux".into(),
                ..Default::default()
            }),
            constraints: Some(pb::WorkerConstraints::default()),
            ..Default::default()
        };
        assert_eq!(
            hex::encode(encode_op(op, &[])),
            "520e0a05616d64363412056c696e75785a001a310a2f646f636b65722d696d6167653a2f2f646f636b65722e696f2f6c6962726172792f62757379626f783a6c6174657374"
        );
    }
}
