//! Runs a parsed command against the cluster's [`Catalog`]: checks the names the service
//! checks, applies the effect to the follower database's [`FollowerSettings`], and answers.

use serde_json::Value;

use super::ast::{CachingTarget, Command};
use super::error::KustoError;
use kfollow_model::{PrincipalsModificationKind, Timespan};

use super::frames::{self, PrincipalRow};
use super::principals::fully_qualified_name;
use super::{Catalog, DatabaseView, EntityView, FollowerSettings, PrincipalGrant, parse};

/// The database name clients send when a command needs none (the .NET SDK's default).
const DEFAULT_DATABASE: &str = "NetDefaultDB";

/// Parses and runs one management command (`csl`) sent with database `database` (the request's
/// `db`, possibly empty) against `catalog`.
///
/// Answers a v1 response (`{"Tables":[…]}`) or the status and OneApi body of the failure. Every
/// follower command that changes something answers the `.show follower database` row of the
/// database it changed, as it stands after the change; `.show follower database` reports
/// [`Catalog::shown_settings`], which may lag until the next schema refresh.
///
/// # Errors
///
/// 400 with a OneApi body: `BadRequest_SyntaxError` for a command that does not parse or that
/// the emulator does not know (and for a malformed timespan), `General_BadRequest` for a
/// malformed principal or a follower command on a read-write database,
/// `BadRequest_EntityNotFound` for an unknown database (the command's or the request's `db`),
/// table, external table, materialized view or function. A failed command changes nothing.
pub fn execute(catalog: &mut dyn Catalog, database: &str, csl: &str) -> Result<Value, KustoError> {
    let command = parse(csl).map_err(|e| KustoError::from_parse(&e, csl, database))?;
    let views = catalog.databases();
    let find = |name: &str| -> Result<&DatabaseView, KustoError> {
        // entity-names.md: database names are case-insensitive.
        views
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| KustoError::not_found("Database", name, csl, database))
    };
    let is_default = database.is_empty() || database.eq_ignore_ascii_case(DEFAULT_DATABASE);
    if !is_default {
        find(database)?;
    }
    // The database a command about a database's entities runs in: the request's own.
    let context = || -> Result<&str, KustoError> {
        if is_default {
            Err(KustoError::no_database(csl, database))
        } else {
            Ok(database)
        }
    };
    // Every database, or the ones named (each must exist).
    let select = |names: &Option<Vec<String>>| -> Result<Vec<&DatabaseView>, KustoError> {
        match names {
            None => Ok(views.iter().collect()),
            Some(names) => names.iter().map(|name| find(name)).collect(),
        }
    };
    // The external tables or functions of the request's database: every one, or those named.
    let names_in_context =
        |entities: fn(&DatabaseView) -> &Vec<String>, names: &Option<Vec<String>>, kind: &str| {
            let view = context().and_then(find)?;
            named(entities(view), names.as_deref(), kind, csl, database)
        };
    match &command {
        Command::ShowDatabases { databases } => {
            Ok(frames::databases(&select(databases)?, database))
        }
        Command::ShowFollowerDatabases { databases } => {
            // Without names: every follower database. Each was attached through a
            // configuration that sets its modification kinds, which the doc counts among the
            // database-level overrides, and the doc's own first `.show follower database`
            // shows a database with no other override. With names: an unknown name fails, a
            // read-write database gives no row (as clients such as KustoSchemaTools expect).
            let mut rows = Vec::new();
            for view in select(databases)? {
                let Some(follower) = &view.follower else {
                    continue;
                };
                if let Some(settings) = catalog.shown_settings(&view.name) {
                    rows.push((view, follower, settings));
                }
            }
            let rows: Vec<_> = rows.iter().map(|(v, f, s)| (*v, *f, s)).collect();
            Ok(frames::follower_databases(
                &rows,
                catalog.echo_principal_notes(),
            ))
        }
        Command::ShowDatabasePrincipals { database: name } => {
            let view = find(name)?;
            let rows = effective_principals(catalog, view);
            Ok(frames::database_principals(&view.name, &rows))
        }
        Command::ShowTableDetails { tables } => {
            let view = context().and_then(find)?;
            let tables = named(&view.tables, tables.as_deref(), "Table", csl, database)?;
            let settings = match view.follower {
                Some(_) => catalog.shown_settings(&view.name),
                None => None,
            };
            let rows: Vec<_> = tables
                .into_iter()
                .map(|table| (table, effective_hot(view, settings.as_ref(), &table.name)))
                .collect();
            Ok(frames::table_details(view, &rows))
        }
        Command::ShowMaterializedViews { views } => {
            let view = context().and_then(find)?;
            let kind = "MaterializedView";
            let found = named(
                &view.materialized_views,
                views.as_deref(),
                kind,
                csl,
                database,
            )?;
            Ok(frames::materialized_views(&found))
        }
        Command::ShowExternalTables { tables } => {
            let found = names_in_context(|v| &v.external_tables, tables, "ExternalTable")?;
            Ok(frames::external_tables(&found))
        }
        Command::ShowFunctions { functions } => {
            let found = names_in_context(|v| &v.functions, functions, "Function")?;
            Ok(frames::functions(&found))
        }
        change => {
            let name = change.follower_database().unwrap_or_default();
            let view = find(name)?;
            let not_a_follower = || KustoError::not_a_follower(&view.name, csl, database);
            let follower = view.follower.as_ref().ok_or_else(not_a_follower)?;
            check_entities(change, view, csl, database)?;
            let settings = catalog
                .settings_mut(&view.name)
                .ok_or_else(not_a_follower)?;
            apply(change, settings);
            let after = settings.clone();
            Ok(frames::follower_databases(
                &[(view, follower, &after)],
                catalog.echo_principal_notes(),
            ))
        }
    }
}

