//! The bound on one read's evaluation: a `.tf` file is input from anyone, and Terraform's
//! language can build large values (`range`, nested `for`, string templates) or nest names deep
//! (a local naming a local naming a local…). Every evaluation of a read shares one budget; past
//! it, a value is unknown ([`TOO_MUCH`]) rather than the read running away.

use std::cell::Cell;

/// Steps (expressions, and the characters and elements produced) one read may take.
const MAX_STEPS: usize = 2_000_000;
/// Nested evaluations (a local naming a local naming a local…) one read may stack.
const MAX_DEPTH: usize = 160;
/// Why a value is unknown when the budget ran out.
pub const TOO_MUCH: &str = "too much to evaluate";

/// The work done so far, shared by every evaluation of one read.
#[derive(Debug, Default)]
pub struct Budget {
    steps: Cell<usize>,
    depth: Cell<usize>,
}

impl Budget {
    /// Counts one step into a nested evaluation; `false` once the budget or the depth is spent
    /// (the caller still [`leave`](Self::leave)s).
    pub fn enter(&self) -> bool {
        self.steps.set(self.steps.get().saturating_add(1));
        self.depth.set(self.depth.get() + 1);
        self.steps.get() <= MAX_STEPS && self.depth.get() <= MAX_DEPTH
    }

    /// Ends the nested evaluation [`enter`](Self::enter) began.
    pub fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    /// Counts `weight` steps; `false` once the budget is spent.
    pub fn charge(&self, weight: usize) -> bool {
        self.steps.set(self.steps.get().saturating_add(weight));
        self.steps.get() <= MAX_STEPS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_runs_out_on_depth_and_on_steps() {
        let b = Budget::default();
        assert!((0..MAX_DEPTH).all(|_| b.enter()));
        assert!(!b.enter(), "one level too deep");
        (0..=MAX_DEPTH).for_each(|_| b.leave());
        assert!(b.enter());
        b.leave();
        assert!(!b.charge(MAX_STEPS));
    }
}
