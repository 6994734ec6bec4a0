//! Every offline rule, once broken and once kept: the negative case names the rule's
//! diagnostic code, the positive case validates.
#![allow(clippy::unwrap_used)] // tests may unwrap

use kfollow_model::{
    DatabaseSelection, FollowerDatabaseName, Managed, PrincipalsModificationKind, Role, Timespan,
    UnmanagedPolicy,
};

const CLUSTERS: &str = "version: 1
clusters:
  prod:
    id: /subscriptions/1111/resourceGroups/rg/providers/Microsoft.Kusto/clusters/prod
    location: westeurope
  emea:
    id: /subscriptions/2222/resourceGroups/rg/providers/Microsoft.Kusto/clusters/emea
    location: westeurope
  paris:
    subscription: '3333'
    resourceGroup: rg
    name: paris
attachments:
";

/// A manifest of the three clusters above and these attachments (YAML list items).
fn manifest(attachments: &str) -> String {
    format!("{CLUSTERS}{attachments}")
}

fn codes(text: &str) -> Vec<&'static str> {
    match kfollow_spec::load("kfollow.yaml", text) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.errors.iter().map(|d| d.code).collect(),
    }
}

#[track_caller]
fn valid(text: &str) -> kfollow_spec::Validated {
    match kfollow_spec::load("kfollow.yaml", text) {
        Ok(validated) => validated,
        Err(diagnostics) => panic!(
            "expected valid, got {:?}",
            diagnostics
                .errors
                .iter()
                .map(|d| format!("{}: {}", d.locate(), d.message))
                .collect::<Vec<_>>()
        ),
    }
}

#[track_caller]
fn refused(text: &str, code: &str) {
    let found = codes(text);
    assert!(found.contains(&code), "expected {code}, got {found:?}");
}

const SALES: &str = "  - name: sales
    follower: emea
    leader: prod
    databaseName: Sales
";

#[test]
fn a_full_manifest_becomes_desired() {
    let validated = valid(&manifest(
        "  - name: sales
    follower: emea
    leader: prod
    databaseName: Sales
    databaseNameOverride: SalesEmea
    defaultPrincipalsModificationKind: Replace
    tableLevelSharing:
      tablesToInclude: [Orders, 'Logs*']
    followerDatabase:
      hotCachePeriod: 7d
      tables: { Orders: { hotCachePeriod: 30d } }
      materializedViews: { DailySales: { hotCachePeriod: timespan(1.12:00:00) } }
      principals:
        viewers: ['aadgroup=emea@contoso.com']
        admins: []
      principalsModificationKind: Union
      cachingPoliciesModificationKind: Replace
      prefetchExtents: true
    protect: true
  - name: everything
    follower: paris
    leader: prod
    databaseName: '*'
    databaseNamePrefix: prod_
    followerDatabases:
      Sales: { hotCachePeriod: 12h }
",
    ));
    let desired = validated.desired;
    assert!(validated.warnings.is_empty());
    assert_eq!(desired.clusters.len(), 3);
    assert_eq!(desired.clusters["paris"].id.name(), "paris");
    assert_eq!(
        desired.clusters["prod"].unmanaged_followers,
        UnmanagedPolicy::Report
    );
    let sales = &desired.attachments[0];
    assert_eq!(sales.database, DatabaseSelection::One("Sales".into()));
    assert_eq!(
        sales.follower_database_name,
        FollowerDatabaseName::Override("SalesEmea".into())
    );
    assert_eq!(
        sales.default_principals_modification_kind,
        PrincipalsModificationKind::Replace
    );
    assert!(sales.protect);
    assert_eq!((sales.origin.line, sales.origin.column), (14, 5));
    let settings = &sales.follower_databases["Sales"];
    assert_eq!(
        settings.hot_cache_period,
        Managed::Set(Timespan::from_days(7))
    );
    assert_eq!(
        settings.tables.as_ref().unwrap()["Orders"],
        Timespan::from_days(30)
    );
    assert_eq!(
        settings.materialized_views.as_ref().unwrap()["DailySales"],
        Timespan::from_secs(36 * 3600)
    );
    assert_eq!(settings.principals[&Role::Viewers].len(), 1);
    assert!(settings.principals[&Role::Admins].is_empty());
    assert!(!settings.principals.contains_key(&Role::Users));
    assert_eq!(settings.prefetch_extents, Some(true));
    let everything = &desired.attachments[1];
    assert_eq!(everything.database, DatabaseSelection::All);
    assert_eq!(
        everything.follower_databases["Sales"].hot_cache_period,
        Managed::Set(Timespan::from_secs(12 * 3600))
    );
    assert!(everything.follower_databases["Sales"].tables.is_none());
}