/// The principals a database grants: a read-write database's own; a follower database's
/// leader's and its overrides as its principals modification kind combines them (`Union`:
/// both, `Replace`: the overrides only, `None`: the leader's only), as the settings show at
/// the last schema refresh. One row per role and principal, in role order.
fn effective_principals(catalog: &mut dyn Catalog, view: &DatabaseView) -> Vec<PrincipalRow> {
    let inherited = view
        .principals
        .iter()
        .map(|(role, principal)| PrincipalRow {
            role: *role,
            fqn: fully_qualified_name(principal),
            principal: principal.clone(),
            notes: String::new(),
        });
    let settings = match view.follower {
        Some(_) => catalog.shown_settings(&view.name),
        None => None,
    };
    let Some(settings) = settings else {
        return dedupe(inherited.collect());
    };
    let echo = catalog.echo_principal_notes();
    let overrides = settings.principals.iter().filter_map(|grant| {
        Some(PrincipalRow {
            role: grant.role,
            fqn: grant.fqn.clone(),
            principal: grant.display_name.parse().ok()?,
            notes: if echo {
                grant.notes.clone()
            } else {
                String::new()
            },
        })
    });
    let rows = match settings.principals_modification_kind {
        PrincipalsModificationKind::Union => inherited.chain(overrides).collect(),
        PrincipalsModificationKind::Replace => overrides.collect(),
        PrincipalsModificationKind::None => inherited.collect(),
    };
    dedupe(rows)
}

/// Sorts rows by role (stable) and keeps the first of each role and principal.
fn dedupe(mut rows: Vec<PrincipalRow>) -> Vec<PrincipalRow> {
    rows.sort_by_key(|row| row.role);
    let mut seen = std::collections::HashSet::new();
    rows.retain(|row| seen.insert((row.role, row.fqn.to_ascii_lowercase())));
    rows
}

/// The entities named, in the order named (each must exist: names are case-sensitive), or
/// every one.
fn named<'v, E: Named>(
    entities: &'v [E],
    names: Option<&[String]>,
    kind: &str,
    csl: &str,
    database: &str,
) -> Result<Vec<&'v E>, KustoError> {
    let Some(names) = names else {
        return Ok(entities.iter().collect());
    };
    names
        .iter()
        .map(|name| {
            entities
                .iter()
                .find(|e| e.name() == name)
                .ok_or_else(|| KustoError::not_found(kind, name, csl, database))
        })
        .collect()
}

/// An entity of a database, known by its name: a table or view ([`EntityView`]), or an
/// external table or function (its name alone).
trait Named {
    fn name(&self) -> &str;
}

