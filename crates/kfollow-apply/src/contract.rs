//! The saved plan is the contract: `kfollow show FILE` renders the plan in the file, and
//! `kfollow apply FILE` runs it only when it is exactly the plan its desired state and the live
//! state give now. The caller makes the plan again (the same diff and graph as `kfollow plan`)
//! from the desired state saved in the file and the live state it re-reads for the stale-plan
//! check; [`check_same_plan`] compares the two and names every difference, so a hand-edited
//! file (an operation that deletes another attachment, an added command, a changed attribute
//! or dependency) is refused before a single write.
//!
//! Changes are matched by address, so the order they are listed in does not count: apply runs
//! them in the order of their `depends_on`, which does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use kfollow_model::{Address, AttributeChange, Change, Operation, Plan};

use crate::executor::describe;

/// One way a saved plan differs from the plan made again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What differs: a change's address (`attachment.emea/sales`), an unmanaged resource's
    /// address, or `warnings`.
    pub subject: String,
    /// Which part of it: `change`, `action`, `attribute `name``, `operation 2`, `depends_on`…
    pub part: String,
    /// What the file says.
    pub saved: String,
    /// What the desired state and the live state give.
    pub derived: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: the file says {}; the manifest and the live state give {}",
            self.subject, self.part, self.saved, self.derived
        )
    }
}

/// A saved plan that is not the plan its desired state and the live state give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the saved plan is not what its manifest and the live state give ({} difference{})",
    .differences.len(),
    if .differences.len() == 1 { "" } else { "s" }
)]
pub struct PlanMismatch {
    /// Every difference, changes in the order of the plan made again.
    pub differences: Vec<Difference>,
}

impl PlanMismatch {
    /// The first `limit` differences, one line each, then `… and N more differences` when
    /// there are more.
    pub fn lines(&self, limit: usize) -> Vec<String> {
        let mut lines: Vec<String> = self
            .differences
            .iter()
            .take(limit)
            .map(ToString::to_string)
            .collect();
        let more = self.differences.len().saturating_sub(limit);
        if more > 0 {
            lines.push(format!(
                "… and {more} more difference{}",
                if more == 1 { "" } else { "s" }
            ));
        }
        lines
    }
}

/// `Ok` when the saved plan holds exactly the changes (address, action, attributes, reason,
/// operations, dependencies, origin), unmanaged resources, warnings and targeting (`--target`s
/// and how many changes they left out) of the plan made again.
///
/// # Errors
///
/// [`PlanMismatch`] with every difference.
pub fn check_same_plan(saved: &Plan, derived: &Plan) -> Result<(), PlanMismatch> {
    let mut differences = Vec::new();
    changes(&mut differences, &saved.changes, &derived.changes);
    unmanaged(&mut differences, saved, derived);
    warnings(&mut differences, &saved.warnings, &derived.warnings);
    targeting(&mut differences, saved, derived);
    if differences.is_empty() {
        Ok(())
    } else {
        Err(PlanMismatch { differences })
    }
}

/// Changes by address, in the order of `derived`, then those only the file has.
fn changes(out: &mut Vec<Difference>, saved: &[Change], derived: &[Change]) {
    let mut saved_by: BTreeMap<&Address, Vec<&Change>> = BTreeMap::new();
    for change in saved {
        saved_by.entry(&change.address).or_default().push(change);
    }
    let mut derived_by: BTreeMap<&Address, Vec<&Change>> = BTreeMap::new();
    for change in derived {
        derived_by.entry(&change.address).or_default().push(change);
    }
    let mut addresses: Vec<&Address> = Vec::new();
    for change in derived.iter().chain(saved) {
        if !addresses.contains(&&change.address) {
            addresses.push(&change.address);
        }
    }
    for address in addresses {
        let mine = saved_by.get(address).map_or(&[][..], Vec::as_slice);
        let theirs = derived_by.get(address).map_or(&[][..], Vec::as_slice);
        match (mine, theirs) {
            ([saved], [derived]) => change(out, saved, derived),
            _ => out.push(Difference {
                subject: address.to_string(),
                part: "change".to_owned(),
                saved: actions(mine),
                derived: actions(theirs),
            }),
        }
    }
}

/// `no change`, `a detach`, `2 changes (attach, detach)`.
fn actions(changes: &[&Change]) -> String {
    match changes {
        [] => "no change".to_owned(),
        [one] => format!("a change ({})", action(one)),
        many => {
            let names: Vec<&str> = many.iter().map(|c| action(c)).collect();
            format!("{} changes ({})", many.len(), names.join(", "))
        }
    }
}

