//! Reads the answer of `.show follower databases` (`reference/docs/cluster-follower.md`,
//! ".show follower database", Output) into [`ObservedFollowerSettings`].

use std::collections::BTreeMap;

use kfollow_azure::{V1Response, V1Row};
use kfollow_model::{
    CachingPoliciesModificationKind, ObservedFollowerSettings, ObservedPrincipal,
    PrincipalsModificationKind, Role, Timespan,
};
use serde_json::Value;

/// Where materialized views sit in `TableMetadataOverrides`: under `_MV_<name>`, beside tables.
const MATERIALIZED_VIEW_PREFIX: &str = "_MV_";

/// A row the parser cannot read.
#[derive(Debug, thiserror::Error)]
#[error("`.show follower databases` answered an unreadable `{column}` for `{database}`: {reason}")]
pub struct FollowerSettingsError {
    database: String,
    column: &'static str,
    reason: String,
}

/// One entry per row, by follower database name.
pub fn parse_show_follower_databases(
    response: &V1Response,
) -> Result<BTreeMap<String, ObservedFollowerSettings>, FollowerSettingsError> {
    let mut settings = BTreeMap::new();
    for row in response.rows() {
        let parsed = parse_row(&row)?;
        settings.insert(parsed.database_name.clone(), parsed);
    }
    Ok(settings)
}

fn parse_row(row: &V1Row<'_>) -> Result<ObservedFollowerSettings, FollowerSettingsError> {
    let database = row.str("DatabaseName").unwrap_or_default().to_owned();
    let error = |column: &'static str, reason: String| FollowerSettingsError {
        database: database.clone(),
        column,
        reason,
    };
    let json_column = |column: &'static str| -> Result<Option<Value>, FollowerSettingsError> {
        match row.get(column) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() || text.trim() == "null" => {
                Ok(None)
            }
            Some(Value::String(text)) => serde_json::from_str(text)
                .map(Some)
                .map_err(|e| error(column, e.to_string())),
            Some(other) => Ok(Some(other.clone())),
        }
    };
    let hot_cache_period = json_column("CachingPolicyOverride")?
        .map(|policy| hot_span(&policy).map_err(|e| error("CachingPolicyOverride", e)))
        .transpose()?;
    let mut tables = BTreeMap::new();
    let mut materialized_views = BTreeMap::new();
    if let Some(Value::Object(overrides)) = json_column("TableMetadataOverrides")? {
        for (name, entry) in overrides {
            let Some(policy) = entry.get("CachingPolicyOverride").filter(|p| !p.is_null()) else {
                continue;
            };
            let hot = hot_span(policy).map_err(|e| error("TableMetadataOverrides", e))?;
            match name.strip_prefix(MATERIALIZED_VIEW_PREFIX) {
                Some(view) => materialized_views.insert(view.to_owned(), hot),
                None => tables.insert(name, hot),
            };
        }
    }
    let mut principals: BTreeMap<Role, Vec<ObservedPrincipal>> = BTreeMap::new();
    if let Some(Value::Array(grants)) = json_column("AuthorizedPrincipalsOverride")? {
        for grant in grants {
            let role = grant_role(&grant.get("Role").cloned().unwrap_or(Value::Null)).ok_or_else(
                || {
                    error(
                        "AuthorizedPrincipalsOverride",
                        format!("unknown role in {grant}"),
                    )
                },
            )?;
            let principal = grant.get("Principal").cloned().unwrap_or(Value::Null);
            let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
            principals.entry(role).or_default().push(ObservedPrincipal {
                fqn: text(principal.get("FullyQualifiedName")),
                display_name: text(principal.get("DisplayName")),
                notes: text(grant.get("Notes")),
            });
        }
    }
    let principals_modification_kind = row
        .str("AuthorizedPrincipalsModificationKind")
        .map(|kind| {
            PrincipalsModificationKind::parse(kind)
                .ok_or_else(|| error("AuthorizedPrincipalsModificationKind", format!("`{kind}`")))
        })
        .transpose()?
        .unwrap_or_default();
    let caching_policies_modification_kind = row
        .str("CachingPoliciesModificationKind")
        .map(|kind| {
            CachingPoliciesModificationKind::parse(kind)
                .ok_or_else(|| error("CachingPoliciesModificationKind", format!("`{kind}`")))
        })
        .transpose()?
        .unwrap_or_default();
    Ok(ObservedFollowerSettings {
        database_name: database.clone(),
        leader_cluster: row
            .str("LeaderClusterMetadataPath")
            .unwrap_or_default()
            .to_owned(),
        hot_cache_period,
        tables,
        materialized_views,
        principals,
        principals_modification_kind,
        caching_policies_modification_kind,
        prefetch_extents: row.bool("IsAutoPrefetchEnabled").unwrap_or(false),
    })
}

/// The hot period of a caching policy: `{"DataHotSpan":{"Value":"7.00:00:00"},…}` (the
/// service's serialisation, `reference/docs/alter-database-cache-policy-command.md`).
fn hot_span(policy: &Value) -> Result<Timespan, String> {
    let span = policy
        .get("DataHotSpan")
        .ok_or_else(|| format!("no `DataHotSpan` in {policy}"))?;
    let text = span
        .get("Value")
        .or(Some(span))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no timespan in {policy}"))?;
    Timespan::parse(text).map_err(|e| e.to_string())
}

/// A grant's role: the service writes the role as a number in JSON (`0` admins, `1` users,
/// `2` viewers, `4` unrestricted viewers, `5` monitors) or, in some versions, a name.
fn grant_role(value: &Value) -> Option<Role> {
    match value {
        Value::Number(n) => match n.as_u64()? {
            0 => Some(Role::Admins),
            1 => Some(Role::Users),
            2 => Some(Role::Viewers),
            4 => Some(Role::UnrestrictedViewers),
            5 => Some(Role::Monitors),
            _ => None,
        },
        Value::String(name) => Role::parse(name),
        _ => None,
    }
}
