//! The tables, external tables, materialized views and functions of the leader databases a
//! manifest names entities of (caching overrides, table-level sharing), so that `kfollow-diff`
//! can refuse an override of an entity the leader lacks before apply meets `EntityNotFound`
//! half-way, and warn about a sharing entry that matches nothing.
//!
//! Per such leader database, on the leader cluster's management endpoint with the database as
//! `db`, concurrently: `.show tables details` when the manifest names tables of it,
//! `.show external tables` when it names external tables, `.show materialized-views` when it
//! names views, `.show functions` when it names functions. At most four calls per leader
//! database, however many entities the manifest names; none for a manifest that names none,
//! and none for a leader that is not running (its management endpoint does not answer;
//! `kfollow-diff` reports it stopped).
//!
//! [`parse_show_tables_details`] and [`read_tables_details`] give every table of a database with
//! its details (extents, rows, creation times), for any caller that needs more than the names.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;
use kfollow_azure::{KustoClient, KustoError, V1Response};
use kfollow_model::{
    ClusterId, DatabaseKind, DatabaseSelection, Desired, DesiredAttachment, Observed,
    ObservedEntities, kql,
};

use crate::{Clients, StateError};

/// Why the entities of a database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EntitiesError {
    /// The command failed.
    #[error("`{command}` failed")]
    Kusto {
        /// The command.
        command: &'static str,
        /// The failure.
        #[source]
        source: Box<KustoError>,
    },
    /// The answer lacks a column kfollow needs.
    #[error("`{command}` answered without a `{column}` column")]
    MissingColumn {
        /// The command.
        command: &'static str,
        /// The column.
        column: &'static str,
    },
}

/// One row of `.show tables details`
/// (<https://learn.microsoft.com/kusto/management/show-table-details-command>): the columns
/// that say which table it is and how much data it holds since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDetails {
    /// `TableName` (case-sensitive).
    pub name: String,
    /// `DatabaseName`.
    pub database: String,
    /// `TotalExtents`; `None` when null.
    pub total_extents: Option<i64>,
    /// `TotalRowCount`; `None` when null.
    pub total_row_count: Option<i64>,
    /// `MinExtentsCreationTime`, as the service wrote it (ISO 8601); `None` when null, as for
    /// a table without extents.
    pub min_extents_creation_time: Option<String>,
    /// `MaxExtentsCreationTime`, as the service wrote it (ISO 8601): when the newest data of
    /// the table was ingested; `None` when null.
    pub max_extents_creation_time: Option<String>,
}

/// Reads the rows of `.show tables details`.
///
/// # Errors
///
/// [`EntitiesError::MissingColumn`] when the answer has no `TableName` column.
pub fn parse_show_tables_details(answer: &V1Response) -> Result<Vec<TableDetails>, EntitiesError> {
    require(answer, kql::SHOW_TABLES_DETAILS, "TableName")?;
    Ok(answer
        .rows()
        .iter()
        .filter_map(|row| {
            let text = |column: &str| row.str(column).map(str::to_owned);
            let long = |column: &str| row.get(column).and_then(serde_json::Value::as_i64);
            Some(TableDetails {
                name: text("TableName")?,
                database: text("DatabaseName").unwrap_or_default(),
                total_extents: long("TotalExtents"),
                total_row_count: long("TotalRowCount"),
                min_extents_creation_time: text("MinExtentsCreationTime"),
                max_extents_creation_time: text("MaxExtentsCreationTime"),
            })
        })
        .collect())
}

/// Reads the view names of `.show materialized-views`
/// (<https://learn.microsoft.com/kusto/management/materialized-views/materialized-view-show-command>).
///
/// # Errors
///
/// [`EntitiesError::MissingColumn`] when the answer has no `Name` column.
pub fn parse_show_materialized_views(answer: &V1Response) -> Result<Vec<String>, EntitiesError> {
    names(answer, kql::SHOW_MATERIALIZED_VIEWS, "Name")
}

