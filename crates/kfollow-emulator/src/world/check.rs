//! The rules a world must keep that its YAML shape cannot express: the names Azure keeps
//! unique. A world that breaks one could never have come from Azure.

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
}

/// The first rule the world breaks, if any, in file order.
pub(super) fn first_problem(world: &World) -> Option<WorldProblem> {
    unique_names(world)
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
        let attachments = cluster.attached_database_configurations.iter();
        first_repeat(attachments.map(|a| a.name.as_str())).map(|attachment| {
            WorldProblem::DuplicateAttachment {
                cluster: cluster.id.name().to_owned(),
                attachment: attachment.to_owned(),
            }
        })
    })
}
