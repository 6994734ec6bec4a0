//! Conformance with exchanges recorded against the real service: public recordings of the
//! Az.Kusto PowerShell module's tests (repository `Azure/azure-powershell`, folder
//! `src/Kusto/Kusto.Autorest/test/`, api-version 2024-04-13). Each test names the recording
//! it follows and pins what it shows: the status, the headers present and absent, the body's
//! field names and JSON types, and the values that are not made up (kinds, states, the
//! region's display name). The world mirrors the recordings' clusters: a leader and a
//! follower in `eastus`.

use std::collections::BTreeSet;

use kfollow_emulator::World;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Answer, Env, fields};

const LEADER: &str = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/PWSH-SDK/providers/Microsoft.Kusto/clusters/pssdkleader";
const FOLLOWER: &str = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/PWSH-SDK/providers/Microsoft.Kusto/clusters/pssdkfollow";

/// Long enough to poll an operation while it runs, short enough to keep the test quick.
const WORLD: &str = r#"
clusters:
  - id: /subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/PWSH-SDK/providers/Microsoft.Kusto/clusters/pssdkleader
    location: eastus
    databases:
      - name: TestDb
  - id: /subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/PWSH-SDK/providers/Microsoft.Kusto/clusters/pssdkfollow
    location: eastus
settings:
  operationMs: 150
"#;

const RESOURCE_REQUESTS: &str = "x-ms-ratelimit-remaining-subscription-resource-requests";

fn env() -> Env {
    Env::with(World::from_yaml(WORLD).unwrap())
}

fn attachment_path(name: &str) -> String {
    format!("{FOLLOWER}/attachedDatabaseConfigurations/{name}")
}

/// The body of `New-AzKustoAttachedDatabaseConfiguration`.
fn attach_body(kind: &str) -> Value {
    json!({
        "properties": {
            "databaseName": "TestDb",
            "clusterResourceId": LEADER,
            "defaultPrincipalsModificationKind": kind,
        },
        "location": "East US",
    })
}

fn present(answer: &Answer, names: &[&str]) {
    for name in names {
        assert!(
            answer.headers.get(*name).is_some(),
            "header `{name}` is missing: {:?}",
            answer.headers
        );
    }
}

fn absent(answer: &Answer, names: &[&str]) {
    for name in names {
        assert!(
            answer.headers.get(*name).is_none(),
            "header `{name}` should not be there: {:?}",
            answer.headers
        );
    }
}

