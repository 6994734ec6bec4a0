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
    let world = renamed();
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

/// `old` (reported back as `OLD`) goes (unmanaged, detach); `new` takes its follower database
/// name, with settings.
fn renamed() -> World {
    let mut world = World::new();
    world.attach("old", "emea", "prod", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    world.desired.attachments.clear();
    world.declared("emea").unmanaged_attachments = UnmanagedPolicy::Detach;
    world.attach("new", "emea", "prod", "Sales");
    world.settings("new", "Sales").prefetch_extents = Some(true);
    world
}

#[test]
fn the_ordered_plan_is_the_graph_s_and_a_target_keeps_what_it_depends_on() {
    let world = renamed();
    let addresses = |plan: &kfollow_model::Plan| -> Vec<String> {
        plan.changes.iter().map(|c| c.address.to_string()).collect()
    };
    let (plan, graph) = kfollow_diff::ordered_plan(&world.desired, &world.observed, &[]).unwrap();
    assert_eq!(
        addresses(&plan),
        [
            "attachment.emea/OLD",
            "attachment.emea/new",
            "follower_database.emea/Sales"
        ]
    );
    assert_eq!(plan.changes, graph.changes().cloned().collect::<Vec<_>>());
    assert_eq!(
        plan.changes[1].depends_on,
        [plan.changes[0].address.clone()]
    );

    let targets = ["attachment.emea/new".to_owned()];
    let (plan, graph) =
        kfollow_diff::ordered_plan(&world.desired, &world.observed, &targets).unwrap();
    assert_eq!(
        addresses(&plan),
        ["attachment.emea/OLD", "attachment.emea/new"]
    );
    assert_eq!(graph.changes().count(), 2);
    assert_eq!(plan.targeting.unwrap().targets, targets);
}

#[test]
fn no_plan_is_made_for_an_unknown_target_or_a_live_problem() {
    let mut world = renamed();
    let error = kfollow_diff::ordered_plan(
        &world.desired,
        &world.observed,
        &["attachment.emea/nwe".to_owned()],
    )
    .unwrap_err();
    assert!(
        matches!(error, kfollow_diff::PlanError::Target(_)),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("did you mean:\n  attachment.emea/new"),
        "{error}"
    );

    world.live("emea").state = "Stopped".into();
    let error = kfollow_diff::ordered_plan(&world.desired, &world.observed, &[]).unwrap_err();
    let kfollow_diff::PlanError::Live(problems) = &error else {
        panic!("{error:?}");
    };
    let count = problems.0.len();
    assert!(count >= 1);
    let plural = if count == 1 { "" } else { "s" };
    assert_eq!(
        error.to_string(),
        format!("the plan cannot be made ({count} problem{plural})")
    );
}
