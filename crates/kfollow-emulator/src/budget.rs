//! The request budget of a subscription, as Azure enforces it on Microsoft.Kusto: every ARM call
//! spends one request of its subscription's budget, status polls included, and once a budget is
//! spent the calls answer 429 until its window closes.
//!
//! What the recordings show (`Azure/azure-powershell`, `src/Kusto/Kusto.Autorest/test/`,
//! `*.Recording.json`, api-version 2024-04-13): each answer reports what is left in a header.
//! Which header depends on the call:
//!
//! | call | header(s) | budget spent here |
//! |---|---|---|
//! | GET of a resource, a list, an operation status | `x-ms-ratelimit-remaining-subscription-resource-requests` | reads |
//! | PUT, PATCH | `x-ms-ratelimit-remaining-subscription-resource-requests` | writes |
//! | GET of an action (`listFollowerDatabases`) | `…-subscription-reads`, `…-subscription-global-reads` | reads |
//! | POST of an action (`listFollowerDatabases`, `detachFollowerDatabases`, …) | `…-subscription-writes`, `…-subscription-global-writes` | writes |
//! | DELETE | `…-subscription-deletes`, `…-subscription-global-deletes` | writes |
//!
//! The first GET of a window shows 299 and the first PUT 199 (2024 recordings), so the
//! default budget is 300 reads and 200 writes. ARM counts POST actions as writes (the recorded
//! `listFollowerDatabases` POST answers with the writes headers), and so does the emulator.
//! The emulator keeps one counter per budget, so a `global-` header repeats the subscription's
//! number (Azure's global counters are larger and shared by many subscriptions).
//!
//! How long a window lasts is not public. The recordings show the counter recovering within
//! about half a minute, and the resource provider's throttling errors name intervals of one
//! and five minutes; the emulator uses fixed windows of `windowSeconds` (60 by default),
//! opened by the first call of a subscription. The 429 has `Retry-After` (the seconds until
//! the window closes) and the error body of a resource provider's throttling
//! (`ResourceRequestsThrottled`, as quoted in the public issues Azure/azqr#34 and
//! Azure/alzlib#168).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use crate::reply::{ArmError, Reply};

/// `settings.resourceRequestBudget`: how many reads and writes a subscription may make in a
/// window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestBudget {
    /// Reads per window.
    pub reads: u32,
    /// Writes per window.
    pub writes: u32,
    /// How long a window lasts, in seconds.
    pub window_seconds: u64,
}

impl Default for RequestBudget {
    /// Azure's numbers: the first answers of a window show 299 reads and 199 writes left.
    fn default() -> RequestBudget {
        RequestBudget {
            reads: 300,
            writes: 200,
            window_seconds: 60,
        }
    }
}

/// The counter a call draws on, and the headers that report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// A GET of a resource, a list or an operation status.
    ResourceReads,
    /// A PUT or PATCH.
    ResourceWrites,
    /// A GET of an action.
    ActionReads,
    /// A POST of an action.
    ActionWrites,
    /// A DELETE.
    Deletes,
}

impl Counter {
    /// The counter of a call: its method, and whether its path ends in an action
    /// (`listFollowerDatabases`, `detachFollowerDatabases`, …).
    pub fn of(method: &Method, is_action: bool) -> Counter {
        if *method == Method::DELETE {
            Counter::Deletes
        } else if *method == Method::POST {
            Counter::ActionWrites
        } else if *method == Method::PUT || *method == Method::PATCH {
            Counter::ResourceWrites
        } else if is_action {
            Counter::ActionReads
        } else {
            Counter::ResourceReads
        }
    }

    fn is_read(self) -> bool {
        matches!(self, Counter::ResourceReads | Counter::ActionReads)
    }

    /// The headers that carry what is left.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Counter::ResourceReads | Counter::ResourceWrites => {
                &["x-ms-ratelimit-remaining-subscription-resource-requests"]
            }
            Counter::ActionReads => &[
                "x-ms-ratelimit-remaining-subscription-reads",
                "x-ms-ratelimit-remaining-subscription-global-reads",
            ],
            Counter::ActionWrites => &[
                "x-ms-ratelimit-remaining-subscription-writes",
                "x-ms-ratelimit-remaining-subscription-global-writes",
            ],
            Counter::Deletes => &[
                "x-ms-ratelimit-remaining-subscription-deletes",
                "x-ms-ratelimit-remaining-subscription-global-deletes",
            ],
        }
    }
}

/// What the subscriptions have spent in their current windows.
#[derive(Debug, Default)]
pub struct Budgets {
    /// By lower-case subscription id.
    windows: HashMap<String, Window>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    reads: u32,
    writes: u32,
}

