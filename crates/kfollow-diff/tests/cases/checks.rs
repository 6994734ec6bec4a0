use std::collections::{BTreeMap, BTreeSet};

use kfollow_model::{
    DatabaseKind, FollowerDatabaseName, ObservedDatabase, ObservedEntities, SourceLocation,
    UnmanagedPolicy,
};

use crate::build::{World, id, span};

#[test]
fn every_live_check_failure_is_reported_at_once() {
    let mut world = World::new();
    world.cluster("west");
    world.live("west").location = "West US".into();
    world.cluster("apac");
    world.live("apac").state = "Stopped".into();
    world.attach("missing", "emea", "prod", "Nope");
    world.attach("far", "west", "prod", "Sales");
    world.attach("asleep", "apac", "prod", "Sales");
    assert_eq!(
        world.errors(),
        [
            "kfollow.yaml:12:3: cluster `apac` is `Stopped`, not `Running`, so kfollow can \
             neither read its databases nor change it; start it with `az kusto cluster start \
             --name fcapac --resource-group rg-analytics --subscription \
             11111111-1111-1111-1111-111111111111` or from the Azure portal, then plan again",
            "kfollow.yaml:20:5: leader database `Nope` does not exist on `prod`",
            "kfollow.yaml:30:5: leader `prod` is in `westeurope` and follower `west` in `West US`; \
             a follower must be in its leader's region",
        ]
    );
}

#[test]
fn every_cluster_that_is_not_running_is_named_once_with_its_fix_and_nothing_else() {
    // A stopped leader and a starting follower, each used by two attachments: one error per
    // cluster, and none of the errors their unread databases would cause (a leader database
    // "missing", a follower database name "free").
    let mut world = World::new();
    world.live("prod").state = "Stopped".into();
    world.live("prod").databases.clear();
    world.cluster("apac");
    world.live("apac").state = "Starting".into();
    world.database("emea", "Web");
    world.attach("sales", "emea", "prod", "Sales");
    world.attach("logs", "emea", "prod", "Logs");
    world.attach("web", "apac", "emea", "Web");
    world.attach("web2", "apac", "emea", "Web");
    let errors = world.errors();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(
        errors[0],
        "kfollow.yaml:9:3: cluster `apac` is `Starting`, not `Running`, so kfollow can neither \
         read its databases nor change it; wait until it is `Running`, then plan again"
    );
    assert!(
        errors[1].starts_with("kfollow.yaml:3:3: cluster `prod` is `Stopped`, not `Running`"),
        "{}",
        errors[1]
    );
    assert!(
        errors[1].contains("`az kusto cluster start --name fcprod --resource-group rg-analytics"),
        "{}",
        errors[1]
    );
}

#[test]
fn a_stopped_cluster_the_plan_would_write_to_is_an_error() {
    // No manifest attachment uses `emea`, but it says `unmanagedAttachments: detach` and has
    // one: the detach would be refused, so the plan cannot be made.
    let mut world = World::new();
    world.declared("emea").unmanaged_attachments = UnmanagedPolicy::Detach;
    world.attach("sales", "emea", "prod", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    world.desired.attachments.clear();
    world.live("emea").state = "Stopped".into();
    let errors = world.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("kfollow.yaml:6:3: cluster `emea` is `Stopped`"),
        "{}",
        errors[0]
    );
    // Running again, the detach is planned.
    world.live("emea").state = "Running".into();
    assert_eq!(world.plan().changes.len(), 1);
}

#[test]
fn a_missing_cluster_and_a_wrong_location_name_the_cluster_line() {
    let mut world = World::new();
    world.observed.clusters.remove(&id("emea"));
    world.declared("prod").location = Some("North Europe".into());
    world.attach("sales", "emea", "prod", "Sales");
    let errors = world.errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("kfollow.yaml:6:3: cluster `emea` (`/subscriptions/"))
    );
    assert!(errors.contains(
        &"kfollow.yaml:3:3: cluster `prod` is in `westeurope`, but the manifest says `location: North Europe`"
            .to_owned()
    ));
    // The same region, spelled the ARM display way, is fine.
    let mut world = World::new();
    world.declared("prod").location = Some("West Europe".into());
    world.attach("sales", "emea", "prod", "Sales");
    assert_eq!(world.plan().changes.len(), 1);
}

