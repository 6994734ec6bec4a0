use kfollow_model::{
    Action, Address, LeaderFollower, Operation, TableLevelSharing, UnmanagedPolicy,
};

use serde_json::json;

use crate::build::{World, id};

/// `prod` is followed by `fcoutside` (not in the manifest), attachment `spy`.
fn followed_from_outside() -> World {
    let mut world = World::new();
    world.live("prod").followers.push(LeaderFollower {
        follower: id("outside"),
        attachment_name: "spy".into(),
        database_name: "Sales".into(),
        table_level_sharing: TableLevelSharing::default(),
        database_share_origin: None,
    });
    world
}

#[test]
fn unmanaged_followers_are_reported() {
    let plan = followed_from_outside().plan();
    assert!(plan.changes.is_empty());
    assert_eq!(plan.unmanaged.len(), 1);
    assert_eq!(
        plan.unmanaged[0].address.to_string(),
        "leader_follower.prod/fcoutside/spy"
    );
    assert_eq!(
        plan.unmanaged[0].description,
        "followed by an unmanaged attachment `spy` on `fcoutside` (database `Sales`)"
    );
}

#[test]
fn unmanaged_followers_are_detached_where_the_leader_says_so() {
    let mut world = followed_from_outside();
    world.declared("prod").unmanaged_followers = UnmanagedPolicy::Detach;
    let plan = world.plan();
    assert!(plan.unmanaged.is_empty());
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Detach);
    assert!(change.action.is_destructive());
    assert_eq!(
        change.operations,
        [Operation::DetachFollower {
            leader: id("prod"),
            follower: id("outside"),
            attachment_name: "spy".into(),
        }]
    );
}

#[test]
fn a_detached_follower_shows_what_it_followed_and_its_sharing_lists() {
    let mut world = followed_from_outside();
    world.live("prod").followers[0].table_level_sharing = TableLevelSharing {
        tables_to_include: vec!["Orders".into(), "Logs*".into()],
        ..TableLevelSharing::default()
    };
    world.declared("prod").unmanaged_followers = UnmanagedPolicy::Detach;
    let plan = world.plan();
    let shown: Vec<_> = plan.changes[0]
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.before.clone(), a.after.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            ("follower", Some(json!(id("outside").to_string())), None),
            ("databaseName", Some(json!("Sales")), None),
            (
                "tableLevelSharing.tablesToInclude",
                Some(json!(["Orders", "Logs*"])),
                None
            ),
        ]
    );
}

#[test]
fn a_declared_attachment_is_not_an_unmanaged_follower() {
    let mut world = World::new();
    world.attach("sales", "emea", "prod", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    world.declared("prod").unmanaged_followers = UnmanagedPolicy::Detach;
    assert_eq!(world.observed.clusters[&id("prod")].followers.len(), 1);
    let plan = world.plan();
    assert!(plan.is_empty() && plan.unmanaged.is_empty(), "{plan:#?}");
}

/// An attachment on a manifest follower that the manifest does not declare, seen from both
/// sides, is one entry: one report, or one follower-side detach.
#[test]
fn an_attachment_unmanaged_on_both_sides_counts_once() {
    for (follower_policy, leader_policy) in [
        (UnmanagedPolicy::Report, UnmanagedPolicy::Report),
        (UnmanagedPolicy::Detach, UnmanagedPolicy::Report),
        (UnmanagedPolicy::Report, UnmanagedPolicy::Detach),
        (UnmanagedPolicy::Detach, UnmanagedPolicy::Detach),
    ] {
        let mut world = World::new();
        world.attach("stray", "emea", "prod", "Sales");
        let plan = world.plan();
        world.apply(&plan);
        world.desired.attachments.clear();
        world.declared("emea").unmanaged_attachments = follower_policy;
        world.declared("prod").unmanaged_followers = leader_policy;
        let plan = world.plan();
        let entries = plan.changes.len() + plan.unmanaged.len();
        assert_eq!(
            entries, 1,
            "{follower_policy:?}/{leader_policy:?}: {plan:#?}"
        );
        let address = Address::Attachment {
            follower: "emea".into(),
            name: "STRAY".into(),
        };
        if follower_policy == UnmanagedPolicy::Report && leader_policy == UnmanagedPolicy::Report {
            assert_eq!(plan.unmanaged[0].address, address);
        } else {
            let change = &plan.changes[0];
            assert_eq!(change.address, address);
            assert!(matches!(
                change.operations.as_slice(),
                [Operation::DeleteAttachment { .. }]
            ));
            world.apply(&plan);
            let after = world.plan();
            assert!(after.is_empty() && after.unmanaged.is_empty());
        }
    }
}
