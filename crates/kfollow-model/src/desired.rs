//! The wanted topology, as the manifest describes it after validation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    Address, CachingPoliciesModificationKind, ClusterId, Principal, PrincipalsModificationKind,
    Role, TableLevelSharing, Timespan, UnmanagedPolicy,
};

/// Where a manifest node starts, for messages that point the user at it (1-based).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SourceLocation {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
}

/// Everything the manifest asks for, validated offline. Built by `kfollow-spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    /// The manifest's file name as the user gave it, for messages (`kfollow.yaml:12:5`).
    pub source_name: String,
    /// The clusters, by alias.
    pub clusters: BTreeMap<String, DesiredCluster>,
    /// The attachments, in manifest order.
    pub attachments: Vec<DesiredAttachment>,
}

/// A cluster the manifest names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredCluster {
    /// The alias the manifest uses for it.
    pub alias: String,
    /// Its resource id.
    pub id: ClusterId,
    /// Its region, when the manifest states one (compared with the live cluster).
    pub location: Option<String>,
    /// Leader side: what to do with followers the manifest does not declare.
    pub unmanaged_followers: UnmanagedPolicy,
    /// Follower side: what to do with attachments the manifest does not declare.
    pub unmanaged_attachments: UnmanagedPolicy,
    /// Where the cluster is declared.
    pub origin: SourceLocation,
}

/// Which leader databases an attachment follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DatabaseSelection {
    /// `databaseName: "*"`: every database of the leader, now and later.
    All,
    /// One database, by name.
    One(String),
}

impl DatabaseSelection {
    /// The value ARM's `databaseName` takes.
    pub fn as_arm(&self) -> &str {
        match self {
            DatabaseSelection::All => "*",
            DatabaseSelection::One(name) => name,
        }
    }

    /// Reads ARM's `databaseName`.
    pub fn from_arm(name: &str) -> DatabaseSelection {
        if name == "*" {
            DatabaseSelection::All
        } else {
            DatabaseSelection::One(name.to_owned())
        }
    }
}

/// How the follower database is named on the follower cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FollowerDatabaseName {
    /// The leader database's name.
    #[default]
    Same,
    /// `databaseNameOverride` (single database only).
    Override(String),
    /// `databaseNamePrefix`, put before each leader database's name.
    Prefix(String),
}

impl FollowerDatabaseName {
    /// The follower database's name for a leader database of this name.
    pub fn apply(&self, leader_database: &str) -> String {
        match self {
            FollowerDatabaseName::Same => leader_database.to_owned(),
            FollowerDatabaseName::Override(name) => name.clone(),
            FollowerDatabaseName::Prefix(prefix) => format!("{prefix}{leader_database}"),
        }
    }

    /// ARM's `databaseNameOverride`.
    pub fn override_name(&self) -> Option<&str> {
        match self {
            FollowerDatabaseName::Override(name) => Some(name),
            _ => None,
        }
    }

    /// ARM's `databaseNamePrefix`.
    pub fn prefix(&self) -> Option<&str> {
        match self {
            FollowerDatabaseName::Prefix(prefix) => Some(prefix),
            _ => None,
        }
    }
}

