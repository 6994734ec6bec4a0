//! Attachments made by Azure Data Share: shown with their origin, never detached, and never
//! taken over by a manifest entry.

use kfollow_model::{
    Action, DatabaseShareOrigin, LeaderFollower, TableLevelSharing, UnmanagedPolicy,
};

use crate::build::{World, id};

/// `emea` follows `prod/Sales` through attachment `ds`, which Azure Data Share made; the
/// manifest does not declare it.
fn shared() -> World {
    let mut world = World::new();
    world.attach("ds", "emea", "prod", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    world.desired.attachments.clear();
    set_origin(&mut world, DatabaseShareOrigin::DataShare);
    world
}

/// What ARM says of the attachment `ds`: on its follower database and on the leader's list.
fn set_origin(world: &mut World, origin: DatabaseShareOrigin) {
    for database in &mut world.live("emea").databases {
        database.database_share_origin = Some(origin);
    }
    for follower in &mut world.live("prod").followers {
        follower.database_share_origin = Some(origin);
    }
}

#[test]
fn a_data_share_attachment_is_shown_with_its_origin() {
    let plan = shared().plan();
    assert!(plan.changes.is_empty());
    assert_eq!(plan.unmanaged.len(), 1, "{:?}", plan.unmanaged);
    assert_eq!(
        plan.unmanaged[0].share_origin,
        Some(DatabaseShareOrigin::DataShare)
    );
    assert_eq!(
        plan.unmanaged[0].description,
        "attachment `DS` follows prod/sales, not in the manifest (databaseShareOrigin \
         `DataShare`); left alone: managed by Azure Data Share"
    );
}

#[test]
fn no_detach_policy_detaches_a_data_share_attachment() {
    for follower_side in [true, false] {
        let mut world = shared();
        if follower_side {
            world.declared("emea").unmanaged_attachments = UnmanagedPolicy::Detach;
        } else {
            world.declared("prod").unmanaged_followers = UnmanagedPolicy::Detach;
        }
        let plan = world.plan();
        assert!(plan.changes.is_empty(), "{plan:#?}");
        let policy = if follower_side {
            "`emea` says `unmanagedAttachments: detach`"
        } else {
            "leader `prod` says `unmanagedFollowers: detach`"
        };
        assert_eq!(
            plan.unmanaged[0].description,
            format!(
                "attachment `DS` follows prod/sales, not in the manifest (databaseShareOrigin \
                 `DataShare`); left alone: managed by Azure Data Share, although {policy}"
            )
        );
    }
    // With only the leader's list to say so, too.
    let mut world = shared();
    world.live("emea").databases[0].database_share_origin = None;
    world.declared("emea").unmanaged_attachments = UnmanagedPolicy::Detach;
    assert!(world.plan().changes.is_empty());
    // A direct attachment under the same policy is detached.
    set_origin(&mut world, DatabaseShareOrigin::Direct);
    assert_eq!(world.plan().count(Action::Detach), 1);
}

#[test]
fn a_data_share_follower_seen_from_the_leader_alone_is_left_alone() {
    let mut world = World::new();
    world.live("prod").followers.push(LeaderFollower {
        follower: id("partner"),
        attachment_name: "shared-sales".into(),
        database_name: "Sales".into(),
        table_level_sharing: TableLevelSharing::default(),
        database_share_origin: Some(DatabaseShareOrigin::DataShare),
    });
    world.declared("prod").unmanaged_followers = UnmanagedPolicy::Detach;
    let plan = world.plan();
    assert!(plan.changes.is_empty(), "{plan:#?}");
    assert_eq!(
        plan.unmanaged[0].description,
        "followed by an unmanaged attachment `shared-sales` on `fcpartner` (database `Sales`) \
         (databaseShareOrigin `DataShare`); left alone: managed by Azure Data Share, although \
         leader `prod` says `unmanagedFollowers: detach`"
    );
    // Another origin is shown and follows the policy.
    world.live("prod").followers[0].database_share_origin = Some(DatabaseShareOrigin::Other);
    let plan = world.plan();
    assert_eq!(plan.count(Action::Detach), 1);
    world.declared("prod").unmanaged_followers = UnmanagedPolicy::Report;
    let plan = world.plan();
    assert_eq!(
        plan.unmanaged[0].share_origin,
        Some(DatabaseShareOrigin::Other)
    );
    assert!(
        plan.unmanaged[0]
            .description
            .ends_with("(database `Sales`) (databaseShareOrigin `Other`)"),
        "{}",
        plan.unmanaged[0].description
    );
}

#[test]
fn a_manifest_entry_for_a_data_share_attachment_is_an_error() {
    let mut world = shared();
    world.attach("ds", "emea", "prod", "Sales");
    assert_eq!(
        world.errors(),
        [
            "kfollow.yaml:20:5: attachment `DS` on `emea` (following `prod`/`sales`) was made by \
             Azure Data Share (databaseShareOrigin `DataShare`) and belongs to its share \
             subscription, which kfollow does not change; manage it in Azure Data Share, or \
             remove it from the manifest"
        ]
    );
}
