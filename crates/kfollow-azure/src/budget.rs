//! One ARM request budget per subscription, shared by every request of every clone of the
//! client: reads, writes and status polls alike.
//!
//! ARM counts the requests of a subscription and says on every answer how many are left
//! (`x-ms-ratelimit-remaining-subscription-resource-requests`, `…-reads`, `…-writes`,
//! `…-deletes`); when none are left it answers 429 with a `Retry-After`. kfollow reads those
//! headers and:
//! - before the first answer, lets at most [`BudgetPolicy::first_burst`] requests out, so a
//!   plan over hundreds of clusters does not spend a whole budget before it knows its size;
//! - while more than [`BudgetPolicy::low_water`] requests are left, sends freely;
//! - below that, paces: one request at a time, [`BudgetPolicy::pace`] apart, until an answer
//!   shows the budget grew again (the window's length is not public, so kfollow cannot plan
//!   the spend exactly; pacing makes the last requests last and tells the refill early);
//! - on a 429, holds every request of the subscription until its `Retry-After` has passed
//!   (backoff when there is none) and says so through the observer.
//!
//! Reads (GET) and writes (every other method) are counted apart, as ARM counts them; a 429
//! holds both.

use std::collections::HashMap;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::notice::{Notice, Observer, Throttler, tell};
use crate::retry::{RetryPolicy, retry_after};

/// How kfollow spends a subscription's request budget. See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetPolicy {
    /// With this many requests left or fewer, requests go one at a time, `pace` apart.
    pub low_water: u64,
    /// The gap between two requests while pacing.
    pub pace: Duration,
    /// How many requests may be in flight before the first answer tells whether there is a
    /// budget and how large it is.
    pub first_burst: usize,
}

impl Default for BudgetPolicy {
    fn default() -> BudgetPolicy {
        BudgetPolicy {
            low_water: 20,
            pace: Duration::from_secs(1),
            first_burst: 16,
        }
    }
}

/// Which of a subscription's counters a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spend {
    Read,
    Write,
}

impl Spend {
    pub(crate) fn of(method: &Method) -> Spend {
        if method == Method::GET || method == Method::HEAD {
            Spend::Read
        } else {
            Spend::Write
        }
    }

    fn index(self) -> usize {
        match self {
            Spend::Read => 0,
            Spend::Write => 1,
        }
    }

    /// The headers that tell what is left of this counter; the smallest one counts.
    fn headers(self) -> &'static [&'static str] {
        match self {
            Spend::Read => &[
                "x-ms-ratelimit-remaining-subscription-resource-requests",
                "x-ms-ratelimit-remaining-subscription-reads",
            ],
            Spend::Write => &[
                "x-ms-ratelimit-remaining-subscription-resource-requests",
                "x-ms-ratelimit-remaining-subscription-writes",
                "x-ms-ratelimit-remaining-subscription-deletes",
            ],
        }
    }

    fn remaining(self, headers: &HeaderMap) -> Option<u64> {
        self.headers()
            .iter()
            .filter_map(|name| headers.get(*name))
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.trim().parse::<u64>().ok())
            .min()
    }
}

/// One counter of one subscription.
#[derive(Debug, Default)]
struct Meter {
    /// What ARM last said is left.
    remaining: Option<u64>,
    /// `Some(false)` when answers carry no budget header (the emulator with no budget):
    /// nothing to pace.
    metered: Option<bool>,
    in_flight: usize,
    /// While pacing, the earliest time of the next request.
    next_paced: Option<Instant>,
    /// Pacing was announced and has not ended since.
    pacing: bool,
}

#[derive(Debug, Default)]
struct Subscription {
    meters: [Meter; 2],
    /// Every request of the subscription waits until then (a 429).
    paused_until: Option<Instant>,
    /// 429s in a row, for the backoff of a 429 without `Retry-After`.
    throttled_in_a_row: u32,
}

/// Every subscription's budget, shared by the clones of a client.
pub(crate) struct Budgets {
    policy: BudgetPolicy,
    retry: RetryPolicy,
    observer: Option<Observer>,
    state: Mutex<HashMap<String, Subscription>>,
    changed: Notify,
}

/// A request's place in its subscription's budget, held while it is in flight.
pub(crate) struct Permit<'a> {
    budgets: &'a Budgets,
    subscription: String,
    spend: Spend,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        {
            let mut state = self.budgets.lock();
            if let Some(subscription) = state.get_mut(&self.subscription) {
                let meter = &mut subscription.meters[self.spend.index()];
                meter.in_flight = meter.in_flight.saturating_sub(1);
            }
        }
        self.budgets.changed.notify_waiters();
    }
}

