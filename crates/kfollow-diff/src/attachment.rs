//! Attachments: attach, update in place, replace, and the live ones outside the manifest.

use std::collections::BTreeSet;

use kfollow_model::{
    Action, Address, AttachmentBody, AttributeChange, Change, DatabaseShareOrigin,
    ObservedAttachment, Operation, TableLevelSharing, Unmanaged, UnmanagedPolicy, eq_ignore_case,
};
use serde_json::Value;

use crate::{Context, DiffError, Outcome, Resolved, in_flight, same_location, share};

/// Reads one field of an attachment body as the plan shows it.
type Read = fn(&AttachmentBody) -> Option<Value>;
/// Compares one field of two bodies the way ARM does.
type Same = fn(&AttachmentBody, &AttachmentBody) -> bool;

/// The fields that cannot change in place, in the order the plan lists them.
const FORCING: [(&str, Read, Same); 5] = [
    (
        "leader",
        |b| Some(Value::String(b.leader.to_string())),
        |a, b| a.leader == b.leader,
    ),
    (
        "databaseName",
        |b| Some(Value::String(b.database_name.clone())),
        |a, b| eq_ignore_case(&a.database_name, &b.database_name),
    ),
    (
        "databaseNameOverride",
        |b| text(b.database_name_override.as_deref()),
        |a, b| {
            same_name(
                a.database_name_override.as_deref(),
                b.database_name_override.as_deref(),
            )
        },
    ),
    (
        "databaseNamePrefix",
        |b| text(b.database_name_prefix.as_deref()),
        |a, b| {
            same_name(
                a.database_name_prefix.as_deref(),
                b.database_name_prefix.as_deref(),
            )
        },
    ),
    (
        "location",
        |b| Some(Value::String(b.location.clone())),
        |a, b| same_location(&a.location, &b.location),
    ),
];

/// `defaultPrincipalsModificationKind`: changes in place.
const PRINCIPALS_KIND: (&str, Read, Same) = (
    "defaultPrincipalsModificationKind",
    |b| {
        Some(Value::String(
            b.default_principals_modification_kind.to_string(),
        ))
    },
    |a, b| a.default_principals_modification_kind == b.default_principals_modification_kind,
);

fn text(value: Option<&str>) -> Option<Value> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| Value::String(v.to_owned()))
}

/// Database names (and prefixes of them) compare case-insensitively; ARM may answer an
/// empty string for an absent one.
fn same_name(a: Option<&str>, b: Option<&str>) -> bool {
    let a = a.filter(|v| !v.is_empty());
    let b = b.filter(|v| !v.is_empty());
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => eq_ignore_case(a, b),
        _ => false,
    }
}

/// One field of both sides: its name, the values, whether they agree, whether a
/// difference forces a replacement.
struct Field {
    name: String,
    before: Option<Value>,
    after: Option<Value>,
    same: bool,
    forces: bool,
}

/// Every field of an attachment, live against wanted (either side may be absent).
fn fields(live: Option<&AttachmentBody>, wanted: Option<&AttachmentBody>) -> Vec<Field> {
    let mut out = Vec::new();
    let both = |same: Same| match (live, wanted) {
        (Some(a), Some(b)) => same(a, b),
        _ => false,
    };
    for (forces, (name, read, same)) in FORCING
        .iter()
        .map(|f| (true, *f))
        .chain([(false, PRINCIPALS_KIND)])
    {
        out.push(Field {
            name: name.to_owned(),
            before: live.and_then(read),
            after: wanted.and_then(read),
            same: both(same),
            forces,
        });
    }
    let none = TableLevelSharing::default();
    let live_lists = live.map(|b| b.table_level_sharing.lists());
    let wanted_lists = wanted.map(|b| b.table_level_sharing.lists());
    for (index, (name, _)) in none.lists().into_iter().enumerate() {
        let before = live_lists.map(|l| l[index].1.as_slice());
        let after = wanted_lists.map(|l| l[index].1.as_slice());
        out.push(Field {
            name: format!("tableLevelSharing.{name}"),
            before: before.and_then(list_value),
            after: after.and_then(list_value),
            same: matches!((before, after), (Some(a), Some(b)) if as_set(a) == as_set(b)),
            forces: false,
        });
    }
    out
}

fn as_set(list: &[String]) -> BTreeSet<&str> {
    list.iter().map(String::as_str).collect()
}

/// A sharing list as the plan shows it; an empty one shows as absent.
pub(crate) fn list_value(list: &[String]) -> Option<Value> {
    (!list.is_empty()).then(|| Value::Array(list.iter().cloned().map(Value::String).collect()))
}

/// A field that has a value on one side at least counts for the plan.
fn has_value(field: &Field) -> bool {
    field.before.is_some() || field.after.is_some()
}

