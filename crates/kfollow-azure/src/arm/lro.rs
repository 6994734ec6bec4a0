//! Waiting for a write's long-running operation, as the ARM resource provider contract
//! describes it and `reference/arm-kusto-follower-subset.json` declares for each write
//! (`x-ms-long-running-operation`, 201/202 with `Azure-AsyncOperation`, `Location`,
//! `Retry-After`):
//!
//! 1. `Azure-AsyncOperation` present: poll it until `status` is `Succeeded`, `Failed` or
//!    `Canceled` (`reference/arm-examples/KustoOperationResultsGet.json`).
//! 2. Else `Location` present: poll it while it answers 202; 200/201/204 mean done; an error
//!    status carries the operation's error.
//! 3. Else a PUT whose body says a non-terminal `provisioningState`: poll the resource.
//! 4. Else the write finished with its response.
//!
//! The official examples send `Azure-AsyncOperation` even on 200, so headers are followed
//! whatever the success status. Each poll waits the response's `Retry-After`, else the
//! configured interval; the whole wait is bounded by the operation timeout.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use tokio::time::Instant;

use super::wire::{ErrorBody, OperationStatus, ProvisioningProbe};
use super::{ArmClient, ArmError, decode, success};
use crate::retry::retry_after;
use crate::transport::{RequestLine, Response, RetryClass};

/// The shortest wait between two polls of one operation.
const MIN_POLL_WAIT: Duration = Duration::from_millis(10);

/// How an operation ended.
enum Ended {
    Succeeded,
    /// Failed, with the code and message of the error to report.
    Failed {
        code: String,
        message: String,
    },
    Canceled,
}

impl Ended {
    /// Reads a status word (`Succeeded`, `Failed`, `Canceled`); `None` while the operation
    /// runs. `failure` gives the code and message of a `Failed` one.
    fn read(word: &str, failure: impl FnOnce() -> (String, String)) -> Option<Ended> {
        match word.to_ascii_lowercase().as_str() {
            "succeeded" => Some(Ended::Succeeded),
            "failed" => {
                let (code, message) = failure();
                Some(Ended::Failed { code, message })
            }
            "canceled" | "cancelled" => Some(Ended::Canceled),
            _ => None,
        }
    }