fn action(change: &Change) -> &'static str {
    match change.action {
        kfollow_model::Action::Attach => "attach",
        kfollow_model::Action::Update => "update",
        kfollow_model::Action::Replace => "replace",
        kfollow_model::Action::Detach => "detach",
    }
}

/// One change in both plans: every part that differs.
fn change(out: &mut Vec<Difference>, saved: &Change, derived: &Change) {
    let subject = saved.address.to_string();
    let mut differ = |part: String, saved: String, derived: String| {
        out.push(Difference {
            subject: subject.clone(),
            part,
            saved,
            derived,
        });
    };
    if saved.action != derived.action {
        differ(
            "action".to_owned(),
            action(saved).to_owned(),
            action(derived).to_owned(),
        );
    }
    let mut names: Vec<&str> = Vec::new();
    for attribute in saved.attributes.iter().chain(&derived.attributes) {
        if !names.contains(&attribute.name.as_str()) {
            names.push(&attribute.name);
        }
    }
    for name in names {
        let find = |attributes: &'_ [AttributeChange]| -> Vec<String> {
            attributes
                .iter()
                .filter(|a| a.name == name)
                .map(attribute)
                .collect()
        };
        let (mine, theirs) = (find(&saved.attributes), find(&derived.attributes));
        if mine != theirs {
            differ(
                format!("attribute `{name}`"),
                listed(&mine, "nothing"),
                listed(&theirs, "nothing"),
            );
        }
    }
    if saved.unchanged_attributes != derived.unchanged_attributes {
        differ(
            "unchanged attributes".to_owned(),
            saved.unchanged_attributes.to_string(),
            derived.unchanged_attributes.to_string(),
        );
    }
    if saved.reason != derived.reason {
        differ(
            "reason".to_owned(),
            quoted(saved.reason.as_deref()),
            quoted(derived.reason.as_deref()),
        );
    }
    for index in 0..saved.operations.len().max(derived.operations.len()) {
        let (mine, theirs) = (saved.operations.get(index), derived.operations.get(index));
        if mine != theirs {
            let (mine, theirs) = operations(mine, theirs);
            differ(format!("operation {}", index + 1), mine, theirs);
        }
    }
    let mine: BTreeSet<String> = saved.depends_on.iter().map(ToString::to_string).collect();
    let theirs: BTreeSet<String> = derived.depends_on.iter().map(ToString::to_string).collect();
    if mine != theirs {
        let list = |set: &BTreeSet<String>| {
            let ticked: Vec<String> = set.iter().map(|a| format!("`{a}`")).collect();
            listed(&ticked, "nothing")
        };
        differ("depends_on".to_owned(), list(&mine), list(&theirs));
    }
    if saved.origin != derived.origin {
        let at = |origin: Option<kfollow_model::SourceLocation>| {
            origin.map_or("none".to_owned(), |o| {
                format!("line {}, column {}", o.line, o.column)
            })
        };
        differ("origin".to_owned(), at(saved.origin), at(derived.origin));
    }
}

/// `"a" -> "b"`, with `(forces replacement)` when it does.
fn attribute(attribute: &AttributeChange) -> String {
    let value = |value: &Option<serde_json::Value>| {
        value
            .as_ref()
            .map_or("null".to_owned(), serde_json::Value::to_string)
    };
    format!(
        "{} -> {}{}",
        value(&attribute.before),
        value(&attribute.after),
        if attribute.forces_replacement {
            " (forces replacement)"
        } else {
            ""
        }
    )
}

/// Two operations that differ, in words; as JSON when the words are the same (a body differs).
fn operations(saved: Option<&Operation>, derived: Option<&Operation>) -> (String, String) {
    let words = |operation: Option<&Operation>| operation.map_or("none".to_owned(), describe);
    let (mine, theirs) = (words(saved), words(derived));
    if mine != theirs {
        return (mine, theirs);
    }
    let json = |operation: Option<&Operation>| {
        serde_json::to_string(&operation).unwrap_or_else(|_| "an operation".to_owned())
    };
    (json(saved), json(derived))
}

fn unmanaged(out: &mut Vec<Difference>, saved: &Plan, derived: &Plan) {
    let describe = |plan: &Plan, address: &Address| -> Vec<String> {
        plan.unmanaged
            .iter()
            .filter(|u| &u.address == address)
            .map(|u| match u.share_origin {
                Some(origin) => format!("{} ({})", quoted(Some(&u.description)), origin.as_str()),
                None => quoted(Some(&u.description)),
            })
            .collect()
    };
    let mut addresses: Vec<&Address> = Vec::new();
    for entry in derived.unmanaged.iter().chain(&saved.unmanaged) {
        if !addresses.contains(&&entry.address) {
            addresses.push(&entry.address);
        }
    }
    for address in addresses {
        let (mine, theirs) = (describe(saved, address), describe(derived, address));
        if mine != theirs {
            out.push(Difference {
                subject: address.to_string(),
                part: "unmanaged".to_owned(),
                saved: listed(&mine, "nothing"),
                derived: listed(&theirs, "nothing"),
            });
        }
    }
}

