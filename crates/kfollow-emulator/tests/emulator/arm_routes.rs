//! The ARM routes: reads, attach/detach with their long-running operations, the follower side
//! following the world.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{EMEA, Env, PROD, WORLD, admin_json, attach_body};

#[tokio::test]
async fn cluster_get_names_the_data_plane_uri() {
    let env = Env::new(WORLD);
    let answer = env.get(PROD).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["name"], "fcprod");
    assert_eq!(answer.body["type"], "Microsoft.Kusto/Clusters");
    // ARM shows the region's display name, however the world spells it.
    assert_eq!(answer.body["location"], "West Europe");
    assert_eq!(answer.body["properties"]["state"], "Running");
    assert_eq!(
        answer.body["properties"]["uri"],
        format!("{}/kusto/fcprod", env.emulator.base_url())
    );
    // ARM ids and names are case-insensitive.
    let upper = env
        .get(
            &PROD
                .to_uppercase()
                .replace("MICROSOFT.KUSTO", "Microsoft.Kusto"),
        )
        .await;
    assert_eq!(upper.status, StatusCode::OK);
}

#[tokio::test]
async fn a_request_without_api_version_gets_arms_error() {
    let env = Env::new(WORLD);
    let answer = env.get(&format!("{PROD}?")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "MissingApiVersionParameter");
    let answer = env.get(&format!("{PROD}?api-version=2024-04-13")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "NoRegisteredProviderFound");
}

#[tokio::test]
async fn unknown_cluster_is_not_found() {
    let env = Env::new(WORLD);
    let answer = env.get(&PROD.replace("fcprod", "nothere")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "ResourceNotFound");
}

#[tokio::test]
async fn follower_databases_show_the_read_only_following_properties() {
    let env = Env::new(WORLD);
    let answer = env.get(&format!("{EMEA}/databases")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let list = answer.body["value"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "fcemea/Local");
    assert_eq!(list[0]["kind"], "ReadWrite");
    let follower = &list[1];
    assert_eq!(follower["name"], "fcemea/Sales");
    assert_eq!(follower["kind"], "ReadOnlyFollowing");
    assert_eq!(follower["id"], format!("{EMEA}/databases/Sales"));
    let p = &follower["properties"];
    assert_eq!(p["leaderClusterResourceId"], PROD);
    assert_eq!(p["attachedDatabaseConfigurationName"], "sales");
    assert_eq!(p["principalsModificationKind"], "Union");
    assert_eq!(p["originalDatabaseName"], "Sales");
    assert_eq!(p["databaseShareOrigin"], "Direct");
    assert_eq!(
        p["tableLevelSharingProperties"],
        json!({"tablesToInclude": ["Orders", "Logs*"]})
    );
    let one = env.get(&format!("{EMEA}/databases/sales")).await;
    assert_eq!(one.body, *follower);
    let leader = env.get(&format!("{PROD}/databases/Sales")).await;
    assert_eq!(leader.body["properties"]["isFollowed"], true);
}

#[tokio::test]
async fn attach_runs_as_a_long_running_operation_and_the_follower_follows() {
    let env = Env::new(WORLD);
    let mut body = attach_body("*");
    body["properties"]["databaseNamePrefix"] = json!("p_");
    let path = format!("{EMEA}/attachedDatabaseConfigurations/all");
    let answer = env.put(&path, body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["properties"]["provisioningState"], "Creating");
    assert_eq!(answer.body["name"], "fcemea/all");
    // A PUT is followed through `Azure-AsyncOperation` alone, and no `Retry-After` is sent.
    assert!(answer.headers.get("Retry-After").is_none());
    assert!(answer.headers.get("Location").is_none());
    let status = env.wait(answer.header("Azure-AsyncOperation")).await;
    assert_eq!(status["status"], "Succeeded");
    assert_eq!(
        status["properties"]["operationKind"],
        "FollowerDatabaseCreate"
    );

    let got = env.get(&path).await;
    assert_eq!(got.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        got.body["properties"]["attachedDatabaseNames"],
        json!(["Sales", "Logs"])
    );
    let names: Vec<String> = env.get(&format!("{EMEA}/databases")).await.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "fcemea/Local",
            "fcemea/Sales",
            "fcemea/p_Sales",
            "fcemea/p_Logs"
        ]
    );

    let listed = env
        .post(&format!("{PROD}/listFollowerDatabases"), json!({}))
        .await;
    let entries = listed.body["value"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["attachedDatabaseConfigurationName"], "all");
    assert_eq!(entries[1]["clusterResourceId"], EMEA);
    assert_eq!(entries[1]["databaseName"], "*");
    assert_eq!(entries[1]["databaseShareOrigin"], "Direct");
    let listed_get = env.get(&format!("{PROD}/listFollowerDatabases")).await;
    assert_eq!(listed_get.body["value"][1]["properties"], entries[1]);

    let world = env.emulator.world();
    assert_eq!(world.clusters[1].attached_database_configurations.len(), 2);
}

