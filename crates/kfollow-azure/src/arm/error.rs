//! What can go wrong talking to ARM. Every variant names the request (method and URL, never a
//! header) so that a message says what was being done to which resource.

use std::time::Duration;

use crate::credential::CredentialError;
use crate::endpoint::EndpointError;
use crate::retry::retried;
use crate::transport::RequestLine;

/// An ARM call that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// The configured endpoint is refused.
    #[error("the ARM endpoint is refused")]
    Endpoint(#[from] EndpointError),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    Client(#[source] reqwest::Error),
    /// No token.
    #[error("{request} was not sent")]
    Credential {
        /// The request.
        request: RequestLine,
        /// Why there is no token.
        #[source]
        source: CredentialError,
    },
    /// No response (connection refused or dropped, timeout, TLS).
    #[error("{request} failed after {attempts} attempt(s)")]
    Transport {
        /// The request.
        request: RequestLine,
        /// How many times it was sent.
        attempts: u32,
        /// What the HTTP client said.
        #[source]
        source: reqwest::Error,
    },
    /// ARM answered with an error status.
    #[error("{request} returned {status} `{code}`: {message}{}", retried(*attempts))]
    Status {
        /// The request.
        request: RequestLine,
        /// The HTTP status code.
        status: u16,
        /// ARM's `error.code`.
        code: String,
        /// ARM's `error.message`.
        message: String,
        /// How many times it was sent.
        attempts: u32,
    },
    /// A success whose body does not have the expected shape.
    #[error("{request} returned a body kfollow cannot read: {reason}")]
    Decode {
        /// The request.
        request: RequestLine,
        /// What did not fit.
        reason: String,
    },
    /// The long-running operation of a write ended `Failed`.
    #[error("the operation of {request} failed: `{code}`: {message}")]
    OperationFailed {
        /// The write that started it.
        request: RequestLine,
        /// The operation's `error.code`.
        code: String,
        /// The operation's `error.message`.
        message: String,
    },
    /// The long-running operation of a write ended `Canceled`.
    #[error("the operation of {request} was canceled")]
    OperationCanceled {
        /// The write that started it.
        request: RequestLine,
    },
    /// A write whose cluster stayed busy with other writes (`ServiceIsInMaintenance`,
    /// `Conflict`) through every try.
    #[error(
        "{request}: the cluster stayed busy through {tries} tries, the last answered `{code}`: {message}; run `kfollow plan` and apply again later"
    )]
    StillBusy {
        /// The write.
        request: RequestLine,
        /// The last answer's error code.
        code: String,
        /// The last answer's error message.
        message: String,
        /// How many times the write was submitted.
        tries: u32,
    },
    /// A write was sent, but whether it took effect is not known.
    #[error(
        "the outcome of {request} is unknown: {reason}; it may have taken effect in Azure, run `kfollow plan` to see the live state"
    )]
    OutcomeUnknown {
        /// The write.
        request: RequestLine,
        /// What was not seen.
        reason: Unknown,
    },
    /// An operation that was already running on a resource when the plan was made ended
    /// otherwise than the plan counted on (an attachment being created is gone, or one being
    /// deleted is still there).
    #[error("{request}: {what}; run `kfollow plan` to see what is live now")]
    NotAsAwaited {
        /// The read that found it.
        request: RequestLine,
        /// What it found, in words.
        what: String,
    },
    /// A polling or next-page URL that leaves the ARM endpoint.
    #[error(
        "{request}: the service pointed to `{url}`, which is not on the ARM endpoint; kfollow does not send its token there"
    )]
    ForeignUrl {
        /// The request whose response held the URL.
        request: RequestLine,
        /// The URL.
        url: String,
    },
}

/// Why a write's outcome is not known.
#[derive(Debug, thiserror::Error)]
pub enum Unknown {
    /// Its operation did not end within the operation timeout.
    #[error("its operation did not finish within {}", crate::format_wait(*.0))]
    Deadline(Duration),
    /// Its operation's status could not be read, many times in a row.
    #[error("{failures} status polls in a row failed, the last with: {last}")]
    PollsFailed {
        /// How many.
        failures: u32,
        /// The last failure, as a message.
        last: String,
    },
    /// It was sent, and no answer came back.
    #[error("it was sent but no answer came back after {attempts} attempt(s): {reason}")]
    NoResponse {
        /// How many times it was sent.
        attempts: u32,
        /// What the HTTP client said, causes included.
        reason: String,
    },
}

impl ArmError {
    /// The HTTP status, when ARM answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// ARM's error code, for a status error, a failed operation or a cluster that stayed busy.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Status { code, .. }
            | ArmError::OperationFailed { code, .. }
            | ArmError::StillBusy { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the error leaves open whether the write took effect: it was sent, and neither
    /// its answer nor its operation's end was seen.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, ArmError::OutcomeUnknown { .. })
    }

    /// The request the error is about, when there was one.
    pub fn request(&self) -> Option<&RequestLine> {
        match self {
            ArmError::Endpoint(_) | ArmError::Client(_) => None,
            ArmError::Credential { request, .. }
            | ArmError::Transport { request, .. }
            | ArmError::Status { request, .. }
            | ArmError::Decode { request, .. }
            | ArmError::OperationFailed { request, .. }
            | ArmError::OperationCanceled { request }
            | ArmError::StillBusy { request, .. }
            | ArmError::OutcomeUnknown { request, .. }
            | ArmError::NotAsAwaited { request, .. }
            | ArmError::ForeignUrl { request, .. } => Some(request),
        }
    }
}
