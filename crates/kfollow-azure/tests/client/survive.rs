//! Azure as it behaves at scale, scripted: operations without `Retry-After`, the subscription's
//! request budget and its 429s, status polls that fail, busy clusters, lost answers. What a
//! write learned comes back in its receipt.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kfollow_azure::{
    ArmClient, ArmConfig, ArmError, BudgetPolicy, BusyPolicy, Cloud, FinalStatus, Notice, Observer,
    PollPolicy, RetryPolicy, Throttler, Unknown,
};
use kfollow_model::{AttachmentBody, ClusterId, PrincipalsModificationKind, TableLevelSharing};

use crate::support::{
    CANARY, Recorded, Reply, Server, assert_unknown_at_200ms_deadline, cluster, token,
};

const STATUS_PATH: &str = "/subscriptions/12345678-1234-1234-1234-123456789098/providers/Microsoft.Kusto/locations/East%20US/operationResults";

fn body() -> AttachmentBody {
    AttachmentBody {
        location: "westus".into(),
        leader: cluster("leader"),
        database_name: "db".into(),
        database_name_override: None,
        database_name_prefix: None,
        default_principals_modification_kind: PrincipalsModificationKind::Union,
        table_level_sharing: TableLevelSharing::default(),
    }
}

/// Every notice the clients gave.
#[derive(Clone, Default)]
struct Heard(Arc<Mutex<Vec<Notice>>>);

