//! Reads the answer of `.show follower databases`
//! (<https://learn.microsoft.com/kusto/management/cluster-follower>, ".show follower database",
//! Output) into [`ObservedFollowerSettings`].

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
                details: None,
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

/// The hot period of a caching policy: `{"DataHotSpan":{"Value":"7.00:00:00"},…}` (the service's
/// serialisation,
/// <https://learn.microsoft.com/kusto/management/alter-database-cache-policy-command>).
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A `.show follower databases` answer with the doc's columns, one database with every
    /// kind of override and one with none.
    fn answer() -> V1Response {
        let columns: Vec<Value> = [
            ("DatabaseName", "String"),
            ("LeaderClusterMetadataPath", "String"),
            ("CachingPolicyOverride", "String"),
            ("AuthorizedPrincipalsOverride", "String"),
            ("AuthorizedPrincipalsModificationKind", "String"),
            ("CachingPoliciesModificationKind", "String"),
            ("IsAutoPrefetchEnabled", "Boolean"),
            ("TableMetadataOverrides", "String"),
        ]
        .iter()
        .map(|(name, kind)| json!({"ColumnName": name, "DataType": kind}))
        .collect();
        let principals = json!([
            {"Principal": {"FullyQualifiedName": "aaduser=1d2c;72f9", "DisplayName": "aaduser=alice@contoso.com"},
             "Role": 2, "Notes": "kfollow: aaduser=alice@contoso.com"},
            {"Principal": {"FullyQualifiedName": "aadgroup=9a1b;72f9", "DisplayName": "ops"},
             "Role": "Admin", "Notes": ""}
        ]);
        let tables = json!({
            "Orders": {"CachingPolicyOverride": {"DataHotSpan": {"Value": "30.00:00:00"}}},
            "_MV_DailySales": {"CachingPolicyOverride": {"DataHotSpan": {"Value": "12:00:00"}}}
        });
        serde_json::from_value(json!({"Tables": [{
            "TableName": "Table_0",
            "Columns": columns,
            "Rows": [
                ["Sales", "https://a.blob.core.windows.net/sales",
                 "{\"DataHotSpan\":{\"Value\":\"7.00:00:00\"}}", principals.to_string(),
                 "Replace", "union", true, tables.to_string()],
                ["Web", "https://a.blob.core.windows.net/web", "null", "[]", "Union", "Union", false, null]
            ]
        }]}))
        .expect("a v1 response")
    }

    #[test]
    fn reads_every_override() {
        let settings = parse_show_follower_databases(&answer()).expect("readable");
        let sales = &settings["Sales"];
        assert_eq!(sales.hot_cache_period, Some(Timespan::from_days(7)));
        assert_eq!(sales.tables["Orders"], Timespan::from_days(30));
        assert_eq!(
            sales.materialized_views["DailySales"],
            Timespan::parse("12h").unwrap()
        );
        assert_eq!(
            sales.principals[&Role::Viewers][0].notes,
            "kfollow: aaduser=alice@contoso.com"
        );
        assert_eq!(sales.principals[&Role::Admins][0].fqn, "aadgroup=9a1b;72f9");
        assert_eq!(
            sales.principals_modification_kind,
            PrincipalsModificationKind::Replace
        );
        assert_eq!(
            sales.caching_policies_modification_kind,
            CachingPoliciesModificationKind::Union
        );
        assert!(sales.prefetch_extents);
        let web = &settings["Web"];
        assert_eq!(web.hot_cache_period, None);
        assert!(web.tables.is_empty() && web.principals.is_empty() && !web.prefetch_extents);
    }

    #[test]
    fn an_unreadable_policy_is_an_error_naming_it() {
        let mut response = answer();
        response.tables[0].rows[0][2] = Value::from("{\"DataHotSpan\":{\"Value\":\"a week\"}}");
        let error = parse_show_follower_databases(&response).expect_err("unreadable");
        assert!(
            error.to_string().contains("CachingPolicyOverride"),
            "{error}"
        );
        assert!(error.to_string().contains("Sales"), "{error}");
    }
}