#[test]
fn version_is_one() {
    valid(&manifest(SALES));
    refused(
        &manifest(SALES).replace("version: 1", "version: 2"),
        "kfollow::bad-version",
    );
    refused(
        &manifest(SALES).replace("version: 1\n", ""),
        "kfollow::missing-key",
    );
}

#[test]
fn unknown_keys_are_refused_with_a_suggestion() {
    let text = manifest(&SALES.replace("databaseName", "databaseNme"));
    let Err(diagnostics) = kfollow_spec::load("kfollow.yaml", &text) else {
        panic!()
    };
    let unknown = diagnostics
        .errors
        .iter()
        .find(|d| d.code == "kfollow::unknown-key")
        .unwrap();
    assert_eq!(
        unknown.help.as_deref(),
        Some("did you mean `databaseName`?")
    );
    assert_eq!(unknown.locate(), "kfollow.yaml:17:5");
}

#[test]
fn duplicate_keys_are_refused() {
    refused(
        &manifest(&format!("{SALES}    leader: paris\n")),
        "kfollow::duplicate-key",
    );
    refused(
        &CLUSTERS.replace("  paris:", "  emea:\n    id: x\n  paris:"),
        "kfollow::duplicate-key",
    );
}

#[test]
fn wrong_types_are_refused() {
    refused(
        &manifest(&format!("{SALES}    protect: 'yes'\n")),
        "kfollow::wrong-type",
    );
    refused(
        &manifest(&SALES.replace("Sales", "[Sales]")),
        "kfollow::wrong-type",
    );
    refused(&manifest("  sales: {}\n"), "kfollow::wrong-type");
    valid(&manifest(&format!("{SALES}    protect: false\n")));
}

#[test]
fn lists_say_what_their_items_must_be() {
    let messages = |extra: &str| match kfollow_spec::load(
        "kfollow.yaml",
        &manifest(&format!("{SALES}{extra}")),
    ) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.errors.into_iter().map(|d| d.message).collect(),
    };
    assert_eq!(
        messages("    tableLevelSharing: { tablesToInclude: Orders }\n"),
        ["`tablesToInclude` must be a list of strings, not a string"]
    );
    assert_eq!(
        messages("    followerDatabase: { principals: { viewers: 'aaduser=a@b.c' } }\n"),
        ["`viewers` must be a list of principals, not a string"]
    );
    // A bad item is reported and the list goes on to the next one.
    assert_eq!(
        messages("    tableLevelSharing: { tablesToInclude: [A, [B], {C: 1}] }\n"),
        [
            "`tablesToInclude` must be a string, not a list",
            "`tablesToInclude` must be a string, not a mapping",
        ]
    );
}

