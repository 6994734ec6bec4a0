//! The writes: attach (PUT of an attachment), detach (DELETE, or `detachFollowerDatabases` on the
//! leader), the follower database's `hotCachePeriod`, deleting a database, and the attachment name
//! check. Every rule of the service is checked here before an operation starts
//! (<https://learn.microsoft.com/azure/data-explorer/follower>); [`super::writes`]
//! starts it.

use http::StatusCode;
use kfollow_model::sharing::MAX_SHARING_ENTRIES;
use kfollow_model::{ClusterId, PrincipalsModificationKind, TableLevelSharing, Timespan};
use serde::Deserialize;
use serde_json::{Value, json};

use super::operations::{ATTACH, DETACH, Tracking, Write};
use super::resources::{self, Form};
use super::writes::{check_running, check_writable, start_operation};
use super::{ArmRequest, Ctx};
use crate::regions::{display_name, same_region};
use crate::reply::{ArmError, Reply};
use crate::state::{Effect, FinalResult};
use crate::world::{World, WorldAttachment, follower_database_name};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachBody {
    location: Option<String>,
    #[serde(default)]
    properties: AttachProperties,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachProperties {
    cluster_resource_id: Option<String>,
    database_name: Option<String>,
    default_principals_modification_kind: Option<String>,
    database_name_override: Option<String>,
    database_name_prefix: Option<String>,
    table_level_sharing_properties: Option<TableLevelSharing>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// `AttachedDatabaseConfigurations_CreateOrUpdate`: checks every rule, then starts the
/// operation; answers 201 `Creating` (200 `Running` for an update) with the LRO headers.
pub fn put_attachment(
    ctx: &mut Ctx<'_>,
    cluster: usize,
    name: &str,
    request: &ArmRequest<'_>,
) -> Result<Reply, ArmError> {
    let body: AttachBody =
        serde_json::from_value(request.json()?).map_err(ArmError::invalid_content)?;
    let properties = body.properties;
    let leader_id = properties
        .cluster_resource_id
        .ok_or_else(|| ArmError::invalid_content("`properties.clusterResourceId` is required"))?;
    let leader_id: ClusterId = leader_id
        .parse()
        .map_err(|e| ArmError::bad_request(format!("`clusterResourceId` is invalid: {e}")))?;
    let database_name = properties
        .database_name
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ArmError::invalid_content("`properties.databaseName` is required"))?;
    let kind = match properties.default_principals_modification_kind {
        Some(text) => PrincipalsModificationKind::parse(&text).ok_or_else(|| {
            ArmError::invalid_content(format!(
                "`{text}` is not a valid defaultPrincipalsModificationKind (Union, Replace, None)"
            ))
        })?,
        None => PrincipalsModificationKind::Union,
    };
    let attachment = WorldAttachment {
        name: name.to_owned(),
        cluster_resource_id: leader_id,
        database_name,
        default_principals_modification_kind: kind,
        database_name_override: non_empty(properties.database_name_override),
        database_name_prefix: non_empty(properties.database_name_prefix),
        table_level_sharing_properties: properties
            .table_level_sharing_properties
            .unwrap_or_default(),
        database_share_origin: None,
        follower_databases: Default::default(),
    };

    check_writable(ctx, cluster, "modify attached database configurations")?;
    let world = &ctx.state.world;
    let follower = &world.clusters[cluster];
    let existing = follower
        .attached_database_configurations
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name));
    if let Some(existing) = existing {
        check_immutable(
            existing,
            &attachment,
            follower.id.name(),
            body.location.as_deref(),
            &follower.location,
        )?;
    }
    check_shape(&attachment)?;
    if let Some(location) = &body.location
        && !same_region(location, &follower.location)
    {
        return Err(ArmError::bad_request(format!(
            "the attachment's location '{location}' differs from the follower cluster '{}' in '{}'",
            follower.id.name(),
            follower.location
        )));
    }
    // A cluster does not follow itself.
    if attachment.cluster_resource_id == follower.id {
        return Err(ArmError::bad_request(format!(
            "cluster '{}' cannot follow itself; `clusterResourceId` must name another (leader) \
             cluster",
            follower.id.name()
        )));
    }
    let leader = world
        .cluster_by_id(&attachment.cluster_resource_id)
        .ok_or_else(|| {
            let id = &attachment.cluster_resource_id;
            ArmError::not_found("Microsoft.Kusto/clusters", id.name(), id.resource_group())
        })?;
    let leader_cluster = &world.clusters[leader];
    if !same_region(&leader_cluster.location, &follower.location) {
        return Err(ArmError::bad_request(format!(
            "the leader cluster '{}' is in '{}' and the follower cluster '{}' in '{}'; leader \
             and follower must be in the same region",
            leader_cluster.id.name(),
            leader_cluster.location,
            follower.id.name(),
            follower.location
        )));
    }
    check_running(
        &format!(
            "follow the databases of cluster '{}'",
            leader_cluster.id.name()
        ),
        &leader_cluster.state,
    )?;
    check_leader_database(world, leader, &attachment.database_name)?;
    check_names(world, cluster, &attachment)?;

    let is_new = existing.is_none();
    let status = if is_new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let state = if is_new { "Creating" } else { "Running" };
    let body = resources::attachment(world, cluster, &attachment, state, Form::Echo);
    let follower_name = follower.id.name().to_owned();
    // The recordings show `FollowerDatabaseCreate` for a create; an update is recorded
    // nowhere, and the emulator names it the same.
    let write = Write {
        kind: ATTACH,
        effect: Effect::PutAttachment {
            follower: follower_name.clone(),
            attachment: Box::new(attachment),
        },
        result: FinalResult::Attachment {
            cluster: follower_name,
            name: name.to_owned(),
        },
    };
    Ok(start_operation(
        ctx,
        cluster,
        write,
        Tracking::AsyncOperation,
        Reply::with(status, body),
    ))
}

