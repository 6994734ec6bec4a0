//! `kfollow check` end to end: the binary, the emulator, exit codes and what a user reads.

use serde_json::Value;

use crate::examples::example;
use crate::support::{Standalone, Workspace, cluster_id, kfollow};

/// A leader with Sales and Web; `follower1` 90 s behind follows Sales (`sales`); `follower2`
/// 5 min behind follows Web; `follower3` is stopped and follows Sales; `follower4` 90 s behind
/// follows every database with the prefix `all_` (`all`).
fn world(callers: &str) -> String {
    let attach = |name: &str, database: &str, extra: &str| {
        format!(
            "      - name: {name}\n        clusterResourceId: {}\n        databaseName: \"{database}\"\n{extra}",
            cluster_id("leader1")
        )
    };
    format!(
        r#"clusters:
  - id: {leader}
    location: westeurope
    databases:
      - name: Sales
        tables: [Orders, Customers]
      - name: Web
        tables: [Hits]
  - id: {f1}
    location: westeurope
    followerLatencyMs: 90000
    attachedDatabaseConfigurations:
{sales}  - id: {f2}
    location: westeurope
    followerLatencyMs: 300000
    attachedDatabaseConfigurations:
{web}  - id: {f3}
    location: westeurope
    state: Stopped
    attachedDatabaseConfigurations:
{stopped}  - id: {f4}
    location: westeurope
    followerLatencyMs: 90000
    attachedDatabaseConfigurations:
{all}{callers}settings:
  retryAfterSeconds: 0
"#,
        leader = cluster_id("leader1"),
        f1 = cluster_id("follower1"),
        f2 = cluster_id("follower2"),
        f3 = cluster_id("follower3"),
        f4 = cluster_id("follower4"),
        sales = attach("sales", "Sales", ""),
        all = attach("all", "*", "        databaseNamePrefix: all_\n"),
        web = attach("web", "Web", ""),
        stopped = attach("sales", "Sales", ""),
    )
}

/// A manifest naming the five clusters, with these attachments.
fn manifest(attachments: &str) -> String {
    format!(
        "version: 1\nclusters:\n  lead: {{ id: {}, location: westeurope }}\n  f1: {{ id: {} }}\n  f2: {{ id: {} }}\n  f3: {{ id: {} }}\n  f4: {{ id: {} }}\nattachments:\n{attachments}",
        cluster_id("leader1"),
        cluster_id("follower1"),
        cluster_id("follower2"),
        cluster_id("follower3"),
        cluster_id("follower4"),
    )
}

fn attachment(name: &str, follower: &str, database: &str, extra: &str) -> String {
    format!(
        "  - name: {name}\n    follower: {follower}\n    leader: lead\n    databaseName: \"{database}\"\n{extra}"
    )
}

fn workspace(attachments: &str) -> Workspace {
    with_callers("", attachments)
}

/// A workspace whose world lets only `callers` (a `callers:` block, or nothing) in.
fn with_callers(callers: &str, attachments: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write("world.yaml", &world(callers));
    ws.write("kfollow.yaml", &manifest(attachments));
    ws
}

