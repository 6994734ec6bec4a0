//! Status polls per write when Azure sends no `Retry-After` (as it does not for attach PUTs,
//! attachment deletes and leader detaches), for operations of 2 s, 20 s and 60 s ± 25%.
//! Target: at most 3 polls per write on average at 20 s ± 25%.
//!
//! ```text
//! cargo run --release -p kfollow-azure --example bench_polling
//! ```
//!
//! Each scenario runs 1,000 writes over 50 clusters (one write at a time per cluster, all
//! clusters at once) through a discrete-event simulation whose every wait comes from the real
//! `PollPlanner` with the default policy. Operation times are simulated, so the figures are
//! exact for a seed and the run takes well under a second. "cold" writes are those that
//! started before any operation had finished (nothing learned yet); "late" is how long after
//! its operation ended a write learned so, as a share of the operation's time.

#![allow(clippy::unwrap_used)] // a benchmark that cannot build its fixture should stop

#[path = "support/polling.rs"]
mod polling;

use std::time::Duration;

use kfollow_azure::PollPolicy;
use polling::{Scenario, simulate};

fn main() {
    println!(
        "{:<8} {:<22} {:>11} {:>11} {:>6} {:>10} {:>6}",
        "mean", "end seen by", "polls/write", "warm p/w", "cold", "cold p/w", "late"
    );
    for seconds in [2, 20, 60] {
        for exact in [true, false] {
            let scenario = Scenario {
                mean: Duration::from_secs(seconds),
                spread: 0.25,
                writes: 1000,
                clusters: 50,
                exact,
                seed: 8,
            };
            let outcome = simulate(PollPolicy::default(), scenario);
            let how = if exact {
                "startTime/endTime"
            } else {
                "polling only (Location)"
            };
            #[allow(clippy::cast_precision_loss)]
            let cold = outcome.cold_polls as f64 / outcome.cold_writes.max(1) as f64;
            println!(
                "{:<8} {:<22} {:>11.2} {:>11.2} {:>6} {:>10.2} {:>5.1}%",
                format!("{seconds}s±25%"),
                how,
                outcome.polls_per_write(),
                outcome.warm_polls_per_write(),
                outcome.cold_writes,
                cold,
                outcome.lateness() * 100.0
            );
        }
    }
}
