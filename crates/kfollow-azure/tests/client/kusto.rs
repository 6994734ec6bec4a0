//! The Kusto management client against a scripted loopback server.

use kfollow_azure::{KustoClient, KustoError, RetryPolicy};
use serde_json::json;

use crate::support::{CANARY, Reply, Server, token};

const SHOW: &str = r#"{"Tables":[{"TableName":"Table_0","Columns":[{"ColumnName":"DatabaseName","DataType":"String","ColumnType":"string"},{"ColumnName":"IsAutoPrefetchEnabled","DataType":"Boolean","ColumnType":"bool"}],"Rows":[["SalesEmea",false],["Logs",true]]}]}"#;

fn client(attempts: u32) -> KustoClient {
    KustoClient::new(token(), RetryPolicy::fast(attempts)).unwrap()
}

#[tokio::test]
async fn mgmt_posts_the_documented_request_and_reads_v1_tables() {
    let server = Server::start(|_, _| Reply::json(200, SHOW)).await;
    let uri = format!("{}/clusters/fcemea", server.base);
    let response = client(1)
        .mgmt(&uri, "SalesEmea", ".show follower database SalesEmea")
        .await
        .unwrap();
    let rows = response.rows();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].str("DatabaseName"), Some("SalesEmea"));
    assert_eq!(rows[1].bool("IsAutoPrefetchEnabled"), Some(true));
    assert_eq!(response.tables[0].columns[1].data_type, "Boolean");

    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path(), "/clusters/fcemea/v1/rest/mgmt");
    assert_eq!(request.header("x-ms-app"), Some("kfollow"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        request.header("authorization"),
        Some(&*format!("Bearer {CANARY}"))
    );
    assert!(uuid::Uuid::parse_str(request.header("x-ms-client-request-id").unwrap()).is_ok());
    let body = request.json();
    assert_eq!(body["db"], json!("SalesEmea"));
    assert_eq!(body["csl"], json!(".show follower database SalesEmea"));
    assert!(body["properties"].is_object());
}

#[tokio::test]
async fn one_api_errors_are_surfaced_and_permanent_ones_not_retried() {
    let server = Server::start(|_, _| {
        Reply::json(
            400,
            r#"{"error":{"code":"General_BadRequest","message":"Request is invalid and cannot be executed.","@message":"Semantic error: 'Nope' was not found","@permanent":true}}"#,
        )
    })
    .await;
    let error = client(3)
        .mgmt(
            &server.base,
            "Sales",
            ".alter follower database Nope policy caching hot = 7d",
        )
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1);
    let KustoError::Service {
        status,
        code,
        message,
        permanent,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        (*status, code.as_str(), *permanent),
        (400, "General_BadRequest", Some(true))
    );
    assert!(message.contains("'Nope' was not found"));
    let text = error.to_string();
    assert!(text.contains(".alter follower database Nope"), "{text}");
    assert!(text.contains("database `Sales`"), "{text}");
    assert!(!format!("{text} {error:?}").contains(CANARY));
}

#[tokio::test]
async fn throttling_and_transient_errors_are_retried() {
    let server = Server::start(|_, index| match index {
        0 => Reply::json(429, "{}").with("retry-after-ms", "1"),
        1 => Reply::json(
            503,
            r#"{"error":{"code":"ServiceUnavailable","message":"busy","@permanent":false}}"#,
        ),
        _ => Reply::json(200, SHOW),
    })
    .await;
    client(3)
        .mgmt(&server.base, "db", ".show databases")
        .await
        .unwrap();
    assert_eq!(server.count(), 3);

    let server = Server::start(|_, _| {
        Reply::json(503, r#"{"error":{"code":"ServiceUnavailable","message":"gone for good","@permanent":true}}"#)
    })
    .await;
    let error = client(3)
        .mgmt(&server.base, "db", ".show databases")
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1, "a permanent error is not retried");
    assert_eq!(error.status(), Some(503));
}