/// Reads the external table names of `.show external tables`, its `TableName` column
/// (<https://learn.microsoft.com/kusto/management/show-external-tables>, "Returns").
///
/// # Errors
///
/// [`EntitiesError::MissingColumn`] when the answer has no `TableName` column.
pub fn parse_show_external_tables(answer: &V1Response) -> Result<Vec<String>, EntitiesError> {
    names(answer, kql::SHOW_EXTERNAL_TABLES, "TableName")
}

/// Reads the function names of `.show functions`, its `Name` column
/// (<https://learn.microsoft.com/kusto/management/show-function>, "Returns").
///
/// # Errors
///
/// [`EntitiesError::MissingColumn`] when the answer has no `Name` column.
pub fn parse_show_functions(answer: &V1Response) -> Result<Vec<String>, EntitiesError> {
    names(answer, kql::SHOW_FUNCTIONS, "Name")
}

/// The values of the string column `column` of `command`'s answer, one per row.
fn names(
    answer: &V1Response,
    command: &'static str,
    column: &'static str,
) -> Result<Vec<String>, EntitiesError> {
    require(answer, command, column)?;
    Ok(answer
        .rows()
        .iter()
        .filter_map(|row| row.str(column).map(str::to_owned))
        .collect())
}

/// Sends `.show tables details` to the management endpoint `uri` in `database` and reads its
/// rows.
///
/// # Errors
///
/// The command's failure, or an answer without a `TableName` column.
pub async fn read_tables_details(
    kusto: &KustoClient,
    uri: &str,
    database: &str,
) -> Result<Vec<TableDetails>, EntitiesError> {
    let command = kql::SHOW_TABLES_DETAILS;
    parse_show_tables_details(&send(kusto, uri, database, command).await?)
}

async fn send(
    kusto: &KustoClient,
    uri: &str,
    database: &str,
    command: &'static str,
) -> Result<V1Response, EntitiesError> {
    kusto
        .mgmt(uri, database, command)
        .await
        .map_err(|source| EntitiesError::Kusto {
            command,
            source: Box::new(source),
        })
}

/// An answer without the column is unreadable, unless it has no rows to read (an empty
/// database may answer with no table at all).
fn require(
    answer: &V1Response,
    command: &'static str,
    column: &'static str,
) -> Result<(), EntitiesError> {
    match answer.primary() {
        Some(table) if table.column_index(column).is_none() && !table.rows.is_empty() => {
            Err(EntitiesError::MissingColumn { command, column })
        }
        _ => Ok(()),
    }
}

/// What to read of one leader database.
#[derive(Debug, Default, Clone, Copy)]
struct Wanted {
    tables: bool,
    external_tables: bool,
    materialized_views: bool,
    functions: bool,
}

impl Wanted {
    /// What the attachment names of the leader database whose follower settings are
    /// `settings_key`: caching overrides, and for one database its table-level sharing.
    fn of(attachment: &DesiredAttachment, settings_key: Option<&str>) -> Wanted {
        let mut wanted = Wanted::default();
        let some = |map: &Option<BTreeMap<_, _>>| map.as_ref().is_some_and(|m| !m.is_empty());
        if let Some(settings) = settings_key.and_then(|k| attachment.follower_databases.get(k)) {
            wanted.tables |= some(&settings.tables);
            wanted.materialized_views |= some(&settings.materialized_views);
        }
        if matches!(attachment.database, DatabaseSelection::One(_)) {
            let sharing = &attachment.table_level_sharing;
            let named = |include: &Vec<String>, exclude: &Vec<String>| {
                !include.is_empty() || !exclude.is_empty()
            };
            wanted.tables |= named(&sharing.tables_to_include, &sharing.tables_to_exclude);
            wanted.external_tables |= named(
                &sharing.external_tables_to_include,
                &sharing.external_tables_to_exclude,
            );
            wanted.materialized_views |= named(
                &sharing.materialized_views_to_include,
                &sharing.materialized_views_to_exclude,
            );
            wanted.functions |= named(&sharing.functions_to_include, &sharing.functions_to_exclude);
        }
        wanted
    }

    fn any(self) -> bool {
        self.tables || self.external_tables || self.materialized_views || self.functions
    }

