//! The answers: v1 result frames (<https://learn.microsoft.com/kusto/api/rest/response>, "JSON
//! encoding of a sequence of tables") for `.show follower database`, `.show databases`, `.show
//! database … principals`, `.show tables details`, `.show external tables`,
//! `.show materialized-views` and `.show functions`, and the JSON the service serialises into
//! their string columns.

use serde_json::{Map, Value, json};

use kfollow_model::{Principal, Role, Timespan};

use super::principals::{
    display_name, object_id, principal_type, principal_type_name, role_number, stable_guid,
};
use super::{DatabaseView, EntityView, FollowerSettings, FollowerView};
use crate::state::rfc3339;

/// A column's scalar type: the .NET `DataType` and the Kusto `ColumnType` of response.md.
#[derive(Debug, Clone, Copy)]
enum ColumnKind {
    String,
    Bool,
    Guid,
    Long,
    Real,
    DateTime,
    TimeSpan,
}

impl ColumnKind {
    fn data_type(self) -> &'static str {
        match self {
            ColumnKind::String => "String",
            ColumnKind::Bool => "Boolean",
            ColumnKind::Guid => "Guid",
            ColumnKind::Long => "Int64",
            ColumnKind::Real => "Double",
            ColumnKind::DateTime => "DateTime",
            ColumnKind::TimeSpan => "TimeSpan",
        }
    }

    fn column_type(self) -> &'static str {
        match self {
            ColumnKind::String => "string",
            ColumnKind::Bool => "bool",
            ColumnKind::Guid => "guid",
            ColumnKind::Long => "long",
            ColumnKind::Real => "real",
            ColumnKind::DateTime => "datetime",
            ColumnKind::TimeSpan => "timespan",
        }
    }
}

/// A v1 response holding one table, `Table_0`.
fn single_table(columns: &[(&str, ColumnKind)], rows: Vec<Vec<Value>>) -> Value {
    let columns: Vec<Value> = columns
        .iter()
        .map(|(name, kind)| {
            json!({
                "ColumnName": name,
                "DataType": kind.data_type(),
                "ColumnType": kind.column_type(),
            })
        })
        .collect();
    json!({
        "Tables": [{
            "TableName": "Table_0",
            "Columns": columns,
            "Rows": rows,
        }]
    })
}

/// The columns of `.show follower database`, in the order of the doc's output table
/// (<https://learn.microsoft.com/kusto/management/cluster-follower>, ".show follower database",
/// **Output**).
const FOLLOWER_COLUMNS: [(&str, ColumnKind); 8] = [
    ("DatabaseName", ColumnKind::String),
    ("LeaderClusterMetadataPath", ColumnKind::String),
    ("CachingPolicyOverride", ColumnKind::String),
    ("AuthorizedPrincipalsOverride", ColumnKind::String),
    ("AuthorizedPrincipalsModificationKind", ColumnKind::String),
    ("CachingPoliciesModificationKind", ColumnKind::String),
    ("IsAutoPrefetchEnabled", ColumnKind::Bool),
    ("TableMetadataOverrides", ColumnKind::String),
];

/// `.show follower database(s)`: one row per follower database given; `echo_notes` says
/// whether principals carry the notes of their `.add`.
pub(crate) fn follower_databases(
    rows: &[(&DatabaseView, &FollowerView, &FollowerSettings)],
    echo_notes: bool,
) -> Value {
    let rows = rows
        .iter()
        .map(|(database, follower, settings)| {
            follower_row(database, follower, settings, echo_notes)
        })
        .collect();
    single_table(&FOLLOWER_COLUMNS, rows)
}

