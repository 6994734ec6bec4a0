//! The words every form shares: the summary line and the sentence about destructive actions.

use kfollow_model::{Action, Address, Plan};

/// The plan's last line: `Plan: 2 to attach, 1 to change, 1 to replace, 0 to detach.` or,
/// for an empty plan, `No changes. Live state matches the manifest.`
pub fn summary_line(plan: &Plan) -> String {
    if plan.is_empty() {
        return format!("{NO_CHANGES_HEAD} {NO_CHANGES_TAIL}");
    }
    format!(
        "Plan: {} to attach, {} to change, {} to replace, {} to detach.",
        plan.count(Action::Attach),
        plan.count(Action::Update),
        plan.count(Action::Replace),
        plan.count(Action::Detach),
    )
}

/// The summary of an empty plan, in two parts (the first is bold on a terminal).
pub(crate) const NO_CHANGES_HEAD: &str = "No changes.";
/// See [`NO_CHANGES_HEAD`].
pub(crate) const NO_CHANGES_TAIL: &str = "Live state matches the manifest.";

/// `detaches 2 and replaces 1 follower databases`, or `None` when nothing is destructive.
pub(crate) fn destructive_phrase(plan: &Plan) -> Option<String> {
    let detached = plan.count(Action::Detach);
    let replaced = plan.count(Action::Replace);
    let mut verbs = Vec::new();
    if detached > 0 {
        verbs.push(format!("detaches {detached}"));
    }
    if replaced > 0 {
        verbs.push(format!("replaces {replaced}"));
    }
    if verbs.is_empty() {
        return None;
    }
    let noun = if detached + replaced == 1 {
        "follower database"
    } else {
        "follower databases"
    };
    Some(format!("{} {noun}", verbs.join(" and ")))
}

/// How to have kfollow detach the unmanaged resources of the plan, naming only the manifest
/// keys that apply to them.
pub(crate) fn unmanaged_hint(plan: &Plan) -> Option<String> {
    let follower_side = plan
        .unmanaged
        .iter()
        .any(|u| !matches!(u.address, Address::LeaderFollower { .. }));
    let leader_side = plan
        .unmanaged
        .iter()
        .any(|u| matches!(u.address, Address::LeaderFollower { .. }));
    let keys = match (follower_side, leader_side) {
        (true, true) => {
            "`unmanagedAttachments: detach` on the follower cluster or `unmanagedFollowers: detach` on the leader"
        }
        (true, false) => "`unmanagedAttachments: detach` on the follower cluster",
        (false, true) => "`unmanagedFollowers: detach` on the leader cluster",
        (false, false) => return None,
    };
    Some(format!(
        "Declare them in the manifest to manage them, or set {keys} to have kfollow detach them."
    ))
}
