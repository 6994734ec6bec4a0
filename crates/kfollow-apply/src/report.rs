//! What apply tells while it runs ([`Event`]) and when it is done ([`ApplyReport`]).

use std::fmt;
use std::time::Duration;

use kfollow_azure::Receipt;
use kfollow_model::{Action, Address};

use crate::reread::{Found, Reread};

/// Progress of one change, sent as it happens so the cli can draw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The change took a parallelism slot and its first operation is being sent.
    Started {
        /// The change.
        address: Address,
        /// What it does.
        action: Action,
    },
    /// Every operation of the change succeeded.
    Succeeded {
        /// The change.
        address: Address,
        /// What it did.
        action: Action,
        /// From [`Event::Started`] to the end of its last operation.
        elapsed: Duration,
    },
    /// An operation of the change failed; the rest of its operations were not sent.
    Failed {
        /// The change.
        address: Address,
        /// What it was doing.
        action: Action,
        /// Which operation failed and why (the executor's message, Azure's for the real one).
        error: String,
    },
    /// An operation of the change was sent, and whether it took effect is not known (its
    /// answer, or its operation's end, was never seen); the rest were not sent.
    Unknown {
        /// The change.
        address: Address,
        /// What it was doing.
        action: Action,
        /// Which operation, and what was not seen.
        error: String,
    },
    /// The change will not be attempted.
    Skipped {
        /// The change.
        address: Address,
        /// What it would have done.
        action: Action,
        /// Why not.
        reason: NotAttemptedReason,
    },
}

impl Event {
    /// The change the event is about.
    pub fn address(&self) -> &Address {
        match self {
            Event::Started { address, .. }
            | Event::Succeeded { address, .. }
            | Event::Failed { address, .. }
            | Event::Unknown { address, .. }
            | Event::Skipped { address, .. } => address,
        }
    }
}

/// One plain line per event, in Terraform's manner, for output that is not a terminal:
/// `attachment.west/sales: Attaching...`, `attachment.west/sales: Attached after 12s`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Started { address, action } => {
                let verb = match action {
                    Action::Attach => "Attaching",
                    Action::Update => "Updating",
                    Action::Replace => "Replacing",
                    Action::Detach => "Detaching",
                };
                write!(f, "{address}: {verb}...")
            }
            Event::Succeeded {
                address,
                action,
                elapsed,
            } => {
                let done = match action {
                    Action::Attach => "Attached",
                    Action::Update => "Updated",
                    Action::Replace => "Replaced",
                    Action::Detach => "Detached",
                };
                write!(f, "{address}: {done} after {}", format_elapsed(*elapsed))
            }
            Event::Failed { address, error, .. } => write!(f, "{address}: Failed: {error}"),
            Event::Unknown { address, error, .. } => {
                write!(f, "{address}: Outcome unknown: {error}")
            }
            Event::Skipped {
                address, reason, ..
            } => write!(f, "{address}: {reason}"),
        }
    }
}

/// A duration as Terraform prints one: `0s`, `12s`, `1m30s`, `1h2m3s` (whole seconds).
pub fn format_elapsed(elapsed: Duration) -> String {
    let total = elapsed.as_secs();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// Why a change was not attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAttemptedReason {
    /// A change it depends on (directly or through others) failed.
    DependencyFailed {
        /// The change that failed.
        dependency: Address,
    },
    /// A change it depends on has an unknown outcome.
    DependencyUnknown {
        /// The change whose outcome is unknown.
        dependency: Address,
    },
    /// Apply was interrupted before the change could start.
    Cancelled,
}

impl fmt::Display for NotAttemptedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotAttemptedReason::DependencyFailed { dependency } => {
                write!(f, "not attempted because `{dependency}` failed")
            }
            NotAttemptedReason::DependencyUnknown { dependency } => write!(
                f,
                "not attempted because the outcome of `{dependency}` is unknown"
            ),
            NotAttemptedReason::Cancelled => {
                f.write_str("not attempted because apply was interrupted")
            }
        }
    }
}

/// A change whose operations all succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct Succeeded {
    /// The change.
    pub address: Address,
    /// What it did.
    pub action: Action,
    /// How long it took, from start to the end of its last operation.
    pub elapsed: Duration,
    /// What each of its operations learned, in order.
    pub receipts: Vec<Receipt>,
}

