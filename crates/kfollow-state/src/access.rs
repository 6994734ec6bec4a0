//! Reads who can query the follower databases a manifest manages (`kfollow access`): for every
//! live follower database that an attachment of the manifest made, its principals as the
//! follower cluster lists them (`.show database <db> principals`), the principals of the
//! leader database it follows (the same command on the leader cluster), and what the follower
//! adds and how it combines them (`.show follower databases`).
//!
//! Calls: per follower cluster, the cluster, its databases, its attachments and one
//! `.show follower databases`; per leader cluster, the cluster; then one
//! `.show database … principals` per follower database and per leader database followed, a
//! few at a time. Telling where each principal comes from is `kfollow-diff`'s.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use kfollow_model::{
    ClusterId, DatabaseUnderReview, Desired, LiveAccess, LiveDatabaseAccess, Observed,
    PrincipalRow, PrincipalsModificationKind,
};

use crate::principals::{Lookups, database_principals};
use crate::{Clients, Roles, StateError, read_cluster};

/// How many `.show database … principals` are in flight at once.
const CONCURRENT_LOOKUPS: usize = 8;

/// Reads what `kfollow access` reviews for `desired`; see the module documentation.
///
/// # Errors
///
/// A cluster that does not exist, and any failed read (a 404 on a child is "absent").
pub async fn read_access(desired: &Desired, clients: &Clients) -> Result<LiveAccess, StateError> {
    let mut followers: Vec<(&str, &ClusterId)> = Vec::new();
    let mut leaders: Vec<(&str, &ClusterId)> = Vec::new();
    for attachment in &desired.attachments {
        for (alias, list) in [
            (&attachment.follower, &mut followers),
            (&attachment.leader, &mut leaders),
        ] {
            if let Some(cluster) = desired.cluster(alias)
                && !list.iter().any(|(_, id)| *id == &cluster.id)
            {
                list.push((alias, &cluster.id));
            }
        }
    }
    leaders.retain(|(_, id)| !followers.iter().any(|(_, f)| f == id));
    let with_settings = Roles {
        follower_settings: true,
        principals: Lookups::None,
        ..Roles::default()
    };
    let reads = followers
        .iter()
        .map(|(alias, id)| read_cluster(alias, id, with_settings.clone(), clients))
        .chain(
            leaders
                .iter()
                .map(|(alias, id)| read_cluster(alias, id, Roles::default(), clients)),
        );
    let observed = Observed {
        clusters: futures::future::try_join_all(reads)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect(),
    };
    let (mut live, uris) = follower_databases(desired, &observed);

    // One lookup per follower database and per leader database: (alias, uri, database).
    let mut lookups: Vec<(String, String, String)> = Vec::new();
    for (database, (follower_uri, leader_uri)) in live.databases.iter().zip(&uris) {
        for lookup in [
            (&database.of.follower, follower_uri, &database.of.database),
            (
                &database.of.leader,
                leader_uri,
                &database.of.leader_database,
            ),
        ] {
            let lookup = (lookup.0.clone(), lookup.1.clone(), lookup.2.clone());
            if !lookups.contains(&lookup) {
                lookups.push(lookup);
            }
        }
    }
    let answers: BTreeMap<(String, String), Vec<PrincipalRow>> = futures::stream::iter(lookups)
        .map(|(alias, uri, database)| async move {
            database_principals(&clients.kusto, &uri, &database)
                .await
                .map(|rows| ((uri, database.to_ascii_lowercase()), rows))
                .map_err(|source| StateError::Principals {
                    alias,
                    database,
                    source,
                })
        })
        .buffer_unordered(CONCURRENT_LOOKUPS)
        .try_collect()
        .await?;
    let rows = |uri: &str, database: &str| {
        answers
            .get(&(uri.to_owned(), database.to_ascii_lowercase()))
            .cloned()
            .unwrap_or_default()
    };
    for (database, (follower_uri, leader_uri)) in live.databases.iter_mut().zip(&uris) {
        database.effective = rows(follower_uri, &database.of.database);
        database.leader_principals = rows(leader_uri, &database.of.leader_database);
    }
    Ok(live)
}

/// The live follower databases of the manifest's attachments, without their principals yet,
/// each with the management endpoints of its follower and its leader.
fn follower_databases(
    desired: &Desired,
    observed: &Observed,
) -> (LiveAccess, Vec<(String, String)>) {
    let mut live = LiveAccess::default();
    let mut uris = Vec::new();
    let cluster = |alias: &str| desired.cluster(alias).and_then(|c| observed.cluster(&c.id));
    let mut attachments: Vec<_> = desired.attachments.iter().enumerate().collect();
    attachments.sort_by_key(|(index, a)| (a.follower.clone(), *index));
    for (_, wanted) in attachments {
        let (Some(follower), Some(leader)) = (cluster(&wanted.follower), cluster(&wanted.leader))
        else {
            continue;
        };
        let made = follower
            .attachment(&wanted.name)
            .map(|attachment| follower.followed_by(attachment))
            .unwrap_or_default();
        if made.is_empty() {
            live.not_attached
                .push((wanted.follower.clone(), wanted.name.clone()));
        }
        for (leader_database, database) in made {
            let settings = follower.follower_settings.as_ref().and_then(|all| {
                all.iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(&database))
                    .map(|(_, settings)| settings)
            });
            live.databases.push(LiveDatabaseAccess {
                of: DatabaseUnderReview {
                    follower: wanted.follower.clone(),
                    database,
                    attachment: wanted.name.clone(),
                    leader: wanted.leader.clone(),
                    leader_database,
                    principals_modification_kind: settings
                        .map_or(PrincipalsModificationKind::default(), |s| {
                            s.principals_modification_kind
                        }),
                },
                effective: Vec::new(),
                leader_principals: Vec::new(),
                overrides: settings.map(|s| s.principals.clone()).unwrap_or_default(),
            });
            uris.push((follower.uri.clone(), leader.uri.clone()));
        }
    }
    (live, uris)
}