/// The leader, the database, the follower database name and the location of an attachment
/// cannot change (`KustoOperationResultsGet.json` shows the service's code for it).
fn check_immutable(
    existing: &WorldAttachment,
    wanted: &WorldAttachment,
    follower: &str,
    location: Option<&str>,
    follower_location: &str,
) -> Result<(), ArmError> {
    let changed = if existing.cluster_resource_id != wanted.cluster_resource_id {
        Some("clusterResourceId")
    } else if !existing
        .database_name
        .eq_ignore_ascii_case(&wanted.database_name)
    {
        Some("databaseName")
    } else if existing.database_name_override != wanted.database_name_override {
        Some("databaseNameOverride")
    } else if existing.database_name_prefix != wanted.database_name_prefix {
        Some("databaseNamePrefix")
    } else if location.is_some_and(|l| !same_region(l, follower_location)) {
        Some("location")
    } else {
        None
    };
    match changed {
        Some(property) => Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "CannotAlterFollowerDatabase",
            format!(
                "[BadRequest] Cannot alter {property} of attached database configuration \
                 '{}' on cluster '{follower}'; detach and attach again",
                existing.name
            ),
        )),
        None => Ok(()),
    }
}

/// The rules on the attachment alone (<https://learn.microsoft.com/azure/data-explorer/follower>).
fn check_shape(attachment: &WorldAttachment) -> Result<(), ArmError> {
    let all = attachment.database_name == "*";
    if all && !attachment.table_level_sharing_properties.is_empty() {
        return Err(ArmError::bad_request(
            "table level sharing is not supported when following all databases ('*')",
        ));
    }
    let entries = attachment.table_level_sharing_properties.entry_count();
    if entries > MAX_SHARING_ENTRIES {
        return Err(ArmError::bad_request(format!(
            "tableLevelSharingProperties holds {entries} entries; the maximum is {MAX_SHARING_ENTRIES}"
        )));
    }
    if all && attachment.database_name_override.is_some() {
        return Err(ArmError::bad_request(
            "databaseNameOverride is relevant only when attaching a specific database, not '*'",
        ));
    }
    if attachment.database_name_override.is_some() && attachment.database_name_prefix.is_some() {
        return Err(ArmError::bad_request(
            "databaseNameOverride and databaseNamePrefix cannot be used together",
        ));
    }
    Ok(())
}

fn check_leader_database(world: &World, leader: usize, database: &str) -> Result<(), ArmError> {
    if database == "*" {
        return Ok(());
    }
    let leader_cluster = &world.clusters[leader];
    if leader_cluster
        .databases
        .iter()
        .any(|d| d.name.eq_ignore_ascii_case(database))
    {
        return Ok(());
    }
    if world
        .follower_databases(leader)
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case(database))
    {
        return Err(ArmError::bad_request(format!(
            "database '{database}' on cluster '{}' is a follower database; only a read-write \
             database can be followed",
            leader_cluster.id.name()
        )));
    }
    Err(ArmError::not_found(
        &format!(
            "Microsoft.Kusto/clusters/{}/databases",
            leader_cluster.id.name()
        ),
        database,
        leader_cluster.id.resource_group(),
    ))
}

