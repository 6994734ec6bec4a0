//! Attachments made by Azure Data Share (`databaseShareOrigin: DataShare`,
//! <https://learn.microsoft.com/azure/data-explorer/data-share>): they belong to a Data Share
//! subscription, often of another tenant, which creates and removes them. kfollow shows them
//! with their origin and never detaches them, whatever `unmanagedAttachments` or
//! `unmanagedFollowers` says; a manifest entry that names one is an error.

use kfollow_model::{ClusterId, DatabaseShareOrigin};

use crate::{Context, DiffError, Resolved};

/// How the attachment `name` on `follower` came to be, when what was read says it is not
/// `Direct`.
pub(crate) fn origin(
    cx: &Context<'_>,
    follower: &ClusterId,
    name: &str,
) -> Option<DatabaseShareOrigin> {
    cx.observed
        .share_origin(follower, name)
        .filter(|origin| *origin != DatabaseShareOrigin::Direct)
}

/// The description of an unmanaged attachment with its origin, when that is not `Direct`;
/// for one of Azure Data Share, also why it stays, naming the detach policy it outranks
/// (`detach_reason`, as a detach change would give it).
pub(crate) fn describe(
    description: String,
    origin: Option<DatabaseShareOrigin>,
    detach_reason: Option<&str>,
) -> String {
    match origin {
        None => description,
        Some(DatabaseShareOrigin::DataShare) => {
            let mut text = format!(
                "{description} (databaseShareOrigin `DataShare`); left alone: managed by Azure Data Share"
            );
            if let Some(reason) = detach_reason {
                text.push_str(&format!(", although {reason}"));
            }
            text
        }
        Some(other) => format!("{description} (databaseShareOrigin `{other}`)"),
    }
}

/// A manifest attachment whose live namesake Azure Data Share made: kfollow would fight the
/// Data Share subscription over it, so the plan stops.
pub(crate) fn declared(cx: &mut Context<'_>, resolved: &[Resolved<'_>]) {
    for r in resolved {
        let Some(live) = r.follower_live.attachment(&r.attachment.name) else {
            continue;
        };
        if origin(cx, &r.follower.id, &live.name) != Some(DatabaseShareOrigin::DataShare) {
            continue;
        }
        cx.errors.push(DiffError::ManagedByDataShare {
            at: cx.at(r.attachment.origin),
            follower: r.follower.alias.clone(),
            name: live.name.clone(),
            leader: cx.label(&live.leader),
            database: live.database_name.clone(),
        });
    }
}
