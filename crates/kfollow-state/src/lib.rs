//! Reads the live state of every cluster a manifest names, concurrently, into
//! [`kfollow_model::Observed`].
//!
//! Per cluster: the cluster resource, its databases and its attachments (ARM list calls); per
//! leader, `listFollowerDatabases`; per follower whose follower databases have managed
//! settings, one `.show follower databases (…)` naming them, on its management endpoint; per
//! follower database whose principals the manifest manages and that holds a principal without
//! kfollow's notes, one `.show database <db> principals` (see [`principals`]); then per leader
//! database whose tables or views the manifest names (caching overrides, table-level
//! sharing), `.show tables details` and `.show materialized-views`, and whose external tables
//! or functions its table-level sharing names, `.show external tables` and `.show functions`,
//! on the leader's management endpoint (see [`leader_entities`]). The number of calls depends on the number of clusters,
//! of those follower databases and of those leader databases, never on the number of
//! attachments or tables. [`read_clusters`] reads clusters named by id instead, and
//! [`read_with_leaders`] those and the leaders they follow, for `kfollow export`;
//! [`read_access`] reads who can query each follower database the manifest manages, for
//! `kfollow access`.
//!
//! A cluster that is not `Running` refuses a read of its databases and its data plane does
//! not answer, so of such a cluster only the cluster resource and its attachments are read;
//! `kfollow-diff` names it and how to start it.
//!
//! A missing cluster is an error naming its alias and id. A 404 on a child is "absent"; every
//! other failure is an error, never "absent" (the azurerm provider once dropped resources from
//! state on non-404 errors). This crate reads; it never writes. Start at [`read`].
//!
//! For `kfollow check`, [`read_freshness`] reads each follower database's state and both lag
//! measures (Azure Monitor's `FollowerLatency`, and `.show tables details` on both sides,
//! through [`read_tables_details`], the one reader of the command, shared with the leader
//! entities a plan checks).
//!
//! The clients are built for an endpoint (Azure's, or an emulator's) by [`Clients::connect`].

mod access;
mod connect;
mod export;
mod fingerprint;
mod follower_settings;
mod freshness;
pub mod leader_entities;
pub mod principals;

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;
use kfollow_azure::{ArmClient, ArmError, KustoClient, KustoError};
use kfollow_model::{ClusterId, DatabaseKind, Desired, Observed, ObservedCluster, kql};

pub use access::read_access;
pub use connect::ConnectError;
pub use export::{ReadWithLeadersError, read_with_leaders};
pub use fingerprint::fingerprints;
pub use follower_settings::{FollowerSettingsError, parse_show_follower_databases};
pub use freshness::{CONCURRENT_COMMANDS, LATENCY_WINDOW, read_freshness};
pub use leader_entities::{
    EntitiesError, TableDetails, parse_show_materialized_views, parse_show_tables_details,
    read_tables_details,
};
pub use principals::{PrincipalsError, parse_show_database_principals};

use principals::Lookups;

/// Why the live state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The manifest names a cluster that does not exist.
    #[error("cluster `{alias}` (`{id}`) does not exist, or the caller cannot see it")]
    ClusterNotFound {
        /// The manifest alias.
        alias: String,
        /// The resource id.
        id: ClusterId,
    },
    /// Clusters to export that are not running: their databases and follower database
    /// settings cannot be read. Each entry is one sentence naming a cluster, its state and
    /// what brings it back.
    #[error("{}", .clusters.join("; "))]
    NotRunning {
        /// `cluster `name` is `Stopped`, not `Running`; start it with …`, one per cluster.
        clusters: Vec<String>,
    },
    /// An ARM read failed.
    #[error("could not read {what} of cluster `{alias}`")]
    Arm {
        /// What was being read (`the databases`).
        what: &'static str,
        /// The manifest alias.
        alias: String,
        /// The failure.
        #[source]
        source: ArmError,
    },
    /// A management command failed.
    #[error("could not read the follower databases of cluster `{alias}`")]
    Kusto {
        /// The manifest alias.
        alias: String,
        /// The failure.
        #[source]
        source: KustoError,
    },
    /// `.show tables details`, `.show external tables`, `.show materialized-views` or
    /// `.show functions` on a leader database failed or answered something kfollow cannot
    /// read.
    #[error(
        "could not read the tables, external tables, materialized views or functions of \
         database `{database}` on leader `{alias}` that the manifest names; reading them needs \
         at least the viewer role on that database"
    )]
    LeaderEntities {
        /// The manifest alias of the leader.
        alias: String,
        /// The leader database.
        database: String,
        /// Why.
        #[source]
        source: EntitiesError,
    },
    /// The management endpoint answered something kfollow cannot read.
    #[error("could not read the follower databases of cluster `{alias}`")]
    FollowerSettings {
        /// The manifest alias.
        alias: String,
        /// What was wrong with the answer.
        #[source]
        source: FollowerSettingsError,
    },
    /// `.show database <db> principals` failed or answered something kfollow cannot read.
    #[error("could not read the principals of follower database `{database}` on cluster `{alias}`")]
    Principals {
        /// The manifest alias.
        alias: String,
        /// The follower database.
        database: String,
        /// Why.
        #[source]
        source: PrincipalsError,
    },
}

