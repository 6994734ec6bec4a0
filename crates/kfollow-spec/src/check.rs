//! The offline rules of the service over the typed manifest, and the
//! translation to the model's [`Desired`].
//!
//! Rules about one attachment are in [`attachment`]; rules across attachments (names,
//! follower database names, chained following) in [`across`].

use std::collections::{BTreeMap, HashMap};

use kfollow_model::{
    ClusterId, DatabaseSelection, Desired, DesiredAttachment, DesiredCluster, FollowerDatabaseName,
    SourceLocation, TableLevelSharing,
};

use crate::diagnostic::Sink;
use crate::manifest::{At, AttachmentSpec, ClusterSpec, Manifest, SharingSpec};
use crate::names::Kind;
use crate::node::Pos;
use crate::suggest::did_you_mean;

/// The most entries the eight sharing lists may hold together
/// (<https://learn.microsoft.com/azure/data-explorer/follower>).
use kfollow_model::sharing::MAX_SHARING_ENTRIES;

/// What the checks know about a declared alias.
struct Declared {
    /// The cluster, when its id could be built.
    cluster: Option<DesiredCluster>,
    /// The number of the cluster's id, set with `cluster`: two aliases of one id share it.
    number: usize,
    /// The location as written, with its position.
    location: Option<At<String>>,
}

/// An attachment that passed its own rules, with the positions the cross rules point at.
pub(crate) struct Checked {
    pub(crate) attachment: DesiredAttachment,
    pub(crate) spec_name: Pos,
    pub(crate) spec_database: Pos,
    /// Where the follower database's name comes from: the override, the prefix, or the
    /// database name.
    pub(crate) follower_name_pos: Pos,
    /// The number of the follower cluster's id: equal numbers, same cluster. Cheaper to
    /// hash than the id for the rules across 10,000 attachments.
    pub(crate) follower_cluster: usize,
    /// The number of the leader cluster's id.
    pub(crate) leader_cluster: usize,
}

/// Runs every offline rule; errors and warnings go to `sink`.
pub(crate) fn desired(sink: &mut Sink, source_name: &str, manifest: &Manifest) -> Desired {
    let declared = clusters(sink, manifest);
    let mut checked = Vec::with_capacity(manifest.attachments.len());
    for spec in &manifest.attachments {
        if let Some(one) = attachment(sink, &declared, spec) {
            checked.push(one);
        }
    }
    crate::across::check(sink, &checked);
    Desired {
        source_name: source_name.to_owned(),
        clusters: declared
            .into_iter()
            .filter_map(|(alias, d)| d.cluster.map(|c| (alias, c)))
            .collect(),
        attachments: checked.into_iter().map(|c| c.attachment).collect(),
    }
}

pub(crate) fn location_of(pos: Pos) -> SourceLocation {
    SourceLocation {
        line: pos.line,
        column: pos.column,
    }
}

fn clusters(sink: &mut Sink, manifest: &Manifest) -> BTreeMap<String, Declared> {
    let mut declared = BTreeMap::new();
    // id key → the first alias of the id, where its id is, and the id's number.
    let mut by_id: HashMap<String, (String, Pos, usize)> = HashMap::new();
    for (alias, spec) in &manifest.clusters {
        if alias.value.trim().is_empty() {
            sink.error(
                "kfollow::bad-name",
                alias.pos,
                "a cluster alias must not be empty",
                "empty alias",
            );
        }
        let id = cluster_id(sink, alias, spec);
        let mut number = usize::MAX;
        if let Some((id, pos)) = &id {
            let key = id.key();
            if let Some((first, first_pos, first_number)) = by_id.get(&key) {
                number = *first_number;
                sink.error(
                    "kfollow::duplicate-cluster",
                    *pos,
                    format!(
                        "clusters `{first}` and `{}` are the same cluster `{}`",
                        alias.value,
                        id.name()
                    ),
                    "same id as another alias",
                )
                .also(format!("`{first}` is declared here"), *first_pos)
                .help("give each cluster one alias");
            } else {
                number = by_id.len();
                by_id.insert(key, (alias.value.clone(), *pos, number));
            }
        }
        if let Some(location) = &spec.location
            && location.value.trim().is_empty()
        {
            sink.error(
                "kfollow::bad-location",
                location.pos,
                "`location` must not be empty",
                "empty",
            );
        }
        let cluster = id.map(|(id, _)| DesiredCluster {
            alias: alias.value.clone(),
            id,
            location: spec.location.as_ref().map(|l| l.value.clone()),
            unmanaged_followers: spec
                .unmanaged_followers
                .as_ref()
                .map(|v| v.value)
                .unwrap_or_default(),
            unmanaged_attachments: spec
                .unmanaged_attachments
                .as_ref()
                .map(|v| v.value)
                .unwrap_or_default(),
            origin: location_of(alias.pos),
        });
        declared.insert(
            alias.value.clone(),
            Declared {
                cluster,
                number,
                location: spec.location.clone(),
            },
        );
    }
    declared
}