impl Named for EntityView {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for String {
    fn name(&self) -> &str {
        self
    }
}

/// A table's effective hot period: a follower database's override of the table, else its
/// database-level override, else the database's own policy.
fn effective_hot(
    view: &DatabaseView,
    settings: Option<&FollowerSettings>,
    table: &str,
) -> Option<Timespan> {
    settings
        .and_then(|s| s.tables.get(table).copied().or(s.hot_cache_period))
        .or(view.hot_cache_period)
}

/// The tables and materialized views a caching command names must be visible in the follower
/// database. Entity names other than databases are case-sensitive (entity-names.md).
fn check_entities(
    command: &Command,
    follower: &DatabaseView,
    csl: &str,
    database: &str,
) -> Result<(), KustoError> {
    let target = match command {
        Command::AlterFollowerCaching { target, .. }
        | Command::DeleteFollowerCaching { target, .. } => target,
        _ => return Ok(()),
    };
    let (names, known, kind) = match target {
        CachingTarget::Database => return Ok(()),
        CachingTarget::Tables(names) => (names, &follower.tables, "Table"),
        CachingTarget::MaterializedViews(names) => {
            (names, &follower.materialized_views, "MaterializedView")
        }
    };
    match names
        .iter()
        .find(|name| !known.iter().any(|e| &&e.name == name))
    {
        Some(missing) => Err(KustoError::not_found(kind, missing, csl, database)),
        None => Ok(()),
    }
}

/// The effect of a checked command on the follower database's settings.
fn apply(command: &Command, settings: &mut FollowerSettings) {
    match command {
        Command::AlterFollowerCaching { target, hot, .. } => match target {
            CachingTarget::Database => settings.hot_cache_period = Some(*hot),
            CachingTarget::Tables(names) => {
                for name in names {
                    settings.tables.insert(name.clone(), *hot);
                }
            }
            CachingTarget::MaterializedViews(names) => {
                for name in names {
                    settings.materialized_views.insert(name.clone(), *hot);
                }
            }
        },
        Command::DeleteFollowerCaching { target, .. } => match target {
            CachingTarget::Database => settings.hot_cache_period = None,
            CachingTarget::Tables(names) => {
                for name in names {
                    settings.tables.remove(name);
                }
            }
            CachingTarget::MaterializedViews(names) => {
                for name in names {
                    settings.materialized_views.remove(name);
                }
            }
        },
        Command::AddFollowerPrincipals {
            role,
            principals,
            notes,
            ..
        } => {
            for principal in principals {
                let fqn = fully_qualified_name(principal);
                // Adding a principal that already holds the role changes nothing, as with
                // `.add database … <role>`: the first grant keeps its notes.
                let held = settings
                    .principals
                    .iter()
                    .any(|g| g.role == *role && g.fqn.eq_ignore_ascii_case(&fqn));
                if !held {
                    settings.principals.push(PrincipalGrant {
                        role: *role,
                        fqn,
                        display_name: principal.to_string(),
                        notes: notes.clone().unwrap_or_default(),
                    });
                }
            }
        }
        Command::DropFollowerPrincipals {
            role, principals, ..
        } => {
            // The principal is matched by FQN, so the form it was added in and the stored FQN
            // both drop it; a principal that does not hold the role is ignored.
            for principal in principals {
                let fqn = fully_qualified_name(principal);
                settings
                    .principals
                    .retain(|g| !(g.role == *role && g.fqn.eq_ignore_ascii_case(&fqn)));
            }
        }
        Command::AlterFollowerPrincipalsModificationKind { kind, .. } => {
            settings.principals_modification_kind = *kind;
        }
        Command::AlterFollowerCachingPoliciesModificationKind { kind, .. } => {
            settings.caching_policies_modification_kind = *kind;
        }
        Command::AlterFollowerPrefetchExtents { enabled, .. } => {
            settings.prefetch_extents = *enabled;
        }
        Command::ShowDatabases { .. }
        | Command::ShowDatabasePrincipals { .. }
        | Command::ShowTableDetails { .. }
        | Command::ShowMaterializedViews { .. }
        | Command::ShowExternalTables { .. }
        | Command::ShowFunctions { .. }
        | Command::ShowFollowerDatabases { .. } => {}
    }
}
