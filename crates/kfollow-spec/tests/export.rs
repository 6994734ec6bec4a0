//! [`kfollow_spec::export`] and [`kfollow_spec::load`] together: the manifest written from a
//! live state reads back as the same topology, and the plan it makes against that state holds
//! no change (what `kfollow export` promises).
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeMap;

use kfollow_model::{
    CachingPoliciesModificationKind, ClusterId, DatabaseKind, DatabaseSelection, Desired,
    FollowerDatabaseName, Managed, Observed, ObservedAttachment, ObservedCluster, ObservedDatabase,
    ObservedFollowerSettings, ObservedPrincipal, Principal, PrincipalsModificationKind, Role,
    TableLevelSharing, Timespan,
};
use kfollow_spec::Exported;
use proptest::prelude::*;

const SUBSCRIPTION: &str = "11111111-1111-1111-1111-111111111111";

fn id(group: &str, name: &str) -> ClusterId {
    ClusterId::new(SUBSCRIPTION, group, name).unwrap()
}

fn span(text: &str) -> Timespan {
    Timespan::parse(text).unwrap()
}

fn principal(text: &str) -> Principal {
    text.parse().unwrap()
}

/// A live state being built: running clusters in West Europe, each with its follower database
/// settings read.
#[derive(Default)]
struct Live {
    observed: Observed,
}

impl Live {
    fn cluster(&mut self, id: &ClusterId) -> &mut ObservedCluster {
        self.observed
            .clusters
            .entry(id.clone())
            .or_insert_with(|| ObservedCluster {
                id: id.clone(),
                location: "West Europe".into(),
                state: "Running".into(),
                uri: format!("https://{}.westeurope.kusto.windows.net", id.name()),
                databases: Vec::new(),
                attachments: Vec::new(),
                followers: Vec::new(),
                follower_settings: Some(BTreeMap::new()),
                database_entities: BTreeMap::new(),
            })
    }

    fn database(&mut self, cluster: &ClusterId, name: &str) {
        self.cluster(cluster).databases.push(ObservedDatabase {
            name: name.into(),
            kind: DatabaseKind::ReadWrite,
            leader_cluster_id: None,
            attached_database_configuration_name: None,
            original_database_name: None,
            hot_cache_period: None,
            database_share_origin: None,
        });
    }

    fn attach(
        &mut self,
        follower: &ClusterId,
        name: &str,
        leader: &ClusterId,
        database: &str,
    ) -> &mut ObservedAttachment {
        let attachments = &mut self.cluster(follower).attachments;
        attachments.push(ObservedAttachment {
            name: name.into(),
            location: "West Europe".into(),
            leader: leader.clone(),
            database_name: database.into(),
            database_name_override: None,
            database_name_prefix: None,
            default_principals_modification_kind: PrincipalsModificationKind::Union,
            table_level_sharing: TableLevelSharing::default(),
            attached_database_names: Vec::new(),
            provisioning_state: Some("Succeeded".into()),
        });
        attachments.last_mut().unwrap()
    }

    /// The follower database `name` that attachment `attachment` made of the leader database
    /// `original` (`None`: ARM does not say which), with the settings of a fresh attach.
    fn follower_database(
        &mut self,
        follower: &ClusterId,
        attachment: &str,
        name: &str,
        original: Option<&str>,
    ) -> &mut ObservedFollowerSettings {
        let cluster = self.cluster(follower);
        let leader = cluster.attachment(attachment).unwrap().leader.clone();
        let kind = cluster
            .attachment(attachment)
            .unwrap()
            .default_principals_modification_kind;
        cluster.databases.push(ObservedDatabase {
            name: name.into(),
            kind: DatabaseKind::ReadOnlyFollowing,
            leader_cluster_id: Some(leader),
            attached_database_configuration_name: Some(attachment.into()),
            original_database_name: original.map(str::to_owned),
            hot_cache_period: None,
            database_share_origin: None,
        });
        let settings = cluster.follower_settings.get_or_insert_default();
        settings.insert(
            name.into(),
            ObservedFollowerSettings {
                database_name: name.into(),
                principals_modification_kind: kind,
                ..ObservedFollowerSettings::default()
            },
        );
        settings.get_mut(name).unwrap()
    }
}

/// Exports `followers` and reads the text back; the text is in every failure message.
fn round_trip(live: &Live, followers: &[ClusterId]) -> (Exported, Desired) {
    let exported = kfollow_spec::export(followers, &live.observed);
    let validated = load(&exported);
    assert!(
        validated.warnings.is_empty(),
        "{}\n{:?}",
        exported.text,
        validated.warnings
    );
    (exported, validated.desired)
}

