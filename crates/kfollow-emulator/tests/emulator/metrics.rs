//! Azure Monitor's `FollowerLatency` on a cluster, and the lag it puts between a leader's
//! newest extents and its follower databases'.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{EMEA, Env, PROD, WORLD};

const STOPPED: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcstopped";

const QUERY: &str = "api-version=2023-10-01&metricnames=FollowerLatency&aggregation=Maximum\
    &interval=PT1M&timespan=2026-05-01T12:00:00Z/2026-05-01T12:15:00Z";

/// The world of the other tests, with fcemea 250 s behind.
fn world() -> String {
    WORLD.replace(
        "    databases:\n      - name: Local\n",
        "    followerLatencyMs: 250000\n    databases:\n      - name: Local\n",
    )
}

async fn metrics(env: &Env, cluster: &str, query: &str) -> (StatusCode, Value) {
    let answer = env
        .get(&format!(
            "{cluster}/providers/Microsoft.Insights/metrics?{query}"
        ))
        .await;
    (answer.status, answer.body)
}

fn maxima(body: &Value) -> Vec<Value> {
    body["value"][0]["timeseries"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|point| point["maximum"].clone())
        .collect()
}

#[tokio::test]
async fn the_metrics_route_answers_follower_latency_in_azure_monitor_s_shape() {
    let env = Env::new(&world());
    let (status, body) = metrics(&env, EMEA, QUERY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["interval"], "PT1M");
    assert_eq!(body["namespace"], "Microsoft.Kusto/clusters");
    let metric = &body["value"][0];
    assert_eq!(metric["name"]["value"], "FollowerLatency");
    assert_eq!(metric["unit"], "MilliSeconds");
    assert_eq!(metric["type"], "Microsoft.Insights/metrics");
    let data = metric["timeseries"][0]["data"].as_array().unwrap();
    assert_eq!(data.len(), 15, "one point per minute");
    assert_eq!(data[0]["timeStamp"], "2026-05-01T12:00:00Z");
    assert!(maxima(&body).iter().all(|m| m == &json!(250_000.0)));
    // A leader emits no FollowerLatency; a stopped cluster no metric at all.
    for cluster in [PROD, STOPPED] {
        let (status, body) = metrics(&env, cluster, QUERY).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(maxima(&body).iter().all(Value::is_null), "{body}");
    }
}

#[tokio::test]
async fn the_metrics_route_refuses_what_azure_monitor_refuses() {
    let env = Env::new(&world());
    let (status, body) = metrics(&env, EMEA, "metricnames=FollowerLatency").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");
    let (status, body) = metrics(&env, EMEA, "api-version=2025-02-14").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "NoRegisteredProviderFound");
    let (status, _) = metrics(&env, EMEA, "api-version=2023-10-01&metricnames=CPU").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = metrics(&env, EMEA, "api-version=2023-10-01&timespan=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let answer = env
        .send_as(
            None,
            Method::GET,
            &format!("{EMEA}/providers/Microsoft.Insights/metrics?{QUERY}"),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

/// `MaxExtentsCreationTime` of the first table of a database.
async fn newest_extent(env: &Env, cluster: &str, database: &str) -> String {
    let answer = env
        .send_as(
            Some("t"),
            Method::POST,
            &format!("/kusto/{cluster}/v1/rest/mgmt"),
            Some(json!({"db": database, "csl": ".show tables details"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let table = &answer.body["Tables"][0];
    let index = table["Columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["ColumnName"] == "MaxExtentsCreationTime")
        .unwrap();
    table["Rows"][0][index].as_str().unwrap().to_owned()
}

/// Seconds since 1970 of `2026-05-01T12:00:00.0000000Z`.
fn seconds(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

#[tokio::test]
async fn with_ingestion_ongoing_the_follower_s_newest_extent_trails_by_the_latency() {
    let env = Env::new(&world());
    let leader = seconds(&newest_extent(&env, "fcprod", "Sales").await);
    let follower = seconds(&newest_extent(&env, "fcemea", "Sales").await);
    assert_eq!(leader - follower, 250);
}

#[tokio::test]
async fn once_ingestion_stopped_both_sides_show_the_same_newest_extent() {
    let stopped = world().replace(
        "      - name: Sales\n",
        "      - name: Sales\n        maxExtentsCreationTime: 2026-05-01T12:00:00Z\n",
    );
    let env = Env::new(&stopped);
    assert_eq!(
        newest_extent(&env, "fcprod", "Sales").await,
        "2026-05-01T12:00:00.0000000Z"
    );
    assert_eq!(
        newest_extent(&env, "fcemea", "Sales").await,
        "2026-05-01T12:00:00.0000000Z"
    );
}

#[test]
fn a_world_with_an_unreadable_extent_time_is_refused_with_the_format() {
    let bad = WORLD.replace(
        "      - name: Sales\n",
        "      - name: Sales\n        maxExtentsCreationTime: noon\n",
    );
    let error = kfollow_emulator::World::from_yaml(&bad)
        .unwrap_err()
        .to_string();
    assert!(error.contains("not an RFC 3339 time"), "{error}");
}

#[tokio::test]
async fn the_metrics_route_spends_the_subscription_s_read_budget() {
    let budgeted = world().replace(
        "settings:\n",
        "settings:\n  resourceRequestBudget: { reads: 1, writes: 1, windowSeconds: 60 }\n",
    );
    let env = Env::new(&budgeted);
    let (status, body) = metrics(&env, EMEA, QUERY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = metrics(&env, EMEA, QUERY).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}