enum Decision {
    Go,
    WaitUntil(Instant),
    WaitForChange,
}

impl Budgets {
    pub(crate) fn new(
        policy: BudgetPolicy,
        retry: RetryPolicy,
        observer: Option<Observer>,
    ) -> Self {
        Budgets {
            policy,
            retry,
            observer,
            state: Mutex::new(HashMap::new()),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Subscription>> {
        // The map only holds counters; a panic elsewhere leaves them usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until the budget lets a request of `subscription` out.
    pub(crate) async fn admit(&self, subscription: &str, spend: Spend) -> Permit<'_> {
        let key = subscription.to_ascii_lowercase();
        loop {
            let mut notified = pin!(self.changed.notified());
            // Registered before the state is read, so a change in between is not missed.
            notified.as_mut().enable();
            let decision = {
                let mut state = self.lock();
                let entry = state.entry(key.clone()).or_default();
                self.decide(entry, spend, Instant::now())
            };
            match decision {
                Decision::Go => {
                    return Permit {
                        budgets: self,
                        subscription: key,
                        spend,
                    };
                }
                Decision::WaitUntil(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = notified => {}
                    }
                }
                Decision::WaitForChange => notified.await,
            }
        }
    }

    fn decide(&self, subscription: &mut Subscription, spend: Spend, now: Instant) -> Decision {
        if let Some(until) = subscription.paused_until {
            if now < until {
                return Decision::WaitUntil(until);
            }
            subscription.paused_until = None;
        }
        let meter = &mut subscription.meters[spend.index()];
        let decision = match meter.metered {
            None if meter.in_flight >= self.policy.first_burst => Decision::WaitForChange,
            None | Some(false) => Decision::Go,
            Some(true) => {
                let left = meter
                    .remaining
                    .unwrap_or(0)
                    .saturating_sub(meter.in_flight as u64);
                if left > self.policy.low_water {
                    meter.pacing = false;
                    meter.next_paced = None;
                    Decision::Go
                } else if meter.in_flight > 0 {
                    Decision::WaitForChange
                } else {
                    match meter.next_paced {
                        Some(at) if now < at => Decision::WaitUntil(at),
                        _ => {
                            meter.next_paced = Some(now + self.policy.pace);
                            Decision::Go
                        }
                    }
                }
            }
        };
        if matches!(decision, Decision::Go) {
            meter.in_flight += 1;
        }
        decision
    }

    /// Reads what an answer says about the budget: what is left, and for a 429 how long every
    /// request of the subscription waits.
    pub(crate) fn observe(
        &self,
        subscription: &str,
        spend: Spend,
        status: u16,
        headers: &HeaderMap,
    ) {
        let mut notices = Vec::new();
        {
            let mut state = self.lock();
            let entry = state.entry(subscription.to_ascii_lowercase()).or_default();
            let meter = &mut entry.meters[spend.index()];
            match spend.remaining(headers) {
                Some(left) => {
                    meter.metered = Some(true);
                    meter.remaining = Some(left);
                    if left <= self.policy.low_water && !meter.pacing {
                        meter.pacing = true;
                        notices.push(Notice::Pacing {
                            subscription: subscription.to_owned(),
                            remaining: left,
                            interval: self.policy.pace,
                        });
                    }
                }
                None if meter.metered.is_none() && status != 429 => meter.metered = Some(false),
                None => {}
            }
            if status == 429 {
                if meter.metered == Some(true) {
                    meter.remaining = Some(0);
                }
                entry.throttled_in_a_row += 1;
                let wait = retry_after(headers).map_or_else(
                    || self.retry.backoff(entry.throttled_in_a_row),
                    |wait| wait.min(self.retry.max_retry_after),
                );
                let until = Instant::now() + wait;
                // One notice per pause: the other requests that ran into the same 429 only
                // confirm it.
                let extends = entry
                    .paused_until
                    .is_none_or(|paused| until > paused + Duration::from_secs(1));
                if extends && wait >= Duration::from_secs(1) {
                    notices.push(Notice::Throttled {
                        by: Throttler::Arm {
                            subscription: subscription.to_owned(),
                        },
                        wait,
                    });
                }
                entry.paused_until = Some(entry.paused_until.map_or(until, |p| p.max(until)));
            } else {
                entry.throttled_in_a_row = 0;
            }
        }
        self.changed.notify_waiters();
        for notice in notices {
            tell(self.observer.as_ref(), notice);
        }
    }
}
