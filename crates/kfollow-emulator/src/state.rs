//! The emulator's mutable state: the world, the long-running operations, the pending schema
//! refreshes, the request log.
//!
//! Operations complete lazily: [`State::settle`] runs at the start of every request (and from a
//! timer, so `--save` writes promptly), applies the effect of every operation whose time has
//! come, and marks it `Succeeded` or `Failed`. The world changes only then; until then ARM
//! shows the attachment an operation creates or deletes with its `provisioningState`
//! ([`State::attachments_shown`]).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kfollow_model::Timespan;
use serde::Serialize;

use crate::budget::Budgets;
use crate::refresh::SchemaRefresh;
use crate::world::{World, WorldAttachment};

/// The most requests the log keeps. A standalone emulator serving a long session (or a load
/// test) would otherwise grow without bound; the oldest records go first. Tests read far fewer.
pub const LOG_LIMIT: usize = 100_000;

/// One request the emulator received.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// The HTTP method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The command text of a Kusto management request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csl: Option<String>,
    /// The `x-ms-client-request-id` the caller sent, so that a client's record of its
    /// requests can be checked against what arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
}

/// A long-running operation as a test or a benchmark sees it: where it ran, when, and how it
/// ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRecord {
    /// The lower-case name of the cluster whose write it is.
    pub cluster: String,
    /// `properties.operationKind` (`FollowerDatabaseCreate`, …).
    pub kind: String,
    /// When it started.
    pub started: SystemTime,
    /// When it ended; `None` while it runs.
    pub ended: Option<SystemTime>,
    /// The error code it ended with, when it failed.
    pub failure: Option<String>,
}

/// How a long-running operation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still running.
    Running,
    /// Done; its effect is in the world.
    Succeeded,
    /// Done without effect.
    Failed {
        /// The error code.
        code: String,
        /// The error message.
        message: String,
    },
}

/// What an operation does to the world when it succeeds. Clusters are named, not indexed, so
/// an effect stays meaningful whatever happens to the world in between.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Create or update an attachment on a follower cluster.
    PutAttachment {
        /// The follower cluster's name.
        follower: String,
        /// The attachment as it will be.
        attachment: Box<WorldAttachment>,
    },
    /// Remove an attachment (detach).
    DeleteAttachment {
        /// The follower cluster's name.
        follower: String,
        /// The attachment name.
        name: String,
    },
    /// Set the database-level hot cache period of a follower database.
    SetHotCache {
        /// The follower cluster's name.
        cluster: String,
        /// The follower database.
        database: String,
        /// The new period (`None` removes the override).
        period: Option<Timespan>,
    },
    /// Delete a read-write database.
    DeleteDatabase {
        /// The cluster's name.
        cluster: String,
        /// The database.
        database: String,
    },
}

/// What the `Location` form of the status answers once an operation succeeded.
#[derive(Debug, Clone)]
pub enum FinalResult {
    /// The attachment resource.
    Attachment {
        /// The follower cluster's name.
        cluster: String,
        /// The attachment name.
        name: String,
    },
    /// The database resource.
    Database {
        /// The cluster's name.
        cluster: String,
        /// The database name.
        name: String,
    },
    /// Nothing (deletes).
    Nothing,
}

/// A long-running operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Its id (a GUID).
    pub id: String,
    /// The subscription of the cluster it runs on.
    pub subscription: String,
    /// The region in its status URL, as ARM shows it (`East US`).
    pub location: String,
    /// The lower-case name of the cluster whose write it is.
    pub cluster: String,
    /// `properties.operationKind`.
    pub kind: &'static str,
    /// When it started.
    pub started: SystemTime,
    /// When it ends; `None` for an operation that never ends.
    pub due: Option<Instant>,
    /// What it changes.
    pub effect: Effect,
    /// The error it ends with instead of its effect, if a fault said so.
    pub failure: Option<(String, String)>,
    /// Where it stands.
    pub outcome: Outcome,
    /// When it ended.
    pub ended: Option<SystemTime>,
    /// What the `Location` form answers when it succeeded.
    pub result: FinalResult,
}