#[test]
fn enum_values_are_the_spec_spellings() {
    for (key, good, bad) in [
        ("defaultPrincipalsModificationKind", "None", "Merge"),
        ("defaultPrincipalsModificationKind", "Union", "union"),
    ] {
        valid(&manifest(&format!("{SALES}    {key}: {good}\n")));
        refused(
            &manifest(&format!("{SALES}    {key}: {bad}\n")),
            "kfollow::bad-value",
        );
    }
    refused(
        &manifest(&format!(
            "{SALES}    followerDatabase: {{ cachingPoliciesModificationKind: Merge }}\n"
        )),
        "kfollow::bad-value",
    );
    let detach = CLUSTERS.replace(
        "    location: westeurope\n  emea",
        "    location: westeurope\n    unmanagedFollowers: detach\n  emea",
    );
    valid(&format!("{detach}{SALES}"));
    refused(
        &format!("{}{SALES}", detach.replace(": detach", ": delete")),
        "kfollow::bad-value",
    );
}

#[test]
fn a_type_error_does_not_hide_a_later_rule() {
    let found = codes(&manifest(&format!(
        "{SALES}    defaultPrincipalsModificationKind: Merge
  - name: orders
    follower: emae
    leader: prod
    databaseName: Orders
"
    )));
    assert_eq!(found, ["kfollow::bad-value", "kfollow::unknown-alias"]);
}

#[test]
fn cluster_ids_are_kusto_cluster_ids() {
    valid(&manifest(SALES).replace("/subscriptions/1111", "/SUBSCRIPTIONS/1111"));
    refused(
        &manifest(SALES).replace(
            "Microsoft.Kusto/clusters/prod",
            "Microsoft.Sql/servers/prod",
        ),
        "kfollow::bad-cluster-id",
    );
    refused(
        &manifest(SALES).replace("    name: paris\n", ""),
        "kfollow::missing-key",
    );
    refused(
        &manifest(SALES).replace("    name: paris\n", "    name: paris\n    id: /x\n"),
        "kfollow::cluster-id-twice",
    );
    refused(
        &manifest(SALES).replace("name: paris", "name: 'par/is'"),
        "kfollow::bad-cluster-id",
    );
}

#[test]
fn aliases_are_unique_clusters() {
    refused(
        &manifest(SALES)
            .replace("clusters/emea", "clusters/PROD")
            .replace("/2222/", "/1111/"),
        "kfollow::duplicate-cluster",
    );
}

#[test]
fn followers_and_leaders_are_declared_aliases() {
    refused(
        &manifest(&SALES.replace("follower: emea", "follower: emae")),
        "kfollow::unknown-alias",
    );
    refused(
        &manifest(&SALES.replace("leader: prod", "leader: prd")),
        "kfollow::unknown-alias",
    );
}

#[test]
fn a_cluster_does_not_follow_itself() {
    refused(
        &manifest(&SALES.replace("follower: emea", "follower: prod")),
        "kfollow::self-follow",
    );
}

#[test]
fn attachment_names_are_arm_names() {
    for bad in ["''", "'a/b'", "'a?b'", "'a#b'", "'a%b'", "\"a\\tb\""] {
        refused(
            &manifest(&SALES.replace("name: sales", &format!("name: {bad}"))),
            "kfollow::bad-name",
        );
    }
    valid(&manifest(
        &SALES.replace("name: sales", "name: sales-emea_2026.v1"),
    ));
}

#[test]
fn attachment_names_are_unique_per_follower_ignoring_case() {
    let second = "  - name: SALES
    follower: emea
    leader: prod
    databaseName: Orders
";
    refused(
        &manifest(&format!("{SALES}{second}")),
        "kfollow::duplicate-attachment",
    );
    valid(&manifest(&format!(
        "{SALES}{}",
        second.replace("emea", "paris")
    )));
}

#[test]
fn all_databases_takes_no_single_database_keys() {
    let all = SALES.replace("databaseName: Sales", "databaseName: '*'");
    valid(&manifest(&format!(
        "{all}    databaseNamePrefix: p_\n    followerDatabases: {{ Sales: {{ hotCachePeriod: 1d }} }}\n"
    )));
    for extra in [
        "    databaseNameOverride: Everything\n",
        "    tableLevelSharing: { tablesToInclude: [Orders] }\n",
        "    followerDatabase: { hotCachePeriod: 7d }\n",
    ] {
        refused(
            &manifest(&format!("{all}{extra}")),
            "kfollow::all-databases",
        );
    }
}