fn shown(field: Field, forces_replacement: bool) -> AttributeChange {
    AttributeChange {
        name: field.name,
        before: field.before,
        after: field.after,
        forces_replacement,
    }
}

/// The PUT body the manifest asks for: the follower cluster's live region.
fn wanted_body(r: &Resolved<'_>) -> AttachmentBody {
    let a = r.attachment;
    AttachmentBody {
        location: r.follower_live.location.clone(),
        leader: r.leader.id.clone(),
        database_name: a.database.as_arm().to_owned(),
        database_name_override: a.follower_database_name.override_name().map(str::to_owned),
        database_name_prefix: a.follower_database_name.prefix().map(str::to_owned),
        default_principals_modification_kind: a.default_principals_modification_kind,
        table_level_sharing: a.table_level_sharing.clone(),
    }
}

/// A live attachment in the shape of a PUT body, so both sides compare field by field.
pub(crate) fn live_body(live: &ObservedAttachment) -> AttachmentBody {
    AttachmentBody {
        location: live.location.clone(),
        leader: live.leader.clone(),
        database_name: live.database_name.clone(),
        database_name_override: live.database_name_override.clone(),
        database_name_prefix: live.database_name_prefix.clone(),
        default_principals_modification_kind: live.default_principals_modification_kind,
        table_level_sharing: live.table_level_sharing.clone(),
    }
}

/// Diffs every manifest attachment against the live one of its name; returns what was
/// decided for each, in the order of `resolved`.
pub(crate) fn diff_attachments(cx: &mut Context<'_>, resolved: &[Resolved<'_>]) -> Vec<Outcome> {
    resolved.iter().map(|r| diff_one(cx, r)).collect()
}

fn diff_one(cx: &mut Context<'_>, r: &Resolved<'_>) -> Outcome {
    let a = r.attachment;
    let wanted = wanted_body(r);
    let address = Address::Attachment {
        follower: r.follower.alias.clone(),
        name: a.name.clone(),
    };
    let put = Operation::PutAttachment {
        follower: r.follower.id.clone(),
        name: a.name.clone(),
        body: wanted.clone(),
    };
    let live = r.follower_live.attachment(&a.name);
    let wait = live.and_then(|live| in_flight::wait_for(&r.follower.id, live));
    // An attachment being deleted is as good as gone: the manifest's attach comes after.
    let Some(live) = live.filter(|live| !live.is_being_deleted()) else {
        let attributes = fields(None, Some(&wanted))
            .into_iter()
            .filter(has_value)
            .map(|f| shown(f, false))
            .collect();
        let mut change = Change {
            address,
            action: Action::Attach,
            attributes,
            unchanged_attributes: 0,
            reason: None,
            operations: vec![put],
            depends_on: Vec::new(),
            origin: Some(a.origin),
        };
        if let Some(wait) = wait {
            in_flight::wait_first(&mut change, wait);
        }
        cx.plan.changes.push(change);
        return Outcome::Attached;
    };
    let creating = live
        .operation_in_progress()
        .is_some_and(|state| state.eq_ignore_ascii_case("Creating"));
    let live = live_body(live);
    let all = fields(Some(&live), Some(&wanted));
    let forcing: Vec<String> = all
        .iter()
        .filter(|f| f.forces && !f.same)
        .map(|f| f.name.clone())
        .collect();
    let unchanged_attributes = all.iter().filter(|f| f.same && has_value(f)).count();
    let attributes: Vec<AttributeChange> = all
        .into_iter()
        .filter(|f| !f.same)
        .map(|f| {
            let forces = f.forces;
            shown(f, forces)
        })
        .collect();
    if attributes.is_empty() {
        let Some(wait) = wait else {
            return Outcome::Unchanged;
        };
        // Already becoming what the manifest asks for: wait for it, send nothing.
        let (action, outcome, listed) = if creating {
            let attach = fields(None, Some(&wanted)).into_iter().filter(has_value);
            let attributes = attach.map(|f| shown(f, false)).collect();
            (Action::Attach, Outcome::Attached, (attributes, 0))
        } else {
            (
                Action::Update,
                Outcome::Updated,
                (Vec::new(), unchanged_attributes),
            )
        };
        let change = in_flight::wait_only(address, action, listed, wait, a.origin);
        cx.plan.changes.push(change);
        return outcome;
    }
    let (action, reason, operations, outcome) = if forcing.is_empty() {
        (Action::Update, None, vec![put], Outcome::Updated)
    } else {
        if a.protect {
            cx.errors.push(DiffError::ProtectedReplace {
                at: cx.at(a.origin),
                follower: r.follower.alias.clone(),
                name: a.name.clone(),
                attribute: forcing[0].clone(),
            });
        }
        let delete = Operation::DeleteAttachment {
            follower: r.follower.id.clone(),
            name: a.name.clone(),
        };
        (
            Action::Replace,
            Some(replace_reason(&forcing)),
            vec![delete, put],
            Outcome::Replaced,
        )
    };
    let mut change = Change {
        address,
        action,
        attributes,
        unchanged_attributes,
        reason,
        operations,
        depends_on: Vec::new(),
        origin: Some(a.origin),
    };
    if let Some(wait) = wait {
        in_flight::wait_first(&mut change, wait);
    }
    cx.plan.changes.push(change);
    outcome
}

