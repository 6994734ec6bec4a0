//! `execute` against an in-memory cluster: effects, answers and errors.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeMap;

use kfollow_model::{CachingPoliciesModificationKind, PrincipalsModificationKind, Role, Timespan};
use serde_json::{Value, json};

use super::principals::{fully_qualified_name, role_from_number};
use super::*;

/// A cluster with a read-write database `Local` (admin `ops@contoso.com`) and the follower
/// database `Sales` (tables `Orders`, `Customers`, view `DailySales`) followed from
/// `https://leader.westeurope…`, whose leader database has the admin `ada@contoso.com` and the
/// viewers group `readers@contoso.com`.
struct Cluster {
    databases: Vec<DatabaseView>,
    settings: BTreeMap<String, FollowerSettings>,
    echo_notes: bool,
}

fn principal(text: &str) -> kfollow_model::Principal {
    text.parse().unwrap()
}

/// When the test world's tables last had data: 2026-01-02T03:04:05Z.
fn loaded_at() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_323_045)
}

fn entities(names: &[&str]) -> Vec<EntityView> {
    names
        .iter()
        .map(|name| EntityView {
            name: (*name).to_owned(),
            last_data: loaded_at(),
        })
        .collect()
}

impl Cluster {
    fn new() -> Cluster {
        let follower = FollowerView {
            leader_cluster_uri: "https://leader.westeurope.kusto.windows.net".into(),
            leader_database: "Sales".into(),
        };
        Cluster {
            databases: vec![
                DatabaseView {
                    name: "Local".into(),
                    follower: None,
                    principals: vec![(Role::Admins, principal("aaduser=ops@contoso.com"))],
                    tables: entities(&["Events"]),
                    external_tables: Vec::new(),
                    materialized_views: Vec::new(),
                    functions: Vec::new(),
                    hot_cache_period: Some(Timespan::from_days(30)),
                },
                DatabaseView {
                    name: "Sales".into(),
                    follower: Some(follower),
                    principals: vec![
                        (Role::Admins, principal("aaduser=ada@contoso.com")),
                        (Role::Viewers, principal("aadgroup=readers@contoso.com")),
                    ],
                    tables: entities(&["Orders", "Customers"]),
                    external_tables: Vec::new(),
                    materialized_views: entities(&["DailySales"]),
                    functions: Vec::new(),
                    hot_cache_period: None,
                },
            ],
            settings: BTreeMap::from([("Sales".to_owned(), FollowerSettings::default())]),
            echo_notes: true,
        }
    }

    fn run(&mut self, csl: &str) -> Value {
        execute(self, "Sales", csl).unwrap_or_else(|e| panic!("`{csl}` failed: {e}"))
    }

    fn fail(&mut self, csl: &str) -> KustoError {
        match execute(self, "", csl) {
            Ok(answer) => panic!("`{csl}` should fail, answered {answer}"),
            Err(e) => e,
        }
    }

    fn sales(&self) -> &FollowerSettings {
        &self.settings["Sales"]
    }
}

impl Catalog for Cluster {
    fn databases(&self) -> Vec<DatabaseView> {
        self.databases.clone()
    }

    fn settings_mut(&mut self, follower_database: &str) -> Option<&mut FollowerSettings> {
        self.settings
            .iter_mut()
            .find(|(name, _)| name.eq_ignore_ascii_case(follower_database))
            .map(|(_, settings)| settings)
    }

    fn echo_principal_notes(&self) -> bool {
        self.echo_notes
    }
}

/// The rows of a single-table answer, as objects keyed by column name.
fn rows(answer: &Value) -> Vec<serde_json::Map<String, Value>> {
    let columns = columns(answer);
    answer["Tables"][0]["Rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            columns
                .iter()
                .zip(row.as_array().unwrap())
                .map(|(c, v)| ((*c).to_owned(), v.clone()))
                .collect()
        })
        .collect()
}

/// The column names of a single-table answer.
fn columns(answer: &Value) -> Vec<&str> {
    answer["Tables"][0]["Columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ColumnName"].as_str().unwrap())
        .collect()
}

fn json_column(row: &serde_json::Map<String, Value>, column: &str) -> Value {
    serde_json::from_str(row[column].as_str().unwrap()).unwrap()
}

