//! The size limits of Go's `regexp/syntax` parser, which BuildKit's patterns are subject to.
//!
//! Go refuses an expression with more than 33,554,432 literal runes, or one that allocated at
//! least 3,355,443 parse nodes and whose estimated program size exceeds that number
//! ("expression too large"). Only multi-megabyte patterns get there; we count the same nodes
//! (including Go's free-list reuse when it merges adjacent literals) to fail where BuildKit does.

use super::matcher::Atom;

const MAX_SIZE: u64 = (128 << 20) / 40;
const MAX_RUNES: u64 = (128 << 20) / 4;

#[derive(Default)]
pub(super) struct GoParseCost {
    allocated: u64,
    free: u64,
    stack_len: u64,
    /// Literal nodes on top of the parse stack (Go merges two adjacent ones lazily).
    top_literals: u8,
    runes: u64,
    size: u64,
}

impl GoParseCost {
    pub(super) fn new(anchored: bool) -> Self {
        let mut cost = GoParseCost::default();
        if anchored {
            cost.push_node(false, 1);
        }
        cost
    }

    fn new_node(&mut self) {
        if self.free > 0 {
            self.free -= 1;
        } else {
            self.allocated += 1;
        }
    }

    /// Go's `maybeConcat(-1, 0)`: merges the two literals on top of the stack.
    fn merge_literals(&mut self) {
        if self.top_literals == 2 {
            self.stack_len -= 1;
            self.free += 1;
            self.top_literals = 1;
        }
    }

    fn push_node(&mut self, literal: bool, size: u64) {
        self.new_node();
        self.merge_literals();
        self.stack_len += 1;
        self.top_literals = if literal {
            (self.top_literals + 1).min(2)
        } else {
            0
        };
        self.size += size;
    }

    pub(super) fn add(&mut self, atom: Atom) {
        match atom {
            Atom::Lit(_) => {
                self.runes += 1;
                self.push_node(true, 1);
            }
            Atom::Any => self.push_node(false, 1),
            Atom::Star => {
                self.push_node(false, 1);
                // The repeat wraps the `.` already on the stack.
                self.new_node();
                self.size += 2;
            }
        }
    }

    /// Whether Go's parser would reject the whole expression.
    pub(super) fn too_large(mut self) -> bool {
        self.merge_literals();
        if self.stack_len != 1 {
            // The final concatenation (or empty-match) node.
            self.new_node();
        }
        self.runes > MAX_RUNES || (self.allocated >= MAX_SIZE && self.size.max(1) > MAX_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::pattern::compile;

    fn too_large(unit: &str, n: usize, anchored: bool) -> bool {
        let unit = compile(unit, true, false).expect("a valid pattern");
        let atoms = unit.atoms().to_vec();
        let mut cost = GoParseCost::new(anchored);
        for _ in 0..n {
            for &atom in &atoms {
                cost.add(atom);
            }
        }
        cost.too_large()
    }

    /// The smallest repeat count Go's parser refuses, found by running BuildKit's code.
    #[test]
    fn thresholds_match_go() {
        let cases = [
            ("?", true, 3_355_443),
            ("*", true, 1_677_721),
            ("a?", true, 1_677_722),
            ("?*", true, 1_118_481),
            ("ab*", true, 1_118_481),
            ("\\*?", true, 1_677_722),
            ("?a*b", true, 671_089),
            ("?*", false, 1_118_481),
            ("\\*?", false, 1_677_722),
            ("?a*b", false, 671_089),
        ];
        for (unit, anchored, n) in cases {
            assert!(!too_large(unit, n - 1, anchored), "{unit:?} x {}", n - 1);
            assert!(too_large(unit, n, anchored), "{unit:?} x {n}");
        }
    }
}
