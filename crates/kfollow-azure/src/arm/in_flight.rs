//! Waiting, without writing, for an operation that was already running on an attachment when
//! the plan was made: an interrupted apply's attach, another pipeline's detach, the portal's
//! update. Azure lists such an attachment with a `provisioningState` that is not final
//! (`Creating`, `Running`, `Deleting`), and its cluster accepts no other write until the
//! operation ends, so the plan waits for it rather than sending the same write again.
//!
//! The wait reads the attachment at once (the operation may have ended since the plan), then
//! when operations of its kind usually end ([`super::PollPlanner`]; what it saw is not learned
//! from: the operation started before the wait did). A read that fails does not end the wait;
//! as for a write, failures in a row or the operation timeout make the outcome unknown.

use tokio::time::Instant;

use kfollow_model::ClusterId;
use reqwest::Method;

use super::error::Unknown;
use super::poll::OperationKind;
use super::write::finish;
use super::{ArmClient, ArmError};
use crate::receipt::{Receipt, WriteError};
use crate::transport::RequestLine;

/// What ends a wait for an operation already running on an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwaitEnd {
    /// An attach or an update: the attachment's `provisioningState` becomes `Succeeded`.
    Final,
    /// A detach: the attachment is gone.
    Gone,
}

/// What one read of the attachment found.
enum Seen {
    Running,
    Done,
    /// Not what the wait counted on, in words.
    Otherwise(String),
}

impl ArmClient {
    /// Waits for the operation running on attachment `name` of `follower` to end as `until`
    /// says. Sends only GETs of the attachment; the receipt counts them as polls.
    ///
    /// # Errors
    ///
    /// [`ArmError::NotAsAwaited`] when the operation ended otherwise (an attachment being
    /// created is gone or `Failed`, one being deleted is still there), and
    /// [`ArmError::OutcomeUnknown`] when its end could not be seen.
    pub async fn await_attachment(
        &self,
        follower: &ClusterId,
        name: &str,
        until: AwaitEnd,
    ) -> Result<Receipt, WriteError<ArmError>> {
        let url = self.url(follower, &["attachedDatabaseConfigurations", name]);
        let request = RequestLine::new(&Method::GET, &url);
        let kind = match until {
            AwaitEnd::Final => OperationKind::AttachmentPut,
            AwaitEnd::Gone => OperationKind::AttachmentDelete,
        };
        let started = Instant::now();
        let deadline = started + self.operation_timeout;
        let mut receipt = Receipt::default();
        let mut failures = 0u32;
        let deadline_passed = || ArmError::OutcomeUnknown {
            request: request.clone(),
            reason: Unknown::Deadline(self.operation_timeout),
        };
        let result = loop {
            receipt.polls += 1;
            let Ok(read) =
                tokio::time::timeout_at(deadline, self.get_attachment(follower, name)).await
            else {
                break Err(deadline_passed());
            };
            match read {
                Ok(found) => {
                    failures = 0;
                    let seen = match (found, until) {
                        (None, AwaitEnd::Gone) => Seen::Done,
                        (None, AwaitEnd::Final) => Seen::Otherwise(format!(
                            "the attachment `{name}` is gone: the operation that was running on \
                             it did not leave it in place"
                        )),
                        (Some(live), _) if live.operation_in_progress().is_some() => Seen::Running,
                        (Some(live), AwaitEnd::Gone) => Seen::Otherwise(format!(
                            "the attachment `{name}` is still there (`{}`): the detach that was \
                             running on it did not remove it",
                            live.provisioning_state.unwrap_or_default()
                        )),
                        (Some(live), AwaitEnd::Final) => {
                            let state = live.provisioning_state.unwrap_or_default();
                            if state.is_empty() || state.eq_ignore_ascii_case("Succeeded") {
                                Seen::Done
                            } else {
                                Seen::Otherwise(format!(
                                    "the operation that was running on the attachment `{name}` \
                                     ended `{state}`"
                                ))
                            }
                        }
                    };
                    match seen {
                        Seen::Running => {}
                        Seen::Done => break Ok(()),
                        Seen::Otherwise(what) => {
                            break Err(ArmError::NotAsAwaited {
                                request: request.clone(),
                                what,
                            });
                        }
                    }
                }
                Err(error) => {
                    failures += 1;
                    tracing::debug!(request = %request, failures, error = %error, "read of an attachment being waited for failed");
                    if failures >= self.planner.policy().max_failures.max(1) {
                        break Err(ArmError::OutcomeUnknown {
                            request: request.clone(),
                            reason: Unknown::PollsFailed {
                                failures,
                                last: error.to_string(),
                            },
                        });
                    }
                }
            }
            let wait = if failures > 0 {
                self.planner.failure_wait(failures)
            } else {
                self.planner.next_wait(kind, started.elapsed())
            };
            if Instant::now() + wait >= deadline {
                tokio::time::sleep_until(deadline).await;
                break Err(deadline_passed());
            }
            tokio::time::sleep(wait).await;
        };
        finish(receipt, started, result)
    }
}
