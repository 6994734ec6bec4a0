//! The rules of the service: one test per rule, asserting the status and the ARM error code.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Answer, EMEA, Env, PROD, WORLD, attach_body};

const US: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-us/providers/Microsoft.Kusto/clusters/fcus";
const STOPPED: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcstopped";
const NORTH: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcnorth";

async fn attach(env: &Env, follower: &str, name: &str, body: Value) -> Answer {
    env.put(
        &format!("{follower}/attachedDatabaseConfigurations/{name}"),
        body,
    )
    .await
}

fn assert_error(answer: &Answer, status: StatusCode, code: &str, fragment: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.code(), code, "{}", answer.body);
    assert!(
        answer.message().contains(fragment),
        "`{}` does not contain `{fragment}`",
        answer.message()
    );
}

#[tokio::test]
async fn leader_cluster_not_found() {
    let env = Env::new(WORLD);
    let mut body = attach_body("Sales");
    body["properties"]["clusterResourceId"] = json!(PROD.replace("fcprod", "ghost"));
    let answer = attach(&env, NORTH, "a", body).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "ResourceNotFound", "ghost");
}

#[tokio::test]
async fn leader_database_not_found() {
    let env = Env::new(WORLD);
    let answer = attach(&env, NORTH, "a", attach_body("Nope")).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "ResourceNotFound", "Nope");
}

#[tokio::test]
async fn leader_database_that_is_itself_a_follower() {
    let env = Env::new(WORLD);
    let mut body = attach_body("Sales");
    body["properties"]["clusterResourceId"] = json!(EMEA);
    let answer = attach(&env, NORTH, "a", body).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "is a follower database",
    );
}

#[tokio::test]
async fn leader_and_follower_in_different_regions() {
    let env = Env::new(WORLD);
    let mut body = attach_body("Sales");
    body["location"] = json!("eastus");
    let answer = attach(&env, US, "a", body).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "same region",
    );
}

#[tokio::test]
async fn sharing_lists_with_all_databases() {
    let env = Env::new(WORLD);
    let mut body = attach_body("*");
    body["properties"]["tableLevelSharingProperties"] = json!({"tablesToInclude": ["Orders"]});
    let answer = attach(&env, NORTH, "a", body).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "BadRequest", "'*'");
}

#[tokio::test]
async fn more_than_100_sharing_entries() {
    let env = Env::new(WORLD);
    let mut body = attach_body("Sales");
    let tables: Vec<String> = (0..60).map(|i| format!("T{i}")).collect();
    let views: Vec<String> = (0..41).map(|i| format!("V{i}")).collect();
    body["properties"]["tableLevelSharingProperties"] =
        json!({"tablesToInclude": tables, "materializedViewsToExclude": views});
    let answer = attach(&env, NORTH, "a", body).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "101 entries",
    );
}

#[tokio::test]
async fn override_with_all_databases() {
    let env = Env::new(WORLD);
    let mut body = attach_body("*");
    body["properties"]["databaseNameOverride"] = json!("Everything");
    let answer = attach(&env, NORTH, "a", body).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "databaseNameOverride",
    );
}

#[tokio::test]
async fn override_and_prefix_together() {
    let env = Env::new(WORLD);
    let mut body = attach_body("Sales");
    body["properties"]["databaseNameOverride"] = json!("S");
    body["properties"]["databaseNamePrefix"] = json!("p_");
    let answer = attach(&env, NORTH, "a", body).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "BadRequest", "together");
}

#[tokio::test]
async fn follower_database_name_that_already_exists() {
    let env = Env::new(WORLD);
    let mut body = attach_body("Logs");
    body["properties"]["databaseNameOverride"] = json!("local");
    let answer = attach(&env, EMEA, "logs", body).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "already exists",
    );
    // A second attachment of Sales under its own name collides with the first one's database.
    let answer = attach(&env, EMEA, "again", attach_body("Sales")).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "'Sales' already exists",
    );
}

