//! One HTTP exchange with retries, shared by the ARM and Kusto clients: a bearer token, an
//! `x-ms-client-request-id`, a debug log line per attempt (never a header), and the retry rules
//! of [`RetryClass`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode, Url};
use uuid::Uuid;

use crate::budget::{Budgets, Spend};
use crate::credential::{AccessToken, CredentialError, TokenSource};
use crate::notice::{Notice, Observer, Throttler, tell};
use crate::receipt::Exchange;
use crate::retry::RetryPolicy;

/// The method and URL of a request: what errors and logs name (never its headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// `GET`, `PUT`, …
    pub method: String,
    /// The full URL, query included.
    pub url: String,
}

impl RequestLine {
    pub(crate) fn new(method: &Method, url: &Url) -> RequestLine {
        RequestLine {
            method: method.as_str().to_owned(),
            url: url.as_str().to_owned(),
        }
    }
}

impl fmt::Display for RequestLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{} {}`", self.method, self.url)
    }
}

/// A header's value, trimmed; `None` when it is absent, empty or not text.
pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Which failures a request may be sent again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryClass {
    /// GET, PUT, DELETE and read-only POSTs: 408, 429, 5xx (but 501 and 505) and every
    /// transport error.
    Idempotent,
    /// A POST that changes something: only 429 (the service did not run it) and failures to
    /// connect (the request never left).
    NotIdempotent,
    /// A Kusto management command: see [`kusto_should_retry`].
    Kusto,
}

/// What came back.
pub(crate) struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// How many times the request was sent.
    pub attempts: u32,
    /// The ids of each time it was sent, in order.
    pub exchanges: Vec<Exchange>,
}

/// Why no response came back.
#[derive(Debug)]
pub(crate) enum SendError {
    Credential(CredentialError),
    Transport {
        source: reqwest::Error,
        attempts: u32,
        /// True when some attempt may have reached the service (its failure was not one to
        /// connect): whatever it asked for may have happened.
        maybe_sent: bool,
        /// The ids of each time it was sent, in order.
        exchanges: Vec<Exchange>,
    },
}

/// What one request sends.
pub(crate) struct Outgoing<'a> {
    pub method: Method,
    pub url: Url,
    pub scope: &'a str,
    pub body: Option<Vec<u8>>,
    pub headers: &'a [(&'static str, String)],
    pub retry: RetryClass,
    /// The request budget it spends and the subscription it belongs to (ARM); `None` for a
    /// service without one (a cluster's data plane).
    pub budget: Option<(&'a Budgets, &'a str)>,
}

/// How many 429s in a row a request waits out before it gives up. A 429 does not use up one
/// of the policy's attempts: the service did not run the request, it only asked for time.
const MAX_THROTTLED_WAITS: u32 = 20;

/// An HTTP client with a credential and a retry policy.
#[derive(Clone)]
pub(crate) struct Sender {
    http: reqwest::Client,
    credential: Arc<dyn TokenSource>,
    retry: RetryPolicy,
    request_timeout: Duration,
    service: &'static str,
    observer: Option<Observer>,
}

impl Sender {
    pub(crate) fn new(
        credential: Arc<dyn TokenSource>,
        retry: RetryPolicy,
        request_timeout: Duration,
        service: &'static str,
    ) -> Result<Sender, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("kfollow/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Sender {
            http,
            credential,
            retry,
            request_timeout,
            service,
            observer: None,
        })
    }

    /// The same sender, telling `observer` about the throttling it waits out (when it has no
    /// budget to do so).
    pub(crate) fn with_observer(mut self, observer: Option<Observer>) -> Sender {
        self.observer = observer;
        self
    }

    /// A token for `scope` from the sender's credential.
    pub(crate) async fn token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        self.credential.token(scope).await
    }

    /// Sends a request, retrying as its class allows. A response that is not retried (or the
    /// last one) is returned whatever its status.
    pub(crate) async fn send(&self, out: &Outgoing<'_>) -> Result<Response, SendError> {
        let max = self.retry.attempts();
        let spend = Spend::of(&out.method);
        let mut attempt = 0;
        // Attempts that count against the policy: 429s do not.
        let mut tries = 0;
        let mut throttled = 0;
        let mut maybe_sent = false;
        let mut exchanges = Vec::new();
        loop {
            attempt += 1;
            tries += 1;
            // The budget first: a wait for it can be long, and the token is fresh after it.
            let permit = match out.budget {
                Some((budgets, subscription)) => Some(budgets.admit(subscription, spend).await),
                None => None,
            };
            let token = self
                .credential
                .token(out.scope)
                .await
                .map_err(SendError::Credential)?;
            let request_id = Uuid::new_v4().to_string();
            let mut builder = self
                .http
                .request(out.method.clone(), out.url.clone())
                .bearer_auth(token.token.expose())
                .header("x-ms-client-request-id", &request_id)
                .header(ACCEPT, "application/json")
                .timeout(self.request_timeout);
            for (name, value) in out.headers {
                builder = builder.header(*name, value);
            }
            if let Some(body) = &out.body {
                builder = if body.is_empty() {
                    // Some front ends answer 411 Length Required to a POST without a length.
                    builder.header(CONTENT_LENGTH, "0")
                } else {
                    builder.header(CONTENT_TYPE, "application/json; charset=utf-8")
                };
                builder = builder.body(body.clone());
            }
            let started = Instant::now();
            let result = match builder.send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    response.bytes().await.map(|body| (status, headers, body))
                }
                Err(error) => Err(error),
            };
            let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match result {
                Ok((status, headers, body)) => {
                    tracing::debug!(
                        service = self.service,
                        method = %out.method,
                        url = %out.url,
                        status = status.as_u16(),
                        duration_ms = elapsed_ms,
                        attempt,
                        request_id = %request_id,
                        "http request"
                    );
                    if let Some((budgets, subscription)) = out.budget {
                        budgets.observe(subscription, spend, status.as_u16(), &headers);
                    }
                    drop(permit);
                    exchanges.push(Exchange::answered(request_id, status.as_u16(), &headers));
                    let response = Response {
                        status,
                        headers,
                        body: body.to_vec(),
                        attempts: attempt,
                        exchanges: std::mem::take(&mut exchanges),
                    };
                    let is_throttle = status == StatusCode::TOO_MANY_REQUESTS;
                    if is_throttle && throttled < MAX_THROTTLED_WAITS {
                        throttled += 1;
                        tries -= 1;
                    }
                    if tries < max && should_retry_status(out.retry, &response) {
                        self.pause_before_retry(out, &response, tries).await;
                        exchanges = response.exchanges;
                        continue;
                    }
                    return Ok(response);
                }
                Err(error) => {
                    drop(permit);
                    tracing::debug!(
                        service = self.service,
                        method = %out.method,
                        url = %out.url,
                        error = %error,
                        duration_ms = elapsed_ms,
                        attempt,
                        request_id = %request_id,
                        "http request failed"
                    );
                    exchanges.push(Exchange::unanswered(request_id));
                    maybe_sent |= !error.is_connect();
                    if tries < max && should_retry_transport(out.retry, &error) {
                        tokio::time::sleep(self.retry.delay(tries, None)).await;
                        continue;
                    }
                    return Err(SendError::Transport {
                        source: error,
                        attempts: attempt,
                        maybe_sent,
                        exchanges,
                    });
                }
            }
        }
    }

    /// Waits before sending a request again. A 429 under a budget was already turned into a
    /// pause of the whole subscription, which the next admission waits out.
    async fn pause_before_retry(&self, out: &Outgoing<'_>, response: &Response, tries: u32) {
        let throttled = response.status == StatusCode::TOO_MANY_REQUESTS;
        if throttled && out.budget.is_some() {
            return;
        }
        let wait = self.retry.delay(tries.max(1), Some(&response.headers));
        tracing::debug!(
            service = self.service,
            method = %out.method,
            url = %out.url,
            status = response.status.as_u16(),
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "retrying"
        );
        if throttled && wait >= Duration::from_secs(1) {
            let cluster = out.url.host_str().unwrap_or_default().to_owned();
            tell(
                self.observer.as_ref(),
                Notice::Throttled {
                    by: Throttler::Kusto { cluster },
                    wait,
                },
            );
        }
        tokio::time::sleep(wait).await;
    }
}

fn should_retry_status(class: RetryClass, response: &Response) -> bool {
    let code = response.status.as_u16();
    match class {
        RetryClass::Idempotent => {
            matches!(code, 408 | 429)
                || (response.status.is_server_error() && !matches!(code, 501 | 505))
        }
        RetryClass::NotIdempotent => code == 429,
        RetryClass::Kusto => kusto_should_retry(code, &response.body),
    }
}

fn should_retry_transport(class: RetryClass, error: &reqwest::Error) -> bool {
    match class {
        RetryClass::Idempotent | RetryClass::Kusto => true,
        RetryClass::NotIdempotent => error.is_connect(),
    }
}

/// Kusto's rule: 429 and 503 are retried unless the OneApi error says `"@permanent": true`;
/// other 5xx only when it says `"@permanent": false`; 4xx never. The management commands
/// kfollow sends set a value or add/drop one principal, so running one twice leaves the
/// same state; transport errors (no response) are therefore retried too.
pub(crate) fn kusto_should_retry(status: u16, body: &[u8]) -> bool {
    let permanent = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/@permanent")
                .and_then(serde_json::Value::as_bool)
        });
    match status {
        429 | 503 => permanent != Some(true),
        500..=599 => permanent == Some(false),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kusto_retry_reads_permanent() {
        let permanent = br#"{"error":{"code":"x","@permanent":true}}"#;
        let transient = br#"{"error":{"code":"x","@permanent":false}}"#;
        assert!(kusto_should_retry(429, b""));
        assert!(kusto_should_retry(503, transient));
        assert!(!kusto_should_retry(503, permanent));
        assert!(!kusto_should_retry(500, b"not json"));
        assert!(kusto_should_retry(520, transient));
        assert!(!kusto_should_retry(400, transient));
    }
}
