//! The words every form shares: the summary line and the sentence about destructive actions.

use kfollow_model::{Action, Address, Plan};

/// The plan's last line: `Plan: 2 to attach, 1 to change, 1 to replace, 0 to detach.` (with
/// `(1 waits for an operation already running)` before the period when some change waits) or,
/// for an empty plan, `No changes. Live state matches the manifest.`
pub fn summary_line(plan: &Plan) -> String {
    if plan.is_empty() {
        return format!("{NO_CHANGES_HEAD} {NO_CHANGES_TAIL}");
    }
    let waiting = match plan.in_progress() {
        0 => String::new(),
        1 => " (1 waits for an operation already running)".to_owned(),
        n => format!(" ({n} wait for an operation already running)"),
    };
    format!(
        "Plan: {} to attach, {} to change, {} to replace, {} to detach{waiting}.",
        plan.count(Action::Attach),
        plan.count(Action::Update),
        plan.count(Action::Replace),
        plan.count(Action::Detach),
    )
}

/// The heading of the partial-plan warning, in Terraform's words.
pub(crate) const TARGETING_HEAD: &str = "Resource targeting is in effect";

/// What a targeted plan leaves out, in one paragraph, or `None` for a whole plan. `code` puts
/// a target in the output form's code style.
pub(crate) fn targeting_sentence(plan: &Plan, code: impl Fn(&str) -> String) -> Option<String> {
    let targeting = plan.targeting.as_ref()?;
    let targets: Vec<String> = targeting.targets.iter().map(|t| code(t)).collect();
    let left_out = match targeting.left_out {
        0 => "no other change is left out".to_owned(),
        1 => "1 other change the manifest asks for is left out".to_owned(),
        n => format!("{n} other changes the manifest asks for are left out"),
    };
    Some(format!(
        "This plan holds only the changes of {} and what they depend on, so it may be \
         incomplete: {left_out}. Plan without {} to see the whole plan.",
        targets.join(", "),
        code("--target"),
    ))
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

/// What the destructive changes do to queries, in one sentence that agrees in number.
pub(crate) fn destructive_consequence(plan: &Plan) -> String {
    let detached = plan.count(Action::Detach);
    let replaced = plan.count(Action::Replace);
    let (pronoun, be) = if detached + replaced == 1 {
        ("it", "it is")
    } else {
        ("them", "they are")
    };
    match (detached, replaced) {
        (_, 0) => format!("Queries against {pronoun} will fail."),
        (0, _) => format!("Queries against {pronoun} will fail until {be} attached again."),
        _ => "Queries against them will fail (against a replaced one, until it is attached again)."
            .to_owned(),
    }
}

/// How to have kfollow detach the unmanaged resources of the plan, naming only the manifest
/// keys that apply to them. Attachments of Azure Data Share take neither: their descriptions
/// say they are left alone.
pub(crate) fn unmanaged_hint(plan: &Plan) -> Option<String> {
    let detachable = || plan.unmanaged.iter().filter(|u| !u.is_data_share());
    let follower_side = detachable().any(|u| !matches!(u.address, Address::LeaderFollower { .. }));
    let leader_side = detachable().any(|u| matches!(u.address, Address::LeaderFollower { .. }));
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

#[cfg(test)]
mod tests {
    use kfollow_model::{Change, Plan};

    use super::*;

    fn plan(actions: &[Action]) -> Plan {
        let changes = actions
            .iter()
            .enumerate()
            .map(|(i, action)| Change {
                address: Address::Attachment {
                    follower: "f".into(),
                    name: i.to_string(),
                },
                action: *action,
                attributes: vec![],
                unchanged_attributes: 0,
                reason: None,
                operations: vec![],
                depends_on: vec![],
                origin: None,
            })
            .collect();
        Plan {
            changes,
            ..Plan::default()
        }
    }

    #[test]
    fn the_destructive_sentences_agree_in_number() {
        let one_detach = plan(&[Action::Detach, Action::Attach]);
        assert_eq!(
            destructive_phrase(&one_detach).as_deref(),
            Some("detaches 1 follower database")
        );
        assert_eq!(
            destructive_consequence(&one_detach),
            "Queries against it will fail."
        );
        let two_replaces = plan(&[Action::Replace, Action::Replace]);
        assert_eq!(
            destructive_consequence(&two_replaces),
            "Queries against them will fail until they are attached again."
        );
        assert_eq!(destructive_phrase(&plan(&[Action::Update])), None);
    }
}
