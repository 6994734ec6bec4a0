//! The JSON bodies of the ARM resources, in the shapes of Microsoft's REST examples
//! (`name` as `cluster/child`, `type`, `id`, properties as the spec names them), with the
//! region as ARM shows it (`West Europe`, `crate::regions`).

use kfollow_model::TableLevelSharing;
use serde_json::{Map, Value, json};

use crate::regions::display_name;
use crate::world::{FollowerDatabase, World, WorldAttachment, WorldCluster, WorldDatabase};

/// `type` of a cluster (`KustoClustersGet.json`).
pub const CLUSTER_TYPE: &str = "Microsoft.Kusto/Clusters";
/// `type` of a database (`KustoDatabasesGet.json`).
pub const DATABASE_TYPE: &str = "Microsoft.Kusto/Clusters/Databases";
/// `type` of an attachment (`KustoAttachedDatabaseConfigurationsGet.json`).
pub const ATTACHMENT_TYPE: &str = "Microsoft.Kusto/Clusters/AttachedDatabaseConfigurations";

/// A cluster's data-plane address on the emulator.
pub fn cluster_uri(base_url: &str, cluster: &WorldCluster) -> String {
    format!("{base_url}/kusto/{}", cluster.id.name())
}

/// `Clusters_Get`.
pub fn cluster(base_url: &str, cluster: &WorldCluster) -> Value {
    json!({
        "id": cluster.id.to_string(),
        "name": cluster.id.name(),
        "type": CLUSTER_TYPE,
        "location": display_name(&cluster.location),
        "sku": {"name": "Standard_E8ads_v5", "capacity": 2, "tier": "Standard"},
        "properties": {
            "state": cluster.state,
            "provisioningState": "Succeeded",
            "uri": cluster_uri(base_url, cluster),
            "engineType": "V3",
        },
    })
}

fn child(
    cluster: &WorldCluster,
    kind: &str,
    name: &str,
    resource_type: &str,
) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("id".into(), format!("{}/{kind}/{name}", cluster.id).into());
    body.insert(
        "name".into(),
        format!("{}/{name}", cluster.id.name()).into(),
    );
    body.insert("type".into(), resource_type.into());
    body
}

/// `Databases_Get` of a read-write database.
pub fn read_write_database(
    cluster: &WorldCluster,
    database: &WorldDatabase,
    followed: bool,
) -> Value {
    let mut body = child(cluster, "databases", &database.name, DATABASE_TYPE);
    body.insert("kind".into(), "ReadWrite".into());
    body.insert("location".into(), display_name(&cluster.location).into());
    let mut properties = Map::new();
    properties.insert("provisioningState".into(), "Succeeded".into());
    if let Some(period) = database.soft_delete_period {
        properties.insert("softDeletePeriod".into(), period.to_iso8601().into());
    }
    if let Some(period) = database.hot_cache_period {
        properties.insert("hotCachePeriod".into(), period.to_iso8601().into());
    }
    if let Some(size) = database.size_bytes {
        properties.insert("statistics".into(), json!({"size": size}));
    }
    if let Some(start) = &database.suspension_start_date {
        properties.insert(
            "suspensionDetails".into(),
            json!({"suspensionStartDate": start}),
        );
    }
    if followed {
        properties.insert("isFollowed".into(), true.into());
    }
    body.insert("properties".into(), properties.into());
    body.into()
}

/// `Databases_Get` of a follower database (`ReadOnlyFollowing`, `KustoDatabasesListByCluster.json`).
pub fn follower_database(world: &World, cluster: usize, follower: &FollowerDatabase) -> Value {
    let follower_cluster = &world.clusters[cluster];
    let leader = &world.clusters[follower.leader];
    let attachment = follower_cluster
        .attached_database_configurations
        .iter()
        .find(|a| a.name == follower.attachment);
    let leader_database = leader
        .databases
        .iter()
        .find(|d| d.name == follower.leader_database);
    let settings = world
        .follower_settings(cluster, &follower.name)
        .unwrap_or_default();
    let mut body = child(follower_cluster, "databases", &follower.name, DATABASE_TYPE);
    body.insert("kind".into(), "ReadOnlyFollowing".into());
    body.insert(
        "location".into(),
        display_name(&follower_cluster.location).into(),
    );
    let mut properties = Map::new();
    properties.insert("provisioningState".into(), "Succeeded".into());
    if let Some(period) = leader_database.and_then(|d| d.soft_delete_period) {
        properties.insert("softDeletePeriod".into(), period.to_iso8601().into());
    }
    // ARM's hotCachePeriod of a follower database is the data-plane database caching
    // override: one setting, two views (the database's `hotCachePeriod` and the follower command's `hot` are the same setting).
    if let Some(period) = settings.hot_cache_period {
        properties.insert("hotCachePeriod".into(), period.to_iso8601().into());
    }
    if let Some(size) = leader_database.and_then(|d| d.size_bytes) {
        properties.insert("statistics".into(), json!({"size": size}));
    }
    properties.insert(
        "leaderClusterResourceId".into(),
        leader.id.to_string().into(),
    );
    properties.insert(
        "attachedDatabaseConfigurationName".into(),
        follower.attachment.clone().into(),
    );
    properties.insert(
        "principalsModificationKind".into(),
        settings.principals_modification_kind.as_str().into(),
    );
    if let Some(sharing) = attachment
        .map(|a| &a.table_level_sharing_properties)
        .filter(|s| !s.is_empty())
    {
        properties.insert("tableLevelSharingProperties".into(), sharing_json(sharing));
    }
    properties.insert(
        "originalDatabaseName".into(),
        follower.leader_database.clone().into(),
    );
    if let Some(attachment) = attachment {
        properties.insert(
            "databaseShareOrigin".into(),
            attachment.share_origin().as_str().into(),
        );
    }
    body.insert("properties".into(), properties.into());
    body.into()
}

