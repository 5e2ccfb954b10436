//! Swapping ops in a finished graph: every op that (through its inputs) reads a replaced op is
//! encoded again with its new input digests; the rest of the graph is shared, untouched.
//!
//! This is how a graph can depend on something known only once the graph is built: the
//! Dockerfile converter lowers every stage against a placeholder build context, learns from
//! that single pass which paths the context must hold, then swaps in the real context. (Go's
//! LLB client gets the same effect by marshalling lazily; our ops are encoded when built.)

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use crate::digest::OpDigest;
use crate::state::{encode_inputs, OpNode, Output, State};

impl State {
    /// This graph with the op behind each `(from, to)` pair's `from` replaced by `to`'s op.
    ///
    /// Each `from` must be an op the graph cannot otherwise contain an equal copy of (a
    /// placeholder made unique), so that no two inputs of one op become equal ops by the swap.
    pub fn with_replaced(&self, replacements: &[(State, State)]) -> State {
        let Some(root) = &self.output else {
            return self.clone();
        };
        let mut swapped: HashMap<*const OpNode, Option<Arc<OpNode>>> = HashMap::new();
        for (from, to) in replacements {
            if let (Some(f), Some(t)) = (&from.output, &to.output) {
                swapped.insert(Arc::as_ptr(&f.node), Some(Arc::clone(&t.node)));
            }
        }
        // Post-order, iteratively: a chain of tens of thousands of ops must not overflow the stack.
        let mut stack: Vec<(&Arc<OpNode>, bool)> = vec![(&root.node, false)];
        while let Some((node, inputs_done)) = stack.pop() {
            let key = Arc::as_ptr(node);
            if swapped.contains_key(&key) {
                continue;
            }
            if !inputs_done {
                stack.push((node, true));
                stack.extend(
                    node.inputs
                        .iter()
                        .chain(&node.visit)
                        .map(|o| (&o.node, false)),
                );
                continue;
            }
            let new = rebuilt(node, &swapped);
            swapped.insert(key, new);
        }
        State {
            output: Some(remap(root, &swapped)),
        }
    }
}

/// The node with its inputs swapped, or None when none of them changed.
fn rebuilt(
    node: &OpNode,
    swapped: &HashMap<*const OpNode, Option<Arc<OpNode>>>,
) -> Option<Arc<OpNode>> {
    let changed = |o: &Output| matches!(swapped.get(&Arc::as_ptr(&o.node)), Some(Some(_)));
    if !node.inputs.iter().chain(&node.visit).any(changed) {
        return None;
    }
    let inputs: Vec<Output> = node.inputs.iter().map(|o| remap(o, swapped)).collect();
    let visit: Vec<Output> = node.visit.iter().map(|o| remap(o, swapped)).collect();
    let rest = after_inputs(&node.bytes);
    let mut bytes = Vec::with_capacity(node.bytes.len() + 16);
    encode_inputs(&inputs, &mut bytes);
    bytes.extend_from_slice(rest);
    let digest = OpDigest::of(&bytes);
    Some(Arc::new(OpNode {
        bytes,
        digest,
        inputs,
        visit,
        metadata: Arc::clone(&node.metadata),
    }))
}

/// An op's bytes after its inputs: protobuf encoders (ours, Go's) write field 1 first.
fn after_inputs(mut bytes: &[u8]) -> &[u8] {
    while let Some((&INPUT_KEY, mut rest)) = bytes.split_first() {
        let Ok(len) = prost::encoding::decode_varint(&mut rest) else {
            break;
        };
        let Some(after) = usize::try_from(len).ok().and_then(|len| rest.get(len..)) else {
            break;
        };
        bytes = after;
    }
    bytes
}

/// Field 1 (`Op.inputs`), length-delimited.
const INPUT_KEY: u8 = 1 << 3 | 2;

fn remap(o: &Output, swapped: &HashMap<*const OpNode, Option<Arc<OpNode>>>) -> Output {
    match swapped.get(&Arc::as_ptr(&o.node)) {
        Some(Some(n)) => Output {
            node: Arc::clone(n),
            index: o.index,
        },
        _ => o.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::{CopyOptions, Exec, FileActions, LocalOptions, Metadata, Mount, State};
    use prost::Message;

    fn context(follow: &[&str]) -> State {
        State::local(
            "context",
            LocalOptions {
                follow_paths: follow.iter().map(|s| s.to_string()).collect(),
                metadata: Metadata::named("[internal] load build context"),
                ..Default::default()
            },
        )
    }

    /// Two stages reading the context (a copy and a bind mount), joined by a merge-free copy.
    fn graph(ctx: &State) -> State {
        let base = State::image("docker.io/library/busybox:latest", Default::default());
        let other = Exec::new(base.clone(), vec!["true".into()]).run().root();
        let copied = base.file(
            FileActions::new().copy(ctx.clone(), "/src", "/dst", CopyOptions::default()),
            Metadata::named("COPY src /dst"),
        );
        let run = Exec {
            mounts: vec![Mount::bind("/ctx", ctx.clone())],
            ..Exec::new(copied, vec!["make".into()])
        }
        .run()
        .root();
        run.file(
            FileActions::new().copy(other, "/x", "/y", CopyOptions::default()),
            Metadata::named("COPY --from"),
        )
    }

    #[test]
    fn swapping_the_context_gives_the_graph_built_with_it() {
        let placeholder = context(&["\u{0}placeholder"]);
        let real = context(&["src", "Makefile"]);
        let swapped = graph(&placeholder).with_replaced(&[(placeholder.clone(), real.clone())]);
        let direct = graph(&real);
        assert_eq!(swapped.digest(), direct.digest());
        assert_eq!(
            swapped.marshal().unwrap().encode_to_vec(),
            direct.marshal().unwrap().encode_to_vec()
        );
    }

    #[test]
    fn a_placeholder_is_unique_until_something_is_built_on_it() {
        let placeholder = context(&["\u{0}placeholder"]);
        assert!(placeholder.is_unique() && State::scratch().is_unique());
        let g = graph(&placeholder);
        assert!(!placeholder.is_unique());
        drop(g);
        assert!(placeholder.is_unique());
    }

    #[test]
    fn a_graph_without_the_placeholder_is_unchanged() {
        let g = graph(&context(&[]));
        let swapped = g.with_replaced(&[(context(&["\u{0}placeholder"]), context(&["a"]))]);
        assert_eq!(swapped.digest(), g.digest());
        assert_eq!(State::scratch().with_replaced(&[]).digest(), None);
    }
}