#[test]
fn a_single_database_takes_no_follower_databases() {
    refused(
        &manifest(&format!(
            "{SALES}    followerDatabases: {{ Sales: {{ hotCachePeriod: 1d }} }}\n"
        )),
        "kfollow::single-database",
    );
    valid(&manifest(&format!(
        "{SALES}    followerDatabase: {{ hotCachePeriod: 1d }}\n"
    )));
}

#[test]
fn override_and_prefix_exclude_each_other() {
    valid(&manifest(&format!("{SALES}    databaseNameOverride: S2\n")));
    valid(&manifest(&format!("{SALES}    databaseNamePrefix: p_\n")));
    refused(
        &manifest(&format!(
            "{SALES}    databaseNameOverride: S2\n    databaseNamePrefix: p_\n"
        )),
        "kfollow::override-and-prefix",
    );
}

fn sharing(entries: usize) -> String {
    let names: Vec<String> = (0..entries).map(|i| format!("T{i}")).collect();
    format!(
        "{SALES}    tableLevelSharing:\n      tablesToInclude: [{}]\n      functionsToExclude: [F]\n",
        names.join(", ")
    )
}

#[test]
fn sharing_lists_hold_at_most_100_entries_in_all() {
    valid(&manifest(&sharing(99)));
    refused(
        &manifest(&sharing(100)),
        "kfollow::too-many-sharing-entries",
    );
}

#[test]
fn sharing_entries_are_not_empty() {
    refused(
        &manifest(&format!(
            "{SALES}    tableLevelSharing: {{ tablesToExclude: [A, ' '] }}\n"
        )),
        "kfollow::empty-sharing-entry",
    );
    valid(&manifest(&format!(
        "{SALES}    tableLevelSharing: {{ tablesToExclude: [A, 'B*'] }}\n"
    )));
}

#[test]
fn leader_and_follower_share_a_region() {
    refused(
        &manifest(SALES).replace(
            "clusters/emea\n    location: westeurope",
            "clusters/emea\n    location: eastus",
        ),
        "kfollow::region-mismatch",
    );
    // Spelling differences ARM ignores are not a mismatch; an undeclared location is not checked.
    valid(&manifest(SALES).replace(
        "clusters/emea\n    location: westeurope",
        "clusters/emea\n    location: West Europe",
    ));
    valid(&manifest(
        &SALES.replace("follower: emea", "follower: paris"),
    ));
}

#[test]
fn follower_database_names_do_not_collide() {
    let orders = "  - name: orders
    follower: emea
    leader: prod
    databaseName: Orders
";
    valid(&manifest(&format!("{SALES}{orders}")));
    refused(
        &manifest(&format!("{SALES}{orders}    databaseNameOverride: sales\n")),
        "kfollow::follower-database-collision",
    );
    let from_paris = "  - name: paris-sales
    follower: emea
    leader: paris
    databaseName: Sales
";
    refused(
        &manifest(&format!("{SALES}{from_paris}")),
        "kfollow::follower-database-collision",
    );
    valid(&manifest(&format!(
        "{SALES}{from_paris}    databaseNamePrefix: paris_\n"
    )));
    let all = |name: &str, leader: &str| {
        format!(
            "  - name: {name}\n    follower: emea\n    leader: {leader}\n    databaseName: '*'\n"
        )
    };
    refused(
        &manifest(&format!("{}{}", all("a", "prod"), all("b", "paris"))),
        "kfollow::follower-database-collision",
    );
    valid(&manifest(&format!(
        "{}{}    databaseNamePrefix: paris_\n",
        all("a", "prod"),
        all("b", "paris")
    )));
}