    /// What either asks for.
    fn or(self, other: Wanted) -> Wanted {
        Wanted {
            tables: self.tables || other.tables,
            external_tables: self.external_tables || other.external_tables,
            materialized_views: self.materialized_views || other.materialized_views,
            functions: self.functions || other.functions,
        }
    }
}

/// The leader databases to read, with what to read of each: (leader id, lower-cased
/// database) → (alias, database as ARM lists it, what). Only read-write databases of running
/// leaders that exist: `kfollow-diff` reports the others.
fn wanted(
    desired: &Desired,
    observed: &Observed,
) -> BTreeMap<(ClusterId, String), (String, String, Wanted)> {
    let mut all: BTreeMap<(ClusterId, String), (String, String, Wanted)> = BTreeMap::new();
    for attachment in &desired.attachments {
        let Some(leader) = desired.cluster(&attachment.leader) else {
            continue;
        };
        let Some(live) = observed.cluster(&leader.id).filter(|l| l.is_running()) else {
            continue;
        };
        let named: Vec<(&str, Wanted)> = match &attachment.database {
            DatabaseSelection::One(one) => {
                // The one database's settings are its only entry, whatever its key.
                let key = attachment.follower_databases.keys().next();
                vec![(
                    one.as_str(),
                    Wanted::of(attachment, key.map(String::as_str)),
                )]
            }
            DatabaseSelection::All => attachment
                .follower_databases
                .keys()
                .map(|key| (key.as_str(), Wanted::of(attachment, Some(key))))
                .collect(),
        };
        for (database, what) in named.into_iter().filter(|(_, what)| what.any()) {
            let Some(found) = live
                .database(database)
                .filter(|d| d.kind == DatabaseKind::ReadWrite)
            else {
                continue;
            };
            let entry = all
                .entry((leader.id.clone(), found.name.to_ascii_lowercase()))
                .or_insert_with(|| (leader.alias.clone(), found.name.clone(), Wanted::default()));
            entry.2 = entry.2.or(what);
        }
    }
    all
}

/// Reads the entities of every leader database the manifest names entities of, into the
/// leader's `database_entities`.
pub(crate) async fn read(
    desired: &Desired,
    observed: &mut Observed,
    clients: &Clients,
) -> Result<(), StateError> {
    let reads =
        wanted(desired, observed)
            .into_iter()
            .map(|((id, _), (alias, database, wanted))| {
                let uri = observed
                    .cluster(&id)
                    .map(|c| c.uri.clone())
                    .unwrap_or_default();
                async move {
                    let entities = read_database(&clients.kusto, &uri, &database, wanted)
                        .await
                        .map_err(|source| StateError::LeaderEntities {
                            alias,
                            database: database.clone(),
                            source,
                        })?;
                    Ok::<_, StateError>((id, database, entities))
                }
            });
    for (id, database, entities) in try_join_all(reads).await? {
        if let Some(cluster) = observed.clusters.get_mut(&id) {
            cluster.database_entities.insert(database, entities);
        }
    }
    Ok(())
}

async fn read_database(
    kusto: &KustoClient,
    uri: &str,
    database: &str,
    wanted: Wanted,
) -> Result<ObservedEntities, EntitiesError> {
    let tables = async {
        if !wanted.tables {
            return Ok(None);
        }
        let rows = read_tables_details(kusto, uri, database).await?;
        Ok(Some(rows.into_iter().map(|t| t.name).collect()))
    };
    // The other three answer names only, each read by its own parser.
    let read_names = |wanted: bool, command, parse: Parse| async move {
        if !wanted {
            return Ok(None);
        }
        let answer = send(kusto, uri, database, command).await?;
        Ok(Some(parse(&answer)?.into_iter().collect::<BTreeSet<_>>()))
    };
    let (tables, external_tables, materialized_views, functions) = futures::try_join!(
        tables,
        read_names(
            wanted.external_tables,
            kql::SHOW_EXTERNAL_TABLES,
            parse_show_external_tables
        ),
        read_names(
            wanted.materialized_views,
            kql::SHOW_MATERIALIZED_VIEWS,
            parse_show_materialized_views
        ),
        read_names(wanted.functions, kql::SHOW_FUNCTIONS, parse_show_functions),
    )?;
    Ok(ObservedEntities {
        tables,
        external_tables,
        materialized_views,
        functions,
    })
}