/// A change with an operation that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// The change.
    pub address: Address,
    /// What it was doing.
    pub action: Action,
    /// How many of its operations succeeded before the failure. For a replacement, one means
    /// the old attachment is gone and the new one was not created (or, for an [`Unknown`],
    /// may not have been).
    pub completed_operations: usize,
    /// How many operations the change has.
    pub operations: usize,
    /// Which operation failed and why.
    pub error: String,
    /// What each operation that was sent learned, in order, the failed one included when the
    /// executor said.
    pub receipts: Vec<Receipt>,
}

/// A change with an operation whose outcome is unknown: it was sent, and neither its answer nor
/// its end was seen. The fields are those of [`Failed`]; `completed_operations` counts the
/// operations before the unknown one, `error` says what was not seen. The live resource must be
/// read again to know what is there.
pub type Unknown = Failed;

/// A change that was never started.
#[derive(Debug, Clone, PartialEq)]
pub struct NotAttempted {
    /// The change.
    pub address: Address,
    /// What it would have done.
    pub action: Action,
    /// Why it was not started.
    pub reason: NotAttemptedReason,
}

/// The outcome of an apply: every change of the plan appears in exactly one list, in plan order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    /// Changes carried out.
    pub succeeded: Vec<Succeeded>,
    /// Changes that failed part way or at their first operation.
    pub failed: Vec<Failed>,
    /// Changes with an operation whose outcome is unknown. Whoever reports the apply should
    /// read these resources again to say what is live.
    pub unknown: Vec<Unknown>,
    /// Changes never started.
    pub not_attempted: Vec<NotAttempted>,
    /// The changes whose outcome was unknown, and what reading them again found (filled by
    /// [`ApplyReport::resolve_unknown`]; empty until then).
    pub reread: Vec<Reread>,
    /// True when apply was interrupted (the changes it did not start are in `not_attempted`).
    pub cancelled: bool,
    /// Wall time of the whole apply.
    pub elapsed: Duration,
}

