//! The behaviours that make the default emulator as hard on a client as Azure is: the request
//! budget, regions by display name, attachments visible while they are created or deleted,
//! stopped clusters, names the service refuses, `databaseShareOrigin`.

use std::time::Duration;

use kfollow_emulator::World;
use kfollow_emulator::budget::RequestBudget;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{EMEA, Env, PROD, WORLD, attach_body};

const NORTH: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcnorth";
const STOPPED: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcstopped";
const RESOURCE_REQUESTS: &str = "x-ms-ratelimit-remaining-subscription-resource-requests";

fn world(change: impl FnOnce(&mut World)) -> World {
    let mut world = World::from_yaml(WORLD).unwrap();
    change(&mut world);
    world
}

#[tokio::test]
async fn the_default_budget_lets_300_reads_through_then_answers_429() {
    let env = Env::new(WORLD);
    for left in (0..300).rev() {
        let answer = env.get(EMEA).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header(RESOURCE_REQUESTS), left.to_string());
    }
    let throttled = env.get(EMEA).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.code(), "ResourceRequestsThrottled");
    assert!(
        throttled.message().contains("limit of '300'"),
        "{}",
        throttled.message()
    );
    assert!(
        throttled.message().contains("'00:01:00'"),
        "{}",
        throttled.message()
    );
    assert_eq!(throttled.header(RESOURCE_REQUESTS), "0");
    let wait: u64 = throttled.header("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Writes have their own budget; another subscription has its own.
    let write = env
        .put(
            &format!("{NORTH}/attachedDatabaseConfigurations/a"),
            attach_body("Sales"),
        )
        .await;
    assert_eq!(write.status, StatusCode::CREATED, "{}", write.body);
    assert_eq!(write.header(RESOURCE_REQUESTS), "199");
    assert_eq!(env.get(PROD).await.header(RESOURCE_REQUESTS), "299");
}

#[tokio::test]
async fn without_a_budget_nothing_is_throttled_or_reported() {
    let env = Env::with(world(|w| w.settings.resource_request_budget = None));
    for _ in 0..320 {
        let answer = env.get(EMEA).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.headers.get(RESOURCE_REQUESTS).is_none());
    }
}

#[tokio::test]
async fn status_polls_spend_reads_and_a_window_refills_the_budget() {
    let env = Env::with(world(|w| {
        w.settings.resource_request_budget = Some(RequestBudget {
            reads: 2,
            writes: 1,
            window_seconds: 1,
        });
    }));
    let put = env
        .put(
            &format!("{NORTH}/attachedDatabaseConfigurations/a"),
            attach_body("Sales"),
        )
        .await;
    assert_eq!(put.header(RESOURCE_REQUESTS), "0");
    let poll = env.get(put.header("Azure-AsyncOperation")).await;
    assert_eq!(poll.status, StatusCode::OK);
    assert_eq!(poll.header(RESOURCE_REQUESTS), "1");
    assert_eq!(env.get(NORTH).await.header(RESOURCE_REQUESTS), "0");
    let throttled = env.get(put.header("Azure-AsyncOperation")).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.header("Retry-After"), "1");
    // A throttled write changes nothing.
    let refused = env
        .put(
            &format!("{NORTH}/attachedDatabaseConfigurations/b"),
            attach_body("Logs"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.code(), "ResourceRequestsThrottled");
    assert!(
        !env.emulator.world().clusters[4]
            .attached_database_configurations
            .iter()
            .any(|a| a.name == "b")
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let again = env.get(NORTH).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.header(RESOURCE_REQUESTS), "1");
}

#[tokio::test]
async fn regions_show_their_display_names() {
    let env = Env::new(WORLD);
    // fcprod's world spells `westeurope`, fcnorth's `West Europe`.
    for cluster in [PROD, NORTH] {
        assert_eq!(env.get(cluster).await.body["location"], "West Europe");
    }
    assert_eq!(
        env.get(&format!("{PROD}/databases/Sales")).await.body["location"],
        "West Europe"
    );
    let follower = env.get(&format!("{EMEA}/databases/Sales")).await;
    assert_eq!(follower.body["location"], "West Europe");
    let attachment = env
        .get(&format!("{EMEA}/attachedDatabaseConfigurations/sales"))
        .await;
    assert_eq!(attachment.body["location"], "West Europe");
    let detach = env
        .delete(&format!("{EMEA}/attachedDatabaseConfigurations/sales"))
        .await;
    let status_url = detach.header("Azure-AsyncOperation");
    assert!(
        status_url.contains("/locations/West%20Europe/operationResults/"),
        "{status_url}"
    );
    let status = env.get(status_url).await;
    assert!(
        status.body["id"]
            .as_str()
            .unwrap()
            .contains("/locations/West Europe/operationresults/")
    );
}

