//! Reading followers and their leaders by id, and building the clients, against the emulator
//! over loopback HTTP.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use kfollow_azure::{Cloud, Notice, Observer, StaticToken, TokenSource};
use kfollow_emulator::{Emulator, World};
use kfollow_model::ClusterId;
use kfollow_state::{Clients, ConnectError, ReadWithLeadersError, read_with_leaders};

const LEADER: &str =
    "/subscriptions/1/resourceGroups/rg-lead/providers/Microsoft.Kusto/clusters/lead";
const FOLLOWER: &str =
    "/subscriptions/1/resourceGroups/rg-follow/providers/Microsoft.Kusto/clusters/follow";

fn world(leader_exists: bool) -> World {
    let text = format!(
        "clusters:\n  - id: {LEADER}\n    location: westeurope\n    state: Running\n    \
         databases:\n      - name: Sales\n  - id: {FOLLOWER}\n    location: westeurope\n    state: Running\n    \
         databases: []\n    attachedDatabaseConfigurations:\n      - name: sales\n        \
         clusterResourceId: {LEADER}\n        databaseName: Sales\n        \
         defaultPrincipalsModificationKind: Union\nsettings:\n  operationMs: 0\n  latencyMs: 0\n"
    );
    let mut world = World::from_yaml(&text).unwrap();
    if !leader_exists {
        // A leader gone since the attachment was made (or out of the caller's sight).
        world.clusters.remove(0);
    }
    world
}

fn clients(emulator: &Emulator) -> Clients {
    let credential: Arc<dyn TokenSource> = Arc::new(StaticToken::new("emulator", "test"));
    let quiet: Observer = Arc::new(|_: &Notice| {});
    Clients::connect(emulator.base_url(), Cloud::Public, credential, quiet).unwrap()
}

fn id(text: &str) -> ClusterId {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_follower_is_read_with_its_settings_and_its_leader_without() {
    let emulator = Emulator::start(world(true)).unwrap();
    let observed = read_with_leaders(&[id(FOLLOWER)], &clients(&emulator))
        .await
        .unwrap();
    let follower = observed.cluster(&id(FOLLOWER)).unwrap();
    let leader = observed.cluster(&id(LEADER)).unwrap();
    assert_eq!(follower.attachments.len(), 1);
    assert!(follower.follower_settings.is_some());
    assert!(leader.follower_settings.is_none());
    assert_eq!(leader.databases[0].name, "Sales");
    assert_eq!(observed.clusters.len(), 2);
}

#[tokio::test]
async fn a_missing_follower_or_leader_is_named_by_its_id_and_role() {
    let emulator = Emulator::start(world(false)).unwrap();
    let clients = clients(&emulator);
    let error = read_with_leaders(&[id(FOLLOWER)], &clients)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ReadWithLeadersError::ClusterNotFound { leader: true, .. }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "cluster `{LEADER}` (a leader that an attachment follows) does not exist, or the \
             caller cannot see it"
        )
    );
    let error = read_with_leaders(&[id(LEADER)], &clients)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("cluster `{LEADER}` does not exist, or the caller cannot see it")
    );
}

#[tokio::test]
async fn a_stopped_follower_is_a_failed_read_with_its_cause() {
    let mut world = world(true);
    world.clusters[1].state = "Stopped".into();
    let emulator = Emulator::start(world).unwrap();
    let error = read_with_leaders(&[id(FOLLOWER)], &clients(&emulator))
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "cannot read the live state");
    let cause = std::error::Error::source(&error).unwrap().to_string();
    assert!(cause.contains("`follow` is `Stopped`"), "{cause}");
}

#[test]
fn an_endpoint_the_clients_cannot_use_is_named() {
    let credential: Arc<dyn TokenSource> = Arc::new(StaticToken::new("token", "test"));
    let quiet: Observer = Arc::new(|_: &Notice| {});
    let error =
        Clients::connect("http://example.com", Cloud::Public, credential, quiet).unwrap_err();
    assert!(matches!(error, ConnectError::Arm { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "cannot use the ARM endpoint `http://example.com`"
    );
}