impl Declared {
    /// The cluster and the number of its id, when its id could be built.
    fn numbered(&self) -> Option<(usize, &DesiredCluster)> {
        self.cluster.as_ref().map(|cluster| (self.number, cluster))
    }
}

/// The id of a cluster, from `id` or from its three names, and where it is written.
fn cluster_id(sink: &mut Sink, alias: &At<String>, spec: &ClusterSpec) -> Option<(ClusterId, Pos)> {
    let parts = [&spec.subscription, &spec.resource_group, &spec.name];
    match (&spec.id, parts) {
        (Some(id), parts) => {
            if let Some(extra) = parts.iter().copied().flatten().next() {
                sink.error(
                    "kfollow::cluster-id-twice",
                    extra.pos,
                    format!("cluster `{}` has both `id` and a name part", alias.value),
                    "not with `id`",
                )
                .also("`id` is here", id.pos)
                .help("give either `id`, or `subscription`, `resourceGroup` and `name`");
            }
            match id.value.parse::<ClusterId>() {
                Ok(parsed) => Some((parsed, id.pos)),
                Err(error) => {
                    sink.error("kfollow::bad-cluster-id", id.pos, error.to_string(), "not a cluster resource id")
                        .help("copy the id from the cluster's Properties page in the Azure portal, or `az kusto cluster show --query id`");
                    None
                }
            }
        }
        (None, [Some(subscription), Some(group), Some(name)]) => {
            match ClusterId::new(&subscription.value, &group.value, &name.value) {
                Ok(id) => Some((id, name.pos)),
                Err(error) => {
                    let pos = match &error {
                        kfollow_model::ClusterIdError::BadName { segment, .. }
                            if *segment == "subscription" =>
                        {
                            subscription.pos
                        }
                        kfollow_model::ClusterIdError::BadName { segment, .. }
                            if *segment == "resource group" =>
                        {
                            group.pos
                        }
                        _ => name.pos,
                    };
                    sink.error(
                        "kfollow::bad-cluster-id",
                        pos,
                        error.to_string(),
                        "not a valid name",
                    );
                    None
                }
            }
        }
        (None, parts) => {
            let missing: Vec<&str> = ["subscription", "resourceGroup", "name"]
                .into_iter()
                .zip(parts)
                .filter(|(_, part)| part.is_none())
                .map(|(key, _)| key)
                .collect();
            let message = if missing.len() == 3 {
                format!("cluster `{}` has no `id`", alias.value)
            } else {
                format!(
                    "cluster `{}` has no `{}`",
                    alias.value,
                    missing.join("`, `")
                )
            };
            sink.error("kfollow::missing-key", alias.pos, message, "declared here")
                .help("give either `id`, or `subscription`, `resourceGroup` and `name`");
            None
        }
    }
}

/// Resolves an alias an attachment names.
fn resolve<'d>(
    sink: &mut Sink,
    declared: &'d BTreeMap<String, Declared>,
    alias: &At<String>,
    role: &str,
) -> Option<&'d Declared> {
    if let Some(found) = declared.get(&alias.value) {
        return Some(found);
    }
    let diagnostic = sink.error(
        "kfollow::unknown-alias",
        alias.pos,
        format!(
            "the {role} `{}` is not a cluster of this manifest",
            alias.value
        ),
        "not declared under `clusters`",
    );
    match did_you_mean(&alias.value, declared.keys().map(String::as_str)) {
        Some(best) => diagnostic.help(format!("did you mean `{best}`?")),
        None => diagnostic.help(format!("declare `{}` under `clusters`", alias.value)),
    };
    None
}