/// One attachment: an `attachedDatabaseConfiguration` on the follower cluster, and the
/// settings of the follower database(s) it creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredAttachment {
    /// The attachedDatabaseConfiguration name, unique per follower cluster.
    pub name: String,
    /// Alias of the follower cluster (where the attachment lives).
    pub follower: String,
    /// Alias of the leader cluster.
    pub leader: String,
    /// The leader database(s) followed.
    pub database: DatabaseSelection,
    /// How the follower database is named.
    pub follower_database_name: FollowerDatabaseName,
    /// `defaultPrincipalsModificationKind`.
    pub default_principals_modification_kind: PrincipalsModificationKind,
    /// `tableLevelSharingProperties` (empty = the whole database).
    pub table_level_sharing: TableLevelSharing,
    /// Settings of the follower database(s), by **leader** database name: one entry for a
    /// single database (`followerDatabase`), any number for `"*"` (`followerDatabases`).
    /// A database without an entry has its settings left alone.
    pub follower_databases: BTreeMap<String, FollowerDatabaseSettings>,
    /// Any plan that would detach or replace this attachment is an error.
    pub protect: bool,
    /// The lag budget of every follower database the attachment creates (`freshness`):
    /// `kfollow check` fails a follower database that lags its leader by more. A plan ignores
    /// it; it changes nothing in Azure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness: Option<Timespan>,
    /// Where the attachment is declared.
    pub origin: SourceLocation,
    /// Where each table-level sharing entry is written, for messages about one entry: a list
    /// per list of [`TableLevelSharing::lists`](crate::sharing::TableLevelSharing::lists), in
    /// that order, a location per entry. Empty for an attachment not read from a manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sharing_origins: Vec<Vec<SourceLocation>>,
}

impl DesiredAttachment {
    /// Where entry `entry` of sharing list `list` (as numbered by
    /// [`TableLevelSharing::lists`](crate::sharing::TableLevelSharing::lists)) is written, or
    /// where the attachment is when that is not known.
    pub fn sharing_origin(&self, list: usize, entry: usize) -> SourceLocation {
        self.sharing_origins
            .get(list)
            .and_then(|entries| entries.get(entry))
            .copied()
            .unwrap_or(self.origin)
    }
}

/// A single setting the manifest may manage, set to a value, or explicitly want absent.
///
/// Unlike `Option<T>`, it tells "the manifest does not mention the key" ([`Managed::Unmanaged`],
/// the live value is left alone) from "the manifest says `key: null`" ([`Managed::Unset`], a
/// live value is deleted). Serialised as `"unmanaged"`, `"unset"` or `{"set": <value>}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Managed<T> {
    /// The manifest leaves the key out: kfollow does not touch the live value.
    #[default]
    Unmanaged,
    /// The manifest writes `null`: there must be no value; a live one is deleted.
    Unset,
    /// The manifest writes a value: the live value must be this one.
    Set(T),
}

impl<T> Managed<T> {
    /// The wanted value, if the manifest sets one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Managed::Set(value) => Some(value),
            Managed::Unmanaged | Managed::Unset => None,
        }
    }
}

/// Settings of one follower database (data-plane commands of
/// <https://learn.microsoft.com/kusto/management/cluster-follower>).
///
/// `None` (or an absent map key) means "not managed": kfollow leaves the live value alone.
/// A value that is present is authoritative: a `tables` map removes live table overrides it
/// does not list, a role's principal list drops live principals it does not list.
/// The database-level `hotCachePeriod` is a [`Managed`]: left out it is not managed, set it is
/// the wanted override, and `hotCachePeriod: null` means "no database-level override" (a live
/// one is deleted with `.delete follower database <db> policy caching`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowerDatabaseSettings {
    /// Database-level hot cache override.
    #[serde(default)]
    pub hot_cache_period: Managed<Timespan>,
    /// Table-level hot cache overrides, by table name.
    pub tables: Option<BTreeMap<String, Timespan>>,
    /// Materialized-view-level hot cache overrides, by view name.
    pub materialized_views: Option<BTreeMap<String, Timespan>>,
    /// Principals the follower adds, per role; roles absent are not managed.
    pub principals: BTreeMap<Role, Vec<Principal>>,
    /// `principals-modification-kind`.
    pub principals_modification_kind: Option<PrincipalsModificationKind>,
    /// `caching-policies-modification-kind`.
    pub caching_policies_modification_kind: Option<CachingPoliciesModificationKind>,
    /// `prefetch-extents`.
    pub prefetch_extents: Option<bool>,
    /// Where the settings are declared.
    #[serde(default)]
    pub origin: SourceLocation,
    /// Where each table of `tables` is named, for messages about that table.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub table_origins: BTreeMap<String, SourceLocation>,
    /// Where each view of `materialized_views` is named.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub materialized_view_origins: BTreeMap<String, SourceLocation>,
}

