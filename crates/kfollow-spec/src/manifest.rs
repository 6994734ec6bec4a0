//! The manifest as typed structs (docs/manifest.md), before the rules that span several nodes.
//!
//! These types are the single description of the manifest's shape: `read.rs` fills them from
//! the YAML tree, and `kfollow schema` derives the JSON Schema from them. Every value keeps its
//! position ([`At`]) so later checks can point at it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use kfollow_model::{
    CachingPoliciesModificationKind, Principal, PrincipalsModificationKind, Timespan,
    UnmanagedPolicy,
};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::node::Pos;
use crate::schema::{EnumOf, PrincipalText, TimespanText};

/// A value and where the manifest holds it. Its JSON Schema is the value's.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub pos: Pos,
}

impl<T> At<T> {
    /// Pairs a value with its position.
    pub fn new(value: T, pos: Pos) -> At<T> {
        At { value, pos }
    }
}

impl<T: JsonSchema> JsonSchema for At<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }

    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// A mapping whose keys the manifest chooses (aliases, database, table and view names), in
/// document order, each key with its position.
pub type Named<T> = Vec<(At<String>, T)>;

/// A kfollow manifest, version 1: the clusters it mentions and the attachments between them.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(
    title = "kfollow manifest",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub struct Manifest {
    /// The manifest format version; always `1`.
    #[schemars(schema_with = "version_schema", required)]
    pub version: Option<At<u32>>,
    /// Every cluster the file mentions, by alias.
    #[schemars(with = "BTreeMap<String, ClusterSpec>")]
    pub clusters: Named<ClusterSpec>,
    /// The attachments: each one an `attachedDatabaseConfiguration` on a follower cluster.
    #[schemars(default)]
    pub attachments: Vec<AttachmentSpec>,
}

fn version_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "description": "The manifest format version; always `1`.", "const": 1 })
}

/// A cluster, by resource id or by subscription + resource group + name.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    rename_all = "camelCase",
    extend("oneOf" = [
        { "required": ["id"] },
        { "required": ["subscription", "resourceGroup", "name"] }
    ])
)]
pub struct ClusterSpec {
    /// The cluster's resource id:
    /// `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Kusto/clusters/<name>`.
    pub id: Option<At<String>>,
    /// The subscription id (instead of `id`, with `resourceGroup` and `name`).
    pub subscription: Option<At<String>>,
    /// The resource group (instead of `id`).
    pub resource_group: Option<At<String>>,
    /// The cluster name (instead of `id`).
    pub name: Option<At<String>>,
    /// The cluster's region, e.g. `westeurope`; compared with the live cluster, and a leader
    /// and its follower must share it.
    pub location: Option<At<String>>,
    /// Leader side: what to do with follower databases the manifest does not declare.
    #[schemars(with = "Option<EnumOf<UnmanagedPolicy>>")]
    pub unmanaged_followers: Option<At<UnmanagedPolicy>>,
    /// Follower side: what to do with attachments the manifest does not declare.
    #[schemars(with = "Option<EnumOf<UnmanagedPolicy>>")]
    pub unmanaged_attachments: Option<At<UnmanagedPolicy>>,
    /// Where the cluster's mapping starts.
    #[schemars(skip)]
    pub pos: Pos,
}

/// One attachment: a follower cluster follows one database (or `"*"`, all) of a leader.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    rename_all = "camelCase",
    extend("allOf" = [
        { "not": { "required": ["databaseNameOverride", "databaseNamePrefix"] } },
        {
            "if": { "properties": { "databaseName": { "const": "*" } } },
            "then": { "not": { "anyOf": [
                { "required": ["databaseNameOverride"] },
                { "required": ["tableLevelSharing"] },
                { "required": ["followerDatabase"] }
            ] } },
            "else": { "not": { "required": ["followerDatabases"] } }
        }
    ])
)]
pub struct AttachmentSpec {
    /// The attachedDatabaseConfiguration name, unique per follower cluster.
    pub name: At<String>,
    /// Alias of the follower cluster (where the attachment lives).
    pub follower: At<String>,
    /// Alias of the leader cluster.
    pub leader: At<String>,
    /// A leader database, or `"*"` for every database of the leader.
    pub database_name: At<String>,
    /// The follower database's name, if not the leader database's (single database only).
    pub database_name_override: Option<At<String>>,
    /// A prefix put before each follower database's name (not with `databaseNameOverride`).
    pub database_name_prefix: Option<At<String>>,
    /// How the leader's principals combine with the follower's at attach time.
    #[schemars(with = "Option<EnumOf<PrincipalsModificationKind>>")]
    pub default_principals_modification_kind: Option<At<PrincipalsModificationKind>>,
    /// Share only some tables, external tables, materialized views or functions (not with `"*"`).
    pub table_level_sharing: Option<SharingSpec>,
    /// Settings of the follower database (single database only).
    pub follower_database: Option<FollowerDatabaseSpec>,
    /// Settings of each follower database, by leader database name (`databaseName: "*"` only).
    #[schemars(with = "Option<BTreeMap<String, FollowerDatabaseSpec>>")]
    pub follower_databases: Option<Named<FollowerDatabaseSpec>>,
    /// Any plan that would detach or replace this attachment is an error.
    pub protect: Option<At<bool>>,
    /// The lag budget of every follower database the attachment creates, a Kusto timespan
    /// (`4m`, `00:05:00`); `kfollow check` fails a follower database that lags more. Plans
    /// ignore it.
    #[schemars(with = "Option<TimespanText>")]
    pub freshness: Option<At<Timespan>>,
    /// Where the attachment's mapping starts.
    #[schemars(skip)]
    pub pos: Pos,
}