#[test]
fn show_follower_database_frame_has_the_doc_columns_in_order() {
    let answer = Cluster::new().run(".show follower database Sales");
    assert_eq!(answer["Tables"].as_array().unwrap().len(), 1);
    assert_eq!(answer["Tables"][0]["TableName"], "Table_0");
    assert_eq!(
        answer["Tables"][0]["Columns"],
        json!([
            {"ColumnName": "DatabaseName", "DataType": "String", "ColumnType": "string"},
            {"ColumnName": "LeaderClusterMetadataPath", "DataType": "String", "ColumnType": "string"},
            {"ColumnName": "CachingPolicyOverride", "DataType": "String", "ColumnType": "string"},
            {"ColumnName": "AuthorizedPrincipalsOverride", "DataType": "String", "ColumnType": "string"},
            {"ColumnName": "AuthorizedPrincipalsModificationKind", "DataType": "String", "ColumnType": "string"},
            {"ColumnName": "CachingPoliciesModificationKind", "DataType": "String", "ColumnType": "string"},
            {"ColumnName": "IsAutoPrefetchEnabled", "DataType": "Boolean", "ColumnType": "bool"},
            {"ColumnName": "TableMetadataOverrides", "DataType": "String", "ColumnType": "string"},
        ])
    );
    assert_eq!(
        answer["Tables"][0]["Rows"],
        json!([[
            "Sales",
            "https://leadermeta.blob.core.windows.net/sales",
            "null",
            "[]",
            "Union",
            "Union",
            false,
            null
        ]])
    );
}

#[test]
fn database_caching_override_is_set_shown_and_deleted() {
    let mut cluster = Cluster::new();
    let answer = cluster.run(".alter follower database sales policy caching hot = 7d");
    assert_eq!(
        cluster.sales().hot_cache_period,
        Some(Timespan::from_days(7))
    );
    let row = &rows(&answer)[0];
    assert_eq!(row["DatabaseName"], "Sales");
    assert_eq!(
        row["CachingPolicyOverride"],
        r#"{"DataHotSpan":{"Value":"7.00:00:00"},"IndexHotSpan":{"Value":"7.00:00:00"}}"#
    );
    cluster.run(".alter follower database Sales policy caching hot = 0d");
    let row = &rows(&cluster.run(".show follower database Sales"))[0];
    assert_eq!(
        json_column(row, "CachingPolicyOverride")["DataHotSpan"]["Value"],
        "00:00:00"
    );
    cluster.run(".delete follower database Sales policy caching");
    assert_eq!(cluster.sales().hot_cache_period, None);
}

#[test]
fn table_and_view_overrides_land_in_table_metadata_overrides() {
    let mut cluster = Cluster::new();
    cluster.run(".alter follower database Sales table Orders policy caching hot = 1d");
    cluster
        .run(".alter follower database Sales tables (Orders, Customers) policy caching hot = 3d");
    cluster.run(
        ".alter follower database Sales materialized-view DailySales policy caching hot = 12h",
    );
    assert_eq!(
        cluster.sales().tables,
        BTreeMap::from([
            ("Customers".to_owned(), Timespan::from_days(3)),
            ("Orders".to_owned(), Timespan::from_days(3)),
        ])
    );
    let row = &rows(&cluster.run(".show follower databases"))[0];
    assert_eq!(
        json_column(row, "TableMetadataOverrides"),
        json!({
            "Customers": {"CachingPolicyOverride": {"DataHotSpan": {"Value": "3.00:00:00"}, "IndexHotSpan": {"Value": "3.00:00:00"}}},
            "Orders": {"CachingPolicyOverride": {"DataHotSpan": {"Value": "3.00:00:00"}, "IndexHotSpan": {"Value": "3.00:00:00"}}},
            "_MV_DailySales": {"CachingPolicyOverride": {"DataHotSpan": {"Value": "12:00:00"}, "IndexHotSpan": {"Value": "12:00:00"}}},
        })
    );
    cluster.run(".delete follower database Sales table Orders policy caching");
    cluster.run(".delete follower database Sales materialized-views (DailySales) policy caching");
    assert_eq!(cluster.sales().tables.len(), 1);
    assert!(cluster.sales().materialized_views.is_empty());
    cluster.run(".delete follower database Sales tables (Customers) policy caching");
    let row = &rows(&cluster.run(".show follower database Sales"))[0];
    assert_eq!(row["TableMetadataOverrides"], Value::Null);
}