#[tokio::test]
async fn a_retried_error_says_how_many_attempts_as_arm_errors_do() {
    let server = Server::start(|_, _| {
        Reply::json(
            503,
            r#"{"error":{"code":"ServiceUnavailable","message":"still busy","@permanent":false}}"#,
        )
    })
    .await;
    let error = client(3)
        .mgmt(&server.base, "db", ".show databases")
        .await
        .unwrap_err();
    assert_eq!(server.count(), 3);
    assert!(
        error
            .to_string()
            .ends_with("returned 503 `ServiceUnavailable`: still busy (after 3 attempts)"),
        "{error}"
    );
}

#[tokio::test]
async fn a_write_returns_its_receipt_and_a_lost_answer_is_an_unknown_outcome() {
    let server =
        Server::start(|_, _| Reply::json(200, SHOW).with("x-ms-activity-id", "activity-1")).await;
    let receipt = client(1)
        .write(
            &server.base,
            "db",
            ".alter follower database db policy caching hot = 3d",
        )
        .await
        .unwrap();
    let sent = server.requests()[0]
        .header("x-ms-client-request-id")
        .unwrap()
        .to_owned();
    assert_eq!(receipt.requests.len(), 1);
    assert_eq!(receipt.requests[0].client_request_id, sent);
    assert_eq!(
        receipt.requests[0].request_id.as_deref(),
        Some("activity-1")
    );
    assert_eq!(receipt.status, kfollow_azure::FinalStatus::Succeeded);

    let (base, _) = crate::support::dropping_server(10, SHOW).await;
    let error = client(2)
        .write(
            &base,
            "db",
            ".alter follower database db policy caching hot = 3d",
        )
        .await
        .unwrap_err();
    assert!(error.error.is_outcome_unknown(), "{:?}", error.error);
    assert_eq!(error.receipt.requests.len(), 2);
    assert_eq!(error.receipt.status, kfollow_azure::FinalStatus::Unknown);
    assert!(
        error
            .to_string()
            .starts_with("the outcome of `.alter follower database db"),
        "{error}"
    );
    // A read that loses its answer is only a failed read.
    let error = client(2)
        .mgmt(&base, "db", ".show databases")
        .await
        .unwrap_err();
    assert!(
        matches!(error, KustoError::Transport { attempts: 2, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let (base, seen) = crate::support::dropping_server(1, SHOW).await;
    let response = client(2)
        .mgmt(&base, "db", ".show databases")
        .await
        .unwrap();
    assert_eq!(response.rows().len(), 2);
    assert_eq!(*seen.lock().unwrap(), 2);
}

/// Records the scopes it is asked for.
#[derive(Default)]
struct Scopes(std::sync::Mutex<Vec<String>>);

impl kfollow_azure::TokenSource for Scopes {
    fn token<'a>(
        &'a self,
        scope: &'a str,
    ) -> kfollow_azure::BoxFuture<
        'a,
        Result<kfollow_azure::AccessToken, kfollow_azure::CredentialError>,
    > {
        self.0.lock().unwrap().push(scope.to_owned());
        Box::pin(async {
            Ok(kfollow_azure::AccessToken {
                token: kfollow_azure::Secret::new("t"),
                expires_at: None,
            })
        })
    }

    fn describe(&self) -> String {
        "scopes".into()
    }
}

#[tokio::test]
async fn tokens_are_asked_for_the_cluster_scope() {
    let server = Server::start(|_, _| Reply::json(200, SHOW)).await;
    let scopes = std::sync::Arc::new(Scopes::default());
    let kusto = KustoClient::new(scopes.clone(), RetryPolicy::fast(1)).unwrap();
    kusto
        .mgmt(
            &format!("{}/clusters/fcemea", server.base),
            "db",
            ".show databases",
        )
        .await
        .unwrap();
    // The resource is the cluster uri without port and path (authenticate-with-msal.md).
    assert_eq!(*scopes.0.lock().unwrap(), ["http://127.0.0.1/.default"]);
}
