//! The scheduler against the fake executor, on tokio's paused clock: every duration below is
//! simulated, so the timings asserted are exact and the tests take milliseconds.

// A test that cannot build its fixture should stop right there.
#![allow(clippy::unwrap_used)]

mod common;
mod emulator;
mod properties;
mod record;

use std::time::Duration;

use common::*;
use kfollow_apply::fake::FakeExecutor;
use kfollow_apply::{ApplyOptions, Event, NotAttemptedReason, apply};
use kfollow_model::Action;

#[tokio::test(start_paused = true)]
async fn one_operation_at_a_time_per_cluster() {
    let mut changes = Vec::new();
    for i in 0..6 {
        changes.push(one(&format!("a{i}"), "a", &[]));
    }
    for i in 0..3 {
        changes.push(one(&format!("b{i}"), "b", &[]));
    }
    changes.push(one("c0", "c", &[]));
    let plan = plan(changes);
    let executor = FakeExecutor::new(SECOND);

    let (report, _) = run(&plan, &executor, 10).await;

    assert!(report.is_complete());
    assert_eq!(executor.overlaps(), Vec::<String>::new());
    // Three clusters, so three at a time, and cluster `a` alone sets the pace.
    assert_eq!(executor.max_in_flight(), 3);
    assert_eq!(report.elapsed, 6 * SECOND);
    let on_a: Vec<_> = executor
        .calls()
        .into_iter()
        .filter(|c| c.cluster == cluster("a"))
        .collect();
    for pair in on_a.windows(2) {
        assert!(pair[0].end_tick < pair[1].start_tick, "{pair:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn parallelism_caps_changes_in_flight() {
    let changes = (0..20)
        .map(|i| one(&format!("c{i}"), &format!("cluster{i}"), &[]))
        .collect();
    let plan = plan(changes);
    let executor = FakeExecutor::new(SECOND);

    let (report, events) = run(&plan, &executor, 3).await;

    assert_eq!(report.succeeded.len(), 20);
    assert_eq!(max_changes_in_flight(&events), 3);
    assert_eq!(executor.max_in_flight(), 3);
    assert_eq!(report.elapsed, 7 * SECOND); // ceil(20 / 3)
}

#[tokio::test(start_paused = true)]
async fn a_change_starts_only_after_its_dependencies_succeeded() {
    // A diamond over four clusters, and a chain on one.
    let plan = plan(vec![
        one("top", "a", &[]),
        one("left", "b", &["top"]),
        one("right", "c", &["top"]),
        one("bottom", "d", &["left", "right"]),
    ]);
    let executor = FakeExecutor::new(SECOND).with_duration("left", 3 * SECOND);

    let (report, events) = run(&plan, &executor, 10).await;

    assert!(report.is_complete());
    let order: Vec<String> = events
        .iter()
        .map(|e| match e {
            Event::Started { address, .. } => format!("start {}", names([address.clone()])[0]),
            Event::Succeeded { address, .. } => format!("done {}", names([address.clone()])[0]),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        order,
        [
            "start top",
            "done top",
            "start left",
            "start right",
            "done right",
            "done left",
            "start bottom",
            "done bottom",
        ]
    );
    let bottom = executor
        .calls()
        .into_iter()
        .find(|c| c.label == "bottom")
        .unwrap();
    assert_eq!(bottom.start, 4 * SECOND);
}

#[tokio::test(start_paused = true)]
async fn a_failure_stops_its_dependents_and_independent_changes_finish() {
    let plan = plan(vec![
        one("a", "x", &[]),
        one("b", "y", &["a"]),
        one("c", "z", &["b"]),
        one("d", "x", &[]),
        one("e", "w", &["d"]),
    ]);
    let executor = FakeExecutor::new(SECOND).with_failure("a", "Conflict: the cluster is busy");

    let (report, events) = run(&plan, &executor, 10).await;

    assert_eq!(
        names(report.succeeded.iter().map(|s| s.address.clone())),
        ["d", "e"]
    );
    assert_eq!(report.failed.len(), 1);
    let failed = &report.failed[0];
    assert_eq!(failed.address, address("a"));
    assert_eq!(
        failed.error,
        "run `a` on cluster `x` failed: Conflict: the cluster is busy"
    );
    assert_eq!((failed.completed_operations, failed.operations), (0, 1));
    assert_eq!(
        names(report.not_attempted.iter().map(|n| n.address.clone())),
        ["b", "c"]
    );
    for skipped in &report.not_attempted {
        assert_eq!(
            skipped.reason,
            NotAttemptedReason::DependencyFailed {
                dependency: address("a")
            }
        );
        assert_eq!(
            skipped.reason.to_string(),
            "not attempted because `attachment.f/a` failed"
        );
    }
    let labels: Vec<String> = executor.calls().into_iter().map(|c| c.label).collect();
    assert_eq!(labels, ["a", "d", "e"]);
    assert!(events.contains(&Event::Skipped {
        address: address("c"),
        action: Action::Attach,
        reason: NotAttemptedReason::DependencyFailed {
            dependency: address("a")
        },
    }));
    assert_eq!(
        report.summary(),
        "Apply incomplete: 2 attached, 0 changed, 0 replaced, 0 detached; 1 failed, 2 not attempted."
    );
}

#[tokio::test(start_paused = true)]
async fn a_replacement_that_fails_half_way_says_how_far_it_got() {
    let plan = plan(vec![change(
        "r",
        Action::Replace,
        vec![op("x", "delete r"), op("x", "put r"), op("x", "settings r")],
        &[],
    )]);
    let executor = FakeExecutor::new(SECOND).with_failure("put r", "BadRequest: leader is gone");

    let (report, _) = run(&plan, &executor, 10).await;

    let failed = &report.failed[0];
    assert_eq!((failed.completed_operations, failed.operations), (1, 3));
    assert_eq!(
        failed.error,
        "operation 2 of 3 (run `put r` on cluster `x`) failed: BadRequest: leader is gone"
    );
    let labels: Vec<String> = executor.calls().into_iter().map(|c| c.label).collect();
    assert_eq!(labels, ["delete r", "put r"]);
}

#[tokio::test(start_paused = true)]
async fn a_change_over_two_clusters_holds_one_at_a_time() {
    // `span` writes to `a` then `b`; `long` keeps `b` busy meanwhile, `next` waits on `a`.
    let plan = plan(vec![
        change("long", Action::Detach, vec![op("b", "long")], &[]),
        change(
            "span",
            Action::Update,
            vec![op("a", "span on a"), op("b", "span on b")],
            &[],
        ),
        one("next", "a", &[]),
    ]);
    let executor = FakeExecutor::new(SECOND).with_duration("long", 5 * SECOND);

    let (report, _) = run(&plan, &executor, 10).await;

    assert!(report.is_complete());
    assert!(executor.overlaps().is_empty());
    let start = |label: &str| {
        executor
            .calls()
            .into_iter()
            .find(|c| c.label == label)
            .unwrap()
            .start
    };
    // `a` is free again as soon as `span` is done with it, though `span` still waits for `b`.
    assert_eq!(start("next"), SECOND);
    assert_eq!(start("span on b"), 5 * SECOND);
    assert_eq!(report.succeeded_count(Action::Update), 1);
}

#[tokio::test(start_paused = true)]
async fn the_busiest_cluster_goes_first_when_slots_are_short() {
    // In plan order the three one-change clusters would take both slots first and leave `a`
    // (three changes) with a tail of its own: 4 s. Longest-queue-first needs 3 s.
    let plan = plan(vec![
        one("b", "b", &[]),
        one("c", "c", &[]),
        one("d", "d", &[]),
        one("a0", "a", &[]),
        one("a1", "a", &[]),
        one("a2", "a", &[]),
    ]);
    let executor = FakeExecutor::new(SECOND);

    let (report, events) = run(&plan, &executor, 2).await;

    assert!(report.is_complete());
    assert_eq!(max_changes_in_flight(&events), 2);
    assert_eq!(report.elapsed, 3 * SECOND);
}

#[tokio::test(start_paused = true)]
async fn cancellation_lets_running_changes_finish_and_starts_nothing_new() {
    let mut changes = vec![change(
        "replace",
        Action::Replace,
        vec![op("r", "delete"), op("r", "put")],
        &[],
    )];
    for i in 0..5 {
        changes.push(one(&format!("a{i}"), "a", &[]));
    }
    let plan = plan(changes);
    let executor = FakeExecutor::new(SECOND);
    let mut events = Vec::new();

    // Interrupted at 1.5 s: `replace` is between its two operations, `a1` is running.
    let report = apply(
        &plan,
        &executor,
        &ApplyOptions::default(),
        tokio::time::sleep(Duration::from_millis(1500)),
        |event| events.push(event),
    )
    .await;

    assert!(report.cancelled);
    assert_eq!(
        names(report.succeeded.iter().map(|s| s.address.clone())),
        ["replace", "a0", "a1"]
    );
    assert_eq!(
        names(report.not_attempted.iter().map(|n| n.address.clone())),
        ["a2", "a3", "a4"]
    );
    assert!(
        report
            .not_attempted
            .iter()
            .all(|n| n.reason == NotAttemptedReason::Cancelled)
    );
    let labels: Vec<String> = executor.calls().into_iter().map(|c| c.label).collect();
    // Both start at once; `a` has more work left, so it is served first.
    assert_eq!(labels, ["a0", "delete", "put", "a1"]);
    assert_eq!(report.elapsed, 2 * SECOND);
}

#[tokio::test(start_paused = true)]
async fn cancelled_before_the_start_runs_nothing() {
    let plan = plan(vec![one("a", "a", &[]), one("b", "b", &["a"])]);
    let executor = FakeExecutor::new(SECOND);

    let report = apply(
        &plan,
        &executor,
        &ApplyOptions::default(),
        std::future::ready(()),
        |_| {},
    )
    .await;

    assert!(executor.calls().is_empty());
    assert_eq!(report.not_attempted.len(), 2);
    assert!(report.cancelled);
}

#[tokio::test(start_paused = true)]
async fn a_change_without_operations_succeeds_without_a_call() {
    let plan = plan(vec![
        change("empty", Action::Update, Vec::new(), &[]),
        one("after", "a", &["empty"]),
    ]);
    let executor = FakeExecutor::new(SECOND);

    let (report, _) = run(&plan, &executor, 1).await;

    assert!(report.is_complete());
    assert_eq!(executor.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn events_tell_the_whole_story_in_order() {
    let plan = plan(vec![one("a", "x", &[]), one("b", "y", &["a"])]);
    let executor = FakeExecutor::new(SECOND).with_failure("a", "nope");

    let (_, events) = run(&plan, &executor, 10).await;

    assert_eq!(
        events,
        [
            Event::Started {
                address: address("a"),
                action: Action::Attach
            },
            Event::Failed {
                address: address("a"),
                action: Action::Attach,
                error: "run `a` on cluster `x` failed: nope".into()
            },
            Event::Skipped {
                address: address("b"),
                action: Action::Attach,
                reason: NotAttemptedReason::DependencyFailed {
                    dependency: address("a")
                }
            },
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_unknown_outcome_is_reported_apart_from_failures_and_stops_its_dependents() {
    let plan = plan(vec![
        change(
            "r",
            Action::Replace,
            vec![op("x", "delete r"), op("x", "put r")],
            &[],
        ),
        one("after", "y", &["r"]),
        one("fine", "z", &[]),
    ]);
    let executor = FakeExecutor::new(SECOND).with_unknown(
        "put r",
        "the outcome of `PUT r` is unknown: 20 status polls in a row failed",
    );

    let (report, events) = run(&plan, &executor, 10).await;

    assert!(report.failed.is_empty(), "{report:#?}");
    assert_eq!(
        names(report.unknown.iter().map(|u| u.address.clone())),
        ["r"]
    );
    let unknown = &report.unknown[0];
    assert_eq!((unknown.completed_operations, unknown.operations), (1, 2));
    assert_eq!(
        unknown.error,
        "operation 2 of 2 (run `put r` on cluster `x`) has an unknown outcome: \
         the outcome of `PUT r` is unknown: 20 status polls in a row failed"
    );
    // Both operations' receipts, the unknown one included.
    let statuses: Vec<_> = unknown.receipts.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            kfollow_apply::FinalStatus::Succeeded,
            kfollow_apply::FinalStatus::Unknown
        ]
    );
    assert_eq!(
        report.not_attempted[0].reason,
        NotAttemptedReason::DependencyUnknown {
            dependency: address("r")
        }
    );
    assert!(events.contains(&Event::Unknown {
        address: address("r"),
        action: Action::Replace,
        error: unknown.error.clone(),
    }));
    let line = events
        .iter()
        .find(|e| matches!(e, Event::Unknown { .. }))
        .unwrap()
        .to_string();
    assert!(
        line.starts_with("attachment.f/r: Outcome unknown: "),
        "{line}"
    );
    assert_eq!(
        report.summary(),
        "Apply incomplete: 1 attached, 0 changed, 0 replaced, 0 detached; 0 failed, 1 unknown, 1 not attempted."
    );
}

#[tokio::test(start_paused = true)]
async fn the_report_keeps_each_operations_receipt_per_change() {
    let plan = plan(vec![
        change(
            "two",
            Action::Replace,
            vec![op("x", "delete two"), op("x", "put two")],
            &[],
        ),
        one("failed", "y", &[]),
    ]);
    let executor = FakeExecutor::new(SECOND).with_failure("failed", "BadRequest");

    let (report, _) = run(&plan, &executor, 10).await;

    let ids = |receipts: &[kfollow_apply::Receipt]| -> Vec<String> {
        receipts
            .iter()
            .map(|r| r.requests[0].client_request_id.clone())
            .collect()
    };
    // The fake names each call's request after the call's index.
    assert_eq!(ids(&report.succeeded[0].receipts), ["fake-0", "fake-2"]);
    assert_eq!(ids(&report.failed[0].receipts), ["fake-1"]);
    assert_eq!(report.succeeded[0].receipts[1].duration, SECOND);
}
