//! How close apply comes to the best possible makespan on independent changes spread unevenly
//! over many clusters (target ≤ 1.15).
//!
//! ```text
//! cargo run --release -p kfollow-apply --example bench_makespan [-- --real]
//! ```
//!
//! Each scenario spreads N independent changes over M clusters with a Zipf-like skew (cluster k
//! gets a share ∝ 1/(k+1)^s), runs them through the scheduler with the fake executor, and prints
//! the makespan over the lower bound. The lower bound is the larger of the busiest cluster's
//! serial time (one write at a time per cluster) and the total work over the parallelism cap
//! (at most that many changes at once); no schedule can beat either.
//!
//! By default the clock is tokio's paused clock: operation times are simulated and exact, so
//! the figure measures the scheduling decisions alone. `--real` sleeps for real (20 ms per
//! operation) and so also counts the runtime's own overhead, on a noisy machine; a timer sleep
//! overshoots by about a millisecond, so it prints a second ratio whose lower bound is made of
//! the operation times the fake executor actually measured.

#![allow(clippy::unwrap_used)] // a benchmark that cannot build its fixture should stop

use std::collections::HashMap;
use std::time::Duration;

use kfollow_apply::fake::FakeExecutor;
use kfollow_apply::{ApplyOptions, apply};
use kfollow_graph::DependencyGraph;
use kfollow_model::{Action, Address, Change, ClusterId, Operation};

struct Scenario {
    name: &'static str,
    changes: usize,
    clusters: usize,
    parallelism: usize,
    /// Zipf exponent of the spread over clusters: 1.0 steep, 0.0 even.
    skew: f64,
    /// Per-operation time spread: each operation takes `unit × (1 ± spread)`.
    spread: f64,
    /// Every n-th change is a replacement (two operations); 0 for none.
    replace_every: usize,
    /// Shuffle the plan so the busiest cluster's changes come last (worst case for plan order).
    busiest_last: bool,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "1000 changes / 60 clusters / p=10, equal op times",
        changes: 1000,
        clusters: 60,
        parallelism: 10,
        skew: 1.0,
        spread: 0.0,
        replace_every: 0,
        busiest_last: false,
    },
    Scenario {
        name: "same, busiest cluster last in plan order",
        changes: 1000,
        clusters: 60,
        parallelism: 10,
        skew: 1.0,
        spread: 0.0,
        replace_every: 0,
        busiest_last: true,
    },
    Scenario {
        name: "300 changes / 60 clusters / p=10, op times ±50%",
        changes: 300,
        clusters: 60,
        parallelism: 10,
        skew: 1.0,
        spread: 0.5,
        replace_every: 0,
        busiest_last: true,
    },
    Scenario {
        name: "300 changes / 60 clusters / p=10, ±50%, every 5th a replace",
        changes: 300,
        clusters: 60,
        parallelism: 10,
        skew: 1.0,
        spread: 0.5,
        replace_every: 5,
        busiest_last: true,
    },
    Scenario {
        name: "200 changes / 20 clusters / p=4, op times ±50%",
        changes: 200,
        clusters: 20,
        parallelism: 4,
        skew: 1.0,
        spread: 0.5,
        replace_every: 0,
        busiest_last: false,
    },
    Scenario {
        name: "1000 changes / 60 clusters / p=10, milder skew, ±50%",
        changes: 1000,
        clusters: 60,
        parallelism: 10,
        skew: 0.5,
        spread: 0.5,
        replace_every: 0,
        busiest_last: true,
    },
    Scenario {
        name: "1000 changes / 60 clusters / p=10, milder skew, ±50%, replaces",
        changes: 1000,
        clusters: 60,
        parallelism: 10,
        skew: 0.5,
        spread: 0.5,
        replace_every: 5,
        busiest_last: true,
    },
];

/// A small deterministic generator, so every run benchmarks the same plans.
struct XorShift(u64);

impl XorShift {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        #[allow(clippy::cast_precision_loss)]
        let value = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        value
    }
}

struct Built {
    graph: DependencyGraph,
    executor: FakeExecutor,
    lower_bound: Duration,
    busiest: Duration,
    total_over_cap: Duration,
}