/// Everything the routes share, behind one mutex.
#[derive(Debug)]
pub struct State {
    /// The world.
    pub world: World,
    /// Operations by id.
    pub operations: HashMap<String, Operation>,
    /// The follower databases whose changed settings `.show` does not report yet.
    pub refresh: SchemaRefresh,
    /// The last [`LOG_LIMIT`] requests, in order (push through [`State::record`]).
    pub log: VecDeque<RequestRecord>,
    /// What each subscription has spent of its request budget.
    pub budgets: Budgets,
    /// Bumped on every change of the world, so `--save` knows when to write.
    pub revision: u64,
    /// When the world was loaded: the creation time of the one extent every table holds
    /// (`.show tables details`).
    pub loaded_at: SystemTime,
}

impl State {
    /// A state around a world.
    pub fn new(world: World) -> State {
        State {
            world,
            operations: HashMap::new(),
            refresh: SchemaRefresh::default(),
            log: VecDeque::new(),
            budgets: Budgets::default(),
            revision: 0,
            loaded_at: SystemTime::now(),
        }
    }

    /// Every operation started so far, oldest first.
    pub fn operation_records(&self) -> Vec<OperationRecord> {
        let mut records: Vec<OperationRecord> = self
            .operations
            .values()
            .map(|op| OperationRecord {
                cluster: op.cluster.clone(),
                kind: op.kind.to_owned(),
                started: op.started,
                ended: op.ended,
                failure: match &op.outcome {
                    Outcome::Failed { code, .. } => Some(code.clone()),
                    Outcome::Running | Outcome::Succeeded => None,
                },
            })
            .collect();
        records.sort_by_key(|r| r.started);
        records
    }

    /// Logs a request, dropping the oldest record past [`LOG_LIMIT`].
    pub fn record(&mut self, record: RequestRecord) {
        if self.log.len() >= LOG_LIMIT {
            self.log.pop_front();
        }
        self.log.push_back(record);
    }

    /// Completes every operation whose time has come, and forgets the schema refreshes done.
    pub fn settle(&mut self, now: Instant) {
        self.refresh.settle(now);
        let due: Vec<String> = self
            .operations
            .values()
            .filter(|op| op.outcome == Outcome::Running && op.due.is_some_and(|due| due <= now))
            .map(|op| op.id.clone())
            .collect();
        for id in due {
            let Some(op) = self.operations.get_mut(&id) else {
                continue;
            };
            op.ended = Some(SystemTime::now());
            match op.failure.clone() {
                Some((code, message)) => op.outcome = Outcome::Failed { code, message },
                None => {
                    op.outcome = Outcome::Succeeded;
                    let effect = op.effect.clone();
                    let detached_from = match &effect {
                        Effect::DeleteAttachment { follower, .. } => Some(follower.clone()),
                        _ => None,
                    };
                    apply(&mut self.world, effect);
                    if let Some(follower) = detached_from {
                        forget_detached(&mut self.refresh, &self.world, &follower);
                    }
                    self.revision += 1;
                }
            }
        }
    }

    /// The running operation holding a cluster's write, if any.
    pub fn write_in_flight(&self, cluster: &str) -> Option<&Operation> {
        self.operations
            .values()
            .find(|op| op.outcome == Outcome::Running && op.cluster.eq_ignore_ascii_case(cluster))
    }

