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
use super::{ArmClient, ArmError, success};
use crate::retry::retry_after;
use crate::transport::{RequestLine, Response, RetryClass};

/// The shortest wait between two polls of one operation.
const MIN_POLL_WAIT: Duration = Duration::from_millis(10);

/// How an operation ended, read from a status word.
enum Terminal {
    Succeeded,
    Failed,
    Canceled,
}

fn terminal(status: &str) -> Option<Terminal> {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" => Some(Terminal::Succeeded),
        "failed" => Some(Terminal::Failed),
        "canceled" | "cancelled" => Some(Terminal::Canceled),
        _ => None,
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
            return self.poll_status(request, url, first_wait, deadline).await;
        }
        if let Some(link) = header(&response.headers, "location") {
            let url = self.follow(request, &link)?;
            return self.poll_location(request, url, first_wait, deadline).await;
        }
        if is_put && !provisioning_settled(&response.body) {
            return self
                .poll_resource(request, resource.clone(), first_wait, deadline)
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

    async fn poll_status(
        &self,
        request: &RequestLine,
        url: Url,
        mut wait: Option<Duration>,
        deadline: Instant,
    ) -> Result<(), ArmError> {
        loop {
            self.pause(request, wait, deadline).await?;
            let poll_line = RequestLine::new(&Method::GET, &url);
            let response = success(&poll_line, self.poll(request, &url).await?)?;
            let status: OperationStatus =
                serde_json::from_slice(&response.body).map_err(|e| ArmError::Decode {
                    request: poll_line.clone(),
                    reason: e.to_string(),
                })?;
            let word = status.status.unwrap_or_default();
            match terminal(&word) {
                Some(Terminal::Succeeded) => return Ok(()),
                Some(Terminal::Failed) => {
                    let error = status.error.unwrap_or_default();
                    return Err(ArmError::OperationFailed {
                        request: request.clone(),
                        code: error.code.unwrap_or_else(|| "OperationFailed".to_owned()),
                        message: error
                            .message
                            .unwrap_or_else(|| "the operation reported `Failed`".to_owned()),
                    });
                }
                Some(Terminal::Canceled) => {
                    return Err(ArmError::OperationCanceled {
                        request: request.clone(),
                    });
                }
                None => {
                    tracing::debug!(url = %url, status = %word, "operation in progress");
                    wait = retry_after(&response.headers);
                }
            }
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

    async fn poll_resource(
        &self,
        request: &RequestLine,
        url: Url,
        mut wait: Option<Duration>,
        deadline: Instant,
    ) -> Result<(), ArmError> {
        loop {
            self.pause(request, wait, deadline).await?;
            let poll_line = RequestLine::new(&Method::GET, &url);
            let response = success(&poll_line, self.poll(request, &url).await?)?;
            let probe: ProvisioningProbe =
                serde_json::from_slice(&response.body).unwrap_or_default();
            let state = probe
                .properties
                .and_then(|p| p.provisioning_state)
                .unwrap_or_default();
            if state.is_empty() {
                return Ok(());
            }
            match terminal(&state) {
                Some(Terminal::Succeeded) => return Ok(()),
                Some(Terminal::Failed) => {
                    return Err(ArmError::OperationFailed {
                        request: request.clone(),
                        code: "ProvisioningFailed".to_owned(),
                        message: format!("the resource's `provisioningState` is `{state}`"),
                    });
                }
                Some(Terminal::Canceled) => {
                    return Err(ArmError::OperationCanceled {
                        request: request.clone(),
                    });
                }
                None => wait = retry_after(&response.headers),
            }
        }
    }
}

/// True when a PUT's response body shows no `provisioningState` or a terminal one.
fn provisioning_settled(body: &[u8]) -> bool {
    let probe: ProvisioningProbe = serde_json::from_slice(body).unwrap_or_default();
    match probe.properties.and_then(|p| p.provisioning_state) {
        None => true,
        Some(state) => terminal(&state).is_some(),
    }
}
