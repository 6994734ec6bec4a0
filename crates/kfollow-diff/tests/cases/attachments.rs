use kfollow_model::{
    Action, Address, FollowerDatabaseName, Operation, PrincipalsModificationKind, UnmanagedPolicy,
};
use proptest::prelude::*;
use serde_json::json;

use crate::build::{World, id};

/// A world where `emea/sales` follows `prod/Sales` exactly as the manifest says.
fn attached() -> World {
    let mut world = World::new();
    world
        .attach("sales", "emea", "prod", "Sales")
        .table_level_sharing
        .tables_to_include = vec!["Orders".into(), "Logs*".into(), "Customers".into()];
    let plan = world.plan();
    world.apply(&plan);
    world
}

#[test]
fn a_new_attachment_shows_every_attribute() {
    let mut world = World::new();
    world
        .attach("sales", "emea", "prod", "Sales")
        .follower_database_name = FollowerDatabaseName::Override("SalesEmea".into());
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 1);
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Attach);
    assert_eq!(change.address.to_string(), "attachment.emea/sales");
    let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "leader",
            "databaseName",
            "databaseNameOverride",
            "location",
            "defaultPrincipalsModificationKind"
        ]
    );
    assert!(
        change
            .attributes
            .iter()
            .all(|a| a.before.is_none() && !a.forces_replacement)
    );
    assert_eq!(change.unchanged_attributes, 0);
    let [
        Operation::PutAttachment {
            follower,
            name,
            body,
        },
    ] = change.operations.as_slice()
    else {
        panic!("{:?}", change.operations)
    };
    assert_eq!(follower, &id("emea"));
    assert_eq!(name, "sales");
    assert_eq!(body.location, "westeurope");
    assert_eq!(body.leader, id("prod"));
    assert_eq!(body.database_name_override.as_deref(), Some("SalesEmea"));
    assert_eq!(change.origin.map(|o| o.line), Some(20));
}

#[test]
fn an_applied_attachment_has_no_changes_despite_casing_and_order() {
    let world = attached();
    let live = &world.observed.clusters[&id("emea")].attachments[0];
    assert_eq!(live.location, "West Europe");
    assert_eq!(live.name, "SALES");
    assert!(world.plan().is_empty());
}

#[test]
fn sharing_lists_update_in_place() {
    let mut world = attached();
    world.desired.attachments[0]
        .table_level_sharing
        .tables_to_include = vec!["Orders".into()];
    world.desired.attachments[0].default_principals_modification_kind =
        PrincipalsModificationKind::Replace;
    let plan = world.plan();
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.reason, None);
    let names: Vec<&str> = change.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "defaultPrincipalsModificationKind",
            "tableLevelSharing.tablesToInclude"
        ]
    );
    assert_eq!(change.attributes[0].before, Some(json!("Union")));
    assert_eq!(change.attributes[0].after, Some(json!("Replace")));
    assert_eq!(change.attributes[1].after, Some(json!(["Orders"])));
    // leader, databaseName, location unchanged (no override, no prefix: nothing to count).
    assert_eq!(change.unchanged_attributes, 3);
    assert!(matches!(
        change.operations.as_slice(),
        [Operation::PutAttachment { .. }]
    ));
}

#[test]
fn an_override_forces_replacement() {
    let mut world = attached();
    world.desired.attachments[0].follower_database_name =
        FollowerDatabaseName::Override("SalesEmea".into());
    let plan = world.plan();
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Replace);
    assert_eq!(
        change.reason.as_deref(),
        Some("`databaseNameOverride` forces replacement")
    );
    assert_eq!(change.attributes.len(), 1);
    assert!(change.attributes[0].forces_replacement);
    assert_eq!(change.attributes[0].before, None);
    assert_eq!(change.attributes[0].after, Some(json!("SalesEmea")));
    assert!(matches!(
        change.operations.as_slice(),
        [
            Operation::DeleteAttachment { .. },
            Operation::PutAttachment { .. }
        ]
    ));
}

#[test]
fn a_new_leader_forces_replacement() {
    let mut world = attached();
    world.cluster("staging");
    world.database("staging", "Sales");
    world.desired.attachments[0].leader = "staging".into();
    let plan = world.plan();
    assert_eq!(plan.changes[0].action, Action::Replace);
    assert_eq!(
        plan.changes[0].reason.as_deref(),
        Some("`leader` forces replacement")
    );
}

#[test]
fn protect_refuses_a_replacement_naming_the_attribute_and_line() {
    let mut world = attached();
    world.desired.attachments[0].protect = true;
    world.desired.attachments[0].database = kfollow_model::DatabaseSelection::One("Logs".into());
    assert_eq!(
        world.errors(),
        [
            "kfollow.yaml:20:5: attachment `sales` on `emea` is protected, but `databaseName` forces \
          replacement; change the manifest back, or remove `protect: true` to allow it"
        ]
    );
    // An in-place update of a protected attachment is fine.
    world.desired.attachments[0].database = kfollow_model::DatabaseSelection::One("Sales".into());
    world.desired.attachments[0]
        .table_level_sharing
        .tables_to_include
        .clear();
    assert_eq!(world.plan().changes[0].action, Action::Update);
}

#[test]
fn unmanaged_attachments_are_reported_and_left_alone() {
    let mut world = attached();
    world.desired.attachments.clear();
    let plan = world.plan();
    assert!(plan.changes.is_empty());
    assert_eq!(plan.unmanaged.len(), 1, "{:?}", plan.unmanaged);
    assert_eq!(
        plan.unmanaged[0].address,
        Address::Attachment {
            follower: "emea".into(),
            name: "SALES".into()
        }
    );
    assert_eq!(
        plan.unmanaged[0].description,
        "attachment `SALES` follows prod/sales, not in the manifest"
    );
}

#[test]
fn unmanaged_attachments_are_detached_where_the_follower_says_so() {
    let mut world = attached();
    world.desired.attachments.clear();
    world.declared("emea").unmanaged_attachments = UnmanagedPolicy::Detach;
    let plan = world.plan();
    assert!(plan.unmanaged.is_empty());
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Detach);
    assert_eq!(
        change.reason.as_deref(),
        Some("`emea` says `unmanagedAttachments: detach`")
    );
    assert!(
        change
            .attributes
            .iter()
            .all(|a| a.after.is_none() && a.before.is_some())
    );
    assert!(matches!(
        change.operations.as_slice(),
        [Operation::DeleteAttachment { name, .. }] if name == "SALES"
    ));
    world.apply(&plan);
    assert!(world.plan().is_empty());
}

proptest! {
    #[test]
    fn permuted_sharing_lists_never_change(
        tables in proptest::collection::vec("[A-Z][a-z]{0,6}\\*?", 0..8),
        functions in proptest::collection::vec("[a-z]{1,6}", 0..5),
        seed in any::<u64>(),
    ) {
        let mut world = World::new();
        let a = world.attach("sales", "emea", "prod", "Sales");
        a.table_level_sharing.tables_to_include = tables.clone();
        a.table_level_sharing.functions_to_exclude = functions.clone();
        let plan = world.plan();
        world.apply(&plan);
        // Shuffle (and repeat an entry of) the live lists.
        let live = &mut world.live("emea").attachments[0].table_level_sharing;
        let n = live.tables_to_include.len();
        if n > 1 {
            live.tables_to_include.rotate_left((seed as usize) % n);
            live.tables_to_include.swap(0, n - 1);
            let first = live.tables_to_include[0].clone();
            live.tables_to_include.push(first);
        }
        live.functions_to_exclude.reverse();
        prop_assert!(world.plan().is_empty());
    }
}
