use std::collections::BTreeMap;

use kfollow_model::{
    Action, Address, CachingPoliciesModificationKind, FollowerDatabaseName, Managed,
    ObservedPrincipal, Operation, Plan, PrincipalsModificationKind, Role,
};
use serde_json::json;

use crate::build::{World, principal, span};

fn commands(plan: &Plan, database: &str) -> Vec<String> {
    let change = plan
        .changes
        .iter()
        .find(|c| matches!(&c.address, Address::FollowerDatabase { database: d, .. } if d == database))
        .expect("a follower database change");
    change
        .operations
        .iter()
        .map(|op| match op {
            Operation::KustoCommand {
                csl, database: db, ..
            } => {
                assert_eq!(db, database);
                csl.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect()
}

/// `emea/sales` follows `prod/Sales` as `sales-emea`, with every setting managed.
fn with_settings() -> World {
    let mut world = World::new();
    world
        .attach("sales", "emea", "prod", "Sales")
        .follower_database_name = FollowerDatabaseName::Override("sales-emea".into());
    let s = world.settings("sales", "Sales");
    s.hot_cache_period = Managed::Set(span("7d"));
    s.tables = Some(BTreeMap::from([
        ("Orders".into(), span("30d")),
        ("Customers".into(), span("30d")),
        ("Logs".into(), span("1d")),
    ]));
    s.materialized_views = Some(BTreeMap::from([("DailySales".into(), span("90d"))]));
    s.principals = BTreeMap::from([
        (
            Role::Viewers,
            vec![
                principal("aadgroup=emea-analysts@fourthcoffee.com"),
                principal("aaduser=Alice@Contoso.com"),
            ],
        ),
        (Role::Admins, vec![]),
    ]);
    s.principals_modification_kind = Some(PrincipalsModificationKind::Replace);
    s.caching_policies_modification_kind = Some(CachingPoliciesModificationKind::Replace);
    s.prefetch_extents = Some(false);
    world
}

#[test]
fn a_new_follower_database_gets_its_settings_after_attach() {
    let world = with_settings();
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 2);
    assert_eq!(plan.count(Action::Attach), 1);
    let change = plan
        .changes
        .iter()
        .find(|c| c.address.to_string() == "follower_database.emea/sales-emea")
        .unwrap();
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.origin.map(|o| o.line), Some(25));
    // admins (empty, nothing live) and prefetch (false by default) are unchanged.
    assert_eq!(change.unchanged_attributes, 2);
    assert_eq!(
        commands(&plan, "sales-emea"),
        [
            ".add follower database ['sales-emea'] viewers ('aadgroup=emea-analysts@fourthcoffee.com') 'kfollow: aadgroup=emea-analysts@fourthcoffee.com'",
            ".add follower database ['sales-emea'] viewers ('aaduser=Alice@Contoso.com') 'kfollow: aaduser=Alice@Contoso.com'",
            ".alter follower database ['sales-emea'] principals-modification-kind = replace",
            ".alter follower database ['sales-emea'] policy caching hot = 7d",
            ".alter follower database ['sales-emea'] table Logs policy caching hot = 1d",
            ".alter follower database ['sales-emea'] tables (Customers, Orders) policy caching hot = 30d",
            ".alter follower database ['sales-emea'] materialized-view DailySales policy caching hot = 90d",
            ".alter follower database ['sales-emea'] caching-policies-modification-kind = replace",
        ]
    );
}

#[test]
fn applied_settings_show_no_changes() {
    for echo in [true, false] {
        let mut world = with_settings();
        world.echo_notes = echo;
        let plan = world.plan();
        world.apply(&plan);
        let live = &world.observed.clusters[&crate::build::id("emea")]
            .follower_settings
            .as_ref()
            .unwrap()["sales-emea"];
        let alice = &live.principals[&Role::Viewers][1];
        assert!(alice.fqn.starts_with("aaduser=") && !alice.fqn.contains('@'));
        assert_eq!(alice.notes.is_empty(), !echo);
        let again = world.plan();
        assert!(again.is_empty(), "{again:#?}");
        if echo {
            assert!(again.warnings.is_empty(), "{:?}", again.warnings);
        } else {
            // Alice is tied by the UPN the directory shows; a group named by its address
            // cannot be, and the plan says so rather than add or drop it.
            assert_eq!(again.warnings.len(), 1, "{:?}", again.warnings);
            assert!(
                again.warnings[0].starts_with(
                    "follower database `sales-emea` on `emea`, `viewers`: cannot tell whether the \
                     live principal `aadgroup="
                ) && again.warnings[0]
                    .contains("is `aadgroup=emea-analysts@fourthcoffee.com` of the manifest"),
                "{}",
                again.warnings[0]
            );
        }
    }
}

/// `hotCachePeriod: null` deletes a live database-level override, and says nothing when
/// there is none; left out, a live override is left alone.
#[test]
fn a_null_hot_cache_deletes_the_database_override() {
    let mut world = with_settings();
    let plan = world.plan();
    world.apply(&plan);
    world.settings("sales", "Sales").hot_cache_period = Managed::Unset;
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 1);
    let change = &plan.changes[0];
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.attributes.len(), 1);
    let removed = &change.attributes[0];
    assert_eq!(removed.name, "hotCachePeriod");
    assert_eq!(removed.before, Some(json!("7d")));
    assert_eq!(removed.after, None);
    assert_eq!(
        commands(&plan, "sales-emea"),
        [".delete follower database ['sales-emea'] policy caching"]
    );
    world.apply(&plan);
    let live = &world.observed.clusters[&crate::build::id("emea")]
        .follower_settings
        .as_ref()
        .unwrap()["sales-emea"];
    assert_eq!(live.hot_cache_period, None);
    let again = world.plan();
    // Nothing live: null already holds.
    assert!(again.is_empty(), "{again:#?}");
}

