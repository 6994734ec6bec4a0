//! After apply: what really happened to the changes whose outcome apply could not see.
//!
//! A write whose answer was lost, or whose operation's status could not be read until its
//! deadline, may well have taken effect in Azure ([`ApplyReport::unknown`]). [`reread_unknown`]
//! reads the live state again, as `kfollow plan` would, and says for each such change what is
//! live: done after all ([`Found::Live`]), not done ([`Found::NotApplied`]), or with an
//! operation still running on it ([`Found::InProgress`], the fresh plan waits for it). While
//! some are still running (or, for follower database settings, not shown yet: they take
//! effect at the next schema refresh), it reads again after each pause, as [`crate::settle`]
//! does. [`ApplyReport::resolve_unknown`] then moves each change to the list it belongs in.
//!
//! As for [`crate::settle`], reading the live state is the caller's `replan` closure.

use std::future::Future;
use std::time::Duration;

use kfollow_model::{Address, Change, Operation, Plan};

use crate::ApplyReport;
use crate::settle::{ReadUntil, read_until};

/// The pauses before each read of [`reread_unknown`]: at once, then 2, 4, 8 and 16 s later,
/// as [`crate::SETTLE_PAUSES`]: the span in which an operation that was about to end ends, and
/// a schema refresh comes.
pub const REREAD_PAUSES: [Duration; 5] = crate::SETTLE_PAUSES;

/// What reading a change again found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The change is live: the fresh plan no longer holds it.
    Live,
    /// The change did not take effect: the fresh plan still holds it, as `action` says.
    NotApplied,
    /// An operation still runs on its attachment, in this `provisioningState`: the fresh plan
    /// waits for it.
    InProgress(String),
    /// Follower database settings that do not show yet: they take effect at the cluster's next
    /// schema refresh, so whether they were applied is still not known.
    NotShownYet,
}

/// One change whose outcome was unknown, and what reading it again found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reread {
    /// The change.
    pub address: Address,
    /// What the live state shows.
    pub found: Found,
}

/// The `provisioningState` a fresh change waits on, if it waits.
fn waits_on(change: &Change) -> Option<&str> {
    change.operations.iter().find_map(|op| match op {
        Operation::AwaitAttachment {
            provisioning_state, ..
        } => Some(provisioning_state.as_str()),
        _ => None,
    })
}

/// True when a fresh change's state may still move on its own: an operation runs on it, or it
/// sets follower database settings, which show only at the next schema refresh.
fn may_still_move(change: &Change) -> bool {
    waits_on(change).is_some()
        || change
            .operations
            .iter()
            .any(|op| matches!(op, Operation::KustoCommand { .. }))
}

/// What `plan` (fresh) says of `address`.
fn found_in(plan: &Plan, address: &Address) -> Found {
    match plan.changes.iter().find(|c| &c.address == address) {
        None => Found::Live,
        Some(change) => match waits_on(change) {
            Some(state) => Found::InProgress(state.to_owned()),
            None if may_still_move(change) => Found::NotShownYet,
            None => Found::NotApplied,
        },
    }
}

