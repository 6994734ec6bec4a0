//! Conformance with Microsoft's examples (`tests/fixtures/arm-examples`, provenance in
//! `PROVENANCE.md` there): for each example of a route the emulator serves, a world built from
//! the example's parameters, the example's request, and a comparison of the status and of the
//! set of field names with their JSON types (never the made-up values, ids or api-versions).
//!
//! Where the emulator leaves out a field of the example, or adds one the spec defines and the
//! example does not show, the test names it (`omitted`, `added`), so the difference is explicit
//! and a new difference fails.

use std::collections::BTreeSet;

use kfollow_emulator::{Fault, FaultKind, World};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{Answer, Env, fields};

const SUB: &str = "12345678-1234-1234-1234-123456789098";

fn cluster(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/{name}"
    )
}

fn example(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/arm-examples/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn under(path: &str, entries: &[&str]) -> bool {
    entries.iter().any(|e| {
        path == *e || path.starts_with(&format!("{e}.")) || path.starts_with(&format!("{e}[]"))
    })
}

/// Asserts the answer has the example's status and field set, give or take the named fields.
fn conforms(answer: &Answer, example: &Value, omitted: &[&str], added: &[&str]) {
    conforms_with_nulls(answer, example, omitted, added, &[]);
}

/// [`conforms`], where the answer may also hold `null` at the `nullable` paths: the recorded
/// GETs of the service write an unset optional property as `null`, which the examples leave
/// out (`Azure/azure-powershell`, `src/Kusto/Kusto.Autorest/test/`
/// `New-AzKustoAttachedDatabaseConfiguration.Recording.json`).
fn conforms_with_nulls(
    answer: &Answer,
    example: &Value,
    omitted: &[&str],
    added: &[&str],
    nullable: &[&str],
) {
    let status = answer.status.as_u16().to_string();
    let expected = example["responses"]
        .get(&status)
        .unwrap_or_else(|| panic!("the example has no {status} response: {}", answer.body));
    let want = fields(expected.get("body").unwrap_or(&Value::Null));
    let got = fields(&answer.body);
    for entry in omitted {
        assert!(
            want.iter().any(|(p, _)| under(p, &[entry])),
            "`{entry}` is not in the example"
        );
    }
    for entry in added {
        assert!(
            !want.iter().any(|(p, _)| under(p, &[entry])),
            "`{entry}` is in the example"
        );
    }
    let want: BTreeSet<_> = want
        .into_iter()
        .filter(|(p, _)| !under(p, omitted))
        .collect();
    let got: BTreeSet<_> = got
        .into_iter()
        .filter(|(p, _)| !under(p, added))
        .filter(|(p, kind)| !(*kind == "null" && nullable.contains(&p.as_str())))
        .collect();
    assert_eq!(
        got, want,
        "fields of the answer (left) and the example (right) differ"
    );
    if let Some(headers) = expected.get("headers").and_then(Value::as_object) {
        for name in headers.keys() {
            assert!(!answer.header(name).is_empty(), "header `{name}` missing");
        }
    }
}

fn env(yaml: &str) -> Env {
    Env::with(World::from_yaml(yaml).unwrap())
}

fn request_body(example: &Value, key: &str) -> Option<Value> {
    example["parameters"].get(key).cloned()
}

/// kustoCluster (westus) owns KustoDatabase8 and the suspended KustoDatabase10 and follows
/// KustoDatabase9 of kustoCluster2 with table-level sharing and a hot cache period.
const DATABASES_WORLD: &str = r#"
clusters:
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster
    location: westus
    databases:
      - { name: KustoDatabase8, softDeletePeriod: 1d, hotCachePeriod: 1d }
      - { name: KustoDatabase10, softDeletePeriod: 1d, hotCachePeriod: 1d, suspensionStartDate: "2023-04-16T15:06:54.2757906Z" }
    attachedDatabaseConfigurations:
      - name: attachedDatabaseConfigurationsTest
        clusterResourceId: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster2
        databaseName: KustoDatabase9
        defaultPrincipalsModificationKind: Union
        tableLevelSharingProperties:
          tablesToInclude: [Table1]
          tablesToExclude: [Table2]
          externalTablesToInclude: [ExternalTable1]
          externalTablesToExclude: [ExternalTable2]
          materializedViewsToInclude: [MaterializedViewTable1]
          materializedViewsToExclude: [MaterializedViewTable2]
        followerDatabases:
          KustoDatabase9: { hotCachePeriod: 1d }
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster2
    location: westus
    databases:
      - { name: KustoDatabase9, softDeletePeriod: 1d, sizeBytes: 1024 }
      - { name: kustodatabase }
settings: { operationMs: 0, retryAfterSeconds: 0 }
"#;

#[tokio::test]
async fn clusters_get() {
    let example = example("KustoClustersGet");
    let env = env(DATABASES_WORLD);
    let answer = env.get(&cluster("kustoCluster")).await;
    conforms(
        &answer,
        &example,
        &[
            "etag",
            "identity",
            "systemData",
            "properties.allowedFqdnList",
            "properties.allowedIpRangeList",
            "properties.enableAutoStop",
            "properties.enableDiskEncryption",
            "properties.enablePurge",
            "properties.enableStreamingIngest",
            "properties.keyVaultProperties",
            "properties.migrationCluster",
            "properties.privateEndpointConnections",
            "properties.publicIPType",
            "properties.publicNetworkAccess",
            "properties.restrictOutboundNetworkAccess",
            "properties.zoneStatus",
        ],
        // kfollow reads these two; the spec defines both (ClusterProperties).
        &["properties.state", "properties.uri"],
    );
}

#[tokio::test]
async fn databases_list_by_cluster() {
    let example = example("KustoDatabasesListByCluster");
    let env = env(DATABASES_WORLD);
    let answer = env
        .get(&format!("{}/databases", cluster("kustoCluster")))
        .await;
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn databases_get() {
    let example = example("KustoDatabasesGet");
    let env = env(&DATABASES_WORLD.replace(", hotCachePeriod: 1d }", " }"));
    let answer = env
        .get(&format!(
            "{}/databases/KustoDatabase8",
            cluster("kustoCluster")
        ))
        .await;
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn suspended_databases_get() {
    let example = example("KustoSuspendedDatabasesGet");
    let env = env(&DATABASES_WORLD.replace("hotCachePeriod: 1d, suspension", "suspension"));
    let answer = env
        .get(&format!(
            "{}/databases/KustoDatabase10",
            cluster("kustoCluster")
        ))
        .await;
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn read_only_database_update() {
    let example = example("KustoDatabaseReadonlyUpdate");
    let env = env(DATABASES_WORLD);
    let path = format!("{}/databases/KustoDatabase9", cluster("kustoCluster"));
    let answer = env
        .put(&path, request_body(&example, "parameters").unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn databases_delete() {
    let example = example("KustoDatabasesDelete");
    let env = env(DATABASES_WORLD);
    let answer = env
        .delete(&format!(
            "{}/databases/KustoDatabase8",
            cluster("kustoCluster")
        ))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    conforms(&answer, &example, &[], &[]);
}

/// kustoCluster2 (westus) holds the attachments of the attachment examples, which follow
/// KustoClusterLeader. The create example names kustoCluster2 as its own leader, which the
/// service refuses (a cluster does not follow itself), so its request goes to
/// kustoFollower instead and follows kustodatabase of kustoCluster2, as its body says.
const ATTACHMENTS_WORLD: &str = r#"
clusters:
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster2
    location: westus
    databases:
      - { name: kustodatabase }
    attachedDatabaseConfigurations:
      - name: attachedDatabaseConfigurationsTest
        clusterResourceId: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/KustoClusterLeader
        databaseName: "*"
        databaseNamePrefix: prefix
        defaultPrincipalsModificationKind: Union
      - name: KustoDatabase9
        clusterResourceId: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/KustoClusterLeader
        databaseName: db1
        databaseNameOverride: db1b
        defaultPrincipalsModificationKind: Union
        tableLevelSharingProperties:
          tablesToInclude: [Table1]
          tablesToExclude: [Table2]
          externalTablesToInclude: [ExternalTable1]
          externalTablesToExclude: [ExternalTable2]
          materializedViewsToInclude: [MaterializedViewTable1]
          materializedViewsToExclude: [MaterializedViewTable2]
          functionsToInclude: [functionsToInclude1]
          functionsToExclude: [functionsToExclude2]
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/KustoClusterLeader
    location: westus
    databases:
      - { name: db1 }
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoFollower
    location: westus
settings: { operationMs: 0, retryAfterSeconds: 0 }
"#;

#[tokio::test]
async fn attached_database_configurations_create_or_update() {
    let example = example("KustoAttachedDatabaseConfigurationsCreateOrUpdate");
    let env = env(ATTACHMENTS_WORLD);
    let path = format!(
        "{}/attachedDatabaseConfigurations/created",
        cluster("kustoFollower")
    );
    let answer = env
        .put(&path, request_body(&example, "parameters").unwrap())
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn attached_database_configurations_get() {
    let example = example("KustoAttachedDatabaseConfigurationsGet");
    let env = env(ATTACHMENTS_WORLD);
    let answer = env
        .get(&format!(
            "{}/attachedDatabaseConfigurations/attachedDatabaseConfigurationsTest",
            cluster("kustoCluster2")
        ))
        .await;
    // attachedDatabaseNames is a read-only property of the spec the example leaves out.
    conforms_with_nulls(
        &answer,
        &example,
        &[],
        &["properties.attachedDatabaseNames"],
        &[
            "properties.databaseNameOverride",
            "properties.tableLevelSharingProperties",
        ],
    );
}

#[tokio::test]
async fn attached_database_configurations_list_by_cluster() {
    let example = example("KustoAttachedDatabaseConfigurationsListByCluster");
    let env = env(ATTACHMENTS_WORLD);
    let answer = env
        .get(&format!(
            "{}/attachedDatabaseConfigurations",
            cluster("kustoCluster2")
        ))
        .await;
    // databaseNamePrefix and databaseNameOverride come with this world's attachments.
    conforms_with_nulls(
        &answer,
        &example,
        &[],
        &[
            "value[].properties.attachedDatabaseNames",
            "value[].properties.databaseNamePrefix",
            "value[].properties.databaseNameOverride",
        ],
        &["value[].properties.tableLevelSharingProperties"],
    );
}

#[tokio::test]
async fn attached_database_configurations_delete() {
    let example = example("KustoAttachedDatabaseConfigurationsDelete");
    let env = env(ATTACHMENTS_WORLD);
    let answer = env
        .delete(&format!(
            "{}/attachedDatabaseConfigurations/attachedDatabaseConfigurationsTest",
            cluster("kustoCluster2")
        ))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn attached_database_configuration_check_name_availability() {
    let example = example("KustoAttachedDatabaseConfigurationCheckNameAvailability");
    let env = env(&ATTACHMENTS_WORLD.replace("name: KustoDatabase9", "name: adc1"));
    let answer = env
        .post(
            &format!(
                "{}/attachedDatabaseConfigurationCheckNameAvailability",
                cluster("kustoCluster2")
            ),
            request_body(&example, "resourceName").unwrap(),
        )
        .await;
    conforms(&answer, &example, &[], &[]);
}

/// kustoCluster leads db1; follower1 follows all of it, follower4 follows db1 with sharing.
const FOLLOWERS_WORLD: &str = r#"
clusters:
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster
    location: westus
    databases:
      - { name: db1 }
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/follower1
    location: westus
    attachedDatabaseConfigurations:
      - name: attachedDbConfiguration
        clusterResourceId: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster
        databaseName: "*"
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/follower4
    location: westus
    attachedDatabaseConfigurations:
      - name: attachedDbConfiguration2
        clusterResourceId: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster
        databaseName: db1
        tableLevelSharingProperties:
          tablesToInclude: [Table1]
          tablesToExclude: [Table2]
          externalTablesToInclude: [ExternalTable1]
          externalTablesToExclude: [ExternalTable2]
          materializedViewsToInclude: [MaterializedViewTable1]
          materializedViewsToExclude: [MaterializedViewTable2]
  - id: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster2
    location: westus
    attachedDatabaseConfigurations:
      - name: attachedDatabaseConfigurationsTest
        clusterResourceId: /subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/kustoCluster
        databaseName: db1
        databaseNamePrefix: k2_
settings: { operationMs: 0, retryAfterSeconds: 0 }
"#;

/// [`FOLLOWERS_WORLD`] without kustoCluster2: only the two followers the list examples show.
fn followers_world_without_cluster2() -> &'static str {
    let cluster2 = FOLLOWERS_WORLD
        .find(&format!("  - id: {}\n", cluster("kustoCluster2")))
        .unwrap();
    &FOLLOWERS_WORLD[..cluster2]
}

#[tokio::test]
async fn cluster_list_follower_databases() {
    let example = example("KustoClusterListFollowerDatabases");
    let env = env(followers_world_without_cluster2());
    let answer = env
        .post(
            &format!("{}/listFollowerDatabases", cluster("kustoCluster")),
            serde_json::json!({}),
        )
        .await;
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn cluster_list_follower_databases_get() {
    let example = example("KustoClusterListFollowerDatabasesGet");
    let env = env(followers_world_without_cluster2());
    let answer = env
        .get(&format!(
            "{}/listFollowerDatabases",
            cluster("kustoCluster")
        ))
        .await;
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn cluster_detach_follower_databases() {
    let example = example("KustoClusterDetachFollowerDatabases");
    let env = env(FOLLOWERS_WORLD);
    let answer = env
        .post(
            &format!("{}/detachFollowerDatabases", cluster("kustoCluster")),
            request_body(&example, "followerDatabaseToRemove").unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    conforms(&answer, &example, &[], &[]);
}

#[tokio::test]
async fn operation_results_get() {
    let example = example("KustoOperationResultsGet");
    let mut world = World::from_yaml(FOLLOWERS_WORLD).unwrap();
    world.settings.faults.push(Fault {
        method: "DELETE".into(),
        path: "*".into(),
        respond: FaultKind::FailOperation,
        count: 1,
        retry_after_seconds: 0,
        delay_ms: 0,
        code: Some("CannotAlterFollowerDatabase".into()),
        message: Some("[BadRequest] Cannot alter leader cluster".into()),
    });
    let env = Env::with(world);
    let started = env
        .delete(&format!(
            "{}/attachedDatabaseConfigurations/attachedDatabaseConfigurationsTest",
            cluster("kustoCluster2")
        ))
        .await;
    let answer = env.get(started.header("Azure-AsyncOperation")).await;
    assert_eq!(answer.body["status"], "Failed");
    // The recorded statuses have `properties.provisioningState`, which the example leaves out.
    conforms(&answer, &example, &[], &["properties.provisioningState"]);
}

#[tokio::test]
async fn operation_results_location_get() {
    let example = example("KustoOperationResultsOperationResultResponseTypeGet");
    let mut world = World::from_yaml(FOLLOWERS_WORLD).unwrap();
    world.settings.faults.push(Fault {
        method: "DELETE".into(),
        path: "*/follower1/*".into(),
        respond: FaultKind::HangOperation,
        count: 1,
        retry_after_seconds: 0,
        delay_ms: 0,
        code: None,
        message: None,
    });
    let env = Env::with(world);
    let attachments = |name: &str, attachment: &str| {
        format!(
            "{}/attachedDatabaseConfigurations/{attachment}",
            cluster(name)
        )
    };
    let done = env
        .delete(&attachments(
            "kustoCluster2",
            "attachedDatabaseConfigurationsTest",
        ))
        .await;
    let answer = env.send(Method::GET, done.header("Location"), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    conforms(&answer, &example, &[], &[]);
    let running = env
        .delete(&attachments("follower1", "attachedDbConfiguration"))
        .await;
    let answer = env.get(running.header("Location")).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    conforms(&answer, &example, &[], &[]);
}
