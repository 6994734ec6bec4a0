//! The one seam between the scheduler and the outside world: something that carries out one
//! [`Operation`].

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;

use kfollow_azure::Receipt;
use kfollow_model::Operation;

/// Carries out one write of the plan (or one wait for an operation the plan found running).
///
/// The scheduler calls it only with operations taken from the plan it was given, at most once
/// per operation, and never with two operations on the same cluster ([`Operation::cluster`]) at
/// the same time. Waiting for a long-running operation to finish and retrying transient errors
/// are the executor's job: when the returned future resolves, the write is over, and the
/// [`Receipt`] says what it learned (request ids, polls, tries).
pub trait Executor: Send + Sync {
    /// Sends `operation` and waits until it has taken effect, failed, or can no longer be
    /// known to have done either ([`ExecError::is_outcome_unknown`]).
    fn execute(
        &self,
        operation: &Operation,
    ) -> impl Future<Output = Result<Receipt, ExecError>> + Send;
}

impl<E: Executor + ?Sized> Executor for &E {
    fn execute(
        &self,
        operation: &Operation,
    ) -> impl Future<Output = Result<Receipt, ExecError>> + Send {
        (**self).execute(operation)
    }
}

/// Why an operation did not succeed, as the executor saw it (for Azure: ARM's code and
/// message), and what it learned on the way.
///
/// Its [`Display`](fmt::Display) is the message followed by every `source` in the chain, so the
/// report carries the whole story in one line.
#[derive(Debug)]
pub struct ExecError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    // Boxed: an error travels through `Result`s, a receipt is large.
    receipt: Option<Box<Receipt>>,
    outcome_unknown: bool,
}

impl ExecError {
    /// An error that is only a message.
    pub fn msg(message: impl Into<String>) -> ExecError {
        ExecError {
            message: message.into(),
            source: None,
            receipt: None,
            outcome_unknown: false,
        }
    }

    /// An error that wraps the executor's own error, keeping it as the source.
    pub fn new(source: impl StdError + Send + Sync + 'static) -> ExecError {
        ExecError {
            message: kfollow_azure::error_chain(&source),
            source: Some(Box::new(source)),
            receipt: None,
            outcome_unknown: false,
        }
    }

    /// The same error, saying that the operation was sent and whether it took effect is not
    /// known (its answer or its end was never seen). The report counts it as unknown, not
    /// failed.
    #[must_use]
    pub fn outcome_unknown(mut self) -> ExecError {
        self.outcome_unknown = true;
        self
    }

    /// The same error, with what the executor learned about the operation.
    #[must_use]
    pub fn with_receipt(mut self, receipt: Receipt) -> ExecError {
        self.receipt = Some(Box::new(receipt));
        self
    }

    /// The whole message, sources included.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True when whether the operation took effect is not known.
    pub fn is_outcome_unknown(&self) -> bool {
        self.outcome_unknown
    }

    /// What the executor learned about the operation, when it says.
    pub fn receipt(&self) -> Option<&Receipt> {
        self.receipt.as_deref()
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for ExecError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        // The message already holds the chain; exposing the source as well would make a
        // reporter that walks the chain print every cause twice.
        None
    }
}

impl ExecError {
    /// The wrapped error, for a caller that wants to inspect it.
    pub fn inner(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

/// One line naming what an operation does and where (`delete attachment `a` on cluster `c``),
/// for progress lines and failure messages.
pub fn describe(operation: &Operation) -> String {
    match operation {
        Operation::PutAttachment { follower, name, .. } => {
            format!("put attachment `{name}` on cluster `{}`", follower.name())
        }
        Operation::DeleteAttachment { follower, name } => format!(
            "delete attachment `{name}` on cluster `{}`",
            follower.name()
        ),
        Operation::AwaitAttachment {
            follower,
            name,
            provisioning_state,
            ..
        } => format!(
            "wait for the operation running on attachment `{name}` on cluster `{}` (`{provisioning_state}`)",
            follower.name()
        ),
        Operation::DetachFollower {
            leader,
            follower,
            attachment_name,
        } => format!(
            "detach follower `{}/{attachment_name}` from leader cluster `{}`",
            follower.name(),
            leader.name()
        ),
        Operation::PutFollowerHotCache {
            follower,
            database,
            hot_cache_period,
            ..
        } => format!(
            "set hot cache period of follower database `{database}` on cluster `{}` to `{hot_cache_period}`",
            follower.name()
        ),
        Operation::KustoCommand { cluster, csl, .. } => {
            format!("run `{csl}` on cluster `{}`", cluster.name())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("arm said no")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("Conflict: another operation is in progress")]
    struct Inner;

    #[test]
    fn message_carries_the_chain() {
        let error = ExecError::new(Outer(Inner));
        assert_eq!(
            error.to_string(),
            "arm said no: Conflict: another operation is in progress"
        );
        assert!(error.inner().is_some());
    }
}
