//! The Kusto management client: `POST {cluster uri}/v1/rest/mgmt` with `{db, csl, properties}`
//! (<https://learn.microsoft.com/kusto/api/rest/request>), v1 tables back
//! (<https://learn.microsoft.com/kusto/api/rest/response>), OneApi error bodies surfaced with their
//! code, message and `@permanent` (<https://learn.microsoft.com/kusto/api/rest/response-v2>).
//!
//! Retries: 429 and 503 unless the error says `"@permanent": true`, other 5xx only when it says
//! `"@permanent": false`, and transport errors (no response). kfollow's commands set a value or
//! add/drop one principal, so a command that ran before its response was lost is harmless to
//! run again.

mod v1;

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Url};
use serde_json::{Value, json};

pub use v1::{V1Column, V1Response, V1Row, V1Table};

use crate::credential::{CredentialError, TokenSource};
use crate::endpoint::{EndpointError, check_endpoint, kusto_scope};
use crate::notice::Observer;
use crate::receipt::{Exchange, FinalStatus, Receipt, WriteError};
use crate::retry::{RetryPolicy, retried};
use crate::transport::{Outgoing, RetryClass, SendError, Sender};

/// The longest command text an error message repeats.
const COMMAND_IN_MESSAGES: usize = 200;

/// A management command that did not succeed. Each variant names the cluster, the database and
/// the command.
#[derive(Debug, thiserror::Error)]
pub enum KustoError {
    /// The cluster uri is refused.
    #[error("the cluster uri `{cluster}` is refused")]
    Endpoint {
        /// The cluster uri.
        cluster: String,
        /// Why.
        #[source]
        source: EndpointError,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    Client(#[source] reqwest::Error),
    /// No token.
    #[error("`{command}` on database `{database}` of `{cluster}` was not sent")]
    Credential {
        /// The cluster uri.
        cluster: String,
        /// The database of the request.
        database: String,
        /// The command, shortened.
        command: String,
        /// Why there is no token.
        #[source]
        source: CredentialError,
    },
    /// No response.
    #[error(
        "`{command}` on database `{database}` of `{cluster}` failed after {attempts} attempt(s)"
    )]
    Transport {
        /// The cluster uri.
        cluster: String,
        /// The database of the request.
        database: String,
        /// The command, shortened.
        command: String,
        /// How many times it was sent.
        attempts: u32,
        /// What the HTTP client said.
        #[source]
        source: reqwest::Error,
    },
    /// The service answered with an error status and (usually) a OneApi error body.
    #[error(
        "`{command}` on database `{database}` of `{cluster}` returned {status} `{code}`: {message}{}",
        retried(*attempts)
    )]
    Service {
        /// The cluster uri.
        cluster: String,
        /// The database of the request.
        database: String,
        /// The command, shortened.
        command: String,
        /// The HTTP status.
        status: u16,
        /// `error.code`.
        code: String,
        /// `error.@message`, else `error.message`.
        message: String,
        /// `error.@permanent`, when sent.
        permanent: Option<bool>,
        /// How many times it was sent.
        attempts: u32,
    },
    /// A command that changes something was sent, and no answer came back: whether it ran is
    /// not known.
    #[error(
        "the outcome of `{command}` on database `{database}` of `{cluster}` is unknown: it was sent but no answer came back after {attempts} attempt(s): {reason}; it may have taken effect, run `kfollow plan` to see the live state"
    )]
    OutcomeUnknown {
        /// The cluster uri.
        cluster: String,
        /// The database of the request.
        database: String,
        /// The command, shortened.
        command: String,
        /// How many times it was sent.
        attempts: u32,
        /// What the HTTP client said, causes included.
        reason: String,
    },
    /// A 200 whose tables carry exceptions (a partial failure).
    #[error("`{command}` on database `{database}` of `{cluster}` failed while running: {message}")]
    PartialFailure {
        /// The cluster uri.
        cluster: String,
        /// The database of the request.
        database: String,
        /// The command, shortened.
        command: String,
        /// The exceptions' text.
        message: String,
    },
    /// A 200 whose body is not v1 tables.
    #[error(
        "`{command}` on database `{database}` of `{cluster}` returned a body kfollow cannot read: {reason}"
    )]
    Decode {
        /// The cluster uri.
        cluster: String,
        /// The database of the request.
        database: String,
        /// The command, shortened.
        command: String,
        /// What did not fit.
        reason: String,
    },
}

impl KustoError {
    /// The HTTP status, when the service answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            KustoError::Service { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The OneApi error code, when the service answered with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            KustoError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the command was sent and whether it ran is not known.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, KustoError::OutcomeUnknown { .. })
    }
}

/// A client of clusters' management endpoints. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct KustoClient {
    sender: Sender,
}

impl std::fmt::Debug for KustoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KustoClient").finish_non_exhaustive()
    }
}

