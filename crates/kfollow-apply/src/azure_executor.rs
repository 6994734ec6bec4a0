//! The real [`Executor`]: each [`Operation`] becomes one `kfollow-azure` call.
//!
//! The mapping is one to one and carries no decision of its own: what to send was decided by
//! the plan. Waiting for long-running operations, retrying throttling and busy clusters are the
//! clients' job; a write whose outcome the client could not see stays unknown here too.

use std::collections::HashMap;

use kfollow_azure::{ArmClient, ArmError, AwaitEnd, KustoClient, Receipt, WriteError};
use kfollow_model::{ClusterId, Observed, Operation};
use kfollow_state::Clients;

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

    /// An executor on `clients` for the clusters `observed` read, with their data-plane uris.
    pub fn for_observed(clients: &Clients, observed: &Observed) -> AzureExecutor {
        let cluster_uris = observed
            .clusters
            .iter()
            .map(|(id, cluster)| (id.clone(), cluster.uri.clone()))
            .collect();
        AzureExecutor::new(clients.arm.clone(), clients.kusto.clone(), cluster_uris)
    }
}

impl Executor for AzureExecutor {
    async fn execute(&self, operation: &Operation) -> Result<Receipt, ExecError> {
        match operation {
            Operation::PutAttachment {
                follower,
                name,
                body,
            } => arm(self.arm.put_attachment(follower, name, body).await),
            Operation::DeleteAttachment { follower, name } => {
                arm(self.arm.delete_attachment(follower, name).await)
            }
            Operation::AwaitAttachment { follower, name, .. } => {
                let until = if operation.awaits_removal() {
                    AwaitEnd::Gone
                } else {
                    AwaitEnd::Final
                };
                arm(self.arm.await_attachment(follower, name, until).await)
            }
            Operation::DetachFollower {
                leader,
                follower,
                attachment_name,
            } => arm(self
                .arm
                .detach_follower(leader, follower, attachment_name)
                .await),
            Operation::PutFollowerHotCache {
                follower,
                database,
                location,
                hot_cache_period,
            } => arm(self
                .arm
                .put_follower_hot_cache(follower, database, location, *hot_cache_period)
                .await),
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
                    .write(uri, database, csl)
                    .await
                    .map_err(|failure| {
                        let unknown = failure.error.is_outcome_unknown();
                        exec_error(failure, unknown)
                    })
            }
        }
    }
}

/// An ARM write's result, as the scheduler hears it.
fn arm(result: Result<Receipt, WriteError<ArmError>>) -> Result<Receipt, ExecError> {
    result.map_err(|failure| {
        let unknown = failure.error.is_outcome_unknown();
        exec_error(failure, unknown)
    })
}

/// A client's failure, with its receipt, marked unknown when its outcome is.
fn exec_error<E: std::error::Error + Send + Sync + 'static>(
    failure: WriteError<E>,
    unknown: bool,
) -> ExecError {
    let error = ExecError::new(failure.error).with_receipt(failure.receipt);
    if unknown {
        error.outcome_unknown()
    } else {
        error
    }
}