/// The exported text, read back; a failure names every diagnostic.
fn load(exported: &Exported) -> kfollow_spec::Validated {
    kfollow_spec::load("exported.yaml", &exported.text).unwrap_or_else(|errors| {
        let messages: Vec<String> = errors
            .all()
            .iter()
            .map(|d| format!("{}: {}", d.locate(), d.message))
            .collect();
        panic!("{}\n{}", exported.text, messages.join("\n"))
    })
}

/// The plan of the exported manifest against the state it came from changes nothing.
#[track_caller]
fn assert_plans_nothing(live: &Live, exported: &Exported, desired: &Desired) {
    match kfollow_diff::diff(desired, &live.observed) {
        Ok(plan) => assert!(
            plan.is_empty(),
            "{}\n{:#?}",
            exported.text,
            plan.changes
                .iter()
                .map(|c| (c.address.to_string(), &c.attributes))
                .collect::<Vec<_>>()
        ),
        Err(errors) => panic!("{}\n{errors}", exported.text),
    }
}

fn attachment<'d>(desired: &'d Desired, name: &str) -> &'d kfollow_model::DesiredAttachment {
    desired
        .attachments
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no attachment `{name}` in {:#?}", desired.attachments))
}

/// Names YAML would read as something else, a `"*"` attachment with settings for some of its
/// follower databases, sharing lists with wildcards and quotes, principals in every form the service
/// hands back, timespans of every unit, and a database-level hot cache both set and absent.
#[test]
fn a_follower_reads_back_as_the_same_topology() {
    let mut live = Live::default();
    let follower = id("rg-follow", "Follower");
    let (lead, lead_too) = (id("rg-a", "lead"), id("rg-b", "LEAD"));
    for database in ["Sales", "yes", "2026", "Web Logs"] {
        live.database(&lead, database);
    }
    live.database(&lead_too, "null");

    let all = live.attach(&follower, "every: one", &lead, "*");
    all.database_name_prefix = Some("x-".into());
    // ARM names the leader database of this one; the others only by their prefixed name.
    let sales = live.follower_database(&follower, "every: one", "x-Sales", Some("Sales"));
    sales.hot_cache_period = Some(span("36h"));
    sales.tables = BTreeMap::from([
        ("Logs 2026".to_owned(), span("100ms")),
        ("on".to_owned(), span("15tick")),
    ]);
    sales.principals.insert(
        Role::Viewers,
        vec![ObservedPrincipal {
            fqn: "aaduser=87654321-abcd;55555555-4444".into(),
            display_name: "Alice (upn: alice@contoso.com)".into(),
            notes: "kfollow: aaduser=alice@contoso.com".into(),
            details: None,
        }],
    );
    sales.principals.insert(
        Role::Admins,
        vec![ObservedPrincipal {
            fqn: "aadgroup=11112222-3333;contoso.com".into(),
            display_name: "Data team".into(),
            notes: String::new(),
            details: None,
        }],
    );
    let yes = live.follower_database(&follower, "every: one", "X-yes", None);
    yes.materialized_views = BTreeMap::from([("null".to_owned(), span("1.5d"))]);
    yes.caching_policies_modification_kind = CachingPoliciesModificationKind::Replace;
    yes.prefetch_extents = true;
    // A follower database at the settings of a fresh attach is left out.
    live.follower_database(&follower, "every: one", "x-2026", Some("2026"));

    let one = live.attach(&follower, "true", &lead_too, "null");
    one.database_name_override = Some("1 ".into());
    one.default_principals_modification_kind = PrincipalsModificationKind::None;
    one.table_level_sharing.tables_to_include = vec!["Logs*".into(), "*".into(), "on".into()];
    one.table_level_sharing.functions_to_exclude = vec!["a: b".into(), "say \"hi\"".into()];
    one.table_level_sharing.materialized_views_to_include = vec!["~".into(), "-1".into()];
    let renamed = live.follower_database(&follower, "true", "1 ", Some("null"));
    renamed.principals_modification_kind = PrincipalsModificationKind::Replace;

    let (exported, desired) = round_trip(&live, std::slice::from_ref(&follower));
    assert_eq!(
        (
            exported.clusters,
            exported.attachments,
            exported.warnings.len()
        ),
        (3, 2, 0)
    );
    let aliases: Vec<(&str, String)> = desired
        .clusters
        .values()
        .map(|c| (c.alias.as_str(), c.id.to_string()))
        .collect();
    assert_eq!(
        aliases,
        [
            ("follower", follower.to_string()),
            ("lead", lead.to_string()),
            ("lead-2", lead_too.to_string()),
        ]
    );
    assert!(
        desired
            .clusters
            .values()
            .all(|c| c.location.as_deref() == Some("West Europe"))
    );

    let all = attachment(&desired, "every: one");
    assert_eq!((&*all.follower, &*all.leader), ("follower", "lead"));
    assert_eq!(all.database, DatabaseSelection::All);
    assert_eq!(
        all.follower_database_name,
        FollowerDatabaseName::Prefix("x-".into())
    );
    assert_eq!(
        all.default_principals_modification_kind,
        PrincipalsModificationKind::Union
    );
    assert_eq!(
        all.follower_databases.keys().collect::<Vec<_>>(),
        ["Sales", "yes"]
    );
    let sales = &all.follower_databases["Sales"];
    assert_eq!(sales.hot_cache_period, Managed::Set(span("36h")));
    assert_eq!(
        sales.tables,
        Some(BTreeMap::from([
            ("Logs 2026".to_owned(), Timespan::from_ticks(1_000_000)),
            ("on".to_owned(), Timespan::from_ticks(15)),
        ]))
    );
    assert_eq!(sales.materialized_views, None);
    assert_eq!(
        sales.principals,
        BTreeMap::from([
            (
                Role::Admins,
                vec![principal("aadgroup=11112222-3333;contoso.com")]
            ),
            (Role::Viewers, vec![principal("aaduser=alice@contoso.com")]),
        ])
    );
    // As a fresh attach leaves them: not written, so not managed.
    assert_eq!(sales.principals_modification_kind, None);
    let yes = &all.follower_databases["yes"];
    // No database-level hot cache live: the key is left out (not managed), never `null`
    // (which would delete one).
    assert_eq!(yes.hot_cache_period, Managed::Unmanaged);
    assert_eq!(
        yes.materialized_views,
        Some(BTreeMap::from([("null".to_owned(), span("36h"))]))
    );
    assert_eq!(yes.tables, None);
    assert_eq!(
        yes.caching_policies_modification_kind,
        Some(CachingPoliciesModificationKind::Replace)
    );
    assert_eq!(yes.prefetch_extents, Some(true));
    assert!(!exported.text.contains("null\n"), "{}", exported.text);

    let one = attachment(&desired, "true");
    assert_eq!((&*one.follower, &*one.leader), ("follower", "lead-2"));
    assert_eq!(one.database, DatabaseSelection::One("null".into()));
    assert_eq!(
        one.default_principals_modification_kind,
        PrincipalsModificationKind::None
    );
    assert_eq!(
        one.follower_database_name,
        FollowerDatabaseName::Override("1 ".into())
    );
    let sharing = &one.table_level_sharing;
    assert_eq!(sharing.tables_to_include, ["Logs*", "*", "on"]);
    assert_eq!(sharing.functions_to_exclude, ["a: b", "say \"hi\""]);
    assert_eq!(sharing.materialized_views_to_include, ["~", "-1"]);
    let renamed = &one.follower_databases["null"];
    assert_eq!(
        renamed.principals_modification_kind,
        Some(PrincipalsModificationKind::Replace)
    );
    assert_eq!(renamed.hot_cache_period, Managed::Unmanaged);
    assert_plans_nothing(&live, &exported, &desired);
}

