//! The report of `kfollow check` in its three forms, from a verdict over plain readings.

use std::time::{Duration, SystemTime};

use kfollow_diff::freshness_verdict;
use kfollow_model::{FreshnessReading, FreshnessReport, TableExtents, Timespan};
use kfollow_render::{CheckJsonMeta, render_check_json, render_check_markdown, render_check_text};
use serde_json::Value;

fn tables(lag_secs: u64) -> (Vec<TableExtents>, Vec<TableExtents>) {
    let noon = SystemTime::UNIX_EPOCH + Duration::from_secs(1_777_636_800);
    let table = |newest| {
        vec![TableExtents {
            table: "Orders".into(),
            newest: Some(newest),
        }]
    };
    (table(noon), table(noon - Duration::from_secs(lag_secs)))
}

fn reading(database: &str, lag_secs: u64, budget: Option<&str>) -> FreshnessReading {
    let (leader, follower) = tables(lag_secs);
    FreshnessReading {
        follower: "emea".into(),
        database: database.into(),
        attachment: "all".into(),
        leader: "prod".into(),
        leader_database: database.into(),
        budget: budget.map(|b| Timespan::parse(b).unwrap()),
        follower_state: "Running".into(),
        follower_tables: Ok(follower),
        leader_tables: Ok(leader),
        cluster_lag: Ok(Some(Duration::from_secs(lag_secs))),
    }
}

/// Fresh, over budget, without a budget, and on a stopped cluster.
fn report() -> FreshnessReport {
    let mut stopped = reading("Logs", 0, Some("5m"));
    stopped.follower = "apac".into();
    stopped.follower_state = "Stopped".into();
    stopped.follower_tables = Err("not asked: cluster `apac` is Stopped".into());
    stopped.cluster_lag = Ok(None);
    freshness_verdict(&[
        reading("Sales", 90, Some("4m")),
        reading("Orders", 250, Some("4m")),
        reading("Archive", 7200, None),
        stopped,
    ])
}

#[test]
fn text_is_a_table_aligned_like_the_plan() {
    insta::assert_snapshot!(render_check_text(&report(), false));
}

#[test]
fn text_colours_the_verdicts() {
    let text = render_check_text(&report(), true).replace('\x1b', "\\e");
    assert!(text.contains("\\e[32mok\\e[0m"), "{text}");
    assert!(text.contains("\\e[1;31mover budget\\e[0m"), "{text}");
}

#[test]
fn markdown_has_the_same_table() {
    insta::assert_snapshot!(render_check_markdown(&report()));
}

#[test]
fn json_is_versioned_and_names_each_database() {
    let meta = CheckJsonMeta {
        kfollow_version: Some("0.1.0".into()),
        manifest: Some("kfollow.yaml".into()),
    };
    let text = render_check_json(&report(), &meta);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["format_version"], "1");
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["summary"]["failing"], 2);
    assert_eq!(doc["databases"][1]["follower"], "emea");
    assert_eq!(doc["databases"][1]["database"], "Orders");
    assert_eq!(doc["databases"][1]["leader"], "prod");
    assert_eq!(doc["databases"][1]["cluster_lag_ms"], 250_000);
    assert_eq!(doc["databases"][1]["budget_ms"], 240_000);
    assert_eq!(doc["databases"][1]["verdict"], "over_budget");
    insta::assert_snapshot!(text);
}

#[test]
fn a_hostile_name_is_shown_inert() {
    let mut hostile = reading("Sales\nCheck: 0 of 1 follower databases failing.", 0, None);
    hostile.follower = "emea\u{1b}[2J".into();
    let report = freshness_verdict(&[hostile]);
    let text = render_check_text(&report, false);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("Check:")).count(),
        1,
        "{text}"
    );
    let markdown = render_check_markdown(&report);
    assert!(!markdown.contains('\u{1b}'), "{markdown}");
    assert!(markdown.contains(r"Sales\nCheck"), "{markdown}");
}

/// The JSON report of [`report`], parsed.
fn rendered() -> Value {
    let meta = CheckJsonMeta {
        kfollow_version: Some("0.1.0".into()),
        manifest: Some("kfollow.yaml".into()),
    };
    serde_json::from_str(&render_check_json(&report(), &meta)).unwrap()
}

/// `docs/check-json.md`.
fn check_json_doc() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/check-json.md");
    std::fs::read_to_string(path).unwrap()
}

/// Every key the JSON report writes is documented in `docs/check-json.md`.
#[test]
fn every_json_key_is_documented() {
    let doc = check_json_doc();
    let documented = |key: &str| doc.contains(&format!("| `{key}` |"));
    let json = rendered();
    let mut missing: Vec<String> = json
        .as_object()
        .unwrap()
        .keys()
        .chain(json["databases"][0].as_object().unwrap().keys())
        .filter(|key| !documented(key))
        .cloned()
        .collect();
    missing.dedup();
    assert!(missing.is_empty(), "undocumented keys: {missing:?}");
}

/// The example of `docs/check-json.md` is a document of the format: valid JSON with every key
/// the renderer writes.
#[test]
fn the_documented_example_has_the_rendered_keys() {
    let doc = check_json_doc();
    let start = doc.find("```json\n").unwrap() + "```json\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let example: Value = serde_json::from_str(&doc[start..end]).unwrap();
    let rendered = rendered();
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&example), keys(&rendered));
    assert_eq!(keys(&example["summary"]), keys(&rendered["summary"]));
    for database in example["databases"].as_array().unwrap() {
        assert_eq!(keys(database), keys(&rendered["databases"][0]));
    }
}
