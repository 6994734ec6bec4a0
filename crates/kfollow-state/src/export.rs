//! What a manifest describing some follower clusters needs (`kfollow export`, and the rollback
//! manifest of an apply): the followers with their follower database settings, and the leaders
//! they follow.

use kfollow_model::{ClusterId, Observed};

use crate::{Clients, StateError, read_clusters};

/// Why the followers, or the leaders they follow, could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadWithLeadersError {
    /// A cluster does not exist, or the caller cannot see it: a follower named by the caller,
    /// or (`leader`) a leader that one of their attachments follows.
    #[error(
        "cluster `{id}`{} does not exist, or the caller cannot see it",
        if *.leader { " (a leader that an attachment follows)" } else { "" }
    )]
    ClusterNotFound {
        /// The resource id.
        id: ClusterId,
        /// True for a leader the followers' attachments follow.
        leader: bool,
    },
    /// Any other failed read, or clusters that are not running.
    #[error("cannot read the live state")]
    Read(#[source] StateError),
}

/// The live state of `followers`, with their follower database settings, and of the leaders
/// their attachments follow ([`Observed::leaders_of`]), without the leaders' own follower
/// database settings.
///
/// # Errors
///
/// [`ReadWithLeadersError`]: a cluster that does not exist, named by its id, or any other
/// failed read.
pub async fn read_with_leaders(
    followers: &[ClusterId],
    clients: &Clients,
) -> Result<Observed, ReadWithLeadersError> {
    let failure = |leader: bool| {
        move |error| match error {
            StateError::ClusterNotFound { id, .. } => {
                ReadWithLeadersError::ClusterNotFound { id, leader }
            }
            other => ReadWithLeadersError::Read(other),
        }
    };
    let mut observed = read_clusters(followers, true, clients)
        .await
        .map_err(failure(false))?;
    let leaders = observed.leaders_of(followers);
    if !leaders.is_empty() {
        let read = read_clusters(&leaders, false, clients)
            .await
            .map_err(failure(true))?;
        observed.clusters.extend(read.clusters);
    }
    Ok(observed)
}
