//! Fingerprints of what was read, for saved plans: apply re-reads the same resources and
//! refuses a plan whose fingerprints no longer match.

use std::collections::BTreeMap;

use kfollow_model::{Observed, digest};
use serde::Serialize;

/// One entry per live resource read: `cluster <id>`, `database <id>/<name>`,
/// `attachment <id>/<name>`, `follower <leader id>/<follower id>/<name>`,
/// `follower settings <id>/<database>` → a digest of its content.
pub fn fingerprints(observed: &Observed) -> BTreeMap<String, String> {
    let mut prints = BTreeMap::new();
    let mut add = |key: String, json: String| {
        prints.insert(key.to_ascii_lowercase(), digest(json.as_bytes()));
    };
    for (id, cluster) in &observed.clusters {
        // Not the `uri`: it says where the cluster is served, not what it is, and an
        // in-process emulator serves it on a new port every run.
        add(
            format!("cluster {id}"),
            json(&(&cluster.location, &cluster.state)),
        );
        for database in &cluster.databases {
            add(format!("database {id}/{}", database.name), json(database));
        }
        for attachment in &cluster.attachments {
            // Read-only progress fields change on their own; they are not what was planned on.
            let mut attachment = attachment.clone();
            attachment.provisioning_state = None;
            add(
                format!("attachment {id}/{}", attachment.name),
                json(&attachment),
            );
        }
        for follower in &cluster.followers {
            add(
                format!(
                    "follower {id}/{}/{}",
                    follower.follower, follower.attachment_name
                ),
                json(follower),
            );
        }
        for (database, settings) in cluster.follower_settings.iter().flatten() {
            add(format!("follower settings {id}/{database}"), json(settings));
        }
    }
    prints
}

/// The JSON of a value read from Azure; these types always serialise.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
