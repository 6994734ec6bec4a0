//! Waiting for a write's long-running operation, as the ARM resource provider contract
//! describes it and the Microsoft.Kusto REST specification declares for each write
//! (`x-ms-long-running-operation`, 201/202 with `Azure-AsyncOperation`, `Location`,
//! `Retry-After`):
//!
//! 1. `Azure-AsyncOperation` present: poll it until `status` is `Succeeded`, `Failed` or
//!    `Canceled`.
//! 2. Else `Location` present: poll it while it answers 202; 200/201/204 mean done; a client
//!    error carries the operation's error.
//! 3. Else a PUT whose body says a non-terminal `provisioningState`: poll the resource.
//! 4. Else the write finished with its response.
//!
//! Azure sends `Azure-AsyncOperation` even on 200, so headers are followed whatever the success
//! status. Each poll waits the response's `Retry-After` when there is one, else what the
//! [`PollPlanner`] says from the operations of the same kind that already finished.
//!
//! A poll that fails (no answer, 429, 5xx, a body that cannot be read) does not fail the write:
//! the operation runs on in Azure. Polling goes on with backoff; after
//! [`PollPolicy::max_failures`](super::PollPolicy::max_failures) failures in a row, or at the
//! operation timeout, the write's outcome is reported unknown, never failed.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use tokio::time::Instant;

use super::error::Unknown;
use super::poll::{OperationKind, PollPlanner, Timing};
use super::wire::{ErrorBody, OperationStatus, ProvisioningProbe};
use super::{ArmClient, ArmError, decode};
use crate::receipt::Receipt;
use crate::retry::retry_after;
use crate::transport::{RequestLine, Response, RetryClass, header_text};

/// The shortest wait between two polls of one operation, whatever `Retry-After` says.
const MIN_POLL_WAIT: Duration = Duration::from_millis(10);

/// How an operation ended.
#[derive(Debug)]
pub(super) enum Ended {
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
}

/// What one status poll found.
enum Poll {
    Running {
        retry_after: Option<Duration>,
    },
    Ended {
        ended: Ended,
        took: Option<Duration>,
    },
    /// The poll itself failed; the operation's state is as unknown as before.
    Failed(ArmError),
}

/// Where the operation's state is read.
enum Watch {
    AsyncOperation(Url),
    Location(Url),
    Resource(Url),
}

impl Watch {
    fn url(&self) -> &Url {
        match self {
            Watch::AsyncOperation(url) | Watch::Location(url) | Watch::Resource(url) => url,
        }
    }
}

/// A write that is waiting for its operation.
pub(super) struct Pending<'a> {
    pub request: &'a RequestLine,
    pub subscription: &'a str,
    pub resource: &'a Url,
    pub kind: OperationKind,
    pub is_put: bool,
}

