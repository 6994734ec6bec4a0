//! The real [`Executor`]: each [`Operation`] becomes one `kfollow-azure` call.
//!
//! The mapping is one to one and carries no decision of its own: what to send was decided by
//! the plan. Waiting for long-running operations and retrying throttling are the clients' job.

use std::collections::HashMap;

use kfollow_azure::{ArmClient, KustoClient};
use kfollow_model::{ClusterId, Operation};

use crate::executor::{ExecError, Executor};

/// Sends operations to Azure (or the emulator) through an [`ArmClient`] and a [`KustoClient`].
#[derive(Debug, Clone)]
pub struct AzureExecutor {
    arm: ArmClient,
    kusto: KustoClient,
    cluster_uris: HashMap<ClusterId, String>,
}

/// An operation the executor could not even send.
#[derive(Debug, thiserror::Error)]
pub enum AzureExecutorError {
    /// A management command names a cluster whose data-plane uri the caller did not give.
    #[error(
        "no data-plane uri is known for cluster `{cluster}`, so the command for database `{database}` was not sent"
    )]
    MissingClusterUri {
        /// The cluster of the command.
        cluster: ClusterId,
        /// The database of the command.
        database: String,
    },
}

impl AzureExecutor {
    /// An executor with its clients and, for management commands, each cluster's data-plane uri
    /// (`https://<name>.<region>.kusto.windows.net`, the cluster's `properties.uri`).
    pub fn new(
        arm: ArmClient,
        kusto: KustoClient,
        cluster_uris: HashMap<ClusterId, String>,
    ) -> AzureExecutor {
        AzureExecutor {
            arm,
            kusto,
            cluster_uris,
        }
    }
}

impl Executor for AzureExecutor {
    async fn execute(&self, operation: &Operation) -> Result<(), ExecError> {
        match operation {
            Operation::PutAttachment {
                follower,
                name,
                body,
            } => self
                .arm
                .put_attachment(follower, name, body)
                .await
                .map_err(ExecError::new),
            Operation::DeleteAttachment { follower, name } => self
                .arm
                .delete_attachment(follower, name)
                .await
                .map_err(ExecError::new),
            Operation::DetachFollower {
                leader,
                follower,
                attachment_name,
            } => self
                .arm
                .detach_follower(leader, follower, attachment_name)
                .await
                .map_err(ExecError::new),
            Operation::PutFollowerHotCache {
                follower,
                database,
                location,
                hot_cache_period,
            } => self
                .arm
                .put_follower_hot_cache(follower, database, location, *hot_cache_period)
                .await
                .map_err(ExecError::new),
            Operation::KustoCommand {
                cluster,
                database,
                csl,
            } => {
                let uri = self.cluster_uris.get(cluster).ok_or_else(|| {
                    ExecError::new(AzureExecutorError::MissingClusterUri {
                        cluster: cluster.clone(),
                        database: database.clone(),
                    })
                })?;
                self.kusto
                    .mgmt(uri, database, csl)
                    .await
                    .map(|_| ())
                    .map_err(ExecError::new)
            }
        }
    }
}
