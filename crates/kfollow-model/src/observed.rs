//! The live state of the clusters a manifest names, as Azure reports it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    CachingPoliciesModificationKind, ClusterId, DatabaseKind, DatabaseShareOrigin, Principal,
    PrincipalsModificationKind, Role, TableLevelSharing, Timespan,
};

/// The start of the notes kfollow gives each `.add`; the rest is the principal as the user
/// wrote it. The service answers `aaduser=<object id>;<tenant>` for a UPN, so the notes are
/// how a later read recognises the principal kfollow added (see [`ObservedPrincipal::noted`]).
pub const NOTES_PREFIX: &str = "kfollow: ";

/// Everything `kfollow-state` read, by cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// Each cluster the manifest names, by id (ids compare case-insensitively).
    pub clusters: BTreeMap<ClusterId, ObservedCluster>,
}

impl Observed {
    /// The cluster of an id.
    pub fn cluster(&self, id: &ClusterId) -> Option<&ObservedCluster> {
        self.clusters.get(id)
    }
}

/// One live cluster: the cluster resource, its databases, its attachments (follower side),
/// the followers of its databases (leader side) and its follower databases' settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedCluster {
    /// The resource id, as ARM spells it.
    pub id: ClusterId,
    /// The region, as ARM spells it (`West Europe` or `westeurope`).
    pub location: String,
    /// `properties.state`: `Running`, `Stopped`, …
    pub state: String,
    /// `properties.uri`: the data-plane address.
    pub uri: String,
    /// Every database of the cluster, both kinds.
    pub databases: Vec<ObservedDatabase>,
    /// The attachedDatabaseConfigurations on this cluster (it is their follower).
    pub attachments: Vec<ObservedAttachment>,
    /// Who follows this cluster's databases (`listFollowerDatabases`; it is their leader).
    pub followers: Vec<LeaderFollower>,
    /// Follower database settings (`.show follower databases`), by follower database name;
    /// `None` when they were not read.
    pub follower_settings: Option<BTreeMap<String, ObservedFollowerSettings>>,
}

impl ObservedCluster {
    /// The database of a name (Kusto database names compare case-insensitively in ARM).
    pub fn database(&self, name: &str) -> Option<&ObservedDatabase> {
        self.databases
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// The attachment of a name (case-insensitive, as ARM names are).
    pub fn attachment(&self, name: &str) -> Option<&ObservedAttachment> {
        self.attachments
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// True when `state` is `Running`.
    pub fn is_running(&self) -> bool {
        is_running(&self.state)
    }

    /// What brings the cluster back to `Running`, as the end of a sentence: for a stopped (or
    /// stopping) cluster the `az` command that starts it, otherwise waiting for it.
    pub fn start_advice(&self) -> String {
        if ["Stopped", "Stopping"]
            .iter()
            .any(|s| self.state.eq_ignore_ascii_case(s))
        {
            format!(
                "start it with `az kusto cluster start --name {} --resource-group {} \
                 --subscription {}` or from the Azure portal",
                self.id.name(),
                self.id.resource_group(),
                self.id.subscription()
            )
        } else {
            "wait until it is `Running`".to_owned()
        }
    }
}

/// True when a cluster's `properties.state` is `Running`, the only state in which it answers a
/// read of its databases, its data plane and writes.
pub fn is_running(state: &str) -> bool {
    state.eq_ignore_ascii_case("Running")
}

/// A database as ARM lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedDatabase {
    /// The database name (ARM answers `cluster/database`; this is the part after `/`).
    pub name: String,
    /// `ReadWrite` or `ReadOnlyFollowing`.
    pub kind: DatabaseKind,
    /// Follower only: the leader cluster.
    pub leader_cluster_id: Option<ClusterId>,
    /// Follower only: the attachment that made it.
    pub attached_database_configuration_name: Option<String>,
    /// Follower only: the leader database's name.
    pub original_database_name: Option<String>,
    /// `hotCachePeriod`.
    pub hot_cache_period: Option<Timespan>,
}

/// An attachedDatabaseConfiguration as ARM returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedAttachment {
    /// Its name (the part after `cluster/`).
    pub name: String,
    /// Its region.
    pub location: String,
    /// `clusterResourceId`: the leader cluster.
    pub leader: ClusterId,
    /// `databaseName`: a leader database or `*`.
    pub database_name: String,
    /// `databaseNameOverride`.
    pub database_name_override: Option<String>,
    /// `databaseNamePrefix`.
    pub database_name_prefix: Option<String>,
    /// `defaultPrincipalsModificationKind`.
    pub default_principals_modification_kind: PrincipalsModificationKind,
    /// `tableLevelSharingProperties`.
    pub table_level_sharing: TableLevelSharing,
    /// `attachedDatabaseNames` (read-only).
    pub attached_database_names: Vec<String>,
    /// `provisioningState` (read-only).
    pub provisioning_state: Option<String>,
}

