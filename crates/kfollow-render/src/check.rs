//! The report of `kfollow check`: a table aligned like the plan ([`render_check_text`]), the
//! same table for a pull request or a dashboard note ([`render_check_markdown`]), and
//! versioned JSON ([`render_check_json`], documented in `docs/check-json.md`). Lags are in
//! human units (`4m 10s`) in text and markdown, in milliseconds in JSON.

use std::time::Duration;

use kfollow_model::{
    DatabaseFreshness, FreshnessReport, Verdict, human_duration, timespan_duration,
};
use serde_json::{Map, Value, json};

use crate::inert;
use crate::lines::{Line, Style, to_text};
use crate::markdown::{code, escape};

/// The version of the JSON check format. Readers should refuse a major version they do not
/// know.
pub const CHECK_JSON_FORMAT_VERSION: &str = "1";

/// The headings of the table, in order.
const HEADINGS: [&str; 7] = [
    "FOLLOWER DATABASE",
    "LEADER",
    "STATE",
    "CLUSTER LAG",
    "DATA LAG",
    "BUDGET",
    "VERDICT",
];

/// One row of the table, as text.
fn cells(database: &DatabaseFreshness) -> [String; 7] {
    let lag = |lag: Option<Duration>| lag.map_or_else(|| "-".to_owned(), human_duration);
    [
        format!("{}/{}", database.follower, database.database),
        format!("{}/{}", database.leader, database.leader_database),
        if database.state.is_empty() {
            "-".to_owned()
        } else {
            database.state.clone()
        },
        lag(database.cluster_lag),
        lag(database.data_lag),
        database
            .budget
            .map_or_else(|| "-".to_owned(), |b| human_duration(timespan_duration(b))),
        verdict_words(database.verdict).to_owned(),
    ]
}

fn verdict_words(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ok => "ok",
        Verdict::NotQueryable => "not queryable",
        Verdict::OverBudget => "over budget",
        Verdict::Unmeasured => "not measured",
    }
}

/// The closing line: `Check: 3 follower databases, all fresh.` or
/// `Check: 1 of 3 follower databases failing.`
pub fn check_summary(report: &FreshnessReport) -> String {
    let total = report.databases.len();
    let noun = if total == 1 {
        "follower database"
    } else {
        "follower databases"
    };
    match report.failing() {
        0 if total == 0 => "Check: no follower database to check.".to_owned(),
        0 if total == 1 => "Check: 1 follower database, queryable and within budget.".to_owned(),
        0 => format!("Check: {total} {noun}, all queryable and within budget."),
        failing => format!("Check: {failing} of {total} {noun} failing."),
    }
}

/// The report as terminal text: the table, then each database that is not ok (or has notes)
/// with its reasons, then the summary line.
pub fn render_check_text(report: &FreshnessReport, color: bool) -> String {
    let rows: Vec<[String; 7]> = report
        .databases
        .iter()
        .map(|d| cells(d).map(|cell| inert(&cell).into_owned()))
        .collect();
    let mut widths = HEADINGS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let pad = |text: &str, width: usize| {
        let fill = width.saturating_sub(text.chars().count());
        format!("{text}{}", " ".repeat(fill))
    };
    let mut out = Vec::new();
    if !rows.is_empty() {
        let heading: Vec<String> = HEADINGS
            .iter()
            .zip(widths)
            .map(|(h, w)| pad(h, w))
            .collect();
        out.push(Line::styled(0, Style::Bold, heading.join("  ").trim_end()));
        for (row, database) in rows.iter().zip(&report.databases) {
            let head: Vec<String> = row[..6]
                .iter()
                .zip(widths)
                .map(|(cell, w)| pad(cell, w))
                .collect();
            let style = if database.ok {
                Style::Add
            } else {
                Style::Danger
            };
            out.push(Line::plain(0, format!("{}  ", head.join("  "))).with(style, row[6].clone()));
        }
        out.push(Line::blank());
    }
    for database in &report.databases {
        if database.reasons.is_empty() && database.notes.is_empty() {
            continue;
        }
        let name = format!("{}/{}", database.follower, database.database);
        let style = if database.ok {
            Style::Bold
        } else {
            Style::Danger
        };
        out.push(Line::styled(0, style, name).with(
            Style::Plain,
            format!(": {}", verdict_words(database.verdict)),
        ));
        for reason in &database.reasons {
            out.push(Line::plain(2, format!("- {reason}")));
        }
        for note in &database.notes {
            out.push(Line::plain(2, format!("note: {note}")));
        }
        out.push(Line::blank());
    }
    let summary = check_summary(report);
    let (head, tail) = summary.split_at("Check:".len());
    out.push(Line::styled(0, Style::Bold, head).with(Style::Plain, tail));
    to_text(&out, color)
}

