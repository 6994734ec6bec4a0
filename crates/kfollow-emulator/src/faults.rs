//! Faults to inject: the next N requests matching a method and a path pattern answer with a
//! throttle, a server error, a dropped connection, a delay, a synchronous 409 for a busy
//! cluster, or start an operation that fails or never ends. They come from `settings.faults` in the world or `POST /_emulator/faults`.

use kfollow_model::sharing::wildcard_match;
use serde::{Deserialize, Serialize};

/// One fault rule, consumed one request at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// The HTTP method it applies to, or `*` (case-insensitive).
    #[serde(default = "any")]
    pub method: String,
    /// A path pattern where `*` stands for any run of characters, compared case-insensitively
    /// with the request path (without the query), e.g. `*/attachedDatabaseConfigurations/*`.
    #[serde(default = "any")]
    pub path: String,
    /// What the matching requests get.
    pub respond: FaultKind,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// `Retry-After` seconds of a `throttle`.
    #[serde(default = "one_u64")]
    pub retry_after_seconds: u64,
    /// The delay of a `delay`.
    #[serde(default)]
    pub delay_ms: u64,
    /// The error code a `failOperation` ends with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The error message a `failOperation` ends with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn any() -> String {
    "*".to_owned()
}

fn one() -> u32 {
    1
}

fn one_u64() -> u64 {
    1
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// 429 Too Many Requests with `Retry-After`.
    Throttle,
    /// 500 Internal Server Error.
    InternalError,
    /// 503 Service Unavailable.
    Unavailable,
    /// The connection is closed without an answer.
    Drop,
    /// The request waits `delayMs`, then proceeds.
    Delay,
    /// A write is accepted, and its operation ends `Failed`.
    FailOperation,
    /// A write is accepted, and its operation stays `Running` forever.
    HangOperation,
    /// A write is refused at once with 409 `ServiceIsInMaintenance`, the answer some clients
    /// report for a write on a cluster busy with another one (by default the emulator accepts
    /// such a write and fails its operation, as the service does).
    Busy,
}

impl Fault {
    /// True when this fault applies to the request.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && wildcard_match(&self.path.to_ascii_lowercase(), &path.to_ascii_lowercase())
    }

    /// True for the kinds that act on the write itself or the operation it starts, handled by
    /// the ARM routes rather than before them.
    pub fn is_operation_fault(&self) -> bool {
        matches!(
            self.respond,
            FaultKind::FailOperation | FaultKind::HangOperation | FaultKind::Busy
        )
    }
}

/// Takes the first fault that matches the request (one use of it), dropping spent ones.
/// Operation faults (and `busy`) only match writes (`PUT`, `PATCH`, `DELETE`, `POST` other
/// than reads).
pub fn take(faults: &mut Vec<Fault>, method: &str, path: &str, is_write: bool) -> Option<Fault> {
    let index = faults.iter().position(|f| {
        f.count > 0 && f.matches(method, path) && (is_write || !f.is_operation_fault())
    })?;
    let fault = &mut faults[index];
    fault.count -= 1;
    let taken = fault.clone();
    if fault.count == 0 {
        faults.remove(index);
    }
    Some(taken)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fault(method: &str, path: &str, respond: FaultKind, count: u32) -> Fault {
        Fault {
            method: method.into(),
            path: path.into(),
            respond,
            count,
            retry_after_seconds: 1,
            delay_ms: 0,
            code: None,
            message: None,
        }
    }

    #[test]
    fn counts_down_and_matches_method_and_path() {
        let mut faults = vec![fault("get", "*/databases", FaultKind::Throttle, 2)];
        assert!(take(&mut faults, "PUT", "/x/databases", true).is_none());
        assert!(take(&mut faults, "GET", "/x/Databases", false).is_some());
        assert!(take(&mut faults, "GET", "/y/databases", false).is_some());
        assert!(take(&mut faults, "GET", "/y/databases", false).is_none());
        assert!(faults.is_empty());
    }

    #[test]
    fn operation_faults_wait_for_a_write() {
        let mut faults = vec![fault("*", "*", FaultKind::FailOperation, 1)];
        assert!(take(&mut faults, "GET", "/a", false).is_none());
        assert!(take(&mut faults, "PUT", "/a", true).is_some());
    }
}