/// The `provisioningState` of an attachment while a detach removes it.
pub const DELETING: &str = "Deleting";

impl ObservedAttachment {
    /// The `provisioningState` of an operation still running on the attachment (`Creating`,
    /// `Running`, `Deleting`, …); `None` when there is none, or it ended (`Succeeded`,
    /// `Failed`, `Canceled`).
    pub fn operation_in_progress(&self) -> Option<&str> {
        self.provisioning_state
            .as_deref()
            .map(str::trim)
            .filter(|state| {
                !state.is_empty()
                    && !["Succeeded", "Failed", "Canceled", "Cancelled"]
                        .iter()
                        .any(|done| state.eq_ignore_ascii_case(done))
            })
    }

    /// True while a detach removes the attachment.
    pub fn is_being_deleted(&self) -> bool {
        self.operation_in_progress()
            .is_some_and(|state| state.eq_ignore_ascii_case(DELETING))
    }
}

/// One entry of a leader's `listFollowerDatabases`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaderFollower {
    /// `clusterResourceId`: the follower cluster.
    pub follower: ClusterId,
    /// `attachedDatabaseConfigurationName`.
    pub attachment_name: String,
    /// `databaseName`: the leader database followed, or `*`.
    pub database_name: String,
    /// `tableLevelSharingProperties`.
    pub table_level_sharing: TableLevelSharing,
    /// `databaseShareOrigin`.
    pub database_share_origin: Option<DatabaseShareOrigin>,
}

/// One row of `.show follower databases`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedFollowerSettings {
    /// `DatabaseName`: the follower database.
    pub database_name: String,
    /// `LeaderClusterMetadataPath` or similar: where the leader is.
    pub leader_cluster: String,
    /// The database-level caching override (`CachingPolicyOverride`).
    pub hot_cache_period: Option<Timespan>,
    /// Table-level caching overrides (`TableMetadataOverrides`).
    pub tables: BTreeMap<String, Timespan>,
    /// Materialized-view-level caching overrides.
    pub materialized_views: BTreeMap<String, Timespan>,
    /// Principals the follower adds (`AuthorizedPrincipalsOverride`), per role.
    pub principals: BTreeMap<Role, Vec<ObservedPrincipal>>,
    /// `PrincipalsModificationKind`.
    pub principals_modification_kind: PrincipalsModificationKind,
    /// `CachingPoliciesModificationKind`.
    pub caching_policies_modification_kind: CachingPoliciesModificationKind,
    /// `IsAutoPrefetchEnabled`.
    pub prefetch_extents: bool,
}

/// A principal as the service reports it back. The service normalises what it was given
/// (`aaduser=alice@contoso.com` comes back as `aaduser=<object id>;<tenant id>`), so the
/// notes kfollow attaches to each `.add` hold the string the user wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedPrincipal {
    /// The fully qualified name the service stores.
    pub fqn: String,
    /// The display name the service shows.
    pub display_name: String,
    /// The notes given with `.add`.
    pub notes: String,
}

impl ObservedPrincipal {
    /// The principal kfollow's notes name, if the notes are kfollow's and name one.
    pub fn noted(&self) -> Option<Principal> {
        self.notes
            .trim()
            .strip_prefix(NOTES_PREFIX.trim_end())
            .and_then(|rest| rest.trim().parse().ok())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn with_notes(notes: &str) -> ObservedPrincipal {
        ObservedPrincipal {
            fqn: "aaduser=87654321-abcd;55555555-4444".into(),
            display_name: "Alice (upn: alice@contoso.com)".into(),
            notes: notes.into(),
        }
    }

    #[test]
    fn only_kfollow_notes_name_a_principal() {
        assert_eq!(
            with_notes(" kfollow:  aaduser=alice@contoso.com ")
                .noted()
                .unwrap()
                .to_string(),
            "aaduser=alice@contoso.com"
        );
        assert_eq!(with_notes("added by hand").noted(), None);
        assert_eq!(with_notes("kfollow: not a principal").noted(), None);
        assert_eq!(with_notes("").noted(), None);
    }
}
