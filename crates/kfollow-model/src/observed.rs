//! The live state of the clusters a manifest names, as Azure reports it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{
    CachingPoliciesModificationKind, ClusterId, DatabaseKind, DatabaseShareOrigin, Principal,
    PrincipalKind, PrincipalsModificationKind, Role, TableLevelSharing, Timespan,
};

/// The start of the notes kfollow gives each `.add`; the rest is the principal as the user
/// wrote it. The service answers `aaduser=<object id>;<tenant>` for a UPN, so the notes, when
/// the service shows them, are the surest way a later read recognises the principal kfollow
/// added (see [`ObservedPrincipal::noted`]). Nothing public says it does show them, so a read
/// also looks the principals up with `.show database <db> principals`
/// ([`ObservedPrincipal::details`]).
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

    /// How the attachment `name` on the follower cluster `follower` came to be, as far as
    /// what was read says: from its follower databases (follower side) or from the leader's
    /// `listFollowerDatabases`. `DataShare` or `Other` wins over `Direct`, so that one sign
    /// of Azure Data Share is enough to leave an attachment alone.
    pub fn share_origin(&self, follower: &ClusterId, name: &str) -> Option<DatabaseShareOrigin> {
        let follower_side = self
            .cluster(follower)
            .into_iter()
            .flat_map(|cluster| cluster.follower_databases_of(name))
            .filter_map(|database| database.database_share_origin);
        let leader_side = self
            .clusters
            .values()
            .flat_map(|leader| &leader.followers)
            .filter(|f| &f.follower == follower && f.attachment_name.eq_ignore_ascii_case(name))
            .filter_map(|f| f.database_share_origin);
        follower_side
            .chain(leader_side)
            .max_by_key(|origin| match origin {
                DatabaseShareOrigin::Direct => 0,
                DatabaseShareOrigin::Other => 1,
                DatabaseShareOrigin::DataShare => 2,
            })
    }

    /// The leaders the attachments of `followers` follow, in the order they are met
    /// (followers in the order given, attachments by name), without the followers
    /// themselves, and without the leaders of attachments made by Azure Data Share (often in
    /// another tenant): what must be read besides `followers` to describe them in a manifest.
    pub fn leaders_of(&self, followers: &[ClusterId]) -> Vec<ClusterId> {
        let mut leaders: Vec<ClusterId> = Vec::new();
        for id in followers {
            let Some(cluster) = self.cluster(id) else {
                continue;
            };
            for attachment in cluster.attachments_by_name() {
                let shared =
                    self.share_origin(id, &attachment.name) == Some(DatabaseShareOrigin::DataShare);
                if !shared
                    && !followers.contains(&attachment.leader)
                    && !leaders.contains(&attachment.leader)
                {
                    leaders.push(attachment.leader.clone());
                }
            }
        }
        leaders
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
    /// The tables, external tables, materialized views and functions of this cluster's
    /// databases whose entities the manifest names (caching overrides, table-level sharing),
    /// by database name as ARM lists it; only those databases of a running leader are read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub database_entities: BTreeMap<String, ObservedEntities>,
}

