//! The record of an apply (`kfollow apply --record FILE`): a JSON document that says who
//! applied what, where, when, and what came of every change, down to the ids Azure gave each
//! request. It is evidence for an auditor, written whether the apply completed, failed, was
//! interrupted or stopped before its first write. The format is documented in
//! `docs/apply-record.md`; a change to a key or a value here is a change to that contract and
//! needs [`APPLY_RECORD_FORMAT_VERSION`] `"2"` unless it only adds keys.
//!
//! [`ApplyRecord::start`] opens a record; [`ApplyRecord::set_plan`] and
//! [`ApplyRecord::set_report`] fill it as the apply goes (or [`ApplyRecord::set_abandoned`],
//! when the apply was stopped at once and no report came); [`ApplyRecord::finish`] closes it.
//! [`Evidence`] keeps the record as an apply goes, knows the files it must not be written
//! over, and writes it and the rollback manifest. Nothing here ever sees a token: the caller is a
//! [`Caller`], whose claims were decoded, not verified.

mod evidence;

use std::time::{Duration, SystemTime};

use kfollow_azure::{API_VERSION, Caller, FinalStatus, Receipt};
use kfollow_model::{Action, Address, Change, Operation, Plan};
use serde::Serialize;
use serde_json::Value;

use crate::report::{ApplyReport, Event, Failed};

pub use evidence::{Ending, Evidence, NotWritten, Unwritable};

/// The version of the apply record format. Readers should refuse a version they do not know.
pub const APPLY_RECORD_FORMAT_VERSION: &str = "1";

/// What an apply record is; see the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplyRecord {
    /// [`APPLY_RECORD_FORMAT_VERSION`].
    pub format_version: &'static str,
    /// The kfollow that applied.
    pub kfollow_version: String,
    /// When the apply started (RFC 3339, UTC).
    pub started_at: String,
    /// When it ended (RFC 3339, UTC); empty until [`ApplyRecord::finish`].
    pub finished_at: String,
    /// How the apply ended as a whole.
    pub result: RunResult,
    /// Why it stopped, when an error stopped it.
    pub error: Option<String>,
    /// The manifest the plan was made from.
    pub manifest: Option<FileDigest>,
    /// The saved plan that was applied, when one was.
    pub saved_plan: Option<FileDigest>,
    /// Where Azure was; `None` when the apply stopped before it connected.
    pub target: Option<Target>,
    /// The addresses the apply was limited to (`--target`); empty for the whole plan.
    pub targets: Vec<String>,
    /// Who applied it, as the access token claims.
    pub applied_by: Caller,
    /// The rollback manifest written before the first write, when one was.
    pub rollback_manifest: Option<String>,
    /// How many changes ended each way.
    pub summary: Summary,
    /// Every change of the plan, in execution order.
    pub changes: Vec<ChangeRecord>,
    /// Live resources outside the manifest that the plan reported.
    pub unmanaged: Vec<UnmanagedRecord>,
    /// The plan's warnings, then what the apply warned about.
    pub warnings: Vec<String>,
}

/// How an apply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    /// Every change succeeded, or there was nothing to do.
    Complete,
    /// Some change failed, has an unknown outcome, or was not attempted.
    Incomplete,
    /// Ctrl-C: no change started after it; the ones in flight finished.
    Interrupted,
    /// Stopped before the first write (a refusal, an error, no approval): nothing was changed.
    NotStarted,
}

/// A file and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDigest {
    /// The file as the user named it.
    pub path: String,
    /// The SHA-256 of its bytes, in lower-case hex; `None` when it is not known (the manifest
    /// of a saved plan that recorded no SHA-256 of it).
    pub sha256: Option<String>,
}

/// Where the apply sent its requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The ARM endpoint (`https://management.azure.com`), or `emulator:<world file>`.
    pub arm_endpoint: String,
    /// The Azure cloud whose token scopes and authority were used (`public`, …).
    pub cloud: String,
}

/// How many changes ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// All changes of the plan.
    pub total: usize,
    /// Changes whose every operation succeeded.
    pub succeeded: usize,
    /// Changes with an operation that failed.
    pub failed: usize,
    /// Changes with an operation whose outcome is unknown.
    pub unknown: usize,
    /// Changes never started.
    pub not_attempted: usize,
}

