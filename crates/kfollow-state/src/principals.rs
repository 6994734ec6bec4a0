//! Looks up the principals of follower databases with `.show database <db> principals`
//! (<https://learn.microsoft.com/kusto/management/manage-database-security-roles>), so that
//! `kfollow-diff` can tell which manifest principal a live one is.
//!
//! The service stores a principal under its resolved name (`aaduser=<object id>;<tenant id>`),
//! and nothing public says that `.show follower databases` shows the notes kfollow gives each
//! `.add`. `.show database <db> principals` does say who a principal is: its display name (a
//! user's with ` (upn: …)`), its object id and its type. It is asked only where it can help:
//! once per follower database whose principals the manifest manages and that holds a
//! principal without kfollow's notes.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};
use kfollow_azure::{KustoClient, KustoError, V1Response};
use kfollow_model::{Desired, ObservedFollowerSettings, PrincipalDetails, PrincipalRow, Role, kql};

/// How many lookups of one cluster are in flight at once.
const CONCURRENT_LOOKUPS: usize = 4;

/// Which follower databases of a cluster have their principals looked up.
#[derive(Debug, Clone, Default)]
pub(crate) enum Lookups {
    /// None of them.
    #[default]
    None,
    /// Every one (`kfollow export` writes every principal).
    All,
    /// These, by lower-cased name: the manifest manages their principals.
    Named(BTreeSet<String>),
}

impl Lookups {
    /// The follower databases of the cluster `follower` (an alias) whose principals the
    /// manifest manages: a `principals` key under their settings.
    pub(crate) fn managed_by(desired: &Desired, follower: &str) -> Lookups {
        let names: BTreeSet<String> = desired
            .attachments
            .iter()
            .filter(|a| a.follower == follower)
            .flat_map(|a| {
                a.follower_databases
                    .iter()
                    .filter(|(_, settings)| !settings.principals.is_empty())
                    .map(|(leader_database, _)| {
                        a.follower_database_name
                            .apply(leader_database)
                            .to_ascii_lowercase()
                    })
            })
            .collect();
        if names.is_empty() {
            Lookups::None
        } else {
            Lookups::Named(names)
        }
    }

    fn covers(&self, database: &str) -> bool {
        match self {
            Lookups::None => false,
            Lookups::All => true,
            Lookups::Named(names) => names.contains(&database.to_ascii_lowercase()),
        }
    }