#[test]
fn principals_are_stored_by_fqn_with_display_name_and_notes() {
    let mut cluster = Cluster::new();
    let answer = cluster.run(
        ".add follower database Sales admins ('aaduser=jack@contoso.com', 'aadgroup=Readers;fabrikam.com') 'kfollow:admins'",
    );
    let grants = &cluster.sales().principals;
    assert_eq!(grants.len(), 2);
    let jack = &grants[0];
    assert_eq!(jack.role, Role::Admins);
    assert_eq!(jack.display_name, "aaduser=jack@contoso.com");
    assert_eq!(jack.notes, "kfollow:admins");
    assert_eq!(
        jack.fqn,
        fully_qualified_name(&"aaduser=jack@contoso.com".parse().unwrap())
    );
    assert_ne!(jack.fqn, "aaduser=jack@contoso.com");

    let shown = json_column(&rows(&answer)[0], "AuthorizedPrincipalsOverride");
    assert_eq!(shown.as_array().unwrap().len(), 2);
    assert_eq!(
        shown[0]["Principal"]["FullyQualifiedName"],
        jack.fqn.as_str()
    );
    // The directory's name, not the string the `.add` sent.
    assert_eq!(
        shown[0]["Principal"]["DisplayName"],
        "jack (upn: jack@contoso.com)"
    );
    assert_eq!(shown[0]["Principal"]["PrincipalType"], "AadUser");
    assert_eq!(shown[1]["Principal"]["PrincipalType"], "AadGroup");
    assert_eq!(shown[0]["Notes"], "kfollow:admins");
    assert_eq!(
        role_from_number(shown[0]["Role"].as_u64().unwrap()),
        Some(Role::Admins)
    );
}

#[test]
fn notes_are_echoed_only_when_the_setting_says_so() {
    for echo in [true, false] {
        let mut cluster = Cluster::new();
        cluster.echo_notes = echo;
        let csl = ".add follower database Sales viewers ('aaduser=jill@contoso.com') 'kfollow'";
        let answered = json_column(&rows(&cluster.run(csl))[0], "AuthorizedPrincipalsOverride");
        let shown = json_column(
            &rows(&cluster.run(".show follower database Sales"))[0],
            "AuthorizedPrincipalsOverride",
        );
        let expected = if echo { "kfollow" } else { "" };
        assert_eq!(answered[0]["Notes"], expected, "echo {echo}");
        assert_eq!(shown[0]["Notes"], expected, "echo {echo}");
        // The notes are kept either way: the setting is about what `.show` says.
        assert_eq!(cluster.sales().principals[0].notes, "kfollow");
    }
}

