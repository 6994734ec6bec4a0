//! The only code of kfollow that speaks HTTP to Azure.
//!
//! - [`ArmClient`]: the Microsoft.Kusto ARM routes kfollow reads and writes (clusters,
//!   databases, attachedDatabaseConfigurations, listFollowerDatabases,
//!   detachFollowerDatabases, name checks), answering in `kfollow_model`'s `Observed*` types.
//!   Writes wait for their long-running operation; lists follow `nextLink`.
//! - [`KustoClient`]: management commands on a cluster's `/v1/rest/mgmt`, v1 tables back.
//! - Credentials: the [`TokenSource`] trait, [`StaticToken`] (`KFOLLOW_ACCESS_TOKEN`, the
//!   emulator) and [`credential_chain`] (service principal, workload identity, managed
//!   identity, Azure CLI, Azure Developer CLI); [`Cloud`] for endpoints and scopes.
//!
//! Every request carries an `x-ms-client-request-id` and is logged at `tracing` debug level with
//! method, URL, status and duration; no header and no token is ever logged or put in an error.
//! Throttling (429, with `Retry-After`), 5xx and connection errors are retried with bounded,
//! jittered exponential backoff where retrying is safe ([`RetryPolicy`]). Plain `http://` is
//! accepted only for loopback hosts (the emulator).
//!
//! This crate decides nothing about plans: it does not diff, order or validate manifests.
//! Open [`ArmClient`] first, then [`credential_chain`].

// Errors carry the request (method, URL) and the service's code and message by design; they
// are built once per failed call, so their size does not matter.
#![allow(clippy::result_large_err)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod arm;
mod chain;
mod cloud;
mod credential;
mod endpoint;
mod kusto;
mod retry;
mod transport;

pub use arm::{ArmClient, ArmConfig, ArmError, ClusterInfo};
pub use chain::{
    CHAIN_VARIABLES, ChainOptions, credential_chain, credential_chain_with, default_token_source,
};
pub use cloud::Cloud;
pub use credential::{
    AccessToken, BoxFuture, CachedTokenSource, CredentialError, REFRESH_MARGIN, Secret,
    StaticToken, TokenSource,
};
pub use endpoint::{EndpointError, check_endpoint, is_loopback, kusto_scope};
pub use kusto::{KustoClient, KustoError, V1Column, V1Response, V1Row, V1Table};
pub use retry::{RetryPolicy, retry_after};
pub use transport::RequestLine;

/// The Microsoft.Kusto ARM api-version of every request (the newest stable, as in
/// `reference/arm-kusto-follower-subset.json`).
pub const API_VERSION: &str = "2025-02-14";