fn build(scenario: &Scenario, unit: Duration) -> Built {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    #[allow(clippy::cast_precision_loss)]
    let weights: Vec<f64> = (0..scenario.clusters)
        .map(|k| ((k + 1) as f64).powf(-scenario.skew))
        .collect();
    let sum: f64 = weights.iter().sum();
    let pick = |rng: &mut XorShift| {
        let mut target = rng.next_f64() * sum;
        for (k, w) in weights.iter().enumerate() {
            if target < *w {
                return k;
            }
            target -= w;
        }
        weights.len() - 1
    };

    let mut executor = FakeExecutor::new(unit);
    let mut per_cluster: HashMap<usize, Duration> = HashMap::new();
    let mut total = Duration::ZERO;
    let mut changes = Vec::new();
    for i in 0..scenario.changes {
        let k = pick(&mut rng);
        let cluster = ClusterId::new("sub", "rg", &format!("follower{k:02}")).unwrap();
        let replace = scenario.replace_every > 0 && i % scenario.replace_every == 0;
        let count = if replace { 2 } else { 1 };
        let mut operations = Vec::new();
        for j in 0..count {
            let label = format!("change{i}.op{j}");
            let factor = 1.0 + scenario.spread * (2.0 * rng.next_f64() - 1.0);
            let duration = unit.mul_f64(factor);
            executor = executor.with_duration(&label, duration);
            *per_cluster.entry(k).or_default() += duration;
            total += duration;
            operations.push(Operation::KustoCommand {
                cluster: cluster.clone(),
                database: "db".into(),
                csl: label,
            });
        }
        changes.push((
            k,
            Change {
                address: Address::Attachment {
                    follower: format!("follower{k:02}"),
                    name: format!("a{i}"),
                },
                action: if replace {
                    Action::Replace
                } else {
                    Action::Attach
                },
                attributes: Vec::new(),
                unchanged_attributes: 0,
                reason: None,
                operations,
                depends_on: Vec::new(),
                origin: None,
            },
        ));
    }
    if scenario.busiest_last {
        // Cluster 0 is the busiest by construction; a stable sort keeps the rest in order.
        changes.sort_by_key(|(k, _)| *k == 0);
    }
    let busiest = per_cluster.values().copied().max().unwrap_or_default();
    let total_over_cap = total.div_f64(scenario.parallelism as f64);
    Built {
        graph: DependencyGraph::from_depends_on(changes.into_iter().map(|(_, c)| c).collect())
            .unwrap(),
        executor,
        lower_bound: busiest.max(total_over_cap),
        busiest,
        total_over_cap,
    }
}

async fn run(scenario: &Scenario, unit: Duration) -> (Duration, Built) {
    let built = build(scenario, unit);
    let report = apply(
        &built.graph,
        &built.executor,
        &ApplyOptions {
            parallelism: scenario.parallelism,
        },
        std::future::pending(),
        |_| {},
    )
    .await;
    assert!(report.is_complete());
    assert!(built.executor.overlaps().is_empty());
    (report.elapsed, built)
}

/// The lower bound again, from the time each operation really took.
fn measured_lower_bound(built: &Built, parallelism: usize) -> Duration {
    let mut per_cluster: HashMap<String, Duration> = HashMap::new();
    let mut total = Duration::ZERO;
    for call in built.executor.calls() {
        let took = call.end - call.start;
        *per_cluster.entry(call.cluster.key()).or_default() += took;
        total += took;
    }
    let busiest = per_cluster.values().copied().max().unwrap_or_default();
    busiest.max(total.div_f64(parallelism as f64))
}

fn main() {
    let real = std::env::args().any(|a| a == "--real");
    let unit = if real {
        Duration::from_millis(20)
    } else {
        // A typical ARM attachment write with its long-running-operation wait.
        Duration::from_secs(30)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(!real)
        .build()
        .unwrap();
    println!(
        "clock: {}, unit operation time {unit:?}",
        if real { "real" } else { "simulated (paused)" }
    );
    println!(
        "{:<66} {:>10} {:>10} {:>10} {:>7} {:>9}",
        "scenario", "makespan", "busiest", "total/p", "ratio", "measured"
    );
    let seconds = |d: Duration| {
        if real {
            format!("{:.0}ms", d.as_secs_f64() * 1000.0)
        } else {
            format!("{:.0}s", d.as_secs_f64())
        }
    };
    for scenario in SCENARIOS {
        let (makespan, built) = runtime.block_on(run(scenario, unit));
        let measured = measured_lower_bound(&built, scenario.parallelism);
        println!(
            "{:<66} {:>10} {:>10} {:>10} {:>7.3} {:>9.3}",
            scenario.name,
            seconds(makespan),
            seconds(built.busiest),
            seconds(built.total_over_cap),
            makespan.as_secs_f64() / built.lower_bound.as_secs_f64(),
            makespan.as_secs_f64() / measured.as_secs_f64(),
        );
    }
}