/// A follower of two leaders named alike, one attachment of every database whose follower
/// databases ARM lists without their original name (and names their attachment in other
/// case), settings at their defaults but one, and a principal in no manifest form: the
/// manifest says only what differs, warns of the principal, and loads once it is fixed.
#[test]
fn only_what_differs_from_an_attach_is_written() {
    let mut live = Live::default();
    let follower = id("rg-f", "follower");
    let (lead_a, lead_b) = (id("rg-a", "lead"), id("rg-b", "lead"));
    live.cluster(&lead_a);
    live.cluster(&lead_b);
    live.attach(&follower, "all", &lead_a, "*")
        .database_name_prefix = Some("x_".into());
    live.attach(&follower, "one", &lead_b, "Web");
    let sales = live.follower_database(&follower, "ALL", "x_Sales", None);
    sales.prefetch_extents = true;
    sales.principals.insert(
        Role::Viewers,
        vec![ObservedPrincipal {
            fqn: "who?".into(),
            display_name: "nobody".into(),
            notes: String::new(),
            details: None,
        }],
    );
    // ARM does not list `Web` yet; `.show follower databases` does, at its defaults.
    let settings = live.cluster(&follower).follower_settings.as_mut().unwrap();
    settings.insert(
        "Web".into(),
        ObservedFollowerSettings {
            database_name: "Web".into(),
            ..ObservedFollowerSettings::default()
        },
    );

    let exported = kfollow_spec::export(std::slice::from_ref(&follower), &live.observed);
    assert_eq!((exported.clusters, exported.attachments), (3, 2));
    assert_eq!(
        exported.warnings,
        [
            "principal `who?` (viewers) of `x_Sales` is in no form a manifest takes; \
          it is written as the service stores it, fix it before use"
        ]
    );
    let body = exported.text.split_once("version: 1\n").unwrap().1;
    assert_eq!(
        body,
        r#"
clusters:
  lead:
    id: /subscriptions/SUB/resourceGroups/rg-a/providers/Microsoft.Kusto/clusters/lead
    location: "West Europe"
  lead-2:
    id: /subscriptions/SUB/resourceGroups/rg-b/providers/Microsoft.Kusto/clusters/lead
    location: "West Europe"
  follower:
    id: /subscriptions/SUB/resourceGroups/rg-f/providers/Microsoft.Kusto/clusters/follower
    location: "West Europe"

attachments:
  # Attachments on `follower`.
  - name: all
    follower: follower
    leader: lead
    databaseName: "*"
    databaseNamePrefix: x_
    followerDatabases:
      Sales:
        principals:
          viewers:
            - "who?"
        prefetchExtents: true
  - name: one
    follower: follower
    leader: lead-2
    databaseName: Web
"#
        .replace("SUB", SUBSCRIPTION)
    );
    let fixed = exported.text.replace("\"who?\"", "aaduser=who@contoso.com");
    kfollow_spec::load("exported.yaml", &fixed).unwrap();
}