impl KustoClient {
    /// A client with a credential (asked for `{cluster uri}/.default` tokens) and a retry
    /// policy; requests time out after 2 minutes.
    pub fn new(
        credential: Arc<dyn TokenSource>,
        retry: RetryPolicy,
    ) -> Result<KustoClient, KustoError> {
        KustoClient::with_timeout(credential, retry, Duration::from_secs(120))
    }

    /// [`KustoClient::new`] with another per-request timeout.
    pub fn with_timeout(
        credential: Arc<dyn TokenSource>,
        retry: RetryPolicy,
        request_timeout: Duration,
    ) -> Result<KustoClient, KustoError> {
        let sender =
            Sender::new(credential, retry, request_timeout, "kusto").map_err(KustoError::Client)?;
        Ok(KustoClient { sender })
    }

    /// The same client, telling `observer` about the throttling it waits out.
    #[must_use]
    pub fn with_observer(mut self, observer: Observer) -> KustoClient {
        self.sender = self.sender.with_observer(Some(observer));
        self
    }

    /// Runs a management command on a database of a cluster and returns its tables.
    pub async fn mgmt(
        &self,
        cluster_uri: &str,
        database: &str,
        csl: &str,
    ) -> Result<V1Response, KustoError> {
        self.run(cluster_uri, database, csl, false).await.0
    }

    /// Runs a management command that changes something, and returns what it learned: the
    /// ids of each request (kfollow's `x-ms-client-request-id`, the service's
    /// `x-ms-activity-id`), how many were sent, how long it took. A command that was sent but
    /// got no answer fails with [`KustoError::OutcomeUnknown`].
    pub async fn write(
        &self,
        cluster_uri: &str,
        database: &str,
        csl: &str,
    ) -> Result<Receipt, WriteError<KustoError>> {
        let started = tokio::time::Instant::now();
        let (result, requests) = self.run(cluster_uri, database, csl, true).await;
        let receipt = Receipt {
            requests,
            submissions: 1,
            duration: started.elapsed(),
            status: match &result {
                Ok(_) => FinalStatus::Succeeded,
                Err(error) if error.is_outcome_unknown() => FinalStatus::Unknown,
                Err(_) => FinalStatus::Failed,
            },
            ..Receipt::default()
        };
        match result {
            Ok(_) => Ok(receipt),
            Err(error) => Err(WriteError { error, receipt }),
        }
    }

    /// One command and the ids of every request that carried it. A `write` that got no answer
    /// after it may have been delivered has an unknown outcome.
    async fn run(
        &self,
        cluster_uri: &str,
        database: &str,
        csl: &str,
        write: bool,
    ) -> (Result<V1Response, KustoError>, Vec<Exchange>) {
        let mut exchanges = Vec::new();
        let result = self
            .run_recorded(cluster_uri, database, csl, write, &mut exchanges)
            .await;
        (result, exchanges)
    }

    async fn run_recorded(
        &self,
        cluster_uri: &str,
        database: &str,
        csl: &str,
        write: bool,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<V1Response, KustoError> {
        let command = shorten(csl);
        let endpoint_error = |source| KustoError::Endpoint {
            cluster: cluster_uri.to_owned(),
            source,
        };
        let base = check_endpoint(cluster_uri).map_err(endpoint_error)?;
        let scope = kusto_scope(cluster_uri).map_err(endpoint_error)?;
        let url = mgmt_url(&base);
        let body = json!({
            "db": database,
            "csl": csl,
            "properties": { "Options": {} },
        });
        let headers = [
            ("x-ms-app", "kfollow".to_owned()),
            (
                "x-ms-client-version",
                concat!("kfollow/", env!("CARGO_PKG_VERSION")).to_owned(),
            ),
        ];
        let out = Outgoing {
            method: Method::POST,
            url,
            scope: &scope,
            body: Some(serde_json::to_vec(&body).unwrap_or_default()),
            headers: &headers,
            retry: RetryClass::Kusto,
            budget: None,
        };
        let response = self.sender.send(&out).await.map_err(|e| match e {
            SendError::Credential(source) => KustoError::Credential {
                cluster: cluster_uri.to_owned(),
                database: database.to_owned(),
                command: command.clone(),
                source,
            },
            SendError::Transport {
                source,
                attempts,
                maybe_sent,
                exchanges: sent,
            } => {
                exchanges.extend(sent);
                if write && maybe_sent {
                    KustoError::OutcomeUnknown {
                        cluster: cluster_uri.to_owned(),
                        database: database.to_owned(),
                        command: command.clone(),
                        attempts,
                        reason: crate::error_chain(&source),
                    }
                } else {
                    KustoError::Transport {
                        cluster: cluster_uri.to_owned(),
                        database: database.to_owned(),
                        command: command.clone(),
                        attempts,
                        source,
                    }
                }
            }
        })?;
        exchanges.extend(response.exchanges.iter().cloned());
        if !response.status.is_success() {
            let (code, message, permanent) = one_api_error(&response.body, response.status);
            return Err(KustoError::Service {
                cluster: cluster_uri.to_owned(),
                database: database.to_owned(),
                command,
                status: response.status.as_u16(),
                code,
                message,
                permanent,
                attempts: response.attempts,
            });
        }
        parse_v1(&response.body).map_err(|failure| match failure {
            V1Failure::Exceptions(message) => KustoError::PartialFailure {
                cluster: cluster_uri.to_owned(),
                database: database.to_owned(),
                command: command.clone(),
                message,
            },
            V1Failure::Shape(reason) => KustoError::Decode {
                cluster: cluster_uri.to_owned(),
                database: database.to_owned(),
                command: command.clone(),
                reason,
            },
        })
    }
}

/// `{cluster uri}/v1/rest/mgmt`, keeping any path the uri has (the emulator serves each
/// cluster under its own path).
fn mgmt_url(base: &Url) -> Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
        segments.extend(["v1", "rest", "mgmt"]);
    }
    url.set_query(None);
    url
}