/// `` `databaseNameOverride` forces replacement ``, or several names and `force`.
fn replace_reason(forcing: &[String]) -> String {
    let names: Vec<String> = forcing.iter().map(|n| format!("`{n}`")).collect();
    match names.as_slice() {
        [one] => format!("{one} forces replacement"),
        [init @ .., last] => format!("{} and {last} force replacement", init.join(", ")),
        [] => String::new(),
    }
}

/// Live attachments on a manifest cluster that no manifest attachment declares: detached
/// where the follower cluster (or their managed leader) says `detach`, reported otherwise.
///
/// An unmanaged attachment whose leader is also in the manifest is handled here only, never
/// again from the leader's side: one change (or one report) per attachment, and a follower
/// side DELETE rather than the leader's `detachFollowerDatabases`.
pub(crate) fn unmanaged_attachments(cx: &mut Context<'_>) {
    let mut changes = Vec::new();
    let mut reports = Vec::new();
    for (cluster, live) in cx.managed_clusters() {
        for attachment in &live.attachments {
            let declared = cx.is_declared(&cluster.id, &attachment.name);
            if declared {
                continue;
            }
            let address = Address::Attachment {
                follower: cluster.alias.clone(),
                name: attachment.name.clone(),
            };
            let leader = cx.cluster_of(&attachment.leader);
            let reason = if cluster.unmanaged_attachments == UnmanagedPolicy::Detach {
                Some((
                    format!("`{}` says `unmanagedAttachments: detach`", cluster.alias),
                    cluster.origin,
                ))
            } else {
                leader
                    .filter(|l| l.unmanaged_followers == UnmanagedPolicy::Detach)
                    .map(|l| {
                        (
                            format!("leader `{}` says `unmanagedFollowers: detach`", l.alias),
                            l.origin,
                        )
                    })
            };
            let share_origin = share::origin(cx, &cluster.id, &attachment.name);
            let reason = match (reason, share_origin) {
                (Some((reason, _)), Some(DatabaseShareOrigin::DataShare)) => {
                    reports.push(data_share_report(cx, address, attachment, &reason));
                    continue;
                }
                (reason, _) => reason,
            };
            match reason {
                Some((reason, origin)) => {
                    let attributes = fields(Some(&live_body(attachment)), None)
                        .into_iter()
                        .filter(has_value)
                        .map(|f| shown(f, false))
                        .collect();
                    let change = Change {
                        address,
                        action: Action::Detach,
                        attributes,
                        unchanged_attributes: 0,
                        reason: Some(reason),
                        operations: vec![Operation::DeleteAttachment {
                            follower: cluster.id.clone(),
                            name: attachment.name.clone(),
                        }],
                        depends_on: Vec::new(),
                        origin: Some(origin),
                    };
                    changes.push(in_flight::detach(change, &cluster.id, attachment));
                }
                None => reports.push(Unmanaged {
                    address,
                    description: share::describe(
                        unmanaged_description(cx, attachment),
                        share_origin,
                        None,
                    ),
                    share_origin,
                }),
            }
        }
    }
    cx.plan.changes.extend(changes);
    cx.plan.unmanaged.extend(reports);
}

fn unmanaged_description(cx: &Context<'_>, attachment: &ObservedAttachment) -> String {
    format!(
        "attachment `{}` follows {}/{}, not in the manifest",
        attachment.name,
        cx.label(&attachment.leader),
        attachment.database_name
    )
}

/// An unmanaged attachment of Azure Data Share that a detach policy names: reported, kept.
fn data_share_report(
    cx: &Context<'_>,
    address: Address,
    attachment: &ObservedAttachment,
    detach_reason: &str,
) -> Unmanaged {
    let origin = Some(DatabaseShareOrigin::DataShare);
    Unmanaged {
        address,
        description: share::describe(
            unmanaged_description(cx, attachment),
            origin,
            Some(detach_reason),
        ),
        share_origin: origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_every_forcing_attribute() {
        assert_eq!(
            replace_reason(&["databaseNameOverride".into()]),
            "`databaseNameOverride` forces replacement"
        );
        assert_eq!(
            replace_reason(&["leader".into(), "databaseName".into(), "location".into()]),
            "`leader`, `databaseName` and `location` force replacement"
        );
    }

    #[test]
    fn absent_and_empty_names_are_the_same() {
        assert!(same_name(None, Some("")));
        assert!(same_name(Some("SalesEmea"), Some("salesemea")));
        assert!(!same_name(Some("a"), None));
    }
}