#[test]
fn a_follower_without_attachments_exports_an_empty_list() {
    let mut live = Live::default();
    let follower = id("rg", "lonely");
    live.cluster(&follower);
    let (exported, desired) = round_trip(&live, std::slice::from_ref(&follower));
    assert!(
        exported.text.ends_with("\nattachments: []\n"),
        "{}",
        exported.text
    );
    assert_eq!((exported.clusters, exported.attachments), (1, 0));
    assert!(desired.attachments.is_empty());
    assert_plans_nothing(&live, &exported, &desired);
}

/// An attachment made by Azure Data Share is left out, with a comment and a warning, and its
/// leader (in a tenant of its own) is not declared; the plan of the rest changes nothing and
/// reports it.
#[test]
fn a_data_share_attachment_is_left_out_with_a_comment() {
    let mut live = Live::default();
    let follower = id("rg-f", "follower");
    let (lead, partner) = (id("rg-a", "lead"), id("rg-partner", "partnerlead"));
    live.database(&lead, "Sales");
    live.attach(&follower, "sales", &lead, "Sales");
    live.follower_database(&follower, "sales", "Sales", Some("Sales"));
    live.attach(&follower, "shared", &partner, "Catalog");
    live.follower_database(&follower, "shared", "Catalog", Some("Catalog"));
    for database in &mut live.cluster(&follower).databases {
        if database.name == "Catalog" {
            database.database_share_origin = Some(kfollow_model::DatabaseShareOrigin::DataShare);
        }
    }
    assert_eq!(
        live.observed.leaders_of(std::slice::from_ref(&follower)),
        std::slice::from_ref(&lead)
    );
    let (exported, desired) = round_trip(&live, std::slice::from_ref(&follower));
    assert_eq!((exported.clusters, exported.attachments), (2, 1));
    assert!(
        exported.text.ends_with(
            "\n# Left out: attachments made by Azure Data Share (databaseShareOrigin `DataShare`).\n\
             # Their Data Share subscription manages them; a plan reports them and never detaches them.\n\
             #   `shared` on `follower` follows `partnerlead`/`Catalog`\n"
        ),
        "{}",
        exported.text
    );
    assert!(!exported.text.contains("partnerlead\n") && !exported.text.contains("name: shared"));
    assert_eq!(
        exported.warnings,
        [
            "attachment `shared` on `follower` was made by Azure Data Share (databaseShareOrigin \
          `DataShare`); it is left out of the manifest: manage it in Azure Data Share"
        ]
    );
    assert_eq!(desired.attachments.len(), 1);
    let plan = kfollow_diff::diff(&desired, &live.observed).unwrap();
    assert!(plan.is_empty(), "{plan:#?}");
    assert!(plan.unmanaged[0].is_data_share(), "{plan:#?}");
}