/// No follower database of a single-database attachment may take the name of another
/// database of the follower cluster. A `"*"` attachment is not refused: the follower
/// cluster's database takes precedence and the leader database of that name is not followed
/// (<https://learn.microsoft.com/azure/data-explorer/follower>, "Notes"; [`World::follower_databases`]).
fn check_names(
    world: &World,
    cluster: usize,
    attachment: &WorldAttachment,
) -> Result<(), ArmError> {
    if attachment.database_name == "*" {
        return Ok(());
    }
    let follower = &world.clusters[cluster];
    let taken: Vec<String> = follower
        .databases
        .iter()
        .map(|d| d.name.clone())
        .chain(
            world
                .follower_databases(cluster)
                .into_iter()
                .filter(|f| !f.attachment.eq_ignore_ascii_case(&attachment.name))
                .map(|f| f.name),
        )
        .collect();
    let name = follower_database_name(attachment, &attachment.database_name);
    if taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        return Err(ArmError::bad_request(format!(
            "a database named '{name}' already exists on cluster '{}'",
            follower.id.name()
        )));
    }
    Ok(())
}

/// `AttachedDatabaseConfigurations_Delete`: 202 with the LRO headers and no body, 204 when
/// absent. One still being created is there already; deleting it waits for nothing, it is a
/// second write on a busy cluster.
pub fn delete_attachment(ctx: &mut Ctx<'_>, cluster: usize, name: &str) -> Result<Reply, ArmError> {
    let Some((existing, _)) = ctx.state.attachment_shown(cluster, name) else {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    };
    let effect = Effect::DeleteAttachment {
        follower: ctx.state.world.clusters[cluster].id.name().to_owned(),
        name: existing.name.clone(),
    };
    check_writable(ctx, cluster, "modify attached database configurations")?;
    let write = Write {
        kind: DETACH,
        effect,
        result: FinalResult::Nothing,
    };
    Ok(start_operation(
        ctx,
        cluster,
        write,
        Tracking::Both,
        Reply::empty(StatusCode::ACCEPTED),
    ))
}

/// `Clusters_DetachFollowerDatabases` on the leader: removes the follower's attachment.
pub fn detach(
    ctx: &mut Ctx<'_>,
    cluster: usize,
    request: &ArmRequest<'_>,
) -> Result<Reply, ArmError> {
    let body = request.json()?;
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ArmError::invalid_content(format!("`{key}` is required")))
    };
    let follower_id: ClusterId = text("clusterResourceId")?
        .parse()
        .map_err(|e| ArmError::bad_request(format!("`clusterResourceId` is invalid: {e}")))?;
    let name = text("attachedDatabaseConfigurationName")?;
    let world = &ctx.state.world;
    let leader_id = world.clusters[cluster].id.clone();
    let follower = world.cluster_by_id(&follower_id).ok_or_else(|| {
        ArmError::not_found(
            "Microsoft.Kusto/clusters",
            follower_id.name(),
            follower_id.resource_group(),
        )
    })?;
    let attachment = world.clusters[follower]
        .attached_database_configurations
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(&name) && a.cluster_resource_id == leader_id)
        .ok_or_else(|| {
            ArmError::bad_request(format!(
                "cluster '{}' has no attached database configuration '{name}' following cluster '{}'",
                follower_id.name(),
                leader_id.name()
            ))
        })?;
    let effect = Effect::DeleteAttachment {
        follower: world.clusters[follower].id.name().to_owned(),
        name: attachment.name.clone(),
    };
    check_writable(ctx, cluster, "detach follower databases")?;
    let write = Write {
        kind: DETACH,
        effect,
        result: FinalResult::Nothing,
    };
    Ok(start_operation(
        ctx,
        cluster,
        write,
        Tracking::Both,
        Reply::empty(StatusCode::ACCEPTED),
    ))
}

/// `AttachedDatabaseConfigurations_CheckNameAvailability`
/// (`KustoAttachedDatabaseConfigurationCheckNameAvailability.json`).
pub fn check_name(
    ctx: &mut Ctx<'_>,
    cluster: usize,
    request: &ArmRequest<'_>,
) -> Result<Reply, ArmError> {
    let body = request.json()?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ArmError::invalid_content("`name` is required"))?;
    let kind = body.get("type").and_then(Value::as_str).unwrap_or_default();
    if !kind.eq_ignore_ascii_case("Microsoft.Kusto/clusters/attachedDatabaseConfigurations") {
        return Err(ArmError::invalid_content(format!(
            "`type` must be `Microsoft.Kusto/clusters/attachedDatabaseConfigurations`, not `{kind}`"
        )));
    }
    let taken = ctx.state.attachment_shown(cluster, name).is_some();
    Ok(Reply::ok(if taken {
        json!({
            "name": name,
            "message": format!("Name '{name}' is already taken. Please specify a different name"),
            "nameAvailable": false,
        })
    } else {
        json!({"name": name, "nameAvailable": true})
    }))
}