/// The tables (`.show tables details`), external tables (`.show external tables`),
/// materialized views (`.show materialized-views`) and functions (`.show functions`) of one
/// database; each `None` when it was not read. Names are case-sensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedEntities {
    /// The table names.
    pub tables: Option<BTreeSet<String>>,
    /// The external table names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_tables: Option<BTreeSet<String>>,
    /// The materialized view names.
    pub materialized_views: Option<BTreeSet<String>>,
    /// The stored function names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<BTreeSet<String>>,
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

    /// The attachments, by name ignoring case: the order a manifest written from them lists
    /// them in.
    pub fn attachments_by_name(&self) -> Vec<&ObservedAttachment> {
        let mut list: Vec<&ObservedAttachment> = self.attachments.iter().collect();
        list.sort_by_key(|a| a.name.to_ascii_lowercase());
        list
    }

    /// The entities read of a database (its name compared ignoring case, as Kusto compares
    /// database names).
    pub fn entities(&self, database: &str) -> Option<&ObservedEntities> {
        self.database_entities
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(database))
            .map(|(_, entities)| entities)
    }

    /// The follower databases the attachment `name` made on this cluster.
    pub fn follower_databases_of<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a ObservedDatabase> + 'a {
        self.databases.iter().filter(move |d| {
            d.attached_database_configuration_name
                .as_deref()
                .is_some_and(|made_by| made_by.eq_ignore_ascii_case(name))
        })
    }

    /// The follower databases `attachment` made on this cluster, as ARM lists them: (leader
    /// database, follower database), by leader database name. The leader database is ARM's
    /// `originalDatabaseName`, else the attachment's database, or for `"*"` the follower
    /// database's name without the attachment's prefix.
    pub fn followed_by(&self, attachment: &ObservedAttachment) -> Vec<(String, String)> {
        let prefix = attachment
            .database_name_prefix
            .as_deref()
            .unwrap_or_default();
        let mut found: Vec<(String, String)> = self
            .follower_databases_of(&attachment.name)
            .filter(|d| d.kind == DatabaseKind::ReadOnlyFollowing)
            .map(|d| {
                let leader = d.original_database_name.clone().unwrap_or_else(|| {
                    if attachment.database_name == "*" {
                        match d.name.get(..prefix.len()) {
                            Some(head) if head.eq_ignore_ascii_case(prefix) => {
                                d.name[prefix.len()..].to_owned()
                            }
                            _ => d.name.clone(),
                        }
                    } else {
                        attachment.database_name.clone()
                    }
                });
                (leader, d.name.clone())
            })
            .collect();
        found.sort_by_key(|(leader, _)| leader.to_ascii_lowercase());
        found
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
    /// Follower only: `databaseShareOrigin`, how the follower database came to be (`Direct`,
    /// or `DataShare` when an Azure Data Share subscription made it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_share_origin: Option<DatabaseShareOrigin>,
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
/// (`aaduser=alice@contoso.com` comes back as `aaduser=<object id>;<tenant id>`), so telling
/// which manifest principal a live one is takes more than its stored name: the notes kfollow
/// gives each `.add` (when the service shows them) and the directory's answer
/// ([`PrincipalDetails`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedPrincipal {
    /// The fully qualified name the service stores.
    pub fqn: String,
    /// The display name `.show follower databases` shows (what it holds is not documented).
    pub display_name: String,
    /// The notes given with `.add`, when the service shows them; empty otherwise.
    pub notes: String,
    /// What `.show database <db> principals` says of it; `None` when that was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<PrincipalDetails>,
}

/// One principal as `.show database <db> principals` lists it
/// (<https://learn.microsoft.com/kusto/management/manage-database-security-roles>).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalDetails {
    /// `PrincipalType` (`Microsoft Entra user`, `AAD Group`, …).
    pub principal_type: String,
    /// `PrincipalDisplayName`: a user's carries its UPN (`Jack Kusto (upn: jack@contoso.com)`).
    pub display_name: String,
    /// `PrincipalObjectId`.
    pub object_id: String,
}

impl ObservedPrincipal {
    /// The principal kfollow's notes name, if the notes are kfollow's and name one.
    pub fn noted(&self) -> Option<Principal> {
        self.notes
            .trim()
            .strip_prefix(NOTES_PREFIX.trim_end())
            .and_then(|rest| rest.trim().parse().ok())
    }

    /// The kind of identity, from the prefix of the stored name.
    pub fn kind(&self) -> Option<PrincipalKind> {
        let (prefix, _) = self.fqn.split_once('=')?;
        PrincipalKind::from_prefix(prefix)
    }

    /// The UPN the directory shows in the display name: `Jack Kusto (upn: jack@contoso.com)`
    /// gives `jack@contoso.com`.
    pub fn upn(&self) -> Option<&str> {
        let shown = &self.details.as_ref()?.display_name;
        let start = shown.to_ascii_lowercase().find("(upn:")? + "(upn:".len();
        let rest = &shown[start..];
        let upn = rest[..rest.find(')')?].trim();
        (!upn.is_empty()).then_some(upn)
    }