/// What came of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every operation succeeded.
    Succeeded,
    /// An operation failed; the ones after it were not sent.
    Failed,
    /// An operation was sent and whether it took effect is not known.
    Unknown,
    /// The change never started.
    NotAttempted,
}

/// One change of the plan and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRecord {
    /// Its plan address (`attachment.emea/sales`).
    pub address: String,
    /// kfollow's word for it: `attach`, `update`, `replace`, `detach`.
    pub action: Action,
    /// What came of it.
    pub outcome: Outcome,
    /// Why it failed, is unknown, or was not attempted; `None` when it succeeded.
    pub reason: Option<String>,
    /// The attributes that change, with their live values before; `None` for an attach.
    pub before: Option<Value>,
    /// The same attributes as the plan wanted them; `None` for a detach.
    pub after: Option<Value>,
    /// From its start to the end of its last operation, for a change that succeeded.
    pub duration_ms: Option<u64>,
    /// Every operation of the change, in order, sent or not.
    pub operations: Vec<OperationRecord>,
}

/// How one operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    /// It took effect.
    Succeeded,
    /// It was refused, or its long-running operation failed.
    Failed,
    /// Its long-running operation was canceled.
    Canceled,
    /// It was sent and its end was never seen.
    Unknown,
    /// It was never sent (an earlier operation of its change did not succeed, or the change
    /// did not start).
    NotSent,
}

/// One operation of a change: the request, and what Azure said of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationRecord {
    /// The operation's name, as in the JSON plan (`put_attachment`, `kusto_command`, …).
    pub op: &'static str,
    /// The resource id of the cluster it writes to.
    pub cluster: String,
    /// An ARM request's line: `PUT <resource id>?api-version=…`; `None` for a management
    /// command.
    pub request: Option<String>,
    /// A management command's database; `None` for an ARM request.
    pub database: Option<String>,
    /// A management command's text, verbatim; `None` for an ARM request.
    pub command: Option<String>,
    /// How it ended.
    pub status: OperationStatus,
    /// From its first request to its end, when it was sent.
    pub duration_ms: Option<u64>,
    /// The long-running operation's id, when ARM started one.
    pub operation_id: Option<String>,
    /// Status requests sent while waiting for the long-running operation.
    pub polls: u32,
    /// How many times it was submitted (more than once when its cluster was busy).
    pub submissions: u32,
    /// Every request that carried it (retries and re-submissions included, polls not).
    pub requests: Vec<RequestIds>,
    /// Why it did not succeed, when it did not.
    pub error: Option<String>,
}

/// The ids that name one request on both sides, for a support case with Microsoft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestIds {
    /// The `x-ms-client-request-id` kfollow sent (for a management command, Kusto's
    /// `ClientRequestId`).
    pub client_request_id: String,
    /// ARM's `x-ms-request-id`.
    pub request_id: Option<String>,
    /// ARM's `x-ms-correlation-request-id`.
    pub correlation_request_id: Option<String>,
    /// The Kusto management endpoint's `x-ms-activity-id`.
    pub activity_id: Option<String>,
    /// The HTTP status; `None` when no answer came back.
    pub http_status: Option<u16>,
}

/// A live resource outside the manifest that the plan reported and left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmanagedRecord {
    /// Its address.
    pub address: String,
    /// What it is.
    pub description: String,
}

