//! The rules a world must keep that its YAML shape cannot express: the names Azure keeps
//! unique, and attachments whose leader is another cluster of the same world. A world that
//! breaks one could never have come from Azure, and the routes would answer for it in ways
//! Azure never does (a follower database without a leader, two databases of one name).

use std::collections::HashSet;

use super::World;

/// A rule of Azure a world breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldProblem {
    /// Two clusters share a name (cluster names are global DNS names in Azure).
    #[error("two clusters are named `{0}`; cluster names are unique across Azure")]
    DuplicateCluster(String),
    /// Two attachments of one cluster share a name.
    #[error("cluster `{cluster}` has two attachments named `{attachment}`")]
    DuplicateAttachment {
        /// The follower cluster.
        cluster: String,
        /// The attachment name.
        attachment: String,
    },
    /// Two read-write databases of one cluster share a name, whatever their case.
    #[error(
        "cluster `{cluster}` has two databases named `{database}`; database names are unique \
         in a cluster, whatever their case"
    )]
    DuplicateDatabase {
        /// The cluster.
        cluster: String,
        /// The second database of that name.
        database: String,
    },
    /// An attachment's leader is not a cluster of the world.
    #[error(
        "attachment `{attachment}` of cluster `{cluster}` follows `{leader}`, which is not a \
         cluster of this world; add it to `clusters` or correct `clusterResourceId`"
    )]
    UnknownLeader {
        /// The follower cluster.
        cluster: String,
        /// The attachment.
        attachment: String,
        /// The attachment's `clusterResourceId`.
        leader: String,
    },
    /// An attachment names its own cluster as leader.
    #[error(
        "attachment `{attachment}` of cluster `{cluster}` follows its own cluster; a cluster \
         cannot follow itself, so `clusterResourceId` must name another cluster"
    )]
    SelfFollow {
        /// The cluster.
        cluster: String,
        /// The attachment.
        attachment: String,
    },
    /// A follower database takes the name of another database of its cluster.
    #[error(
        "the follower database `{database}` of attachment `{attachment}` on cluster \
         `{cluster}` has the name of another database of the cluster; rename it with \
         `databaseNameOverride` or `databaseNamePrefix`"
    )]
    FollowerNameTaken {
        /// The follower cluster.
        cluster: String,
        /// The attachment that creates the follower database.
        attachment: String,
        /// The follower database.
        database: String,
    },
}

/// The first rule the world breaks, if any, in file order: names first, then leaders, then the
/// names of the follower databases (which exist only once their leaders do).
pub(super) fn first_problem(world: &World) -> Option<WorldProblem> {
    unique_names(world)
        .or_else(|| leaders(world))
        .or_else(|| follower_names(world))
}

/// The first name of `names` already seen, compared case-insensitively.
fn first_repeat<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .find(|name| !seen.insert(name.to_ascii_lowercase()))
}

fn unique_names(world: &World) -> Option<WorldProblem> {
    if let Some(name) = first_repeat(world.clusters.iter().map(|c| c.id.name())) {
        return Some(WorldProblem::DuplicateCluster(name.to_owned()));
    }
    world.clusters.iter().find_map(|cluster| {
        let name = || cluster.id.name().to_owned();
        if let Some(database) = first_repeat(cluster.databases.iter().map(|d| d.name.as_str())) {
            return Some(WorldProblem::DuplicateDatabase {
                cluster: name(),
                database: database.to_owned(),
            });
        }
        let attachments = cluster.attached_database_configurations.iter();
        first_repeat(attachments.map(|a| a.name.as_str())).map(|attachment| {
            WorldProblem::DuplicateAttachment {
                cluster: name(),
                attachment: attachment.to_owned(),
            }
        })
    })
}

fn leaders(world: &World) -> Option<WorldProblem> {
    world.clusters.iter().find_map(|cluster| {
        cluster
            .attached_database_configurations
            .iter()
            .find_map(|attachment| {
                let leader = &attachment.cluster_resource_id;
                if leader == &cluster.id {
                    Some(WorldProblem::SelfFollow {
                        cluster: cluster.id.name().to_owned(),
                        attachment: attachment.name.clone(),
                    })
                } else if world.cluster_by_id(leader).is_none() {
                    Some(WorldProblem::UnknownLeader {
                        cluster: cluster.id.name().to_owned(),
                        attachment: attachment.name.clone(),
                        leader: leader.to_string(),
                    })
                } else {
                    None
                }
            })
    })
}

fn follower_names(world: &World) -> Option<WorldProblem> {
    world
        .clusters
        .iter()
        .enumerate()
        .find_map(|(index, cluster)| {
            let mut taken: HashSet<String> = cluster
                .databases
                .iter()
                .map(|d| d.name.to_ascii_lowercase())
                .collect();
            world
                .follower_databases(index)
                .into_iter()
                .find(|follower| !taken.insert(follower.name.to_ascii_lowercase()))
                .map(|follower| WorldProblem::FollowerNameTaken {
                    cluster: cluster.id.name().to_owned(),
                    attachment: follower.attachment,
                    database: follower.name,
                })
        })
}
