//! `.show tables details`, `.show external tables`, `.show materialized-views` and
//! `.show functions` on a database: the documented columns in order, the world's entities (a
//! follower database's as its sharing lets it see them), each table's newest extent made when
//! the world was loaded.

use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Env, WORLD};

async fn mgmt(env: &Env, cluster: &str, db: &str, csl: &str) -> (StatusCode, Value) {
    let path = format!("/kusto/{cluster}/v1/rest/mgmt");
    let answer = env
        .send_as(
            Some("t"),
            Method::POST,
            &path,
            Some(json!({"db": db, "csl": csl, "properties": {}})),
        )
        .await;
    (answer.status, answer.body)
}

/// The columns of the answer: (name, DataType, ColumnType).
fn columns(frame: &Value) -> Vec<(String, String, String)> {
    frame["Tables"][0]["Columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap_or_default().to_owned();
            (text("ColumnName"), text("DataType"), text("ColumnType"))
        })
        .collect()
}

/// One column's values, row by row.
fn column(frame: &Value, name: &str) -> Vec<Value> {
    let index = columns(frame)
        .iter()
        .position(|(c, _, _)| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    frame["Tables"][0]["Rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[index].clone())
        .collect()
}

/// An RFC 3339 time of the emulator's (`2026-01-02T03:04:05.0000000Z`) as seconds since 1970.
fn seconds(text: &str) -> u64 {
    let (date, time) = text.split_once('T').unwrap();
    let numbers: Vec<i64> = date
        .split('-')
        .chain(time.trim_end_matches('Z').split([':', '.']).take(3))
        .map(|n| n.parse().unwrap())
        .collect();
    let [year, month, day, hour, minute, second] = numbers[..] else {
        panic!("{text}");
    };
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).unwrap()
}

#[tokio::test]
async fn show_tables_details_has_the_doc_columns_and_a_real_extent_time() {
    let before = SystemTime::now();
    let env = Env::new(WORLD);
    let (status, frame) = mgmt(&env, "fcprod", "Sales", ".show tables details").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    let names: Vec<String> = columns(&frame).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(
        names,
        [
            "TableName",
            "DatabaseName",
            "Folder",
            "DocString",
            "TotalExtents",
            "TotalExtentSize",
            "TotalOriginalSize",
            "TotalRowCount",
            "HotExtents",
            "HotExtentSize",
            "HotOriginalSize",
            "HotRowCount",
            "AuthorizedPrincipals",
            "RetentionPolicy",
            "CachingPolicy",
            "ShardingPolicy",
            "MergePolicy",
            "StreamingIngestionPolicy",
            "IngestionBatchingPolicy",
            "MinExtentsCreationTime",
            "MaxExtentsCreationTime",
            "RowOrderPolicy",
            "TableId",
        ]
    );
    let types: Vec<(String, String, String)> = columns(&frame);
    assert!(types.contains(&("TotalExtents".into(), "Int64".into(), "long".into())));
    assert!(types.contains(&("TotalExtentSize".into(), "Double".into(), "real".into())));
    assert!(types.contains(&(
        "MaxExtentsCreationTime".into(),
        "DateTime".into(),
        "datetime".into()
    )));
    assert_eq!(
        column(&frame, "TableName"),
        ["Orders", "Customers", "Logs2026"]
    );
    assert!(column(&frame, "DatabaseName").iter().all(|d| d == "Sales"));
    // The newest extent was made when the world was loaded: now, not a constant.
    let made = column(&frame, "MaxExtentsCreationTime");
    let made = seconds(made[0].as_str().unwrap());
    let since = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    assert!(made + 1 >= since(before), "{made} is before the load");
    assert!(made <= since(SystemTime::now() + Duration::from_secs(1)));
    let ids = column(&frame, "TableId");
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn a_follower_database_shows_the_tables_its_sharing_lets_it_see() {
    let env = Env::new(WORLD);
    // fcemea follows fcprod's Sales with `tablesToInclude: [Orders, "Logs*"]`.
    let (status, frame) = mgmt(&env, "fcemea", "Sales", ".show tables details").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    assert_eq!(column(&frame, "TableName"), ["Orders", "Logs2026"]);
    let csl = ".alter follower database Sales table Orders policy caching hot = 3d";
    assert_eq!(mgmt(&env, "fcemea", "Sales", csl).await.0, StatusCode::OK);
    let (_, frame) = mgmt(&env, "fcemea", "Sales", ".show table Orders details").await;
    let policy: Value =
        serde_json::from_str(column(&frame, "CachingPolicy")[0].as_str().unwrap()).unwrap();
    assert_eq!(policy["DataHotSpan"]["Value"], "3.00:00:00");
}

#[tokio::test]
async fn named_tables_must_exist_and_a_database_is_needed() {
    let env = Env::new(WORLD);
    let (status, frame) = mgmt(
        &env,
        "fcprod",
        "Sales",
        ".show tables (Orders, Raw) details",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{frame}");
    assert_eq!(frame["error"]["code"], "BadRequest_EntityNotFound");
    assert!(
        frame["error"]["@message"]
            .as_str()
            .unwrap()
            .contains("'Raw' of kind 'Table'"),
        "{frame}"
    );
    // Table names are case-sensitive.
    let (status, _) = mgmt(&env, "fcprod", "Sales", ".show table orders details").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, frame) = mgmt(&env, "fcprod", "", ".show tables details").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{frame}");
    assert_eq!(frame["error"]["code"], "General_BadRequest");
}

#[tokio::test]
async fn show_materialized_views_has_the_doc_columns() {
    let env = Env::new(WORLD);
    let (status, frame) = mgmt(&env, "fcprod", "Sales", ".show materialized-views").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    let names: Vec<String> = columns(&frame).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(
        names,
        [
            "Name",
            "SourceTable",
            "Query",
            "MaterializedTo",
            "LastRun",
            "LastRunResult",
            "IsHealthy",
            "IsEnabled",
            "Folder",
            "DocString",
            "AutoUpdateSchema",
            "EffectiveDateTime",
            "Lookback",
            "LookbackColumn",
        ]
    );
    assert_eq!(column(&frame, "Name"), ["DailySales"]);
    assert_eq!(column(&frame, "IsHealthy"), [true]);
    let (_, frame) = mgmt(&env, "fcprod", "Logs", ".show materialized-views").await;
    assert!(column(&frame, "Name").is_empty());
    let (status, _) = mgmt(&env, "fcprod", "Sales", ".show materialized-view Hourly").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// [`WORLD`] with external tables and functions in fcprod's `Sales`, and fcemea's `sales`
/// sharing some of them.
fn world_with_external_tables_and_functions() -> String {
    let world = WORLD
        .replacen(
            "        materializedViews: [DailySales]\n",
            "        materializedViews: [DailySales]\n        \
             externalTables: [Archive2019, ArchiveLive]\n        \
             functions: [ReportDaily, ReportWeekly, ScoreCustomer]\n",
            1,
        )
        .replacen(
            "          tablesToInclude: [Orders, \"Logs*\"]\n",
            "          tablesToInclude: [Orders, \"Logs*\"]\n          \
             externalTablesToExclude: [Archive2019]\n          \
             functionsToInclude: [\"Report*\"]\n",
            1,
        );
    assert!(world.contains("ArchiveLive") && world.contains("functionsToInclude"));
    world
}

fn column_names(frame: &Value) -> Vec<String> {
    columns(frame).into_iter().map(|(n, _, _)| n).collect()
}

#[tokio::test]
async fn show_external_tables_and_functions_have_the_doc_columns() {
    let env = Env::new(&world_with_external_tables_and_functions());
    let (status, frame) = mgmt(&env, "fcprod", "Sales", ".show external tables").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    assert_eq!(
        column_names(&frame),
        [
            "TableName",
            "TableType",
            "Folder",
            "DocString",
            "Properties"
        ]
    );
    assert!(
        columns(&frame)
            .iter()
            .all(|(_, data, column)| data == "String" && column == "string")
    );
    assert_eq!(column(&frame, "TableName"), ["Archive2019", "ArchiveLive"]);
    assert_eq!(column(&frame, "Properties"), ["{}", "{}"]);

    let (status, frame) = mgmt(&env, "fcprod", "Sales", ".show functions").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    assert_eq!(
        column_names(&frame),
        ["Name", "Parameters", "Body", "Folder", "DocString"]
    );
    assert_eq!(
        column(&frame, "Name"),
        ["ReportDaily", "ReportWeekly", "ScoreCustomer"]
    );
    // A database without any answers no rows, with the same columns.
    let (status, frame) = mgmt(&env, "fcprod", "Logs", ".show functions").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    assert!(column(&frame, "Name").is_empty());
}

#[tokio::test]
async fn a_follower_database_shows_the_external_tables_and_functions_its_sharing_lets_it_see() {
    let env = Env::new(&world_with_external_tables_and_functions());
    let (_, frame) = mgmt(&env, "fcemea", "Sales", ".show external tables").await;
    assert_eq!(column(&frame, "TableName"), ["ArchiveLive"]);
    let (_, frame) = mgmt(&env, "fcemea", "Sales", ".show functions").await;
    assert_eq!(column(&frame, "Name"), ["ReportDaily", "ReportWeekly"]);
    let (status, frame) = mgmt(&env, "fcemea", "Sales", ".show function ScoreCustomer").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{frame}");
    assert_eq!(frame["error"]["code"], "BadRequest_EntityNotFound");
}

#[tokio::test]
async fn a_named_external_table_or_function_must_exist_and_a_database_is_needed() {
    let env = Env::new(&world_with_external_tables_and_functions());
    let (status, frame) = mgmt(&env, "fcprod", "Sales", ".show external table ArchiveLive").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    assert_eq!(column(&frame, "TableName"), ["ArchiveLive"]);
    let (status, frame) = mgmt(&env, "fcprod", "Sales", ".show function ReportDaily").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    assert_eq!(column(&frame, "Name"), ["ReportDaily"]);
    for (csl, kind) in [
        (
            ".show external table archivelive",
            "'archivelive' of kind 'ExternalTable'",
        ),
        (
            ".show function reportDaily",
            "'reportDaily' of kind 'Function'",
        ),
    ] {
        let (status, frame) = mgmt(&env, "fcprod", "Sales", csl).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{csl}: {frame}");
        assert_eq!(frame["error"]["code"], "BadRequest_EntityNotFound");
        let message = frame["error"]["@message"].as_str().unwrap();
        assert!(message.contains(kind), "{message}");
    }
    for csl in [".show external tables", ".show functions"] {
        let (status, frame) = mgmt(&env, "fcprod", "", csl).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{csl}: {frame}");
        assert_eq!(frame["error"]["code"], "General_BadRequest");
    }
}