fn warnings(out: &mut Vec<Difference>, saved: &[String], derived: &[String]) {
    for warning in saved.iter().filter(|w| !derived.contains(w)) {
        out.push(Difference {
            subject: "warnings".to_owned(),
            part: "warning".to_owned(),
            saved: quoted(Some(warning)),
            derived: "none".to_owned(),
        });
    }
    for warning in derived.iter().filter(|w| !saved.contains(w)) {
        out.push(Difference {
            subject: "warnings".to_owned(),
            part: "warning".to_owned(),
            saved: "none".to_owned(),
            derived: quoted(Some(warning)),
        });
    }
}

/// The targets and the count of changes they leave out: a file that hides that its plan is
/// partial, or how partial, is refused like any other edit.
fn targeting(out: &mut Vec<Difference>, saved: &Plan, derived: &Plan) {
    let describe = |plan: &Plan| match &plan.targeting {
        Some(targeting) => format!(
            "targets {} leaving out {}",
            listed(&targeting.targets, "none"),
            targeting.left_out
        ),
        None => "the whole plan".to_owned(),
    };
    let (mine, theirs) = (describe(saved), describe(derived));
    if mine != theirs {
        out.push(Difference {
            subject: "targeting".to_owned(),
            part: "--target".to_owned(),
            saved: mine,
            derived: theirs,
        });
    }
}

/// A text as a JSON string literal, or `none`.
fn quoted(text: Option<&str>) -> String {
    text.map_or("none".to_owned(), |text| {
        serde_json::Value::String(text.to_owned()).to_string()
    })
}

