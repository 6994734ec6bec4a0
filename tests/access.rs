//! `kfollow access`: who can query each follower database, and why, under each principals
//! modification kind, end to end against the emulator.

use kfollow_emulator::kusto::PrincipalGrant;
use kfollow_emulator::kusto::principals::fully_qualified_name;
use kfollow_model::Role;
use serde_json::{Value, json};

use crate::support::{Workspace, cluster_id};

/// `leader1` grants its Sales database to an admin and a group of readers; three followers
/// follow it, each under another principals modification kind.
fn world() -> String {
    let followers: String = ["union", "replace", "none"]
        .iter()
        .map(|name| format!("  - id: {}\n    location: westeurope\n", cluster_id(name)))
        .collect();
    format!(
        r#"clusters:
  - id: {leader}
    location: westeurope
    databases:
      - name: Sales
        tables: [Orders]
        principals:
          admins: ['aaduser=lead.admin@contoso.com']
          viewers: ['aadgroup=sales-readers@contoso.com']
{followers}settings:
  retryAfterSeconds: 0
"#,
        leader = cluster_id("leader1"),
    )
}

fn attachment(follower: &str, database: &str, kind: &str, viewers: &str) -> String {
    format!(
        "  - name: sales\n    follower: {follower}\n    leader: lead\n    databaseName: Sales\n    databaseNameOverride: {database}\n    followerDatabase:\n      principalsModificationKind: {kind}\n      principals:\n        viewers: [{viewers}]\n"
    )
}

fn manifest() -> String {
    let clusters: String = ["union", "replace", "none"]
        .iter()
        .map(|name| format!("  {name}:\n    id: {}\n", cluster_id(name)))
        .collect();
    format!(
        "version: 1\nclusters:\n  lead:\n    id: {}\n{clusters}attachments:\n{}{}{}",
        cluster_id("leader1"),
        attachment(
            "union",
            "SalesUnion",
            "Union",
            "'aaduser=alice@contoso.com', 'aadgroup=sales-readers@contoso.com'"
        ),
        attachment(
            "replace",
            "SalesReplace",
            "Replace",
            "'aaduser=alice@contoso.com'"
        ),
        attachment("none", "SalesNone", "None", "'aaduser=alice@contoso.com'"),
    )
}

/// The manifest applied, then an admin added by hand on `SalesUnion`.
fn applied() -> Workspace {
    let ws = Workspace::new();
    ws.write("world.yaml", &world());
    ws.write("kfollow.yaml", &manifest());
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    let mut world = ws.world();
    let mallory = "aaduser=mallory@contoso.com";
    world.clusters[1].attached_database_configurations[0]
        .follower_databases
        .get_mut("SalesUnion")
        .expect("the union follower database has settings")
        .principals
        .push(PrincipalGrant {
            role: Role::Admins,
            fqn: fully_qualified_name(&mallory.parse().unwrap()),
            display_name: mallory.to_owned(),
            notes: String::new(),
        });
    world.save(&ws.path().join("world.yaml")).unwrap();
    ws
}

/// `(role, display, origin, declared)` of each principal of one follower database.
fn principals(review: &Value, database: &str) -> Vec<(String, String, String, Value)> {
    let database = review["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["database"] == database)
        .unwrap_or_else(|| panic!("no {database} in {review:#}"));
    database["principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let origin: Vec<&str> = p["origin"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap())
                .collect();
            (
                p["role"].as_str().unwrap().to_owned(),
                p["display"].as_str().unwrap().to_owned(),
                origin.join("+"),
                p["declared"].clone(),
            )
        })
        .collect()
}

fn row(
    role: &str,
    display: &str,
    origin: &str,
    declared: Value,
) -> (String, String, String, Value) {
    (role.into(), display.into(), origin.into(), declared)
}

#[test]
fn every_principal_is_attributed_under_union_replace_and_none() {
    let ws = applied();
    let run = ws.emulated(&["access", "--format", "json"]).expect_code(0);
    let review: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(review["format_version"], "1");
    assert_eq!(
        review["summary"],
        json!({"databases": 3, "principals": 7, "unexplained": 0})
    );

    // Union: the leader's and the follower's; a principal in both lists has both origins; one
    // added by hand is an override the manifest does not declare.
    assert_eq!(
        principals(&review, "SalesUnion"),
        [
            row(
                "admins",
                "lead.admin (upn: lead.admin@contoso.com)",
                "leader",
                json!(false)
            ),
            row(
                "admins",
                "mallory (upn: mallory@contoso.com)",
                "override",
                json!(false)
            ),
            row(
                "viewers",
                "alice (upn: alice@contoso.com)",
                "override",
                json!(true)
            ),
            row("viewers", "sales-readers", "leader+override", Value::Null),
        ]
    );
    // Replace: the follower's alone.
    assert_eq!(
        principals(&review, "SalesReplace"),
        [row(
            "viewers",
            "alice (upn: alice@contoso.com)",
            "override",
            json!(true)
        )]
    );
    // None: the leader's alone; the manifest's viewer cannot query, and the review says why.
    assert_eq!(
        principals(&review, "SalesNone"),
        [
            row(
                "admins",
                "lead.admin (upn: lead.admin@contoso.com)",
                "leader",
                json!(false)
            ),
            row("viewers", "sales-readers", "leader", json!(false)),
        ]
    );
    assert_eq!(
        review["warnings"],
        json!([
            "`aaduser=alice@contoso.com` is declared as `viewers` of follower database `SalesNone` on `none`, but its principals modification kind is `None`: only the leader's principals can query it"
        ])
    );
    let names: Vec<&str> = review["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["database"].as_str().unwrap())
        .collect();
    // By follower alias: none, replace, union.
    assert_eq!(names, ["SalesNone", "SalesReplace", "SalesUnion"]);
    let union = &review["databases"][2];
    assert_eq!(union["leader"], "lead");
    assert_eq!(union["leader_database"], "Sales");
    assert_eq!(union["follower"], "union");
    assert_eq!(union["attachment"], "sales");
    assert_eq!(union["principals_modification_kind"], "Union");
}

/// The forms people read, as they read them.
#[test]
fn text_markdown_and_csv() {
    let ws = applied();
    for (format, name) in [
        ("text", "access_text"),
        ("markdown", "access_markdown"),
        ("csv", "access_csv"),
    ] {
        let run = ws.emulated(&["access", "--format", format]).expect_code(0);
        insta::assert_snapshot!(name, run.stdout);
    }
}

/// A follower database nobody attached yet is named, not skipped in silence; a cluster that
/// does not exist is an error.
#[test]
fn an_attachment_not_attached_yet_is_a_warning() {
    let ws = Workspace::new();
    ws.write("world.yaml", &world());
    ws.write("kfollow.yaml", &manifest());
    let run = ws.emulated(&["access"]).expect_code(0);
    assert!(
        run.stdout
            .contains("attachment `sales` on `union` has no follower database yet"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("0 follower databases, 0 principals, 0 unexplained."),
        "{}",
        run.stdout
    );
    let missing = manifest().replace("clusters/replace", "clusters/nowhere");
    ws.write("kfollow.yaml", &missing);
    let run = ws.emulated(&["access"]).expect_code(1);
    assert!(run.stderr.contains("nowhere"), "{}", run.stderr);
    assert!(
        run.stderr.contains("check the clusters the manifest names"),
        "{}",
        run.stderr
    );
}