/// One row of `.show follower database`. Shapes, from the doc's "Sample configuration":
/// - `CachingPolicyOverride` is the policy JSON, or the string `null` when there is none (the
///   doc's first `.show` prints `null` there and an empty cell for `TableMetadataOverrides`);
/// - `AuthorizedPrincipalsOverride` is a JSON array, `[]` when empty, see [`principals_json`];
/// - the modification kinds are written as the service prints them: `None`, `Union`,
///   `Replace` (the doc's samples; its output table names the values in lower case, and
///   clients compare them ignoring case);
/// - `TableMetadataOverrides` is a JSON object keyed by table name, materialized views under
///   `_MV_<name>` (as the public client KustoSchemaTools reads them), or null when empty.
fn follower_row(
    database: &DatabaseView,
    follower: &FollowerView,
    settings: &FollowerSettings,
    echo_notes: bool,
) -> Vec<Value> {
    let caching = settings
        .hot_cache_period
        .map_or_else(|| "null".to_owned(), |hot| caching_policy(hot).to_string());
    vec![
        Value::from(database.name.clone()),
        Value::from(leader_metadata_path(follower)),
        Value::from(caching),
        Value::from(principals_json(settings, echo_notes).to_string()),
        Value::from(settings.principals_modification_kind.as_str()),
        Value::from(settings.caching_policies_modification_kind.as_str()),
        Value::from(settings.prefetch_extents),
        table_overrides_json(settings).map_or(Value::Null, |o| Value::from(o.to_string())),
    ]
}

/// A caching policy as the service serialises it
/// (<https://learn.microsoft.com/kusto/management/alter-database-cache-policy-command>:
/// `{"DataHotSpan":{"Value": "30.00:00:00"},"IndexHotSpan":{"Value":"30.00:00:00"}}`; no hot
/// windows, which the follower commands do not set).
pub(crate) fn caching_policy(hot: Timespan) -> Value {
    json!({
        "DataHotSpan": { "Value": hot.to_dotnet() },
        "IndexHotSpan": { "Value": hot.to_dotnet() },
    })
}

/// `AuthorizedPrincipalsOverride`: one object per grant. The doc reads
/// `AuthorizedPrincipalsOverride.Principal.FullyQualifiedName`; public clients read `Role`
/// as a number and `Principal.DisplayName`. The emulator writes:
///
/// ```json
/// [{"Principal":{"FullyQualifiedName":"aaduser=<object id>;<tenant id>",
///    "DisplayName":"jack (upn: jack@contoso.com)","ObjectId":"<object id>",
///    "PrincipalType":"AadUser"},
///   "Role":0,"Notes":"…"}]
/// ```
///
/// `DisplayName` is the name the directory gives the principal, as `.show database …
/// principals` shows it (what the service writes here is not public; the string the `.add`
/// sent is not what it writes, or it would echo notes in all but name), `Notes` the `.add`
/// notes (empty unless `echo_notes`: nothing public shows the service echoing them), `Role`
/// the number of [`role_number`](super::principals::role_number).
pub(crate) fn principals_json(settings: &FollowerSettings, echo_notes: bool) -> Value {
    settings
        .principals
        .iter()
        .map(|grant| {
            let shown = grant
                .display_name
                .parse::<Principal>()
                .map_or_else(|_| grant.display_name.clone(), |p| display_name(&p));
            json!({
                "Principal": {
                    "FullyQualifiedName": grant.fqn,
                    "DisplayName": shown,
                    "ObjectId": object_id(&grant.fqn),
                    "PrincipalType": principal_type(&grant.fqn),
                },
                "Role": role_number(grant.role),
                "Notes": if echo_notes { grant.notes.as_str() } else { "" },
            })
        })
        .collect()
}

/// Materialized views share `TableMetadataOverrides` with tables, under this key prefix.
pub(crate) const MATERIALIZED_VIEW_PREFIX: &str = "_MV_";

fn table_overrides_json(settings: &FollowerSettings) -> Option<Value> {
    let mut overrides = Map::new();
    for (table, hot) in &settings.tables {
        overrides.insert(
            table.clone(),
            json!({ "CachingPolicyOverride": caching_policy(*hot) }),
        );
    }
    for (view, hot) in &settings.materialized_views {
        overrides.insert(
            format!("{MATERIALIZED_VIEW_PREFIX}{view}"),
            json!({ "CachingPolicyOverride": caching_policy(*hot) }),
        );
    }
    (!overrides.is_empty()).then_some(Value::Object(overrides))
}

