//! The ARM client: the Microsoft.Kusto routes kfollow reads and writes, typed in
//! `kfollow_model`'s vocabulary. Writes wait for their long-running operation ([`lro`]),
//! polled as [`poll`] plans, and are submitted again while their cluster is busy ([`write`]);
//! every request spends the subscription's budget ([`crate::budget`]).

mod error;
mod in_flight;
mod lro;
mod metrics;
mod poll;
mod wire;
mod write;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kfollow_model::{
    AttachmentBody, ClusterId, DatabaseKind, LeaderFollower, ObservedAttachment, ObservedDatabase,
    Timespan,
};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

pub use error::{ArmError, Unknown};
pub use in_flight::AwaitEnd;
pub use metrics::{FOLLOWER_LATENCY, METRICS_API_VERSION};
pub use poll::{OperationKind, PollPlanner, PollPolicy, Timing};
pub use wire::ClusterInfo;
pub use write::BusyPolicy;

use crate::API_VERSION;
use crate::budget::{BudgetPolicy, Budgets};
use crate::claims::{Caller, caller_of};
use crate::cloud::Cloud;
use crate::credential::TokenSource;
use crate::endpoint::{check_endpoint, same_origin};
use crate::notice::Observer;
use crate::receipt::{Receipt, WriteError};
use crate::retry::RetryPolicy;
use crate::transport::{Outgoing, RequestLine, Response, RetryClass, SendError, Sender};
use write::Write;

/// How to reach ARM.
#[derive(Clone)]
pub struct ArmConfig {
    /// The ARM endpoint (`https://management.azure.com`, or the emulator's
    /// `http://127.0.0.1:PORT`).
    pub endpoint: String,
    /// Where bearer tokens come from.
    pub credential: Arc<dyn TokenSource>,
    /// The token scope (`https://management.azure.com/.default`).
    pub scope: String,
    /// Retries of single requests.
    pub retry: RetryPolicy,
    /// How long a write may wait for its long-running operation (default 60 minutes, as
    /// Terraform's azurerm provider).
    pub operation_timeout: Duration,
    /// When to poll an operation whose answers carry no `Retry-After`.
    pub poll: PollPolicy,
    /// How the subscription's request budget is spent.
    pub budget: BudgetPolicy,
    /// How a write is submitted again while its cluster is busy.
    pub busy: BusyPolicy,
    /// How long one HTTP request may take.
    pub request_timeout: Duration,
    /// Hears about waits (throttling, busy clusters, a low budget); `None` for silence.
    pub observer: Option<Observer>,
}

impl ArmConfig {
    /// The defaults for a cloud: its endpoint and scope, 5 tries, a 60 minute operation
    /// timeout, adaptive polling, 6 tries for a busy cluster, no observer.
    pub fn for_cloud(cloud: Cloud, credential: Arc<dyn TokenSource>) -> ArmConfig {
        ArmConfig {
            endpoint: cloud.arm_endpoint().to_owned(),
            credential,
            scope: cloud.arm_scope().to_owned(),
            retry: RetryPolicy::default(),
            operation_timeout: Duration::from_secs(60 * 60),
            poll: PollPolicy::default(),
            budget: BudgetPolicy::default(),
            busy: BusyPolicy::default(),
            request_timeout: Duration::from_secs(120),
            observer: None,
        }
    }
}

impl fmt::Debug for ArmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmConfig")
            .field("endpoint", &self.endpoint)
            .field("credential", &self.credential.describe())
            .field("scope", &self.scope)
            .field("retry", &self.retry)
            .field("operation_timeout", &self.operation_timeout)
            .field("poll", &self.poll)
            .field("budget", &self.budget)
            .field("busy", &self.busy)
            .field("request_timeout", &self.request_timeout)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// A client of the Microsoft.Kusto ARM routes. Cheap to clone; clones share connections, the
/// subscriptions' request budgets and what was learned about operation durations.
#[derive(Clone)]
pub struct ArmClient {
    endpoint: Url,
    scope: String,
    sender: Sender,
    operation_timeout: Duration,
    planner: PollPlanner,
    budgets: Arc<Budgets>,
    busy: BusyPolicy,
    observer: Option<Observer>,
}

impl fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