    /// The attachments of a follower cluster as ARM shows them, each with its
    /// `provisioningState`: those of the world (`Deleting` while an operation removes it,
    /// `Running` while one updates it, else `Succeeded`), then those a running operation
    /// creates (`Creating`), oldest first. The service lists an attachment being created; it
    /// does not hide it until it is done.
    pub fn attachments_shown(&self, cluster: usize) -> Vec<(&WorldAttachment, &'static str)> {
        let Some(follower) = self.world.clusters.get(cluster) else {
            return Vec::new();
        };
        let here = |name: &str| name.eq_ignore_ascii_case(follower.id.name());
        let mut running: Vec<&Operation> = self
            .operations
            .values()
            .filter(|op| op.outcome == Outcome::Running)
            .collect();
        running.sort_by(|a, b| (a.started, &a.id).cmp(&(b.started, &b.id)));
        let state_of = |attachment: &str| {
            running
                .iter()
                .find_map(|op| match &op.effect {
                    Effect::DeleteAttachment { follower, name }
                        if here(follower) && name.eq_ignore_ascii_case(attachment) =>
                    {
                        Some("Deleting")
                    }
                    Effect::PutAttachment {
                        follower,
                        attachment: wanted,
                    } if here(follower) && wanted.name.eq_ignore_ascii_case(attachment) => {
                        Some("Running")
                    }
                    _ => None,
                })
                .unwrap_or("Succeeded")
        };
        let mut shown: Vec<(&WorldAttachment, &'static str)> = follower
            .attached_database_configurations
            .iter()
            .map(|a| (a, state_of(&a.name)))
            .collect();
        for op in running {
            if let Effect::PutAttachment {
                follower,
                attachment,
            } = &op.effect
                && here(follower)
                && !shown
                    .iter()
                    .any(|(a, _)| a.name.eq_ignore_ascii_case(&attachment.name))
            {
                shown.push((attachment, "Creating"));
            }
        }
        shown
    }

    /// One attachment as ARM shows it (name compared case-insensitively).
    pub fn attachment_shown(
        &self,
        cluster: usize,
        name: &str,
    ) -> Option<(&WorldAttachment, &'static str)> {
        self.attachments_shown(cluster)
            .into_iter()
            .find(|(a, _)| a.name.eq_ignore_ascii_case(name))
    }

    /// The earliest moment a running operation is due, for the settle timer.
    pub fn next_due(&self) -> Option<Instant> {
        self.operations
            .values()
            .filter(|op| op.outcome == Outcome::Running)
            .filter_map(|op| op.due)
            .min()
    }
}

/// Forgets the pending refreshes of the follower databases a detach removed from `follower`.
fn forget_detached(refresh: &mut SchemaRefresh, world: &World, follower: &str) {
    let Some(cluster) = world.cluster_index(follower) else {
        return;
    };
    let remaining = world.follower_databases(cluster);
    refresh.retain_databases(follower, |database| {
        remaining
            .iter()
            .any(|f| f.name.eq_ignore_ascii_case(database))
    });
}

fn apply(world: &mut World, effect: Effect) {
    match effect {
        Effect::PutAttachment {
            follower,
            attachment,
        } => {
            let Some(index) = world.cluster_index(&follower) else {
                return;
            };
            let list = &mut world.clusters[index].attached_database_configurations;
            match list
                .iter_mut()
                .find(|a| a.name.eq_ignore_ascii_case(&attachment.name))
            {
                Some(existing) => {
                    let settings = std::mem::take(&mut existing.follower_databases);
                    *existing = *attachment;
                    existing.follower_databases = settings;
                }
                None => list.push(*attachment),
            }
            world.fill_follower_settings();
        }
        Effect::DeleteAttachment { follower, name } => {
            if let Some(index) = world.cluster_index(&follower) {
                world.clusters[index]
                    .attached_database_configurations
                    .retain(|a| !a.name.eq_ignore_ascii_case(&name));
            }
        }
        Effect::SetHotCache {
            cluster,
            database,
            period,
        } => {
            if let Some(index) = world.cluster_index(&cluster)
                && let Some(settings) = world.follower_settings_mut(index, &database)
            {
                settings.hot_cache_period = period;
            }
        }
        Effect::DeleteDatabase { cluster, database } => {
            if let Some(index) = world.cluster_index(&cluster) {
                world.clusters[index]
                    .databases
                    .retain(|d| !d.name.eq_ignore_ascii_case(&database));
            }
        }
    }
}

/// A time as ARM writes it: RFC 3339 in UTC with seven fractional digits.
pub fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:07}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_nanos() / 100
    )
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_as_arm_does() {
        let time = UNIX_EPOCH + Duration::new(1_603_719_942, 702_530_100);
        assert_eq!(rfc3339(time), "2020-10-26T13:45:42.7025301Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.0000000Z");
    }
}
