//! Attachments with an operation still running (`provisioningState` not final): the plan
//! waits for it and never sends the same write again.

use kfollow_model::{Action, Operation, UnmanagedPolicy};

use crate::build::World;

/// Kinds of the operations of each change, in order (`await`, `put`, `delete`, …).
fn ops(change: &kfollow_model::Change) -> Vec<&'static str> {
    change
        .operations
        .iter()
        .map(|op| match op {
            Operation::AwaitAttachment { .. } if op.awaits_removal() => "await gone",
            Operation::AwaitAttachment { .. } => "await final",
            Operation::PutAttachment { .. } => "put",
            Operation::DeleteAttachment { .. } => "delete",
            Operation::DetachFollower { .. } => "detach follower",
            Operation::PutFollowerHotCache { .. } => "hot cache",
            Operation::KustoCommand { .. } => "kusto",
        })
        .collect()
}

/// `emea/sales` follows `prod/Sales` as the manifest says, its operation still `state`;
/// while it is created, Azure shows neither its follower database nor its database names.
fn in_flight(state: &str) -> World {
    let mut world = World::new();
    world.attach("sales", "emea", "prod", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    let live = world.live("emea");
    live.attachments[0].provisioning_state = Some(state.into());
    if state == "Creating" {
        live.attachments[0].attached_database_names.clear();
        live.databases.clear();
    }
    world
}

#[test]
fn an_attach_already_running_is_waited_for_not_sent_again() {
    let mut world = in_flight("Creating");
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 1, "{plan:#?}");
    let change = &plan.changes[0];
    assert_eq!(change.address.to_string(), "attachment.emea/sales");
    assert_eq!(change.action, Action::Attach);
    assert_eq!(ops(change), ["await final"]);
    assert_eq!(
        change.reason.as_deref(),
        Some(
            "an attach is already running (`provisioningState` `Creating`); apply waits for it \
             to end and sends nothing"
        )
    );
    let Operation::AwaitAttachment {
        name,
        provisioning_state,
        ..
    } = &change.operations[0]
    else {
        unreachable!()
    };
    assert_eq!(
        (name.as_str(), provisioning_state.as_str()),
        ("SALES", "Creating")
    );
    // Its attributes read as those of an attach.
    assert!(change.attributes.iter().all(|a| a.before.is_none()));
    // Once it ended, nothing is left to do.
    world.apply(&plan);
    assert!(world.plan().is_empty(), "{:#?}", world.plan());
}

#[test]
fn the_settings_of_a_follower_database_being_created_wait_for_its_attach() {
    let mut world = in_flight("Creating");
    world.settings("sales", "Sales").prefetch_extents = Some(true);
    let changes = kfollow_graph::order(world.plan().changes).unwrap();
    let actions: Vec<(String, Vec<&str>)> = changes
        .iter()
        .map(|c| (c.address.to_string(), ops(c)))
        .collect();
    assert_eq!(
        actions,
        [
            ("attachment.emea/sales".to_owned(), vec!["await final"]),
            ("follower_database.emea/Sales".to_owned(), vec!["kusto"]),
        ]
    );
    assert_eq!(changes[1].depends_on, [changes[0].address.clone()]);
}

#[test]
fn an_update_already_running_then_a_change_of_the_manifest_waits_first() {
    let mut world = in_flight("Running");
    // Unchanged: only the wait.
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].action, Action::Update);
    assert_eq!(ops(&plan.changes[0]), ["await final"]);
    assert!(
        plan.changes[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("an update is already running (`provisioningState` `Running`)")
    );
    // A change of a sharing list: the wait, then the PUT.
    world.desired.attachments[0]
        .table_level_sharing
        .tables_to_include = vec!["Orders".into()];
    let plan = world.plan();
    assert_eq!(plan.changes[0].action, Action::Update);
    assert_eq!(ops(&plan.changes[0]), ["await final", "put"]);
    assert_eq!(
        plan.changes[0].reason.as_deref(),
        Some(
            "an update is already running (`provisioningState` `Running`); apply waits for it \
             to end first"
        )
    );
    // A forcing change: the wait, then the replacement.
    world.desired.attachments[0].follower_database_name =
        kfollow_model::FollowerDatabaseName::Override("SalesCopy".into());
    let plan = world.plan();
    assert_eq!(plan.changes[0].action, Action::Replace);
    assert_eq!(ops(&plan.changes[0]), ["await final", "delete", "put"]);
    assert!(
        plan.changes[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("`databaseNameOverride` forces replacement; an update is already running")
    );
}

#[test]
fn a_detach_already_running_is_waited_for_then_the_manifest_attaches_again() {
    let mut world = in_flight("Deleting");
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 1);
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Attach);
    assert_eq!(ops(change), ["await gone", "put"]);
    assert!(
        change
            .reason
            .as_deref()
            .unwrap()
            .starts_with("a detach is already running (`provisioningState` `Deleting`)")
    );
    world.apply(&plan);
    assert!(world.plan().is_empty());
}

#[test]
fn a_detach_already_running_on_an_unmanaged_attachment_is_only_waited_for() {
    let mut world = in_flight("Deleting");
    world.desired.attachments.clear();
    world.declared("emea").unmanaged_attachments = UnmanagedPolicy::Detach;
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].action, Action::Detach);
    assert_eq!(ops(&plan.changes[0]), ["await gone"]);
    assert!(
        plan.changes[0]
            .reason
            .as_deref()
            .unwrap()
            .ends_with("apply waits for it to end and sends nothing"),
        "{:?}",
        plan.changes[0].reason
    );
    // Another attachment may take its follower database name: it waits for the detach.
    world.attach("again", "emea", "prod", "Sales");
    let changes = kfollow_graph::order(world.plan().changes).unwrap();
    let again = changes
        .iter()
        .find(|c| c.address.to_string() == "attachment.emea/again")
        .unwrap();
    assert_eq!(again.depends_on.len(), 1, "{changes:#?}");
    // An unmanaged attachment being created is waited for, then detached.
    let mut world = in_flight("Creating");
    world.desired.attachments.clear();
    world.declared("emea").unmanaged_attachments = UnmanagedPolicy::Detach;
    assert_eq!(ops(&world.plan().changes[0]), ["await final", "delete"]);
}
