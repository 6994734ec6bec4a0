//! The only code of kfollow that speaks HTTP to Azure.
//!
//! - [`ArmClient`]: the Microsoft.Kusto ARM routes kfollow reads and writes (clusters,
//!   databases, attachedDatabaseConfigurations, listFollowerDatabases,
//!   detachFollowerDatabases, name checks), answering in `kfollow_model`'s `Observed*` types.
//!   Writes wait for their long-running operation; lists follow `nextLink`. Also Azure
//!   Monitor's `FollowerLatency` of a cluster ([`ArmClient::follower_latency`]).
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
//! Azure as it behaves at scale: ARM requests spend one budget per subscription, paced before
//! it runs out and held on a 429 ([`BudgetPolicy`]); operations without `Retry-After` are
//! polled when operations of their kind usually end ([`PollPlanner`]); a write refused because
//! its cluster is busy is submitted again ([`BusyPolicy`]); a write whose end was not seen is
//! reported with an unknown outcome, never as failed ([`ArmError::is_outcome_unknown`]). Waits
//! are told to an [`Observer`] as [`Notice`]s, and every write returns a [`Receipt`] of what
//! it learned (request ids, operation id, polls, tries). [`ArmClient::caller`] names who the
//! credential's token says the caller is ([`Caller`]: claims decoded, never verified).
//!
//! This crate decides nothing about plans: it does not diff, order or validate manifests.
//! Open [`ArmClient`] first, then [`credential_chain`].

// Errors carry the request (method, URL) and the service's code and message by design; they
// are built once per failed call, so their size does not matter.
#![allow(clippy::result_large_err)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod arm;
mod budget;
mod chain;
mod claims;
mod cloud;
mod credential;
mod endpoint;
mod kusto;
mod notice;
mod receipt;
mod retry;
mod transport;

pub use arm::{
    ArmClient, ArmConfig, ArmError, AwaitEnd, BusyPolicy, ClusterInfo, FOLLOWER_LATENCY,
    METRICS_API_VERSION, OperationKind, PollPlanner, PollPolicy, Timing, Unknown,
};
pub use budget::BudgetPolicy;
pub use chain::{
    CHAIN_VARIABLES, ChainOptions, credential_chain, credential_chain_with, default_token_source,
};
pub use claims::{Caller, caller_of};
pub use cloud::Cloud;
pub use credential::{
    AccessToken, BoxFuture, CachedTokenSource, CredentialError, REFRESH_MARGIN, Secret,
    StaticToken, TokenSource,
};
pub use endpoint::{EndpointError, check_endpoint, is_loopback, kusto_scope};
pub use kusto::{KustoClient, KustoError, V1Column, V1Response, V1Row, V1Table};
pub use notice::{Notice, Observer, Throttler, format_wait};
pub use receipt::{Exchange, FinalStatus, Receipt, WriteError};
pub use retry::{RetryPolicy, retry_after};
pub use transport::RequestLine;

/// An error and its causes on one line (`error sending request: connection closed`), skipping
/// a cause whose text the line already ends with.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        next = cause.source();
    }
    text
}

/// The Microsoft.Kusto ARM api-version of every request (the newest stable, as in
/// the Microsoft.Kusto REST API, <https://learn.microsoft.com/rest/api/azurerekusto/>).
pub const API_VERSION: &str = "2025-02-14";