impl ArmClient {
    /// A client; refuses an endpoint that is plain `http://` to a host other than loopback.
    pub fn new(config: ArmConfig) -> Result<ArmClient, ArmError> {
        let endpoint = check_endpoint(&config.endpoint)?;
        let sender = Sender::new(
            config.credential,
            config.retry,
            config.request_timeout,
            "arm",
        )
        .map_err(ArmError::Client)?
        .with_observer(config.observer.clone());
        let budgets = Budgets::new(config.budget, config.retry, config.observer.clone());
        Ok(ArmClient {
            endpoint,
            scope: config.scope,
            sender,
            operation_timeout: config.operation_timeout,
            planner: PollPlanner::new(config.poll),
            budgets: Arc::new(budgets),
            busy: config.busy,
            observer: config.observer,
        })
    }

    /// The same client (sharing connections, budgets and what it learned) with another
    /// operation timeout: how long a write waits for its operation before its outcome is
    /// unknown.
    #[must_use]
    pub fn with_operation_timeout(mut self, timeout: Duration) -> ArmClient {
        self.operation_timeout = timeout;
        self
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Who the credential's ARM token names (its claims decoded, not verified: see
    /// [`Caller`]), for the record of an apply. When no token can be had, the caller is
    /// unknown and the reason says why; the token itself is never kept.
    pub async fn caller(&self) -> Caller {
        match self.sender.token(&self.scope).await {
            Ok(token) => caller_of(&token.token),
            Err(error) => Caller::unknown(format!("no access token: {error}")),
        }
    }

    /// `Clusters_Get`; `None` when the cluster does not exist (404).
    pub async fn get_cluster(&self, id: &ClusterId) -> Result<Option<ClusterInfo>, ArmError> {
        let url = self.url(id, &[]);
        let cluster: Option<wire::ClusterWire> = self.get(id, url).await?;
        Ok(cluster.map(ClusterInfo::from))
    }

    /// `Databases_ListByCluster`: every database of a cluster, both kinds.
    pub async fn list_databases(&self, id: &ClusterId) -> Result<Vec<ObservedDatabase>, ArmError> {
        let url = self.url(id, &["databases"]);
        let list: Vec<wire::DatabaseWire> = self.list(id, Method::GET, url).await?;
        Ok(list.into_iter().map(ObservedDatabase::from).collect())
    }

    /// `AttachedDatabaseConfigurations_ListByCluster`: the attachments on a follower cluster.
    pub async fn list_attachments(
        &self,
        id: &ClusterId,
    ) -> Result<Vec<ObservedAttachment>, ArmError> {
        let url = self.url(id, &["attachedDatabaseConfigurations"]);
        let list: Vec<wire::AttachmentWire> = self.list(id, Method::GET, url).await?;
        Ok(list.into_iter().map(ObservedAttachment::from).collect())
    }

    /// `AttachedDatabaseConfigurations_Get`; `None` on 404.
    pub async fn get_attachment(
        &self,
        follower: &ClusterId,
        name: &str,
    ) -> Result<Option<ObservedAttachment>, ArmError> {
        let url = self.url(follower, &["attachedDatabaseConfigurations", name]);
        let attachment: Option<wire::AttachmentWire> = self.get(follower, url).await?;
        Ok(attachment.map(ObservedAttachment::from))
    }

    /// `Clusters_ListFollowerDatabases` (POST, read-only, so retried like a GET): who follows
    /// the databases of a leader cluster.
    pub async fn list_follower_databases(
        &self,
        leader: &ClusterId,
    ) -> Result<Vec<LeaderFollower>, ArmError> {
        let url = self.url(leader, &["listFollowerDatabases"]);
        let list: Vec<wire::FollowerWire> = self.list(leader, Method::POST, url).await?;
        Ok(list.into_iter().map(LeaderFollower::from).collect())
    }

    /// `Clusters_ListFollowerDatabasesGet`: the GET form of [`Self::list_follower_databases`].
    pub async fn list_follower_databases_get(
        &self,
        leader: &ClusterId,
    ) -> Result<Vec<LeaderFollower>, ArmError> {
        let url = self.url(leader, &["listFollowerDatabases"]);
        let list: Vec<wire::FollowerGetWire> = self.list(leader, Method::GET, url).await?;
        Ok(list
            .into_iter()
            .map(|entry| LeaderFollower::from(entry.properties))
            .collect())
    }

    /// Azure Monitor's `FollowerLatency` of a follower cluster: the largest per-minute maximum
    /// over the `window` that ends now, in milliseconds (`Metrics - List`,
    /// api-version [`METRICS_API_VERSION`]). `None` when no minute had data (a stopped
    /// cluster, one that follows nothing, or a 404). Spends the subscription's budget and is
    /// retried as every ARM read is.
    pub async fn follower_latency(
        &self,
        cluster: &ClusterId,
        window: Duration,
    ) -> Result<Option<f64>, ArmError> {
        let mut url = self.url(cluster, &["providers", "Microsoft.Insights", "metrics"]);
        url.set_query(Some(&metrics::follower_latency_query(
            window,
            std::time::SystemTime::now(),
        )));
        let answer: Option<metrics::MetricsWire> = self.get(cluster, url).await?;
        Ok(answer.and_then(|a| a.maximum(FOLLOWER_LATENCY)))
    }

    /// `AttachedDatabaseConfigurations_CreateOrUpdate`: attach (or update an attachment) and
    /// wait until the operation ends.
    pub async fn put_attachment(
        &self,
        follower: &ClusterId,
        name: &str,
        body: &AttachmentBody,
    ) -> Result<Receipt, WriteError<ArmError>> {
        self.write(Write {
            cluster: follower,
            kind: OperationKind::AttachmentPut,
            method: Method::PUT,
            url: self.url(follower, &["attachedDatabaseConfigurations", name]),
            body: Some(encode(&wire::AttachmentPut::from(body))),
            retry: RetryClass::Idempotent,
        })
        .await
    }

    /// `AttachedDatabaseConfigurations_Delete`: detach on the follower side and wait. An
    /// attachment that is already gone (404) counts as detached.
    pub async fn delete_attachment(
        &self,
        follower: &ClusterId,
        name: &str,
    ) -> Result<Receipt, WriteError<ArmError>> {
        self.write(Write {
            cluster: follower,
            kind: OperationKind::AttachmentDelete,
            method: Method::DELETE,
            url: self.url(follower, &["attachedDatabaseConfigurations", name]),
            body: None,
            retry: RetryClass::Idempotent,
        })
        .await
    }

    /// `Clusters_DetachFollowerDatabases`: detach on the leader side and wait. A POST that
    /// changes state: retried only on 429 and failures to connect.
    pub async fn detach_follower(
        &self,
        leader: &ClusterId,
        follower: &ClusterId,
        attachment_name: &str,
    ) -> Result<Receipt, WriteError<ArmError>> {
        let body = encode(&wire::DetachBody {
            cluster_resource_id: follower.to_string(),
            attached_database_configuration_name: attachment_name,
        });
        self.write(Write {
            cluster: leader,
            kind: OperationKind::LeaderDetach,
            method: Method::POST,
            url: self.url(leader, &["detachFollowerDatabases"]),
            body: Some(body),
            retry: RetryClass::NotIdempotent,
        })
        .await
    }

    /// `Databases_CreateOrUpdate` on a follower database with `kind: ReadOnlyFollowing`: sets
    /// its database-level hot cache period, and waits.
    pub async fn put_follower_hot_cache(
        &self,
        follower: &ClusterId,
        database: &str,
        location: &str,
        hot_cache_period: Timespan,
    ) -> Result<Receipt, WriteError<ArmError>> {
        let body = encode(&wire::FollowerDatabasePut {
            kind: DatabaseKind::ReadOnlyFollowing,
            location,
            properties: wire::FollowerDatabasePutProperties {
                hot_cache_period: hot_cache_period.to_iso8601(),
            },
        });
        self.write(Write {
            cluster: follower,
            kind: OperationKind::DatabasePut,
            method: Method::PUT,
            url: self.url(follower, &["databases", database]),
            body: Some(body),
            retry: RetryClass::Idempotent,
        })
        .await
    }

    /// The URL of a cluster or one of its children, with the api-version.
    fn url(&self, cluster: &ClusterId, tail: &[&str]) -> Url {
        let mut url = self.endpoint.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            segments.extend([
                "subscriptions",
                cluster.subscription(),
                "resourceGroups",
                cluster.resource_group(),
                "providers",
                "Microsoft.Kusto",
                "clusters",
                cluster.name(),
            ]);
            segments.extend(tail);
        }
        url.set_query(Some(&format!("api-version={API_VERSION}")));
        url
    }