/// `(Role, PrincipalDisplayName)` of each row of `.show database Sales principals`.
fn shown_principals(cluster: &mut Cluster) -> Vec<(String, String)> {
    rows(&cluster.run(".show database Sales principals"))
        .iter()
        .map(|row| {
            (
                row["Role"].as_str().unwrap().to_owned(),
                row["PrincipalDisplayName"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn show_database_principals_has_the_doc_columns() {
    let answer = Cluster::new().run(".show database Local principals");
    assert_eq!(
        columns(&answer),
        [
            "Role",
            "PrincipalType",
            "PrincipalDisplayName",
            "PrincipalObjectId",
            "PrincipalFQN",
            "Notes"
        ]
    );
    let row = &rows(&answer)[0];
    let fqn = fully_qualified_name(&principal("aaduser=ops@contoso.com"));
    assert_eq!(row["Role"], "Database Local Admin");
    assert_eq!(row["PrincipalType"], "Microsoft Entra user");
    assert_eq!(row["PrincipalDisplayName"], "ops (upn: ops@contoso.com)");
    assert_eq!(row["PrincipalFQN"], fqn.as_str());
    assert_eq!(row["PrincipalObjectId"], principals::object_id(&fqn));
    assert_eq!(row["Notes"], "");
}

#[test]
fn a_follower_database_grants_what_its_modification_kind_combines() {
    let mut cluster = Cluster::new();
    cluster.run(
        ".add follower database Sales admins ('aaduser=jack@contoso.com', 'aaduser=ada@contoso.com') 'mine'",
    );
    cluster.run(".add follower database Sales monitors ('aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;contoso.com')");
    let jack = (
        "Database Sales Admin".to_owned(),
        "jack (upn: jack@contoso.com)".to_owned(),
    );
    let ada = (
        "Database Sales Admin".to_owned(),
        "ada (upn: ada@contoso.com)".to_owned(),
    );
    let readers = ("Database Sales Viewer".to_owned(), "readers".to_owned());
    let app = (
        "Database Sales Monitor".to_owned(),
        "4c7e82bd-6adb-46c3-b413-fdd44834c69b".to_owned(),
    );
    // Union (the default): the leader's and the overrides, each principal once per role.
    assert_eq!(
        shown_principals(&mut cluster),
        [ada.clone(), jack.clone(), readers.clone(), app.clone()]
    );
    cluster.run(".alter follower database Sales principals-modification-kind = replace");
    assert_eq!(shown_principals(&mut cluster), [jack, ada.clone(), app]);
    cluster.run(".alter follower database Sales principals-modification-kind = none");
    assert_eq!(shown_principals(&mut cluster), [ada, readers]);
}

#[test]
fn override_notes_show_in_the_principals_table_only_when_echoed() {
    for echo in [true, false] {
        let mut cluster = Cluster::new();
        cluster.echo_notes = echo;
        cluster.run(".add follower database Sales users ('aaduser=jill@contoso.com') 'kfollow'");
        let answer = cluster.run(".show database Sales principals");
        let jill = rows(&answer)
            .into_iter()
            .find(|row| row["Role"] == "Database Sales User")
            .unwrap();
        assert_eq!(jill["Notes"], if echo { "kfollow" } else { "" });
    }
}

#[test]
fn adding_a_held_role_again_changes_nothing() {
    let mut cluster = Cluster::new();
    cluster.run(".add follower database Sales viewers ('aaduser=jill@contoso.com') 'first'");
    cluster.run(".add follower database Sales viewers ('AADUSER=Jill@Contoso.com') 'second'");
    assert_eq!(cluster.sales().principals.len(), 1);
    assert_eq!(cluster.sales().principals[0].notes, "first");
    // Another role is another grant.
    cluster.run(".add follower database Sales monitors ('aaduser=jill@contoso.com')");
    assert_eq!(cluster.sales().principals.len(), 2);
}

#[test]
fn drop_takes_the_added_form_or_the_fqn_and_only_that_role() {
    let mut cluster = Cluster::new();
    cluster.run(".add follower database Sales viewers ('aaduser=jill@contoso.com', 'aaduser=jack@contoso.com')");
    cluster.run(".add follower database Sales admins ('aaduser=jill@contoso.com')");
    cluster.run(".drop follower database Sales viewers ('aaduser=jill@contoso.com')");
    let left: Vec<_> = cluster
        .sales()
        .principals
        .iter()
        .map(|g| (g.role, g.display_name.clone()))
        .collect();
    assert_eq!(
        left,
        vec![
            (Role::Viewers, "aaduser=jack@contoso.com".to_owned()),
            (Role::Admins, "aaduser=jill@contoso.com".to_owned()),
        ]
    );
    let jack_fqn = cluster.sales().principals[0].fqn.clone();
    cluster.run(&format!(
        ".drop follower database Sales viewers ('{jack_fqn}')"
    ));
    // Dropping a principal that does not hold the role is not an error.
    cluster.run(".drop follower database Sales viewers ('aaduser=nobody@contoso.com')");
    assert_eq!(cluster.sales().principals.len(), 1);
}

#[test]
fn modification_kinds_and_prefetch_are_kept_and_shown() {
    let mut cluster = Cluster::new();
    cluster.run(".alter follower database Sales principals-modification-kind = replace");
    cluster.run(".alter follower database Sales caching-policies-modification-kind = none");
    let answer = cluster.run(".alter follower database Sales prefetch-extents = true");
    let settings = cluster.sales();
    assert_eq!(
        settings.principals_modification_kind,
        PrincipalsModificationKind::Replace
    );
    assert_eq!(
        settings.caching_policies_modification_kind,
        CachingPoliciesModificationKind::None
    );
    assert!(settings.prefetch_extents);
    let row = &rows(&answer)[0];
    assert_eq!(row["AuthorizedPrincipalsModificationKind"], "Replace");
    assert_eq!(row["CachingPoliciesModificationKind"], "None");
    assert_eq!(row["IsAutoPrefetchEnabled"], true);
}

#[test]
fn show_follower_databases_lists_followers_only() {
    let mut cluster = Cluster::new();
    let all = rows(&cluster.run(".show follower databases"));
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["DatabaseName"], "Sales");
    let named = rows(&cluster.run(".show follower databases (Local, SALES)"));
    assert_eq!(named.len(), 1);
    assert!(rows(&cluster.run(".show follower database Local")).is_empty());
}

#[test]
fn show_databases_has_the_doc_columns() {
    let answer = Cluster::new().run(".show databases");
    assert_eq!(
        columns(&answer),
        [
            "DatabaseName",
            "PersistentStorage",
            "Version",
            "IsCurrent",
            "DatabaseAccessMode",
            "PrettyName",
            "DatabaseId",
            "InTransitionTo",
            "SuspensionState"
        ]
    );
    let listed = rows(&answer);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["DatabaseName"], "Local");
    assert_eq!(listed[0]["DatabaseAccessMode"], "ReadWrite");
    assert_eq!(listed[0]["IsCurrent"], false);
    assert_eq!(listed[1]["DatabaseAccessMode"], "ReadOnlyFollowing");
    assert_eq!(listed[1]["IsCurrent"], true);
    assert!(principals::is_guid(
        listed[1]["DatabaseId"].as_str().unwrap()
    ));
    let one = rows(&Cluster::new().run(".show cluster databases (local)"));
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["DatabaseName"], "Local");
}

#[test]
fn malformed_and_unknown_commands_are_400_syntax_errors() {
    let mut cluster = Cluster::new();
    for csl in [
        ".alter follower database Sales policy caching hot",
        ".create table T (a:string)",
        "Sales | take 10",
        "",
    ] {
        let e = cluster.fail(csl);
        assert_eq!(e.status, 400, "{csl}");
        assert_eq!(e.code(), "BadRequest_SyntaxError", "{csl}");
        let error = &e.body["error"];
        assert_eq!(
            error["message"],
            "Request is invalid and cannot be executed."
        );
        assert_eq!(error["@type"], "Kusto.Data.Exceptions.SyntaxException");
        assert!(
            error["@message"]
                .as_str()
                .unwrap()
                .starts_with("Syntax error: SYN0002: ")
        );
        assert_eq!(error["@permanent"], true);
        assert_eq!(error["@text"], csl);
    }
    assert_eq!(cluster.sales(), &FollowerSettings::default());
}

#[test]
fn bad_literals_and_principals_are_400() {
    let mut cluster = Cluster::new();
    let e = cluster.fail(".alter follower database Sales policy caching hot = 7w");
    assert_eq!((e.status, e.code()), (400, "BadRequest_SyntaxError"));
    assert_eq!(
        e.body["error"]["@type"],
        "Kusto.Data.Exceptions.InvalidLiteralFormatException"
    );
    let e = cluster.fail(".add follower database Sales admins ('jack@contoso.com')");
    assert_eq!((e.status, e.code()), (400, "General_BadRequest"));
    assert!(
        e.detail().contains("`jack@contoso.com` is not a principal"),
        "{e}"
    );
}

#[test]
fn unknown_entities_are_entity_not_found() {
    let mut cluster = Cluster::new();
    let cases = [
        (
            ".alter follower database Nope policy caching hot = 1d",
            "Database",
            "Nope",
        ),
        (".show follower database Nope", "Database", "Nope"),
        (".show databases (Local, Nope)", "Database", "Nope"),
        (
            ".alter follower database Sales table orders policy caching hot = 1d",
            "Table",
            "orders",
        ),
        (
            ".delete follower database Sales tables (Orders, Lost) policy caching",
            "Table",
            "Lost",
        ),
        (
            ".alter follower database Sales materialized-view Gone policy caching hot = 1d",
            "MaterializedView",
            "Gone",
        ),
    ];
    for (csl, kind, name) in cases {
        let e = cluster.fail(csl);
        assert_eq!(
            (e.status, e.code()),
            (400, "BadRequest_EntityNotFound"),
            "{csl}"
        );
        assert_eq!(
            e.detail(),
            format!("Entity ID '{name}' of kind '{kind}' was not found."),
            "{csl}"
        );
        assert_eq!(
            e.body["error"]["@type"],
            "Kusto.Data.Exceptions.EntityNotFoundException"
        );
    }
    assert_eq!(cluster.sales(), &FollowerSettings::default());
    let e = execute(&mut cluster, "Nope", ".show databases").unwrap_err();
    assert_eq!(e.code(), "BadRequest_EntityNotFound");
    assert!(execute(&mut cluster, "NetDefaultDB", ".show databases").is_ok());
}

#[test]
fn follower_commands_on_a_read_write_database_fail() {
    let mut cluster = Cluster::new();
    for csl in [
        ".alter follower database Local policy caching hot = 1d",
        ".add follower database Local admins ('aaduser=jack@contoso.com')",
        ".alter follower database Local prefetch-extents = true",
    ] {
        let e = cluster.fail(csl);
        assert_eq!((e.status, e.code()), (400, "General_BadRequest"), "{csl}");
        assert!(
            e.detail().contains("'Local' is not a follower database"),
            "{e}"
        );
    }
}