/// `Databases_CreateOrUpdate` / `Databases_Update` of a follower database's `hotCachePeriod`
/// (`KustoDatabaseReadonlyUpdate.json`): 202 with the LRO headers.
pub fn update_database(
    ctx: &mut Ctx<'_>,
    cluster: usize,
    name: &str,
    request: &ArmRequest<'_>,
    is_put: bool,
) -> Result<Reply, ArmError> {
    let body = request.json()?;
    let world = &ctx.state.world;
    let owner = &world.clusters[cluster];
    let Some(follower) = world
        .follower_databases(cluster)
        .into_iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
    else {
        if owner
            .databases
            .iter()
            .any(|d| d.name.eq_ignore_ascii_case(name))
        {
            return Err(ArmError::bad_request(format!(
                "the emulator changes only follower databases; '{name}' on cluster '{}' is a read-write database",
                owner.id.name()
            )));
        }
        return Err(super::not_found_child(ctx, cluster, "databases", name));
    };
    let kind = body.get("kind").and_then(Value::as_str);
    if (is_put || kind.is_some())
        && !kind.is_some_and(|k| k.eq_ignore_ascii_case("ReadOnlyFollowing"))
    {
        return Err(ArmError::bad_request(format!(
            "database '{}' is a follower database; its kind must be 'ReadOnlyFollowing'",
            follower.name
        )));
    }
    let current = world
        .follower_settings(cluster, &follower.name)
        .and_then(|s| s.hot_cache_period);
    let period = match body.pointer("/properties/hotCachePeriod") {
        Some(Value::String(text)) => Some(Timespan::parse(text).map_err(|e| {
            ArmError::invalid_content(format!("`hotCachePeriod` is not a duration: {e}"))
        })?),
        Some(Value::Null) | None if is_put => None,
        None => current,
        Some(other) => {
            return Err(ArmError::invalid_content(format!(
                "`hotCachePeriod` must be a string, not {other}"
            )));
        }
    };
    check_writable(ctx, cluster, "update databases")?;
    let owner = &ctx.state.world.clusters[cluster];
    let mut properties = serde_json::Map::new();
    if let Some(period) = period {
        properties.insert("hotCachePeriod".into(), period.to_iso8601().into());
    }
    properties.insert("provisioningState".into(), "Running".into());
    let reply_body = json!({
        "id": format!("{}/databases/{}", owner.id, follower.name),
        "name": format!("{}/{}", owner.id.name(), follower.name),
        "type": resources::DATABASE_TYPE,
        "kind": "ReadOnlyFollowing",
        "location": display_name(&owner.location),
        "properties": properties,
    });
    let cluster_name = owner.id.name().to_owned();
    let write = Write {
        kind: "DatabaseUpdate",
        effect: Effect::SetHotCache {
            cluster: cluster_name.clone(),
            database: follower.name.clone(),
            period,
        },
        result: FinalResult::Database {
            cluster: cluster_name,
            name: follower.name,
        },
    };
    Ok(start_operation(
        ctx,
        cluster,
        write,
        Tracking::Both,
        Reply::with(StatusCode::ACCEPTED, reply_body),
    ))
}

/// `Databases_Delete`: a follower database cannot be deleted, nor a followed leader database
/// ("Attached databases can't be deleted. The leader or follower must detach databases before
/// deletion", <https://learn.microsoft.com/azure/data-explorer/follower>).
pub fn delete_database(ctx: &mut Ctx<'_>, cluster: usize, name: &str) -> Result<Reply, ArmError> {
    let world = &ctx.state.world;
    let owner = &world.clusters[cluster];
    if world
        .follower_databases(cluster)
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case(name))
    {
        return Err(ArmError::bad_request(format!(
            "database '{name}' on cluster '{}' is a follower database; detach its attached \
             database configuration instead of deleting it",
            owner.id.name()
        )));
    }
    let Some(database) = owner
        .databases
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
    else {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    };
    if world.is_followed(cluster, &database.name) {
        let followers: Vec<String> = world
            .followers_of(cluster)
            .into_iter()
            .filter(|(f, a)| {
                world
                    .databases_of_attachment(*f, &a.name)
                    .iter()
                    .any(|d| d.leader == cluster && d.leader_database == database.name)
            })
            .map(|(f, a)| format!("{}/{}", world.clusters[f].id.name(), a.name))
            .collect();
        return Err(ArmError::bad_request(format!(
            "database '{}' on cluster '{}' is followed by {}; detach its followers before deleting it",
            database.name,
            owner.id.name(),
            followers.join(", ")
        )));
    }
    let effect = Effect::DeleteDatabase {
        cluster: owner.id.name().to_owned(),
        database: database.name.clone(),
    };
    check_writable(ctx, cluster, "delete databases")?;
    let write = Write {
        kind: "DatabaseDelete",
        effect,
        result: FinalResult::Nothing,
    };
    Ok(start_operation(
        ctx,
        cluster,
        write,
        Tracking::Both,
        Reply::empty(StatusCode::ACCEPTED),
    ))
}