    /// One request (with the sender's retries) that spends `subscription`'s budget.
    async fn send(
        &self,
        subscription: &str,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        retry: RetryClass,
    ) -> Result<Response, ArmError> {
        let request = RequestLine::new(&method, &url);
        let out = Outgoing {
            method,
            url,
            scope: &self.scope,
            body,
            headers: &[],
            retry,
            budget: Some((&self.budgets, subscription)),
        };
        self.sender.send(&out).await.map_err(|e| match e {
            SendError::Credential(source) => ArmError::Credential { request, source },
            SendError::Transport {
                source, attempts, ..
            } => ArmError::Transport {
                request,
                attempts,
                source,
            },
        })
    }

    /// A GET of one resource; `None` on 404.
    async fn get<T: DeserializeOwned>(
        &self,
        cluster: &ClusterId,
        url: Url,
    ) -> Result<Option<T>, ArmError> {
        let request = RequestLine::new(&Method::GET, &url);
        let response = self
            .send(
                cluster.subscription(),
                Method::GET,
                url,
                None,
                RetryClass::Idempotent,
            )
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = success(&request, response)?;
        decode(&request, &response.body).map(Some)
    }

    /// Every item of a list, following `nextLink` (with GET) until there is none.
    async fn list<T: DeserializeOwned>(
        &self,
        cluster: &ClusterId,
        method: Method,
        url: Url,
    ) -> Result<Vec<T>, ArmError> {
        let mut items = Vec::new();
        let mut next = Some((method, url));
        let mut seen = std::collections::HashSet::new();
        while let Some((method, url)) = next.take() {
            let request = RequestLine::new(&method, &url);
            // A POST list is read-only: retried as a GET is. It sends an empty body so that
            // the request carries `Content-Length: 0`.
            let body = (method == Method::POST).then(Vec::new);
            let response = self
                .send(
                    cluster.subscription(),
                    method,
                    url,
                    body,
                    RetryClass::Idempotent,
                )
                .await?;
            let response = success(&request, response)?;
            let page: wire::Page<T> = decode(&request, &response.body)?;
            items.extend(page.value);
            if let Some(link) = page.next_link.filter(|l| !l.trim().is_empty()) {
                let link = self.follow(&request, &link)?;
                if !seen.insert(link.to_string()) {
                    return Err(ArmError::Decode {
                        request,
                        reason: format!("`nextLink` `{link}` repeats an earlier page"),
                    });
                }
                next = Some((Method::GET, link));
            }
        }
        Ok(items)
    }

