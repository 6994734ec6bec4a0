//! The Kusto management endpoint at each cluster's `uri`: auth, the request log's `csl`, and the
//! follower database's settings shared with ARM.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{EMEA, Env, WORLD};

async fn mgmt(env: &Env, token: Option<&str>, cluster: &str, csl: &str) -> (StatusCode, Value) {
    let path = format!("/kusto/{cluster}/v1/rest/mgmt");
    let answer = env
        .send_as(
            token,
            Method::POST,
            &path,
            Some(json!({"db": "Sales", "csl": csl, "properties": {}})),
        )
        .await;
    (answer.status, answer.body)
}

fn column(frame: &Value, name: &str) -> usize {
    frame["Tables"][0]["Columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["ColumnName"] == name)
        .unwrap()
}

#[tokio::test]
async fn the_cluster_uri_serves_follower_commands() {
    let env = Env::new(WORLD);
    let uri = env.get(EMEA).await.body["properties"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(uri.ends_with("/kusto/fcemea"));
    let (status, frame) = mgmt(&env, Some("t"), "fcemea", ".show follower databases").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    let rows = frame["Tables"][0]["Rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][column(&frame, "DatabaseName")], "Sales");

    let csl = ".alter follower database Sales policy caching hot = 7d";
    let (status, frame) = mgmt(&env, Some("t"), "fcemea", csl).await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    // One setting, two views: ARM reads what the command wrote.
    let database = env.get(&format!("{EMEA}/databases/Sales")).await;
    assert_eq!(database.body["properties"]["hotCachePeriod"], "P7D");
    let log = env.emulator.requests();
    let alter = &log[log.len() - 2];
    assert_eq!(alter.path, "/kusto/fcemea/v1/rest/mgmt");
    assert_eq!(alter.csl.as_deref(), Some(csl));
}

#[tokio::test]
async fn a_malformed_command_gets_a_one_api_error() {
    let env = Env::new(WORLD);
    let (status, body) = mgmt(&env, Some("t"), "fcemea", ".alter follower nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for field in ["code", "message", "@type", "@message", "@permanent"] {
        assert!(
            body["error"].get(field).is_some(),
            "{field} missing in {body}"
        );
    }
}

#[tokio::test]
async fn management_needs_a_bearer_and_a_database_role() {
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.callers = vec![kfollow_emulator::Caller {
        name: "ops".into(),
        token: "ops".into(),
        contributor_on: vec!["*".into()],
        database_admin_on: vec!["fcprod".into()],
        database_viewer_on: vec!["fcemea".into()],
    }];
    let env = Env::with(world);
    let (status, body) = mgmt(&env, None, "fcemea", ".show databases").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"]["@type"].is_string());
    let (status, body) = mgmt(&env, Some("ops"), "fcemea", ".show databases").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Forbidden");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.ends_with("it is not a database admin"), "{message}");
    let (status, _) = mgmt(&env, Some("ops"), "fcprod", ".show databases").await;
    assert_eq!(status, StatusCode::OK);
    // A database viewer reads the schema, and changes nothing.
    for csl in [
        ".show tables details",
        ".show external tables",
        ".show materialized-views",
        ".show functions",
    ] {
        let (status, body) = mgmt(&env, Some("ops"), "fcemea", csl).await;
        assert_eq!(status, StatusCode::OK, "{csl}: {body}");
    }
    for csl in [
        ".show follower databases",
        ".alter follower database Sales policy caching hot = 7d",
    ] {
        let (status, body) = mgmt(&env, Some("ops"), "fcemea", csl).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{csl}: {body}");
    }
    // Neither right reaches a cluster the caller is not given.
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.callers = vec![kfollow_emulator::Caller {
        name: "nobody".into(),
        token: "nobody".into(),
        contributor_on: vec![],
        database_admin_on: vec![],
        database_viewer_on: vec![],
    }];
    let env = Env::with(world);
    for csl in [
        ".show tables details",
        ".show external tables",
        ".show functions",
    ] {
        let (status, body) = mgmt(&env, Some("nobody"), "fcemea", csl).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{csl}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.ends_with("it is not a database viewer"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn auth_metadata_answers_as_the_public_cloud() {
    let env = Env::new(WORLD);
    let answer = env
        .send_as(
            None,
            Method::GET,
            "/kusto/fcemea/v1/rest/auth/metadata",
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body["AzureAD"]["KustoServiceResourceId"].is_string());
}

/// `IsAutoPrefetchEnabled` of fcemea's `Sales` as `.show follower databases` reports it.
async fn shown_prefetch(env: &Env) -> Value {
    let (status, frame) = mgmt(env, Some("t"), "fcemea", ".show follower databases").await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    frame["Tables"][0]["Rows"][0][column(&frame, "IsAutoPrefetchEnabled")].clone()
}

fn world_with_refresh(schema_refresh_ms: u64) -> kfollow_emulator::World {
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.settings.schema_refresh_ms = schema_refresh_ms;
    world
}

#[tokio::test]
async fn show_reports_a_change_only_after_the_schema_refresh() {
    // A refresh far away: the change is accepted and saved, `.show` still reports the old value.
    let env = Env::with(world_with_refresh(600_000));
    let csl = ".alter follower database Sales prefetch-extents = true";
    let (status, frame) = mgmt(&env, Some("t"), "fcemea", csl).await;
    assert_eq!(status, StatusCode::OK, "{frame}");
    assert_eq!(
        frame["Tables"][0]["Rows"][0][column(&frame, "IsAutoPrefetchEnabled")],
        true,
        "the command answers the settings as they now stand"
    );
    assert_eq!(shown_prefetch(&env).await, false);
    // A second change before the refresh does not show either.
    let csl = ".alter follower database Sales policy caching hot = 7d";
    assert_eq!(mgmt(&env, Some("t"), "fcemea", csl).await.0, StatusCode::OK);
    let (_, frame) = mgmt(&env, Some("t"), "fcemea", ".show follower databases").await;
    assert_eq!(
        frame["Tables"][0]["Rows"][0][column(&frame, "CachingPolicyOverride")],
        "null",
        "{frame}"
    );
    // The world holds the accepted settings.
    let world = env.emulator.world();
    let settings =
        &world.clusters[1].attached_database_configurations[0].follower_databases["Sales"];
    assert!(settings.prefetch_extents);
    assert!(settings.hot_cache_period.is_some());
    let admin = crate::common::admin_json(&env, "/_emulator/world").await;
    assert_eq!(
        admin["clusters"][1]["attachedDatabaseConfigurations"][0]["followerDatabases"]["Sales"]["prefetchExtents"],
        true
    );
    assert_eq!(admin["settings"]["schemaRefreshMs"], 600_000);

    // A short refresh: once it has passed, `.show` reports the change.
    let env = Env::with(world_with_refresh(100));
    let csl = ".alter follower database Sales prefetch-extents = true";
    assert_eq!(mgmt(&env, Some("t"), "fcemea", csl).await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_eq!(shown_prefetch(&env).await, true);
}

#[tokio::test]
async fn without_a_schema_refresh_delay_show_reports_a_change_at_once() {
    let env = Env::new(WORLD);
    let csl = ".alter follower database Sales prefetch-extents = true";
    assert_eq!(mgmt(&env, Some("t"), "fcemea", csl).await.0, StatusCode::OK);
    assert_eq!(shown_prefetch(&env).await, true);
}