impl Desired {
    /// The cluster of an alias.
    pub fn cluster(&self, alias: &str) -> Option<&DesiredCluster> {
        self.clusters.get(alias)
    }

    /// `FILE:LINE:COLUMN` of a manifest node, for messages.
    pub fn locate(&self, origin: SourceLocation) -> String {
        format!("{}:{}:{}", self.source_name, origin.line, origin.column)
    }

    /// The plan addresses of what the manifest declares: every attachment, and every follower
    /// database whose name is known offline (the one of a single-database attachment, and
    /// those with settings). A plan may also hold addresses of live resources the manifest
    /// does not declare.
    pub fn addresses(&self) -> Vec<Address> {
        let mut out = Vec::new();
        for attachment in &self.attachments {
            out.push(Address::Attachment {
                follower: attachment.follower.clone(),
                name: attachment.name.clone(),
            });
            let single = match &attachment.database {
                DatabaseSelection::One(name) => Some(name),
                DatabaseSelection::All => None,
            };
            let mut databases: Vec<String> = single
                .into_iter()
                .chain(attachment.follower_databases.keys())
                .map(|leader_database| attachment.follower_database_name.apply(leader_database))
                .collect();
            databases.dedup();
            out.extend(
                databases
                    .into_iter()
                    .map(|database| Address::FollowerDatabase {
                        follower: attachment.follower.clone(),
                        database,
                    }),
            );
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_sharing_entry_is_found_where_it_is_written_else_at_its_attachment() {
        let at = |line| SourceLocation { line, column: 3 };
        let attachment = DesiredAttachment {
            name: "sales".into(),
            follower: "f1".into(),
            leader: "lead".into(),
            database: DatabaseSelection::One("Sales".into()),
            follower_database_name: FollowerDatabaseName::Same,
            default_principals_modification_kind: PrincipalsModificationKind::default(),
            table_level_sharing: crate::sharing::TableLevelSharing::default(),
            follower_databases: BTreeMap::new(),
            protect: false,
            freshness: None,
            origin: at(9),
            sharing_origins: vec![vec![at(12), at(13)], vec![], vec![at(15)]],
        };
        assert_eq!(attachment.sharing_origin(0, 1), at(13));
        assert_eq!(attachment.sharing_origin(2, 0), at(15));
        assert_eq!(attachment.sharing_origin(1, 0), at(9));
        assert_eq!(attachment.sharing_origin(7, 0), at(9));
    }

    #[test]
    fn managed_hot_cache_keeps_its_three_meanings_through_json() {
        for (wanted, json) in [
            (Managed::Unmanaged, r#""unmanaged""#),
            (Managed::Unset, r#""unset""#),
            (Managed::Set(Timespan::from_days(7)), r#"{"set":"7d"}"#),
        ] {
            let settings = FollowerDatabaseSettings {
                hot_cache_period: wanted,
                ..FollowerDatabaseSettings::default()
            };
            let text = serde_json::to_string(&settings).unwrap();
            assert!(
                text.contains(&format!(r#""hotCachePeriod":{json}"#)),
                "{text}"
            );
            let back: FollowerDatabaseSettings = serde_json::from_str(&text).unwrap();
            assert_eq!(back, settings);
        }
    }

    #[test]
    fn a_left_out_hot_cache_reads_as_unmanaged() {
        let back: FollowerDatabaseSettings = serde_json::from_str(
            r#"{"tables":null,"materializedViews":null,"principals":{},
                "principalsModificationKind":null,"cachingPoliciesModificationKind":null,
                "prefetchExtents":null}"#,
        )
        .unwrap();
        assert_eq!(back.hot_cache_period, Managed::Unmanaged);
    }
}