fn names(list: &Value) -> Vec<(String, String)> {
    list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["properties"]["provisioningState"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_attachment_being_created_is_listed_and_readable() {
    let env = Env::with(world(|w| w.settings.operation_ms = 600_000));
    let path = format!("{EMEA}/attachedDatabaseConfigurations/logs");
    let put = env.put(&path, attach_body("Logs")).await;
    assert_eq!(put.status, StatusCode::CREATED);
    let got = env.get(&path).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["properties"]["provisioningState"], "Creating");
    assert!(
        got.body["properties"]
            .get("attachedDatabaseNames")
            .is_none()
    );
    let listed = env
        .get(&format!("{EMEA}/attachedDatabaseConfigurations"))
        .await;
    assert_eq!(
        names(&listed.body),
        [
            ("fcemea/sales".to_owned(), "Succeeded".to_owned()),
            ("fcemea/logs".to_owned(), "Creating".to_owned())
        ]
    );
    // Its follower database does not exist yet, and its name is taken.
    assert_eq!(
        env.get(&format!("{EMEA}/databases/Logs")).await.status,
        StatusCode::NOT_FOUND
    );
    let check = env
        .post(
            &format!("{EMEA}/attachedDatabaseConfigurationCheckNameAvailability"),
            json!({"name": "LOGS", "type": "Microsoft.Kusto/clusters/attachedDatabaseConfigurations"}),
        )
        .await;
    assert_eq!(check.body["nameAvailable"], false);
    // Its leader does not list it before it is done.
    let followers = env.get(&format!("{PROD}/listFollowerDatabases")).await;
    assert_eq!(followers.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_attachment_being_deleted_shows_deleting_with_its_databases() {
    let env = Env::with(world(|w| w.settings.operation_ms = 600_000));
    let path = format!("{EMEA}/attachedDatabaseConfigurations/sales");
    assert_eq!(env.delete(&path).await.status, StatusCode::ACCEPTED);
    let got = env.get(&path).await;
    assert_eq!(got.body["properties"]["provisioningState"], "Deleting");
    assert_eq!(
        env.get(&format!("{EMEA}/databases/Sales")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_stopped_cluster_refuses_database_reads_and_its_endpoint_does_not_answer() {
    let env = Env::new(WORLD);
    // azure-service-operator#4933: the service's answer to a database GET on a stopped cluster.
    for path in [
        format!("{STOPPED}/databases"),
        format!("{STOPPED}/databases/Anything"),
    ] {
        let answer = env.get(&path).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.code(), "BadRequest");
        assert_eq!(
            answer.message(),
            "Cannot fetch databases while resource is in state 'Stopped'."
        );
    }
    // The cluster itself, and its attachments, still read.
    let cluster = env.get(STOPPED).await;
    assert_eq!(cluster.body["properties"]["state"], "Stopped");
    assert_eq!(
        env.get(&format!("{STOPPED}/attachedDatabaseConfigurations"))
            .await
            .status,
        StatusCode::OK
    );
    let endpoint = cluster.body["properties"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let error = env
        .client
        .post(format!("{endpoint}/v1/rest/mgmt"))
        .bearer_auth("t")
        .json(&json!({"db": "", "csl": ".show databases"}))
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_status(), "no HTTP answer at all: {error}");
    let log = env.emulator.requests();
    let last = log.last().unwrap();
    assert_eq!(last.path, "/kusto/fcstopped/v1/rest/mgmt");
    assert_eq!(last.status, None);
    // A running cluster's endpoint answers.
    let running = env
        .send(
            Method::POST,
            "/kusto/fcemea/v1/rest/mgmt",
            Some(json!({"db": "", "csl": ".show databases"})),
        )
        .await;
    assert_eq!(running.status, StatusCode::OK);
}

#[tokio::test]
async fn attachment_names_the_service_refuses_are_refused() {
    let env = Env::new(WORLD);
    for name in ["a%2F..%2Fsales", "a%2Fb", "tab%09bed", "new%0Aline"] {
        let path = format!("{EMEA}/attachedDatabaseConfigurations/{name}");
        let put = env.put(&path, attach_body("Logs")).await;
        assert_eq!(put.status, StatusCode::BAD_REQUEST, "{name}: {}", put.body);
        assert_eq!(put.code(), "InvalidResourceName", "{name}");
        assert_eq!(env.get(&path).await.code(), "InvalidResourceName");
        assert_eq!(env.delete(&path).await.code(), "InvalidResourceName");
    }
    let world = env.emulator.world();
    let names: Vec<&str> = world.clusters[1]
        .attached_database_configurations
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["sales"], "nothing changed");
    // `..` alone, or a dot, is a name like any other.
    let dotted = env
        .put(
            &format!("{EMEA}/attachedDatabaseConfigurations/logs.v2"),
            attach_body("Logs"),
        )
        .await;
    assert_eq!(dotted.status, StatusCode::CREATED, "{}", dotted.body);
}

#[tokio::test]
async fn the_share_origin_comes_from_the_world() {
    let text = WORLD.replace(
        "        defaultPrincipalsModificationKind: Union\n",
        "        defaultPrincipalsModificationKind: Union\n        databaseShareOrigin: DataShare\n",
    );
    let env = Env::new(&text);
    let database = env.get(&format!("{EMEA}/databases/Sales")).await;
    assert_eq!(
        database.body["properties"]["databaseShareOrigin"],
        "DataShare"
    );
    let posted = env
        .post(&format!("{PROD}/listFollowerDatabases"), json!({}))
        .await;
    assert_eq!(posted.body["value"][0]["databaseShareOrigin"], "DataShare");
    let got = env.get(&format!("{PROD}/listFollowerDatabases")).await;
    assert_eq!(
        got.body["value"][0]["properties"]["databaseShareOrigin"],
        "DataShare"
    );
    // The saved world keeps it.
    let saved = env.emulator.world();
    assert_eq!(
        saved.clusters[1].attached_database_configurations[0].database_share_origin,
        Some(kfollow_model::DatabaseShareOrigin::DataShare)
    );
    // Without the key: `Direct`.
    let env = Env::new(WORLD);
    let database = env.get(&format!("{EMEA}/databases/Sales")).await;
    assert_eq!(database.body["properties"]["databaseShareOrigin"], "Direct");
}