impl ApplyReport {
    /// True when every change of the plan succeeded.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.unknown.is_empty() && self.not_attempted.is_empty()
    }

    /// Moves each change whose outcome was unknown to where reading it again put it: a live
    /// one to `succeeded` (its time is that of its operations), one not applied to `failed`;
    /// one still running, or whose settings do not show yet, stays in `unknown`. Each error
    /// says what the second read found. Keeps `reread`.
    pub fn resolve_unknown(&mut self, reread: Vec<Reread>) {
        for entry in &reread {
            let Some(index) = self.unknown.iter().position(|u| u.address == entry.address) else {
                continue;
            };
            let said = match &entry.found {
                Found::Live => {
                    let unknown = self.unknown.remove(index);
                    self.succeeded.push(Succeeded {
                        elapsed: unknown.receipts.iter().map(|r| r.duration).sum(),
                        address: unknown.address,
                        action: unknown.action,
                        receipts: unknown.receipts,
                    });
                    continue;
                }
                Found::NotApplied => {
                    let mut failed = self.unknown.remove(index);
                    failed.error.push_str(
                        "; read again, it is not live: `kfollow plan` still shows it to do",
                    );
                    self.failed.push(failed);
                    continue;
                }
                Found::InProgress(state) => {
                    format!("an operation still runs on it (`provisioningState` `{state}`)")
                }
                Found::NotShownYet => "its settings do not show yet (they take effect at the \
                                       cluster's next schema refresh)"
                    .to_owned(),
            };
            let unknown = &mut self.unknown[index];
            unknown.error.push_str("; read again, ");
            unknown.error.push_str(&said);
        }
        self.reread = reread;
    }

    /// How many changes with this action succeeded.
    pub fn succeeded_count(&self, action: Action) -> usize {
        self.succeeded.iter().filter(|s| s.action == action).count()
    }

    /// `Apply complete! 2 attached, 1 changed, 0 replaced, 0 detached.`, counting the changes
    /// that succeeded; when some failed or were not attempted, `Apply incomplete: …; 1 failed,
    /// 2 not attempted.`, with `1 unknown` after the failures when some outcomes are unknown.
    pub fn summary(&self) -> String {
        let done = format!(
            "{} attached, {} changed, {} replaced, {} detached",
            self.succeeded_count(Action::Attach),
            self.succeeded_count(Action::Update),
            self.succeeded_count(Action::Replace),
            self.succeeded_count(Action::Detach),
        );
        if self.is_complete() {
            format!("Apply complete! {done}.")
        } else {
            // "complete" would be a lie: say what did not happen in the same line. An unknown
            // outcome is not a failure: the change may well be live.
            let unknown = if self.unknown.is_empty() {
                String::new()
            } else {
                format!(", {} unknown", self.unknown.len())
            };
            format!(
                "Apply incomplete: {done}; {} failed{unknown}, {} not attempted.",
                self.failed.len(),
                self.not_attempted.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(name: &str) -> Address {
        Address::Attachment {
            follower: "west".into(),
            name: name.into(),
        }
    }

    #[test]
    fn summary_counts_only_what_succeeded() {
        let done = |name: &str, action| Succeeded {
            address: attachment(name),
            action,
            elapsed: Duration::ZERO,
            receipts: Vec::new(),
        };
        let report = ApplyReport {
            succeeded: vec![
                done("a", Action::Attach),
                done("b", Action::Attach),
                done("c", Action::Update),
                done("d", Action::Detach),
            ],
            failed: vec![Failed {
                address: attachment("e"),
                action: Action::Replace,
                completed_operations: 1,
                operations: 2,
                error: "boom".into(),
                receipts: Vec::new(),
            }],
            ..ApplyReport::default()
        };
        assert_eq!(
            report.summary(),
            "Apply incomplete: 2 attached, 1 changed, 0 replaced, 1 detached; 1 failed, 0 not attempted."
        );
        assert!(!report.is_complete());
    }

    #[test]
    fn unknown_outcomes_are_counted_apart_from_failures() {
        let report = ApplyReport {
            unknown: vec![Unknown {
                address: attachment("a"),
                action: Action::Attach,
                completed_operations: 0,
                operations: 1,
                error: "the outcome of `PUT …` is unknown".into(),
                receipts: Vec::new(),
            }],
            ..ApplyReport::default()
        };
        assert!(!report.is_complete());
        assert_eq!(
            report.summary(),
            "Apply incomplete: 0 attached, 0 changed, 0 replaced, 0 detached; 0 failed, 1 unknown, 0 not attempted."
        );
        let line = Event::Unknown {
            address: attachment("a"),
            action: Action::Attach,
            error: "the outcome of `PUT …` is unknown".into(),
        };
        assert_eq!(
            line.to_string(),
            "attachment.west/a: Outcome unknown: the outcome of `PUT …` is unknown"
        );
    }

    #[test]
    fn events_read_as_plain_lines() {
        let lines: Vec<String> = [
            Event::Started {
                address: attachment("a"),
                action: Action::Replace,
            },
            Event::Succeeded {
                address: attachment("a"),
                action: Action::Replace,
                elapsed: Duration::from_secs(90),
            },
            Event::Failed {
                address: attachment("b"),
                action: Action::Attach,
                error: "put attachment `b` on cluster `west` failed: 409 `Conflict`".into(),
            },
            Event::Skipped {
                address: attachment("c"),
                action: Action::Detach,
                reason: NotAttemptedReason::Cancelled,
            },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            lines,
            [
                "attachment.west/a: Replacing...",
                "attachment.west/a: Replaced after 1m30s",
                "attachment.west/b: Failed: put attachment `b` on cluster `west` failed: 409 `Conflict`",
                "attachment.west/c: not attempted because apply was interrupted",
            ]
        );
    }

    #[test]
    fn elapsed_reads_like_terraform() {
        assert_eq!(format_elapsed(Duration::from_millis(400)), "0s");
        assert_eq!(format_elapsed(Duration::from_secs(12)), "12s");
        assert_eq!(format_elapsed(Duration::from_secs(3723)), "1h2m3s");
    }

    #[test]
    fn reasons_read_as_sentences() {
        let reason = NotAttemptedReason::DependencyFailed {
            dependency: attachment("a"),
        };
        assert_eq!(
            reason.to_string(),
            "not attempted because `attachment.west/a` failed"
        );
    }
}