#[tokio::test]
async fn the_location_form_answers_202_while_running_then_an_empty_200() {
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.settings.operation_ms = 60;
    let env = Env::with(world);
    let path = format!("{EMEA}/attachedDatabaseConfigurations/sales");
    let answer = env.delete(&path).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let location = answer.header("Location").to_owned();
    assert!(location.contains("operationResultResponseType=Location"));
    let first = env.get(&location).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert!(first.headers.get("Retry-After").is_none());
    let status = env.get(answer.header("Azure-AsyncOperation")).await;
    assert_eq!(status.body["status"], "Running");
    assert!(status.headers.get("Retry-After").is_none());
    let last = loop {
        let poll = env.get(&location).await;
        if poll.status != StatusCode::ACCEPTED {
            break poll;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert_eq!(last.status, StatusCode::OK);
    assert_eq!(
        last.body,
        serde_json::Value::Null,
        "a detach ends with no body"
    );
    assert_eq!(env.get(&path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn retry_after_is_sent_only_when_the_world_asks_for_it() {
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.settings.operation_ms = 600_000;
    world.settings.retry_after_seconds = Some(3);
    let env = Env::with(world);
    let put = env
        .put(
            &format!("{EMEA}/attachedDatabaseConfigurations/logs"),
            attach_body("Logs"),
        )
        .await;
    assert_eq!(put.header("Retry-After"), "3");
    let status = env.get(put.header("Azure-AsyncOperation")).await;
    assert_eq!(status.body["status"], "Running");
    assert_eq!(status.header("Retry-After"), "3");
    let delete = env.delete(&format!("{PROD}/databases/Logs")).await;
    assert_eq!(delete.header("Retry-After"), "3");
    let location = env.get(delete.header("Location")).await;
    assert_eq!(location.status, StatusCode::ACCEPTED);
    assert_eq!(location.header("Retry-After"), "3");
}

#[tokio::test]
async fn detach_from_the_follower_removes_both_sides() {
    let env = Env::new(WORLD);
    let path = format!("{EMEA}/attachedDatabaseConfigurations/sales");
    let answer = env.delete(&path).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let status = env.wait(answer.header("Azure-AsyncOperation")).await;
    assert_eq!(status["status"], "Succeeded");
    assert_eq!(env.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        env.get(&format!("{EMEA}/databases/Sales")).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = env
        .post(&format!("{PROD}/listFollowerDatabases"), json!({}))
        .await;
    assert_eq!(listed.body["value"], json!([]));
    // Deleting what is gone is not an error.
    assert_eq!(env.delete(&path).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn detach_from_the_leader_removes_both_sides() {
    let env = Env::new(WORLD);
    let answer = env
        .post(
            &format!("{PROD}/detachFollowerDatabases"),
            json!({"clusterResourceId": EMEA, "attachedDatabaseConfigurationName": "sales"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    env.wait(answer.header("Azure-AsyncOperation")).await;
    let attachments = env
        .get(&format!("{EMEA}/attachedDatabaseConfigurations"))
        .await;
    assert_eq!(attachments.body["value"], json!([]));
    let listed = env.get(&format!("{PROD}/listFollowerDatabases")).await;
    assert_eq!(listed.body["value"], json!([]));
}

#[tokio::test]
async fn hot_cache_period_is_one_setting_with_two_views() {
    let env = Env::new(WORLD);
    let path = format!("{EMEA}/databases/Sales");
    let answer = env
        .put(
            &path,
            json!({"kind": "ReadOnlyFollowing", "location": "westeurope", "properties": {"hotCachePeriod": "P7D"}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    env.wait(answer.header("Azure-AsyncOperation")).await;
    assert_eq!(
        env.get(&path).await.body["properties"]["hotCachePeriod"],
        "P7D"
    );
    let world = env.emulator.world();
    let settings =
        &world.clusters[1].attached_database_configurations[0].follower_databases["Sales"];
    assert_eq!(settings.hot_cache_period.unwrap().to_literal(), "7d");

    let patched = env
        .send(
            Method::PATCH,
            &path,
            Some(json!({"properties": {"hotCachePeriod": "PT12H"}})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::ACCEPTED);
    env.wait(patched.header("Azure-AsyncOperation")).await;
    assert_eq!(
        env.get(&path).await.body["properties"]["hotCachePeriod"],
        "PT12H"
    );
}

#[tokio::test]
async fn check_name_availability_knows_taken_names() {
    let env = Env::new(WORLD);
    let path = format!("{EMEA}/attachedDatabaseConfigurationCheckNameAvailability");
    let kind = "Microsoft.Kusto/clusters/attachedDatabaseConfigurations";
    let taken = env
        .post(&path, json!({"name": "SALES", "type": kind}))
        .await;
    assert_eq!(taken.status, StatusCode::OK);
    assert_eq!(taken.body["nameAvailable"], false);
    let free = env
        .post(&path, json!({"name": "other", "type": kind}))
        .await;
    assert_eq!(free.body["nameAvailable"], true);
}

#[tokio::test]
async fn the_request_log_lists_method_path_and_status() {
    let env = Env::new(WORLD);
    env.get(PROD).await;
    env.get(&PROD.replace("fcprod", "nothere")).await;
    let log = admin_json(&env, "/_emulator/requests").await;
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["path"], PROD);
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[1]["status"], 404);
    assert_eq!(env.emulator.requests().len(), 2);
    let cleared = env
        .client
        .delete(env.url("/_emulator/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(env.emulator.requests().is_empty());
    let world = admin_json(&env, "/_emulator/world").await;
    assert_eq!(world["clusters"][0]["id"], PROD);
}

#[tokio::test]
async fn auth_is_required_and_rights_come_from_the_world() {
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.callers = vec![kfollow_emulator::Caller {
        name: "reader".into(),
        token: "reader-token".into(),
        contributor_on: vec!["fcprod".into()],
        database_admin_on: vec![],
        database_viewer_on: vec![],
    }];
    let env = Env::with(world);
    let none = env.send_as(None, Method::GET, PROD, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.code(), "AuthenticationFailed");
    let unknown = env.send_as(Some("nope"), Method::GET, PROD, None).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let read = env
        .send_as(Some("reader-token"), Method::GET, EMEA, None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let write = env
        .send_as(
            Some("reader-token"),
            Method::PUT,
            &format!("{EMEA}/attachedDatabaseConfigurations/x"),
            Some(attach_body("Logs")),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    assert_eq!(write.code(), "AuthorizationFailed");
    assert!(!write.message().contains("reader-token"));
}
