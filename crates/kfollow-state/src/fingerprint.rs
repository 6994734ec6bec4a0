//! Fingerprints of what was read, for saved plans: apply re-reads the same resources and
//! refuses a plan whose fingerprints no longer match.

use std::collections::BTreeMap;

use kfollow_model::{ClusterId, Desired, Observed, digest};
use serde::Serialize;

/// One entry per live resource read, named as a plan names things, with the manifest's
/// cluster aliases, so that a stale plan lists what moved in words a reader knows:
/// `cluster.<alias>`, `database.<alias>/<name>`, `attachment.<alias>/<name>`,
/// `leader_follower.<leader alias>/<follower alias>/<name>`,
/// `follower_database.<alias>/<database>` → a digest of its content. A cluster the manifest
/// does not declare (a follower seen from its leader) is named by its resource id.
pub fn fingerprints(observed: &Observed, desired: &Desired) -> BTreeMap<String, String> {
    let alias = |id: &ClusterId| {
        desired
            .clusters
            .values()
            .find(|cluster| &cluster.id == id)
            .map_or_else(|| id.to_string(), |cluster| cluster.alias.clone())
    };
    let mut prints = BTreeMap::new();
    let mut add = |key: String, json: String| {
        prints.insert(key, digest(json.as_bytes()));
    };
    for (id, cluster) in &observed.clusters {
        let here = alias(id);
        // Not the `uri`: it says where the cluster is served, not what it is, and an
        // in-process emulator serves it on a new port every run.
        add(
            format!("cluster.{here}"),
            json(&(&cluster.location, &cluster.state)),
        );
        for database in &cluster.databases {
            add(format!("database.{here}/{}", database.name), json(database));
        }
        for attachment in &cluster.attachments {
            // Read-only progress fields change on their own; they are not what was planned on.
            let mut attachment = attachment.clone();
            attachment.provisioning_state = None;
            add(
                format!("attachment.{here}/{}", attachment.name),
                json(&attachment),
            );
        }
        for follower in &cluster.followers {
            add(
                format!(
                    "leader_follower.{here}/{}/{}",
                    alias(&follower.follower),
                    follower.attachment_name
                ),
                json(follower),
            );
        }
        for (database, settings) in cluster.follower_settings.iter().flatten() {
            add(
                format!("follower_database.{here}/{database}"),
                json(settings),
            );
        }
    }
    prints
}

/// The JSON of a value read from Azure; these types always serialise.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