fn shorten(csl: &str) -> String {
    let line = csl.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= COMMAND_IN_MESSAGES {
        line
    } else {
        let cut: String = line.chars().take(COMMAND_IN_MESSAGES).collect();
        format!("{cut}…")
    }
}

/// Code, message and `@permanent` of a OneApi error body; the status and raw text when the
/// body is not one.
fn one_api_error(body: &[u8], status: reqwest::StatusCode) -> (String, String, Option<bool>) {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error = value.get("error");
    let text = |key: &str| {
        error
            .and_then(|e| e.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let code = text("code").unwrap_or_else(|| {
        status
            .canonical_reason()
            .unwrap_or("Unknown")
            .replace(' ', "")
    });
    let message = text("@message")
        .or_else(|| text("message"))
        .unwrap_or_else(|| {
            let raw = String::from_utf8_lossy(body);
            let raw = raw.trim();
            if raw.is_empty() {
                "(no message)".to_owned()
            } else {
                raw.chars().take(500).collect()
            }
        });
    let permanent = error
        .and_then(|e| e.get("@permanent"))
        .and_then(Value::as_bool);
    (code, message, permanent)
}

enum V1Failure {
    Exceptions(String),
    Shape(String),
}

/// Parses v1 tables; a row that is an object with `Exceptions` is a failure reported after the
/// 200 status.
fn parse_v1(body: &[u8]) -> Result<V1Response, V1Failure> {
    let value: Value = serde_json::from_slice(body).map_err(|e| V1Failure::Shape(e.to_string()))?;
    let exceptions: Vec<String> = value
        .get("Tables")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|table| table.get("Rows").and_then(Value::as_array))
        .flatten()
        .filter_map(|row| row.get("Exceptions").and_then(Value::as_array))
        .flatten()
        .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
        .collect();
    if !exceptions.is_empty() {
        return Err(V1Failure::Exceptions(exceptions.join("; ")));
    }
    serde_json::from_value(value).map_err(|e| V1Failure::Shape(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mgmt_url_keeps_the_cluster_path() {
        let base = Url::parse("http://127.0.0.1:9/clusters/fcemea/").unwrap();
        assert_eq!(
            mgmt_url(&base).as_str(),
            "http://127.0.0.1:9/clusters/fcemea/v1/rest/mgmt"
        );
        let base = Url::parse("https://x.kusto.windows.net").unwrap();
        assert_eq!(
            mgmt_url(&base).as_str(),
            "https://x.kusto.windows.net/v1/rest/mgmt"
        );
    }

    #[test]
    fn one_api_errors_are_read() {
        // Shape of <https://learn.microsoft.com/kusto/api/rest/response-v2>, cut down.
        let body = br#"{"error":{"code":"General_BadRequest","message":"Request is invalid and cannot be executed.","@message":"Semantic error: SEM0100","@permanent":true}}"#;
        let (code, message, permanent) = one_api_error(body, reqwest::StatusCode::BAD_REQUEST);
        assert_eq!(code, "General_BadRequest");
        assert_eq!(message, "Semantic error: SEM0100");
        assert_eq!(permanent, Some(true));
        let (code, message, permanent) = one_api_error(b"", reqwest::StatusCode::UNAUTHORIZED);
        assert_eq!(
            (code.as_str(), message.as_str(), permanent),
            ("Unauthorized", "(no message)", None)
        );
    }

    #[test]
    fn exceptions_after_200_are_failures() {
        let body = br#"{"Tables":[{"TableName":"Table_0","Columns":[],"Rows":[{"Exceptions":["boom"]}]}]}"#;
        assert!(matches!(parse_v1(body), Err(V1Failure::Exceptions(m)) if m == "boom"));
    }
}