fn json(run: &crate::support::Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn a_fresh_database_passes_with_both_lags() {
    let ws = workspace(&attachment("sales", "f1", "Sales", "    freshness: 4m\n"));
    let run = ws.emulated(&["check"]).expect_code(0);
    insta::assert_snapshot!("check_fresh", run.stdout);
}

#[test]
fn a_database_beyond_its_budget_exits_2_with_the_reason() {
    let ws = workspace(&attachment("web", "f2", "Web", "    freshness: 4m\n"));
    let run = ws.emulated(&["check"]).expect_code(2);
    assert!(
        run.stdout
            .contains("data lag 5m (table `Hits`) is over the budget of 4m"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("cluster lag 5m (`FollowerLatency` of `f2`) is over the budget of 4m"),
        "{}",
        run.stdout
    );
    // The same lag without a budget only needs the database to answer.
    let ws = workspace(&attachment("web", "f2", "Web", ""));
    ws.emulated(&["check"]).expect_code(0);
}

#[test]
fn a_stopped_cluster_fails_without_being_asked() {
    let ws = Workspace::new();
    ws.write("world.yaml", &world(""));
    ws.write(
        "kfollow.yaml",
        &manifest(&attachment("sales", "f3", "Sales", "    freshness: 4m\n")),
    );
    let run = ws.emulated(&["check", "--format", "json"]).expect_code(2);
    let doc = json(&run);
    let database = &doc["databases"][0];
    assert_eq!(database["state"], "Stopped");
    assert_eq!(database["queryable"], false);
    assert_eq!(database["verdict"], "not_queryable");
    assert_eq!(
        database["reasons"][0],
        "follower cluster `f3` is Stopped: its databases cannot be queried"
    );
}

#[test]
fn a_caller_the_follower_refuses_fails_and_an_unknown_one_is_an_error() {
    let callers = "callers:\n  - name: reader\n    token: reader-token\n    contributorOn: [\"*\"]\n    databaseAdminOn: [leader1]\n";
    let ws = with_callers(callers, &attachment("sales", "f1", "Sales", ""));
    let env = [("KFOLLOW_ACCESS_TOKEN", "reader-token")];
    let run = kfollow(ws.path(), &["check", "--emulator", "world.yaml"], &env).expect_code(2);
    assert!(run.stdout.contains("not queryable"), "{}", run.stdout);
    assert!(run.stdout.contains("403"), "{}", run.stdout);
    // A token the service does not know cannot even read the clusters: an error, not a verdict.
    let env = [("KFOLLOW_ACCESS_TOKEN", "stranger")];
    let run = kfollow(ws.path(), &["check", "--emulator", "world.yaml"], &env).expect_code(1);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// A check only reads: a database viewer on every cluster may run it, as on Azure, where
/// `.show tables details` asks a database viewer, not an admin.
#[test]
fn a_database_viewer_may_check() {
    let callers =
        "callers:\n  - name: auditor\n    token: auditor-token\n    databaseViewerOn: [\"*\"]\n";
    let ws = with_callers(callers, &attachment("sales", "f1", "Sales", ""));
    let env = [("KFOLLOW_ACCESS_TOKEN", "auditor-token")];
    let run = kfollow(ws.path(), &["check", "--emulator", "world.yaml"], &env).expect_code(0);
    assert!(!run.stdout.contains("not queryable"), "{}", run.stdout);
}

#[test]
fn every_database_an_all_attachment_brings_in_is_checked() {
    let ws = workspace(&attachment(
        "all",
        "f4",
        "*",
        "    databaseNamePrefix: all_\n    freshness: 1m\n",
    ));
    let run = ws.emulated(&["check", "--format", "json"]).expect_code(2);
    let doc = json(&run);
    let names: Vec<&str> = doc["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["database"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["all_Sales", "all_Web"]);
    for database in doc["databases"].as_array().unwrap() {
        assert_eq!(database["attachment"], "all");
        assert_eq!(database["verdict"], "over_budget");
        assert_eq!(database["data_lag_ms"], 90_000);
    }
}

#[test]
fn the_json_report_is_versioned_and_names_each_database() {
    let ws = workspace(&attachment("sales", "f1", "Sales", "    freshness: 4m\n"));
    let run = ws.emulated(&["check", "--format", "json"]).expect_code(0);
    let doc = json(&run);
    assert_eq!(doc["format_version"], "1");
    assert_eq!(doc["manifest"], "kfollow.yaml");
    assert_eq!(doc["ok"], true);
    let database = &doc["databases"][0];
    for (key, value) in [
        ("follower", "f1"),
        ("database", "Sales"),
        ("leader", "lead"),
        ("leader_database", "Sales"),
        ("attachment", "sales"),
        ("state", "Running"),
        ("verdict", "ok"),
        ("budget", "4m"),
    ] {
        assert_eq!(database[key], value, "{key}");
    }
    assert_eq!(database["cluster_lag_ms"], 90_000);
    assert_eq!(database["data_lag_ms"], 90_000);
    assert_eq!(database["reasons"], Value::Array(Vec::new()));
    let markdown = ws
        .emulated(&["check", "--format", "markdown"])
        .expect_code(0);
    assert!(
        markdown
            .stdout
            .contains("| ✅ | `f1/Sales` | `lead/Sales` | Running | 1m 30s | 1m 30s | 4m | ok |"),
        "{}",
        markdown.stdout
    );
}

#[test]
fn a_check_makes_one_metrics_read_per_follower_and_two_commands_per_database() {
    let standalone = Standalone::start(&world(""));
    standalone.workspace.write(
        "kfollow.yaml",
        &manifest(&format!(
            "{}{}",
            attachment("web", "f2", "Web", ""),
            attachment("all", "f4", "*", "    databaseNamePrefix: all_\n"),
        )),
    );
    standalone.run(&["check"], &[]).expect_code(0);
    let requests = standalone.requests();
    let count = |f: &dyn Fn(&kfollow_emulator::RequestRecord) -> bool| {
        requests.iter().filter(|r| f(r)).count()
    };
    let metrics = count(&|r| r.path.ends_with("/providers/Microsoft.Insights/metrics"));
    let commands = count(&|r| {
        r.csl
            .as_deref()
            .is_some_and(|csl| csl == ".show tables details")
    });
    let arm = count(&|r| r.path.starts_with("/subscriptions/"));
    assert_eq!(metrics, 2, "one per follower cluster");
    assert_eq!(commands, 6, "three follower databases, both sides");
    // Per cluster its resource (3), per follower its attachments (2) and its metric (2).
    assert_eq!(arm, 7, "{requests:#?}");
    assert!(crate::support::writes(&requests).is_empty());
}

#[test]
fn the_example_with_freshness_is_checked_after_apply() {
    let ws = example("fourth-coffee");
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    let run = ws.emulated(&["check"]).expect_code(2);
    insta::assert_snapshot!("fourth_coffee_check", run.stdout);
}

#[test]
fn when_the_leader_stopped_ingesting_the_two_lags_differ() {
    // Sales last ingested long ago: the follower holds the same newest extent (no data lag),
    // while the cluster's metadata sync still trails by 90 s.
    let ws = Workspace::new();
    ws.write(
        "world.yaml",
        &world("").replacen(
            "      - name: Sales\n",
            "      - name: Sales\n        maxExtentsCreationTime: 2026-01-01T00:00:00Z\n",
            1,
        ),
    );
    ws.write(
        "kfollow.yaml",
        &manifest(&attachment("sales", "f1", "Sales", "    freshness: 1m\n")),
    );
    let run = ws.emulated(&["check", "--format", "json"]).expect_code(2);
    let database = &json(&run)["databases"][0];
    assert_eq!(database["data_lag_ms"], 0);
    assert_eq!(database["cluster_lag_ms"], 90_000);
    assert_eq!(
        database["reasons"][0],
        "cluster lag 1m 30s (`FollowerLatency` of `f1`) is over the budget of 1m"
    );
}

#[test]
fn a_stopped_leader_leaves_the_cluster_lag_to_judge() {
    // The leader's endpoint does not answer: the data lag cannot be measured (a note), the
    // follower still answers and its cluster lag is within budget.
    let ws = Workspace::new();
    let world = world("").replacen(
        "    location: westeurope\n    databases:\n",
        "    location: westeurope\n    state: Stopped\n    databases:\n",
        1,
    );
    ws.write("world.yaml", &world);
    ws.write(
        "kfollow.yaml",
        &manifest(&attachment("sales", "f1", "Sales", "    freshness: 4m\n")),
    );
    let run = ws.emulated(&["check", "--format", "json"]).expect_code(0);
    let database = &json(&run)["databases"][0];
    assert_eq!(database["queryable"], true);
    assert_eq!(database["data_lag_ms"], Value::Null);
    assert_eq!(database["cluster_lag_ms"], 90_000);
    assert_eq!(
        database["notes"][0],
        "data lag not measured: leader database `Sales` on `lead` did not answer: not asked: \
         cluster `lead` is Stopped"
    );
}