impl Heard {
    fn observer(&self) -> Observer {
        let heard = self.0.clone();
        Arc::new(move |notice: &Notice| heard.lock().unwrap().push(notice.clone()))
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn all(&self) -> Vec<Notice> {
        self.0.lock().unwrap().clone()
    }
}

/// The answer Azure gives an attach PUT: 201, `Azure-AsyncOperation` only.
fn accepted(id: &str) -> Reply {
    Reply::json(201, r#"{"properties":{"provisioningState":"Creating"}}"#)
        .with(
            "azure-asyncoperation",
            format!("{STATUS_PATH}/{id}?api-version=2025-02-14&t=1&c=x&s=y&h=z"),
        )
        .with("x-ms-request-id", format!("arm-{id}"))
        .with("x-ms-correlation-request-id", format!("corr-{id}"))
}

fn running() -> Reply {
    Reply::json(200, r#"{"status":"Running","percentComplete":0.5}"#)
}

fn succeeded_after(duration: Duration) -> Reply {
    // The service's own clock says how long the operation ran.
    let end = format!(
        "2026-05-18T09:34:{:02}.{:03}Z",
        4 + duration.as_secs(),
        duration.subsec_millis()
    );
    Reply::json(
        200,
        format!(
            r#"{{"status":"Succeeded","startTime":"2026-05-18T09:34:04.000Z","endTime":"{end}","percentComplete":1.0}}"#
        ),
    )
}

fn failed(code: &str) -> Reply {
    Reply::json(
        200,
        format!(
            r#"{{"status":"Failed","error":{{"code":"{code}","message":"[Conflict] Cluster 'fcretail' is in process of maintenance for a short period. You may retry to invoke the operation in a few minutes."}}}}"#
        ),
    )
}

fn is_status(request: &Recorded) -> bool {
    request.method == "GET" && request.path().contains("/operationResults/")
}

/// Operations that each take `duration` from their PUT; status polls say `Running` until then.
fn timed_operations(duration: Duration) -> impl Fn(&Recorded, usize) -> Reply + Send + Sync {
    let started: Arc<Mutex<Option<Instant>>> = Arc::default();
    move |request, index| {
        if request.method == "PUT" {
            *started.lock().unwrap() = Some(Instant::now());
            return accepted(&format!("op{index}"));
        }
        let begun = started.lock().unwrap().unwrap();
        if begun.elapsed() >= duration {
            succeeded_after(duration)
        } else {
            running()
        }
    }
}

fn first_poll_delay(requests: &[Recorded]) -> Duration {
    let put = requests.iter().rposition(|r| r.method == "PUT").unwrap();
    let poll = &requests[put + 1];
    assert!(is_status(poll), "{poll:?}");
    poll.at.duration_since(requests[put].at)
}

#[tokio::test]
async fn a_kind_of_operation_is_first_polled_when_its_kind_usually_ends_across_clones() {
    let server = Server::start(timed_operations(Duration::from_millis(300))).await;
    let arm = server.arm_with(|c| {
        c.poll = PollPolicy {
            min_gap: Duration::from_millis(20),
            ..PollPolicy::fast()
        };
    });
    let follower = cluster("fcretail");
    // Nothing learned yet: the first poll comes early (5 ms), and the polls back off.
    arm.put_attachment(&follower, "a", &body()).await.unwrap();
    let cold = server.requests();
    assert!(
        first_poll_delay(&cold) < Duration::from_millis(200),
        "{cold:?}"
    );

    // Another clone, another write: its first poll goes where the first one ended (by the
    // status's own `startTime` and `endTime`), and that poll finds it done.
    let clone = arm.clone();
    let receipt = clone.put_attachment(&follower, "b", &body()).await.unwrap();
    let learned = server.requests()[cold.len()..].to_vec();
    assert!(
        first_poll_delay(&learned) >= Duration::from_millis(290),
        "{learned:?}"
    );
    assert_eq!(receipt.polls, 1, "one poll, at the expected end");
    // No poll of either write waited anything like the old fixed 5 s.
    assert!(
        server
            .requests()
            .last()
            .unwrap()
            .at
            .duration_since(cold[0].at)
            < Duration::from_secs(3)
    );
}

#[tokio::test]
async fn retry_after_wins_over_what_was_learned() {
    let script = timed_operations(Duration::from_millis(300));
    let server = Server::start(move |request, index| {
        let reply = script(request, index);
        if request.method == "PUT" && index > 0 {
            reply.with("retry-after", "0")
        } else {
            reply
        }
    })
    .await;
    let arm = server.arm();
    let follower = cluster("fcretail");
    arm.put_attachment(&follower, "a", &body()).await.unwrap();
    let first = server.count();
    arm.put_attachment(&follower, "b", &body()).await.unwrap();
    let requests = server.requests();
    assert!(
        first_poll_delay(&requests[first..]) < Duration::from_millis(200),
        "{requests:?}"
    );
}

#[tokio::test]
async fn failing_and_throttled_polls_do_not_fail_the_write() {
    let server = Server::start(|request, index| match (request.method.as_str(), index) {
        ("PUT", _) => accepted("op"),
        (_, 1..=3) => Reply::json(
            503,
            r#"{"error":{"code":"ServiceUnavailable","message":"x"}}"#,
        ),
        (_, 4) => Reply::json(429, "{}").with("retry-after-ms", "10"),
        (_, 5..=7) => Reply::json(500, "{}"),
        _ => succeeded_after(Duration::from_millis(1)),
    })
    .await;
    let receipt = server
        .arm_with(|c| c.retry = RetryPolicy::fast(1))
        .put_attachment(&cluster("fcretail"), "a", &body())
        .await
        .unwrap();
    assert_eq!(receipt.status, FinalStatus::Succeeded);
    assert_eq!(
        receipt.polls, 8,
        "seven failed polls and the one that saw it end"
    );
}

#[tokio::test]
async fn a_poll_failing_20_times_is_an_unknown_outcome_not_a_failure() {
    let server = Server::start(|request, _| match request.method.as_str() {
        "PUT" => accepted("op"),
        _ => Reply::json(
            500,
            r#"{"error":{"code":"InternalServerError","message":"boom"}}"#,
        ),
    })
    .await;
    let error = server
        .arm_with(|c| c.retry = RetryPolicy::fast(1))
        .put_attachment(&cluster("fcretail"), "a", &body())
        .await
        .unwrap_err();
    assert!(error.error.is_outcome_unknown(), "{:?}", error.error);
    assert!(
        matches!(
            error.error,
            ArmError::OutcomeUnknown {
                reason: Unknown::PollsFailed { failures: 20, .. },
                ..
            }
        ),
        "{:?}",
        error.error
    );
    assert_eq!(server.count(), 21, "one PUT, twenty polls");
    assert_eq!(error.receipt.status, FinalStatus::Unknown);
    assert_eq!(error.receipt.polls, 20);
    let text = error.to_string();
    assert!(text.starts_with("the outcome of `PUT "), "{text}");
    assert!(text.contains("20 status polls in a row failed"), "{text}");
    assert!(text.contains("`InternalServerError`: boom"), "{text}");
    assert!(text.contains("run `kfollow plan`"), "{text}");
}

#[tokio::test]
async fn the_operation_timeout_bounds_a_poll_stuck_in_its_retries() {
    let server = Server::start(|request, _| match request.method.as_str() {
        "PUT" => accepted("op"),
        _ => Reply::json(
            503,
            r#"{"error":{"code":"ServiceUnavailable","message":"x"}}"#,
        ),
    })
    .await;
    let arm = server.arm_retrying_past_a_200ms_timeout();
    let (follower, body) = (cluster("fcretail"), body());
    let write = arm.put_attachment(&follower, "a", &body);
    let error = tokio::time::timeout(Duration::from_secs(10), write)
        .await
        .expect("the operation timeout bounds the wait, its polls' retries included")
        .unwrap_err();
    assert_unknown_at_200ms_deadline(&error.error, &error.to_string());
}

#[tokio::test]
async fn an_answer_lost_after_the_write_was_sent_is_an_unknown_outcome() {
    let (base, seen) = crate::support::dropping_server(10, "{}").await;
    let mut config = ArmConfig::for_cloud(Cloud::Public, token());
    config.endpoint = base;
    config.retry = RetryPolicy::fast(2);
    let error = ArmClient::new(config)
        .unwrap()
        .put_attachment(&cluster("fcretail"), "a", &body())
        .await
        .unwrap_err();
    assert_eq!(*seen.lock().unwrap(), 2);
    assert!(
        matches!(
            error.error,
            ArmError::OutcomeUnknown {
                reason: Unknown::NoResponse { attempts: 2, .. },
                ..
            }
        ),
        "{:?}",
        error.error
    );
    assert_eq!(error.receipt.requests.len(), 2);
    assert!(error.receipt.requests.iter().all(|r| r.status.is_none()));

    // Nothing listens: the write never left, so it plainly failed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut config = ArmConfig::for_cloud(Cloud::Public, token());
    config.endpoint = closed;
    config.retry = RetryPolicy::fast(2);
    let error = ArmClient::new(config)
        .unwrap()
        .delete_attachment(&cluster("fcretail"), "a")
        .await
        .unwrap_err();
    assert!(
        matches!(error.error, ArmError::Transport { .. }),
        "{:?}",
        error.error
    );
    assert_eq!(error.receipt.status, FinalStatus::Failed);
}

#[tokio::test]
async fn a_write_on_a_busy_cluster_is_submitted_again_and_the_user_is_told() {
    // Azure's way (the operation fails), then the synchronous 409, then success.
    let server = Server::start(|request, index| match (request.method.as_str(), index) {
        ("PUT", 2) => Reply::json(
            409,
            r#"{"error":{"code":"Conflict","message":"[Conflict] Cluster 'fcretail' is busy"}}"#,
        ),
        ("PUT", _) => accepted(&format!("op{index}")),
        (_, 1) => failed("ServiceIsInMaintenance"),
        _ => succeeded_after(Duration::from_millis(1)),
    })
    .await;
    let heard = Heard::default();
    let receipt = server
        .arm_with(|c| {
            c.busy = BusyPolicy::fast(3);
            c.observer = Some(heard.observer());
        })
        .put_attachment(&cluster("fcretail"), "a", &body())
        .await
        .unwrap();
    assert_eq!(receipt.submissions, 3);
    let methods: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["PUT", "GET", "PUT", "PUT", "GET"]);
    let busy: Vec<(String, String, u32)> = heard
        .all()
        .into_iter()
        .filter_map(|n| match n {
            Notice::Busy {
                cluster,
                code,
                attempt,
                ..
            } => Some((cluster, code, attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(
        busy,
        [
            (
                "fcretail".to_owned(),
                "ServiceIsInMaintenance".to_owned(),
                1
            ),
            ("fcretail".to_owned(), "Conflict".to_owned(), 2),
        ]
    );
    assert!(
        heard.lines()[0].starts_with("fcretail is busy (ServiceIsInMaintenance); retrying in "),
        "{:?}",
        heard.lines()
    );
}

#[tokio::test]
async fn a_cluster_that_stays_busy_ends_the_write_after_its_tries() {
    let server = Server::start(|request, index| match request.method.as_str() {
        "PUT" => accepted(&format!("op{index}")),
        _ => failed("ServiceIsInMaintenance"),
    })
    .await;
    let error = server
        .arm_with(|c| c.busy = BusyPolicy::fast(3))
        .put_attachment(&cluster("fcretail"), "a", &body())
        .await
        .unwrap_err();
    assert_eq!(server.count(), 6, "three tries, each polled once");
    assert_eq!(error.error.code(), Some("ServiceIsInMaintenance"));
    assert!(!error.error.is_outcome_unknown());
    assert_eq!(error.receipt.submissions, 3);
    assert_eq!(error.receipt.status, FinalStatus::Failed);
    let text = error.to_string();
    assert!(text.contains("stayed busy through 3 tries"), "{text}");

    // Another failure is not a busy cluster: no second try.
    let server = Server::start(|request, _| match request.method.as_str() {
        "PUT" => accepted("op"),
        _ => failed("BadRequest"),
    })
    .await;
    let error = server
        .arm_with(|c| c.busy = BusyPolicy::fast(3))
        .put_attachment(&cluster("fcretail"), "a", &body())
        .await
        .unwrap_err();
    assert_eq!(server.count(), 2);
    assert_eq!(error.error.code(), Some("BadRequest"));
}

#[tokio::test]
async fn a_429_holds_every_request_of_its_subscription_and_is_told() {
    let server = Server::start(|_, index| match index {
        0 => Reply::json(429, "{}").with("retry-after", "1"),
        _ => Reply::json(200, r#"{"value":[]}"#),
    })
    .await;
    let heard = Heard::default();
    let arm = server.arm_with(|c| c.observer = Some(heard.observer()));
    let other: ClusterId =
        "/subscriptions/00000000-0000-0000-0000-00000000000b/resourceGroups/rg/providers/Microsoft.Kusto/clusters/other"
            .parse()
            .unwrap();
    let throttled = tokio::spawn({
        let arm = arm.clone();
        async move { arm.list_attachments(&cluster("first")).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let held_at = Instant::now();
    arm.clone()
        .list_attachments(&cluster("second"))
        .await
        .unwrap();
    let held = held_at.elapsed();
    let free_at = Instant::now();
    arm.list_attachments(&other).await.unwrap();
    let free = free_at.elapsed();
    throttled.await.unwrap().unwrap();
    assert!(
        held >= Duration::from_millis(700),
        "a request of the throttled subscription waits out the `Retry-After`: {held:?}"
    );
    assert!(
        free < Duration::from_millis(500),
        "another subscription is not held: {free:?}"
    );
    assert_eq!(
        heard.lines(),
        ["throttled by ARM; waiting 1s"],
        "one notice for the pause"
    );
    assert!(heard.all().iter().any(|n| matches!(
        n,
        Notice::Throttled { by: Throttler::Arm { subscription }, .. }
            if subscription == "12345678-1234-1234-1234-123456789098"
    )));
}

#[tokio::test]
async fn requests_slow_down_before_the_budget_runs_out() {
    // The budget starts at 12 and falls by one with each request: no 429 ever comes, because
    // below 4 left kfollow sends one request at a time, 50 ms apart.
    let server = Server::start(|_, index| {
        let left = 12usize.saturating_sub(index + 1);
        Reply::json(200, r#"{"value":[]}"#).with(
            "x-ms-ratelimit-remaining-subscription-resource-requests",
            left.to_string(),
        )
    })
    .await;
    let heard = Heard::default();
    let arm = server.arm_with(|c| {
        c.budget = BudgetPolicy {
            low_water: 4,
            pace: Duration::from_millis(50),
            first_burst: 2,
        };
        c.observer = Some(heard.observer());
    });
    let reads: Vec<_> = (0..11)
        .map(|i| {
            let arm = arm.clone();
            tokio::spawn(async move { arm.list_databases(&cluster(&format!("c{i}"))).await })
        })
        .collect();
    for read in reads {
        read.await.unwrap().unwrap();
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 11);
    // The answers of the 8th request on say 4 or fewer left: the requests after it are paced.
    let gaps: Vec<Duration> = requests[8..]
        .windows(2)
        .map(|pair| pair[1].at.duration_since(pair[0].at))
        .collect();
    assert!(
        gaps.iter().all(|gap| *gap >= Duration::from_millis(40)),
        "{gaps:?}"
    );
    assert!(
        heard
            .all()
            .iter()
            .any(|n| matches!(n, Notice::Pacing { remaining: 4, .. })),
        "{:?}",
        heard.lines()
    );
}

#[tokio::test]
async fn a_receipt_holds_what_both_sides_called_the_write_and_never_a_token() {
    let server = Server::start(|request, index| match request.method.as_str() {
        "PUT" => accepted("3ebaff86-9c97-4ba9-a08b-7195ef92df84"),
        _ if index == 1 => running(),
        _ => succeeded_after(Duration::from_millis(1)),
    })
    .await;
    let receipt = server
        .arm()
        .put_attachment(&cluster("fcretail"), "a", &body())
        .await
        .unwrap();
    let sent = server.requests()[0]
        .header("x-ms-client-request-id")
        .unwrap()
        .to_owned();
    assert_eq!(receipt.requests.len(), 1);
    let exchange = &receipt.requests[0];
    assert_eq!(exchange.client_request_id, sent);
    assert_eq!(
        exchange.request_id.as_deref(),
        Some("arm-3ebaff86-9c97-4ba9-a08b-7195ef92df84")
    );
    assert_eq!(
        exchange.correlation_id.as_deref(),
        Some("corr-3ebaff86-9c97-4ba9-a08b-7195ef92df84")
    );
    assert_eq!(exchange.status, Some(201));
    assert_eq!(
        receipt.operation_id.as_deref(),
        Some("3ebaff86-9c97-4ba9-a08b-7195ef92df84")
    );
    assert_eq!((receipt.polls, receipt.submissions), (2, 1));
    assert_eq!(receipt.status, FinalStatus::Succeeded);
    let record = serde_json::to_string(&receipt).unwrap();
    assert!(
        record.contains(r#""operationId":"3ebaff86-9c97-4ba9-a08b-7195ef92df84""#),
        "{record}"
    );
    for text in [record, format!("{receipt:?}")] {
        assert!(!text.contains(CANARY), "{text}");
        assert!(!text.to_ascii_lowercase().contains("bearer"), "{text}");
    }
}

/// A budget of `size` requests per `window`, as ARM keeps one: every answer says what is left,
/// and a request past the budget gets 429 with the time to the next window.
fn windowed_budget(
    size: u32,
    window: Duration,
) -> (
    impl Fn(&Recorded, usize) -> Reply + Send + Sync,
    Arc<Mutex<u32>>,
) {
    let state = Arc::new(Mutex::new((Instant::now(), 0u32)));
    let throttled = Arc::new(Mutex::new(0u32));
    let count = throttled.clone();
    let script = move |_: &Recorded, _: usize| {
        let mut state = state.lock().unwrap();
        if state.0.elapsed() >= window {
            *state = (Instant::now(), 0);
        }
        if state.1 >= size {
            *count.lock().unwrap() += 1;
            let wait = window.saturating_sub(state.0.elapsed());
            return Reply::json(429, r#"{"error":{"code":"TooManyRequests","message":"x"}}"#)
                .with("retry-after-ms", wait.as_millis().to_string())
                .with("x-ms-ratelimit-remaining-subscription-reads", "0");
        }
        state.1 += 1;
        Reply::json(200, r#"{"value":[]}"#).with(
            "x-ms-ratelimit-remaining-subscription-reads",
            (size - state.1).to_string(),
        )
    };
    (script, throttled)
}

#[tokio::test]
async fn reads_far_beyond_the_budget_all_succeed() {
    // 100 reads at once against 20 per 300 ms: five windows' worth.
    let (script, throttled) = windowed_budget(20, Duration::from_millis(300));
    let server = Server::start(script).await;
    let arm = server.arm_with(|c| {
        c.budget = BudgetPolicy {
            low_water: 3,
            pace: Duration::from_millis(20),
            first_burst: 4,
        };
    });
    let reads: Vec<_> = (0..100)
        .map(|i| {
            let arm = arm.clone();
            tokio::spawn(async move { arm.list_databases(&cluster(&format!("c{i}"))).await })
        })
        .collect();
    for read in reads {
        read.await.unwrap().unwrap();
    }
    let refused = *throttled.lock().unwrap();
    let sent = server.count();
    assert_eq!(sent - refused as usize, 100);
    // A 429 now and then ends a window: far fewer than one per read.
    assert!(refused <= 15, "{refused} throttled of {sent}");
}
