//! A plan right after an apply is empty, over many generated manifests.

use std::collections::BTreeMap;

use kfollow_model::{
    CachingPoliciesModificationKind, FollowerDatabaseName, Managed, PrincipalsModificationKind,
    Role,
};
use proptest::prelude::*;

use crate::build::{World, principal, span};

#[derive(Debug, Clone)]
struct Spec {
    database: &'static str,
    naming: u8,
    kind: u8,
    tables: Vec<String>,
    hot: Managed<i64>,
    overrides: BTreeMap<String, i64>,
    viewers: Vec<String>,
    prefetch: Option<bool>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::sample::select(vec!["Sales", "Logs", "*"]),
        0u8..3,
        0u8..3,
        prop::collection::vec("[A-Z][a-z]{0,4}", 0..4),
        prop_oneof![
            Just(Managed::Unmanaged),
            Just(Managed::Unset),
            (0i64..400).prop_map(Managed::Set),
        ],
        prop::collection::btree_map("[A-Z][a-z]{0,4}", 0i64..100, 0..3),
        prop::collection::vec(
            "(aaduser|aadgroup)=[a-z]{1,5}@(Contoso|fabrikam)\\.com",
            0..3,
        ),
        prop::option::of(any::<bool>()),
    )
        .prop_map(
            |(database, naming, kind, tables, hot, overrides, viewers, prefetch)| Spec {
                database,
                naming,
                kind,
                tables,
                hot,
                overrides,
                viewers,
                prefetch,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn apply_then_plan_shows_no_changes(
        specs in prop::collection::vec(spec(), 1..6),
        echo_notes in any::<bool>(),
    ) {
        let mut world = World::new();
        world.echo_notes = echo_notes;
        for (i, s) in specs.iter().enumerate() {
            let follower = format!("f{i}");
            world.cluster(&follower);
            let a = world.attach(&format!("att{i}"), &follower, "prod", s.database);
            a.follower_database_name = match (s.naming, s.database) {
                (1, "*") | (2, _) => FollowerDatabaseName::Prefix("x_".into()),
                (1, _) => FollowerDatabaseName::Override(format!("Renamed{i}")),
                _ => FollowerDatabaseName::Same,
            };
            a.default_principals_modification_kind = PrincipalsModificationKind::ALL[usize::from(s.kind)];
            if s.database != "*" {
                a.table_level_sharing.tables_to_include = s.tables.clone();
            }
            let leader_database = if s.database == "*" { "Logs" } else { s.database };
            let settings = world.settings(&format!("att{i}"), leader_database);
            settings.hot_cache_period = match s.hot {
                Managed::Unmanaged => Managed::Unmanaged,
                Managed::Unset => Managed::Unset,
                Managed::Set(h) => Managed::Set(span(&format!("{h}h"))),
            };
            settings.tables = Some(s.overrides.iter().map(|(t, d)| (t.clone(), span(&format!("{d}d")))).collect());
            settings.principals.insert(Role::Viewers, s.viewers.iter().map(|p| principal(p)).collect());
            settings.prefetch_extents = s.prefetch;
            settings.caching_policies_modification_kind = Some(CachingPoliciesModificationKind::ALL[usize::from(s.kind)]);
        }
        let plan = world.plan();
        prop_assert!(!plan.is_empty());
        world.apply(&plan);
        let again = world.plan();
        prop_assert!(again.is_empty(), "{:#?}", again);
        prop_assert!(again.unmanaged.is_empty());
        // With the notes shown, every principal is tied; without, only a group named by its
        // address may be undecided, and the plan says so.
        for warning in &again.warnings {
            prop_assert!(!echo_notes && warning.contains("`aadgroup="), "{}", warning);
        }
    }
}

#[test]
fn a_thousand_attachments_plan_empty_after_apply() {
    let mut world = World::new();
    for c in 0..50 {
        world.cluster(&format!("f{c}"));
    }
    for i in 0..1000 {
        let follower = format!("f{}", i % 50);
        let a = world.attach(&format!("a{i}"), &follower, "prod", "Sales");
        a.follower_database_name = FollowerDatabaseName::Override(format!("Sales{i}"));
        world.settings(&format!("a{i}"), "Sales").hot_cache_period = Managed::Set(span("7d"));
    }
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 2000);
    let ordered = kfollow_graph::order(plan.changes.clone()).unwrap();
    assert_eq!(ordered.len(), 2000);
    world.apply(&plan);
    assert!(world.plan().is_empty());
}