#[test]
fn following_a_follower_database_is_refused() {
    let mut world = World::new();
    world.live("prod").databases.push(ObservedDatabase {
        name: "Mirror".into(),
        kind: DatabaseKind::ReadOnlyFollowing,
        leader_cluster_id: Some(id("other")),
        attached_database_configuration_name: Some("mirror".into()),
        original_database_name: Some("Mirror".into()),
        hot_cache_period: None,
        database_share_origin: None,
    });
    world.attach("mirror", "emea", "prod", "mirror");
    assert_eq!(
        world.errors(),
        [
            "kfollow.yaml:20:5: `mirror` on `prod` is a follower database (`ReadOnlyFollowing`); \
          only a read-write database can be followed, follow its leader instead"
        ]
    );
}

#[test]
fn the_follower_database_name_must_be_free() {
    let mut world = World::new();
    world.database("emea", "SalesEmea");
    world
        .attach("sales", "emea", "prod", "Sales")
        .follower_database_name = FollowerDatabaseName::Override("salesemea".into());
    assert_eq!(
        world.errors(),
        [
            "kfollow.yaml:20:5: follower database name `salesemea` is taken on `emea` by a read-write database"
        ]
    );
}

#[test]
fn a_name_held_by_an_unmanaged_attachment_is_taken_unless_it_is_detached() {
    let mut world = World::new();
    world.attach("old", "emea", "prod", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    world.desired.attachments.clear();
    world.attach("new", "emea", "prod", "Sales");
    assert_eq!(
        world.errors(),
        [
            "kfollow.yaml:20:5: follower database name `Sales` is taken on `emea` by the follower database of attachment `old`"
        ]
    );
    world.declared("emea").unmanaged_attachments = kfollow_model::UnmanagedPolicy::Detach;
    let plan = world.plan();
    assert_eq!(plan.changes.len(), 2);
}

#[test]
fn an_attachment_may_keep_its_own_name_and_all_databases_are_checked() {
    let mut world = World::new();
    world.attach("all", "emea", "prod", "*");
    let plan = world.plan();
    world.apply(&plan);
    assert!(world.plan().is_empty());
    // A new prefix frees the old names and claims new ones: `emea_Logs` is taken, and the
    // service follows the other databases (a database of the follower cluster takes
    // precedence): a warning naming the database not followed, not an error.
    world.database("emea", "emea_Logs");
    world.desired.attachments[0].follower_database_name =
        FollowerDatabaseName::Prefix("emea_".into());
    let plan = world.plan();
    assert_eq!(plan.count(kfollow_model::Action::Replace), 1);
    assert_eq!(
        plan.warnings,
        [
            "`\"*\"` attachment `all` on `emea` does not follow leader database `Logs` of `prod`: \
             its follower database name `emea_Logs` is taken on `emea` by a read-write database, \
             and a database of the follower cluster takes precedence over a leader database of \
             the same name (https://learn.microsoft.com/azure/data-explorer/follower)"
        ]
    );
}

fn names(list: &[&str]) -> Option<BTreeSet<String>> {
    Some(list.iter().map(|n| (*n).to_owned()).collect())
}

/// `prod`'s `Sales` as `.show tables details` and `.show materialized-views` answered.
fn sales_entities(world: &mut World, tables: &[&str], views: &[&str]) {
    world.live("prod").database_entities.insert(
        "Sales".into(),
        ObservedEntities {
            tables: names(tables),
            materialized_views: names(views),
            ..ObservedEntities::default()
        },
    );
}

#[test]
fn caching_overrides_name_entities_of_the_leader_database() {
    let mut world = World::new();
    world.attach("sales", "emea", "prod", "Sales");
    let settings = world.settings("sales", "Sales");
    settings.tables = Some(BTreeMap::from([
        ("Orders".to_owned(), span("30d")),
        ("orders".to_owned(), span("30d")),
        ("Ordrs".to_owned(), span("30d")),
    ]));
    settings.table_origins = BTreeMap::from([
        (
            "orders".to_owned(),
            SourceLocation {
                line: 27,
                column: 9,
            },
        ),
        (
            "Ordrs".to_owned(),
            SourceLocation {
                line: 28,
                column: 9,
            },
        ),
    ]);
    settings.materialized_views = Some(BTreeMap::from([("Hourly".to_owned(), span("1d"))]));
    sales_entities(&mut world, &["Orders", "Customers"], &["Daily"]);
    assert_eq!(
        world.errors(),
        [
            "kfollow.yaml:27:9: table `orders` does not exist in database `Sales` on leader `prod`, \
             so its caching override cannot be set; did you mean `Orders`? (names are case-sensitive)",
            "kfollow.yaml:28:9: table `Ordrs` does not exist in database `Sales` on leader `prod`, \
             so its caching override cannot be set; fix the name or remove the override",
            // Without an origin of its own, the view is reported at its settings.
            "kfollow.yaml:25:7: materialized view `Hourly` does not exist in database `Sales` on \
             leader `prod`, so its caching override cannot be set; fix the name or remove the override",
        ]
    );
    // What was not read is not judged: the entities of a database are read only when
    // overrides name some, and only those kinds.
    world.live("prod").database_entities.clear();
    assert!(!world.plan().is_empty());
}

#[test]
fn a_follow_all_attachment_checks_each_leader_database_it_sets() {
    let mut world = World::new();
    world.attach("all", "emea", "prod", "*");
    world.settings("all", "Sales").tables = Some(BTreeMap::from([("Gone".to_owned(), span("1d"))]));
    sales_entities(&mut world, &["Orders"], &[]);
    assert_eq!(
        world.errors(),
        [
            "kfollow.yaml:25:7: table `Gone` does not exist in database `Sales` on leader `prod`, \
             so its caching override cannot be set; fix the name or remove the override"
        ]
    );
}

#[test]
fn a_star_attachment_plans_no_settings_for_a_shadowed_database() {
    let mut world = World::new();
    world.database("emea", "Logs");
    world.attach("all", "emea", "prod", "*");
    world.settings("all", "logs").prefetch_extents = Some(true);
    world.settings("all", "Sales").prefetch_extents = Some(true);
    let plan = world.plan();
    // The attach, and the settings of `Sales` only: `Logs` is the follower cluster's own.
    assert_eq!(plan.changes.len(), 2, "{plan:#?}");
    assert!(
        plan.changes
            .iter()
            .all(|c| c.address.to_string() != "follower_database.emea/Logs"),
        "{plan:#?}"
    );
    let shadowed = "`\"*\"` attachment `all` on `emea` does not follow leader database `Logs` of \
        `prod`: its follower database name `Logs` is taken on `emea` by a read-write database, \
        and a database of the follower cluster takes precedence over a leader database of the \
        same name (https://learn.microsoft.com/azure/data-explorer/follower); the settings under \
        `followerDatabases.logs` are not planned";
    assert_eq!(plan.warnings, [shadowed]);
    // Once attached, the settings of `Logs` are still not planned, and the plan says why.
    world.apply(&plan);
    let again = world.plan();
    assert!(again.is_empty(), "{again:#?}");
    assert_eq!(again.warnings, [shadowed]);
}

#[test]
fn a_name_taken_by_another_attachment_shadows_a_star_database_too() {
    let mut world = World::new();
    world.cluster("other");
    world.database("other", "Sales");
    world.attach("one", "emea", "other", "Sales");
    let plan = world.plan();
    world.apply(&plan);
    world.attach("all", "emea", "prod", "*");
    let plan = world.plan();
    assert_eq!(plan.count(kfollow_model::Action::Attach), 1);
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    assert!(
        plan.warnings[0].contains(
            "does not follow leader database `Sales` of `prod`: its follower database name \
             `Sales` is taken on `emea` by the follower database of attachment `one`"
        ),
        "{}",
        plan.warnings[0]
    );
}

#[test]
fn sharing_entries_that_match_nothing_on_the_leader_are_warnings() {
    let mut world = World::new();
    let sharing = &mut world
        .attach("sales", "emea", "prod", "Sales")
        .table_level_sharing;
    sharing.tables_to_include = vec!["Orders".into(), "Logs*".into(), "orders".into()];
    sharing.tables_to_exclude = vec!["Debug*".into()];
    sharing.materialized_views_to_include = vec!["Daily".into(), "Hourly".into()];
    sharing.external_tables_to_include = vec!["NotRead".into()];
    sales_entities(&mut world, &["Orders", "Logs2026"], &["Daily"]);
    let plan = world.plan();
    assert_eq!(
        plan.warnings,
        [
            "kfollow.yaml:20:5: `tablesToInclude` entry `orders` of attachment `sales` on `emea` \
             matches no table of database `Sales` on leader `prod` (names are case-sensitive; \
             did you mean `Orders`?); it takes effect only once the leader has such a table",
            "kfollow.yaml:20:5: `tablesToExclude` entry `Debug*` of attachment `sales` on `emea` \
             matches no table of database `Sales` on leader `prod` (names are case-sensitive); \
             it takes effect only once the leader has such a table",
            "kfollow.yaml:20:5: `materializedViewsToInclude` entry `Hourly` of attachment `sales` \
             on `emea` matches no materialized view of database `Sales` on leader `prod` (names \
             are case-sensitive); it takes effect only once the leader has such a materialized view",
        ]
    );
    // Kinds that were not read are not judged.
    world.live("prod").database_entities.clear();
    assert!(world.plan().warnings.is_empty());
}

#[test]
fn external_table_and_function_entries_that_match_nothing_are_warnings() {
    let mut world = World::new();
    let sharing = &mut world
        .attach("sales", "emea", "prod", "Sales")
        .table_level_sharing;
    sharing.external_tables_to_include = vec!["Archive*".into(), "Archiv".into()];
    sharing.external_tables_to_exclude = vec!["archive2019".into()];
    sharing.functions_to_include = vec!["Report*".into(), "Scoring".into()];
    sharing.functions_to_exclude = vec!["*".into()];
    world.live("prod").database_entities.insert(
        "Sales".into(),
        ObservedEntities {
            external_tables: names(&["Archive2019"]),
            functions: names(&["ReportLiquidity", "ScoreCustomer"]),
            ..ObservedEntities::default()
        },
    );
    assert_eq!(
        world.plan().warnings,
        [
            "kfollow.yaml:20:5: `externalTablesToInclude` entry `Archiv` of attachment `sales` \
             on `emea` matches no external table of database `Sales` on leader `prod` (names \
             are case-sensitive); it takes effect only once the leader has such an external \
             table",
            "kfollow.yaml:20:5: `externalTablesToExclude` entry `archive2019` of attachment \
             `sales` on `emea` matches no external table of database `Sales` on leader `prod` \
             (names are case-sensitive; did you mean `Archive2019`?); it takes effect only once \
             the leader has such an external table",
            "kfollow.yaml:20:5: `functionsToInclude` entry `Scoring` of attachment `sales` on \
             `emea` matches no function of database `Sales` on leader `prod` (names are \
             case-sensitive); it takes effect only once the leader has such a function",
        ]
    );
    // Everything matching: no warning.
    let sharing = &mut world.desired.attachments[0].table_level_sharing;
    sharing.external_tables_to_include = vec!["Archive*".into()];
    sharing.external_tables_to_exclude.clear();
    sharing.functions_to_include = vec!["Report*".into(), "ScoreCustomer".into()];
    assert_eq!(world.plan().warnings, Vec::<String>::new());
}
