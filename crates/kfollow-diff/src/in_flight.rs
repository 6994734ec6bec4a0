//! Attachments with an operation still running: a `provisioningState` that is not final
//! (`Creating`, `Running`, `Deleting`). Azure lists such an attachment while its operation
//! runs, and its cluster accepts no other write until it ends. The plan waits for that
//! operation ([`Operation::AwaitAttachment`]) instead of sending the same write again (the
//! second write would fail: its cluster is busy), and shows it as in progress.

use kfollow_model::{
    Action, Address, AttributeChange, Change, ClusterId, ObservedAttachment, Operation,
    SourceLocation,
};

use crate::attachment::live_body;

/// The wait for the operation running on `live`, when one runs.
pub(crate) fn wait_for(follower: &ClusterId, live: &ObservedAttachment) -> Option<Operation> {
    let state = live.operation_in_progress()?;
    Some(Operation::AwaitAttachment {
        follower: follower.clone(),
        name: live.name.clone(),
        provisioning_state: state.to_owned(),
        live: live_body(live),
    })
}

/// `an attach is already running (`provisioningState` `Creating`)`.
fn running(wait: &Operation) -> String {
    let Operation::AwaitAttachment {
        provisioning_state: state,
        ..
    } = wait
    else {
        return String::new();
    };
    let what = if state.eq_ignore_ascii_case("Creating") {
        "an attach is already running"
    } else if wait.awaits_removal() {
        "a detach is already running"
    } else if state.eq_ignore_ascii_case("Running") || state.eq_ignore_ascii_case("Updating") {
        "an update is already running"
    } else {
        "an operation is already running on it"
    };
    format!("{what} (`provisioningState` `{state}`)")
}

/// The change's reason with the running operation told after it: apply waits for it `then`
/// (`first`, or `and sends nothing`).
fn explain(reason: Option<String>, wait: &Operation, then: &str) -> String {
    let running = running(wait);
    match reason {
        Some(reason) => format!("{reason}; {running}, apply waits for it to end {then}"),
        None => format!("{running}; apply waits for it to end {then}"),
    }
}

/// Puts `wait` before the change's own operations, and says why in its reason.
pub(crate) fn wait_first(change: &mut Change, wait: Operation) {
    change.reason = Some(explain(change.reason.take(), &wait, "first"));
    change.operations.insert(0, wait);
}

/// Makes `wait` the change's only operation: what the change would do is what the running
/// operation does already, and nothing is sent again.
fn wait_instead(change: &mut Change, wait: Operation) {
    change.reason = Some(explain(change.reason.take(), &wait, "and sends nothing"));
    change.operations = vec![wait];
}

/// A change that only waits: the attachment becomes what the manifest asks for when the
/// operation running on it ends.
pub(crate) fn wait_only(
    address: Address,
    action: Action,
    (attributes, unchanged_attributes): (Vec<AttributeChange>, usize),
    wait: Operation,
    origin: SourceLocation,
) -> Change {
    let mut change = Change {
        address,
        action,
        attributes,
        unchanged_attributes,
        reason: None,
        operations: Vec::new(),
        depends_on: Vec::new(),
        origin: Some(origin),
    };
    wait_instead(&mut change, wait);
    change
}

/// A detach of an unmanaged attachment, with the operation running on it in view: one being
/// deleted already is only waited for; any other first waits for its operation to end.
pub(crate) fn detach(
    mut change: Change,
    follower: &ClusterId,
    live: &ObservedAttachment,
) -> Change {
    if let Some(wait) = wait_for(follower, live) {
        if wait.awaits_removal() {
            wait_instead(&mut change, wait);
        } else {
            wait_first(&mut change, wait);
        }
    }
    change
}
