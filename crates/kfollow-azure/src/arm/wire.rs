//! The JSON shapes of the Microsoft.Kusto ARM routes kfollow uses (the Microsoft.Kusto REST API,
//! <https://learn.microsoft.com/rest/api/azurerekusto/>, api-version 2025-02-14), and their
//! conversion into `kfollow_model`'s observed types. Only the fields kfollow reads are declared;
//! every other field is ignored.

use kfollow_model::{
    AttachmentBody, ClusterId, DatabaseKind, DatabaseShareOrigin, LeaderFollower,
    ObservedAttachment, ObservedDatabase, PrincipalsModificationKind, TableLevelSharing, Timespan,
};
use serde::{Deserialize, Serialize};

/// A page of a list: `{ "value": [...], "nextLink": "..." }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(default)]
    pub next_link: Option<String>,
}

/// `Cluster` (only what kfollow reads).
#[derive(Debug, Deserialize)]
pub(crate) struct ClusterWire {
    pub id: ClusterId,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub properties: ClusterPropertiesWire,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClusterPropertiesWire {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
}

/// The parts of a cluster kfollow needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// The resource id, as ARM spells it.
    pub id: ClusterId,
    /// The region (`westeurope` or `West Europe`).
    pub location: String,
    /// `properties.state` (`Running`, `Stopped`, …); empty when ARM did not say.
    pub state: String,
    /// `properties.uri`: the data-plane address; empty when ARM did not say.
    pub uri: String,
}

impl From<ClusterWire> for ClusterInfo {
    fn from(wire: ClusterWire) -> ClusterInfo {
        ClusterInfo {
            id: wire.id,
            location: wire.location,
            state: wire.properties.state.unwrap_or_default(),
            uri: wire.properties.uri.unwrap_or_default(),
        }
    }
}

/// `Database` (ReadWrite or ReadOnlyFollowing).
#[derive(Debug, Deserialize)]
pub(crate) struct DatabaseWire {
    pub name: String,
    pub kind: DatabaseKind,
    #[serde(default)]
    pub properties: DatabasePropertiesWire,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DatabasePropertiesWire {
    #[serde(default)]
    pub hot_cache_period: Option<Timespan>,
    #[serde(default)]
    pub leader_cluster_resource_id: Option<ClusterId>,
    #[serde(default)]
    pub attached_database_configuration_name: Option<String>,
    #[serde(default)]
    pub original_database_name: Option<String>,
    #[serde(default)]
    pub database_share_origin: Option<DatabaseShareOrigin>,
}

impl From<DatabaseWire> for ObservedDatabase {
    fn from(wire: DatabaseWire) -> ObservedDatabase {
        ObservedDatabase {
            name: child_name(&wire.name),
            kind: wire.kind,
            leader_cluster_id: wire.properties.leader_cluster_resource_id,
            attached_database_configuration_name: wire
                .properties
                .attached_database_configuration_name,
            original_database_name: wire.properties.original_database_name,
            hot_cache_period: wire.properties.hot_cache_period,
            database_share_origin: wire.properties.database_share_origin,
        }
    }
}

/// `AttachedDatabaseConfiguration`.
#[derive(Debug, Deserialize)]
pub(crate) struct AttachmentWire {
    pub name: String,
    #[serde(default)]
    pub location: String,
    pub properties: AttachmentPropertiesWire,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttachmentPropertiesWire {
    pub cluster_resource_id: ClusterId,
    pub database_name: String,
    #[serde(default)]
    pub database_name_override: Option<String>,
    #[serde(default)]
    pub database_name_prefix: Option<String>,
    #[serde(default)]
    pub default_principals_modification_kind: PrincipalsModificationKind,
    #[serde(default)]
    pub table_level_sharing_properties: Option<TableLevelSharing>,
    #[serde(default)]
    pub attached_database_names: Option<Vec<String>>,
    #[serde(default)]
    pub provisioning_state: Option<String>,
}

impl From<AttachmentWire> for ObservedAttachment {
    fn from(wire: AttachmentWire) -> ObservedAttachment {
        let p = wire.properties;
        ObservedAttachment {
            name: child_name(&wire.name),
            location: wire.location,
            leader: p.cluster_resource_id,
            database_name: p.database_name,
            database_name_override: p.database_name_override.filter(|s| !s.is_empty()),
            database_name_prefix: p.database_name_prefix.filter(|s| !s.is_empty()),
            default_principals_modification_kind: p.default_principals_modification_kind,
            table_level_sharing: p.table_level_sharing_properties.unwrap_or_default(),
            attached_database_names: p.attached_database_names.unwrap_or_default(),
            provisioning_state: p.provisioning_state,
        }
    }
}

/// `FollowerDatabaseDefinition` (the POST form of `listFollowerDatabases`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FollowerWire {
    pub cluster_resource_id: ClusterId,
    pub attached_database_configuration_name: String,
    #[serde(default)]
    pub database_name: String,
    #[serde(default)]
    pub table_level_sharing_properties: Option<TableLevelSharing>,
    #[serde(default)]
    pub database_share_origin: Option<DatabaseShareOrigin>,
}

/// `FollowerDatabaseDefinitionGet` (the GET form): the same fields under `properties`.
#[derive(Debug, Deserialize)]
pub(crate) struct FollowerGetWire {
    pub properties: FollowerWire,
}

impl From<FollowerWire> for LeaderFollower {
    fn from(wire: FollowerWire) -> LeaderFollower {
        LeaderFollower {
            follower: wire.cluster_resource_id,
            attachment_name: wire.attached_database_configuration_name,
            database_name: wire.database_name,
            table_level_sharing: wire.table_level_sharing_properties.unwrap_or_default(),
            database_share_origin: wire.database_share_origin,
        }
    }
}

/// The body of an attachedDatabaseConfiguration PUT.
#[derive(Debug, Serialize)]
pub(crate) struct AttachmentPut<'a> {
    pub location: &'a str,
    pub properties: AttachmentPutProperties<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttachmentPutProperties<'a> {
    pub cluster_resource_id: String,
    pub database_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_name_override: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_name_prefix: Option<&'a str>,
    pub default_principals_modification_kind: PrincipalsModificationKind,
    /// Left out when every list is empty: the service refuses sharing lists with `"*"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_level_sharing_properties: Option<&'a TableLevelSharing>,
}

