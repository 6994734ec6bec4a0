//! The rollback manifest of an apply (`kfollow apply --rollback-manifest FILE`): a manifest of
//! the live state, taken before the first write, of every cluster the plan writes to, such
//! that applying it brings those clusters back to how they were.
//!
//! It is [`export`](crate::export)'s manifest of those clusters, with two differences that
//! make it restore rather than describe:
//!
//! - a follower cluster on which the plan creates an attachment is declared with
//!   `unmanagedAttachments: detach`, so applying the rollback detaches what the apply
//!   attached (attachments it detaches are declared, so the rollback attaches them again);
//! - every setting of every follower database is written, defaults and absent values
//!   included, so that a setting the apply changed from its default is set back, not left
//!   alone as "not managed".
//!
//! Leaders are declared with their id and location and no policy: every attachment an apply
//! creates lives on a follower cluster declared here, so no leader-side policy is needed, and
//! `unmanagedFollowers: detach` would detach followers this manifest knows nothing of. A
//! follower cluster that a leader-side detach removes an attachment from is declared too, with
//! that attachment, so the rollback attaches it again from the follower side.

use kfollow_model::{ClusterId, Observed, Operation, Plan};

use crate::export::{Exported, Options, write};
use crate::{Diagnostics, load};

/// The follower clusters a rollback of `plan` describes, in the order the plan first writes
/// to them: every cluster an operation writes to, and for a leader-side detach the follower
/// cluster whose attachment it removes (rather than the leader, whose own state it does not
/// change). Read them with their follower database settings, and the leaders they follow,
/// before calling [`rollback`].
pub fn rollback_clusters(plan: &Plan) -> Vec<ClusterId> {
    let mut clusters: Vec<ClusterId> = Vec::new();
    for operation in plan.changes.iter().flat_map(|c| &c.operations) {
        let cluster = match operation {
            Operation::DetachFollower { follower, .. } => follower,
            other => other.cluster(),
        };
        if !clusters.contains(cluster) {
            clusters.push(cluster.clone());
        }
    }
    clusters
}

/// The rollback manifest of `plan`, from `observed` read before its first write (holding the
/// [`rollback_clusters`] with their follower database settings, and their leaders).
/// `manifest_name` names the manifest the plan was made from, for the manifest's header.
///
/// # Errors
///
/// The diagnostics of the written manifest when it does not validate: a bug of kfollow, never
/// of the user; the caller must not apply the plan without the rollback it asked for.
pub fn rollback(
    plan: &Plan,
    observed: &Observed,
    manifest_name: &str,
) -> Result<Exported, Diagnostics> {
    let followers = rollback_clusters(plan);
    let attached_to: Vec<ClusterId> = plan
        .changes
        .iter()
        .flat_map(|c| &c.operations)
        .filter_map(|operation| match operation {
            Operation::PutAttachment { follower, name, .. }
                if observed
                    .cluster(follower)
                    .is_none_or(|live| live.attachment(name).is_none()) =>
            {
                Some(follower.clone())
            }
            _ => None,
        })
        .collect();
    let names: Vec<&str> = followers.iter().map(ClusterId::name).collect();
    let options = Options {
        title: Some(vec![
            format!(
                "Rollback manifest written by `kfollow apply` before its first write, from the live state of {}.",
                names.join(", ")
            ),
            format!(
                "Applying it (`kfollow apply -f <this file>`) brings them back to how they were before the apply of `{manifest_name}`."
            ),
        ]),
        detach_unmanaged_attachments: attached_to,
        every_setting: true,
    };
    let exported = write(&followers, observed, &options);
    load("rollback manifest", &exported.text)?;
    Ok(exported)
}
