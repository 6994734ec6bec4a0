//! The ARM client against a scripted loopback server.

use std::time::Duration;

use kfollow_azure::{API_VERSION, ArmClient, ArmConfig, ArmError, Cloud, EndpointError};
use kfollow_model::{
    AttachmentBody, DatabaseKind, DatabaseShareOrigin, PrincipalsModificationKind,
    TableLevelSharing, Timespan,
};
use serde_json::json;

use crate::support::{CANARY, Recorded, Reply, Server, cluster, example, example_body, token};

const CLUSTER_PATH: &str = "/subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters";

#[tokio::test]
async fn get_cluster_reads_the_official_example_and_sends_the_contract_headers() {
    let server = Server::start(|req, _| {
        if req.path().ends_with("/kustoCluster") {
            Reply::json(200, example_body("KustoClustersGet.json", "200"))
        } else {
            Reply::json(
                404,
                r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
            )
        }
    })
    .await;
    let arm = server.arm();
    let info = arm
        .get_cluster(&cluster("kustoCluster"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.id, cluster("kustocluster"));
    assert_eq!(info.location, "westus");
    // The example has no `state` or `uri`: absent fields read as empty.
    assert_eq!(info.state, "");
    assert!(
        arm.get_cluster(&cluster("missing"))
            .await
            .unwrap()
            .is_none()
    );

    let requests = server.requests();
    let first = &requests[0];
    assert_eq!(first.method, "GET");
    assert_eq!(
        first.uri,
        format!("{CLUSTER_PATH}/kustoCluster?api-version={API_VERSION}")
    );
    assert_eq!(
        first.header("authorization"),
        Some(&*format!("Bearer {CANARY}"))
    );
    let id = first.header("x-ms-client-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_ne!(
        requests[0].header("x-ms-client-request-id"),
        requests[1].header("x-ms-client-request-id")
    );
}

#[tokio::test]
async fn lists_follow_next_link_and_read_the_official_examples() {
    let server = Server::start(|req, _| {
        let path = req.path();
        if path.ends_with("/databases") && req.uri.contains("page=2") {
            Reply::json(200, example_body("KustoDatabasesListByCluster.json", "200"))
        } else if path.ends_with("/databases") {
            let base = format!(
                "{}?api-version={API_VERSION}&page=2",
                req.uri.split('?').next().unwrap()
            );
            let mut page = serde_json::from_str::<serde_json::Value>(&example_body(
                "KustoDatabasesListByCluster.json",
                "200",
            ))
            .unwrap();
            page["nextLink"] = json!(format!("http://{}{base}", req.header("host").unwrap()));
            Reply::json(200, page.to_string())
        } else if path.ends_with("/attachedDatabaseConfigurations") {
            Reply::json(
                200,
                example_body(
                    "KustoAttachedDatabaseConfigurationsListByCluster.json",
                    "200",
                ),
            )
        } else if path
            .ends_with("/attachedDatabaseConfigurations/attachedDatabaseConfigurationsTest")
        {
            Reply::json(
                200,
                example_body("KustoAttachedDatabaseConfigurationsGet.json", "200"),
            )
        } else if path.ends_with("/listFollowerDatabases") && req.method == "POST" {
            Reply::json(
                200,
                example_body("KustoClusterListFollowerDatabases.json", "200"),
            )
        } else if path.ends_with("/listFollowerDatabases") {
            Reply::json(
                200,
                example_body("KustoClusterListFollowerDatabasesGet.json", "200"),
            )
        } else {
            Reply::json(404, "{}")
        }
    })
    .await;
    let arm = server.arm();
    let id = cluster("kustoCluster");

    let databases = arm.list_databases(&id).await.unwrap();
    assert_eq!(databases.len(), 6, "two pages of three");
    let follower = &databases[1];
    assert_eq!(follower.name, "KustoDatabase9");
    assert_eq!(follower.kind, DatabaseKind::ReadOnlyFollowing);
    assert_eq!(follower.leader_cluster_id, Some(cluster("kustoCluster2")));
    assert_eq!(
        follower.attached_database_configuration_name.as_deref(),
        Some("attachedDatabaseConfigurationsTest")
    );
    assert_eq!(
        follower.hot_cache_period,
        Some(Timespan::parse("1d").unwrap())
    );
    assert_eq!(databases[0].kind, DatabaseKind::ReadWrite);

    let attachments = arm.list_attachments(&id).await.unwrap();
    assert_eq!(attachments.len(), 2);
    let [plain, shared] = &attachments[..] else {
        unreachable!()
    };
    assert_eq!(plain.name, "KustoDatabase8");
    assert_eq!(plain.leader, cluster("KustoClusterLeader"));
    assert_eq!(plain.database_name, "db1");
    assert_eq!(
        plain.default_principals_modification_kind,
        PrincipalsModificationKind::Union
    );
    assert!(plain.table_level_sharing.is_empty());
    assert_eq!(
        shared.table_level_sharing.functions_to_include,
        ["functionsToInclude1"]
    );

    let prefixed = arm
        .get_attachment(&id, "attachedDatabaseConfigurationsTest")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(prefixed.name, "attachedDatabaseConfigurationsTest");
    assert_eq!(prefixed.database_name, "*");
    assert_eq!(prefixed.database_name_prefix.as_deref(), Some("prefix"));
    assert_eq!(prefixed.provisioning_state.as_deref(), Some("Succeeded"));
    assert!(arm.get_attachment(&id, "nope").await.unwrap().is_none());

    let followers = arm.list_follower_databases(&id).await.unwrap();
    assert_eq!(followers.len(), 2);
    assert_eq!(followers[0].follower, cluster("follower1"));
    assert_eq!(followers[0].database_name, "*");
    assert_eq!(
        followers[0].database_share_origin,
        Some(DatabaseShareOrigin::DataShare)
    );
    assert_eq!(followers[1].attachment_name, "attachedDbConfiguration2");
    assert_eq!(
        followers[1].table_level_sharing.tables_to_include,
        ["Table1"]
    );
    let followers_get = arm.list_follower_databases_get(&id).await.unwrap();
    assert_eq!(followers_get.len(), 2);
    assert_eq!(followers_get[1].database_name, "db1");

    let requests = server.requests();
    let list_post = requests
        .iter()
        .find(|r| r.method == "POST" && r.path().ends_with("listFollowerDatabases"))
        .unwrap();
    assert_eq!(list_post.header("content-length"), Some("0"));
}

#[tokio::test]
async fn put_attachment_sends_the_spec_body_and_polls_azure_async_operation() {
    // The second poll says Succeeded: script by counting polls.
    let server = Server::start(move |req, index| {
        match (req.method.as_str(), index) {
            ("PUT", _) => Reply::json(201, example_body("KustoAttachedDatabaseConfigurationsCreateOrUpdate.json", "201"))
                .with("azure-asyncoperation", "/subscriptions/s/providers/Microsoft.Kusto/locations/westus/operationResults/op1?api-version=2025-02-14")
                .with("location", "/should-not-be-used")
                .with("retry-after", "0"),
            ("GET", 1) => Reply::json(200, r#"{"status":"Running"}"#).with("retry-after", "0"),
            ("GET", _) => Reply::json(200, r#"{"status":"Succeeded"}"#),
            _ => Reply::json(500, "{}"),
        }
    })
    .await;

    let example = example("KustoAttachedDatabaseConfigurationsCreateOrUpdate.json");
    let wanted = &example["parameters"]["parameters"];
    let sharing: TableLevelSharing =
        serde_json::from_value(wanted["properties"]["tableLevelSharingProperties"].clone())
            .unwrap();
    let body = AttachmentBody {
        location: "westus".into(),
        leader: wanted["properties"]["clusterResourceId"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        database_name: "kustodatabase".into(),
        database_name_override: Some("overridekustodatabase".into()),
        database_name_prefix: None,
        default_principals_modification_kind: PrincipalsModificationKind::Union,
        table_level_sharing: sharing,
    };
    server
        .arm()
        .put_attachment(
            &cluster("kustoCluster2"),
            "attachedDatabaseConfigurationsTest",
            &body,
        )
        .await
        .unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 3, "one PUT, two polls");
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(
        requests[0].path(),
        format!(
            "{CLUSTER_PATH}/kustoCluster2/attachedDatabaseConfigurations/attachedDatabaseConfigurationsTest"
        )
    );
    // Resource ids compare case-insensitively; the example writes `Clusters`.
    let lower_id = |mut body: serde_json::Value| {
        let id = body["properties"]["clusterResourceId"]
            .as_str()
            .unwrap()
            .to_lowercase();
        body["properties"]["clusterResourceId"] = json!(id);
        body
    };
    assert_eq!(
        lower_id(requests[0].json()),
        lower_id(wanted.clone()),
        "the PUT body is the official example's"
    );
    assert!(requests[1].path().ends_with("/operationResults/op1"));
    assert_eq!(
        requests[1].header("authorization"),
        Some(&*format!("Bearer {CANARY}"))
    );
}

#[tokio::test]
async fn delete_polls_location_until_done() {
    let server = Server::start(|req, index| match (req.method.as_str(), index) {
        ("DELETE", _) => Reply::empty(202)
            .with(
                "location",
                format!(
                    "http://{}/operationResults/op2?api-version=2025-02-14",
                    req.header("host").unwrap()
                ),
            )
            .with("retry-after", "0"),
        ("GET", 1 | 2) => Reply::empty(202).with("retry-after", "0"),
        ("GET", _) => Reply::empty(200),
        _ => Reply::json(500, "{}"),
    })
    .await;
    server
        .arm()
        .delete_attachment(
            &cluster("kustoCluster"),
            "attachedDatabaseConfigurationsTest",
        )
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 4, "one DELETE, three polls");
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.path() == "/operationResults/op2")
    );
}

