//! A write from its first request to its end: submit, wait for its operation ([`super::lro`]),
//! submit again while the cluster is busy, and keep a [`Receipt`] of it all.
//!
//! A Kusto cluster runs one write at a time. A write that arrives while another runs (the
//! portal's, another pipeline's, the platform's maintenance) is refused, either at once with
//! 409 or, as Azure mostly does, accepted and its operation failed, with code
//! `ServiceIsInMaintenance` ("[Conflict] Cluster '…' is in process of maintenance for a short
//! period. You may retry to invoke the operation in a few minutes.") or `Conflict`. Nothing was
//! changed then, and every write kfollow sends is safe to send again, so it is: after
//! [`BusyPolicy`]'s backoff, a bounded number of times.

use std::time::Duration;

use kfollow_model::ClusterId;
use rand::Rng;
use reqwest::{Method, StatusCode, Url};
use tokio::time::Instant;

use super::error::Unknown;
use super::lro::{Ended, Pending};
use super::poll::OperationKind;
use super::{ArmClient, ArmError, success};
use crate::notice::{Notice, tell};
use crate::receipt::{FinalStatus, Receipt, WriteError};
use crate::transport::{Outgoing, RequestLine, RetryClass, SendError};

/// The error codes of a cluster busy with another write.
const BUSY_CODES: [&str; 2] = ["ServiceIsInMaintenance", "Conflict"];

/// How a write is submitted again while its cluster is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyPolicy {
    /// How many times a write is submitted at most, the first included (at least 1).
    pub max_tries: u32,
    /// The wait before the second try; each later wait is half as long again, up to
    /// `max_wait`, ±20%.
    pub first_wait: Duration,
    /// The longest wait between two tries.
    pub max_wait: Duration,
}

impl Default for BusyPolicy {
    /// 6 tries over about 9 minutes: waits of 40 s, 1 min, 1.5 min, 2.25 min and 3.4 min.
    fn default() -> BusyPolicy {
        BusyPolicy {
            max_tries: 6,
            first_wait: Duration::from_secs(40),
            max_wait: Duration::from_secs(240),
        }
    }
}

impl BusyPolicy {
    /// Millisecond waits, for tests.
    pub fn fast(max_tries: u32) -> BusyPolicy {
        BusyPolicy {
            max_tries,
            first_wait: Duration::from_millis(1),
            max_wait: Duration::from_millis(5),
        }
    }

    /// The wait after try number `tried` (1 for the first) found the cluster busy.
    fn wait(&self, tried: u32) -> Duration {
        let exponent = i32::try_from(tried.saturating_sub(1).min(30)).unwrap_or(30);
        let ceiling = self
            .first_wait
            .mul_f64(1.5f64.powi(exponent))
            .min(self.max_wait);
        ceiling.mul_f64(rand::rng().random_range(0.8..=1.2))
    }
}

/// What one write sends.
pub(super) struct Write<'a> {
    pub cluster: &'a ClusterId,
    pub kind: OperationKind,
    pub method: Method,
    pub url: Url,
    pub body: Option<Vec<u8>>,
    pub retry: RetryClass,
}

impl ArmClient {
    /// Submits a write until it is not refused for a busy cluster, and waits for its
    /// operation.
    pub(super) async fn write(&self, write: Write<'_>) -> Result<Receipt, WriteError<ArmError>> {
        let request = RequestLine::new(&write.method, &write.url);
        let started = Instant::now();
        let max_tries = self.busy.max_tries.max(1);
        let mut receipt = Receipt::default();
        let result = loop {
            receipt.submissions += 1;
            let result = self.submit(&write, &request, &mut receipt).await;
            let Some((code, message)) = busy(&result) else {
                break result.and_then(|ended| ended_result(ended, &request));
            };
            if receipt.submissions >= max_tries {
                break Err(ArmError::StillBusy {
                    request: request.clone(),
                    code,
                    message,
                    tries: receipt.submissions,
                });
            }
            let wait = self.busy.wait(receipt.submissions);
            tracing::debug!(request = %request, code = %code, wait_ms = wait.as_millis() as u64, "cluster busy; submitting again");
            tell(
                self.observer.as_ref(),
                Notice::Busy {
                    cluster: write.cluster.name().to_owned(),
                    code,
                    wait,
                    attempt: receipt.submissions,
                    max_tries,
                },
            );
            tokio::time::sleep(wait).await;
        };
        finish(receipt, started, result)
    }

    /// One submission and the wait for its operation.
    async fn submit(
        &self,
        write: &Write<'_>,
        request: &RequestLine,
        receipt: &mut Receipt,
    ) -> Result<Ended, ArmError> {
        let out = Outgoing {
            method: write.method.clone(),
            url: write.url.clone(),
            scope: &self.scope,
            body: write.body.clone(),
            headers: &[],
            retry: write.retry,
            budget: Some((&self.budgets, write.cluster.subscription())),
        };
        let response = match self.sender.send(&out).await {
            Ok(response) => response,
            Err(SendError::Credential(source)) => {
                return Err(ArmError::Credential {
                    request: request.clone(),
                    source,
                });
            }
            Err(SendError::Transport {
                source,
                attempts,
                maybe_sent,
                exchanges,
            }) => {
                receipt.requests.extend(exchanges);
                if maybe_sent {
                    return Err(ArmError::OutcomeUnknown {
                        request: request.clone(),
                        reason: Unknown::NoResponse {
                            attempts,
                            reason: crate::error_chain(&source),
                        },
                    });
                }
                return Err(ArmError::Transport {
                    request: request.clone(),
                    attempts,
                    source,
                });
            }
        };
        receipt.requests.extend(response.exchanges.iter().cloned());
        if write.method == Method::DELETE && response.status == StatusCode::NOT_FOUND {
            tracing::debug!(url = %write.url, "already absent");
            return Ok(Ended::Succeeded);
        }
        let response = success(request, response)?;
        let pending = Pending {
            request,
            subscription: write.cluster.subscription(),
            resource: &write.url,
            kind: write.kind,
            is_put: write.method == Method::PUT,
        };
        self.wait(&pending, &response, receipt).await
    }
}

/// The code and message of a refusal for a busy cluster: a failed operation, or a 409, with
/// one of [`BUSY_CODES`].
fn busy(result: &Result<Ended, ArmError>) -> Option<(String, String)> {
    let (code, message) = match result {
        Ok(Ended::Failed { code, message }) => (code, message),
        Err(ArmError::Status {
            status: 409,
            code,
            message,
            ..
        }) => (code, message),
        _ => return None,
    };
    BUSY_CODES
        .iter()
        .any(|busy| busy.eq_ignore_ascii_case(code))
        .then(|| (code.clone(), message.clone()))
}

fn ended_result(ended: Ended, request: &RequestLine) -> Result<(), ArmError> {
    match ended {
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

/// The receipt of a write (or a wait) that ended with `result`, `started` at that instant.
pub(super) fn finish(
    mut receipt: Receipt,
    started: Instant,
    result: Result<(), ArmError>,
) -> Result<Receipt, WriteError<ArmError>> {
    receipt.duration = started.elapsed();
    receipt.status = match &result {
        Ok(()) => FinalStatus::Succeeded,
        Err(ArmError::OutcomeUnknown { .. }) => FinalStatus::Unknown,
        Err(ArmError::OperationCanceled { .. }) => FinalStatus::Canceled,
        Err(_) => FinalStatus::Failed,
    };
    match result {
        Ok(()) => Ok(receipt),
        Err(error) => Err(WriteError { error, receipt }),
    }
}