/// Items joined with `, `, or `empty` when there are none.
fn listed(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use kfollow_model::{Action, ClusterId, SourceLocation, Unmanaged};
    use serde_json::json;

    use super::*;

    fn cluster(name: &str) -> ClusterId {
        ClusterId::new("00000000-0000-0000-0000-000000000001", "rg", name).unwrap()
    }

    fn address(name: &str) -> Address {
        Address::Attachment {
            follower: "f1".into(),
            name: name.into(),
        }
    }

    fn detach(name: &str) -> Change {
        Change {
            address: address(name),
            action: Action::Detach,
            attributes: vec![AttributeChange {
                name: "databaseName".into(),
                before: Some(json!("Web")),
                after: None,
                forces_replacement: false,
            }],
            unchanged_attributes: 0,
            reason: Some("`unmanagedAttachments: detach` on `f1`".into()),
            operations: vec![Operation::DeleteAttachment {
                follower: cluster("follower1"),
                name: name.into(),
            }],
            depends_on: vec![],
            origin: Some(SourceLocation { line: 7, column: 5 }),
        }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            changes,
            unmanaged: vec![Unmanaged {
                address: address("precious"),
                description: "follows lead/Sales".into(),
                share_origin: None,
            }],
            warnings: vec!["a warning".into()],
            targeting: None,
        }
    }

    #[test]
    fn a_hidden_or_changed_targeting_is_named() {
        let mut derived = plan(vec![detach("a")]);
        derived.targeting = Some(kfollow_model::Targeting {
            targets: vec!["cluster.f1".into()],
            left_out: 2,
        });
        let mut saved = derived.clone();
        saved.targeting = None;
        assert_eq!(
            differences(&saved, &derived),
            [
                "targeting: --target: the file says the whole plan; the manifest and the live state \
              give targets cluster.f1 leaving out 2"
            ]
        );
        saved.targeting = derived.targeting.clone();
        assert_eq!(check_same_plan(&saved, &derived), Ok(()));
    }

    fn differences(saved: &Plan, derived: &Plan) -> Vec<String> {
        match check_same_plan(saved, derived) {
            Ok(()) => Vec::new(),
            Err(mismatch) => mismatch.lines(usize::MAX),
        }
    }

    #[test]
    fn the_same_plan_in_another_order_passes() {
        let derived = plan(vec![detach("a"), detach("b")]);
        let saved = plan(vec![detach("b"), detach("a")]);
        assert_eq!(check_same_plan(&saved, &derived), Ok(()));
    }

    #[test]
    fn edited_operations_are_named_one_per_line() {
        let derived = plan(vec![detach("stale")]);
        let mut saved = derived.clone();
        saved.changes[0].operations = vec![
            Operation::DeleteAttachment {
                follower: cluster("follower2"),
                name: "precious".into(),
            },
            Operation::KustoCommand {
                cluster: cluster("follower1"),
                database: "Web".into(),
                csl: ".add follower database Web admins ('aaduser=m@contoso.com')".into(),
            },
        ];
        assert_eq!(
            differences(&saved, &derived),
            [
                "attachment.f1/stale: operation 1: the file says delete attachment `precious` on \
                 cluster `follower2`; the manifest and the live state give delete attachment \
                 `stale` on cluster `follower1`",
                "attachment.f1/stale: operation 2: the file says run `.add follower database Web \
                 admins ('aaduser=m@contoso.com')` on cluster `follower1`; the manifest and the \
                 live state give none",
            ]
        );
    }

    #[test]
    fn an_operation_whose_words_agree_is_shown_as_json() {
        let put = |database: &str| Operation::PutFollowerHotCache {
            follower: cluster("follower1"),
            database: "Web".into(),
            location: database.into(),
            hot_cache_period: "1d".parse().unwrap(),
        };
        let mut derived = plan(vec![detach("a")]);
        derived.changes[0].operations = vec![put("westeurope")];
        let mut saved = derived.clone();
        saved.changes[0].operations = vec![put("eastus")];
        let lines = differences(&saved, &derived);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains("\"location\":\"eastus\"")
                && lines[0].contains("\"location\":\"westeurope\""),
            "{lines:?}"
        );
    }

    #[test]
    fn every_part_of_a_change_counts() {
        let derived = plan(vec![detach("a"), detach("b")]);
        let mut saved = derived.clone();
        saved.changes[0].action = Action::Replace;
        saved.changes[0].attributes[0].after = Some(json!("Sales"));
        saved.changes[0].unchanged_attributes = 3;
        saved.changes[0].reason = None;
        saved.changes[0].origin = None;
        saved.changes[1].depends_on = vec![address("a")];
        assert_eq!(
            differences(&saved, &derived),
            [
                "attachment.f1/a: action: the file says replace; the manifest and the live state give detach",
                "attachment.f1/a: attribute `databaseName`: the file says \"Web\" -> \"Sales\"; the manifest and the live state give \"Web\" -> null",
                "attachment.f1/a: unchanged attributes: the file says 3; the manifest and the live state give 0",
                "attachment.f1/a: reason: the file says none; the manifest and the live state give \"`unmanagedAttachments: detach` on `f1`\"",
                "attachment.f1/a: origin: the file says none; the manifest and the live state give line 7, column 5",
                "attachment.f1/b: depends_on: the file says `attachment.f1/a`; the manifest and the live state give nothing",
            ]
        );
    }

    #[test]
    fn changes_unmanaged_and_warnings_that_one_side_lacks_are_named() {
        let derived = plan(vec![detach("a")]);
        let mut saved = plan(vec![detach("b"), detach("b")]);
        saved.unmanaged[0].share_origin = Some(kfollow_model::DatabaseShareOrigin::DataShare);
        saved.unmanaged.push(Unmanaged {
            address: address("other"),
            description: "follows lead/Web".into(),
            share_origin: None,
        });
        saved.warnings = vec!["another".into()];
        assert_eq!(
            differences(&saved, &derived),
            [
                "attachment.f1/a: change: the file says no change; the manifest and the live state give a change (detach)",
                "attachment.f1/b: change: the file says 2 changes (detach, detach); the manifest and the live state give no change",
                "attachment.f1/precious: unmanaged: the file says \"follows lead/Sales\" (DataShare); the manifest and the live state give \"follows lead/Sales\"",
                "attachment.f1/other: unmanaged: the file says \"follows lead/Web\"; the manifest and the live state give nothing",
                "warnings: warning: the file says \"another\"; the manifest and the live state give none",
                "warnings: warning: the file says none; the manifest and the live state give \"a warning\"",
            ]
        );
    }

    #[test]
    fn the_list_is_cut_with_a_count() {
        let derived = plan(vec![]);
        let saved = plan(vec![detach("a"), detach("b"), detach("c")]);
        let mismatch = check_same_plan(&saved, &derived).unwrap_err();
        assert_eq!(
            mismatch.to_string(),
            "the saved plan is not what its manifest and the live state give (3 differences)"
        );
        let lines = mismatch.lines(2);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2], "… and 1 more difference");
    }
}
