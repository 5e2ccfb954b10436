//! Merge and diff ops: layer-preserving combination of states.

use buildkit_proto::pb;

use crate::metadata::Metadata;
use crate::state::{base_op, InputSet, OpNode, State};

/// The states stacked in order (later ones win). Scratch inputs are skipped; one input is returned as is.
pub fn merge(states: &[State], mut metadata: Metadata) -> State {
    let non_empty: Vec<&State> = states.iter().filter(|s| !s.is_scratch()).collect();
    match non_empty.as_slice() {
        [] => return State::scratch(),
        [one] => return (*one).clone(),
        _ => {}
    }
    metadata.add_cap("mergeop");
    let mut inputs = InputSet::default();
    let merge_inputs = non_empty.iter().map(|s| pb::MergeInput { input: inputs.add(s) }).collect();
    let mut op = base_op(None);
    op.op = Some(pb::op::Op::Merge(pb::MergeOp { inputs: merge_inputs }));
    State::from_node(OpNode::new(op, inputs.inputs, metadata), 0)
}

/// What `upper` changed relative to `lower`.
pub fn diff(lower: &State, upper: &State, mut metadata: Metadata) -> State {
    if lower.same_as(upper) {
        return State::scratch();
    }
    metadata.add_cap("diffop");
    let mut inputs = InputSet::default();
    let l = inputs.add(lower);
    let u = inputs.add(upper);
    let mut op = base_op(None);
    op.op = Some(pb::op::Op::Diff(pb::DiffOp { lower: Some(pb::LowerDiffInput { input: l }), upper: Some(pb::UpperDiffInput { input: u }) }));
    State::from_node(OpNode::new(op, inputs.inputs, metadata), 0)
}