impl ApplyRecord {
    /// A record of an apply starting now, before anything is known of where it runs, who
    /// runs it, or its plan: the caller fills in [`ApplyRecord::target`] and
    /// [`ApplyRecord::applied_by`] when it knows them.
    pub fn start(kfollow_version: &str) -> ApplyRecord {
        ApplyRecord {
            format_version: APPLY_RECORD_FORMAT_VERSION,
            kfollow_version: kfollow_version.to_owned(),
            started_at: rfc3339(SystemTime::now()),
            finished_at: String::new(),
            result: RunResult::NotStarted,
            error: None,
            manifest: None,
            saved_plan: None,
            target: None,
            targets: Vec::new(),
            applied_by: Caller::unknown("kfollow stopped before it asked for an access token"),
            rollback_manifest: None,
            summary: Summary::default(),
            changes: Vec::new(),
            unmanaged: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The plan about to be applied: every change, not attempted until a report says
    /// otherwise, and what the plan reported beside them.
    pub fn set_plan(&mut self, plan: &Plan) {
        self.targets = plan
            .targeting
            .as_ref()
            .map(|targeting| targeting.targets.clone())
            .unwrap_or_default();
        self.changes = plan
            .changes
            .iter()
            .map(|change| {
                change_record(
                    change,
                    Outcome::NotAttempted,
                    Some("apply stopped before this change started".to_owned()),
                )
            })
            .collect();
        self.unmanaged = plan
            .unmanaged
            .iter()
            .map(|u| UnmanagedRecord {
                address: u.address.to_string(),
                description: u.description.clone(),
            })
            .collect();
        self.warnings.clone_from(&plan.warnings);
        self.summary = summary(&self.changes);
    }

    /// What the apply of `plan` did: each change's outcome and each operation's receipt.
    pub fn set_report(&mut self, plan: &Plan, report: &ApplyReport) {
        self.set_plan(plan);
        for (record, change) in self.changes.iter_mut().zip(&plan.changes) {
            let address = &change.address;
            if let Some(done) = report.succeeded.iter().find(|s| &s.address == address) {
                *record = change_record(change, Outcome::Succeeded, None);
                record.duration_ms = Some(millis(done.elapsed));
                fill_operations(record, &done.receipts, None);
            } else if let Some(failed) = stopped(&report.failed, address) {
                *record = change_record(change, Outcome::Failed, Some(failed.error.clone()));
                fill_operations(record, &failed.receipts, Some(failed));
            } else if let Some(unknown) = stopped(&report.unknown, address) {
                *record = change_record(change, Outcome::Unknown, Some(unknown.error.clone()));
                fill_operations(record, &unknown.receipts, Some(unknown));
            } else if let Some(skipped) =
                report.not_attempted.iter().find(|n| &n.address == address)
            {
                record.reason = Some(skipped.reason.to_string());
            }
        }
        self.summary = summary(&self.changes);
        self.result = if report.cancelled {
            RunResult::Interrupted
        } else if report.is_complete() {
            RunResult::Complete
        } else {
            RunResult::Incomplete
        };
    }

    /// What the apply of `plan` had done when it was stopped at once (a second interrupt),
    /// from the events it had sent: no report came, so no operation has its receipt. A change
    /// that started and did not end has an unknown outcome, and so have its operations.
    pub fn set_abandoned(&mut self, plan: &Plan, events: &[Event]) {
        self.set_plan(plan);
        for (record, change) in self.changes.iter_mut().zip(&plan.changes) {
            let address = &change.address;
            let (mut outcome, mut reason) = (Outcome::NotAttempted, record.reason.take());
            for event in events.iter().filter(|e| e.address() == address) {
                (outcome, reason) = match event {
                    Event::Started { .. } => (
                        Outcome::Unknown,
                        Some(
                            "in flight when kfollow was stopped at once by a second interrupt; \
                             run `kfollow plan` to see whether it took effect"
                                .to_owned(),
                        ),
                    ),
                    Event::Succeeded { elapsed, .. } => {
                        record.duration_ms = Some(millis(*elapsed));
                        (Outcome::Succeeded, None)
                    }
                    Event::Failed { error, .. } => (Outcome::Failed, Some(error.clone())),
                    Event::Unknown { error, .. } => (Outcome::Unknown, Some(error.clone())),
                    Event::Skipped { reason, .. } => {
                        (Outcome::NotAttempted, Some(reason.to_string()))
                    }
                };
            }
            let status = match outcome {
                Outcome::Succeeded => OperationStatus::Succeeded,
                Outcome::NotAttempted => OperationStatus::NotSent,
                Outcome::Failed | Outcome::Unknown => OperationStatus::Unknown,
            };
            for operation in &mut record.operations {
                operation.status = status;
            }
            record.outcome = outcome;
            record.reason = reason;
        }
        self.summary = summary(&self.changes);
        self.result = RunResult::Interrupted;
    }

    /// A plan with nothing to do: the apply is complete without a write.
    pub fn nothing_to_do(&mut self, plan: &Plan) {
        self.set_plan(plan);
        self.result = RunResult::Complete;
    }

    /// Closes the record now. `error` is what stopped the apply, if anything did; before any
    /// report was set, the apply did not start.
    pub fn finish(&mut self, error: Option<String>) {
        self.finished_at = rfc3339(SystemTime::now());
        if error.is_some() && self.result == RunResult::Complete {
            self.result = RunResult::Incomplete;
        }
        self.error = error;
    }

    /// The record's text: indented JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        // Every field is a string, a number, a list or a map of them: serialising cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }
}

fn stopped<'a>(list: &'a [Failed], address: &Address) -> Option<&'a Failed> {
    list.iter().find(|f| &f.address == address)
}

