//! Random DAGs of changes over a few clusters, with random durations and failures: the
//! scheduler's invariants hold on every one, and its outcome matches a plain reading of the
//! rules.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use kfollow_apply::fake::FakeExecutor;
use kfollow_apply::{ApplyReport, Event, NotAttemptedReason};
use kfollow_graph::DependencyGraph;
use kfollow_model::Action;
use proptest::prelude::*;

use crate::common::*;

#[derive(Debug, Clone)]
struct Spec {
    /// Per change: its operations as (cluster, duration in seconds, fails).
    changes: Vec<Vec<(u8, u8, bool)>>,
    /// Per change: indices of earlier changes it depends on.
    depends_on: Vec<Vec<usize>>,
    parallelism: usize,
}

fn spec() -> impl Strategy<Value = Spec> {
    let operation = (0u8..5, 1u8..4, prop::bool::weighted(0.1));
    let change = prop::collection::vec(operation, 1..4);
    (prop::collection::vec(change, 1..25), 1usize..6).prop_flat_map(|(changes, parallelism)| {
        let n = changes.len();
        let depends_on = (0..n)
            .map(|i| {
                prop::collection::vec(0..i.max(1), 0..3.min(i + 1))
                    .prop_map(move |deps| if i == 0 { Vec::new() } else { deps })
            })
            .collect::<Vec<_>>();
        (Just(changes), depends_on, Just(parallelism)).prop_map(
            |(changes, depends_on, parallelism)| Spec {
                changes,
                depends_on,
                parallelism,
            },
        )
    })
}

fn label(change: usize, operation: usize) -> String {
    format!("c{change}o{operation}")
}

fn build(spec: &Spec) -> (DependencyGraph, FakeExecutor) {
    let mut executor = FakeExecutor::new(SECOND);
    let mut changes = Vec::new();
    for (i, operations) in spec.changes.iter().enumerate() {
        let mut ops = Vec::new();
        for (j, &(cluster, seconds, fails)) in operations.iter().enumerate() {
            let label = label(i, j);
            executor = executor.with_duration(&label, Duration::from_secs(seconds.into()));
            if fails {
                executor = executor.with_failure(&label, "scripted failure");
            }
            ops.push(op(&format!("k{cluster}"), &label));
        }
        let deps: Vec<String> = spec.depends_on[i].iter().map(|d| format!("n{d}")).collect();
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        changes.push(change(&format!("n{i}"), Action::Update, ops, &deps));
    }
    (plan(changes), executor)
}

fn run_paused(spec: &Spec) -> (ApplyReport, Vec<Event>, FakeExecutor) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let (plan, executor) = build(spec);
    let (report, events) = runtime.block_on(run(&plan, &executor, spec.parallelism));
    (report, events, executor)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_random_dags(spec in spec()) {
        let (report, events, executor) = run_paused(&spec);
        let calls = executor.calls();

        // Never two operations in flight on one cluster, never more changes than the cap.
        prop_assert!(executor.overlaps().is_empty());
        prop_assert!(max_changes_in_flight(&events) <= spec.parallelism);

        // Only operations of the plan, each at most once, each change's in order.
        let known: HashSet<String> = spec
            .changes
            .iter()
            .enumerate()
            .flat_map(|(i, ops)| (0..ops.len()).map(move |j| label(i, j)))
            .collect();
        let mut seen = HashSet::new();
        for call in &calls {
            prop_assert!(known.contains(&call.label), "unknown {}", call.label);
            prop_assert!(seen.insert(call.label.clone()), "twice {}", call.label);
        }
        let by_label: HashMap<&str, _> = calls.iter().map(|c| (c.label.as_str(), c)).collect();
        for (i, ops) in spec.changes.iter().enumerate() {
            for j in 1..ops.len() {
                if let Some(later) = by_label.get(label(i, j).as_str()) {
                    let earlier = by_label[label(i, j - 1).as_str()];
                    prop_assert!(earlier.end_tick < later.start_tick);
                }
            }
        }

        // What a plain reading of the rules says should happen to each change.
        let mut expected = Vec::new(); // "succeeded" | "failed" | "not attempted"
        for (i, ops) in spec.changes.iter().enumerate() {
            let deps_ok = spec.depends_on[i].iter().all(|&d| expected[d] == "succeeded");
            let outcome = if !deps_ok {
                "not attempted"
            } else if ops.iter().any(|&(_, _, fails)| fails) {
                "failed"
            } else {
                "succeeded"
            };
            expected.push(outcome);
        }
        let mut actual = vec![""; spec.changes.len()];
        let index = |name: &str| name.trim_start_matches('n').parse::<usize>().unwrap();
        for s in &report.succeeded {
            actual[index(&names([s.address.clone()])[0])] = "succeeded";
        }
        for f in &report.failed {
            let i = index(&names([f.address.clone()])[0]);
            actual[i] = "failed";
            let first_failure = spec.changes[i].iter().position(|&(_, _, fails)| fails);
            prop_assert_eq!(Some(f.completed_operations), first_failure);
        }
        for n in &report.not_attempted {
            actual[index(&names([n.address.clone()])[0])] = "not attempted";
            let is_dependency_failure =
                matches!(n.reason, NotAttemptedReason::DependencyFailed { .. });
            prop_assert!(is_dependency_failure);
        }
        prop_assert_eq!(
            report.succeeded.len() + report.failed.len() + report.not_attempted.len(),
            spec.changes.len()
        );
        prop_assert_eq!(&actual, &expected);

        // A change's first call comes after every dependency's last call ended.
        let last_end = |i: usize| {
            (0..spec.changes[i].len())
                .filter_map(|j| by_label.get(label(i, j).as_str()).map(|c| c.end_tick))
                .max()
        };
        for (i, deps) in spec.depends_on.iter().enumerate() {
            if let Some(first) = by_label.get(label(i, 0).as_str()) {
                for &d in deps {
                    let end = last_end(d);
                    prop_assert!(end.is_some_and(|end| end < first.start_tick));
                }
            }
        }
    }

    /// Independent one-operation changes of equal length: longest-queue-first is optimal, the
    /// makespan is the larger of the busiest cluster's count and the total over the cap.
    #[test]
    fn independent_unit_changes_reach_the_lower_bound(
        clusters in prop::collection::vec(0u8..8, 1..40),
        parallelism in 1usize..6,
    ) {
        let changes = clusters
            .iter()
            .enumerate()
            .map(|(i, c)| one(&format!("n{i}"), &format!("k{c}"), &[]))
            .collect();
        let plan = plan(changes);
        let executor = FakeExecutor::new(SECOND);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let (report, _) = runtime.block_on(run(&plan, &executor, parallelism));

        let mut per_cluster: HashMap<u8, u32> = HashMap::new();
        for c in &clusters {
            *per_cluster.entry(*c).or_default() += 1;
        }
        let busiest = per_cluster.values().copied().max().unwrap_or(0);
        let total = u32::try_from(clusters.len()).unwrap();
        let cap = u32::try_from(parallelism).unwrap();
        let bound = busiest.max(total.div_ceil(cap));
        prop_assert_eq!(report.elapsed, SECOND * bound);
    }
}