    /// A URL the service handed back (`nextLink`, `Azure-AsyncOperation`, `Location`),
    /// resolved against the request and kept on the ARM endpoint.
    fn follow(&self, request: &RequestLine, link: &str) -> Result<Url, ArmError> {
        let base = Url::parse(&request.url).unwrap_or_else(|_| self.endpoint.clone());
        let url = base.join(link.trim()).map_err(|_| ArmError::ForeignUrl {
            request: request.clone(),
            url: link.to_owned(),
        })?;
        if !same_origin(&url, &self.endpoint) {
            return Err(ArmError::ForeignUrl {
                request: request.clone(),
                url: link.to_owned(),
            });
        }
        Ok(url)
    }
}

/// Serialises a request body. The bodies are plain structs of strings, which always encode.
fn encode<T: serde::Serialize>(body: &T) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

/// The response when it is a success, else the error ARM gave.
fn success(request: &RequestLine, response: Response) -> Result<Response, ArmError> {
    if response.status.is_success() {
        return Ok(response);
    }
    let (code, message) = wire::ErrorBody::read(&response.body, response.status);
    Err(ArmError::Status {
        request: request.clone(),
        status: response.status.as_u16(),
        code,
        message,
        attempts: response.attempts,
    })
}

fn decode<T: DeserializeOwned>(request: &RequestLine, body: &[u8]) -> Result<T, ArmError> {
    serde_json::from_slice(body).map_err(|e| ArmError::Decode {
        request: request.clone(),
        reason: e.to_string(),
    })
}