/// The eight lists of ARM's `tableLevelSharingProperties`; wildcards allowed, at most 100
/// entries in all.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
pub struct SharingSpec {
    /// `tablesToInclude`
    pub tables_to_include: Option<Vec<At<String>>>,
    /// `tablesToExclude`
    pub tables_to_exclude: Option<Vec<At<String>>>,
    /// `externalTablesToInclude`
    pub external_tables_to_include: Option<Vec<At<String>>>,
    /// `externalTablesToExclude`
    pub external_tables_to_exclude: Option<Vec<At<String>>>,
    /// `materializedViewsToInclude`
    pub materialized_views_to_include: Option<Vec<At<String>>>,
    /// `materializedViewsToExclude`
    pub materialized_views_to_exclude: Option<Vec<At<String>>>,
    /// `functionsToInclude`
    pub functions_to_include: Option<Vec<At<String>>>,
    /// `functionsToExclude`
    pub functions_to_exclude: Option<Vec<At<String>>>,
    /// Where the mapping starts.
    #[schemars(skip)]
    pub pos: Pos,
}

/// Data-plane settings of a follower database; a key left out is not managed.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
pub struct FollowerDatabaseSpec {
    /// Database-level hot cache period, a Kusto timespan (`7d`, `12h`, …); `null` means the
    /// follower database has no database-level override (a live one is deleted).
    #[schemars(with = "Option<TimespanText>")]
    pub hot_cache_period: Option<At<Option<Timespan>>>,
    /// Table-level hot cache periods, by table name; tables not listed lose their override.
    #[schemars(with = "Option<BTreeMap<String, CachingSpec>>")]
    pub tables: Option<Named<CachingSpec>>,
    /// Materialized-view-level hot cache periods, by view name.
    #[schemars(with = "Option<BTreeMap<String, CachingSpec>>")]
    pub materialized_views: Option<Named<CachingSpec>>,
    /// Principals the follower database grants, per role; a role left out is not managed.
    pub principals: Option<PrincipalsSpec>,
    /// `principals-modification-kind`: how the leader's principals combine with these.
    #[schemars(with = "Option<EnumOf<PrincipalsModificationKind>>")]
    pub principals_modification_kind: Option<At<PrincipalsModificationKind>>,
    /// `caching-policies-modification-kind`: how the leader's caching policies combine with
    /// these.
    #[schemars(with = "Option<EnumOf<CachingPoliciesModificationKind>>")]
    pub caching_policies_modification_kind: Option<At<CachingPoliciesModificationKind>>,
    /// `prefetch-extents`: warm the hot cache of newly followed extents before they are
    /// queryable.
    pub prefetch_extents: Option<At<bool>>,
    /// Where the mapping starts.
    #[schemars(skip)]
    pub pos: Pos,
}

/// A hot cache override for one table or materialized view.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
pub struct CachingSpec {
    /// The hot cache period, a Kusto timespan (`30d`, `12h`, …).
    #[schemars(with = "TimespanText")]
    pub hot_cache_period: At<Timespan>,
}

/// Principals per database role, as `aaduser=…`, `aadgroup=…`, `aadapp=…;tenant` or
/// `msauser=…` strings.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrincipalsSpec {
    /// Database admins.
    #[schemars(with = "Option<Vec<PrincipalText>>")]
    pub admins: Option<Vec<At<Principal>>>,
    /// Database users.
    #[schemars(with = "Option<Vec<PrincipalText>>")]
    pub users: Option<Vec<At<Principal>>>,
    /// Database viewers.
    #[schemars(with = "Option<Vec<PrincipalText>>")]
    pub viewers: Option<Vec<At<Principal>>>,
    /// Database unrestricted viewers (may see restricted-view tables).
    #[schemars(with = "Option<Vec<PrincipalText>>")]
    pub unrestricted_viewers: Option<Vec<At<Principal>>>,
    /// Database monitors.
    #[schemars(with = "Option<Vec<PrincipalText>>")]
    pub monitors: Option<Vec<At<Principal>>>,
}