#[tokio::test]
async fn delete_of_an_absent_attachment_succeeds() {
    let server =
        Server::start(|_, _| Reply::json(404, r#"{"error":{"code":"NotFound","message":"no"}}"#))
            .await;
    server
        .arm()
        .delete_attachment(&cluster("kustoCluster"), "gone")
        .await
        .unwrap();
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_failed_operation_surfaces_its_code_and_message() {
    let server = Server::start(|req, _| match req.method.as_str() {
        "PUT" => Reply::json(202, "{}")
            .with("azure-asyncoperation", "/operationResults/op3")
            .with("retry-after", "0"),
        _ => Reply::json(200, example_body("KustoOperationResultsGet.json", "200")),
    })
    .await;
    let error = server
        .arm()
        .put_follower_hot_cache(
            &cluster("kustoCluster"),
            "db",
            "westus",
            Timespan::parse("7d").unwrap(),
        )
        .await
        .unwrap_err()
        .error;
    assert!(
        matches!(error, ArmError::OperationFailed { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("CannotAlterFollowerDatabase"));
    let text = error.to_string();
    assert!(
        text.contains("Cannot alter leader cluster 'test'"),
        "{text}"
    );
    assert!(text.contains("PUT"), "{text}");
    assert!(text.contains("/databases/db?api-version="), "{text}");
}

/// A PUT answered without `Azure-AsyncOperation` or `Location` whose body shows a running
/// `provisioningState`: the resource itself is polled until its state ends.
fn provisioning_server(
    last: &'static str,
) -> impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static {
    const CREATING: &str = r#"{"properties":{"provisioningState":"Creating"}}"#;
    move |req, index| match (req.method.as_str(), index) {
        ("PUT", _) => Reply::json(201, CREATING),
        ("GET", 1) => Reply::json(200, CREATING).with("retry-after", "0"),
        ("GET", _) => Reply::json(
            200,
            format!(r#"{{"properties":{{"provisioningState":"{last}"}}}}"#),
        ),
        _ => Reply::json(500, "{}"),
    }
}

async fn put_hot_cache(arm: &ArmClient) -> Result<kfollow_azure::Receipt, ArmError> {
    arm.put_follower_hot_cache(
        &cluster("kustoCluster"),
        "db",
        "westus",
        Timespan::parse("7d").unwrap(),
    )
    .await
    .map_err(|e| e.error)
}

#[tokio::test]
async fn a_put_without_polling_headers_polls_the_resource_until_it_settles() {
    let server = Server::start(provisioning_server("Succeeded")).await;
    put_hot_cache(&server.arm()).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "one PUT, two polls");
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.method == "GET" && r.path() == requests[0].path())
    );
}

#[tokio::test]
async fn a_failed_provisioning_state_is_an_operation_failure() {
    let server = Server::start(provisioning_server("Failed")).await;
    let error = put_hot_cache(&server.arm()).await.unwrap_err();
    assert!(
        matches!(error, ArmError::OperationFailed { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("ProvisioningFailed"));
    assert!(error.to_string().contains("`Failed`"), "{error}");
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn a_canceled_operation_or_provisioning_state_is_reported_as_canceled() {
    let server = Server::start(provisioning_server("Canceled")).await;
    let error = put_hot_cache(&server.arm()).await.unwrap_err();
    assert!(
        matches!(error, ArmError::OperationCanceled { .. }),
        "{error:?}"
    );
    let server = Server::start(|req, _| match req.method.as_str() {
        "DELETE" => Reply::empty(202)
            .with("azure-asyncoperation", "/operationResults/op4")
            .with("retry-after", "0"),
        _ => Reply::json(200, r#"{"status":"Cancelled"}"#),
    })
    .await;
    let error = server
        .arm()
        .delete_attachment(&cluster("kustoCluster"), "canceled")
        .await
        .unwrap_err()
        .error;
    assert!(
        matches!(error, ArmError::OperationCanceled { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("DELETE"), "{error}");
}

#[tokio::test]
async fn hot_cache_and_detach_bodies_match_the_official_examples() {
    let server = Server::start(|_, _| Reply::json(200, "{}")).await;
    let arm = server.arm();
    arm.put_follower_hot_cache(
        &cluster("kustoCluster"),
        "kustoReadOnlyDatabase",
        "westus",
        Timespan::parse("1d").unwrap(),
    )
    .await
    .unwrap();
    arm.detach_follower(
        &cluster("kustoCluster"),
        &cluster("kustoCluster2"),
        "attachedDatabaseConfigurationsTest",
    )
    .await
    .unwrap();
    let requests = server.requests();
    let readonly = example("KustoDatabaseReadonlyUpdate.json");
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(requests[0].json(), readonly["parameters"]["parameters"]);
    let detach = example("KustoClusterDetachFollowerDatabases.json");
    assert_eq!(requests[1].method, "POST");
    assert!(
        requests[1]
            .path()
            .ends_with("/kustoCluster/detachFollowerDatabases")
    );
    assert_eq!(
        requests[1].json(),
        detach["parameters"]["followerDatabaseToRemove"]
    );
}

#[tokio::test]
async fn the_operation_timeout_ends_the_wait() {
    let server = Server::start(|req, _| match req.method.as_str() {
        "DELETE" => Reply::empty(202).with("azure-asyncoperation", "/operationResults/slow"),
        _ => Reply::json(200, r#"{"status":"Running"}"#).with("retry-after-ms", "20"),
    })
    .await;
    let arm = server.arm_with(|c| c.operation_timeout = Duration::from_millis(300));
    let error = arm
        .delete_attachment(&cluster("kustoCluster"), "slow")
        .await
        .unwrap_err();
    let error = error.error;
    assert!(
        matches!(
            error,
            ArmError::OutcomeUnknown {
                reason: kfollow_azure::Unknown::Deadline(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_outcome_unknown());
    assert!(error.to_string().contains("DELETE"), "{error}");
    assert!(server.count() >= 2, "it polled before giving up");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = Server::start(|_, index| match index {
        0 => Reply::json(
            429,
            r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
        )
        .with("retry-after", "1"),
        _ => Reply::json(200, r#"{"value":[]}"#),
    })
    .await;
    // Backoff alone would wait at most 20 ms: a one-second gap comes from the header.
    server.arm().list_attachments(&cluster("c")).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].at.duration_since(requests[0].at) >= Duration::from_secs(1));
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_then_succeed() {
    let server = Server::start(|_, index| match index {
        0 => Reply::json(429, "{}").with("retry-after-ms", "1"),
        1 => Reply::json(
            503,
            r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#,
        ),
        _ => Reply::json(200, r#"{"value":[]}"#),
    })
    .await;
    assert!(
        server
            .arm()
            .list_databases(&cluster("c"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = Server::start(|_, _| {
        Reply::json(
            503,
            r#"{"error":{"code":"ServiceUnavailable","message":"still busy"}}"#,
        )
    })
    .await;
    let error = server.arm().get_cluster(&cluster("c")).await.unwrap_err();
    assert_eq!(server.count(), 3, "RetryPolicy::fast(3)");
    assert_eq!(error.status(), Some(503));
    assert!(error.to_string().contains("after 3 attempts"), "{error}");
}

#[tokio::test]
async fn a_client_error_names_code_message_and_request_and_is_not_retried() {
    let server = Server::start(|_, _| {
        Reply::json(
            400,
            r#"{"error":{"code":"InvalidParameter","message":"databaseNameOverride is not allowed with '*'"}}"#,
        )
    })
    .await;
    let body = AttachmentBody {
        location: "westus".into(),
        leader: cluster("leader"),
        database_name: "*".into(),
        database_name_override: Some("x".into()),
        database_name_prefix: None,
        default_principals_modification_kind: PrincipalsModificationKind::Union,
        table_level_sharing: TableLevelSharing::default(),
    };
    let error = server
        .arm()
        .put_attachment(&cluster("follower"), "a1", &body)
        .await
        .unwrap_err()
        .error;
    assert_eq!(server.count(), 1);
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.code(), Some("InvalidParameter"));
    let text = error.to_string();
    assert!(
        text.contains("databaseNameOverride is not allowed"),
        "{text}"
    );
    assert!(text.contains("`PUT http://127.0.0.1:"), "{text}");
    assert!(
        text.contains(
            "/clusters/follower/attachedDatabaseConfigurations/a1?api-version=2025-02-14"
        ),
        "{text}"
    );
    // The request of the error is there for callers, too.
    assert_eq!(error.request().unwrap().method, "PUT");
}

#[tokio::test]
async fn the_detach_post_is_not_retried_on_server_errors_but_is_on_throttling() {
    let server = Server::start(|_, _| Reply::json(503, "{}")).await;
    let error = server
        .arm()
        .detach_follower(&cluster("l"), &cluster("f"), "a")
        .await
        .unwrap_err()
        .error;
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.count(), 1, "a POST that changes state is sent once");

    let server = Server::start(|_, index| match index {
        0 => Reply::json(429, "{}").with("retry-after-ms", "1"),
        _ => Reply::empty(200),
    })
    .await;
    server
        .arm()
        .detach_follower(&cluster("l"), &cluster("f"), "a")
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let (base, seen) = crate::support::dropping_server(2, r#"{"value":[]}"#).await;
    let mut config = ArmConfig::for_cloud(Cloud::Public, token());
    config.endpoint = base;
    config.retry = kfollow_azure::RetryPolicy::fast(3);
    let arm = ArmClient::new(config).unwrap();
    assert!(
        arm.list_attachments(&cluster("c"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(*seen.lock().unwrap(), 3);

    // More drops than attempts: a transport error naming the request.
    let (base, _) = crate::support::dropping_server(10, "{}").await;
    let mut config = ArmConfig::for_cloud(Cloud::Public, token());
    config.endpoint = base;
    config.retry = kfollow_azure::RetryPolicy::fast(2);
    let error = ArmClient::new(config)
        .unwrap()
        .list_attachments(&cluster("c"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ArmError::Transport { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("`GET http://127.0.0.1:"),
        "{error}"
    );
}

#[tokio::test]
async fn plain_http_is_refused_for_other_hosts() {
    let mut config = ArmConfig::for_cloud(Cloud::Public, token());
    config.endpoint = "http://management.azure.com".into();
    let error = ArmClient::new(config).unwrap_err();
    assert!(
        matches!(
            error,
            ArmError::Endpoint(EndpointError::InsecureHttp { .. })
        ),
        "{error:?}"
    );

    let kusto =
        kfollow_azure::KustoClient::new(token(), kfollow_azure::RetryPolicy::fast(1)).unwrap();
    let error = kusto
        .mgmt(
            "http://fcemea.westeurope.kusto.windows.net",
            "db",
            ".show databases",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, kfollow_azure::KustoError::Endpoint { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn poll_urls_off_the_endpoint_are_refused() {
    let server = Server::start(|_, _| {
        Reply::json(202, "{}").with("azure-asyncoperation", "https://elsewhere.example.com/op")
    })
    .await;
    let error = server
        .arm()
        .delete_attachment(&cluster("c"), "a")
        .await
        .unwrap_err()
        .error;
    assert!(matches!(error, ArmError::ForeignUrl { .. }), "{error:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn the_token_never_shows_in_errors_or_debug_output() {
    let server = Server::start(|_, _| {
        Reply::json(
            403,
            r#"{"error":{"code":"AuthorizationFailed","message":"no"}}"#,
        )
    })
    .await;
    let arm = server.arm();
    let status_error = arm.get_cluster(&cluster("c")).await.unwrap_err();
    let (base, _) = crate::support::dropping_server(10, "{}").await;
    let transport_error = server
        .arm_with(|c| {
            c.endpoint = base;
            c.retry = kfollow_azure::RetryPolicy::fast(1);
        })
        .get_cluster(&cluster("c"))
        .await
        .unwrap_err();
    let config = ArmConfig::for_cloud(Cloud::Public, token());
    for text in [
        format!("{status_error} {status_error:?}"),
        format!("{transport_error} {transport_error:?}"),
        format!("{config:?} {arm:?}"),
    ] {
        assert!(!text.contains(CANARY), "{text}");
    }
}

#[tokio::test]
async fn follower_latency_reads_the_metrics_route_with_its_retries() {
    let server = Server::start(|_, index| match index {
        0 => Reply::json(429, "{}").with("retry-after-ms", "1"),
        _ => Reply::json(
            200,
            r#"{"value":[{"name":{"value":"FollowerLatency"},"unit":"MilliSeconds",
                "timeseries":[{"metadatavalues":[],"data":[
                    {"timeStamp":"2026-05-01T12:00:00Z","maximum":90000.0},
                    {"timeStamp":"2026-05-01T12:01:00Z"},
                    {"timeStamp":"2026-05-01T12:02:00Z","maximum":250000.0}]}]}]}"#,
        ),
    })
    .await;
    let latency = server
        .arm()
        .follower_latency(&cluster("fc"), Duration::from_secs(15 * 60))
        .await
        .unwrap();
    assert_eq!(latency, Some(250_000.0));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the 429 is retried");
    let uri = &requests[1].uri;
    assert!(
        uri.starts_with(&format!(
            "{CLUSTER_PATH}/fc/providers/Microsoft.Insights/metrics?api-version=2023-10-01\
             &metricnames=FollowerLatency&aggregation=Maximum&interval=PT1M&timespan="
        )),
        "{uri}"
    );
}