/// The report as GitHub markdown: the summary as a heading, the table, then the reasons and
/// notes of each database that has any.
pub fn render_check_markdown(report: &FreshnessReport) -> String {
    let mut out = format!("### {}\n\n", escape(&check_summary(report)));
    if !report.databases.is_empty() {
        out.push_str("| | ");
        out.push_str(&HEADINGS.map(|h| h.to_lowercase()).join(" | "));
        out.push_str(" |\n|");
        out.push_str(&"---|".repeat(HEADINGS.len() + 1));
        out.push('\n');
        for database in &report.databases {
            let [name, leader, state, cluster, data, budget, verdict] = cells(database);
            let mark = if database.ok { "✅" } else { "❌" };
            out.push_str(&format!(
                "| {mark} | {} | {} | {} | {cluster} | {data} | {budget} | {verdict} |\n",
                code(&name),
                code(&leader),
                escape(&state),
            ));
        }
    }
    for database in &report.databases {
        if database.reasons.is_empty() && database.notes.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n**{}**: {}\n\n",
            code(&format!("{}/{}", database.follower, database.database)),
            verdict_words(database.verdict)
        ));
        for reason in &database.reasons {
            out.push_str(&format!("- {}\n", escape(reason)));
        }
        for note in &database.notes {
            out.push_str(&format!("- _note:_ {}\n", escape(note)));
        }
    }
    out
}

/// What the cli knows about the run, recorded beside the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckJsonMeta {
    /// The version of kfollow that ran the check.
    pub kfollow_version: Option<String>,
    /// The manifest file, as the user named it.
    pub manifest: Option<String>,
}

/// The report as pretty-printed JSON, ending in a newline.
pub fn render_check_json(report: &FreshnessReport, meta: &CheckJsonMeta) -> String {
    let mut text = serde_json::to_string_pretty(&check_json(report, meta))
        .unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

/// The report as a JSON value. Keys are written explicitly, so that renaming a model field
/// cannot change what scripts read.
pub fn check_json(report: &FreshnessReport, meta: &CheckJsonMeta) -> Value {
    let mut doc = Map::new();
    doc.insert("format_version".into(), json!(CHECK_JSON_FORMAT_VERSION));
    if let Some(version) = &meta.kfollow_version {
        doc.insert("kfollow_version".into(), json!(version));
    }
    if let Some(manifest) = &meta.manifest {
        doc.insert("manifest".into(), json!(manifest));
    }
    doc.insert("ok".into(), json!(report.ok()));
    doc.insert(
        "summary".into(),
        json!({
            "databases": report.databases.len(),
            "ok": report.databases.len() - report.failing(),
            "failing": report.failing(),
        }),
    );
    doc.insert(
        "databases".into(),
        Value::Array(report.databases.iter().map(database_json).collect()),
    );
    Value::Object(doc)
}

fn database_json(database: &DatabaseFreshness) -> Value {
    let millis = |lag: Option<Duration>| {
        lag.map_or(Value::Null, |lag| {
            json!(u64::try_from(lag.as_millis()).unwrap_or(u64::MAX))
        })
    };
    json!({
        "follower": database.follower,
        "database": database.database,
        "attachment": database.attachment,
        "leader": database.leader,
        "leader_database": database.leader_database,
        "state": database.state,
        "queryable": database.queryable,
        "cluster_lag_ms": millis(database.cluster_lag),
        "data_lag_ms": millis(database.data_lag),
        "data_lag_table": database.lagging_table,
        "budget": database.budget.map(|b| b.to_literal()),
        "budget_ms": millis(database.budget.map(timespan_duration)),
        "ok": database.ok,
        "verdict": database.verdict.as_str(),
        "reasons": database.reasons,
        "notes": database.notes,
    })
}