    /// The display name the directory shows, without a ` (upn: …)` or other parenthesis.
    pub fn directory_name(&self) -> Option<&str> {
        let shown = self.details.as_ref()?.display_name.as_str();
        let name = shown
            .split_once(" (")
            .map_or(shown, |(name, _)| name)
            .trim();
        (!name.is_empty()).then_some(name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cluster(name: &str, attachments: &[(&str, &ClusterId)]) -> ObservedCluster {
        ObservedCluster {
            id: ClusterId::new("1", "rg", name).unwrap(),
            location: "West Europe".into(),
            state: "Running".into(),
            uri: String::new(),
            databases: Vec::new(),
            attachments: attachments
                .iter()
                .map(|(name, leader)| ObservedAttachment {
                    name: (*name).into(),
                    location: "West Europe".into(),
                    leader: (*leader).clone(),
                    database_name: "*".into(),
                    database_name_override: None,
                    database_name_prefix: None,
                    default_principals_modification_kind: PrincipalsModificationKind::default(),
                    table_level_sharing: TableLevelSharing::default(),
                    attached_database_names: Vec::new(),
                    provisioning_state: None,
                })
                .collect(),
            followers: Vec::new(),
            follower_settings: None,
            database_entities: BTreeMap::new(),
        }
    }

    #[test]
    fn the_leaders_of_followers_are_met_by_attachment_name_once_each_without_data_share() {
        let id = |name| ClusterId::new("1", "rg", name).unwrap();
        let (a, b, partner) = (id("leadA"), id("leadB"), id("partner"));
        let (f1, f2) = (id("f1"), id("f2"));
        let mut observed = Observed::default();
        for cluster in [
            cluster("f1", &[("zeta", &a), ("Alpha", &b), ("shared", &partner)]),
            // A follower that follows another follower names no leader of its own.
            cluster("f2", &[("same", &a), ("chain", &f1)]),
        ] {
            observed.clusters.insert(cluster.id.clone(), cluster);
        }
        let mut leader = cluster("partner", &[]);
        leader.followers.push(LeaderFollower {
            follower: f1.clone(),
            attachment_name: "SHARED".into(),
            database_name: "Catalog".into(),
            table_level_sharing: TableLevelSharing::default(),
            database_share_origin: Some(DatabaseShareOrigin::DataShare),
        });
        observed.clusters.insert(partner.clone(), leader);
        let names = |ids: Vec<ClusterId>| {
            ids.iter()
                .map(|id| id.name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(observed.leaders_of(&[f1.clone(), f2.clone()])),
            ["leadB", "leadA"]
        );
        assert_eq!(names(observed.leaders_of(&[f2, f1])), ["leadA", "leadB"]);
        assert!(observed.leaders_of(&[id("unread")]).is_empty());
    }

    fn with_notes(notes: &str) -> ObservedPrincipal {
        ObservedPrincipal {
            fqn: "aaduser=87654321-abcd;55555555-4444".into(),
            display_name: "Alice (upn: alice@contoso.com)".into(),
            notes: notes.into(),
            details: None,
        }
    }

    #[test]
    fn the_directory_names_the_upn_and_the_display_name() {
        let mut principal = with_notes("");
        assert_eq!(principal.upn(), None);
        assert_eq!(principal.kind(), Some(PrincipalKind::AadUser));
        principal.details = Some(PrincipalDetails {
            principal_type: "Microsoft Entra user".into(),
            display_name: "Jack Kusto    (UPN: Jack@Contoso.com)".into(),
            object_id: "12345678-abcd-efef-1234-350bf486087b".into(),
        });
        assert_eq!(principal.upn(), Some("Jack@Contoso.com"));
        assert_eq!(principal.directory_name(), Some("Jack Kusto"));
        principal.details = Some(PrincipalDetails {
            display_name: "Fabrikam: All Staff".into(),
            ..PrincipalDetails::default()
        });
        assert_eq!(principal.upn(), None);
        assert_eq!(principal.directory_name(), Some("Fabrikam: All Staff"));
        principal.fqn = "who knows".into();
        assert_eq!(principal.kind(), None);
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
