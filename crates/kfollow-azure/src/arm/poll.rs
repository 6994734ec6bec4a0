//! When to poll a long-running operation whose answers do not say (Azure sends no
//! `Retry-After` on attach PUTs, attachment deletes and leader detaches).
//!
//! Each kind of write ([`OperationKind`]) takes about as long as the others of its kind, so the
//! [`PollPlanner`] keeps the durations of the operations of each kind that already succeeded in
//! this run (shared by every clone of the client) and places an operation's polls at the
//! median, the 90th percentile and the longest of them. Past the longest, it backs off: each
//! gap a quarter of the time waited so far, with jitter. Before any operation of a kind has
//! finished, it polls after [`PollPolicy::first_poll`] and then doubles the time waited. A
//! `Retry-After` from the service wins over all of this (the caller's job).
//!
//! For durations spread ±25% around their mean this takes under two polls per write once a few
//! operations have finished; `cargo run --release -p kfollow-azure --example bench_polling`
//! measures it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::Rng;

/// The quantiles of the known durations where an operation's first polls go.
const TARGETS: [f64; 3] = [0.5, 0.9, 1.0];

/// Past the last target, each gap is this share of the time waited so far.
const TAIL_GROWTH: f64 = 0.25;

/// Before anything is known, each gap is this share of the time waited so far (doubling).
const COLD_GROWTH: f64 = 1.0;

/// How many durations of each kind are kept: the most recent ones, so the plan follows a
/// service that slows down or speeds up during a run.
const KEPT: usize = 32;

/// An operation that ended at its first poll may have ended long before: it counts as this
/// share of the wait, so the first poll keeps probing earlier until it finds the operation
/// still running.
const DONE_AT_FIRST_POLL: f64 = 0.9;

/// How polling waits. See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    /// The first poll of a kind of operation none of which has finished yet in this run.
    pub first_poll: Duration,
    /// The shortest gap between two polls of one operation.
    pub min_gap: Duration,
    /// The longest gap between two polls of one operation.
    pub max_gap: Duration,
    /// The wait after a status poll that failed (no answer, 429, 5xx); it doubles with each
    /// failure in a row, up to `max_gap`.
    pub failure_backoff: Duration,
    /// After this many failed status polls in a row, the write's outcome is reported unknown.
    pub max_failures: u32,
}

impl Default for PollPolicy {
    fn default() -> PollPolicy {
        PollPolicy {
            first_poll: Duration::from_secs(1),
            min_gap: Duration::from_millis(250),
            max_gap: Duration::from_secs(60),
            failure_backoff: Duration::from_secs(2),
            max_failures: 20,
        }
    }
}

impl PollPolicy {
    /// Millisecond waits, for tests.
    pub fn fast() -> PollPolicy {
        PollPolicy {
            first_poll: Duration::from_millis(5),
            min_gap: Duration::from_millis(1),
            max_gap: Duration::from_millis(50),
            failure_backoff: Duration::from_millis(1),
            max_failures: 20,
        }
    }
}

/// A kind of write, whose operations take about as long as each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// `AttachedDatabaseConfigurations_CreateOrUpdate`: attach, or update an attachment.
    AttachmentPut,
    /// `AttachedDatabaseConfigurations_Delete`: detach on the follower side.
    AttachmentDelete,
    /// `Clusters_DetachFollowerDatabases`: detach on the leader side.
    LeaderDetach,
    /// `Databases_CreateOrUpdate` of a follower database.
    DatabasePut,
}

/// What was seen of an operation that succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Its duration, from the status's `startTime` and `endTime`.
    Exact(Duration),
    /// Only what polling saw, counted from the write's answer: when it was last seen
    /// running, if ever, and when it was first seen done.
    Seen {
        /// The last poll that found it running.
        running_at: Option<Duration>,
        /// The poll that found it done.
        done_at: Duration,
    },
}

impl Timing {
    /// The duration to learn: the exact one, else the middle of the span in which it ended.
    fn estimate(self) -> Duration {
        match self {
            Timing::Exact(duration) => duration,
            Timing::Seen {
                running_at: Some(running),
                done_at,
            } => running + done_at.saturating_sub(running) / 2,
            Timing::Seen {
                running_at: None,
                done_at,
            } => done_at.mul_f64(DONE_AT_FIRST_POLL),
        }
    }
}

/// Places the polls of operations by what the operations of their kind took. Cheap to clone;
/// clones share what they learned.
#[derive(Debug, Clone)]
pub struct PollPlanner {
    policy: PollPolicy,
    learned: Arc<Mutex<HashMap<OperationKind, VecDeque<Duration>>>>,
}

