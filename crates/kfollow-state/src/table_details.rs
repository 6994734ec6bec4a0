//! `.show tables details` of one database
//! (<https://learn.microsoft.com/kusto/management/show-table-details-command>): every table
//! with the columns that say which table it is and since when it holds data. The one reader of
//! the command in kfollow; `kfollow check` compares the newest extents of both sides with it.

use kfollow_azure::{KustoClient, KustoError, V1Response};
use kfollow_model::kql;

/// Why the tables of a database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableDetailsError {
    /// The command failed.
    #[error("`{}` failed", kql::SHOW_TABLES_DETAILS)]
    Kusto(#[source] Box<KustoError>),
    /// The answer lacks a column kfollow needs.
    #[error("`{}` answered without a `{column}` column", kql::SHOW_TABLES_DETAILS)]
    MissingColumn {
        /// The column.
        column: &'static str,
    },
}

/// One row of `.show tables details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDetails {
    /// `TableName` (case-sensitive).
    pub name: String,
    /// `DatabaseName`.
    pub database: String,
    /// `TotalExtents`; `None` when null.
    pub total_extents: Option<i64>,
    /// `MaxExtentsCreationTime`, as the service wrote it (ISO 8601): when the newest data of
    /// the table was ingested; `None` when null, as for a table without extents.
    pub max_extents_creation_time: Option<String>,
}

/// Reads the rows of `.show tables details`.
///
/// # Errors
///
/// [`TableDetailsError::MissingColumn`] when rows come without a `TableName` column.
pub fn parse_show_tables_details(
    answer: &V1Response,
) -> Result<Vec<TableDetails>, TableDetailsError> {
    if let Some(table) = answer.primary()
        && table.column_index("TableName").is_none()
        && !table.rows.is_empty()
    {
        return Err(TableDetailsError::MissingColumn {
            column: "TableName",
        });
    }
    Ok(answer
        .rows()
        .iter()
        .filter_map(|row| {
            let text = |column: &str| row.str(column).map(str::to_owned);
            Some(TableDetails {
                name: text("TableName")?,
                database: text("DatabaseName").unwrap_or_default(),
                total_extents: row.get("TotalExtents").and_then(serde_json::Value::as_i64),
                max_extents_creation_time: text("MaxExtentsCreationTime")
                    .filter(|t| !t.trim().is_empty()),
            })
        })
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
) -> Result<Vec<TableDetails>, TableDetailsError> {
    let answer = kusto
        .mgmt(uri, database, kql::SHOW_TABLES_DETAILS)
        .await
        .map_err(|e| TableDetailsError::Kusto(Box::new(e)))?;
    parse_show_tables_details(&answer)
}