/// The operation's id: the last path segment of its status URL.
fn operation_id(url: &Url) -> Option<String> {
    url.path_segments()
        .and_then(|mut segments| segments.next_back())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

impl ArmClient {
    /// Waits for the operation a write's response started, counting its polls in `receipt`.
    pub(super) async fn wait(
        &self,
        write: &Pending<'_>,
        response: &Response,
        receipt: &mut Receipt,
    ) -> Result<Ended, ArmError> {
        if response.status == StatusCode::NO_CONTENT {
            return Ok(Ended::Succeeded);
        }
        let watch = if let Some(link) = header_text(&response.headers, "azure-asyncoperation") {
            Watch::AsyncOperation(self.follow(write.request, &link)?)
        } else if let Some(link) = header_text(&response.headers, "location") {
            Watch::Location(self.follow(write.request, &link)?)
        } else if write.is_put && !provisioning_settled(&response.body) {
            Watch::Resource(write.resource.clone())
        } else {
            return Ok(Ended::Succeeded);
        };
        if !matches!(watch, Watch::Resource(_)) {
            receipt.operation_id = operation_id(watch.url());
        }
        self.poll_until_ended(write, &watch, retry_after(&response.headers), receipt)
            .await
    }

    async fn poll_until_ended(
        &self,
        write: &Pending<'_>,
        watch: &Watch,
        mut told_wait: Option<Duration>,
        receipt: &mut Receipt,
    ) -> Result<Ended, ArmError> {
        let planner: &PollPlanner = &self.planner;
        let answered = Instant::now();
        let deadline = answered + self.operation_timeout;
        let mut failures = 0u32;
        let mut running_at = None;
        loop {
            let wait = told_wait.take().map_or_else(
                || {
                    if failures > 0 {
                        planner.failure_wait(failures)
                    } else {
                        planner.next_wait(write.kind, answered.elapsed())
                    }
                },
                |told| told.max(MIN_POLL_WAIT),
            );
            if Instant::now() + wait >= deadline {
                tokio::time::sleep_until(deadline).await;
                return Err(ArmError::OutcomeUnknown {
                    request: write.request.clone(),
                    reason: Unknown::Deadline(self.operation_timeout),
                });
            }
            tokio::time::sleep(wait).await;
            // The deadline bounds a poll too: one stuck in its own retries must not outlast it.
            let Ok(poll) =
                tokio::time::timeout_at(deadline, self.poll_once(write, watch, receipt)).await
            else {
                return Err(ArmError::OutcomeUnknown {
                    request: write.request.clone(),
                    reason: Unknown::Deadline(self.operation_timeout),
                });
            };
            match poll {
                Poll::Running { retry_after } => {
                    failures = 0;
                    running_at = Some(answered.elapsed());
                    told_wait = retry_after;
                }
                Poll::Ended { ended, took } => {
                    if matches!(ended, Ended::Succeeded) {
                        let timing = took.map_or(
                            Timing::Seen {
                                running_at,
                                done_at: answered.elapsed(),
                            },
                            Timing::Exact,
                        );
                        planner.record(write.kind, timing);
                    }
                    return Ok(ended);
                }
                Poll::Failed(error) => {
                    failures += 1;
                    tracing::debug!(
                        request = %write.request,
                        failures,
                        error = %error,
                        "status poll failed; the operation is still waited for"
                    );
                    if failures >= planner.policy().max_failures.max(1) {
                        return Err(ArmError::OutcomeUnknown {
                            request: write.request.clone(),
                            reason: Unknown::PollsFailed {
                                failures,
                                last: error.to_string(),
                            },
                        });
                    }
                }
            }
        }
    }

    /// One status request (with the sender's own retries), read as the watch's form says.
    async fn poll_once(&self, write: &Pending<'_>, watch: &Watch, receipt: &mut Receipt) -> Poll {
        let url = watch.url();
        let poll_line = RequestLine::new(&Method::GET, url);
        let response = match self
            .send(
                write.subscription,
                Method::GET,
                url.clone(),
                None,
                RetryClass::Idempotent,
            )
            .await
        {
            Ok(response) => response,
            Err(error) => {
                receipt.polls += match &error {
                    ArmError::Transport { attempts, .. } => *attempts,
                    _ => 0,
                };
                return Poll::Failed(error);
            }
        };
        receipt.polls += response.attempts;
        let status = response.status;
        let transient = status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error();
        match watch {
            Watch::Location(_) if status == StatusCode::ACCEPTED => Poll::Running {
                retry_after: retry_after(&response.headers),
            },
            Watch::Location(_) if status.is_success() => Poll::Ended {
                ended: Ended::Succeeded,
                took: None,
            },
            // The Location form reports the operation's own failure as a client error.
            Watch::Location(_) if !transient => {
                let (code, message) = ErrorBody::read(&response.body, status);
                Poll::Ended {
                    ended: Ended::Failed { code, message },
                    took: None,
                }
            }
            _ if !status.is_success() => {
                let (code, message) = ErrorBody::read(&response.body, status);
                Poll::Failed(ArmError::Status {
                    request: poll_line,
                    status: status.as_u16(),
                    code,
                    message,
                    attempts: response.attempts,
                })
            }
            Watch::AsyncOperation(_) => match operation_status(&poll_line, &response.body) {
                Ok((Some(ended), took)) => Poll::Ended { ended, took },
                Ok((None, _)) => Poll::Running {
                    retry_after: retry_after(&response.headers),
                },
                Err(error) => Poll::Failed(error),
            },
            // Every answer to a `Location` poll was read by an arm above.
            Watch::Resource(_) | Watch::Location(_) => match resource_state(&response.body) {
                Some(ended) => Poll::Ended { ended, took: None },
                None => Poll::Running {
                    retry_after: retry_after(&response.headers),
                },
            },
        }
    }
}

/// An `Azure-AsyncOperation` status: how it ended, if it did, and how long it ran by the
/// service's clock.
fn operation_status(
    poll_line: &RequestLine,
    body: &[u8],
) -> Result<(Option<Ended>, Option<Duration>), ArmError> {
    let status: OperationStatus = decode(poll_line, body)?;
    let took = status.duration();
    let word = status.status.clone().unwrap_or_default();
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
    Ok((ended, took))
}

/// A polled resource's `provisioningState`; a resource that shows none is done.
fn resource_state(body: &[u8]) -> Option<Ended> {
    let state = provisioning_state(body).unwrap_or_default();
    if state.is_empty() {
        return Some(Ended::Succeeded);
    }
    Ended::read(&state, || {
        (
            "ProvisioningFailed".to_owned(),
            format!("the resource's `provisioningState` is `{state}`"),
        )
    })
}

fn provisioning_state(body: &[u8]) -> Option<String> {
    let probe: ProvisioningProbe = serde_json::from_slice(body).unwrap_or_default();
    probe.properties.and_then(|p| p.provisioning_state)
}

/// True when a PUT's response body shows no `provisioningState` or a terminal one.
fn provisioning_settled(body: &[u8]) -> bool {
    provisioning_state(body).is_none_or(|state| Ended::read(&state, Default::default).is_some())
}