#[test]
fn a_null_hot_cache_on_a_new_follower_database_sends_nothing() {
    let mut world = World::new();
    world.attach("sales", "emea", "prod", "Sales");
    world.settings("sales", "Sales").hot_cache_period = Managed::Unset;
    let plan = world.plan();
    assert_eq!(plan.count(Action::Attach), 1);
    assert_eq!(plan.changes.len(), 1, "{plan:#?}");
}

#[test]
fn a_left_out_hot_cache_leaves_the_live_override_alone() {
    let mut world = with_settings();
    let plan = world.plan();
    world.apply(&plan);
    world.settings("sales", "Sales").hot_cache_period = Managed::Unmanaged;
    let plan = world.plan();
    assert!(plan.is_empty(), "{plan:#?}");
}

#[test]
fn principals_and_overrides_change_as_set_differences() {
    for echo in [true, false] {
        let mut world = with_settings();
        world.echo_notes = echo;
        let plan = world.plan();
        world.apply(&plan);
        // Someone added a viewer by hand; the manifest drops Alice, adds Bob, drops a table
        // override and writes an equal period another way.
        let mallory =
            "aaduser=99999999-abcd-efef-1234-350bf486087b;55555555-4444-3333-2222-2d7cd011db47";
        let live = world
            .live("emea")
            .follower_settings
            .as_mut()
            .unwrap()
            .get_mut("sales-emea")
            .unwrap();
        live.principals
            .get_mut(&Role::Viewers)
            .unwrap()
            .push(ObservedPrincipal {
                fqn: mallory.into(),
                display_name: "Mallory (upn: mallory@contoso.com)".into(),
                notes: String::new(),
                details: None,
            });
        world.read_principals();
        let s = world.settings("sales", "Sales");
        s.hot_cache_period = Managed::Set(span("168h"));
        s.tables.as_mut().unwrap().remove("Logs");
        s.principals.insert(
            Role::Viewers,
            vec![
                principal("aadgroup=emea-analysts@fourthcoffee.com"),
                principal("aaduser=bob@contoso.com"),
            ],
        );
        let plan = world.plan();
        assert_eq!(plan.changes.len(), 1);
        let change = &plan.changes[0];
        let alice_fqn = crate::build::normalised(&principal("aaduser=Alice@Contoso.com")).fqn;
        let group_fqn =
            crate::build::normalised(&principal("aadgroup=emea-analysts@fourthcoffee.com")).fqn;
        // Both ways, Bob cannot be Alice or Mallory (other UPNs): Bob is added, they are
        // dropped. Without notes, the group is left alone: nothing tells whether it is the
        // manifest's group.
        assert_eq!(
            commands(&plan, "sales-emea"),
            [
                ".add follower database ['sales-emea'] viewers ('aaduser=bob@contoso.com') 'kfollow: aaduser=bob@contoso.com'".to_owned(),
                format!(".drop follower database ['sales-emea'] viewers ('{alice_fqn}', '{mallory}')"),
                ".delete follower database ['sales-emea'] table Logs policy caching".to_owned(),
            ],
            "echo {echo}"
        );
        let viewers = change
            .attributes
            .iter()
            .find(|a| a.name == "principals.viewers")
            .unwrap();
        let (before, after) = if echo {
            (
                json!([
                    "aadgroup=emea-analysts@fourthcoffee.com",
                    "aaduser=Alice@Contoso.com",
                    mallory
                ]),
                json!([
                    "aadgroup=emea-analysts@fourthcoffee.com",
                    "aaduser=bob@contoso.com"
                ]),
            )
        } else {
            (
                json!([group_fqn, alice_fqn, mallory]),
                json!(["aaduser=bob@contoso.com", group_fqn]),
            )
        };
        assert_eq!(viewers.before, Some(before), "echo {echo}");
        assert_eq!(viewers.after, Some(after), "echo {echo}");
        assert_eq!(
            plan.warnings.len(),
            usize::from(!echo),
            "{:?}",
            plan.warnings
        );
        let logs = change
            .attributes
            .iter()
            .find(|a| a.name == "tables.Logs.hotCachePeriod")
            .unwrap();
        assert_eq!(
            (logs.before.clone(), logs.after.clone()),
            (Some(json!("1d")), None)
        );
        world.apply(&plan);
        assert!(world.plan().is_empty());
    }
}