    /// The databases of `settings` to look up: covered, and holding a principal that kfollow's
    /// notes do not name (where every one is named, the notes already tie them).
    fn needed<'a>(&self, settings: &'a BTreeMap<String, ObservedFollowerSettings>) -> Vec<&'a str> {
        settings
            .iter()
            .filter(|(name, _)| self.covers(name))
            .filter(|(_, live)| {
                live.principals
                    .values()
                    .flatten()
                    .any(|principal| principal.noted().is_none())
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// Why the principals of a follower database could not be looked up.
#[derive(Debug, thiserror::Error)]
pub enum PrincipalsError {
    /// The command failed.
    #[error(transparent)]
    Kusto(Box<KustoError>),
    /// The answer has no column kfollow needs.
    #[error("`.show database … principals` answered without a `{0}` column")]
    MissingColumn(&'static str),
}

/// Looks up the principals of the follower databases of `settings` that `lookups` covers and
/// that need it, on the management endpoint `uri`, and adds what the service says of each to
/// the principal of the same stored name ([`ObservedPrincipal::details`]).
///
/// [`ObservedPrincipal::details`]: kfollow_model::ObservedPrincipal::details
///
/// # Errors
///
/// The name of the first follower database whose lookup failed, and why.
pub(crate) async fn look_up(
    kusto: &KustoClient,
    uri: &str,
    lookups: &Lookups,
    settings: &mut BTreeMap<String, ObservedFollowerSettings>,
) -> Result<(), (String, PrincipalsError)> {
    let needed: Vec<String> = lookups
        .needed(settings)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let answers: Vec<(String, Vec<PrincipalRow>)> = futures::stream::iter(needed)
        .map(|database| async move {
            database_principals(kusto, uri, &database)
                .await
                .map(|rows| (database.clone(), rows))
                .map_err(|error| (database, error))
        })
        .buffer_unordered(CONCURRENT_LOOKUPS)
        .try_collect()
        .await?;
    for (database, rows) in answers {
        if let Some(live) = settings.get_mut(&database) {
            join(live, &rows);
        }
    }
    Ok(())
}

/// Every principal of `database` on the management endpoint `uri`, as
/// `.show database <db> principals` lists them.
///
/// # Errors
///
/// The command failed, or answered without the column of the stored names.
pub async fn database_principals(
    kusto: &KustoClient,
    uri: &str,
    database: &str,
) -> Result<Vec<PrincipalRow>, PrincipalsError> {
    let csl = kql::show_database_principals(database);
    match kusto.mgmt(uri, database, &csl).await {
        Ok(response) => parse_show_database_principals(&response),
        Err(error) => Err(PrincipalsError::Kusto(Box::new(error))),
    }
}

/// Reads the rows of `.show database <db> principals`: columns `Role`, `PrincipalType`,
/// `PrincipalDisplayName`, `PrincipalObjectId`, `PrincipalFQN` and `Notes`, as the doc's
/// examples show them.
///
/// # Errors
///
/// [`PrincipalsError::MissingColumn`] when the answer has no `PrincipalFQN` column, without
/// which no row can be tied to anything.
pub fn parse_show_database_principals(
    response: &V1Response,
) -> Result<Vec<PrincipalRow>, PrincipalsError> {
    let has_fqn = response
        .primary()
        .is_some_and(|table| table.column_index("PrincipalFQN").is_some());
    if !has_fqn && response.primary().is_some_and(|t| !t.rows.is_empty()) {
        return Err(PrincipalsError::MissingColumn("PrincipalFQN"));
    }
    Ok(response
        .rows()
        .iter()
        .map(|row| {
            let text = |column: &str| row.str(column).unwrap_or_default().trim().to_owned();
            // `Database Sales Viewer`: the role is the last word, in the singular.
            let role = text("Role")
                .rsplit(' ')
                .next()
                .and_then(Role::parse)
                .filter(|_| !text("Role").to_ascii_lowercase().starts_with("all"));
            PrincipalRow {
                role,
                role_name: text("Role"),
                fqn: text("PrincipalFQN"),
                notes: text("Notes"),
                details: PrincipalDetails {
                    principal_type: text("PrincipalType"),
                    display_name: text("PrincipalDisplayName"),
                    object_id: text("PrincipalObjectId"),
                },
            }
        })
        .collect())
}

/// Gives each override principal of `live` what the rows say of its stored name: the row of
/// its role first, else any row of that name (a principal is the same in every role). Notes
/// the rows show fill notes that `.show follower databases` left empty.
fn join(live: &mut ObservedFollowerSettings, rows: &[PrincipalRow]) {
    for (role, principals) in &mut live.principals {
        for principal in principals {
            let same_name = |row: &&PrincipalRow| row.fqn.eq_ignore_ascii_case(&principal.fqn);
            let found = rows
                .iter()
                .filter(same_name)
                .find(|row| row.role == Some(*role))
                .or_else(|| rows.iter().find(same_name));
            let Some(row) = found else {
                continue;
            };
            principal.details = Some(row.details.clone());
            if principal.notes.trim().is_empty() {
                principal.notes.clone_from(&row.notes);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use kfollow_model::ObservedPrincipal;
    use serde_json::{Value, json};

    use super::*;

    const JACK: &str =
        "aaduser=87654321-abcd-efef-1234-350bf486087b;55555555-4444-3333-2222-2d7cd011db47";
    const JILL: &str =
        "aaduser=54321789-abcd-efef-1234-350bf486087b;55555555-4444-3333-2222-2d7cd011db47";

    /// The example of <https://learn.microsoft.com/kusto/management/cluster-follower>, "Override
    /// authorized principals", plus a cluster-wide row.
    fn answer() -> V1Response {
        let columns: Vec<Value> = [
            "Role",
            "PrincipalType",
            "PrincipalDisplayName",
            "PrincipalObjectId",
            "PrincipalFQN",
            "Notes",
        ]
        .iter()
        .map(|name| json!({"ColumnName": name, "DataType": "String"}))
        .collect();
        serde_json::from_value(json!({"Tables": [{
            "TableName": "Table_0",
            "Columns": columns,
            "Rows": [
                ["Database MyDatabase Admin", "Microsoft Entra user",
                 "Jack Kusto    (upn: jack@contoso.com)", "12345678-abcd-efef-1234-350bf486087b",
                 JACK, ""],
                ["Database MyDatabase Viewer", "Microsoft Entra user",
                 "Jill Kusto    (upn: jill@contoso.com)", "abcdefab-abcd-efef-1234-350bf486087b",
                 JILL, "kfollow: aaduser=jill@contoso.com"],
                ["AllDatabasesAdmin", "Microsoft Entra user", "Ops", "00000000-0000-0000-0000-000000000001",
                 "aaduser=ops@contoso.com", ""]
            ]
        }]}))
        .unwrap()
    }

    #[test]
    fn reads_the_documented_columns() {
        let rows = parse_show_database_principals(&answer()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].role, Some(Role::Admins));
        assert_eq!(rows[0].fqn, JACK);
        assert_eq!(
            rows[0].details.display_name,
            "Jack Kusto    (upn: jack@contoso.com)"
        );
        assert_eq!(
            rows[0].details.object_id,
            "12345678-abcd-efef-1234-350bf486087b"
        );
        assert_eq!(rows[1].role, Some(Role::Viewers));
        assert_eq!(
            rows[2].role, None,
            "a cluster-wide role is no database role"
        );
    }

    #[test]
    fn an_answer_without_the_stored_names_is_an_error() {
        let mut response = answer();
        response.tables[0].columns[4].name = "Something".into();
        assert!(matches!(
            parse_show_database_principals(&response),
            Err(PrincipalsError::MissingColumn("PrincipalFQN"))
        ));
    }

    #[test]
    fn details_join_by_stored_name_and_fill_missing_notes() {
        let principal = |fqn: &str| ObservedPrincipal {
            fqn: fqn.to_ascii_uppercase(),
            ..ObservedPrincipal::default()
        };
        let mut live = ObservedFollowerSettings {
            principals: BTreeMap::from([
                (Role::Admins, vec![principal(JACK)]),
                // Jill as a viewer, and as a monitor, which no row lists.
                (Role::Viewers, vec![principal(JILL)]),
                (
                    Role::Monitors,
                    vec![principal(JILL), principal("aaduser=x;y")],
                ),
            ]),
            ..ObservedFollowerSettings::default()
        };
        join(
            &mut live,
            &parse_show_database_principals(&answer()).unwrap(),
        );
        let jack = &live.principals[&Role::Admins][0];
        assert_eq!(jack.upn(), Some("jack@contoso.com"));
        assert_eq!(jack.notes, "");
        let jill = &live.principals[&Role::Viewers][0];
        assert_eq!(
            jill.noted().unwrap().to_string(),
            "aaduser=jill@contoso.com"
        );
        assert_eq!(
            live.principals[&Role::Monitors][0].upn(),
            Some("jill@contoso.com")
        );
        assert_eq!(live.principals[&Role::Monitors][1].details, None);
    }

    #[test]
    fn only_databases_with_principals_kfollow_did_not_note_are_looked_up() {
        let noted = ObservedPrincipal {
            fqn: JACK.into(),
            notes: "kfollow: aaduser=jack@contoso.com".into(),
            ..ObservedPrincipal::default()
        };
        let bare = ObservedPrincipal {
            fqn: JILL.into(),
            ..ObservedPrincipal::default()
        };
        let settings = |principals: Vec<ObservedPrincipal>| ObservedFollowerSettings {
            principals: BTreeMap::from([(Role::Viewers, principals)]),
            ..ObservedFollowerSettings::default()
        };
        let all = BTreeMap::from([
            ("Noted".to_owned(), settings(vec![noted.clone()])),
            ("Mixed".to_owned(), settings(vec![noted, bare.clone()])),
            ("Bare".to_owned(), settings(vec![bare])),
            ("Empty".to_owned(), settings(vec![])),
        ]);
        let managed = Lookups::Named(["mixed".to_owned(), "noted".to_owned()].into());
        assert_eq!(managed.needed(&all), ["Mixed"]);
        assert_eq!(Lookups::All.needed(&all), ["Bare", "Mixed"]);
        assert!(Lookups::None.needed(&all).is_empty());
    }
}
