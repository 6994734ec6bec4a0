//! What can go wrong talking to ARM. Every variant names the request (method and URL, never a
//! header) so that a message says what was being done to which resource.

use std::time::Duration;

use crate::credential::CredentialError;
use crate::endpoint::EndpointError;
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
    /// The long-running operation did not end in time.
    #[error(
        "the operation of {request} did not finish within {}s; it may still complete in Azure, run `kfollow plan` to see the live state",
        timeout.as_secs()
    )]
    OperationTimeout {
        /// The write that started it.
        request: RequestLine,
        /// The operation timeout.
        timeout: Duration,
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

fn retried(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl ArmError {
    /// The HTTP status, when ARM answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// ARM's error code, for a status error or a failed operation.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Status { code, .. } | ArmError::OperationFailed { code, .. } => Some(code),
            _ => None,
        }
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
            | ArmError::OperationTimeout { request, .. }
            | ArmError::ForeignUrl { request, .. } => Some(request),
        }
    }
}
