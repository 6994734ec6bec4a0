//! The Kusto management endpoint of an emulated cluster (`POST {cluster uri}/v1/rest/mgmt`): parses
//! the follower commands of <https://learn.microsoft.com/kusto/management/cluster-follower>,
//! applies them to the cluster's follower databases and answers v1 frames or OneApi errors.
//!
//! This module is pure: the HTTP route (auth, faults, request log) lives with the router and
//! calls [`execute`] with the cluster seen through [`Catalog`], and answers
//! `GET {cluster uri}/v1/rest/auth/metadata` with [`auth_metadata`].
//!
//! Open [`execute`] first, then [`Command`] (what [`parse`] makes of a command text) and
//! [`FollowerSettings`] (what the commands change). `principals` says how a principal is
//! stored (its FQN); `frames` the shapes of the answers.

mod ast;
mod auth;
mod error;
mod execute;
mod frames;
mod lexer;
mod parser;
pub mod principals;

use std::collections::BTreeMap;
use std::time::SystemTime;

pub use ast::{CachingTarget, Command};
pub use auth::auth_metadata;
pub use error::KustoError;
pub use execute::execute;
pub use parser::{ParseError, ParseErrorKind, parse};

use kfollow_model::{
    CachingPoliciesModificationKind, Principal, PrincipalsModificationKind, Role, Timespan,
};
use serde::{Deserialize, Serialize};

/// The settings a follower database can override (the mutable part the commands change).
/// Kept in the world, saved with it. `hot_cache_period` is also what ARM's `hotCachePeriod`
/// of the follower database reads and writes: one setting, two views.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FollowerSettings {
    /// Database-level caching policy override (`hot` period).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hot_cache_period: Option<Timespan>,
    /// Table-level caching overrides, by table name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, Timespan>,
    /// Materialized-view-level caching overrides, by view name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub materialized_views: BTreeMap<String, Timespan>,
    /// Authorized principals the follower adds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<PrincipalGrant>,
    /// `principals-modification-kind`.
    pub principals_modification_kind: PrincipalsModificationKind,
    /// `caching-policies-modification-kind`.
    pub caching_policies_modification_kind: CachingPoliciesModificationKind,
    /// `prefetch-extents`.
    pub prefetch_extents: bool,
}

/// One authorized principal of a follower database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalGrant {
    /// The role granted.
    pub role: Role,
    /// The principal as the service stores it (its fully qualified name).
    pub fqn: String,
    /// The principal string as the command gave it.
    pub display_name: String,
    /// The optional notes of the `.add` command.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// A database of the cluster, as the management endpoint sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseView {
    /// The database name on this cluster.
    pub name: String,
    /// `Some` for a follower database.
    pub follower: Option<FollowerView>,
    /// The database's own principals by role: a read-write database's, or for a follower
    /// database its leader database's (which it inherits unless its principals modification
    /// kind is `Replace`).
    pub principals: Vec<(Role, Principal)>,
    /// The tables the database holds; a follower database's are those of its leader
    /// database that table-level sharing shares.
    pub tables: Vec<EntityView>,
    /// The external table names, shared by their own lists as the tables are.
    pub external_tables: Vec<String>,
    /// The materialized views, shared as the tables are.
    pub materialized_views: Vec<EntityView>,
    /// The stored function names, shared by their own lists as the tables are.
    pub functions: Vec<String>,
    /// The hot period of the database's caching policy (ARM `hotCachePeriod`), a follower
    /// database's leader database's; `None` when it has none.
    pub hot_cache_period: Option<Timespan>,
}

/// A table or a materialized view of a database.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityView {
    /// Its name.
    pub name: String,
    /// When data last arrived: a table's newest extent's creation time
    /// (`MaxExtentsCreationTime`), a view's `MaterializedTo`. The emulator holds no data:
    /// every table holds one extent, made when the world was loaded, and every view is
    /// materialized up to then. A follower database's entities show their leader's.
    pub last_data: SystemTime,
}

/// What the endpoint knows of a follower database's leader.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowerView {
    /// The leader cluster's data-plane address.
    pub leader_cluster_uri: String,
    /// The leader database's name.
    pub leader_database: String,
}

/// The cluster as the management endpoint needs it; implemented by the world's cluster.
pub trait Catalog {
    /// Every database of the cluster, both kinds.
    fn databases(&self) -> Vec<DatabaseView>;
    /// The settings of a follower database (name compared case-insensitively), if it is one.
    fn settings_mut(&mut self, follower_database: &str) -> Option<&mut FollowerSettings>;

    /// The settings `.show follower database` reports, which may lag [`Catalog::settings_mut`]
    /// until the next schema refresh (`crate::refresh`). By default they do not lag.
    fn shown_settings(&mut self, follower_database: &str) -> Option<FollowerSettings> {
        self.settings_mut(follower_database)
            .map(|settings| settings.clone())
    }

    /// Whether `.show` echoes the notes given to `.add follower database … 'notes'`
    /// (`settings.echoPrincipalNotes`). By default it does not: nothing public shows that the
    /// service does.
    fn echo_principal_notes(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests;
