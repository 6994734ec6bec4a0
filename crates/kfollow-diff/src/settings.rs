//! Follower database settings: caching overrides, principals, the two
//! modification kinds and prefetch-extents, changed with the data-plane commands of
//! <https://learn.microsoft.com/kusto/management/cluster-follower>.
//!
//! The database-level hot cache could also be set through ARM (`PutFollowerHotCache`); it is
//! the same setting, and the data-plane command keeps every setting of a follower database
//! in one kind of request, one endpoint and one error shape.

use std::collections::BTreeMap;

use kfollow_model::{
    Action, Address, AttributeChange, Change, DatabaseSelection, FollowerDatabaseSettings, Managed,
    NOTES_PREFIX, ObservedFollowerSettings, ObservedPrincipal, Operation, Principal, Role,
    Timespan,
};
use serde_json::Value;

use crate::kql::{self, Entity};
use crate::{Context, Outcome, Resolved, checks, principals};

/// One `Change` per follower database whose managed settings differ from the live ones.
pub(crate) fn diff_settings(cx: &mut Context<'_>, resolved: &[Resolved<'_>], outcomes: &[Outcome]) {
    let freed = checks::freed_attachments(cx);
    for (r, outcome) in resolved.iter().zip(outcomes) {
        let shadowed = checks::shadowed(r, &freed);
        for (leader_database, wanted) in &r.attachment.follower_databases {
            if r.attachment.database == DatabaseSelection::All {
                let before = cx.errors.len();
                let at = cx.at(wanted.origin);
                checks::leader_database(cx, r, leader_database, &at);
                if cx.errors.len() > before {
                    continue;
                }
                // A database of the follower cluster holds the name: no settings for it. The
                // attach that creates the others has said so already.
                if let Some(shadow) = shadowed
                    .iter()
                    .find(|s| s.leader_database.eq_ignore_ascii_case(leader_database))
                {
                    if !outcome.creates_database() {
                        let warning = shadow.warning(r);
                        cx.plan.warnings.push(warning);
                    }
                    continue;
                }
            }
            let database = r.attachment.follower_database_name.apply(leader_database);
            let fresh = ObservedFollowerSettings {
                database_name: database.clone(),
                principals_modification_kind: r.attachment.default_principals_modification_kind,
                ..ObservedFollowerSettings::default()
            };
            let live = if outcome.creates_database() {
                // Attached (again) by this plan: the service starts it with default settings.
                fresh
            } else {
                match &r.follower_live.follower_settings {
                    None => {
                        cx.plan.warnings.push(format!(
                            "the follower database settings of `{}` were not read; \
                             the settings of `{database}` are left as they are",
                            r.follower.alias
                        ));
                        continue;
                    }
                    Some(all) => all
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(&database))
                        .map_or(fresh, |(_, live)| live.clone()),
                }
            };
            let diff = settings_diff(&database, wanted, &live);
            for (role, live, wanted) in &diff.undecided {
                cx.plan.warnings.push(principals::undecided_warning(
                    &r.follower.alias,
                    &database,
                    *role,
                    live,
                    wanted,
                ));
            }
            if diff.attributes.is_empty() {
                continue;
            }
            let operations = diff
                .commands
                .into_iter()
                .map(|csl| Operation::KustoCommand {
                    cluster: r.follower.id.clone(),
                    database: database.clone(),
                    csl,
                })
                .collect();
            cx.plan.changes.push(Change {
                address: Address::FollowerDatabase {
                    follower: r.follower.alias.clone(),
                    database,
                },
                action: Action::Update,
                attributes: diff.attributes,
                unchanged_attributes: diff.unchanged,
                reason: None,
                operations,
                depends_on: Vec::new(),
                origin: Some(wanted.origin),
            });
        }
    }
}

/// What differs in one follower database, and the commands that fix it, in order.
#[derive(Default)]
struct SettingsDiff<'a> {
    attributes: Vec<AttributeChange>,
    unchanged: usize,
    commands: Vec<String>,
    /// Per role, live principals that may or may not be the manifest's principals beside them.
    undecided: Vec<(Role, Vec<&'a ObservedPrincipal>, Vec<&'a Principal>)>,
}

impl SettingsDiff<'_> {
    fn attribute(&mut self, name: String, before: Option<Value>, after: Option<Value>) {
        self.attributes.push(AttributeChange {
            name,
            before,
            after,
            forces_replacement: false,
        });
    }

    /// One managed value: counted when unchanged, else shown and set by `command`. Values
    /// compare in their plan form, which is exact for the enums, booleans and timespans
    /// (a timespan's literal is the shortest form of its duration).
    fn scalar(
        &mut self,
        name: &str,
        before: Option<Value>,
        after: Value,
        command: impl FnOnce() -> String,
    ) {
        if before.as_ref() == Some(&after) {
            self.unchanged += 1;
        } else {
            self.attribute(name.to_owned(), before, Some(after));
            self.commands.push(command());
        }
    }
}

fn text(value: impl std::fmt::Display) -> Value {
    Value::String(value.to_string())
}

fn span(value: Timespan) -> Value {
    Value::String(value.to_literal())
}