/// A call the budget lets through: the headers its answer carries.
pub type Admitted = Vec<(&'static str, String)>;

impl Budgets {
    /// Spends one call of `subscription`'s budget at `now`. Answers the headers to add to the
    /// call's answer, or the 429 to answer instead once the budget is spent. Without a budget
    /// (`resourceRequestBudget: null`) every call passes and no header is added.
    pub fn charge(
        &mut self,
        budget: Option<&RequestBudget>,
        subscription: &str,
        counter: Counter,
        now: Instant,
    ) -> Result<Admitted, Reply> {
        let Some(budget) = budget else {
            return Ok(Vec::new());
        };
        let length = Duration::from_secs(budget.window_seconds.max(1));
        let window = self
            .windows
            .entry(subscription.to_ascii_lowercase())
            .or_insert(Window {
                opened: now,
                reads: 0,
                writes: 0,
            });
        if now.saturating_duration_since(window.opened) >= length {
            *window = Window {
                opened: now,
                reads: 0,
                writes: 0,
            };
        }
        let (used, limit) = if counter.is_read() {
            (&mut window.reads, budget.reads)
        } else {
            (&mut window.writes, budget.writes)
        };
        let headers = |left: u32| {
            counter
                .headers()
                .iter()
                .map(|name| (*name, left.to_string()))
                .collect::<Admitted>()
        };
        if *used >= limit {
            let closes = (window.opened + length).saturating_duration_since(now);
            let wait = closes.as_secs() + u64::from(closes.subsec_nanos() > 0);
            let wait = wait.max(1);
            let mut reply = throttled(limit, length, wait).reply();
            reply.headers = headers(0);
            reply.headers.push(("Retry-After", wait.to_string()));
            return Err(reply);
        }
        *used += 1;
        Ok(headers(limit - *used))
    }
}

/// The resource provider's throttling error, in the words Azure uses.
fn throttled(limit: u32, window: Duration, wait: u64) -> ArmError {
    let seconds = window.as_secs();
    ArmError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "ResourceRequestsThrottled",
        format!(
            "Number of requests for Microsoft.Kusto exceeded the limit of '{limit}' for time \
             interval '{:02}:{:02}:{:02}'. Please try again after '{wait}' seconds.",
            seconds / 3600,
            seconds % 3600 / 60,
            seconds % 60
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SMALL: RequestBudget = RequestBudget {
        reads: 2,
        writes: 1,
        window_seconds: 10,
    };

    fn left(admitted: &Admitted) -> &str {
        &admitted[0].1
    }

    #[test]
    fn each_call_spends_its_own_budget_until_the_window_closes() {
        let start = Instant::now();
        let mut budgets = Budgets::default();
        let read = |b: &mut Budgets, at| b.charge(Some(&SMALL), "S", Counter::ResourceReads, at);
        assert_eq!(left(&read(&mut budgets, start).unwrap()), "1");
        assert_eq!(left(&read(&mut budgets, start).unwrap()), "0");
        let refused = read(&mut budgets, start + Duration::from_millis(500)).unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        // 9.5 s are left in the window: the client is told 10.
        assert!(refused.headers.contains(&("Retry-After", "10".to_owned())));
        // Writes have a budget of their own, and subscriptions are apart (ids ignore case).
        let write = budgets
            .charge(Some(&SMALL), "s", Counter::Deletes, start)
            .unwrap();
        assert_eq!(write[0].0, "x-ms-ratelimit-remaining-subscription-deletes");
        assert_eq!(left(&write), "0");
        assert!(
            budgets
                .charge(Some(&SMALL), "other", Counter::ResourceReads, start)
                .is_ok()
        );
        // A new window starts full.
        assert_eq!(
            left(&read(&mut budgets, start + Duration::from_secs(10)).unwrap()),
            "1"
        );
    }

    #[test]
    fn without_a_budget_every_call_passes_without_headers() {
        let mut budgets = Budgets::default();
        for _ in 0..1000 {
            let admitted = budgets
                .charge(None, "s", Counter::ResourceReads, Instant::now())
                .unwrap();
            assert!(admitted.is_empty());
        }
    }

    #[test]
    fn the_default_budget_starts_where_the_recordings_do() {
        let mut budgets = Budgets::default();
        let budget = RequestBudget::default();
        let now = Instant::now();
        let get = budgets
            .charge(Some(&budget), "s", Counter::ResourceReads, now)
            .unwrap();
        assert_eq!(
            get,
            [(
                "x-ms-ratelimit-remaining-subscription-resource-requests",
                "299".to_owned()
            )]
        );
        let put = budgets
            .charge(Some(&budget), "s", Counter::ResourceWrites, now)
            .unwrap();
        assert_eq!(left(&put), "199");
    }

    #[test]
    fn methods_pick_their_counters() {
        assert_eq!(Counter::of(&Method::GET, false), Counter::ResourceReads);
        assert_eq!(Counter::of(&Method::GET, true), Counter::ActionReads);
        assert_eq!(Counter::of(&Method::POST, true), Counter::ActionWrites);
        assert_eq!(Counter::of(&Method::PATCH, false), Counter::ResourceWrites);
        assert_eq!(Counter::of(&Method::DELETE, false), Counter::Deletes);
    }
}
