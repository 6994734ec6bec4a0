//! The verdict of `kfollow check`, from plain readings.

use std::time::{Duration, SystemTime};

use kfollow_diff::freshness_verdict;
use kfollow_model::{FreshnessReading, TableExtents, Timespan, Verdict};

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_777_636_800 + secs)
}

fn tables(newest: &[(&str, Option<u64>)]) -> Vec<TableExtents> {
    newest
        .iter()
        .map(|(table, secs)| TableExtents {
            table: (*table).to_owned(),
            newest: secs.map(at),
        })
        .collect()
}

/// A running follower of `Sales`, 250 s behind on both measures, with a budget of 4 minutes.
fn reading() -> FreshnessReading {
    FreshnessReading {
        follower: "emea".into(),
        database: "Sales".into(),
        attachment: "sales".into(),
        leader: "prod".into(),
        leader_database: "Sales".into(),
        budget: Some(Timespan::parse("4m").unwrap()),
        follower_state: "Running".into(),
        follower_tables: Ok(tables(&[("Orders", Some(1000)), ("Logs", Some(900))])),
        leader_tables: Ok(tables(&[
            ("Orders", Some(1250)),
            ("Logs", Some(950)),
            ("Secret", Some(5000)),
        ])),
        cluster_lag: Ok(Some(Duration::from_secs(250))),
    }
}

#[test]
fn a_fresh_database_is_ok() {
    let mut fresh = reading();
    fresh.cluster_lag = Ok(Some(Duration::from_secs(30)));
    fresh.follower_tables = Ok(tables(&[("Orders", Some(1220)), ("Logs", Some(950))]));
    let report = freshness_verdict(&[fresh]);
    let database = &report.databases[0];
    assert!(database.ok, "{database:?}");
    assert!(report.ok());
    assert_eq!(database.data_lag, Some(Duration::from_secs(30)));
    assert_eq!(database.lagging_table.as_deref(), Some("Orders"));
    assert!(database.reasons.is_empty());
}

#[test]
fn a_database_beyond_its_budget_names_both_measures() {
    let report = freshness_verdict(&[reading()]);
    let database = &report.databases[0];
    assert!(!database.ok);
    assert!(database.queryable);
    assert_eq!(database.verdict, Verdict::OverBudget);
    assert_eq!(
        database.reasons,
        [
            "cluster lag 4m 10s (`FollowerLatency` of `emea`) is over the budget of 4m",
            "data lag 4m 10s (table `Orders`) is over the budget of 4m",
        ]
    );
    assert_eq!(report.failing(), 1);
}

#[test]
fn only_tables_the_follower_shares_count() {
    // `Secret` is the leader's newest table, but the follower does not share it.
    let mut shared = reading();
    shared.budget = Some(Timespan::parse("5m").unwrap());
    let database = &freshness_verdict(&[shared]).databases[0];
    assert!(database.ok, "{database:?}");
    assert_eq!(database.data_lag, Some(Duration::from_secs(250)));
}

#[test]
fn without_a_budget_a_database_only_needs_to_answer() {
    let mut lagging = reading();
    lagging.budget = None;
    lagging.cluster_lag = Ok(Some(Duration::from_secs(86_400)));
    assert!(freshness_verdict(&[lagging]).ok());
}

#[test]
fn a_stopped_cluster_fails_with_its_state() {
    let mut stopped = reading();
    stopped.follower_state = "Stopped".into();
    stopped.follower_tables = Err("not asked: the cluster is not running".into());
    stopped.leader_tables = Err("not asked: the cluster is not running".into());
    stopped.cluster_lag = Ok(None);
    let database = &freshness_verdict(&[stopped]).databases[0];
    assert!(!database.ok);
    assert!(!database.queryable);
    assert_eq!(database.verdict, Verdict::NotQueryable);
    assert_eq!(
        database.reasons,
        ["follower cluster `emea` is Stopped: its databases cannot be queried"]
    );
    // The data lag cannot be measured on a database that does not answer, and its reason
    // says so already: no note repeats it.
    assert!(database.notes.is_empty(), "{:?}", database.notes);
}

#[test]
fn a_database_that_refuses_the_caller_fails_with_the_answer() {
    let mut forbidden = reading();
    forbidden.budget = None;
    forbidden.follower_tables = Err("403 Forbidden: not a database admin".into());
    let database = &freshness_verdict(&[forbidden]).databases[0];
    assert!(!database.ok);
    assert_eq!(
        database.reasons,
        ["does not answer the caller: 403 Forbidden: not a database admin"]
    );
}

#[test]
fn a_budget_with_nothing_measured_fails_and_says_why() {
    let mut blind = reading();
    blind.cluster_lag = Err("403 AuthorizationFailed".into());
    blind.leader_tables = Err("connection closed".into());
    let database = &freshness_verdict(&[blind]).databases[0];
    assert!(!database.ok);
    assert_eq!(database.verdict, Verdict::Unmeasured);
    assert_eq!(
        database.reasons,
        ["no lag could be measured against the budget of 4m"]
    );
    assert_eq!(
        database.notes,
        [
            "cluster lag not read: 403 AuthorizationFailed",
            "data lag not measured: leader database `Sales` on `prod` did not answer: \
             connection closed",
        ]
    );
}

#[test]
fn a_leader_that_stopped_ingesting_leaves_the_metric_to_judge() {
    // Both sides hold the same newest extent: no data lag, while the metric still reports
    // the sync lag. The metric alone decides.
    let mut idle = reading();
    idle.leader_tables = Ok(tables(&[("Orders", Some(1000)), ("Logs", Some(900))]));
    idle.cluster_lag = Ok(Some(Duration::from_secs(90)));
    let database = &freshness_verdict(&[idle]).databases[0];
    assert!(database.ok, "{database:?}");
    assert_eq!(database.data_lag, Some(Duration::ZERO));
    // A follower table without extents while the leader has some is noted, not measured.
    let mut empty = reading();
    empty.follower_tables = Ok(tables(&[("Orders", None)]));
    empty.cluster_lag = Ok(Some(Duration::from_secs(10)));
    let database = &freshness_verdict(&[empty]).databases[0];
    assert_eq!(database.data_lag, None);
    assert!(database.ok, "{database:?}");
    assert_eq!(
        database.notes[0],
        "table `Orders` has extents on the leader and none on the follower"
    );
}
