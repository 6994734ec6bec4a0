//! Faults from the world settings and from the admin route.

use std::time::{Duration, Instant};

use kfollow_emulator::{Fault, FaultKind, World};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{EMEA, Env, PROD, WORLD, attach_body};

fn fault(method: &str, path: &str, respond: FaultKind, count: u32) -> Fault {
    Fault {
        method: method.into(),
        path: path.into(),
        respond,
        count,
        retry_after_seconds: 1,
        delay_ms: 0,
        code: None,
        message: None,
    }
}

fn world_with(faults: Vec<Fault>) -> World {
    let mut world = World::from_yaml(WORLD).unwrap();
    world.settings.faults = faults;
    world
}

#[tokio::test]
async fn latency_is_added_to_every_request() {
    let mut world = World::from_yaml(WORLD).unwrap();
    world.settings.latency_ms = 30;
    let env = Env::with(world);
    let started = Instant::now();
    assert_eq!(env.get(PROD).await.status, StatusCode::OK);
    // A lower bound only: sleeping never ends early.
    assert!(started.elapsed() >= Duration::from_millis(30));
}

#[tokio::test]
async fn a_delay_fault_holds_matching_requests() {
    let mut delay = fault("GET", "*/fcprod", FaultKind::Delay, 1);
    delay.delay_ms = 40;
    let env = Env::with(world_with(vec![delay]));
    let started = Instant::now();
    assert_eq!(env.get(PROD).await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(40));
}

#[tokio::test]
async fn throttle_from_the_admin_route_answers_429_with_retry_after() {
    let env = Env::new(WORLD);
    let posted = env
        .client
        .post(env.url("/_emulator/faults"))
        .json(&json!({"method": "GET", "path": "*/databases", "respond": "throttle", "count": 2, "retryAfterSeconds": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::NO_CONTENT);
    let path = format!("{EMEA}/databases");
    // Another path is not affected.
    assert_eq!(env.get(PROD).await.status, StatusCode::OK);
    for _ in 0..2 {
        let answer = env.get(&path).await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.header("Retry-After"), "3");
        assert_eq!(answer.code(), "TooManyRequests");
    }
    assert_eq!(env.get(&path).await.status, StatusCode::OK);
    let log = env.emulator.requests();
    assert_eq!(log[1].status, Some(429));
}

#[tokio::test]
async fn server_errors_from_the_world() {
    let env = Env::with(world_with(vec![
        fault("*", "*/fcprod", FaultKind::InternalError, 1),
        fault("*", "*/fcprod", FaultKind::Unavailable, 1),
    ]));
    let first = env.get(PROD).await;
    assert_eq!(first.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(first.code(), "InternalServerError");
    assert_eq!(env.get(PROD).await.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(env.get(PROD).await.status, StatusCode::OK);
    assert!(env.emulator.world().settings.faults.is_empty());
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer() {
    let env = Env::with(world_with(vec![fault("GET", "*", FaultKind::Drop, 1)]));
    let error = env
        .client
        .get(env.url(PROD))
        .bearer_auth("t")
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_status(), "{error}");
    assert_eq!(env.get(PROD).await.status, StatusCode::OK);
    assert_eq!(env.emulator.requests()[0].status, None);
}

#[tokio::test]
async fn an_operation_that_ends_failed() {
    let mut failing = fault(
        "*",
        "*/attachedDatabaseConfigurations/*",
        FaultKind::FailOperation,
        2,
    );
    failing.code = Some("CannotAlterFollowerDatabase".into());
    failing.message = Some("[BadRequest] nope".into());
    let env = Env::with(world_with(vec![failing]));
    let path = format!("{EMEA}/attachedDatabaseConfigurations/logs");
    let answer = env.put(&path, attach_body("Logs")).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let status = env.wait(answer.header("Azure-AsyncOperation")).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "CannotAlterFollowerDatabase");
    assert_eq!(env.get(&path).await.status, StatusCode::NOT_FOUND);
    // The `Location` form of a failed operation carries its error.
    let detach = env
        .delete(&format!("{EMEA}/attachedDatabaseConfigurations/sales"))
        .await;
    let location = env.get(detach.header("Location")).await;
    assert_eq!(location.status, StatusCode::BAD_REQUEST);
    assert_eq!(location.code(), "CannotAlterFollowerDatabase");
}

#[tokio::test]
async fn busy_answers_a_write_409_at_once() {
    let env = Env::with(world_with(vec![fault("PUT", "*", FaultKind::Busy, 1)]));
    let path = format!("{EMEA}/attachedDatabaseConfigurations/logs");
    // Reads are not writes: the fault waits for one.
    assert_eq!(env.get(&path).await.status, StatusCode::NOT_FOUND);
    let refused = env.put(&path, attach_body("Logs")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "ServiceIsInMaintenance");
    assert_eq!(
        refused.message(),
        "[Conflict] Cluster 'fcemea' is in process of maintenance for a short period. You may \
         retry to invoke the operation in a few minutes."
    );
    assert_eq!(env.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        env.put(&path, attach_body("Logs")).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_operation_that_never_ends() {
    let env = Env::with(world_with(vec![fault(
        "DELETE",
        "*",
        FaultKind::HangOperation,
        1,
    )]));
    let path = format!("{EMEA}/attachedDatabaseConfigurations/sales");
    let answer = env.delete(&path).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    for _ in 0..3 {
        let status = env.get(answer.header("Azure-AsyncOperation")).await;
        assert_eq!(status.body["status"], "Running");
        assert_eq!(
            env.get(answer.header("Location")).await.status,
            StatusCode::ACCEPTED
        );
    }
    let shown = env.get(&path).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body["properties"]["provisioningState"], "Deleting");
    // The cluster's write stays held: another one is accepted and fails.
    let again = env.delete(&path).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    let status = env.wait(again.header("Azure-AsyncOperation")).await;
    assert_eq!(status["error"]["code"], "ServiceIsInMaintenance");
}
