//! The service's rules that need live state, checked before any change so that a plan never
//! contains a request the service would refuse.

use std::collections::{BTreeSet, HashSet};

use kfollow_model::{
    ClusterId, DatabaseKind, DatabaseSelection, ObservedCluster, Operation, eq_ignore_case,
};

use crate::{Context, DiffError, Outcome, Resolved, same_location};

/// Every manifest cluster exists, is where the manifest says, and, when an attachment uses
/// it, is running. Reported once per cluster, at its declaration.
pub(crate) fn clusters(cx: &mut Context<'_>) {
    let used: BTreeSet<&str> = cx
        .desired
        .attachments
        .iter()
        .flat_map(|a| [a.follower.as_str(), a.leader.as_str()])
        .collect();
    for cluster in cx.desired.clusters.values() {
        let at = cx.at(cluster.origin);
        let Some(live) = cx.observed.cluster(&cluster.id) else {
            cx.errors.push(DiffError::ClusterMissing {
                at,
                alias: cluster.alias.clone(),
                id: cluster.id.to_string(),
            });
            continue;
        };
        if let Some(declared) = &cluster.location
            && !same_location(declared, &live.location)
        {
            cx.errors.push(DiffError::ClusterLocation {
                at: at.clone(),
                alias: cluster.alias.clone(),
                declared: declared.clone(),
                live: live.location.clone(),
            });
        }
        if used.contains(cluster.alias.as_str()) && !live.is_running() {
            cx.errors.push(not_running(at, &cluster.alias, live));
        }
    }
}

fn not_running(at: String, alias: &str, live: &ObservedCluster) -> DiffError {
    DiffError::ClusterNotRunning {
        at,
        alias: alias.to_owned(),
        state: live.state.clone(),
        advice: live.start_advice(),
    }
}

/// Every manifest cluster the plan would write to that is not running, unless
/// [`clusters`] reported it already: a stopped cluster refuses every write, so such a plan
/// could not be applied.
pub(crate) fn writes_to_stopped_clusters(cx: &mut Context<'_>) {
    let targets: Vec<ClusterId> = cx
        .plan
        .changes
        .iter()
        .flat_map(|c| &c.operations)
        .map(|op| op.cluster().clone())
        .collect();
    for id in targets {
        let (Some(cluster), Some(live)) = (cx.cluster_of(&id), cx.observed.cluster(&id)) else {
            continue;
        };
        let reported = cx.errors.iter().any(
            |e| matches!(e, DiffError::ClusterNotRunning { alias, .. } if *alias == cluster.alias),
        );
        if !live.is_running() && !reported {
            let error = not_running(cx.at(cluster.origin), &cluster.alias, live);
            cx.errors.push(error);
        }
    }
}

/// Per attachment: the leader database exists and is read-write, leader and follower share a
/// region, and the follower database names it will create are free.
pub(crate) fn attachments(cx: &mut Context<'_>, resolved: &[Resolved<'_>], outcomes: &[Outcome]) {
    let freed = freed_attachments(cx);
    for (r, outcome) in resolved.iter().zip(outcomes) {
        let at = cx.at(r.attachment.origin);
        if let DatabaseSelection::One(database) = &r.attachment.database {
            leader_database(cx, r, database, &at);
        }
        if !same_location(&r.leader_live.location, &r.follower_live.location) {
            cx.errors.push(DiffError::RegionMismatch {
                at: at.clone(),
                leader: r.leader.alias.clone(),
                leader_location: r.leader_live.location.clone(),
                follower: r.follower.alias.clone(),
                follower_location: r.follower_live.location.clone(),
            });
        }
        if outcome.creates_database() {
            match &r.attachment.database {
                DatabaseSelection::One(leader_database) => {
                    let database = r.attachment.follower_database_name.apply(leader_database);
                    if let Some(taken_by) = taken(r, &database, &freed) {
                        cx.errors.push(DiffError::FollowerDatabaseNameTaken {
                            at: at.clone(),
                            follower: r.follower.alias.clone(),
                            database,
                            taken_by,
                        });
                    }
                }
                DatabaseSelection::All => {
                    for shadow in shadowed(r, &freed) {
                        let warning = shadow.warning(r);
                        cx.plan.warnings.push(warning);
                    }
                }
            }
        }
    }
}