impl<'a> From<&'a AttachmentBody> for AttachmentPut<'a> {
    fn from(body: &'a AttachmentBody) -> AttachmentPut<'a> {
        AttachmentPut {
            location: &body.location,
            properties: AttachmentPutProperties {
                cluster_resource_id: body.leader.to_string(),
                database_name: &body.database_name,
                database_name_override: body.database_name_override.as_deref(),
                database_name_prefix: body.database_name_prefix.as_deref(),
                default_principals_modification_kind: body.default_principals_modification_kind,
                table_level_sharing_properties: Some(&body.table_level_sharing)
                    .filter(|s| !s.is_empty()),
            },
        }
    }
}

/// The body of a follower database PUT that sets its hot cache period
/// (Microsoft's REST example `KustoDatabaseReadonlyUpdate`).
#[derive(Debug, Serialize)]
pub(crate) struct FollowerDatabasePut<'a> {
    pub kind: DatabaseKind,
    pub location: &'a str,
    pub properties: FollowerDatabasePutProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FollowerDatabasePutProperties {
    /// ISO 8601 (`P7D`), as the spec's `format: duration` wants.
    pub hot_cache_period: String,
}

/// The body of `detachFollowerDatabases` (`FollowerDatabaseDefinition`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DetachBody<'a> {
    pub cluster_resource_id: String,
    pub attached_database_configuration_name: &'a str,
}

/// An ARM error body: `{ "error": { "code", "message" } }` (some services put the two at the
/// top level).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error: Option<ErrorDetail>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ErrorBody {
    /// The code and message of a body, falling back to the status and the raw text.
    pub(crate) fn read(body: &[u8], status: reqwest::StatusCode) -> (String, String) {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let (code, message) = match parsed.error {
            Some(detail) => (detail.code, detail.message),
            None => (parsed.code, parsed.message),
        };
        let code = code.unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("Unknown")
                .replace(' ', "")
        });
        let message = message.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                "(no message)".to_owned()
            } else {
                text.chars().take(500).collect()
            }
        });
        (code, message)
    }
}

/// `OperationResult`: what an `Azure-AsyncOperation` URL answers.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OperationStatus {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorDetail>,
    /// RFC 3339, as Azure sends it (`2026-05-18T09:34:04.1789705Z`).
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
}

impl OperationStatus {
    /// How long the operation ran, by the service's own clock, when it says.
    pub(crate) fn duration(&self) -> Option<std::time::Duration> {
        let parse = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| azure_core::time::parse_rfc3339(t.trim()).ok())
        };
        let (start, end) = (parse(&self.start_time)?, parse(&self.end_time)?);
        std::time::Duration::try_from(end - start).ok()
    }
}

/// A resource body, for its `provisioningState` while a PUT without polling headers settles.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProvisioningProbe {
    #[serde(default)]
    pub properties: Option<ProvisioningProperties>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProvisioningProperties {
    #[serde(default)]
    pub provisioning_state: Option<String>,
}

/// `cluster/child` → `child` (ARM names child resources after their parent too).
fn child_name(name: &str) -> String {
    name.rsplit('/').next().unwrap_or(name).to_owned()
}
