//! A discrete-event simulation of polling: many clusters, each running its writes one after the
//! other, every write's operation taking a random time around a mean, and the real
//! [`PollPlanner`] deciding every wait. Shared by `bench_polling` and the test that holds the
//! polling target.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use kfollow_azure::{OperationKind, PollPlanner, PollPolicy, Timing};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to simulate.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// The mean operation time.
    pub mean: Duration,
    /// Each operation takes `mean × (1 ± spread)`, uniformly.
    pub spread: f64,
    /// Writes in all.
    pub writes: usize,
    /// Clusters, each running its share of the writes one at a time, all at once.
    pub clusters: usize,
    /// True when status answers carry `startTime` and `endTime` (`Azure-AsyncOperation`);
    /// false when only polling tells when an operation ended (`Location`).
    pub exact: bool,
    /// Seed of the operation times.
    pub seed: u64,
}

/// What happened.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Writes done.
    pub writes: usize,
    /// Status polls sent for them.
    pub polls: usize,
    /// Writes that started before any operation had finished (nothing learned yet).
    pub cold_writes: usize,
    /// Status polls of those.
    pub cold_polls: usize,
    /// The time between operations' ends and the polls that saw them, summed.
    pub late: Duration,
    /// The operation times, summed.
    pub busy: Duration,
}

impl Outcome {
    /// Status polls per write.
    pub fn polls_per_write(&self) -> f64 {
        ratio(self.polls, self.writes)
    }

    /// Status polls per write once something was learned.
    pub fn warm_polls_per_write(&self) -> f64 {
        ratio(self.polls - self.cold_polls, self.writes - self.cold_writes)
    }

    /// How much later than its operation a write ended, on average, as a share of the
    /// operation's time.
    pub fn lateness(&self) -> f64 {
        self.late.as_secs_f64() / self.busy.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn ratio(a: usize, b: usize) -> f64 {
    a as f64 / b.max(1) as f64
}

struct Write {
    started: Duration,
    takes: Duration,
    polls: usize,
    running_at: Option<Duration>,
    cold: bool,
}

const KIND: OperationKind = OperationKind::AttachmentPut;

struct Simulation {
    scenario: Scenario,
    planner: PollPlanner,
    rng: StdRng,
    /// Writes each cluster has yet to start.
    left: Vec<usize>,
    /// The write each cluster runs.
    running: Vec<Option<Write>>,
    /// (time of the next poll, cluster), earliest first.
    polls: BinaryHeap<Reverse<(Duration, usize)>>,
    learned_any: bool,
    outcome: Outcome,
}

impl Simulation {
    fn start(&mut self, cluster: usize, now: Duration) {
        if self.left[cluster] == 0 {
            self.running[cluster] = None;
            return;
        }
        self.left[cluster] -= 1;
        let spread = self.scenario.spread;
        let takes = self
            .scenario
            .mean
            .mul_f64(1.0 + self.rng.random_range(-spread..=spread));
        self.running[cluster] = Some(Write {
            started: now,
            takes,
            polls: 0,
            running_at: None,
            cold: !self.learned_any,
        });
        let wait = self.planner.next_wait(KIND, Duration::ZERO);
        self.polls.push(Reverse((now + wait, cluster)));
    }

    /// The poll of `cluster`'s write at `now`.
    fn poll(&mut self, cluster: usize, now: Duration) {
        let Some(write) = self.running[cluster].as_mut() else {
            return;
        };
        write.polls += 1;
        let elapsed = now - write.started;
        if elapsed < write.takes {
            write.running_at = Some(elapsed);
            let wait = self.planner.next_wait(KIND, elapsed);
            self.polls.push(Reverse((now + wait, cluster)));
            return;
        }
        let timing = if self.scenario.exact {
            Timing::Exact(write.takes)
        } else {
            Timing::Seen {
                running_at: write.running_at,
                done_at: elapsed,
            }
        };
        self.planner.record(KIND, timing);
        self.learned_any = true;
        let outcome = &mut self.outcome;
        outcome.writes += 1;
        outcome.polls += write.polls;
        if write.cold {
            outcome.cold_writes += 1;
            outcome.cold_polls += write.polls;
        }
        outcome.late += elapsed - write.takes;
        outcome.busy += write.takes;
        self.start(cluster, now);
    }
}

/// Runs a scenario with a planner that knows nothing yet.
pub fn simulate(policy: PollPolicy, scenario: Scenario) -> Outcome {
    let clusters = scenario.clusters.max(1);
    let mut simulation = Simulation {
        scenario,
        planner: PollPlanner::new(policy),
        rng: StdRng::seed_from_u64(scenario.seed),
        left: (0..clusters)
            .map(|c| scenario.writes / clusters + usize::from(c < scenario.writes % clusters))
            .collect(),
        running: (0..clusters).map(|_| None).collect(),
        polls: BinaryHeap::new(),
        learned_any: false,
        outcome: Outcome::default(),
    };
    for cluster in 0..clusters {
        simulation.start(cluster, Duration::ZERO);
    }
    while let Some(Reverse((now, cluster))) = simulation.polls.pop() {
        simulation.poll(cluster, now);
    }
    simulation.outcome
}