/// Without notes, a live principal that may be a manifest one that is not tied yet is neither
/// dropped nor added; once the manifest names it as the service stores it, it is tied.
#[test]
fn an_undecided_principal_is_reported_not_dropped() {
    let mut world = with_settings();
    let plan = world.plan();
    world.apply(&plan);
    assert!(!world.echo_notes);
    let plan = world.plan();
    assert!(plan.is_empty());
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    let group_fqn =
        crate::build::normalised(&principal("aadgroup=emea-analysts@fourthcoffee.com")).fqn;
    let drop = format!(
        "remove the live one with `.drop follower database ['sales-emea'] viewers ('{group_fqn}')`"
    );
    assert!(
        plan.warnings[0].contains(&format!("`{group_fqn}` (Team "))
            && plan.warnings[0].contains(&drop),
        "{}",
        plan.warnings[0]
    );
    // As the warning says: the manifest names the group as the service stores it.
    world.settings("sales", "Sales").principals.insert(
        Role::Viewers,
        vec![
            principal(&group_fqn),
            principal("aaduser=Alice@Contoso.com"),
        ],
    );
    let plan = world.plan();
    assert!(plan.is_empty() && plan.warnings.is_empty(), "{plan:#?}");
    // A manifest that asks for another group (by its object id) drops the live one.
    world.settings("sales", "Sales").principals.insert(
        Role::Viewers,
        vec![
            principal("aadgroup=0a1b2c3d-abcd-efef-1234-350bf486087b;55555555-4444-3333-2222-2d7cd011db47"),
            principal("aaduser=Alice@Contoso.com"),
        ],
    );
    let plan = world.plan();
    let commands = commands(&plan, "sales-emea");
    assert_eq!(commands.len(), 2, "{commands:#?}");
    assert!(
        commands[0]
            .starts_with(".add follower database ['sales-emea'] viewers ('aadgroup=0a1b2c3d")
    );
    assert_eq!(
        commands[1],
        format!(".drop follower database ['sales-emea'] viewers ('{group_fqn}')")
    );
}

#[test]
fn settings_not_read_are_left_alone_with_a_warning() {
    let mut world = with_settings();
    let plan = world.plan();
    world.apply(&plan);
    world.live("emea").follower_settings = None;
    world.settings("sales", "Sales").prefetch_extents = Some(true);
    let plan = world.plan();
    assert!(plan.is_empty());
    assert_eq!(
        plan.warnings,
        [
            "the follower database settings of `emea` were not read; the settings of `sales-emea` are left as they are"
        ]
    );
}

#[test]
fn a_replacement_applies_the_settings_again() {
    let mut world = with_settings();
    let plan = world.plan();
    world.apply(&plan);
    world.desired.attachments[0].default_principals_modification_kind =
        PrincipalsModificationKind::None;
    world.desired.attachments[0].database = kfollow_model::DatabaseSelection::One("Logs".into());
    let settings = world.desired.attachments[0]
        .follower_databases
        .remove("Sales")
        .unwrap();
    world.desired.attachments[0]
        .follower_databases
        .insert("Logs".into(), settings);
    let plan = world.plan();
    assert_eq!(plan.count(Action::Replace), 1);
    let commands = commands(&plan, "sales-emea");
    assert_eq!(commands.len(), 8, "{commands:#?}");
}

#[test]
fn every_follower_database_of_a_star_attachment_is_checked() {
    let mut world = World::new();
    world
        .attach("all", "emea", "prod", "*")
        .follower_database_name = FollowerDatabaseName::Prefix("p_".into());
    world.settings("all", "Logs").prefetch_extents = Some(true);
    world.settings("all", "Gone").prefetch_extents = Some(true);
    assert_eq!(
        world.errors(),
        ["kfollow.yaml:25:7: leader database `Gone` does not exist on `prod`"]
    );
    world.desired.attachments[0]
        .follower_databases
        .remove("Gone");
    let plan = world.plan();
    assert_eq!(
        commands(&plan, "p_Logs"),
        [".alter follower database p_Logs prefetch-extents = true"]
    );
}
