//! The verdict of `kfollow check`: readings in, a [`FreshnessReport`] out, no I/O.
//!
//! A follower database is ok when its cluster is `Running`, it answered the caller, and, when
//! its attachment has a `freshness` budget, neither lag measure is over it and at least one
//! could be measured. What could not be measured without failing it is a note.

use std::time::Duration;

use kfollow_model::{
    DatabaseFreshness, FreshnessReading, FreshnessReport, TableExtents, Verdict, human_duration,
    timespan_duration,
};

/// The verdict on every reading, in their order.
pub fn freshness_verdict(readings: &[FreshnessReading]) -> FreshnessReport {
    FreshnessReport {
        databases: readings.iter().map(verdict).collect(),
    }
}

fn verdict(reading: &FreshnessReading) -> DatabaseFreshness {
    let mut reasons = Vec::new();
    let mut notes = Vec::new();
    let running = kfollow_model::is_running(&reading.follower_state);
    let queryable = running && reading.follower_tables.is_ok();
    if !running {
        let state = if reading.follower_state.is_empty() {
            "in no state ARM reports"
        } else {
            &reading.follower_state
        };
        reasons.push(format!(
            "follower cluster `{}` is {state}: its databases cannot be queried",
            reading.follower
        ));
    } else if let Err(why) = &reading.follower_tables {
        reasons.push(format!("does not answer the caller: {why}"));
    }

    let cluster_lag = match &reading.cluster_lag {
        Ok(Some(lag)) => Some(*lag),
        Ok(None) => {
            if running {
                notes.push(format!(
                    "Azure Monitor has no `FollowerLatency` for `{}` in the minutes read",
                    reading.follower
                ));
            }
            None
        }
        Err(why) => {
            notes.push(format!("cluster lag not read: {why}"));
            None
        }
    };

    // A follower database that does not answer has its reason already.
    let data_lag = match (&reading.leader_tables, &reading.follower_tables) {
        (_, Err(_)) => None,
        (Ok(leader), Ok(follower)) => {
            let lag = data_lag(leader, follower, &mut notes);
            if lag.is_none() {
                notes.push(
                    "data lag not measured: no shared table has extents on both sides (the \
                     leader ingests nothing, or every table is empty)"
                        .to_owned(),
                );
            }
            lag
        }
        (Err(why), Ok(_)) => {
            notes.push(format!(
                "data lag not measured: leader database `{}` on `{}` did not answer: {why}",
                reading.leader_database, reading.leader
            ));
            None
        }
    };

    let mut verdict = if queryable {
        Verdict::Ok
    } else {
        Verdict::NotQueryable
    };
    if let Some(budget) = reading.budget {
        let limit = timespan_duration(budget);
        let shown = human_duration(limit);
        if let Some(lag) = cluster_lag.filter(|lag| *lag > limit) {
            reasons.push(format!(
                "cluster lag {} (`FollowerLatency` of `{}`) is over the budget of {shown}",
                human_duration(lag),
                reading.follower
            ));
            if verdict == Verdict::Ok {
                verdict = Verdict::OverBudget;
            }
        }
        if let Some((table, lag)) = data_lag.as_ref().filter(|(_, lag)| *lag > limit) {
            reasons.push(format!(
                "data lag {} (table `{table}`) is over the budget of {shown}",
                human_duration(*lag)
            ));
            if verdict == Verdict::Ok {
                verdict = Verdict::OverBudget;
            }
        }
        if queryable && cluster_lag.is_none() && data_lag.is_none() {
            reasons.push(format!(
                "no lag could be measured against the budget of {shown}"
            ));
            verdict = Verdict::Unmeasured;
        }
    }

    let (lagging_table, data_lag) = data_lag.unzip();
    DatabaseFreshness {
        follower: reading.follower.clone(),
        database: reading.database.clone(),
        attachment: reading.attachment.clone(),
        leader: reading.leader.clone(),
        leader_database: reading.leader_database.clone(),
        state: reading.follower_state.clone(),
        queryable,
        cluster_lag,
        data_lag,
        lagging_table,
        budget: reading.budget,
        ok: verdict == Verdict::Ok,
        verdict,
        reasons,
        notes,
    }
}

/// The largest lag of a table both sides have (the follower shows only the tables it shares),
/// with the table: the leader's newest extent minus the follower's, zero when the follower's
/// is as new. A table the leader has data in and the follower has none is a note.
fn data_lag(
    leader: &[TableExtents],
    follower: &[TableExtents],
    notes: &mut Vec<String>,
) -> Option<(String, Duration)> {
    let mut worst: Option<(String, Duration)> = None;
    for table in follower {
        let Some(newest_on_leader) = leader
            .iter()
            .find(|t| t.table == table.table)
            .and_then(|t| t.newest)
        else {
            continue;
        };
        let Some(newest_here) = table.newest else {
            notes.push(format!(
                "table `{}` has extents on the leader and none on the follower",
                table.table
            ));
            continue;
        };
        let lag = newest_on_leader
            .duration_since(newest_here)
            .unwrap_or(Duration::ZERO);
        if worst.as_ref().is_none_or(|(_, most)| lag > *most) {
            worst = Some((table.table.clone(), lag));
        }
    }
    worst
}