    /// The write's result.
    fn into_result(self, request: &RequestLine) -> Result<(), ArmError> {
        match self {
            Ended::Succeeded => Ok(()),
            Ended::Failed { code, message } => Err(ArmError::OperationFailed {
                request: request.clone(),
                code,
                message,
            }),
            Ended::Canceled => Err(ArmError::OperationCanceled {
                request: request.clone(),
            }),
        }
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl ArmClient {
    /// Waits for the operation a write's response started.
    pub(super) async fn wait(
        &self,
        request: &RequestLine,
        resource: &Url,
        response: &Response,
        is_put: bool,
    ) -> Result<(), ArmError> {
        if response.status == StatusCode::NO_CONTENT {
            return Ok(());
        }
        let deadline = Instant::now() + self.operation_timeout;
        let first_wait = retry_after(&response.headers);
        if let Some(link) = header(&response.headers, "azure-asyncoperation") {
            let url = self.follow(request, &link)?;
            return self
                .poll_until(request, url, first_wait, deadline, operation_status)
                .await;
        }
        if let Some(link) = header(&response.headers, "location") {
            let url = self.follow(request, &link)?;
            return self.poll_location(request, url, first_wait, deadline).await;
        }
        if is_put && !provisioning_settled(&response.body) {
            return self
                .poll_until(
                    request,
                    resource.clone(),
                    first_wait,
                    deadline,
                    resource_state,
                )
                .await;
        }
        Ok(())
    }

    /// Sleeps before the next poll, or fails when the deadline would pass first.
    async fn pause(
        &self,
        request: &RequestLine,
        wait: Option<Duration>,
        deadline: Instant,
    ) -> Result<(), ArmError> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        // A `Retry-After: 0` on a running operation would make a busy loop.
        let wait = wait.unwrap_or(self.poll_interval).max(MIN_POLL_WAIT);
        if wait >= remaining {
            tokio::time::sleep(remaining).await;
            return Err(ArmError::OperationTimeout {
                request: request.clone(),
                timeout: self.operation_timeout,
            });
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    async fn poll(&self, request: &RequestLine, url: &Url) -> Result<Response, ArmError> {
        self.send(Method::GET, url.clone(), None, RetryClass::Idempotent)
            .await
            .map_err(|e| match e {
                // The poll's own request line would hide which write this was.
                ArmError::Transport {
                    attempts, source, ..
                } => ArmError::Transport {
                    request: request.clone(),
                    attempts,
                    source,
                },
                other => other,
            })
    }

    /// Polls `url` until `read` finds in a response's body that the operation ended.
    async fn poll_until(
        &self,
        request: &RequestLine,
        url: Url,
        mut wait: Option<Duration>,
        deadline: Instant,
        read: impl Fn(&RequestLine, &[u8]) -> Result<Option<Ended>, ArmError>,
    ) -> Result<(), ArmError> {
        loop {
            self.pause(request, wait, deadline).await?;
            let poll_line = RequestLine::new(&Method::GET, &url);
            let response = success(&poll_line, self.poll(request, &url).await?)?;
            if let Some(ended) = read(&poll_line, &response.body)? {
                return ended.into_result(request);
            }
            wait = retry_after(&response.headers);
        }
    }

    async fn poll_location(
        &self,
        request: &RequestLine,
        url: Url,
        mut wait: Option<Duration>,
        deadline: Instant,
    ) -> Result<(), ArmError> {
        loop {
            self.pause(request, wait, deadline).await?;
            let response = self.poll(request, &url).await?;
            match response.status {
                StatusCode::ACCEPTED => wait = retry_after(&response.headers),
                status if status.is_success() => return Ok(()),
                status => {
                    let (code, message) = ErrorBody::read(&response.body, status);
                    return Err(ArmError::OperationFailed {
                        request: request.clone(),
                        code,
                        message,
                    });
                }
            }
        }
    }
}

/// An `Azure-AsyncOperation` status (`reference/arm-examples/KustoOperationResultsGet.json`).
fn operation_status(poll_line: &RequestLine, body: &[u8]) -> Result<Option<Ended>, ArmError> {
    let status: OperationStatus = decode(poll_line, body)?;
    let word = status.status.unwrap_or_default();
    let ended = Ended::read(&word, || {
        let error = status.error.unwrap_or_default();
        (
            error.code.unwrap_or_else(|| "OperationFailed".to_owned()),
            error
                .message
                .unwrap_or_else(|| "the operation reported `Failed`".to_owned()),
        )
    });
    if ended.is_none() {
        tracing::debug!(url = %poll_line.url, status = %word, "operation in progress");
    }
    Ok(ended)
}

/// A polled resource's `provisioningState`; a resource that shows none is done.
fn resource_state(_: &RequestLine, body: &[u8]) -> Result<Option<Ended>, ArmError> {
    let state = provisioning_state(body).unwrap_or_default();
    if state.is_empty() {
        return Ok(Some(Ended::Succeeded));
    }
    Ok(Ended::read(&state, || {
        (
            "ProvisioningFailed".to_owned(),
            format!("the resource's `provisioningState` is `{state}`"),
        )
    }))
}

fn provisioning_state(body: &[u8]) -> Option<String> {
    let probe: ProvisioningProbe = serde_json::from_slice(body).unwrap_or_default();
    probe.properties.and_then(|p| p.provisioning_state)
}

/// True when a PUT's response body shows no `provisioningState` or a terminal one.
fn provisioning_settled(body: &[u8]) -> bool {
    provisioning_state(body).is_none_or(|state| Ended::read(&state, Default::default).is_some())
}
