//! The record of an apply stopped at once (a second interrupt): without a report, each
//! change's outcome comes from the events seen, and a change still in flight is unknown.

use kfollow_apply::record::{ApplyRecord, OperationStatus, Outcome, RunResult};
use kfollow_apply::{Event, NotAttemptedReason};
use kfollow_model::{Action, Plan};

use crate::common::*;

#[test]
fn an_abandoned_apply_takes_each_outcome_from_the_events() {
    let names = ["done", "broken", "lost", "flying", "skipped", "waiting"];
    let plan = Plan {
        changes: names.iter().map(|n| one(n, n, &[])).collect(),
        ..Plan::default()
    };
    let started = |n: &str| Event::Started {
        address: address(n),
        action: Action::Attach,
    };
    let events = vec![
        started("done"),
        Event::Succeeded {
            address: address("done"),
            action: Action::Attach,
            elapsed: 2 * SECOND,
        },
        started("broken"),
        Event::Failed {
            address: address("broken"),
            action: Action::Attach,
            error: "refused".into(),
        },
        started("lost"),
        Event::Unknown {
            address: address("lost"),
            action: Action::Attach,
            error: "no answer".into(),
        },
        started("flying"),
        Event::Skipped {
            address: address("skipped"),
            action: Action::Attach,
            reason: NotAttemptedReason::Cancelled,
        },
    ];
    let mut record = ApplyRecord::start("0.0.0");
    record.set_abandoned(&plan, &events);

    let seen: Vec<(Outcome, OperationStatus)> = record
        .changes
        .iter()
        .map(|c| (c.outcome, c.operations[0].status))
        .collect();
    assert_eq!(
        seen,
        [
            (Outcome::Succeeded, OperationStatus::Succeeded),
            (Outcome::Failed, OperationStatus::Unknown),
            (Outcome::Unknown, OperationStatus::Unknown),
            (Outcome::Unknown, OperationStatus::Unknown),
            (Outcome::NotAttempted, OperationStatus::NotSent),
            (Outcome::NotAttempted, OperationStatus::NotSent),
        ]
    );
    assert_eq!(record.changes[0].duration_ms, Some(2000));
    assert_eq!(record.changes[0].reason, None);
    assert_eq!(record.changes[1].reason.as_deref(), Some("refused"));
    assert!(
        record.changes[3]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("second interrupt")),
        "{:?}",
        record.changes[3].reason
    );
    assert_eq!(
        record.changes[4].reason.as_deref(),
        Some("not attempted because apply was interrupted")
    );
    assert_eq!(record.result, RunResult::Interrupted);
    assert_eq!((record.summary.succeeded, record.summary.failed), (1, 1));
    assert_eq!(
        (record.summary.unknown, record.summary.not_attempted),
        (2, 2)
    );
}
