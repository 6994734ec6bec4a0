//! After apply: waiting for follower database settings to show.
//!
//! Follower commands run synchronously but take effect at the follower cluster's next
//! periodic schema refresh (<https://learn.microsoft.com/kusto/management/cluster-follower>),
//! so a read right after apply may still show the old settings. [`settle`] reads again, with
//! growing pauses ([`SETTLE_PAUSES`]), until none of the changes it waits for
//! ([`awaiting_refresh`]) is left in a fresh plan, and tells which still are when it gives up.
//! Settings that do not show yet are no failure: the service accepted the commands.
//!
//! Reading the live state is the caller's: `replan` is a closure that reads it and compares it
//! with the manifest, and returns the plan `kfollow plan` would show now. This crate only runs
//! plans; it does not depend on the crates that read live state and diff it, and tests script
//! the reads on a paused clock. [`crate::reread_unknown`], which reads again the changes whose
//! outcome apply could not see, takes the same closure and shares the loop.

use std::future::Future;
use std::time::Duration;

use kfollow_model::{Address, Operation, Plan};

use crate::ApplyReport;

/// The pauses before each read of [`settle`]: at once, then 2, 4, 8 and 16 s later (30 s in
/// all), the span in which a schema refresh usually comes.
pub const SETTLE_PAUSES: [Duration; 5] = [
    Duration::ZERO,
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
];

/// The changes of `plan` that `report` says succeeded and that sent follower commands: the
/// ones whose effect shows only at the next schema refresh. In the order of the report.
pub fn awaiting_refresh(plan: &Plan, report: &ApplyReport) -> Vec<Address> {
    report
        .succeeded
        .iter()
        .map(|succeeded| &succeeded.address)
        .filter(|address| {
            plan.changes.iter().any(|change| {
                &change.address == *address
                    && change
                        .operations
                        .iter()
                        .any(|op| matches!(op, Operation::KustoCommand { .. }))
            })
        })
        .cloned()
        .collect()
}

/// How waiting for changes to show ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled<E> {
    /// Every change shows, or there was none to wait for.
    Shown,
    /// After the last read, these changes still do not show.
    NotShown(Vec<Address>),
    /// A read failed, so waiting stopped.
    ReadFailed {
        /// What the last read before it still lacked; empty when no read succeeded.
        pending: Vec<Address>,
        /// Why the read failed.
        error: E,
    },
}

/// Reads again after each pause of `pauses` until no change of `changes` is in the plan that
/// `replan` returns, or the pauses run out, or a read fails.
///
/// `on_waiting` is called once, when the first read shows changes still to come, so that the
/// caller can say it waits. With no change to wait for, nothing is read.
pub async fn settle<E, F, R>(
    changes: &[Address],
    pauses: &[Duration],
    replan: F,
    on_waiting: impl FnOnce(),
) -> Settled<E>
where
    F: FnMut() -> R,
    R: Future<Output = Result<Plan, E>>,
{
    if changes.is_empty() {
        return Settled::Shown;
    }
    let left = |plan: &Plan| -> Vec<Address> {
        changes
            .iter()
            .filter(|address| plan.changes.iter().any(|c| &c.address == *address))
            .cloned()
            .collect()
    };
    match read_until(pauses, replan, |plan| left(plan).is_empty(), on_waiting).await {
        ReadUntil::Done(_) => Settled::Shown,
        ReadUntil::PausesRanOut(plan) => Settled::NotShown(left(&plan)),
        ReadUntil::ReadFailed { last, error } => Settled::ReadFailed {
            pending: last.map(|plan| left(&plan)).unwrap_or_default(),
            error,
        },
    }
}

/// How [`read_until`] ended.
pub(crate) enum ReadUntil<E> {
    /// A read satisfied the condition: that plan.
    Done(Plan),
    /// The last plan read, which still did not.
    PausesRanOut(Plan),
    /// A read failed, after `last` (the last plan read, if any).
    ReadFailed { last: Option<Plan>, error: E },
}

