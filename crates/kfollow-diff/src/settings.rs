//! Follower database settings (issue 5 item 1): caching overrides, principals, the two
//! modification kinds and prefetch-extents, changed with the data-plane commands of
//! `reference/docs/cluster-follower.md`.
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
use crate::{Context, Outcome, Resolved, checks};

/// One `Change` per follower database whose managed settings differ from the live ones.
pub(crate) fn diff_settings(cx: &mut Context<'_>, resolved: &[Resolved<'_>], outcomes: &[Outcome]) {
    for (r, outcome) in resolved.iter().zip(outcomes) {
        for (leader_database, wanted) in &r.attachment.follower_databases {
            if r.attachment.database == DatabaseSelection::All {
                let before = cx.errors.len();
                let at = cx.at(wanted.origin);
                checks::leader_database(cx, r, leader_database, &at);
                if cx.errors.len() > before {
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
struct SettingsDiff {
    attributes: Vec<AttributeChange>,
    unchanged: usize,
    commands: Vec<String>,
}

impl SettingsDiff {
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
fn settings_diff(
    database: &str,
    wanted: &FollowerDatabaseSettings,
    live: &ObservedFollowerSettings,
) -> SettingsDiff {
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
/// its notes name it), `.drop` what the manifest does not list (one command).
fn principals_diff(
    diff: &mut SettingsDiff,
    database: &str,
    role: Role,
    wanted: &[Principal],
    live: &ObservedFollowerSettings,
) {
    let mut wanted_unique: Vec<&Principal> = Vec::new();
    for principal in wanted {
        if !wanted_unique.contains(&principal) {
            wanted_unique.push(principal);
        }
    }
    let live_role: &[ObservedPrincipal] = live.principals.get(&role).map_or(&[], Vec::as_slice);
    let added: Vec<&Principal> = wanted_unique
        .iter()
        .copied()
        .filter(|p| !live_role.iter().any(|o| matches(o, p)))
        .collect();
    let dropped: Vec<&ObservedPrincipal> = live_role
        .iter()
        .filter(|o| !wanted_unique.iter().any(|p| matches(o, p)))
        .collect();
    if added.is_empty() && dropped.is_empty() {
        diff.unchanged += 1;
        return;
    }
    let before = live_role
        .iter()
        .map(|o| {
            let shown = wanted_unique
                .iter()
                .find(|p| matches(o, p))
                .map_or_else(|| label(o), |p| p.to_string());
            Value::String(shown)
        })
        .collect();
    let after = wanted_unique
        .iter()
        .map(|p| Value::String(p.to_string()))
        .collect();
    diff.attribute(
        format!("principals.{}", role.manifest_name()),
        Some(Value::Array(before)),
        Some(Value::Array(after)),
    );
    for principal in added {
        let text = principal.to_string();
        let notes = format!("{NOTES_PREFIX}{text}");
        diff.commands
            .push(kql::add_principals(database, role, &[text], Some(&notes)));
    }
    if !dropped.is_empty() {
        let fqns: Vec<&str> = dropped.iter().map(|o| stored_name(o)).collect();
        diff.commands
            .push(kql::drop_principals(database, role, &fqns));
    }
}

/// The principal string the service knows a live principal by, for `.drop`.
fn stored_name(principal: &ObservedPrincipal) -> &str {
    if principal.fqn.is_empty() {
        &principal.display_name
    } else {
        &principal.fqn
    }
}

/// True when a live principal is the wanted one: by kfollow's notes (the service normalises
/// a UPN to `<object id>;<tenant>`), by its fully qualified name or by its display name.
fn matches(live: &ObservedPrincipal, wanted: &Principal) -> bool {
    live.noted().as_ref() == Some(wanted)
        || [&live.fqn, &live.display_name]
            .into_iter()
            .filter_map(|text| text.parse::<Principal>().ok())
            .any(|p| &p == wanted)
}

/// How a live principal the manifest does not list is shown: as kfollow added it, else as
/// the service stores it.
fn label(principal: &ObservedPrincipal) -> String {
    principal
        .noted()
        .map_or_else(|| stored_name(principal).to_owned(), |p| p.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn observed(fqn: &str, notes: &str) -> ObservedPrincipal {
        ObservedPrincipal {
            fqn: fqn.into(),
            display_name: "Alice (upn: alice@contoso.com)".into(),
            notes: notes.into(),
        }
    }

    #[test]
    fn a_normalised_principal_matches_by_its_notes() {
        let wanted: Principal = "aaduser=Alice@Contoso.com".parse().unwrap();
        let live = observed(
            "aaduser=87654321-abcd-efef-1234-350bf486087b;55555555-4444-3333-2222-2d7cd011db47",
            "kfollow: aaduser=alice@contoso.com",
        );
        assert!(matches(&live, &wanted));
        let other = observed(&live.fqn, "kfollow: aaduser=bob@contoso.com");
        assert!(!matches(&other, &wanted));
        let by_fqn = observed("aaduser=alice@contoso.com", "");
        assert!(matches(&by_fqn, &wanted));
    }

    #[test]
    fn unknown_principals_show_as_stored() {
        let live = observed("aadgroup=abc;tenant", "added by hand");
        assert_eq!(label(&live), "aadgroup=abc;tenant");
        let ours = observed("aadgroup=abc;tenant", "kfollow: aadgroup=team@contoso.com");
        assert_eq!(label(&ours), "aadgroup=team@contoso.com");
    }
}