/// A string of the characters YAML treats specially, mixed with plain ones.
fn odd_string(allowed: fn(char) -> bool) -> impl Strategy<Value = String> {
    let odd = prop::sample::select(vec![
        '*', ':', '#', '-', '?', '[', ']', '{', '}', ',', '&', '!', '|', '>', '\'', '"', '%', '@',
        '`', '~', '=', ';', ' ', '\t', '\\', '\u{7}', '\u{85}', '\u{a0}', '\u{2028}', 'é', '😀',
        '0', '.', '_', '/',
    ]);
    prop::collection::vec(prop_oneof![odd, prop::char::range('a', 'z')], 1..8)
        .prop_map(move |chars| {
            chars
                .into_iter()
                .filter(|c| allowed(*c))
                .collect::<String>()
        })
        .prop_filter("not empty", |text: &String| !text.trim().is_empty())
}

/// What ARM takes in a name (as `kfollow-spec` checks it), and no `*` (it is no database).
fn arm_name(c: char) -> bool {
    !matches!(c, '/' | '?' | '#' | '%' | '\\' | '*') && !c.is_control()
}

/// A Kusto name made of the odd characters an identifier may hold (space, `-`, `.`, a
/// leading digit), as `kfollow-spec` checks it.
fn kusto_name() -> impl Strategy<Value = String> {
    odd_string(kfollow_model::names::is_identifier_char).prop_filter("not reserved", |name| {
        kfollow_model::names::entity_name_problem(name).is_none()
    })
}

fn any_char(_: char) -> bool {
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the names and sharing entries hold, they read back as they are live.
    #[test]
    fn strings_read_back_as_they_are_live(
        name in odd_string(arm_name),
        database in kusto_name(),
        renamed in kusto_name(),
        table in kusto_name(),
        entries in prop::collection::vec(odd_string(any_char), 1..4),
        location in odd_string(arm_name),
    ) {
        let mut live = Live::default();
        let (follower, leader) = (id("rg", "follower"), id("rg", "leader"));
        live.database(&leader, &database);
        let attachment = live.attach(&follower, &name, &leader, &database);
        attachment.database_name_override = Some(renamed.clone());
        attachment.table_level_sharing.tables_to_exclude = entries.clone();
        let settings = live.follower_database(&follower, &name, &renamed, Some(&database));
        settings.tables.insert(table.clone(), span("7d"));
        for cluster in live.observed.clusters.values_mut() {
            cluster.location.clone_from(&location);
            for attachment in &mut cluster.attachments {
                attachment.location.clone_from(&location);
            }
        }
        let exported = kfollow_spec::export(std::slice::from_ref(&follower), &live.observed);
        let desired = load(&exported).desired;
        let back = &desired.attachments[0];
        prop_assert_eq!(&back.name, &name);
        prop_assert_eq!(&back.database, &DatabaseSelection::One(database.clone()));
        prop_assert_eq!(&back.follower_database_name, &FollowerDatabaseName::Override(renamed));
        prop_assert_eq!(&back.table_level_sharing.tables_to_exclude, &entries);
        let tables = back.follower_databases[&database].tables.as_ref().unwrap();
        prop_assert_eq!(tables.keys().collect::<Vec<_>>(), [&table]);
        prop_assert_eq!(desired.clusters["leader"].location.as_deref(), Some(location.as_str()));
        assert_plans_nothing(&live, &exported, &desired);
    }

    /// Every timespan reads back as the same length, database-level and per table.
    #[test]
    fn timespans_read_back_as_the_same_length(ticks in 0..=i64::MAX, table_ticks in 0..=i64::MAX) {
        let mut live = Live::default();
        let (follower, leader) = (id("rg", "follower"), id("rg", "leader"));
        live.database(&leader, "Sales");
        live.attach(&follower, "sales", &leader, "Sales");
        let settings = live.follower_database(&follower, "sales", "Sales", Some("Sales"));
        settings.hot_cache_period = Some(Timespan::from_ticks(ticks));
        settings.tables.insert("Orders".into(), Timespan::from_ticks(table_ticks));
        let (exported, desired) = round_trip(&live, std::slice::from_ref(&follower));
        let back = &desired.attachments[0].follower_databases["Sales"];
        prop_assert_eq!(back.hot_cache_period, Managed::Set(Timespan::from_ticks(ticks)));
        prop_assert_eq!(
            back.tables.as_ref().unwrap()["Orders"],
            Timespan::from_ticks(table_ticks)
        );
        assert_plans_nothing(&live, &exported, &desired);
    }
}
