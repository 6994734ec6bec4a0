//! The tables, external tables, materialized views and functions a manifest names, against
//! the leader database as `kfollow-state` read it. A caching override must name an entity that exists there, or the
//! follower command that sets it fails with `EntityNotFound` in the middle of an apply: an
//! error. A table-level sharing entry that matches nothing is taken by the service (the
//! entity may come later), so it is a warning. Names are case-sensitive
//! (<https://learn.microsoft.com/kusto/query/schema-entities/entity-names>).

use std::collections::{BTreeMap, BTreeSet};

use kfollow_model::sharing::wildcard_match;
use kfollow_model::{DatabaseSelection, SourceLocation, Timespan};

use crate::{Context, DiffError, Resolved};

/// Every table and view override of every attachment, against its leader database's
/// entities; all the missing ones are reported, each at the line that names it. A leader
/// database whose entities were not read (it does not exist, or is not read-write) is left to
/// the leader database check.
pub(crate) fn overrides_exist(cx: &mut Context<'_>, resolved: &[Resolved<'_>]) {
    for r in resolved {
        for (database, settings) in &r.attachment.follower_databases {
            let database = match &r.attachment.database {
                DatabaseSelection::One(one) => one,
                DatabaseSelection::All => database,
            };
            let Some(live) = r.leader_live.entities(database) else {
                continue;
            };
            let kinds = [
                (
                    "table",
                    &settings.tables,
                    &settings.table_origins,
                    &live.tables,
                ),
                (
                    "materialized view",
                    &settings.materialized_views,
                    &settings.materialized_view_origins,
                    &live.materialized_views,
                ),
            ];
            for (kind, wanted, origins, existing) in kinds {
                let (Some(wanted), Some(existing)) = (wanted, existing) else {
                    continue;
                };
                missing(
                    cx,
                    r,
                    database,
                    kind,
                    wanted,
                    origins,
                    settings.origin,
                    existing,
                );
            }
        }
    }
}

#[allow(clippy::too_many_arguments)] // one call site, each argument a different thing
fn missing(
    cx: &mut Context<'_>,
    r: &Resolved<'_>,
    database: &str,
    kind: &'static str,
    wanted: &BTreeMap<String, Timespan>,
    origins: &BTreeMap<String, SourceLocation>,
    block: SourceLocation,
    existing: &BTreeSet<String>,
) {
    let mut absent: Vec<(SourceLocation, &String)> = wanted
        .keys()
        .filter(|name| !existing.contains(*name))
        .map(|name| (origins.get(name).copied().unwrap_or(block), name))
        .collect();
    // In manifest order, as the user reads them.
    absent.sort_by_key(|(origin, _)| (origin.line, origin.column));
    for (origin, name) in absent {
        let at = cx.at(origin);
        let same_but_case = existing
            .iter()
            .find(|e| e.eq_ignore_ascii_case(name))
            .cloned();
        cx.errors.push(DiffError::LeaderEntityMissing {
            at,
            kind,
            name: name.clone(),
            database: database.to_owned(),
            leader: r.leader.alias.clone(),
            same_but_case,
        });
    }
}

/// Warns about every table-level sharing entry of an attachment of one database that matches
/// no entity of its kind in the leader database (a typo shares nothing, silently). A kind
/// whose entities were not read is not judged.
pub(crate) fn sharing_entries_match(cx: &mut Context<'_>, resolved: &[Resolved<'_>]) {
    for r in resolved {
        let DatabaseSelection::One(database) = &r.attachment.database else {
            continue;
        };
        let Some(live) = r.leader_live.entities(database) else {
            continue;
        };
        let sharing = &r.attachment.table_level_sharing;
        // `lists()` gives each kind's include and exclude lists, kind by kind in this order.
        let kinds = [
            ("table", &live.tables),
            ("external table", &live.external_tables),
            ("materialized view", &live.materialized_views),
            ("function", &live.functions),
        ];
        for (k, ((kind, existing), lists)) in
            kinds.into_iter().zip(sharing.lists().chunks(2)).enumerate()
        {
            let Some(existing) = existing else {
                continue;
            };
            let article = if kind.starts_with('e') { "an" } else { "a" };
            for (j, (list, entries)) in lists.iter().enumerate() {
                for (e, entry) in entries.iter().enumerate() {
                    if existing.iter().any(|name| wildcard_match(entry, name)) {
                        continue;
                    }
                    let hint = existing
                        .iter()
                        .find(|name| wildcard_match(&entry.to_lowercase(), &name.to_lowercase()))
                        .map_or_else(String::new, |name| format!("; did you mean `{name}`?"));
                    cx.plan.warnings.push(format!(
                        "{}: `{list}` entry `{entry}` of attachment `{}` on `{}` matches no \
                         {kind} of database `{database}` on leader `{}` (names are \
                         case-sensitive{hint}); it takes effect only once the leader has such \
                         {article} {kind}",
                        cx.at(r.attachment.sharing_origin(2 * k + j, e)),
                        r.attachment.name,
                        r.follower.alias,
                        r.leader.alias,
                    ));
                }
            }
        }
    }
}
