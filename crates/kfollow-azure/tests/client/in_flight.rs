//! Waiting for an operation already running on an attachment: GETs only, until its state is
//! final or it is gone, and an error when it ended otherwise than awaited.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kfollow_azure::{ArmError, AwaitEnd, FinalStatus};

use crate::support::{Recorded, Reply, Server, assert_unknown_at_200ms_deadline, cluster};

/// An attachment GET with this `provisioningState`.
fn attachment(state: &str) -> Reply {
    Reply::json(
        200,
        format!(
            r#"{{"name":"fcretail/sales","location":"West Europe","properties":{{"provisioningState":"{state}","clusterResourceId":"/subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/leader","databaseName":"Sales","defaultPrincipalsModificationKind":"Union"}}}}"#
        ),
    )
}

fn gone() -> Reply {
    Reply::json(
        404,
        r#"{"error":{"code":"ResourceNotFound","message":"not found"}}"#,
    )
}

/// Answers the attachment's GETs from `states` in order (`None` for a 404), the last one
/// from then on.
fn answers(states: &'static [Option<&'static str>]) -> impl Fn(&Recorded, usize) -> Reply {
    let next = Arc::new(Mutex::new(0usize));
    move |_, _| {
        let mut next = next.lock().unwrap();
        let state = states[(*next).min(states.len() - 1)];
        *next += 1;
        state.map_or_else(gone, attachment)
    }
}

#[tokio::test]
async fn an_attach_already_running_is_waited_for_with_reads_only() {
    let server = Server::start(answers(&[
        Some("Creating"),
        Some("Creating"),
        Some("Succeeded"),
    ]))
    .await;
    let receipt = server
        .arm()
        .await_attachment(&cluster("fcretail"), "sales", AwaitEnd::Final)
        .await
        .unwrap();
    assert_eq!(receipt.status, FinalStatus::Succeeded);
    assert_eq!((receipt.polls, receipt.submissions), (3, 0));
    let requests = server.requests();
    assert!(requests.iter().all(|r| r.method == "GET"), "{requests:?}");
    assert!(
        requests[0]
            .path()
            .ends_with("/clusters/fcretail/attachedDatabaseConfigurations/sales")
    );
}

#[tokio::test]
async fn a_detach_already_running_ends_when_the_attachment_is_gone() {
    let server = Server::start(answers(&[Some("Deleting"), None])).await;
    let receipt = server
        .arm()
        .await_attachment(&cluster("fcretail"), "sales", AwaitEnd::Gone)
        .await
        .unwrap();
    assert_eq!(receipt.polls, 2);
}

#[tokio::test]
async fn an_operation_that_ended_otherwise_is_an_error_that_says_what_is_there() {
    let cases: [(&'static [Option<&'static str>], AwaitEnd, &str); 3] = [
        (
            &[Some("Creating"), None],
            AwaitEnd::Final,
            "the attachment `sales` is gone: the operation that was running on it did not leave it in place",
        ),
        (
            &[Some("Creating"), Some("Failed")],
            AwaitEnd::Final,
            "the operation that was running on the attachment `sales` ended `Failed`",
        ),
        (
            &[Some("Deleting"), Some("Succeeded")],
            AwaitEnd::Gone,
            "the attachment `sales` is still there (`Succeeded`): the detach that was running on it did not remove it",
        ),
    ];
    for (states, until, said) in cases {
        let server = Server::start(answers(states)).await;
        let error = server
            .arm()
            .await_attachment(&cluster("fcretail"), "sales", until)
            .await
            .unwrap_err();
        assert!(
            matches!(error.error, ArmError::NotAsAwaited { .. }),
            "{:?}",
            error.error
        );
        assert_eq!(error.receipt.status, FinalStatus::Failed);
        let text = error.to_string();
        assert!(text.contains(said), "{text}");
        assert!(
            text.ends_with("run `kfollow plan` to see what is live now"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_wait_whose_reads_fail_past_the_operation_timeout_has_an_unknown_outcome() {
    let server = Server::start(|_, _| Reply::json(503, "{}")).await;
    let arm = server.arm_retrying_past_a_200ms_timeout();
    let follower = cluster("fcretail");
    let wait = arm.await_attachment(&follower, "sales", AwaitEnd::Final);
    let error = tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("the operation timeout bounds the wait, its reads' retries included")
        .unwrap_err();
    assert_unknown_at_200ms_deadline(&error.error, &error.to_string());
    assert_eq!(error.receipt.status, FinalStatus::Unknown);
}
