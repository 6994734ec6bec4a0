//! The access review's four forms over a review with every kind of entry: both origins, a
//! cluster-wide role, a principal from nowhere, a database nobody can query, and names that
//! a spreadsheet or a terminal would misread.

use kfollow_model::{
    AccessReview, DatabaseAccess, DatabaseUnderReview, Origin, PrincipalAccess,
    PrincipalsModificationKind, Role,
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

fn under_review(
    follower: &str,
    database: &str,
    attachment: &str,
    leader: &str,
    leader_database: &str,
    principals_modification_kind: PrincipalsModificationKind,
) -> DatabaseUnderReview {
    DatabaseUnderReview {
        follower: follower.into(),
        database: database.into(),
        attachment: attachment.into(),
        leader: leader.into(),
        leader_database: leader_database.into(),
        principals_modification_kind,
    }
}

fn review() -> AccessReview {
    AccessReview {
        databases: vec![
            DatabaseAccess {
                of: under_review("emea", "SalesEU", "sales", "prod", "Sales", PrincipalsModificationKind::Union),
                principals: vec![
                    principal(Role::Admins, "Ops, Night Shift", &[Origin::Cluster], Some(false), true),
                    principal(Role::Viewers, "ada (upn: ada@contoso.com)", &[Origin::Leader, Origin::Override], Some(true), false),
                    principal(Role::Viewers, "=HYPERLINK(\"http://evil\")", &[], None, true),
                    principal(Role::Monitors, "Mallory\u{1b}[2J \"the\" | <b>", &[Origin::Override], Some(false), false),
                ],
            },
            DatabaseAccess {
                of: under_review("emea", "Empty", "empty", "prod", "Empty", PrincipalsModificationKind::Replace),
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
