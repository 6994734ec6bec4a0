//! The real executor against the emulator over loopback HTTP: what the scheduler promises
//! (one ARM write in flight per cluster) is what the service needs (it answers 409 to a write
//! while the cluster's previous one runs), and each operation lands as the request it names.

use std::collections::HashMap;
use std::sync::Arc;

use kfollow_apply::{ApplyOptions, AzureExecutor};
use kfollow_azure::{
    ArmClient, ArmConfig, BusyPolicy, KustoClient, PollPolicy, RetryPolicy, StaticToken,
    TokenSource,
};
use kfollow_emulator::{Emulator, Fault, FaultKind, World, WorldCluster, WorldDatabase};
use kfollow_model::{
    Action, AttachmentBody, ClusterId, Operation, PrincipalsModificationKind, TableLevelSharing,
};

use crate::common::{change, cluster, run};

fn world(followers: &[&str], databases: usize) -> World {
    let mut clusters = vec![WorldCluster {
        id: cluster("leader"),
        location: "westeurope".into(),
        state: "Running".into(),
        databases: (0..databases)
            .map(|i| WorldDatabase {
                name: format!("db{i}"),
                ..WorldDatabase::default()
            })
            .collect(),
        attached_database_configurations: Vec::new(),
        follower_latency_ms: None,
    }];
    for follower in followers {
        clusters.push(WorldCluster {
            id: cluster(follower),
            location: "westeurope".into(),
            state: "Running".into(),
            databases: Vec::new(),
            attached_database_configurations: Vec::new(),
            follower_latency_ms: None,
        });
    }
    let mut world = World {
        clusters,
        ..World::default()
    };
    // Long enough that two writes on one cluster would overlap, short enough to stay quick.
    world.settings.operation_ms = 40;
    world.settings.retry_after_seconds = Some(0);
    world
}

fn attach(follower: &ClusterId, database: &str) -> Operation {
    Operation::PutAttachment {
        follower: follower.clone(),
        name: format!("follow-{database}"),
        body: AttachmentBody {
            location: "westeurope".into(),
            leader: cluster("leader"),
            database_name: database.into(),
            database_name_override: None,
            database_name_prefix: None,
            default_principals_modification_kind: PrincipalsModificationKind::Union,
            table_level_sharing: TableLevelSharing::default(),
        },
    }
}

fn executor(emulator: &Emulator, uris: HashMap<ClusterId, String>) -> AzureExecutor {
    executor_with(emulator, uris, |_| {})
}

