//! Merge and diff ops: layer-preserving combination of states.

use buildkit_proto::pb;

use crate::metadata::Metadata;
use crate::state::{base_op, OpNode, Output, State, EMPTY_INPUT};

/// The states stacked in order (later ones win). Scratch inputs are skipped; one input is returned as is.
pub fn merge(states: &[State], mut metadata: Metadata) -> State {
    let non_empty: Vec<&State> = states.iter().filter(|s| !s.is_scratch()).collect();
    match non_empty.as_slice() {
        [] => return State::scratch(),
        [one] => return (*one).clone(),
        _ => {}
    }
    metadata.add_cap("mergeop");
    // One input per state, repeated ones too, as Go's `MergeOp` writes them.
    let inputs: Vec<Output> = non_empty.iter().filter_map(|s| s.output.clone()).collect();
    let merge_inputs = (0..inputs.len())
        .map(|i| pb::MergeInput { input: i as i64 })
        .collect();
    let mut op = base_op(None);
    op.op = Some(pb::op::Op::Merge(pb::MergeOp {
        inputs: merge_inputs,
    }));
    State::from_node(OpNode::new(op, inputs, metadata), 0)
}

/// What `upper` changed relative to `lower`. As in Go's `llb.Diff`: from scratch it is `upper`
/// itself; otherwise an op with the lower and upper inputs (both written, even when equal).
pub fn diff(lower: &State, upper: &State, mut metadata: Metadata) -> State {
    let Some(l) = &lower.output else {
        return upper.clone();
    };
    metadata.add_cap("diffop");
    let mut inputs = vec![l.clone()];
    let u = match &upper.output {
        Some(u) => {
            inputs.push(u.clone());
            1
        }
        None => EMPTY_INPUT,
    };
    let mut op = base_op(None);
    op.op = Some(pb::op::Op::Diff(pb::DiffOp {
        lower: Some(pb::LowerDiffInput { input: 0 }),
        upper: Some(pb::UpperDiffInput { input: u }),
    }));
    State::from_node(OpNode::new(op, inputs, metadata), 0)
}
