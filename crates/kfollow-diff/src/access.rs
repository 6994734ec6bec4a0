//! Where each principal that can query a follower database comes from (`kfollow access`).
//!
//! The follower cluster lists who can query a follower database; the principals modification
//! kind says how that list was made (<https://learn.microsoft.com/azure/data-explorer/follower>):
//! `Union` is the leader database's principals and the follower's own, `Replace` the
//! follower's own only, `None` the leader's only. A principal listed in a role is from the
//! **leader** when the leader database grants it that role and the kind lets the leader's
//! principals through (`Union`, `None`); it is an **override** when the follower adds it in
//! that role and the kind lets the follower's through (`Union`, `Replace`); both can hold. A
//! cluster-wide role of the follower cluster (`AllDatabasesViewer`, …) is its own origin. A
//! principal that the manifest does not declare for that follower database and role, and that
//! comes from neither the leader nor an override, is **unexplained**: a reviewer must look at
//! it.
//!
//! Pure: what `kfollow-state` read in, the review out.

use kfollow_model::{
    AccessReview, DatabaseAccess, Desired, LiveAccess, LiveDatabaseAccess, Origin, Principal,
    PrincipalAccess, PrincipalsModificationKind, Role,
};

use crate::principals::{Relation, relate};

/// Who can query each follower database of `live`, and why; see the module documentation.
pub fn review(desired: &Desired, live: &LiveAccess) -> AccessReview {
    let mut review = AccessReview::default();
    for database in &live.databases {
        let declared = declared(desired, database);
        let principals = attribute(database, &declared);
        review.warnings.extend(not_granted(database, &declared));
        review.databases.push(DatabaseAccess {
            of: database.of.clone(),
            principals,
        });
    }
    for (follower, attachment) in &live.not_attached {
        review.warnings.push(format!(
            "attachment `{attachment}` on `{follower}` has no follower database yet, so nobody \
             can query it there; run `kfollow plan` to see what attaching it takes"
        ));
    }
    review
}

/// The principals the manifest declares for this follower database, per role.
fn declared<'a>(desired: &'a Desired, database: &LiveDatabaseAccess) -> Vec<(Role, &'a Principal)> {
    desired
        .attachments
        .iter()
        .filter(|a| {
            a.follower == database.of.follower
                && a.name.eq_ignore_ascii_case(&database.of.attachment)
        })
        .flat_map(|a| &a.follower_databases)
        .filter(|(leader_database, _)| {
            leader_database.eq_ignore_ascii_case(&database.of.leader_database)
        })
        .flat_map(|(_, settings)| &settings.principals)
        .flat_map(|(role, principals)| principals.iter().map(move |p| (*role, p)))
        .collect()
}

/// Each listed principal with its origin, by role, then display name, then stored name.
fn attribute(
    database: &LiveDatabaseAccess,
    declared: &[(Role, &Principal)],
) -> Vec<PrincipalAccess> {
    let kind = database.of.principals_modification_kind;
    let leader_applies = kind != PrincipalsModificationKind::Replace;
    let overrides_apply = kind != PrincipalsModificationKind::None;
    let mut principals: Vec<PrincipalAccess> = Vec::new();
    for row in &database.effective {
        let (role, origin) = match (row.role, row.cluster_wide()) {
            (Some(role), _) => {
                let same = |fqn: &str| fqn.eq_ignore_ascii_case(&row.fqn);
                let from_leader = leader_applies
                    && database
                        .leader_principals
                        .iter()
                        .any(|l| l.role == Some(role) && same(&l.fqn));
                let from_override = overrides_apply
                    && database
                        .overrides
                        .get(&role)
                        .is_some_and(|list| list.iter().any(|o| same(&o.fqn)));
                let origin = [
                    (from_leader, Origin::Leader),
                    (from_override, Origin::Override),
                ]
                .into_iter()
                .filter_map(|(holds, origin)| holds.then_some(origin))
                .collect();
                (role, origin)
            }
            (None, Some(role)) => (role, vec![Origin::Cluster]),
            // A role that grants no query (`Ingestor`, a table's), or one kfollow does not know.
            (None, None) => continue,
        };
        let live = row.as_observed();
        let relations: Vec<Relation> = declared
            .iter()
            .filter(|(r, _)| *r == role)
            .map(|(_, p)| relate(&live, p))
            .collect();
        let is_declared = if relations.contains(&Relation::Same) {
            Some(true)
        } else if relations.contains(&Relation::Undecided) {
            None
        } else {
            Some(false)
        };
        let explained = origin.contains(&Origin::Leader) || origin.contains(&Origin::Override);
        let entry = PrincipalAccess {
            role,
            principal: row.fqn.clone(),
            display: row.details.display_name.clone(),
            origin,
            declared: is_declared,
            unexplained: is_declared != Some(true) && !explained,
        };
        if !principals
            .iter()
            .any(|p| p.role == entry.role && p.principal.eq_ignore_ascii_case(&entry.principal))
        {
            principals.push(entry);
        }
    }
    principals.sort_by_key(|p| {
        (
            p.role,
            p.display.to_lowercase(),
            p.principal.to_ascii_lowercase(),
        )
    });
    principals
}

/// The principals the manifest declares that cannot query the follower database (no listed
/// principal of their role is, or may be, them), one warning each.
fn not_granted(database: &LiveDatabaseAccess, declared: &[(Role, &Principal)]) -> Vec<String> {
    declared
        .iter()
        .filter(|(role, principal)| {
            database.effective.iter().all(|row| {
                row.role != Some(*role) || relate(&row.as_observed(), principal) == Relation::Apart
            })
        })
        .map(|(role, principal)| {
            let place = format!(
                "`{principal}` is declared as `{role}` of follower database `{}` on `{}`",
                database.of.database, database.of.follower
            );
            if database.of.principals_modification_kind == PrincipalsModificationKind::None {
                format!(
                    "{place}, but its principals modification kind is `None`: only the \
                     leader's principals can query it"
                )
            } else {
                format!(
                    "{place}, but it is not among the principals that can query it; run \
                     `kfollow plan` to see the change that grants it"
                )
            }
        })
        .collect()
}