/// Reads the live state again for every change of `report.unknown`, after each pause of
/// `pauses` while some of them may still move (an operation runs on them, or their settings
/// are not shown yet), and says what each one is. Reads nothing when no outcome is unknown.
///
/// `on_waiting` is called once, when the first read shows some still moving.
///
/// # Errors
///
/// The error of a read that failed: what is live is then as unknown as before.
pub async fn reread_unknown<E, F, R>(
    report: &ApplyReport,
    pauses: &[Duration],
    replan: F,
    on_waiting: impl FnOnce(),
) -> Result<Vec<Reread>, E>
where
    F: FnMut() -> R,
    R: Future<Output = Result<Plan, E>>,
{
    let addresses: Vec<&Address> = report.unknown.iter().map(|u| &u.address).collect();
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    let settled = |plan: &Plan| {
        plan.changes
            .iter()
            .filter(|c| addresses.contains(&&c.address))
            .all(|c| !may_still_move(c))
    };
    let plan = match read_until(pauses, replan, settled, on_waiting).await {
        ReadUntil::Done(plan) | ReadUntil::PausesRanOut(plan) => plan,
        ReadUntil::ReadFailed { error, .. } => return Err(error),
    };
    Ok(addresses
        .into_iter()
        .map(|address| Reread {
            address: address.clone(),
            found: found_in(&plan, address),
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::cell::Cell;

    use kfollow_model::{Action, AttachmentBody, ClusterId, PrincipalsModificationKind};
    use tokio::time::Instant;

    use super::*;
    use crate::script::Script;
    use crate::{Failed, Succeeded};

    fn fc() -> ClusterId {
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fc"
            .parse()
            .unwrap()
    }

    fn attachment(name: &str) -> Address {
        Address::Attachment {
            follower: "fc".into(),
            name: name.into(),
        }
    }

    fn settings(database: &str) -> Address {
        Address::FollowerDatabase {
            follower: "fc".into(),
            database: database.into(),
        }
    }

    /// A fresh change of `address`: one that still sends `operation`.
    fn change(address: Address, operation: Operation) -> Change {
        Change {
            address,
            action: Action::Attach,
            attributes: Vec::new(),
            unchanged_attributes: 0,
            reason: None,
            operations: vec![operation],
            depends_on: Vec::new(),
            origin: None,
        }
    }

    fn put(name: &str) -> Operation {
        Operation::PutAttachment {
            follower: fc(),
            name: name.into(),
            body: body(),
        }
    }

    fn body() -> AttachmentBody {
        AttachmentBody {
            location: "West Europe".into(),
            leader: fc(),
            database_name: "Sales".into(),
            database_name_override: None,
            database_name_prefix: None,
            default_principals_modification_kind: PrincipalsModificationKind::Union,
            table_level_sharing: kfollow_model::TableLevelSharing::default(),
        }
    }

    fn creating(name: &str) -> Operation {
        Operation::AwaitAttachment {
            follower: fc(),
            name: name.into(),
            provisioning_state: "Creating".into(),
            live: body(),
        }
    }

    fn command() -> Operation {
        Operation::KustoCommand {
            cluster: fc(),
            database: "Sales".into(),
            csl: ".alter follower database Sales prefetch-extents = true".into(),
        }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            changes,
            ..Plan::default()
        }
    }

    fn unknown(address: Address) -> Failed {
        Failed {
            address,
            action: Action::Attach,
            completed_operations: 0,
            operations: 1,
            error: "the outcome of `PUT …` is unknown: its operation did not finish within 1s"
                .into(),
            receipts: vec![kfollow_azure::Receipt {
                duration: Duration::from_secs(3),
                ..kfollow_azure::Receipt::default()
            }],
        }
    }

    /// Runs [`reread_unknown`] with the real pauses: what it found, how many reads, whether it
    /// said it waits, how long it took on the paused clock.
    async fn run(
        report: &ApplyReport,
        script: &Script,
    ) -> (Result<Vec<Reread>, String>, usize, bool, Duration) {
        let waited = Cell::new(false);
        let start = Instant::now();
        let found = reread_unknown(
            report,
            &REREAD_PAUSES,
            || script.replan(),
            || waited.set(true),
        )
        .await;
        (found, script.reads.get(), waited.get(), start.elapsed())
    }

    fn report(addresses: &[Address]) -> ApplyReport {
        ApplyReport {
            unknown: addresses.iter().cloned().map(unknown).collect(),
            ..ApplyReport::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_read_tells_what_is_live_and_what_is_not() {
        let (a, b) = (attachment("a"), attachment("b"));
        // `a` is no longer in the fresh plan (live); `b` still is, to attach.
        let script = Script::new(vec![Ok(plan(vec![change(b.clone(), put("b"))]))]);
        let (found, reads, waited, took) = run(&report(&[a.clone(), b.clone()]), &script).await;
        assert_eq!(
            found.unwrap(),
            [
                Reread {
                    address: a,
                    found: Found::Live
                },
                Reread {
                    address: b,
                    found: Found::NotApplied
                }
            ]
        );
        assert_eq!((reads, waited, took), (1, false, Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn an_operation_still_running_is_read_again_until_it_ends() {
        let a = attachment("a");
        let script = Script::new(vec![
            Ok(plan(vec![change(a.clone(), creating("a"))])),
            Ok(plan(vec![change(a.clone(), creating("a"))])),
            Ok(plan(Vec::new())),
        ]);
        let (found, reads, waited, took) = run(&report(std::slice::from_ref(&a)), &script).await;
        assert_eq!(
            found.unwrap(),
            [Reread {
                address: a,
                found: Found::Live
            }]
        );
        assert_eq!((reads, waited, took), (3, true, Duration::from_secs(6)));
    }

    #[tokio::test(start_paused = true)]
    async fn one_still_running_after_the_last_pause_is_in_progress() {
        let (a, sales) = (attachment("a"), settings("Sales"));
        let still = || {
            Ok(plan(vec![
                change(a.clone(), creating("a")),
                change(sales.clone(), command()),
            ]))
        };
        let script = Script::new((0..5).map(|_| still()).collect());
        let (found, reads, _, took) = run(&report(&[a.clone(), sales.clone()]), &script).await;
        assert_eq!(
            found.unwrap(),
            [
                Reread {
                    address: a,
                    found: Found::InProgress("Creating".into())
                },
                Reread {
                    address: sales,
                    found: Found::NotShownYet
                }
            ]
        );
        assert_eq!((reads, took), (5, Duration::from_secs(30)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_read_says_so_and_nothing_unknown_reads_nothing() {
        let script = Script::new(vec![Err("throttled".into())]);
        let (found, reads, _, _) = run(&report(&[attachment("a")]), &script).await;
        assert_eq!((found, reads), (Err("throttled".into()), 1));

        let script = Script::new(Vec::new());
        let (found, reads, _, _) = run(&ApplyReport::default(), &script).await;
        assert_eq!((found.unwrap(), reads), (Vec::new(), 0));
    }

    #[test]
    fn the_report_moves_each_change_where_it_belongs() {
        let (a, b, c) = (attachment("a"), attachment("b"), attachment("c"));
        let mut report = report(&[a.clone(), b.clone(), c.clone()]);
        report.resolve_unknown(vec![
            Reread {
                address: a.clone(),
                found: Found::Live,
            },
            Reread {
                address: b.clone(),
                found: Found::NotApplied,
            },
            Reread {
                address: c.clone(),
                found: Found::InProgress("Creating".into()),
            },
        ]);
        assert_eq!(
            report.succeeded,
            [Succeeded {
                address: a,
                action: Action::Attach,
                elapsed: Duration::from_secs(3),
                receipts: unknown(attachment("a")).receipts,
            }]
        );
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].address, b);
        assert!(
            report.failed[0]
                .error
                .ends_with("; read again, it is not live: `kfollow plan` still shows it to do"),
            "{}",
            report.failed[0].error
        );
        assert_eq!(report.unknown.len(), 1);
        assert!(
            report.unknown[0].error.ends_with(
                "; read again, an operation still runs on it (`provisioningState` `Creating`)"
            ),
            "{}",
            report.unknown[0].error
        );
        assert_eq!(report.reread.len(), 3);
        assert_eq!(
            report.summary(),
            "Apply incomplete: 1 attached, 0 changed, 0 replaced, 0 detached; 1 failed, 1 unknown, 0 not attempted."
        );
    }
}
