//! What `kfollow check` reads of each follower database ([`FreshnessReading`], made by
//! `kfollow-state`) and what it concludes ([`FreshnessReport`], made by `kfollow-diff`'s
//! verdict, shown by `kfollow-render`).
//!
//! Two measures of lag: the follower cluster's Azure Monitor metric `FollowerLatency` (one
//! figure per cluster: how far its metadata sync trails its leaders), and per database the
//! leader's newest extent minus the follower's, table by table (`MaxExtentsCreationTime` of
//! `.show tables details`): the lag a consumer sees, readable only while the leader ingests.

use std::time::{Duration, SystemTime};

use crate::Timespan;

/// One table's newest extent, as `.show tables details` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableExtents {
    /// The table name (case-sensitive).
    pub table: String,
    /// `MaxExtentsCreationTime`; `None` for a table without extents.
    pub newest: Option<SystemTime>,
}

/// Why a read of `kfollow check` gave no answer; shown to the user as is.
pub type Unread = String;

/// Everything `kfollow check` read about one follower database.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshnessReading {
    /// The follower cluster's alias in the manifest.
    pub follower: String,
    /// The follower database's name.
    pub database: String,
    /// The attachment that created it.
    pub attachment: String,
    /// The leader cluster's alias in the manifest.
    pub leader: String,
    /// The leader database it follows.
    pub leader_database: String,
    /// The lag budget (`freshness`), when the attachment has one.
    pub budget: Option<Timespan>,
    /// The follower cluster's ARM `state` (`Running`, `Stopped`, …).
    pub follower_state: String,
    /// The follower database's tables, or why it did not answer (this is the data-plane
    /// request that proves it queryable).
    pub follower_tables: Result<Vec<TableExtents>, Unread>,
    /// The leader database's tables, or why it did not answer.
    pub leader_tables: Result<Vec<TableExtents>, Unread>,
    /// The follower cluster's `FollowerLatency`: the largest per-minute maximum over the last
    /// minutes; `Ok(None)` when Azure Monitor had no data.
    pub cluster_lag: Result<Option<Duration>, Unread>,
}

/// The verdict on one follower database.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseFreshness {
    /// The follower cluster's alias in the manifest.
    pub follower: String,
    /// The follower database's name.
    pub database: String,
    /// The attachment that created it.
    pub attachment: String,
    /// The leader cluster's alias in the manifest.
    pub leader: String,
    /// The leader database it follows.
    pub leader_database: String,
    /// The follower cluster's ARM `state`.
    pub state: String,
    /// Whether the follower database answered the caller.
    pub queryable: bool,
    /// The follower cluster's `FollowerLatency`, when Azure Monitor had it.
    pub cluster_lag: Option<Duration>,
    /// The largest lag of a shared table (leader's newest extent minus the follower's), when
    /// both sides answered.
    pub data_lag: Option<Duration>,
    /// The table of [`Self::data_lag`].
    pub lagging_table: Option<String>,
    /// The lag budget.
    pub budget: Option<Timespan>,
    /// Queryable and, with a budget, within it.
    pub ok: bool,
    /// The verdict in one word.
    pub verdict: Verdict,
    /// Why it is not ok; empty when it is.
    pub reasons: Vec<String>,
    /// What could not be measured without failing the database.
    pub notes: Vec<String>,
}

/// The verdict on one follower database, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Queryable and, with a budget, within it.
    Ok,
    /// Its cluster is not running, or it did not answer the caller.
    NotQueryable,
    /// A lag measure is over the budget.
    OverBudget,
    /// It has a budget and no lag could be measured.
    Unmeasured,
}

impl Verdict {
    /// The word, as text, markdown and JSON show it: `ok`, `not_queryable`, `over_budget`,
    /// `unmeasured`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::NotQueryable => "not_queryable",
            Verdict::OverBudget => "over_budget",
            Verdict::Unmeasured => "unmeasured",
        }
    }
}

/// The verdict on every follower database the manifest manages, in manifest order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FreshnessReport {
    /// One entry per follower database.
    pub databases: Vec<DatabaseFreshness>,
}

impl FreshnessReport {
    /// True when every follower database is ok (and trivially for none).
    pub fn ok(&self) -> bool {
        self.databases.iter().all(|d| d.ok)
    }

    /// How many follower databases are not ok.
    pub fn failing(&self) -> usize {
        self.databases.iter().filter(|d| !d.ok).count()
    }
}

/// A timespan as a [`Duration`] (a negative one as zero).
pub fn timespan_duration(span: Timespan) -> Duration {
    Duration::from_nanos(u64::try_from(span.ticks()).unwrap_or(0).saturating_mul(100))
}

/// A lag in human units, largest first: `4m 10s`, `1h 2m`, `2d 3h`, `850ms`, `0ms`. Below a
/// minute it keeps tenths of a second (`12.5s`); above, whole seconds.
pub fn human_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        return format!("{millis}ms");
    }
    if millis < 60_000 {
        let tenths = millis / 100;
        return if tenths.is_multiple_of(10) {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        };
    }
    let secs = duration.as_secs();
    let parts = [
        (secs / 86_400, "d"),
        (secs % 86_400 / 3600, "h"),
        (secs % 3600 / 60, "m"),
        (secs % 60, "s"),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lags_read_in_human_units() {
        let secs = Duration::from_secs;
        assert_eq!(human_duration(secs(250)), "4m 10s");
        assert_eq!(human_duration(secs(240)), "4m");
        assert_eq!(human_duration(secs(3600 + 120)), "1h 2m");
        assert_eq!(human_duration(secs(2 * 86_400 + 3 * 3600)), "2d 3h");
        assert_eq!(human_duration(Duration::from_millis(12_540)), "12.5s");
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::ZERO), "0ms");
        assert_eq!(human_duration(secs(5)), "5s");
    }

    #[test]
    fn a_timespan_becomes_a_duration() {
        assert_eq!(
            timespan_duration(Timespan::parse("4m").unwrap_or_default()),
            Duration::from_secs(240)
        );
        assert_eq!(timespan_duration(Timespan::from_secs(-5)), Duration::ZERO);
    }
}
