//! The diff's changes carry what `kfollow-graph` needs to order them.

use kfollow_model::{Action, FollowerDatabaseName, UnmanagedPolicy};

use crate::build::World;

fn position(changes: &[kfollow_model::Change], address: &str) -> usize {
    changes
        .iter()
        .position(|c| c.address.to_string() == address)
        .unwrap()
}

#[test]
fn settings_wait_for_their_attach_and_a_freed_name_for_its_detach() {
    let mut world = World::new();
    world.attach("old", "emea", "prod", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    // `old` (reported back as `OLD`) goes (unmanaged, detach); `new` takes its follower database name, with settings.
    world.desired.attachments.clear();
    world.declared("emea").unmanaged_attachments = UnmanagedPolicy::Detach;
    world.attach("new", "emea", "prod", "Sales");
    world.settings("new", "Sales").prefetch_extents = Some(true);
    let changes = kfollow_graph::order(world.plan().changes).unwrap();
    let actions: Vec<(String, Action)> = changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("attachment.emea/OLD".to_owned(), Action::Detach),
            ("attachment.emea/new".to_owned(), Action::Attach),
            ("follower_database.emea/Sales".to_owned(), Action::Update),
        ]
    );
    assert_eq!(changes[1].depends_on, [changes[0].address.clone()]);
    assert_eq!(changes[2].depends_on, [changes[1].address.clone()]);
}

#[test]
fn a_replace_that_frees_a_name_goes_first() {
    let mut world = World::new();
    world.attach("z", "emea", "prod", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    // `z` moves to another name; `b` takes `Sales` (and would sort first without the edge).
    world.desired.attachments[0].follower_database_name =
        FollowerDatabaseName::Override("SalesOld".into());
    world.attach("b", "emea", "prod", "Sales");
    let changes = kfollow_graph::order(world.plan().changes).unwrap();
    assert!(position(&changes, "attachment.emea/z") < position(&changes, "attachment.emea/b"));
    assert_eq!(
        changes[position(&changes, "attachment.emea/b")]
            .depends_on
            .len(),
        1
    );
}