/// The path to the leader's metadata container. The real one names the leader's storage
/// account (the doc shows `https://storageaccountname.blob.core.windows.net/cluster`); the
/// emulator derives an account name from the leader's address and names the container after
/// the leader database.
fn leader_metadata_path(follower: &FollowerView) -> String {
    // `https://leader.westeurope.kusto.windows.net` → `leader`; an emulated address with
    // the cluster in its path (`http://127.0.0.1:8080/clusters/leader`) → its last segment.
    let uri = &follower.leader_cluster_uri;
    let without_scheme = uri.split_once("://").map_or(uri.as_str(), |(_, rest)| rest);
    let (host, path) = without_scheme
        .split_once('/')
        .unwrap_or((without_scheme, ""));
    let has_letter = |part: &&str| part.chars().any(|c| c.is_ascii_alphabetic());
    let name = path
        .rsplit('/')
        .find(has_letter)
        .or_else(|| host.split('.').next().filter(has_letter))
        .unwrap_or("leader");
    let account: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(20)
        .collect();
    let container: String = follower
        .leader_database
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("https://{account}meta.blob.core.windows.net/{container}")
}

/// The columns of `.show tables details`, in the order of
/// <https://learn.microsoft.com/kusto/management/show-table-details-command>, "Returns".
const TABLE_DETAILS_COLUMNS: [(&str, ColumnKind); 23] = [
    ("TableName", ColumnKind::String),
    ("DatabaseName", ColumnKind::String),
    ("Folder", ColumnKind::String),
    ("DocString", ColumnKind::String),
    ("TotalExtents", ColumnKind::Long),
    ("TotalExtentSize", ColumnKind::Real),
    ("TotalOriginalSize", ColumnKind::Real),
    ("TotalRowCount", ColumnKind::Long),
    ("HotExtents", ColumnKind::Long),
    ("HotExtentSize", ColumnKind::Real),
    ("HotOriginalSize", ColumnKind::Real),
    ("HotRowCount", ColumnKind::Long),
    ("AuthorizedPrincipals", ColumnKind::String),
    ("RetentionPolicy", ColumnKind::String),
    ("CachingPolicy", ColumnKind::String),
    ("ShardingPolicy", ColumnKind::String),
    ("MergePolicy", ColumnKind::String),
    ("StreamingIngestionPolicy", ColumnKind::String),
    ("IngestionBatchingPolicy", ColumnKind::String),
    ("MinExtentsCreationTime", ColumnKind::DateTime),
    ("MaxExtentsCreationTime", ColumnKind::DateTime),
    ("RowOrderPolicy", ColumnKind::String),
    ("TableId", ColumnKind::String),
];

/// `.show tables details`: one row per table, each with its effective hot period (`None`:
/// no caching policy). The emulator holds no data: each table has the one extent of
/// [`EntityView::last_data`], of no rows or bytes, in the hot cache; policies the emulator
/// does not model are `null`, as the doc's example shows for one it does not set.
pub(crate) fn table_details(
    database: &DatabaseView,
    tables: &[(&EntityView, Option<Timespan>)],
) -> Value {
    let database_id = database_id(database);
    let rows = tables
        .iter()
        .map(|(table, hot)| {
            let created = Value::from(rfc3339(table.last_data));
            let caching =
                hot.map_or_else(|| "null".to_owned(), |hot| caching_policy(hot).to_string());
            vec![
                Value::from(table.name.clone()),
                Value::from(database.name.clone()),
                Value::from(""),
                Value::from(""),
                Value::from(1),
                Value::from(0.0),
                Value::from(0.0),
                Value::from(0),
                Value::from(1),
                Value::from(0.0),
                Value::from(0.0),
                Value::from(0),
                Value::from("[]"),
                Value::from("null"),
                Value::from(caching),
                Value::from("null"),
                Value::from("null"),
                Value::from("null"),
                Value::from("null"),
                created.clone(),
                created,
                Value::from("null"),
                Value::from(stable_guid(&format!("table:{database_id}/{}", table.name))),
            ]
        })
        .collect();
    single_table(&TABLE_DETAILS_COLUMNS, rows)
}