/// The clients the reads go through.
#[derive(Debug, Clone)]
pub struct Clients {
    /// ARM.
    pub arm: ArmClient,
    /// The clusters' management endpoints.
    pub kusto: KustoClient,
}

/// What each cluster is for in the manifest, which decides what to read of it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Roles {
    pub leader: bool,
    pub follower_settings: bool,
    pub principals: Lookups,
}

/// Reads every cluster `desired` names. Clusters are read concurrently; within a cluster the
/// list calls run concurrently too.
pub async fn read(desired: &Desired, clients: &Clients) -> Result<Observed, StateError> {
    let mut roles: BTreeMap<&str, Roles> = BTreeMap::new();
    for attachment in &desired.attachments {
        roles.entry(&attachment.leader).or_default().leader = true;
        if !attachment.follower_databases.is_empty() {
            roles
                .entry(&attachment.follower)
                .or_default()
                .follower_settings = true;
        }
    }
    // Unmanaged followers are only visible from the leader side, and a leader that asks to
    // detach them needs the list even when no attachment names it.
    for (alias, cluster) in &desired.clusters {
        if cluster.unmanaged_followers == kfollow_model::UnmanagedPolicy::Detach {
            roles.entry(alias).or_default().leader = true;
        }
    }
    for (alias, role) in &mut roles {
        role.principals = Lookups::managed_by(desired, alias);
    }
    let mut seen = BTreeSet::new();
    let reads = desired
        .clusters
        .values()
        .filter(|cluster| seen.insert(cluster.id.clone()))
        .map(|cluster| {
            let roles = roles
                .get(cluster.alias.as_str())
                .cloned()
                .unwrap_or_default();
            read_cluster(&cluster.alias, &cluster.id, roles, clients)
        });
    let clusters = try_join_all(reads).await?;
    let mut observed = Observed {
        clusters: clusters.into_iter().map(|c| (c.id.clone(), c)).collect(),
    };
    // The leaders' databases must be listed first: only those that exist are asked.
    leader_entities::read(desired, &mut observed, clients).await?;
    Ok(observed)
}

/// Reads clusters named by id rather than by a manifest (`kfollow export`): each cluster
/// resource, its databases and its attachments, and with `with_settings` the settings of its
/// follower databases. Leader-side lists (`listFollowerDatabases`) are not read. Messages name
/// each cluster by its cluster name; a repeated id is read once.
///
/// # Errors
///
/// [`StateError::ClusterNotFound`] for an id that does not exist (or that the caller cannot
/// see), [`StateError::NotRunning`] naming every cluster that is not running, and any failed
/// read.
pub async fn read_clusters(
    ids: &[ClusterId],
    with_settings: bool,
    clients: &Clients,
) -> Result<Observed, StateError> {
    let mut seen = BTreeSet::new();
    let roles = Roles {
        leader: false,
        follower_settings: with_settings,
        principals: if with_settings {
            Lookups::All
        } else {
            Lookups::None
        },
    };
    let reads = ids
        .iter()
        .filter(|id| seen.insert((*id).clone()))
        .map(|id| read_cluster(id.name(), id, roles.clone(), clients));
    let clusters = try_join_all(reads).await?;
    let stopped: Vec<String> = clusters
        .iter()
        .filter(|c| !c.is_running())
        .map(|c| {
            format!(
                "cluster `{}` is `{}`, not `Running`, so its databases cannot be read; {}",
                c.id.name(),
                c.state,
                c.start_advice()
            )
        })
        .collect();
    if !stopped.is_empty() {
        return Err(StateError::NotRunning { clusters: stopped });
    }
    Ok(Observed {
        clusters: clusters.into_iter().map(|c| (c.id.clone(), c)).collect(),
    })
}