#[test]
fn a_leader_database_is_attached_once_per_follower() {
    let again = "  - name: again
    follower: emea
    leader: prod
    databaseName: Sales
    databaseNamePrefix: again_
";
    refused(
        &manifest(&format!("{SALES}{again}")),
        "kfollow::attached-twice",
    );
    valid(&manifest(&format!(
        "{SALES}{}",
        again.replace("emea", "paris")
    )));
    let all = "  - name: all\n    follower: emea\n    leader: prod\n    databaseName: '*'\n    databaseNamePrefix: all_\n";
    refused(
        &manifest(&format!("{SALES}{all}")),
        "kfollow::attached-twice",
    );
    refused(
        &manifest(&format!("{all}{SALES}")),
        "kfollow::attached-twice",
    );
    // With several single databases before the `"*"`, the first one in the file is named.
    let orders = SALES.replace("sales", "orders").replace("Sales", "Orders");
    let Err(diagnostics) =
        kfollow_spec::load("kfollow.yaml", &manifest(&format!("{SALES}{orders}{all}")))
    else {
        panic!("expected attached-twice");
    };
    let messages: Vec<&str> = diagnostics
        .errors
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        ["database `Sales` of `prod` is attached twice to `emea` (attachments `sales` and `all`)"]
    );
}

#[test]
fn chained_following_is_refused() {
    let chained = "  - name: chained
    follower: paris
    leader: emea
    databaseName: Sales
";
    refused(
        &manifest(&format!("{SALES}{chained}")),
        "kfollow::chained-following",
    );
    // A database of the same cluster that no attachment creates may be followed.
    valid(&manifest(&format!(
        "{SALES}{}",
        chained.replace("Sales", "Local")
    )));
    let prefixed = "  - name: all\n    follower: emea\n    leader: prod\n    databaseName: '*'\n    databaseNamePrefix: fc_\n";
    refused(
        &manifest(&format!(
            "{prefixed}{}",
            chained.replace("Sales", "fc_Sales")
        )),
        "kfollow::chained-following",
    );
}

#[test]
fn timespans_are_non_negative_kusto_literals() {
    for good in ["7d", "12h", "30m", "10s", "100ms", "timespan(1.12:00:00)"] {
        valid(&manifest(&format!(
            "{SALES}    followerDatabase: {{ hotCachePeriod: '{good}' }}\n"
        )));
    }
    for (bad, code) in [
        ("7 days", "kfollow::bad-timespan"),
        ("P7D", "kfollow::bad-timespan"),
        ("-1d", "kfollow::negative-timespan"),
    ] {
        refused(
            &manifest(&format!(
                "{SALES}    followerDatabase: {{ hotCachePeriod: '{bad}' }}\n"
            )),
            code,
        );
    }
    refused(
        &manifest(&format!(
            "{SALES}    followerDatabase: {{ hotCachePeriod: 7 }}\n"
        )),
        "kfollow::wrong-type",
    );
}

/// `hotCachePeriod: null` on a follower database means "no database-level override";
/// left out, it is not managed; null anywhere else is still refused.
#[test]
fn a_null_database_hot_cache_asks_for_no_override() {
    for null in ["null", "~"] {
        let validated = valid(&manifest(&format!(
            "{SALES}    followerDatabase: {{ hotCachePeriod: {null} }}\n"
        )));
        let settings = &validated.desired.attachments[0].follower_databases["Sales"];
        assert_eq!(settings.hot_cache_period, Managed::Unset);
    }
    let everything = valid(&manifest(
        "  - name: everything
    follower: paris
    leader: prod
    databaseName: '*'
    followerDatabases:
      Sales: { hotCachePeriod: null }
      Logs: { prefetchExtents: true }
",
    ));
    let settings = &everything.desired.attachments[0].follower_databases;
    assert_eq!(settings["Sales"].hot_cache_period, Managed::Unset);
    assert_eq!(settings["Logs"].hot_cache_period, Managed::Unmanaged);
    refused(
        &manifest(&format!(
            "{SALES}    followerDatabase: {{ tables: {{ Orders: {{ hotCachePeriod: null }} }} }}\n"
        )),
        "kfollow::wrong-type",
    );
    refused(
        &manifest(&format!(
            "{SALES}    followerDatabase: {{ prefetchExtents: null }}\n"
        )),
        "kfollow::wrong-type",
    );
}

