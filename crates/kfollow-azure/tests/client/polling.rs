//! The polling target, on simulated time: operations without `Retry-After` that take
//! 20 s ± 25% cost at most 3 status polls per write on average (the figures for other
//! durations are printed by `cargo run --release -p kfollow-azure --example bench_polling`).

use std::time::Duration;

use kfollow_azure::PollPolicy;

use crate::polling_sim::{Scenario, simulate};

fn scenario(seconds: u64, exact: bool, seed: u64) -> Scenario {
    Scenario {
        mean: Duration::from_secs(seconds),
        spread: 0.25,
        writes: 1000,
        clusters: 50,
        exact,
        seed,
    }
}

#[test]
fn writes_of_20s_plus_or_minus_25_percent_take_at_most_3_polls_on_average() {
    for exact in [true, false] {
        for seed in [1, 2, 3] {
            let outcome = simulate(PollPolicy::default(), scenario(20, exact, seed));
            assert_eq!(outcome.writes, 1000);
            assert!(
                outcome.polls_per_write() <= 3.0,
                "exact={exact} seed={seed}: {outcome:?}"
            );
            // Once something is learned, a write ends within a few polls…
            assert!(outcome.warm_polls_per_write() <= 2.5, "{outcome:?}");
            // …and is not kept waiting long after its operation ended.
            assert!(outcome.lateness() <= 0.25, "{outcome:?}");
        }
    }
}

#[test]
fn short_and_long_operations_stay_within_the_target_too() {
    for seconds in [2, 60] {
        let outcome = simulate(PollPolicy::default(), scenario(seconds, true, 7));
        assert!(outcome.polls_per_write() <= 3.0, "{seconds}s: {outcome:?}");
    }
}
