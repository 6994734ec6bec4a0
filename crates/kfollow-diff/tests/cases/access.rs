//! The access review's attribution, with plain values: where each principal that can query a
//! follower database comes from, under each principals modification kind.

use std::collections::BTreeMap;

use kfollow_model::{
    DatabaseUnderReview, LiveAccess, LiveDatabaseAccess, ObservedPrincipal, Origin,
    PrincipalDetails, PrincipalRow, PrincipalsModificationKind, Role,
};

use crate::build::{World, principal};

const TENANT: &str = "55555555-4444-3333-2222-2d7cd011db47";

/// A row of `.show database … principals` for a user given by UPN.
fn user(role: Option<Role>, role_name: &str, name: &str, object: &str) -> PrincipalRow {
    PrincipalRow {
        role,
        role_name: role_name.into(),
        fqn: format!("aaduser={object};{TENANT}"),
        notes: String::new(),
        details: PrincipalDetails {
            principal_type: "Microsoft Entra user".into(),
            display_name: format!("{name} (upn: {name}@contoso.com)"),
            object_id: object.into(),
        },
    }
}

const ADA: &str = "aaaaaaaa-0000-0000-0000-000000000001";
const BOB: &str = "bbbbbbbb-0000-0000-0000-000000000002";
const EVE: &str = "eeeeeeee-0000-0000-0000-000000000005";
const OPS: &str = "00000000-0000-0000-0000-0000000000ff";

fn viewer(name: &str, object: &str) -> PrincipalRow {
    user(Some(Role::Viewers), "Database SalesEU Viewer", name, object)
}

/// A follower database of `emea` following `prod`/`Sales`: the leader grants ada; the
/// follower adds bob; the effective list is `effective`.
fn database(kind: PrincipalsModificationKind, effective: Vec<PrincipalRow>) -> LiveDatabaseAccess {
    let bob = viewer("bob", BOB);
    LiveDatabaseAccess {
        of: DatabaseUnderReview {
            follower: "emea".into(),
            database: "SalesEU".into(),
            attachment: "sales".into(),
            leader: "prod".into(),
            leader_database: "Sales".into(),
            principals_modification_kind: kind,
        },
        effective,
        leader_principals: vec![user(
            Some(Role::Viewers),
            "Database Sales Viewer",
            "ada",
            ADA,
        )],
        overrides: BTreeMap::from([(
            Role::Viewers,
            vec![ObservedPrincipal {
                fqn: bob.fqn.to_ascii_uppercase(),
                ..ObservedPrincipal::default()
            }],
        )]),
    }
}

/// The manifest declares bob as a viewer of `SalesEU`.
fn world() -> World {
    let mut world = World::new();
    world.attach("sales", "emea", "prod", "Sales");
    world
        .settings("sales", "Sales")
        .principals
        .insert(Role::Viewers, vec![principal("aaduser=bob@contoso.com")]);
    world
}

fn origins(review: &kfollow_model::AccessReview) -> Vec<(String, Vec<Origin>, Option<bool>, bool)> {
    review
        .principals()
        .map(|(_, p)| {
            (
                p.display.split(' ').next().unwrap().to_owned(),
                p.origin.clone(),
                p.declared,
                p.unexplained,
            )
        })
        .collect()
}

#[test]
fn union_lets_both_through_and_a_principal_in_both_has_both_origins() {
    let both = LiveAccess {
        databases: vec![database(
            PrincipalsModificationKind::Union,
            vec![viewer("ada", ADA), viewer("bob", BOB)],
        )],
        ..LiveAccess::default()
    };
    let review = kfollow_diff::review(&world().desired, &both);
    assert_eq!(
        origins(&review),
        [
            ("ada".into(), vec![Origin::Leader], Some(false), false),
            ("bob".into(), vec![Origin::Override], Some(true), false),
        ]
    );
    assert!(review.warnings.is_empty(), "{:?}", review.warnings);

    let mut same = both.clone();
    same.databases[0].leader_principals.push(viewer("bob", BOB));
    let review = kfollow_diff::review(&world().desired, &same);
    assert_eq!(
        review.databases[0].principals[1].origin,
        [Origin::Leader, Origin::Override]
    );
}

/// Under `Replace` the leader's principals do not apply: one listed anyway comes from
/// neither; under `None` the follower's do not.
#[test]
fn replace_and_none_each_let_one_side_through() {
    let replace = LiveAccess {
        databases: vec![database(
            PrincipalsModificationKind::Replace,
            vec![viewer("ada", ADA), viewer("bob", BOB)],
        )],
        ..LiveAccess::default()
    };
    let review = kfollow_diff::review(&world().desired, &replace);
    assert_eq!(
        origins(&review),
        [
            ("ada".into(), vec![], Some(false), true),
            ("bob".into(), vec![Origin::Override], Some(true), false),
        ]
    );
    assert_eq!(review.unexplained(), 1);

    let none = LiveAccess {
        databases: vec![database(
            PrincipalsModificationKind::None,
            vec![viewer("ada", ADA)],
        )],
        ..LiveAccess::default()
    };
    let review = kfollow_diff::review(&world().desired, &none);
    assert_eq!(
        origins(&review),
        [("ada".into(), vec![Origin::Leader], Some(false), false)]
    );
    assert_eq!(
        review.warnings,
        [
            "`aaduser=bob@contoso.com` is declared as `viewers` of follower database `SalesEU` on `emea`, but its principals modification kind is `None`: only the leader's principals can query it"
        ]
    );
}

/// A principal from nowhere is unexplained unless the manifest declares it; a cluster-wide
/// role is its own origin, and still unexplained; a role that grants no query is left out.
#[test]
fn principals_from_nowhere_are_marked() {
    let mut eve_declared = world();
    eve_declared
        .settings("sales", "Sales")
        .principals
        .get_mut(&Role::Viewers)
        .unwrap()
        .push(principal("aaduser=eve@contoso.com"));
    let live = LiveAccess {
        databases: vec![database(
            PrincipalsModificationKind::Union,
            vec![
                viewer("eve", EVE),
                user(None, "AllDatabasesViewer", "ops", OPS),
                user(None, "Database SalesEU Ingestor", "ops", OPS),
            ],
        )],
        ..LiveAccess::default()
    };
    let review = kfollow_diff::review(&world().desired, &live);
    assert_eq!(
        origins(&review),
        [
            ("eve".into(), vec![], Some(false), true),
            ("ops".into(), vec![Origin::Cluster], Some(false), true),
        ]
    );
    assert_eq!(review.databases[0].principals[1].role, Role::Viewers);
    let review = kfollow_diff::review(&eve_declared.desired, &live);
    assert_eq!(
        origins(&review)[0],
        ("eve".into(), vec![], Some(true), false)
    );
}

#[test]
fn an_attachment_without_follower_databases_is_a_warning() {
    let live = LiveAccess {
        not_attached: vec![("emea".into(), "sales".into())],
        ..LiveAccess::default()
    };
    let review = kfollow_diff::review(&world().desired, &live);
    assert!(review.databases.is_empty());
    assert_eq!(
        review.warnings,
        [
            "attachment `sales` on `emea` has no follower database yet, so nobody can query it there; run `kfollow plan` to see what attaching it takes"
        ]
    );
}
