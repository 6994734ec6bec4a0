//! The commands the emulated management endpoint understands, as [`parse`](super::parse)
//! returns them. Names are as written, quotes removed; principals are checked but not
//! normalised (that is the service's job, done when the command runs).

use kfollow_model::{
    CachingPoliciesModificationKind, Principal, PrincipalsModificationKind, Role, Timespan,
};

/// One management command (<https://learn.microsoft.com/kusto/management/cluster-follower>,
/// `show-databases.md`).
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `.show databases`, `.show cluster databases`, optionally with `(Db1, …)`.
    ShowDatabases {
        /// The databases named in parentheses; `None` for every database.
        databases: Option<Vec<String>>,
    },
    /// `.show database X principals`: the database's effective principals
    /// (<https://learn.microsoft.com/kusto/management/manage-database-security-roles>).
    ShowDatabasePrincipals {
        /// The database.
        database: String,
    },
    /// `.show tables details`, `.show tables (T1, …) details`, `.show table T details`: the
    /// tables of the request's database
    /// (<https://learn.microsoft.com/kusto/management/show-table-details-command>).
    ShowTableDetails {
        /// The tables named; `None` for every table.
        tables: Option<Vec<String>>,
    },
    /// `.show materialized-views`, `.show materialized-view V`: the materialized views of the
    /// request's database
    /// (<https://learn.microsoft.com/kusto/management/materialized-views/materialized-view-show-command>).
    ShowMaterializedViews {
        /// The view named; `None` for every view.
        views: Option<Vec<String>>,
    },
    /// `.show external tables`, `.show external table T`: the external tables of the
    /// request's database (<https://learn.microsoft.com/kusto/management/show-external-tables>).
    ShowExternalTables {
        /// The external table named; `None` for every external table.
        tables: Option<Vec<String>>,
    },
    /// `.show functions`, `.show function F`: the stored functions of the request's database
    /// (<https://learn.microsoft.com/kusto/management/show-function>).
    ShowFunctions {
        /// The function named; `None` for every function.
        functions: Option<Vec<String>>,
    },
    /// `.show follower database X`, `.show follower databases`, `.show follower databases (X, …)`.
    ShowFollowerDatabases {
        /// The databases named; `None` for every follower database.
        databases: Option<Vec<String>>,
    },
    /// `.alter follower database X [table …|tables (…)|materialized-view …|materialized-views (…)]
    /// policy caching hot = T`.
    AlterFollowerCaching {
        /// The follower database.
        database: String,
        /// What the override applies to.
        target: CachingTarget,
        /// The hot period.
        hot: Timespan,
    },
    /// `.delete follower database X [table …|tables (…)|…] policy caching`.
    DeleteFollowerCaching {
        /// The follower database.
        database: String,
        /// Whose override to delete.
        target: CachingTarget,
    },
    /// `.add follower database X <role> ('principal', …) ['notes']`.
    AddFollowerPrincipals {
        /// The follower database.
        database: String,
        /// The role granted.
        role: Role,
        /// The principals, as written.
        principals: Vec<Principal>,
        /// The optional notes.
        notes: Option<String>,
    },
    /// `.drop follower database X <role> ('principal', …)`.
    DropFollowerPrincipals {
        /// The follower database.
        database: String,
        /// The role revoked.
        role: Role,
        /// The principals, as written (as added, or the stored FQN).
        principals: Vec<Principal>,
    },
    /// `.alter follower database X principals-modification-kind = none|union|replace`.
    AlterFollowerPrincipalsModificationKind {
        /// The follower database.
        database: String,
        /// The new kind.
        kind: PrincipalsModificationKind,
    },
    /// `.alter follower database X caching-policies-modification-kind = none|union|replace`.
    AlterFollowerCachingPoliciesModificationKind {
        /// The follower database.
        database: String,
        /// The new kind.
        kind: CachingPoliciesModificationKind,
    },
    /// `.alter follower database X prefetch-extents = true|false`.
    AlterFollowerPrefetchExtents {
        /// The follower database.
        database: String,
        /// Whether new extents are fetched before they become queryable.
        enabled: bool,
    },
}

/// The entity a caching-policy override applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CachingTarget {
    /// The follower database itself.
    Database,
    /// `table T` or `tables (T1, …)`.
    Tables(Vec<String>),
    /// `materialized-view V` or `materialized-views (V1, …)`.
    MaterializedViews(Vec<String>),
}

impl Command {
    /// The follower database the command changes or shows, when it names exactly one.
    pub fn follower_database(&self) -> Option<&str> {
        match self {
            Command::ShowDatabases { .. }
            | Command::ShowDatabasePrincipals { .. }
            | Command::ShowTableDetails { .. }
            | Command::ShowMaterializedViews { .. }
            | Command::ShowExternalTables { .. }
            | Command::ShowFunctions { .. }
            | Command::ShowFollowerDatabases { .. } => None,
            Command::AlterFollowerCaching { database, .. }
            | Command::DeleteFollowerCaching { database, .. }
            | Command::AddFollowerPrincipals { database, .. }
            | Command::DropFollowerPrincipals { database, .. }
            | Command::AlterFollowerPrincipalsModificationKind { database, .. }
            | Command::AlterFollowerCachingPoliciesModificationKind { database, .. }
            | Command::AlterFollowerPrefetchExtents { database, .. } => Some(database),
        }
    }
}
