//! What a write learned about itself, for an audit record: the ids both sides gave each
//! request, the long-running operation's id, how many polls and tries it took, how long, and
//! how it ended. A [`Receipt`] never holds a header value other than these ids, and never a
//! token.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Serialize;

use crate::transport::header_text;

/// One request of a write (the first submission, a retry, or a re-submission) and the ids
/// that name it on both sides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// The `x-ms-client-request-id` kfollow sent.
    pub client_request_id: String,
    /// The service's id of the request: ARM's `x-ms-request-id`, or the Kusto data plane's
    /// `x-ms-activity-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// ARM's `x-ms-correlation-request-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The HTTP status; `None` when no answer came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl Exchange {
    /// The ids of a request that got no answer.
    pub(crate) fn unanswered(client_request_id: String) -> Exchange {
        Exchange {
            client_request_id,
            ..Exchange::default()
        }
    }

    /// The ids of an answered request, read from its response headers.
    pub(crate) fn answered(
        client_request_id: String,
        status: u16,
        headers: &HeaderMap,
    ) -> Exchange {
        let header = |name: &str| header_text(headers, name);
        Exchange {
            client_request_id,
            request_id: header("x-ms-request-id").or_else(|| header("x-ms-activity-id")),
            correlation_id: header("x-ms-correlation-request-id"),
            status: Some(status),
        }
    }
}

/// How a write ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum FinalStatus {
    /// It took effect.
    Succeeded,
    /// It was refused, or its operation failed.
    #[default]
    Failed,
    /// Its operation was canceled.
    Canceled,
    /// Nobody knows: it was sent, but its end was never seen.
    Unknown,
}

/// What one write learned. See the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Every request that carried the write, in order: retries and re-submissions included,
    /// status polls not.
    pub requests: Vec<Exchange>,
    /// The long-running operation's id (the last segment of its `Azure-AsyncOperation` or
    /// `Location` URL), when the service started one. The last one when the write was
    /// submitted more than once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Status requests sent while waiting for the operation(s).
    pub polls: u32,
    /// How many times the write was submitted (more than once when its cluster was busy).
    pub submissions: u32,
    /// From the first request to the end.
    #[serde(rename = "durationMs", serialize_with = "as_millis")]
    pub duration: Duration,
    /// How it ended.
    pub status: FinalStatus,
}

impl Receipt {
    /// How many requests carried the write.
    pub fn attempts(&self) -> usize {
        self.requests.len()
    }
}

fn as_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// A write that did not succeed, with what it learned on the way.
///
/// It reads exactly as its `error`: the same message, the same sources.
#[derive(Debug)]
pub struct WriteError<E> {
    /// Why the write did not succeed.
    pub error: E,
    /// What is known about it.
    pub receipt: Receipt,
}

impl<E: fmt::Display> fmt::Display for WriteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<E: StdError> StdError for WriteError<E> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.error.source()
    }
}