fn expect_fields(value: &Value, expected: &[(&str, &'static str)]) {
    let expected: BTreeSet<(String, &'static str)> = expected
        .iter()
        .map(|(path, kind)| ((*path).to_owned(), *kind))
        .collect();
    assert_eq!(fields(value), expected, "{value}");
}

const STATUS_FIELDS: [(&str, &str); 10] = [
    ("id", "string"),
    ("name", "string"),
    ("status", "string"),
    ("startTime", "string"),
    ("endTime", "string"),
    ("percentComplete", "number"),
    ("properties", "object"),
    ("properties.operationKind", "string"),
    ("properties.provisioningState", "string"),
    ("properties.operationState", "string"),
];

/// Polls the `Azure-AsyncOperation` status of `answer` until it ends; checks each body.
async fn finished(env: &Env, answer: &Answer, kind: &str) -> Value {
    loop {
        let status = env.get(answer.header("Azure-AsyncOperation")).await;
        assert_eq!(status.status, StatusCode::OK);
        present(&status, &[RESOURCE_REQUESTS]);
        absent(&status, &["Retry-After"]);
        expect_fields(&status.body, &STATUS_FIELDS);
        assert_eq!(status.body["properties"]["operationKind"], kind);
        assert!(
            status.body["id"]
                .as_str()
                .unwrap()
                .contains("/providers/Microsoft.Kusto/locations/East US/operationresults/"),
            "{}",
            status.body
        );
        if status.body["status"] != "Running" {
            return status.body;
        }
        assert_eq!(status.body["percentComplete"], json!(0.5));
        assert_eq!(status.body["endTime"], status.body["startTime"]);
        assert_eq!(status.body["properties"]["provisioningState"], "Running");
        assert_eq!(status.body["properties"]["operationState"], "InProgress");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn assert_succeeded(status: &Value) {
    assert_eq!(status["status"], "Succeeded");
    assert_eq!(status["percentComplete"], json!(1.0));
    assert_eq!(status["properties"]["provisioningState"], "Succeeded");
    assert_eq!(status["properties"]["operationState"], "Completed");
}

/// Polls a `Location` URL: 202 while the operation runs, then 200 with no body.
async fn location_ends_empty(env: &Env, location: &str) {
    assert!(location.contains("/locations/East%20US/operationResults/"));
    assert!(location.contains("operationResultResponseType=Location"));
    let mut polls = 0;
    loop {
        let poll = env.get(location).await;
        present(&poll, &[RESOURCE_REQUESTS]);
        if poll.status == StatusCode::ACCEPTED {
            polls += 1;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        }
        assert_eq!(poll.status, StatusCode::OK);
        assert_eq!(poll.body, Value::Null, "the recorded 200 has no body");
        break;
    }
    assert!(polls > 0, "the operation should have been seen running");
}

/// `New-AzKustoAttachedDatabaseConfiguration.Recording.json`: the PUT, its status, the GET.
#[tokio::test]
async fn attach_as_recorded() {
    let env = env();
    let put = env
        .put(&attachment_path("testdbconf"), attach_body("Union"))
        .await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    present(
        &put,
        &[
            "Azure-AsyncOperation",
            RESOURCE_REQUESTS,
            "x-ms-request-id",
            "x-ms-correlation-request-id",
        ],
    );
    absent(&put, &["Location", "Retry-After"]);
    assert!(
        put.header("Azure-AsyncOperation")
            .contains("/providers/Microsoft.Kusto/locations/East%20US/operationResults/")
    );
    // The first write of the window: 199 left.
    assert_eq!(put.header(RESOURCE_REQUESTS), "199");
    expect_fields(
        &put.body,
        &[
            ("id", "string"),
            ("name", "string"),
            ("type", "string"),
            ("location", "string"),
            ("properties", "object"),
            ("properties.databaseName", "string"),
            ("properties.clusterResourceId", "string"),
            ("properties.defaultPrincipalsModificationKind", "string"),
            ("properties.provisioningState", "string"),
        ],
    );
    assert_eq!(put.body["location"], "East US");
    assert_eq!(put.body["properties"]["provisioningState"], "Creating");

    let status = finished(&env, &put, "FollowerDatabaseCreate").await;
    assert_succeeded(&status);

    let get = env.get(&attachment_path("testdbconf")).await;
    assert_eq!(get.status, StatusCode::OK);
    present(&get, &[RESOURCE_REQUESTS]);
    expect_fields(
        &get.body,
        &[
            ("id", "string"),
            ("name", "string"),
            ("type", "string"),
            ("location", "string"),
            ("properties", "object"),
            ("properties.clusterResourceId", "string"),
            ("properties.databaseName", "string"),
            ("properties.attachedDatabaseNames", "array"),
            ("properties.attachedDatabaseNames[]", "string"),
            ("properties.defaultPrincipalsModificationKind", "string"),
            ("properties.tableLevelSharingProperties", "null"),
            ("properties.databaseNameOverride", "null"),
            ("properties.databaseNamePrefix", "null"),
            ("properties.provisioningState", "string"),
        ],
    );
    assert_eq!(get.body["location"], "East US");
    assert_eq!(
        get.body["properties"]["attachedDatabaseNames"],
        json!(["TestDb"])
    );
    assert_eq!(get.body["properties"]["provisioningState"], "Succeeded");

    // An update answers 200, followed the same way; no recording shows its kind, the
    // emulator reuses the create's.
    let update = env
        .put(&attachment_path("testdbconf"), attach_body("Replace"))
        .await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.body);
    present(&update, &["Azure-AsyncOperation"]);
    absent(&update, &["Location", "Retry-After"]);
    assert_succeeded(&finished(&env, &update, "FollowerDatabaseCreate").await);
}

/// Every recorded ARM answer carries `x-ms-request-id` and `x-ms-correlation-request-id`, the
/// latter the caller's when it sent one. The management endpoint names its answers with
/// `x-ms-activity-id`. The request log keeps the caller's `x-ms-client-request-id`.
#[tokio::test]
async fn answers_carry_the_service_s_request_ids() {
    let env = env();
    let send = |url: String, correlation: Option<&'static str>| {
        let mut request = env
            .client
            .get(url)
            .bearer_auth(&env.token)
            .header("x-ms-client-request-id", "kfollow-1");
        if let Some(correlation) = correlation {
            request = request.header("x-ms-correlation-request-id", correlation);
        }
        request.send()
    };
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let first = send(env.url(LEADER), None).await.unwrap();
    let second = send(env.url(LEADER), Some("chosen-by-the-caller"))
        .await
        .unwrap();
    let ids: Vec<String> = [&first, &second]
        .iter()
        .map(|r| header(r, "x-ms-request-id").unwrap())
        .collect();
    assert_ne!(ids[0], ids[1], "each request has its own id");
    assert!(header(&first, "x-ms-correlation-request-id").is_some());
    assert_eq!(
        header(&second, "x-ms-correlation-request-id").as_deref(),
        Some("chosen-by-the-caller")
    );
    assert_eq!(header(&first, "x-ms-activity-id"), None);

    let mgmt = env
        .client
        .post(env.url("/kusto/pssdkleader/v1/rest/mgmt"))
        .bearer_auth(&env.token)
        .json(&json!({"db": "TestDb", "csl": ".show databases"}))
        .send()
        .await
        .unwrap();
    assert!(header(&mgmt, "x-ms-activity-id").is_some());
    assert_eq!(header(&mgmt, "x-ms-request-id"), None);

    let log = env.emulator.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].client_request_id.as_deref(), Some("kfollow-1"));
    assert_eq!(log[2].client_request_id, None);
}

/// Creates `testdbconf` and waits for it, as the recordings do before they remove it.
async fn attached(env: &Env) {
    let put = env
        .put(&attachment_path("testdbconf"), attach_body("Union"))
        .await;
    finished(env, &put, "FollowerDatabaseCreate").await;
}

/// A recorded removal: 202 with no body, `Location` and `Azure-AsyncOperation`, the budget
/// headers of its kind (`budget`) and neither `Retry-After` nor the resource-requests header;
/// then both status forms followed to the end.
async fn removed_as_recorded(env: &Env, answer: &Answer, budget: [&str; 2]) {
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert_eq!(answer.body, Value::Null, "the recorded 202 has no body");
    present(answer, &["Location", "Azure-AsyncOperation"]);
    present(answer, &budget);
    absent(answer, &["Retry-After", RESOURCE_REQUESTS]);
    location_ends_empty(env, answer.header("Location")).await;
    assert_succeeded(&finished(env, answer, "FollowerDatabaseDetach").await);
}

/// `Remove-AzKustoAttachedDatabaseConfiguration.Recording.json`: the DELETE and both status
/// forms.
#[tokio::test]
async fn delete_of_an_attachment_as_recorded() {
    let env = env();
    attached(&env).await;
    let delete = env.delete(&attachment_path("testdbconf")).await;
    removed_as_recorded(
        &env,
        &delete,
        [
            "x-ms-ratelimit-remaining-subscription-deletes",
            "x-ms-ratelimit-remaining-subscription-global-deletes",
        ],
    )
    .await;
    assert_eq!(
        env.get(&attachment_path("testdbconf")).await.status,
        StatusCode::NOT_FOUND
    );
}

/// `Invoke-AzKustoDetachClusterFollowerDatabase.Recording.json` (and the detach at the end of
/// `New-AzKustoAttachedDatabaseConfiguration.Recording.json`): the leader's
/// `detachFollowerDatabases`.
#[tokio::test]
async fn detach_from_the_leader_as_recorded() {
    let env = env();
    attached(&env).await;
    let detach = env
        .post(
            &format!("{LEADER}/detachFollowerDatabases"),
            json!({"clusterResourceId": FOLLOWER, "attachedDatabaseConfigurationName": "testdbconf"}),
        )
        .await;
    removed_as_recorded(
        &env,
        &detach,
        [
            "x-ms-ratelimit-remaining-subscription-writes",
            "x-ms-ratelimit-remaining-subscription-global-writes",
        ],
    )
    .await;
}

/// `Get-AzKustoClusterFollowerDatabase.Recording.json` (POST) and
/// `Get-AzKustoClusterFollowerDatabaseGet.Recording.json` (GET): `listFollowerDatabases`.
#[tokio::test]
async fn list_follower_databases_as_recorded() {
    let env = env();
    attached(&env).await;
    let entry = [
        ("clusterResourceId", "string"),
        ("attachedDatabaseConfigurationName", "string"),
        ("databaseName", "string"),
        ("databaseShareOrigin", "string"),
    ];

    let post = env
        .send(
            Method::POST,
            &format!("{LEADER}/listFollowerDatabases"),
            None,
        )
        .await;
    assert_eq!(post.status, StatusCode::OK);
    present(
        &post,
        &[
            "x-ms-ratelimit-remaining-subscription-writes",
            "x-ms-ratelimit-remaining-subscription-global-writes",
        ],
    );
    absent(&post, &[RESOURCE_REQUESTS]);
    let mut expected = vec![("value", "array"), ("value[]", "object")];
    let paths: Vec<String> = entry.iter().map(|(p, _)| format!("value[].{p}")).collect();
    expected.extend(
        paths
            .iter()
            .map(String::as_str)
            .zip(entry.iter().map(|(_, k)| *k)),
    );
    expect_fields(&post.body, &expected);
    assert_eq!(post.body["value"][0]["databaseShareOrigin"], "Direct");

    let get = env.get(&format!("{LEADER}/listFollowerDatabases")).await;
    assert_eq!(get.status, StatusCode::OK);
    present(
        &get,
        &[
            "x-ms-ratelimit-remaining-subscription-reads",
            "x-ms-ratelimit-remaining-subscription-global-reads",
        ],
    );
    absent(&get, &[RESOURCE_REQUESTS]);
    let mut expected = vec![
        ("value", "array"),
        ("value[]", "object"),
        ("value[].properties", "object"),
    ];
    let paths: Vec<String> = entry
        .iter()
        .map(|(p, _)| format!("value[].properties.{p}"))
        .collect();
    expected.extend(
        paths
            .iter()
            .map(String::as_str)
            .zip(entry.iter().map(|(_, k)| *k)),
    );
    expect_fields(&get.body, &expected);
}

/// `Get-AzKustoCluster.Recording.json`: the region's display name, the state, and the first
/// read of a window leaving 299.
#[tokio::test]
async fn cluster_get_as_recorded() {
    let env = env();
    let cluster = env.get(LEADER).await;
    assert_eq!(cluster.status, StatusCode::OK);
    assert_eq!(cluster.header(RESOURCE_REQUESTS), "299");
    assert_eq!(cluster.body["location"], "East US");
    assert_eq!(cluster.body["properties"]["state"], "Running");
    assert_eq!(
        env.get(FOLLOWER).await.header(RESOURCE_REQUESTS),
        "298",
        "every call counts"
    );
}