/// Checks that a leader database exists and is read-write.
pub(crate) fn leader_database(cx: &mut Context<'_>, r: &Resolved<'_>, database: &str, at: &str) {
    match r.leader_live.database(database) {
        None => cx.errors.push(DiffError::LeaderDatabaseMissing {
            at: at.to_owned(),
            leader: r.leader.alias.clone(),
            database: database.to_owned(),
        }),
        Some(d) if d.kind != DatabaseKind::ReadWrite => {
            cx.errors.push(DiffError::LeaderDatabaseNotReadWrite {
                at: at.to_owned(),
                leader: r.leader.alias.clone(),
                database: database.to_owned(),
            });
        }
        Some(_) => {}
    }
}

/// The attachments this plan deletes, or waits for a running detach of, as (follower cluster
/// key, lower-cased name): their follower databases' names are free once they are gone, and
/// `kfollow-graph` orders the delete (or the wait) first.
pub(crate) fn freed_attachments(cx: &Context<'_>) -> HashSet<(String, String)> {
    cx.plan
        .changes
        .iter()
        .flat_map(|c| &c.operations)
        .filter_map(|op| match op {
            Operation::DeleteAttachment { follower, name } => {
                Some((follower.key(), name.to_ascii_lowercase()))
            }
            // A detach that was already running, which the plan waits for.
            Operation::AwaitAttachment { follower, name, .. } if op.awaits_removal() => {
                Some((follower.key(), name.to_ascii_lowercase()))
            }
            _ => None,
        })
        .collect()
}

/// A leader database that a `"*"` attachment does not follow, because its follower database
/// name is taken on the follower cluster: "a database named DB created on the follower
/// cluster takes precedence over a database with the same name that was created on the
/// leader cluster" (<https://learn.microsoft.com/azure/data-explorer/follower>, Notes). The
/// service attaches the others, so this is a warning, not an error.
pub(crate) struct Shadowed {
    /// The leader database not followed.
    pub leader_database: String,
    /// The follower database name it would have.
    pub database: String,
    /// What holds the name.
    pub taken_by: String,
}

impl Shadowed {
    /// The plan's warning; it says so when the manifest has settings for the leader database,
    /// which are not planned.
    pub(crate) fn warning(&self, r: &Resolved<'_>) -> String {
        let mut text = format!(
            "`\"*\"` attachment `{}` on `{}` does not follow leader database `{}` of `{}`: its \
             follower database name `{}` is taken on `{}` by {}, and a database of the follower \
             cluster takes precedence over a leader database of the same name \
             (https://learn.microsoft.com/azure/data-explorer/follower)",
            r.attachment.name,
            r.follower.alias,
            self.leader_database,
            r.leader.alias,
            self.database,
            r.follower.alias,
            self.taken_by
        );
        if let Some(key) = r
            .attachment
            .follower_databases
            .keys()
            .find(|key| eq_ignore_case(key, &self.leader_database))
        {
            text.push_str(&format!(
                "; the settings under `followerDatabases.{key}` are not planned"
            ));
        }
        text
    }
}

/// The read-write databases of the leader that a `"*"` attachment cannot follow on the
/// follower cluster, given the attachments this plan deletes first (`freed`); none for an
/// attachment of one database.
pub(crate) fn shadowed(r: &Resolved<'_>, freed: &HashSet<(String, String)>) -> Vec<Shadowed> {
    if r.attachment.database != DatabaseSelection::All {
        return Vec::new();
    }
    r.leader_live
        .databases
        .iter()
        .filter(|d| d.kind == DatabaseKind::ReadWrite)
        .filter_map(|d| {
            let database = r.attachment.follower_database_name.apply(&d.name);
            let taken_by = taken(r, &database, freed)?;
            Some(Shadowed {
                leader_database: d.name.clone(),
                database,
                taken_by,
            })
        })
        .collect()
}

/// What holds a follower database name on the follower cluster, unless it is this very
/// attachment's follower database or one this plan detaches first.
fn taken(r: &Resolved<'_>, database: &str, freed: &HashSet<(String, String)>) -> Option<String> {
    let live = r.follower_live.database(database)?;
    match (&live.kind, &live.attached_database_configuration_name) {
        (DatabaseKind::ReadWrite, _) => Some("a read-write database".to_owned()),
        (DatabaseKind::ReadOnlyFollowing, Some(producer)) => {
            let own = eq_ignore_case(producer, &r.attachment.name);
            let detached = freed.contains(&(r.follower.id.key(), producer.to_ascii_lowercase()));
            (!own && !detached).then(|| format!("the follower database of attachment `{producer}`"))
        }
        (DatabaseKind::ReadOnlyFollowing, None) => Some("a follower database".to_owned()),
    }
}
