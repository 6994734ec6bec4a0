//! The access review's four forms over a review with every kind of entry: both origins, a
//! cluster-wide role, a principal from nowhere, a database nobody can query, and names that
//! a spreadsheet or a terminal would misread.

use kfollow_model::{
    AccessReview, DatabaseAccess, Origin, PrincipalAccess, PrincipalsModificationKind, Role,
};
use kfollow_render::{
    ACCESS_CSV_COLUMNS, render_access_csv, render_access_json, render_access_markdown,
    render_access_text,
};

fn principal(
    role: Role,
    display: &str,
    origin: &[Origin],
    declared: Option<bool>,
    unexplained: bool,
) -> PrincipalAccess {
    PrincipalAccess {
        role,
        principal: format!(
            "aaduser={:08x}-0000-0000-0000-000000000000;55555555-4444-3333-2222-2d7cd011db47",
            display.len()
        ),
        display: display.into(),
        origin: origin.to_vec(),
        declared,
        unexplained,
    }
}

fn review() -> AccessReview {
    AccessReview {
        databases: vec![
            DatabaseAccess {
                follower: "emea".into(),
                database: "SalesEU".into(),
                attachment: "sales".into(),
                leader: "prod".into(),
                leader_database: "Sales".into(),
                principals_modification_kind: PrincipalsModificationKind::Union,
                principals: vec![
                    principal(Role::Admins, "Ops, Night Shift", &[Origin::Cluster], Some(false), true),
                    principal(Role::Viewers, "ada (upn: ada@contoso.com)", &[Origin::Leader, Origin::Override], Some(true), false),
                    principal(Role::Viewers, "=HYPERLINK(\"http://evil\")", &[], None, true),
                    principal(Role::Monitors, "Mallory\u{1b}[2J \"the\" | <b>", &[Origin::Override], Some(false), false),
                ],
            },
            DatabaseAccess {
                follower: "emea".into(),
                database: "Empty".into(),
                attachment: "empty".into(),
                leader: "prod".into(),
                leader_database: "Empty".into(),
                principals_modification_kind: PrincipalsModificationKind::Replace,
                principals: Vec::new(),
            },
        ],
        warnings: vec!["`aaduser=bob@contoso.com` is declared as `viewers` of follower database `SalesEU` on `emea`, but it is not among the principals that can query it; run `kfollow plan` to see the change that grants it".into()],
    }
}

#[test]
fn text() {
    insta::assert_snapshot!(render_access_text(&review()));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render_access_markdown(&review()));
}

#[test]
fn json() {
    insta::assert_snapshot!(render_access_json(&review()));
}

/// RFC 4180: quoted where needed, quotes doubled, CRLF line ends, and no formula.
#[test]
fn csv() {
    let csv = render_access_csv(&review());
    assert!(csv.ends_with("\r\n"));
    assert_eq!(csv.lines().next().unwrap(), ACCESS_CSV_COLUMNS.join(","));
    assert!(
        csv.contains(",\"Ops, Night Shift\",cluster,false,true\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\",,,true\r\n"),
        "{csv}"
    );
    insta::assert_snapshot!(csv.replace("\r\n", "⏎\n"));
}