/// The columns of `.show materialized-views`, in the order of
/// <https://learn.microsoft.com/kusto/management/materialized-views/materialized-view-show-command>,
/// "Output schema".
const MATERIALIZED_VIEW_COLUMNS: [(&str, ColumnKind); 14] = [
    ("Name", ColumnKind::String),
    ("SourceTable", ColumnKind::String),
    ("Query", ColumnKind::String),
    ("MaterializedTo", ColumnKind::DateTime),
    ("LastRun", ColumnKind::DateTime),
    ("LastRunResult", ColumnKind::String),
    ("IsHealthy", ColumnKind::Bool),
    ("IsEnabled", ColumnKind::Bool),
    ("Folder", ColumnKind::String),
    ("DocString", ColumnKind::String),
    ("AutoUpdateSchema", ColumnKind::Bool),
    ("EffectiveDateTime", ColumnKind::DateTime),
    ("Lookback", ColumnKind::TimeSpan),
    ("LookbackColumn", ColumnKind::String),
];

/// `.show materialized-views`: one row per view, materialized and last run at
/// [`EntityView::last_data`], healthy and enabled. The world names views without their
/// definition, so `SourceTable` and `Query` are empty.
pub(crate) fn materialized_views(views: &[&EntityView]) -> Value {
    let rows = views
        .iter()
        .map(|view| {
            let at = Value::from(rfc3339(view.last_data));
            vec![
                Value::from(view.name.clone()),
                Value::from(""),
                Value::from(""),
                at.clone(),
                at.clone(),
                Value::from("Completed"),
                Value::from(true),
                Value::from(true),
                Value::from(""),
                Value::from(""),
                Value::from(false),
                at,
                Value::Null,
                Value::from(""),
            ]
        })
        .collect();
    single_table(&MATERIALIZED_VIEW_COLUMNS, rows)
}

/// The columns of `.show external tables`, in the order of
/// <https://learn.microsoft.com/kusto/management/show-external-tables>, "Returns".
const EXTERNAL_TABLE_COLUMNS: [(&str, ColumnKind); 5] = [
    ("TableName", ColumnKind::String),
    ("TableType", ColumnKind::String),
    ("Folder", ColumnKind::String),
    ("DocString", ColumnKind::String),
    ("Properties", ColumnKind::String),
];

/// `.show external tables`: one row per external table. The world names external tables
/// without their definition: each is a `Blob` table (the type of the doc's example) with no
/// folder, no doc string and no properties (`{}`).
pub(crate) fn external_tables(tables: &[&String]) -> Value {
    by_name(&EXTERNAL_TABLE_COLUMNS, tables, ["Blob", "", "", "{}"])
}

/// The columns of `.show functions`, in the order of
/// <https://learn.microsoft.com/kusto/management/show-function>, "Returns".
const FUNCTION_COLUMNS: [(&str, ColumnKind); 5] = [
    ("Name", ColumnKind::String),
    ("Parameters", ColumnKind::String),
    ("Body", ColumnKind::String),
    ("Folder", ColumnKind::String),
    ("DocString", ColumnKind::String),
];

/// `.show functions`: one row per stored function. The world names functions without their
/// definition: each takes no parameters (`()`), and its body, folder and doc string are empty.
pub(crate) fn functions(functions: &[&String]) -> Value {
    by_name(&FUNCTION_COLUMNS, functions, ["()", "", "", ""])
}

/// One row per name: the name, then the same `rest` in every row (the world knows only the
/// names).
fn by_name(columns: &[(&str, ColumnKind); 5], names: &[&String], rest: [&str; 4]) -> Value {
    let rows = names
        .iter()
        .map(|name| {
            std::iter::once(name.as_str())
                .chain(rest)
                .map(Value::from)
                .collect()
        })
        .collect();
    single_table(columns, rows)
}