#[test]
fn principals_are_principal_strings_under_roles() {
    for good in [
        "aaduser=alice@contoso.com",
        "aadgroup=g;contoso.com",
        "aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;contoso.com",
        "msauser=bob@live.com",
    ] {
        valid(&manifest(&format!(
            "{SALES}    followerDatabase: {{ principals: {{ unrestrictedViewers: ['{good}'] }} }}\n"
        )));
    }
    refused(
        &manifest(&format!(
            "{SALES}    followerDatabase: {{ principals: {{ viewers: ['alice@contoso.com'] }} }}\n"
        )),
        "kfollow::bad-principal",
    );
    refused(
        &manifest(&format!(
            "{SALES}    followerDatabase: {{ principals: {{ owners: ['aaduser=a@b.c'] }} }}\n"
        )),
        "kfollow::unknown-key",
    );
}

#[test]
fn caching_overrides_for_tables_not_shared_are_warnings() {
    let validated = valid(&manifest(&format!(
        "{SALES}    tableLevelSharing: {{ tablesToInclude: ['Logs*'], materializedViewsToExclude: [Hidden] }}
    followerDatabase:
      tables: {{ Orders: {{ hotCachePeriod: 1d }}, Logs2026: {{ hotCachePeriod: 1d }} }}
      materializedViews: {{ Hidden: {{ hotCachePeriod: 1d }} }}
"
    )));
    let warnings: Vec<String> = validated
        .warnings
        .iter()
        .map(|w| format!("{} {}", w.locate(), w.code))
        .collect();
    assert_eq!(
        warnings,
        [
            "kfollow.yaml:20:17 kfollow::not-shared",
            "kfollow.yaml:21:28 kfollow::not-shared"
        ]
    );
}

#[test]
fn yaml_syntax_errors_point_at_the_line() {
    let Err(diagnostics) = kfollow_spec::load("kfollow.yaml", "version: 1\nclusters: [\n") else {
        panic!()
    };
    assert_eq!(diagnostics.errors.len(), 1);
    assert_eq!(diagnostics.errors[0].code, "kfollow::yaml");
    assert!(diagnostics.errors[0].pos.line >= 2);
}

#[test]
fn freshness_is_a_timespan_and_every_database_of_the_attachment_has_it() {
    let validated = valid(&manifest(
        "  - name: all\n    follower: emea\n    leader: prod\n    databaseName: \"*\"\n    freshness: 4m\n",
    ));
    assert_eq!(
        validated.desired.attachments[0].freshness,
        Some(Timespan::parse("4m").unwrap())
    );
    let without = valid(&manifest(SALES));
    assert_eq!(without.desired.attachments[0].freshness, None);
    refused(
        &manifest(&format!("{SALES}    freshness: -4m\n")),
        "kfollow::negative-timespan",
    );
    refused(
        &manifest(&format!("{SALES}    freshness: 240\n")),
        "kfollow::wrong-type",
    );
}

#[test]
fn the_summary_counts_clusters_attachments_and_follower_databases_with_settings() {
    let one = valid(&manifest(SALES));
    assert_eq!(
        kfollow_spec::summary("kfollow.yaml", &one.desired),
        "kfollow.yaml is valid: 3 clusters, 1 attachment (0 follower databases with settings)."
    );
    let with_settings = format!("{SALES}    followerDatabase: {{ hotCachePeriod: 7d }}\n");
    let mut two = valid(&manifest(&with_settings)).desired;
    two.clusters.retain(|alias, _| alias != "paris");
    assert_eq!(
        kfollow_spec::summary("k.yaml", &two),
        "k.yaml is valid: 2 clusters, 1 attachment (1 follower database with settings)."
    );
}