/// The rules of one attachment; `None` when it cannot take part in the rules across
/// attachments (an unknown cluster, an unusable name).
fn attachment(
    sink: &mut Sink,
    declared: &BTreeMap<String, Declared>,
    spec: &AttachmentSpec,
) -> Option<Checked> {
    let mut usable = true;
    let name = &spec.name;
    if !crate::names::attachment_name(sink, name) {
        usable = false;
    }
    let follower = resolve(sink, declared, &spec.follower, "follower");
    let leader = resolve(sink, declared, &spec.leader, "leader");
    if spec.follower.value == spec.leader.value {
        usable = false;
        sink.error(
            "kfollow::self-follow",
            spec.leader.pos,
            format!(
                "attachment `{}` has `{}` as both follower and leader",
                name.value, spec.leader.value
            ),
            "same as the follower",
        )
        .also("the follower", spec.follower.pos)
        .help("a cluster cannot follow itself; name a different leader");
    }
    if let (Some(follower), Some(leader)) = (follower, leader) {
        locations(sink, spec, follower, leader);
    }
    let database = database(sink, spec);
    let follower_database_name = follower_database_name(sink, spec, database.as_ref());
    let (table_level_sharing, sharing_origins) = spec
        .table_level_sharing
        .as_ref()
        .map(|sharing| self::sharing(sink, spec, database.as_ref(), sharing))
        .unwrap_or_default();
    let follower_databases =
        crate::settings::settings(sink, spec, database.as_ref(), &table_level_sharing);

    let (follower_number, follower_cluster) = follower.and_then(Declared::numbered)?;
    let (leader_number, leader_cluster) = leader.and_then(Declared::numbered)?;
    if usable && follower_cluster.id == leader_cluster.id {
        sink.error(
            "kfollow::self-follow",
            spec.leader.pos,
            format!(
                "`{}` and `{}` are the same cluster: attachment `{}` would follow itself",
                spec.follower.value, spec.leader.value, name.value
            ),
            "same cluster as the follower",
        );
        usable = false;
    }
    let database = database?;
    let follower_database_name = follower_database_name?;
    if !usable {
        return None;
    }
    Some(Checked {
        follower_cluster: follower_number,
        leader_cluster: leader_number,
        spec_name: name.pos,
        spec_database: spec.database_name.pos,
        follower_name_pos: spec
            .database_name_override
            .as_ref()
            .or(spec.database_name_prefix.as_ref())
            .map_or(spec.database_name.pos, |part| part.pos),
        attachment: DesiredAttachment {
            name: name.value.clone(),
            follower: spec.follower.value.clone(),
            leader: spec.leader.value.clone(),
            database,
            follower_database_name,
            default_principals_modification_kind: spec
                .default_principals_modification_kind
                .as_ref()
                .map(|k| k.value)
                .unwrap_or_default(),
            table_level_sharing,
            follower_databases,
            protect: spec.protect.as_ref().is_some_and(|p| p.value),
            freshness: spec.freshness.as_ref().map(|f| f.value),
            origin: location_of(spec.pos),
            sharing_origins,
        },
    })
}

/// Leader and follower must be in one region
/// (<https://learn.microsoft.com/azure/data-explorer/follower>: "the leader and follower clusters
/// must be in the same region").
fn locations(sink: &mut Sink, spec: &AttachmentSpec, follower: &Declared, leader: &Declared) {
    let (Some(f), Some(l)) = (&follower.location, &leader.location) else {
        return;
    };
    let normal = |s: &str| s.to_lowercase().replace([' ', '-', '_'], "");
    if normal(&f.value) != normal(&l.value) {
        sink.error(
            "kfollow::region-mismatch",
            spec.follower.pos,
            format!(
                "attachment `{}`: the follower `{}` is in `{}` but the leader `{}` is in `{}`",
                spec.name.value, spec.follower.value, f.value, spec.leader.value, l.value
            ),
            "follower in another region",
        )
        .also("follower location", f.pos)
        .also("leader location", l.pos)
        .help("a follower cluster must be in the leader cluster's region; pick a follower in the same region");
    }
}

fn database(sink: &mut Sink, spec: &AttachmentSpec) -> Option<DatabaseSelection> {
    let name = &spec.database_name;
    if name.value == "*" {
        return Some(DatabaseSelection::All);
    }
    if !crate::names::kusto_name(sink, Kind::Database, name) {
        if name.value.contains('*') {
            sink.found.last_mut().map(|d| {
                d.help("name one leader database, or write \"*\" (quoted) for all of them")
            });
        }
        return None;
    }
    Some(DatabaseSelection::One(name.value.clone()))
}