/// The id `.show databases` gives a database. A follower database lives in its leader's
/// storage: its id is derived from the leader database it follows, a read-write database's
/// from its name.
fn database_id(database: &DatabaseView) -> String {
    let seed = match &database.follower {
        Some(f) => format!("database:{}/{}", f.leader_cluster_uri, f.leader_database),
        None => format!("database:{}", database.name.to_ascii_lowercase()),
    };
    stable_guid(&seed)
}

/// The columns of `.show databases` (<https://learn.microsoft.com/kusto/management/show-databases>,
/// "Output for `databases` option"), in order.
const DATABASE_COLUMNS: [(&str, ColumnKind); 9] = [
    ("DatabaseName", ColumnKind::String),
    ("PersistentStorage", ColumnKind::String),
    ("Version", ColumnKind::String),
    ("IsCurrent", ColumnKind::Bool),
    ("DatabaseAccessMode", ColumnKind::String),
    ("PrettyName", ColumnKind::String),
    ("DatabaseId", ColumnKind::Guid),
    ("InTransitionTo", ColumnKind::String),
    ("SuspensionState", ColumnKind::String),
];

/// `.show databases`: one row per database; `current` is the request's `db`.
pub(crate) fn databases(databases: &[&DatabaseView], current: &str) -> Value {
    let rows = databases
        .iter()
        .map(|database| {
            let id = database_id(database);
            let storage = format!(
                "https://kfollow{}.blob.core.windows.net/{}",
                &id[..8],
                id.replace('-', "")
            );
            let mode = if database.follower.is_some() {
                "ReadOnlyFollowing"
            } else {
                "ReadWrite"
            };
            vec![
                Value::from(database.name.clone()),
                Value::from(storage),
                Value::from("v1.0"),
                Value::from(database.name.eq_ignore_ascii_case(current)),
                Value::from(mode),
                Value::Null,
                Value::from(id),
                Value::from(""),
                Value::from(""),
            ]
        })
        .collect();
    single_table(&DATABASE_COLUMNS, rows)
}

/// One principal a database grants, for `.show database … principals`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrincipalRow {
    /// The role.
    pub role: Role,
    /// The stored FQN.
    pub fqn: String,
    /// The principal as given (to the world file or to `.add`).
    pub principal: Principal,
    /// The notes shown.
    pub notes: String,
}

/// The columns of `.show database … principals`
/// (<https://learn.microsoft.com/kusto/management/manage-database-security-roles>, "Show
/// existing security roles", and the example of
/// <https://learn.microsoft.com/kusto/management/cluster-follower>), in order.
const PRINCIPAL_COLUMNS: [(&str, ColumnKind); 6] = [
    ("Role", ColumnKind::String),
    ("PrincipalType", ColumnKind::String),
    ("PrincipalDisplayName", ColumnKind::String),
    ("PrincipalObjectId", ColumnKind::String),
    ("PrincipalFQN", ColumnKind::String),
    ("Notes", ColumnKind::String),
];

/// `.show database <database> principals`: `Role` as the docs print it (`Database MyDatabase
/// Admin`), the principal's type, display name (a user's with ` (upn: …)`), object id and FQN.
pub(crate) fn database_principals(database: &str, rows: &[PrincipalRow]) -> Value {
    let rows = rows
        .iter()
        .map(|row| {
            vec![
                Value::from(format!("Database {database} {}", role_title(row.role))),
                Value::from(principal_type_name(&row.fqn)),
                Value::from(display_name(&row.principal)),
                Value::from(object_id(&row.fqn)),
                Value::from(row.fqn.clone()),
                Value::from(row.notes.clone()),
            ]
        })
        .collect();
    single_table(&PRINCIPAL_COLUMNS, rows)
}

/// A role in the singular, as `.show database … principals` names it.
fn role_title(role: Role) -> &'static str {
    match role {
        Role::Admins => "Admin",
        Role::Users => "User",
        Role::Viewers => "Viewer",
        Role::UnrestrictedViewers => "UnrestrictedViewer",
        Role::Monitors => "Monitor",
    }
}
