//! The leader's view: who follows a manifest cluster, by
//! `listFollowerDatabases`, without the manifest declaring it.

use kfollow_model::{
    Action, Address, AttributeChange, Change, DatabaseShareOrigin, LeaderFollower, Operation,
    Unmanaged, UnmanagedPolicy,
};
use serde_json::Value;

use crate::attachment::list_value;
use crate::{Context, share};

/// Reports (or, where the leader says `unmanagedFollowers: detach`, detaches from the
/// leader side) followers that no manifest attachment declares.
///
/// A follower whose cluster is in the manifest and lists the attachment is left to the
/// follower side ([`crate::attachment::unmanaged_attachments`]), which sees it whole and
/// deletes it there if either side's policy says `detach`: one change per attachment.
pub(crate) fn unmanaged_followers(cx: &mut Context<'_>) {
    let mut changes = Vec::new();
    let mut reports = Vec::new();
    for (leader, live) in cx.managed_clusters() {
        for follower in &live.followers {
            // Declared with that name on that follower, whatever its leader: a manifest
            // attachment that now follows another leader is replaced on the follower side.
            if cx.is_declared(&follower.follower, &follower.attachment_name)
                || seen_from_follower(cx, follower)
            {
                continue;
            }
            let address = Address::LeaderFollower {
                leader: leader.alias.clone(),
                follower: cx.label(&follower.follower),
                name: follower.attachment_name.clone(),
            };
            let share_origin = follower
                .database_share_origin
                .filter(|origin| *origin != DatabaseShareOrigin::Direct);
            let detach_reason = format!(
                "leader `{}` says `unmanagedFollowers: detach`",
                leader.alias
            );
            let data_share = share_origin == Some(DatabaseShareOrigin::DataShare);
            if leader.unmanaged_followers == UnmanagedPolicy::Detach && !data_share {
                changes.push(Change {
                    address,
                    action: Action::Detach,
                    attributes: attributes(follower),
                    unchanged_attributes: 0,
                    reason: Some(detach_reason),
                    operations: vec![Operation::DetachFollower {
                        leader: leader.id.clone(),
                        follower: follower.follower.clone(),
                        attachment_name: follower.attachment_name.clone(),
                    }],
                    depends_on: Vec::new(),
                    origin: Some(leader.origin),
                });
            } else {
                let named_by_policy = leader.unmanaged_followers == UnmanagedPolicy::Detach;
                reports.push(Unmanaged {
                    address,
                    description: share::describe(
                        format!(
                            "followed by an unmanaged attachment `{}` on `{}` (database `{}`)",
                            follower.attachment_name,
                            cx.label(&follower.follower),
                            follower.database_name
                        ),
                        share_origin,
                        named_by_policy.then_some(detach_reason.as_str()),
                    ),
                    share_origin,
                });
            }
        }
    }
    cx.plan.changes.extend(changes);
    cx.plan.unmanaged.extend(reports);
}

/// The follower cluster is in the manifest, was read, and lists this attachment.
fn seen_from_follower(cx: &Context<'_>, follower: &LeaderFollower) -> bool {
    cx.cluster_of(&follower.follower).is_some()
        && cx
            .observed
            .cluster(&follower.follower)
            .is_some_and(|live| live.attachment(&follower.attachment_name).is_some())
}

fn attributes(follower: &LeaderFollower) -> Vec<AttributeChange> {
    let mut out = vec![
        gone("follower", Value::String(follower.follower.to_string())),
        gone(
            "databaseName",
            Value::String(follower.database_name.clone()),
        ),
    ];
    for (name, list) in follower.table_level_sharing.lists() {
        if let Some(values) = list_value(list) {
            out.push(gone(&format!("tableLevelSharing.{name}"), values));
        }
    }
    out
}

fn gone(name: &str, before: Value) -> AttributeChange {
    AttributeChange {
        name: name.to_owned(),
        before: Some(before),
        after: None,
        forces_replacement: false,
    }
}