/// What a failed ARM read of `what` of the cluster `alias` is.
pub(crate) fn arm_failure(alias: &str, what: &'static str) -> impl Fn(ArmError) -> StateError {
    let alias = alias.to_owned();
    move |source| StateError::Arm {
        what,
        alias: alias.clone(),
        source,
    }
}

/// `Clusters_Get` of the cluster `alias`; one that does not exist is an error naming it.
pub(crate) async fn get_cluster(
    alias: &str,
    id: &ClusterId,
    clients: &Clients,
) -> Result<kfollow_azure::ClusterInfo, StateError> {
    clients
        .arm
        .get_cluster(id)
        .await
        .map_err(arm_failure(alias, "the cluster resource"))?
        .ok_or_else(|| StateError::ClusterNotFound {
            alias: alias.to_owned(),
            id: id.clone(),
        })
}

pub(crate) async fn read_cluster(
    alias: &str,
    id: &ClusterId,
    roles: Roles,
    clients: &Clients,
) -> Result<ObservedCluster, StateError> {
    let arm = |what| arm_failure(alias, what);
    let info = get_cluster(alias, id, clients).await?;
    // A cluster that is not running refuses a read of its databases, and its data plane does
    // not answer: neither is asked, and the diff names the cluster and how to start it.
    let running = kfollow_model::is_running(&info.state);
    let databases_and_settings = async {
        let databases = if running {
            clients
                .arm
                .list_databases(id)
                .await
                .map_err(arm("the databases"))?
        } else {
            Vec::new()
        };
        // `.show follower databases` names the databases it asks about
        // (<https://learn.microsoft.com/kusto/management/cluster-follower> has no form without
        // names); ARM's list says which databases of the cluster are follower databases.
        let followers: Vec<&str> = databases
            .iter()
            .filter(|d| d.kind == DatabaseKind::ReadOnlyFollowing)
            .map(|d| d.name.as_str())
            .collect();
        let settings = if !roles.follower_settings || !running || info.uri.is_empty() {
            None
        } else if followers.is_empty() {
            Some(BTreeMap::new())
        } else {
            let frames = clients
                .kusto
                .mgmt(&info.uri, "", &kql::show_follower_databases(&followers))
                .await
                .map_err(|source| StateError::Kusto {
                    alias: alias.to_owned(),
                    source,
                })?;
            let mut settings = parse_show_follower_databases(&frames).map_err(|source| {
                StateError::FollowerSettings {
                    alias: alias.to_owned(),
                    source,
                }
            })?;
            principals::look_up(&clients.kusto, &info.uri, &roles.principals, &mut settings)
                .await
                .map_err(|(database, source)| StateError::Principals {
                    alias: alias.to_owned(),
                    database,
                    source,
                })?;
            Some(settings)
        };
        Ok((databases, settings))
    };
    let attachments = async {
        clients
            .arm
            .list_attachments(id)
            .await
            .map_err(arm("the attachments"))
    };
    let followers = async {
        if roles.leader {
            clients
                .arm
                .list_follower_databases(id)
                .await
                .map_err(arm("the follower databases (listFollowerDatabases)"))
        } else {
            Ok(Vec::new())
        }
    };
    let ((databases, follower_settings), attachments, followers) =
        futures::try_join!(databases_and_settings, attachments, followers)?;
    Ok(ObservedCluster {
        id: info.id,
        location: info.location,
        state: info.state,
        uri: info.uri,
        databases,
        attachments,
        followers,
        follower_settings,
        database_entities: BTreeMap::new(),
    })
}