/// Every database of a cluster, read-write first, then follower databases.
pub fn databases(world: &World, cluster: usize) -> Vec<Value> {
    let followed = world.followed_databases(cluster);
    let mut list: Vec<Value> = world.clusters[cluster]
        .databases
        .iter()
        .map(|d| {
            read_write_database(
                &world.clusters[cluster],
                d,
                followed.contains(&d.name.to_ascii_lowercase()),
            )
        })
        .collect();
    list.extend(
        world
            .follower_databases(cluster)
            .iter()
            .map(|f| follower_database(world, cluster, f)),
    );
    list
}

/// One database by name (case-insensitive), either kind.
pub fn database(world: &World, cluster: usize, name: &str) -> Option<Value> {
    let owner = &world.clusters[cluster];
    if let Some(d) = owner
        .databases
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
    {
        return Some(read_write_database(
            owner,
            d,
            world.is_followed(cluster, &d.name),
        ));
    }
    world
        .follower_databases(cluster)
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| follower_database(world, cluster, f))
}

/// How an attachment body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The answer to its PUT: the properties as given, none of the read-only ones.
    Echo,
    /// A GET or a list: every property, `null` where unset, and `attachedDatabaseNames` once
    /// it is done (as the recorded GETs show them).
    Read,
}

/// `AttachedDatabaseConfigurations_Get` (or the PUT's answer, [`Form::Echo`]).
pub fn attachment(
    world: &World,
    cluster: usize,
    attachment: &WorldAttachment,
    provisioning_state: &str,
    form: Form,
) -> Value {
    let follower = &world.clusters[cluster];
    let mut body = child(
        follower,
        "attachedDatabaseConfigurations",
        &attachment.name,
        ATTACHMENT_TYPE,
    );
    body.insert("location".into(), display_name(&follower.location).into());
    let mut properties = Map::new();
    properties.insert(
        "clusterResourceId".into(),
        attachment.cluster_resource_id.to_string().into(),
    );
    properties.insert(
        "databaseName".into(),
        attachment.database_name.clone().into(),
    );
    if form == Form::Read && provisioning_state == "Succeeded" {
        let names: Vec<Value> = world
            .databases_of_attachment(cluster, &attachment.name)
            .into_iter()
            .map(|f| f.leader_database.into())
            .collect();
        properties.insert("attachedDatabaseNames".into(), names.into());
    }
    properties.insert(
        "defaultPrincipalsModificationKind".into(),
        attachment
            .default_principals_modification_kind
            .as_str()
            .into(),
    );
    let sharing = &attachment.table_level_sharing_properties;
    let optional = [
        (
            "tableLevelSharingProperties",
            (!sharing.is_empty()).then(|| sharing_json(sharing)),
        ),
        (
            "databaseNameOverride",
            attachment.database_name_override.clone().map(Value::from),
        ),
        (
            "databaseNamePrefix",
            attachment.database_name_prefix.clone().map(Value::from),
        ),
    ];
    for (key, value) in optional {
        match value {
            Some(value) => {
                properties.insert(key.into(), value);
            }
            None if form == Form::Read => {
                properties.insert(key.into(), Value::Null);
            }
            None => {}
        }
    }
    properties.insert("provisioningState".into(), provisioning_state.into());
    body.insert("properties".into(), properties.into());
    body.into()
}

/// One entry of `listFollowerDatabases` (`FollowerDatabaseDefinition`).
pub fn follower_definition(world: &World, follower: usize, attachment: &WorldAttachment) -> Value {
    let mut body = Map::new();
    body.insert(
        "attachedDatabaseConfigurationName".into(),
        attachment.name.clone().into(),
    );
    body.insert(
        "clusterResourceId".into(),
        world.clusters[follower].id.to_string().into(),
    );
    body.insert(
        "databaseName".into(),
        attachment.database_name.clone().into(),
    );
    body.insert(
        "databaseShareOrigin".into(),
        attachment.share_origin().as_str().into(),
    );
    if !attachment.table_level_sharing_properties.is_empty() {
        body.insert(
            "tableLevelSharingProperties".into(),
            sharing_json(&attachment.table_level_sharing_properties),
        );
    }
    body.into()
}

fn sharing_json(sharing: &TableLevelSharing) -> Value {
    serde_json::to_value(sharing).unwrap_or(Value::Null)
}