fn follower_database_name(
    sink: &mut Sink,
    spec: &AttachmentSpec,
    database: Option<&DatabaseSelection>,
) -> Option<FollowerDatabaseName> {
    let mut ok = true;
    if let Some(name_override) = &spec.database_name_override {
        ok &= crate::names::kusto_name(sink, Kind::FollowerDatabase, name_override);
    }
    if let Some(prefix) = &spec.database_name_prefix {
        ok &= crate::names::kusto_name(sink, Kind::Prefix, prefix);
        if ok && let Some(DatabaseSelection::One(database)) = database {
            // The prefix and the database name must fit one name together.
            let whole = At::new(format!("{}{database}", prefix.value), prefix.pos);
            ok &= crate::names::kusto_name(sink, Kind::FollowerDatabase, &whole);
        }
    }
    match (&spec.database_name_override, &spec.database_name_prefix) {
        (Some(name_override), Some(prefix)) => {
            sink.error(
                "kfollow::override-and-prefix",
                prefix.pos,
                "`databaseNamePrefix` and `databaseNameOverride` exclude each other",
                "not with `databaseNameOverride`",
            )
            .also("the override", name_override.pos)
            .help("keep one of them");
            None
        }
        (Some(name_override), None) => {
            if database == Some(&DatabaseSelection::All) {
                sink.error(
                    "kfollow::all-databases",
                    name_override.pos,
                    "`databaseNameOverride` needs a single database, not `\"*\"`",
                    "not with `databaseName: \"*\"`",
                )
                .also("all databases", spec.database_name.pos)
                .help("use `databaseNamePrefix` to rename every followed database");
                return None;
            }
            ok.then(|| FollowerDatabaseName::Override(name_override.value.clone()))
        }
        (None, Some(prefix)) => ok.then(|| FollowerDatabaseName::Prefix(prefix.value.clone())),
        (None, None) => Some(FollowerDatabaseName::Same),
    }
}

/// The sharing lists, and where each entry is written (see `DesiredAttachment::sharing_origins`).
fn sharing(
    sink: &mut Sink,
    spec: &AttachmentSpec,
    database: Option<&DatabaseSelection>,
    sharing: &SharingSpec,
) -> (TableLevelSharing, Vec<Vec<SourceLocation>>) {
    if database == Some(&DatabaseSelection::All) {
        sink.error(
            "kfollow::all-databases",
            sharing.pos,
            "`tableLevelSharing` needs a single database, not `\"*\"`",
            "not with `databaseName: \"*\"`",
        )
        .also("all databases", spec.database_name.pos)
        .help("follow each database in its own attachment to share only some of its tables");
    }
    let lists = [
        &sharing.tables_to_include,
        &sharing.tables_to_exclude,
        &sharing.external_tables_to_include,
        &sharing.external_tables_to_exclude,
        &sharing.materialized_views_to_include,
        &sharing.materialized_views_to_exclude,
        &sharing.functions_to_include,
        &sharing.functions_to_exclude,
    ];
    let mut values: Vec<Vec<String>> = Vec::with_capacity(8);
    let mut origins: Vec<Vec<SourceLocation>> = Vec::with_capacity(8);
    let mut count = 0;
    for list in lists {
        let list = list.as_deref().unwrap_or_default();
        for entry in list {
            count += 1;
            if entry.value.trim().is_empty() {
                sink.error(
                    "kfollow::empty-sharing-entry",
                    entry.pos,
                    "a sharing entry must not be empty",
                    "empty entry",
                )
                .help("remove it, or write a name or a wildcard such as `Logs*`");
            }
            if count == MAX_SHARING_ENTRIES + 1 {
                sink.error(
                    "kfollow::too-many-sharing-entries",
                    entry.pos,
                    format!("`tableLevelSharing` of attachment `{}` holds more than {MAX_SHARING_ENTRIES} entries", spec.name.value),
                    format!("entry {count}"),
                )
                .help("the eight lists may hold 100 entries in all; use wildcards such as `Logs*`");
            }
        }
        values.push(list.iter().map(|e| e.value.clone()).collect());
        origins.push(list.iter().map(|e| location_of(e.pos)).collect());
    }
    let mut values = values.into_iter();
    let mut next = || values.next().unwrap_or_default();
    let lists = TableLevelSharing {
        tables_to_include: next(),
        tables_to_exclude: next(),
        external_tables_to_include: next(),
        external_tables_to_exclude: next(),
        materialized_views_to_include: next(),
        materialized_views_to_exclude: next(),
        functions_to_include: next(),
        functions_to_exclude: next(),
    };
    (lists, origins)
}
