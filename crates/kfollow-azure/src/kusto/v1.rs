//! The v1 response of `/v1/rest/mgmt`: a sequence of tables
//! (<https://learn.microsoft.com/kusto/api/rest/response>, "JSON encoding of a sequence of
//! tables").

use serde::Deserialize;
use serde_json::Value;

/// A whole v1 response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct V1Response {
    /// The tables, in order; a management command usually returns one.
    #[serde(rename = "Tables", default)]
    pub tables: Vec<V1Table>,
}

impl V1Response {
    /// The first table: a management command's result.
    pub fn primary(&self) -> Option<&V1Table> {
        self.tables.first()
    }

    /// The table of a name.
    pub fn table(&self, name: &str) -> Option<&V1Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The rows of the first table, readable by column name; none when there is no table.
    pub fn rows(&self) -> Vec<V1Row<'_>> {
        self.primary().map(V1Table::rows).unwrap_or_default()
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct V1Table {
    /// `TableName`.
    #[serde(rename = "TableName", default)]
    pub name: String,
    /// `Columns`.
    #[serde(rename = "Columns", default)]
    pub columns: Vec<V1Column>,
    /// `Rows`, each in the order of `columns`.
    #[serde(rename = "Rows", default)]
    pub rows: Vec<Vec<Value>>,
}

impl V1Table {
    /// The position of a column (exact name first, then ignoring case).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))
            })
    }

    /// The rows, readable by column name.
    pub fn rows(&self) -> Vec<V1Row<'_>> {
        self.rows
            .iter()
            .map(|values| V1Row {
                table: self,
                values,
            })
            .collect()
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct V1Column {
    /// `ColumnName`.
    #[serde(rename = "ColumnName")]
    pub name: String,
    /// `DataType`: the approximate .NET type (`String`, `Int64`, `TimeSpan`, …).
    #[serde(rename = "DataType", default)]
    pub data_type: String,
    /// `ColumnType`: the Kusto scalar type (`string`, `long`, …), when sent.
    #[serde(rename = "ColumnType", default)]
    pub column_type: Option<String>,
}

/// A row with its table, to read values by column name.
#[derive(Debug, Clone, Copy)]
pub struct V1Row<'a> {
    table: &'a V1Table,
    values: &'a [Value],
}

impl<'a> V1Row<'a> {
    /// The value of a column; `None` when there is no such column.
    pub fn get(&self, column: &str) -> Option<&'a Value> {
        self.table
            .column_index(column)
            .and_then(|i| self.values.get(i))
    }

    /// The value of a string column; `None` when absent, null or not a string.
    pub fn str(&self, column: &str) -> Option<&'a str> {
        self.get(column).and_then(Value::as_str)
    }

    /// The value of a boolean column (Kusto may send `true` or `"True"`).
    pub fn bool(&self, column: &str) -> Option<bool> {
        match self.get(column)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The values in column order.
    pub fn values(&self) -> &'a [Value] {
        self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_example() {
        // <https://learn.microsoft.com/kusto/api/rest/response>
        let text = r#"{"Tables":[{"TableName":"Table_0","Columns":[{"ColumnName":"Text","DataType":"String","ColumnType":"string"}],"Rows":[["Hello, World!"]]}]}"#;
        let response: V1Response = serde_json::from_str(text).unwrap();
        assert_eq!(response.tables[0].name, "Table_0");
        assert_eq!(response.tables[0].columns[0].data_type, "String");
        let rows = response.rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].str("Text"), Some("Hello, World!"));
        assert_eq!(rows[0].str("text"), Some("Hello, World!"));
        assert_eq!(rows[0].get("Missing"), None);
    }
}