fn executor_with(
    emulator: &Emulator,
    uris: HashMap<ClusterId, String>,
    adjust: impl FnOnce(&mut ArmConfig),
) -> AzureExecutor {
    let credential: Arc<dyn TokenSource> = Arc::new(StaticToken::new("emulator", "test"));
    let retry = RetryPolicy {
        // A 409 retried away would hide the very thing this test looks for.
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let mut config = ArmConfig::for_cloud(kfollow_azure::Cloud::Public, credential.clone());
    config.endpoint = emulator.base_url().to_owned();
    config.retry = retry;
    config.poll = PollPolicy::fast();
    // A write that waits out a busy cluster would hide the very collision these tests look for.
    config.busy = BusyPolicy::fast(1);
    adjust(&mut config);
    let arm = ArmClient::new(config).unwrap();
    let kusto = KustoClient::new(credential, retry).unwrap();
    AzureExecutor::new(arm, kusto, uris)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_one_cluster_never_collide() {
    let emulator = Emulator::start(world(&["f1", "f2"], 6)).unwrap();
    let (f1, f2) = (cluster("f1"), cluster("f2"));
    let mut changes = Vec::new();
    for i in 0..6 {
        changes.push(change(
            &format!("f1-db{i}"),
            Action::Attach,
            vec![attach(&f1, &format!("db{i}"))],
            &[],
        ));
    }
    for i in 0..3 {
        changes.push(change(
            &format!("f2-db{i}"),
            Action::Attach,
            vec![attach(&f2, &format!("db{i}"))],
            &[],
        ));
    }
    // A follower database setting, after the attach that creates the database.
    changes.push(change(
        "f1-db0-cache",
        Action::Update,
        vec![Operation::PutFollowerHotCache {
            follower: f1.clone(),
            database: "db0".into(),
            location: "westeurope".into(),
            hot_cache_period: "3d".parse().unwrap(),
        }],
        &["f1-db0"],
    ));
    // And one on the data plane, which needs the cluster's uri.
    changes.push(change(
        "f1-db0-viewers",
        Action::Update,
        vec![Operation::KustoCommand {
            cluster: f1.clone(),
            database: "db0".into(),
            csl: ".add follower database db0 viewers ('aaduser=alice@contoso.com')".into(),
        }],
        &["f1-db0"],
    ));
    let plan = crate::common::plan(changes);
    let uri = format!("{}/kusto/f1", emulator.base_url());
    let executor = executor(&emulator, HashMap::from([(f1.clone(), uri)]));

    let (report, _) = run(&plan, &executor, ApplyOptions::default().parallelism).await;

    assert_eq!(report.failed, Vec::new(), "{report:#?}");
    assert!(report.is_complete());
    let requests = emulator.requests();
    let conflicts: Vec<_> = requests.iter().filter(|r| r.status == Some(409)).collect();
    assert!(conflicts.is_empty(), "{conflicts:#?}");
    let writes = requests.iter().filter(|r| r.method == "PUT").count();
    assert_eq!(writes, 10, "one request per ARM write of the plan");
    let commands: Vec<_> = requests.iter().filter_map(|r| r.csl.as_deref()).collect();
    assert_eq!(
        commands,
        [".add follower database db0 viewers ('aaduser=alice@contoso.com')"]
    );
    let world = emulator.world();
    let attached = |name: &str| {
        world
            .clusters
            .iter()
            .find(|c| c.id.name() == name)
            .map_or(0, |c| c.attached_database_configurations.len())
    };
    assert_eq!((attached("f1"), attached("f2")), (6, 3));
    emulator.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_message_reaches_the_report() {
    // `db9` does not exist on the leader: the service refuses, the report says why.
    let emulator = Emulator::start(world(&["f1"], 1)).unwrap();
    let f1 = cluster("f1");
    let plan = crate::common::plan(vec![
        change("bad", Action::Attach, vec![attach(&f1, "db9")], &[]),
        change("good", Action::Attach, vec![attach(&f1, "db0")], &[]),
    ]);
    let executor = executor(&emulator, HashMap::new());

    let (report, _) = run(&plan, &executor, ApplyOptions::default().parallelism).await;

    assert_eq!(report.succeeded.len(), 1);
    let error = &report.failed[0].error;
    assert!(
        error.starts_with("put attachment `follow-db9` on cluster `f1` failed: `PUT "),
        "{error}"
    );
    assert!(error.contains("db9"), "{error}");
    emulator.stop();
}

/// The check above can fail: two writes on one cluster at once, bypassing the scheduler, fail
/// in the emulator as in ARM (the second is accepted and its operation fails with
/// `ServiceIsInMaintenance`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_writes_are_refused_without_the_scheduler() {
    use kfollow_apply::Executor;

    let emulator = Emulator::start(world(&["f1"], 2)).unwrap();
    let f1 = cluster("f1");
    let executor = executor(&emulator, HashMap::new());
    let (first, second) = (attach(&f1, "db0"), attach(&f1, "db1"));

    let (a, b) = tokio::join!(executor.execute(&first), executor.execute(&second));

    let failed = a.err().or(b.err()).expect("one of the two writes fails");
    assert!(
        failed.to_string().contains("ServiceIsInMaintenance"),
        "{failed}"
    );
    emulator.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_for_a_cluster_without_uri_is_not_sent() {
    let emulator = Emulator::start(world(&["f1"], 1)).unwrap();
    let plan = crate::common::plan(vec![change(
        "cache",
        Action::Update,
        vec![Operation::KustoCommand {
            cluster: cluster("f1"),
            database: "db0".into(),
            csl: ".alter follower database db0 policy caching hot = 3d".into(),
        }],
        &[],
    )]);
    let executor = executor(&emulator, HashMap::new());

    let (report, _) = run(&plan, &executor, 1).await;

    let error = &report.failed[0].error;
    assert!(
        error.ends_with(
            "no data-plane uri is known for cluster \
             `/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Kusto/clusters/f1`, \
             so the command for database `db0` was not sent"
        ),
        "{error}"
    );
    assert!(emulator.requests().is_empty());
    emulator.stop();
}

fn fault(method: &str, path: &str, respond: FaultKind, count: u32) -> Fault {
    Fault {
        method: method.into(),
        path: path.into(),
        respond,
        count,
        retry_after_seconds: 0,
        delay_ms: 0,
        code: None,
        message: None,
    }
}

fn attachments_of(emulator: &Emulator, name: &str) -> Vec<String> {
    emulator
        .world()
        .clusters
        .iter()
        .find(|c| c.id.name() == name)
        .map(|c| {
            c.attached_database_configurations
                .iter()
                .map(|a| a.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Status polls that keep failing leave the outcome unknown, not failed: here the attach did
/// take effect, which "failed" would have denied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_failing_20_times_reports_unknown_not_failed() {
    let emulator = Emulator::start(world(&["f1"], 2)).unwrap();
    emulator.add_fault(fault(
        "GET",
        "*/operationResults/*",
        FaultKind::InternalError,
        20,
    ));
    let f1 = cluster("f1");
    let plan = crate::common::plan(vec![
        change("lost", Action::Attach, vec![attach(&f1, "db0")], &[]),
        change("after", Action::Update, vec![attach(&f1, "db1")], &["lost"]),
    ]);
    let executor = executor(&emulator, HashMap::new());

    let (report, events) = run(&plan, &executor, 1).await;

    assert!(report.failed.is_empty(), "{report:#?}");
    assert_eq!(report.unknown.len(), 1, "{report:#?}");
    let unknown = &report.unknown[0];
    assert!(
        unknown.error.starts_with(
            "put attachment `follow-db0` on cluster `f1` has an unknown outcome: the outcome of `PUT "
        ),
        "{}",
        unknown.error
    );
    assert!(
        unknown.error.contains("20 status polls in a row failed"),
        "{}",
        unknown.error
    );
    assert_eq!(unknown.receipts.len(), 1);
    assert_eq!(unknown.receipts[0].polls, 20);
    assert_eq!(
        unknown.receipts[0].status,
        kfollow_apply::FinalStatus::Unknown
    );
    assert_eq!(
        report.not_attempted[0].reason.to_string(),
        "not attempted because the outcome of `attachment.f/lost` is unknown"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, kfollow_apply::Event::Unknown { .. })),
        "{events:#?}"
    );
    assert_eq!(
        report.summary(),
        "Apply incomplete: 0 attached, 0 changed, 0 replaced, 0 detached; 0 failed, 1 unknown, 1 not attempted."
    );
    // What is really live: the attach went through.
    assert_eq!(attachments_of(&emulator, "f1"), ["follow-db0"]);
    emulator.stop();
}

/// A write whose operation fails because the cluster is busy is submitted again, and the user
/// hears about it; the receipt counts the submissions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_cluster_is_waited_out() {
    let emulator = Emulator::start(world(&["f1"], 1)).unwrap();
    emulator.add_fault(Fault {
        code: Some("ServiceIsInMaintenance".into()),
        message: Some(
            "[Conflict] Cluster 'f1' is in process of maintenance for a short period. You may \
             retry to invoke the operation in a few minutes."
                .into(),
        ),
        ..fault(
            "PUT",
            "*/clusters/f1/attachedDatabaseConfigurations/*",
            FaultKind::FailOperation,
            2,
        )
    });
    let heard: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let listener = heard.clone();
    let f1 = cluster("f1");
    let plan = crate::common::plan(vec![change(
        "busy",
        Action::Attach,
        vec![attach(&f1, "db0")],
        &[],
    )]);
    let executor = executor_with(&emulator, HashMap::new(), |config| {
        config.busy = BusyPolicy::fast(3);
        config.observer = Some(Arc::new(move |notice: &kfollow_azure::Notice| {
            listener.lock().unwrap().push(notice.to_string());
        }));
    });

    let (report, _) = run(&plan, &executor, 1).await;

    assert!(report.is_complete(), "{report:#?}");
    let receipts = &report.succeeded[0].receipts;
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].submissions, 3);
    assert_eq!(receipts[0].requests.len(), 3);
    let heard = heard.lock().unwrap().clone();
    assert_eq!(heard.len(), 2, "{heard:?}");
    assert!(
        heard[0].starts_with("f1 is busy (ServiceIsInMaintenance); retrying in "),
        "{heard:?}"
    );
    assert_eq!(attachments_of(&emulator, "f1"), ["follow-db0"]);
    emulator.stop();
}