#[tokio::test]
async fn change_of_an_immutable_property() {
    let env = Env::new(WORLD);
    for (key, value) in [
        ("databaseName", json!("Logs")),
        ("databaseNameOverride", json!("Other")),
        ("databaseNamePrefix", json!("p_")),
        ("clusterResourceId", json!(NORTH)),
    ] {
        let mut body = attach_body("Sales");
        body["properties"][key] = value;
        let answer = attach(&env, EMEA, "sales", body).await;
        assert_error(
            &answer,
            StatusCode::BAD_REQUEST,
            "CannotAlterFollowerDatabase",
            key,
        );
    }
    let mut body = attach_body("Sales");
    body["location"] = json!("northeurope");
    let answer = attach(&env, EMEA, "sales", body).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "CannotAlterFollowerDatabase",
        "location",
    );
    // Sharing and the principals kind update in place.
    let mut body = attach_body("Sales");
    body["properties"]["defaultPrincipalsModificationKind"] = json!("Replace");
    let answer = attach(&env, EMEA, "sales", body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn second_write_while_the_first_runs() {
    // Azure/azure-rest-api-specs#18845, hashicorp/terraform-provider-azurerm#16471: the
    // second write is accepted and its operation fails.
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.settings.operation_ms = 600_000;
    let env = Env::with(world);
    let first = attach(&env, NORTH, "a", attach_body("Sales")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let second = attach(&env, NORTH, "b", attach_body("Logs")).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    let status = env.wait(second.header("Azure-AsyncOperation")).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "ServiceIsInMaintenance");
    assert_eq!(
        status["error"]["message"],
        "[Conflict] Cluster 'fcnorth' is in process of maintenance for a short period. You \
         may retry to invoke the operation in a few minutes."
    );
    // The failed write changed nothing, and the first one still runs.
    let listed = env
        .get(&format!("{NORTH}/attachedDatabaseConfigurations"))
        .await;
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fcnorth/a"]);
    // Another cluster is not held up.
    let other = env
        .delete(&format!("{EMEA}/attachedDatabaseConfigurations/sales"))
        .await;
    assert_eq!(other.status, StatusCode::ACCEPTED);
    let status = env.get(other.header("Azure-AsyncOperation")).await;
    assert_eq!(status.body["status"], "Running");
}

#[tokio::test]
async fn cluster_that_is_not_running() {
    let env = Env::new(WORLD);
    let answer = attach(&env, STOPPED, "a", attach_body("Sales")).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Cannot modify attached database configurations while resource is in state 'Stopped'.",
    );
    let detach = env
        .delete(&format!("{STOPPED}/attachedDatabaseConfigurations/a"))
        .await;
    // Nothing to delete: 204 before the state matters.
    assert_eq!(detach.status, StatusCode::NO_CONTENT);
    // A stopped leader is not followed either.
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.clusters[0].state = "Stopped".into();
    let env = Env::with(world);
    let answer = attach(&env, NORTH, "a", attach_body("Sales")).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Cannot follow the databases of cluster 'fcprod' while resource is in state 'Stopped'.",
    );
}

#[tokio::test]
async fn deleting_a_followed_leader_database() {
    let env = Env::new(WORLD);
    let answer = env.delete(&format!("{PROD}/databases/Sales")).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "fcemea/sales",
    );
    // An unfollowed one goes.
    let answer = env.delete(&format!("{PROD}/databases/Logs")).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    env.wait(answer.header("Azure-AsyncOperation")).await;
    assert_eq!(env.emulator.world().clusters[0].databases.len(), 1);
}

#[tokio::test]
async fn a_cluster_following_itself() {
    let env = Env::new(WORLD);
    let answer = attach(&env, PROD, "a", attach_body("Sales")).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "'fcprod' cannot follow itself",
    );
    assert!(
        env.emulator.world().clusters[0]
            .attached_database_configurations
            .is_empty()
    );
}

#[tokio::test]
async fn all_databases_with_a_prefix_that_collides_with_a_read_write_database() {
    // fcnorth owns `P_LOGS`; `*` with prefix `p_` would make `p_Sales` and `p_Logs`.
    let mut world = kfollow_emulator::World::from_yaml(WORLD).unwrap();
    world.clusters[4]
        .databases
        .push(kfollow_emulator::WorldDatabase {
            name: "P_LOGS".into(),
            ..Default::default()
        });
    let env = Env::with(world);
    let mut body = attach_body("*");
    body["properties"]["databaseNamePrefix"] = json!("p_");
    // The follower's own database takes precedence (follower.md, "Notes"): the attachment is
    // accepted and does not follow the leader's Logs.
    let answer = attach(&env, NORTH, "all", body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    env.wait(answer.header("Azure-AsyncOperation")).await;
    let databases: Vec<String> = env.get(&format!("{NORTH}/databases")).await.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["name"].as_str().unwrap(),
                d["kind"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        databases,
        [
            "fcnorth/P_LOGS ReadWrite",
            "fcnorth/p_Sales ReadOnlyFollowing"
        ]
    );
    let attachment = env
        .get(&format!("{NORTH}/attachedDatabaseConfigurations/all"))
        .await;
    assert_eq!(
        attachment.body["properties"]["attachedDatabaseNames"],
        json!(["Sales"])
    );
    // The shadowed leader database is not followed, so it can go.
    let logs = env.delete(&format!("{PROD}/databases/Logs")).await;
    assert_eq!(logs.status, StatusCode::ACCEPTED, "{}", logs.body);
}