/// Compares the managed settings. Order of the commands: principals are added before any is
/// dropped and before the modification kind changes, so that a switch to `replace` never
/// leaves the database without its principals; caching overrides before their kind.
fn settings_diff<'a>(
    database: &str,
    wanted: &'a FollowerDatabaseSettings,
    live: &'a ObservedFollowerSettings,
) -> SettingsDiff<'a> {
    let mut diff = SettingsDiff::default();
    for (role, principals) in &wanted.principals {
        principals_diff(&mut diff, database, *role, principals, live);
    }
    if let Some(kind) = wanted.principals_modification_kind {
        diff.scalar(
            "principalsModificationKind",
            Some(text(live.principals_modification_kind)),
            text(kind),
            || kql::alter_principals_modification_kind(database, kind),
        );
    }
    match (wanted.hot_cache_period, live.hot_cache_period) {
        (Managed::Unmanaged, _) => {}
        (Managed::Set(hot), before) => {
            diff.scalar("hotCachePeriod", before.map(span), span(hot), || {
                kql::alter_database_caching(database, hot)
            })
        }
        // `hotCachePeriod: null`: no database-level override wanted.
        (Managed::Unset, None) => diff.unchanged += 1,
        (Managed::Unset, Some(before)) => {
            diff.attribute("hotCachePeriod".to_owned(), Some(span(before)), None);
            diff.commands.push(kql::delete_database_caching(database));
        }
    }
    if let Some(tables) = &wanted.tables {
        overrides_diff(&mut diff, database, Entity::Table, tables, &live.tables);
    }
    if let Some(views) = &wanted.materialized_views {
        overrides_diff(
            &mut diff,
            database,
            Entity::MaterializedView,
            views,
            &live.materialized_views,
        );
    }
    if let Some(kind) = wanted.caching_policies_modification_kind {
        diff.scalar(
            "cachingPoliciesModificationKind",
            Some(text(live.caching_policies_modification_kind)),
            text(kind),
            || kql::alter_caching_policies_modification_kind(database, kind),
        );
    }
    if let Some(prefetch) = wanted.prefetch_extents {
        diff.scalar(
            "prefetchExtents",
            Some(Value::Bool(live.prefetch_extents)),
            Value::Bool(prefetch),
            || kql::alter_prefetch_extents(database, prefetch),
        );
    }
    diff
}

/// Table or materialized-view overrides: the wanted map is authoritative. Overrides of one
/// period are set in one command, removals in one command.
fn overrides_diff(
    diff: &mut SettingsDiff,
    database: &str,
    entity: Entity,
    wanted: &BTreeMap<String, Timespan>,
    live: &BTreeMap<String, Timespan>,
) {
    let key = match entity {
        Entity::Table => "tables",
        Entity::MaterializedView => "materializedViews",
    };
    let mut by_period: BTreeMap<Timespan, Vec<&str>> = BTreeMap::new();
    for (name, hot) in wanted {
        let before = live.get(name).copied();
        if before == Some(*hot) {
            diff.unchanged += 1;
            continue;
        }
        diff.attribute(
            format!("{key}.{name}.hotCachePeriod"),
            before.map(span),
            Some(span(*hot)),
        );
        by_period.entry(*hot).or_default().push(name);
    }
    let removed: Vec<&str> = live
        .iter()
        .filter(|(name, _)| !wanted.contains_key(*name))
        .map(|(name, hot)| {
            diff.attribute(
                format!("{key}.{name}.hotCachePeriod"),
                Some(span(*hot)),
                None,
            );
            name.as_str()
        })
        .collect();
    for (hot, names) in by_period {
        diff.commands
            .push(kql::alter_entity_caching(database, entity, &names, hot));
    }
    if !removed.is_empty() {
        diff.commands
            .push(kql::delete_entity_caching(database, entity, &removed));
    }
}

/// One role's principals as set differences: `.add` what is missing (one command each, so
/// its notes name it), `.drop` what the manifest does not list (one command). A live principal
/// that may or may not be a missing manifest one is left alone, and so is that manifest
/// principal, with a warning ([`crate::principals`]).
fn principals_diff<'a>(
    diff: &mut SettingsDiff<'a>,
    database: &str,
    role: Role,
    wanted: &'a [Principal],
    live: &'a ObservedFollowerSettings,
) {
    let mut wanted_unique: Vec<&Principal> = Vec::new();
    for principal in wanted {
        if !wanted_unique.contains(&principal) {
            wanted_unique.push(principal);
        }
    }
    let live_role: &[ObservedPrincipal] = live.principals.get(&role).map_or(&[], Vec::as_slice);
    let reconciled = principals::reconcile(live_role, &wanted_unique);
    if !reconciled.undecided_live.is_empty() {
        diff.undecided.push((
            role,
            reconciled.undecided_live.clone(),
            reconciled.undecided_wanted.clone(),
        ));
    }
    if reconciled.add.is_empty() && reconciled.drop.is_empty() {
        diff.unchanged += 1;
        return;
    }
    let before = reconciled
        .live
        .iter()
        .map(|(o, tied)| {
            Value::String(tied.map_or_else(|| principals::label(o), |p| p.to_string()))
        })
        .collect();
    // What the role holds once the commands ran: the manifest's principals but the undecided
    // ones, which stay as they are live.
    let after = wanted_unique
        .iter()
        .filter(|p| !reconciled.undecided_wanted.contains(p))
        .map(|p| p.to_string())
        .chain(
            reconciled
                .undecided_live
                .iter()
                .map(|o| principals::label(o)),
        )
        .map(Value::String)
        .collect();
    diff.attribute(
        format!("principals.{}", role.manifest_name()),
        Some(Value::Array(before)),
        Some(Value::Array(after)),
    );
    for principal in reconciled.add {
        let text = principal.to_string();
        let notes = format!("{NOTES_PREFIX}{text}");
        diff.commands
            .push(kql::add_principals(database, role, &[text], Some(&notes)));
    }
    if !reconciled.drop.is_empty() {
        let fqns: Vec<&str> = reconciled
            .drop
            .iter()
            .map(|o| principals::stored_name(o))
            .collect();
        diff.commands
            .push(kql::drop_principals(database, role, &fqns));
    }
}
