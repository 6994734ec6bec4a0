//! Table-level sharing: the eight include/exclude lists of `tableLevelSharingProperties`.

use serde::{Deserialize, Serialize};

/// The eight lists of ARM's `tableLevelSharingProperties`, with the ARM property names.
/// Entries may hold wildcards (`Logs*`). Lists compare as sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TableLevelSharing {
    /// `tablesToInclude`
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables_to_include: Vec<String>,
    /// `tablesToExclude`
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables_to_exclude: Vec<String>,
    /// `externalTablesToInclude`
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_tables_to_include: Vec<String>,
    /// `externalTablesToExclude`
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_tables_to_exclude: Vec<String>,
    /// `materializedViewsToInclude`
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub materialized_views_to_include: Vec<String>,
    /// `materializedViewsToExclude`
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub materialized_views_to_exclude: Vec<String>,
    /// `functionsToInclude`
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub functions_to_include: Vec<String>,
    /// `functionsToExclude`
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub functions_to_exclude: Vec<String>,
}

/// The most entries the eight lists may hold together
/// (<https://learn.microsoft.com/azure/data-explorer/follower>).
pub const MAX_SHARING_ENTRIES: usize = 100;

impl TableLevelSharing {
    /// The lists with their ARM property names, in the spec's order.
    pub fn lists(&self) -> [(&'static str, &Vec<String>); 8] {
        [
            ("tablesToInclude", &self.tables_to_include),
            ("tablesToExclude", &self.tables_to_exclude),
            ("externalTablesToInclude", &self.external_tables_to_include),
            ("externalTablesToExclude", &self.external_tables_to_exclude),
            (
                "materializedViewsToInclude",
                &self.materialized_views_to_include,
            ),
            (
                "materializedViewsToExclude",
                &self.materialized_views_to_exclude,
            ),
            ("functionsToInclude", &self.functions_to_include),
            ("functionsToExclude", &self.functions_to_exclude),
        ]
    }

    /// How many entries the eight lists hold together.
    pub fn entry_count(&self) -> usize {
        self.lists().iter().map(|(_, list)| list.len()).sum()
    }

    /// True when no list has an entry: the whole database is shared.
    pub fn is_empty(&self) -> bool {
        self.entry_count() == 0
    }

    /// True when a table of this name is shared: included (explicitly, by wildcard, or
    /// because there is no include list) and not excluded.
    pub fn shares_table(&self, table: &str) -> bool {
        shares(&self.tables_to_include, &self.tables_to_exclude, table)
    }

    /// True when a materialized view of this name is shared.
    pub fn shares_materialized_view(&self, view: &str) -> bool {
        shares(
            &self.materialized_views_to_include,
            &self.materialized_views_to_exclude,
            view,
        )
    }

    /// True when an external table of this name is shared.
    pub fn shares_external_table(&self, table: &str) -> bool {
        shares(
            &self.external_tables_to_include,
            &self.external_tables_to_exclude,
            table,
        )
    }

    /// True when a stored function of this name is shared.
    pub fn shares_function(&self, function: &str) -> bool {
        shares(
            &self.functions_to_include,
            &self.functions_to_exclude,
            function,
        )
    }
}

fn shares(include: &[String], exclude: &[String], name: &str) -> bool {
    let included = include.is_empty() || include.iter().any(|p| wildcard_match(p, name));
    included && !exclude.iter().any(|p| wildcard_match(p, name))
}

/// Matches `name` against a sharing entry where `*` stands for any run of characters.
/// Kusto entity names are case-sensitive, so the match is too.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("Logs*", "Logs2026"));
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("a*c*e", "abcde"));
        assert!(!wildcard_match("Logs*", "Orders"));
        assert!(!wildcard_match("Orders", "orders"));
    }

    #[test]
    fn sharing_decides_tables() {
        let sharing = TableLevelSharing {
            tables_to_include: vec!["Orders".into(), "Logs*".into()],
            tables_to_exclude: vec!["LogsDebug".into()],
            ..TableLevelSharing::default()
        };
        assert!(sharing.shares_table("Orders"));
        assert!(sharing.shares_table("Logs2026"));
        assert!(!sharing.shares_table("LogsDebug"));
        assert!(!sharing.shares_table("Customers"));
        assert!(TableLevelSharing::default().shares_table("Customers"));
    }

    #[test]
    fn sharing_decides_external_tables_and_functions_by_their_own_lists() {
        let sharing = TableLevelSharing {
            external_tables_to_exclude: vec!["*".into()],
            functions_to_include: vec!["Report*".into()],
            ..TableLevelSharing::default()
        };
        assert!(!sharing.shares_external_table("Archive"));
        assert!(sharing.shares_function("ReportLiquidity"));
        assert!(!sharing.shares_function("ScoreCustomer"));
        // The table lists say nothing of external tables or functions.
        assert!(sharing.shares_table("Archive"));
    }
}