/// A parser of an answer that lists names.
type Parse = fn(&V1Response) -> Result<Vec<String>, EntitiesError>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer(columns: &[&str], rows: serde_json::Value) -> V1Response {
        let columns: Vec<_> = columns
            .iter()
            .map(|c| json!({"ColumnName": c, "DataType": "String"}))
            .collect();
        serde_json::from_value(json!({"Tables": [{
            "TableName": "Table_0", "Columns": columns, "Rows": rows
        }]}))
        .unwrap()
    }

    #[test]
    fn table_details_give_names_counts_and_creation_times() {
        let answer = answer(
            &[
                "TableName",
                "DatabaseName",
                "TotalExtents",
                "TotalRowCount",
                "MinExtentsCreationTime",
                "MaxExtentsCreationTime",
            ],
            json!([
                [
                    "Orders",
                    "Sales",
                    3,
                    1200,
                    "2026-11-01T00:00:00Z",
                    "2026-11-28T19:00:00Z"
                ],
                ["Empty", "Sales", 0, 0, null, null]
            ]),
        );
        assert_eq!(
            parse_show_tables_details(&answer).unwrap(),
            [
                TableDetails {
                    name: "Orders".into(),
                    database: "Sales".into(),
                    total_extents: Some(3),
                    total_row_count: Some(1200),
                    min_extents_creation_time: Some("2026-11-01T00:00:00Z".into()),
                    max_extents_creation_time: Some("2026-11-28T19:00:00Z".into()),
                },
                TableDetails {
                    name: "Empty".into(),
                    database: "Sales".into(),
                    total_extents: Some(0),
                    total_row_count: Some(0),
                    min_extents_creation_time: None,
                    max_extents_creation_time: None,
                },
            ]
        );
    }

    #[test]
    fn external_tables_and_functions_are_read_by_their_name_columns() {
        // The columns of the docs' "Returns" tables, in order.
        let external = answer(
            &[
                "TableName",
                "TableType",
                "Folder",
                "DocString",
                "Properties",
            ],
            json!([
                ["LedgerArchive2019", "Blob", "ExternalTables", "Docs", "{}"],
                ["Archive-2020", "Delta", "", "", "{}"]
            ]),
        );
        assert_eq!(
            parse_show_external_tables(&external).unwrap(),
            ["LedgerArchive2019", "Archive-2020"]
        );
        let functions = answer(
            &["Name", "Parameters", "Body", "Folder", "DocString"],
            json!([
                [
                    "ReportLiquidity",
                    "()",
                    "{ Ledger | take 100 }",
                    "Reports",
                    ""
                ],
                ["ScoreCustomer", "(id: string)", "{ 1 }", "", "Demo"]
            ]),
        );
        assert_eq!(
            parse_show_functions(&functions).unwrap(),
            ["ReportLiquidity", "ScoreCustomer"]
        );
        // Each by its own column: a function list has no `TableName`, an external table
        // list no `Name`.
        assert!(matches!(
            parse_show_external_tables(&functions),
            Err(EntitiesError::MissingColumn {
                command: ".show external tables",
                column: "TableName",
            })
        ));
        assert!(matches!(
            parse_show_functions(&external),
            Err(EntitiesError::MissingColumn {
                command: ".show functions",
                column: "Name",
            })
        ));
    }

    #[test]
    fn an_answer_without_the_name_column_is_unreadable() {
        let answer = answer(&["Table"], json!([["Orders"]]));
        assert!(matches!(
            parse_show_tables_details(&answer),
            Err(EntitiesError::MissingColumn {
                column: "TableName",
                ..
            })
        ));
        assert!(matches!(
            parse_show_materialized_views(&answer),
            Err(EntitiesError::MissingColumn { column: "Name", .. })
        ));
        let empty = super::tests::answer(&["Table"], json!([]));
        assert_eq!(
            parse_show_materialized_views(&empty).unwrap(),
            Vec::<String>::new()
        );
    }
}
