//! Caching overrides name tables and materialized views of the leader database: each must
//! exist there (as `kfollow-state` read it), or the follower command that sets the override
//! fails with `EntityNotFound` in the middle of an apply. Names are case-sensitive
//! (<https://learn.microsoft.com/kusto/query/schema-entities/entity-names>).

use std::collections::{BTreeMap, BTreeSet};

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
