//! Scripted reads of the live state, for the unit tests of the loops that read it again after
//! apply ([`settle`](crate::settle) and [`reread_unknown`](crate::reread_unknown)), and the
//! changes the unit tests plan.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use kfollow_model::{Action, Address, Change, Operation, Plan};

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

/// The attachment `name` on the follower `f1`.
pub(crate) fn attachment(name: &str) -> Address {
    Address::Attachment {
        follower: "f1".into(),
        name: name.into(),
    }
}

/// An attach of [`attachment`] `name` with `operations`, after the attachments `depends_on`.
pub(crate) fn attach(name: &str, operations: Vec<Operation>, depends_on: &[&str]) -> Change {
    Change {
        address: attachment(name),
        action: Action::Attach,
        attributes: Vec::new(),
        unchanged_attributes: 0,
        reason: None,
        operations,
        depends_on: depends_on.iter().map(|d| attachment(d)).collect(),
        origin: None,
    }
}