fn summary(changes: &[ChangeRecord]) -> Summary {
    let count = |outcome| changes.iter().filter(|c| c.outcome == outcome).count();
    Summary {
        total: changes.len(),
        succeeded: count(Outcome::Succeeded),
        failed: count(Outcome::Failed),
        unknown: count(Outcome::Unknown),
        not_attempted: count(Outcome::NotAttempted),
    }
}

/// A change with its operations, none of them sent yet.
fn change_record(change: &Change, outcome: Outcome, reason: Option<String>) -> ChangeRecord {
    let (before, after) = change.sides();
    ChangeRecord {
        address: change.address.to_string(),
        action: change.action,
        outcome,
        reason,
        before,
        after,
        duration_ms: None,
        operations: change.operations.iter().map(unsent).collect(),
    }
}

fn unsent(operation: &Operation) -> OperationRecord {
    let (database, command) = match operation {
        Operation::KustoCommand { database, csl, .. } => {
            (Some(database.clone()), Some(csl.clone()))
        }
        _ => (None, None),
    };
    OperationRecord {
        op: operation.name(),
        cluster: operation.cluster().to_string(),
        request: operation
            .arm_request()
            .map(|(method, path)| format!("{method} {path}?api-version={API_VERSION}")),
        database,
        command,
        status: OperationStatus::NotSent,
        duration_ms: None,
        operation_id: None,
        polls: 0,
        submissions: 0,
        requests: Vec::new(),
        error: None,
    }
}

/// Gives the operations of `record` their receipts, in order (an operation that was sent has
/// at most one, and the ones sent come first). For a change that stopped, the operation after
/// the completed ones is the one that failed or is unknown, receipt or not.
fn fill_operations(record: &mut ChangeRecord, receipts: &[Receipt], stopped: Option<&Failed>) {
    let kusto = |operation: &OperationRecord| operation.command.is_some();
    for (operation, receipt) in record.operations.iter_mut().zip(receipts) {
        let is_kusto = kusto(operation);
        operation.status = match receipt.status {
            FinalStatus::Succeeded => OperationStatus::Succeeded,
            FinalStatus::Failed => OperationStatus::Failed,
            FinalStatus::Canceled => OperationStatus::Canceled,
            FinalStatus::Unknown => OperationStatus::Unknown,
        };
        operation.duration_ms = Some(millis(receipt.duration));
        operation.operation_id.clone_from(&receipt.operation_id);
        operation.polls = receipt.polls;
        operation.submissions = receipt.submissions;
        operation.requests = receipt
            .requests
            .iter()
            .map(|exchange| RequestIds {
                client_request_id: exchange.client_request_id.clone(),
                request_id: exchange.request_id.clone().filter(|_| !is_kusto),
                correlation_request_id: exchange.correlation_id.clone(),
                activity_id: exchange.request_id.clone().filter(|_| is_kusto),
                http_status: exchange.status,
            })
            .collect();
    }
    if let Some(stopped) = stopped
        && let Some(operation) = record.operations.get_mut(stopped.completed_operations)
    {
        operation.error = Some(stopped.error.clone());
        if operation.status == OperationStatus::NotSent {
            // No receipt came back (the request never left, or the executor could not say).
            operation.status = if record.outcome == Outcome::Unknown {
                OperationStatus::Unknown
            } else {
                OperationStatus::Failed
            };
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `2026-11-28T18:03:44.123Z`: UTC, to the millisecond.
fn rfc3339(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    let at = at.replace_millisecond(at.millisecond()).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_to_the_millisecond() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_795_000_000_123_456_789);
        assert_eq!(rfc3339(at), "2026-11-18T11:06:40.123Z");
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(rfc3339(whole), "2026-11-18T11:06:40Z");
    }
}