impl PollPlanner {
    /// A planner that knows nothing yet.
    pub fn new(policy: PollPolicy) -> PollPlanner {
        PollPlanner {
            policy,
            learned: Arc::default(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &PollPolicy {
        &self.policy
    }

    /// How long an operation of `kind`, answered `elapsed` ago, waits before its next poll.
    pub fn next_wait(&self, kind: OperationKind, elapsed: Duration) -> Duration {
        let known = self.known(kind);
        let policy = &self.policy;
        if known.is_empty() {
            if elapsed < policy.first_poll {
                return (policy.first_poll - elapsed).max(policy.min_gap);
            }
            return self.backoff(elapsed, COLD_GROWTH);
        }
        for quantile in TARGETS {
            let target = nearest_rank(&known, quantile);
            if target > elapsed {
                return (target - elapsed).max(policy.min_gap);
            }
        }
        self.backoff(elapsed, TAIL_GROWTH)
    }

    /// Learns from an operation of `kind` that succeeded.
    pub fn record(&self, kind: OperationKind, timing: Timing) {
        let mut learned = self.learned.lock().unwrap_or_else(PoisonError::into_inner);
        let durations = learned.entry(kind).or_default();
        if durations.len() == KEPT {
            durations.pop_front();
        }
        durations.push_back(timing.estimate());
    }

    /// The wait after `failures` failed status polls in a row (at least 1).
    pub fn failure_wait(&self, failures: u32) -> Duration {
        let exponent = failures.saturating_sub(1).min(20);
        let ceiling = self
            .policy
            .failure_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.policy.max_gap);
        ceiling.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    /// The known durations of `kind`, shortest first.
    fn known(&self, kind: OperationKind) -> Vec<Duration> {
        let learned = self.learned.lock().unwrap_or_else(PoisonError::into_inner);
        let mut known: Vec<Duration> = learned
            .get(&kind)
            .map(|d| d.iter().copied().collect())
            .unwrap_or_default();
        known.sort_unstable();
        known
    }

    /// A gap of `growth` times the time waited so far, within the policy's bounds, ±20%.
    fn backoff(&self, elapsed: Duration, growth: f64) -> Duration {
        let gap = elapsed
            .mul_f64(growth)
            .clamp(self.policy.min_gap, self.policy.max_gap);
        gap.mul_f64(rand::rng().random_range(0.8..=1.2))
            .max(self.policy.min_gap)
    }
}

/// The nearest-rank quantile of sorted, non-empty durations.
fn nearest_rank(sorted: &[Duration], quantile: f64) -> Duration {
    // `quantile` is in [0, 1] and `len` small: the rank fits and is exact enough.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: OperationKind = OperationKind::AttachmentPut;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn cold_polls_start_early_and_double() {
        let planner = PollPlanner::new(PollPolicy::default());
        assert_eq!(
            planner.next_wait(KIND, Duration::ZERO),
            Duration::from_secs(1)
        );
        for _ in 0..20 {
            let gap = planner.next_wait(KIND, Duration::from_secs(4));
            assert!(gap >= ms(3200) && gap <= ms(4800), "{gap:?}");
            let capped = planner.next_wait(KIND, Duration::from_secs(600));
            assert!(capped <= Duration::from_secs(72), "{capped:?}");
        }
    }

    #[test]
    fn learned_polls_go_to_the_median_the_90th_percentile_and_the_longest() {
        let planner = PollPlanner::new(PollPolicy::default());
        for seconds in 11..=20 {
            planner.record(KIND, Timing::Exact(Duration::from_secs(seconds)));
        }
        let s = Duration::from_secs;
        assert_eq!(planner.next_wait(KIND, Duration::ZERO), s(15));
        assert_eq!(planner.next_wait(KIND, s(15)), s(4));
        assert_eq!(planner.next_wait(KIND, s(19)), s(1));
        // Close to a target: never closer than the minimum gap.
        assert_eq!(planner.next_wait(KIND, ms(19_900)), ms(250));
        // Past the longest: a quarter of the time waited, ±20%.
        let tail = planner.next_wait(KIND, s(20));
        assert!(tail >= s(4) && tail <= s(6), "{tail:?}");
        // Other kinds learned nothing.
        assert_eq!(
            planner.next_wait(OperationKind::LeaderDetach, Duration::ZERO),
            s(1)
        );
    }

    #[test]
    fn clones_share_what_they_learn_and_old_durations_age_out() {
        let planner = PollPlanner::new(PollPolicy::default());
        let clone = planner.clone();
        for _ in 0..KEPT {
            clone.record(KIND, Timing::Exact(Duration::from_secs(100)));
        }
        assert_eq!(
            planner.next_wait(KIND, Duration::ZERO),
            Duration::from_secs(100)
        );
        for _ in 0..KEPT {
            clone.record(KIND, Timing::Exact(Duration::from_secs(10)));
        }
        assert_eq!(
            planner.next_wait(KIND, Duration::ZERO),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn seen_timings_estimate_the_end() {
        let s = Duration::from_secs;
        assert_eq!(
            Timing::Seen {
                running_at: Some(s(10)),
                done_at: s(14)
            }
            .estimate(),
            s(12)
        );
        assert_eq!(
            Timing::Seen {
                running_at: None,
                done_at: s(10)
            }
            .estimate(),
            s(9)
        );
    }

    #[test]
    fn failure_waits_double_up_to_the_longest_gap() {
        let planner = PollPlanner::new(PollPolicy::default());
        for _ in 0..20 {
            let first = planner.failure_wait(1);
            assert!(first >= Duration::from_secs(1) && first <= Duration::from_secs(2));
            let late = planner.failure_wait(12);
            assert!(late >= Duration::from_secs(30) && late <= Duration::from_secs(60));
        }
    }
}
