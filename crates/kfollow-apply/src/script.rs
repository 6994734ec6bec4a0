//! Scripted reads of the live state, for the unit tests of the loops that read it again after
//! apply ([`settle`](crate::settle) and [`reread_unknown`](crate::reread_unknown)).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use kfollow_model::Plan;

/// Fresh plans scripted in order, counted; a read past the script panics.
pub(crate) struct Script {
    pub(crate) reads: Cell<usize>,
    answers: RefCell<VecDeque<Result<Plan, String>>>,
}

impl Script {
    pub(crate) fn new(answers: Vec<Result<Plan, String>>) -> Script {
        Script {
            reads: Cell::new(0),
            answers: RefCell::new(answers.into()),
        }
    }

    pub(crate) async fn replan(&self) -> Result<Plan, String> {
        self.reads.set(self.reads.get() + 1);
        self.answers.borrow_mut().pop_front().unwrap()
    }
}