/// Reads with `replan` after each pause of `pauses` (at least one read) until `done` holds for
/// the plan read, the pauses run out, or a read fails. `on_waiting` is called once, when the
/// first read does not satisfy `done`.
pub(crate) async fn read_until<E, F, R>(
    pauses: &[Duration],
    mut replan: F,
    done: impl Fn(&Plan) -> bool,
    on_waiting: impl FnOnce(),
) -> ReadUntil<E>
where
    F: FnMut() -> R,
    R: Future<Output = Result<Plan, E>>,
{
    let mut last: Option<Plan> = None;
    let mut on_waiting = Some(on_waiting);
    for pause in pauses {
        tokio::time::sleep(*pause).await;
        let now = match replan().await {
            Ok(plan) => plan,
            Err(error) => return ReadUntil::ReadFailed { last, error },
        };
        if done(&now) {
            return ReadUntil::Done(now);
        }
        if let Some(on_waiting) = on_waiting.take() {
            on_waiting();
        }
        last = Some(now);
    }
    match last {
        Some(plan) => ReadUntil::PausesRanOut(plan),
        None => ReadUntil::PausesRanOut(Plan::default()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::cell::Cell;

    use kfollow_model::{Action, Change, ClusterId};
    use tokio::time::Instant;

    use super::*;
    use crate::Succeeded;
    use crate::script::Script;

    fn database(name: &str) -> Address {
        Address::FollowerDatabase {
            follower: "fc".into(),
            database: name.into(),
        }
    }

    fn change(address: Address, operations: Vec<Operation>) -> Change {
        Change {
            address,
            action: Action::Update,
            attributes: Vec::new(),
            unchanged_attributes: 0,
            reason: None,
            operations,
            depends_on: Vec::new(),
            origin: None,
        }
    }

    /// A fresh plan that still holds these changes.
    fn plan_of(addresses: &[Address]) -> Plan {
        Plan {
            changes: addresses
                .iter()
                .map(|a| change(a.clone(), Vec::new()))
                .collect(),
            ..Plan::default()
        }
    }

    /// Runs [`settle`] with the real pauses: how it ended, how many reads, whether it said it
    /// waits, and how long it took on the paused clock.
    async fn run(changes: &[Address], script: &Script) -> (Settled<String>, usize, bool, Duration) {
        let waited = Cell::new(false);
        let start = Instant::now();
        let settled = settle(
            changes,
            &SETTLE_PAUSES,
            || script.replan(),
            || waited.set(true),
        )
        .await;
        (settled, script.reads.get(), waited.get(), start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn settings_that_show_at_once_are_read_once() {
        let script = Script::new(vec![Ok(plan_of(&[database("Other")]))]);
        let (settled, reads, waited, took) = run(&[database("Sales")], &script).await;
        assert_eq!(settled, Settled::Shown);
        assert_eq!((reads, waited, took), (1, false, Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn settings_that_show_at_the_second_read_end_the_wait_there() {
        let (sales, web) = (database("Sales"), database("Web"));
        let script = Script::new(vec![
            Ok(plan_of(&[sales.clone(), web.clone()])),
            Ok(plan_of(&[])),
        ]);
        let (settled, reads, waited, took) = run(&[sales, web], &script).await;
        assert_eq!(settled, Settled::Shown);
        assert_eq!((reads, waited, took), (2, true, Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn it_gives_up_after_the_last_pause_and_names_what_did_not_show() {
        let (sales, web) = (database("Sales"), database("Web"));
        let mut answers = vec![Ok(plan_of(&[sales.clone(), web.clone()]))];
        answers.extend((0..4).map(|_| Ok(plan_of(&[database("Unrelated"), web.clone()]))));
        let script = Script::new(answers);
        let (settled, reads, waited, took) = run(&[sales, web.clone()], &script).await;
        assert_eq!(settled, Settled::NotShown(vec![web]));
        assert_eq!((reads, waited, took), (5, true, Duration::from_secs(30)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_read_stops_the_wait_with_what_was_still_to_come() {
        let sales = database("Sales");
        let script = Script::new(vec![
            Ok(plan_of(std::slice::from_ref(&sales))),
            Err("throttled".into()),
        ]);
        let (settled, reads, _, took) = run(std::slice::from_ref(&sales), &script).await;
        assert_eq!(
            settled,
            Settled::ReadFailed {
                pending: vec![sales.clone()],
                error: "throttled".into()
            }
        );
        assert_eq!((reads, took), (2, Duration::from_secs(2)));

        let script = Script::new(vec![Err("unreachable".into())]);
        let (settled, reads, waited, _) = run(&[sales], &script).await;
        assert_eq!(
            settled,
            Settled::ReadFailed {
                pending: Vec::new(),
                error: "unreachable".into()
            }
        );
        assert_eq!((reads, waited), (1, false));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_to_wait_for_reads_nothing() {
        let script = Script::new(Vec::new());
        let (settled, reads, waited, _) = run(&[], &script).await;
        assert_eq!((settled, reads, waited), (Settled::Shown, 0, false));
    }

    #[test]
    fn only_succeeded_changes_that_sent_follower_commands_are_awaited() {
        let id: ClusterId =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fc"
                .parse()
                .unwrap();
        let command = || Operation::KustoCommand {
            cluster: id.clone(),
            database: "Sales".into(),
            csl: ".alter follower database Sales prefetch-extents = true".into(),
        };
        let attachment = Address::Attachment {
            follower: "fc".into(),
            name: "sales".into(),
        };
        let detach = Operation::DeleteAttachment {
            follower: id.clone(),
            name: "sales".into(),
        };
        let plan = Plan {
            changes: vec![
                change(attachment.clone(), vec![detach]),
                change(database("Sales"), vec![command()]),
                change(database("Web"), vec![command()]),
                change(database("Logs"), vec![command()]),
            ],
            ..Plan::default()
        };
        let succeeded = |address: Address| Succeeded {
            address,
            action: Action::Update,
            elapsed: Duration::ZERO,
            receipts: Vec::new(),
        };
        // `Web` failed: it is not in the report's successes.
        let report = ApplyReport {
            succeeded: vec![
                succeeded(database("Logs")),
                succeeded(attachment),
                succeeded(database("Sales")),
            ],
            ..ApplyReport::default()
        };
        assert_eq!(
            awaiting_refresh(&plan, &report),
            [database("Logs"), database("Sales")]
        );
    }
}
