//! The world: the fake Azure the emulator serves, as a YAML file (docs/emulator.md, "The world
//! file").
//!
//! The core keys are fixed; this module adds a few optional ones: `callers` (who may do
//! what), `settings.retryAfterSeconds`, `settings.schemaRefreshMs`, `settings.faults`,
//! `settings.resourceRequestBudget`, `settings.echoPrincipalNotes`, per database `principals`
//! (a leader database's roles), and per attachment `databaseShareOrigin` and
//! `followerDatabases` (the data-plane settings of each follower database it created).
//! Follower databases themselves are not stored: they are derived from the attachments and the
//! leaders' databases, so an attachment in the file has its follower databases at load time
//! and a `"*"` attachment follows every database its leader has, but one whose name a database
//! of the follower cluster already takes (that one takes precedence, as the service resolves
//! it: <https://learn.microsoft.com/azure/data-explorer/follower>, "Notes").

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use kfollow_model::{
    ClusterId, DatabaseShareOrigin, Principal, PrincipalsModificationKind, Role, TableLevelSharing,
    Timespan,
};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::budget::RequestBudget;
use crate::faults::Fault;
use crate::kusto::FollowerSettings;

mod check;

pub use check::WorldProblem;

/// The whole fake Azure: clusters with their databases and attachments, callers, settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct World {
    /// Every cluster, leaders and followers alike.
    #[serde(default)]
    pub clusters: Vec<WorldCluster>,
    /// Who may do what. Empty: any bearer token may do anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callers: Vec<Caller>,
    /// Timings and faults.
    #[serde(default)]
    pub settings: Settings,
}

/// One Microsoft.Kusto cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorldCluster {
    /// The ARM resource id; its last segment is the cluster name, unique in the world.
    pub id: ClusterId,
    /// The Azure region, e.g. `westeurope`.
    pub location: String,
    /// ARM's cluster `state` (`Running`, `Stopped`, …); only `Running` clusters accept writes.
    #[serde(default = "running")]
    pub state: String,
    /// The read-write databases the cluster owns.
    #[serde(default)]
    pub databases: Vec<WorldDatabase>,
    /// The attachments of this cluster (it is their follower), with ARM property names.
    #[serde(default)]
    pub attached_database_configurations: Vec<WorldAttachment>,
    /// Azure Monitor's `FollowerLatency` of this follower cluster, in milliseconds: what the
    /// metrics route reports for it, and how far the newest extent of each table of its
    /// follower databases trails the leader's. Unset: 0 for a cluster with attachments, no
    /// data for one without (a leader emits no `FollowerLatency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follower_latency_ms: Option<u64>,
}

impl WorldCluster {
    /// The `FollowerLatency` the cluster reports, if it reports one: none when it is not
    /// `Running` (a stopped cluster emits no metrics) or follows nothing.
    pub fn follower_latency(&self) -> Option<u64> {
        if !kfollow_model::is_running(&self.state) {
            return None;
        }
        match self.follower_latency_ms {
            Some(ms) => Some(ms),
            None if !self.attached_database_configurations.is_empty() => Some(0),
            None => None,
        }
    }
}

fn running() -> String {
    "Running".to_owned()
}

/// A read-write database and the entities table-level sharing selects from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorldDatabase {
    /// The database name.
    pub name: String,
    /// Table names.
    #[serde(default)]
    pub tables: Vec<String>,
    /// External table names.
    #[serde(default)]
    pub external_tables: Vec<String>,
    /// Materialized view names.
    #[serde(default)]
    pub materialized_views: Vec<String>,
    /// Function names.
    #[serde(default)]
    pub functions: Vec<String>,
    /// ARM `softDeletePeriod`, shown when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_delete_period: Option<Timespan>,
    /// ARM `hotCachePeriod`, shown when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_cache_period: Option<Timespan>,
    /// ARM `statistics.size` in bytes, shown when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<f64>,
    /// ARM `suspensionDetails.suspensionStartDate` (RFC 3339) of a suspended database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspension_start_date: Option<String>,
    /// The database's principals by role, in the manifest's shape (`admins: [...]`, …): what
    /// `.show database <name> principals` lists here, and what its follower databases inherit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub principals: BTreeMap<Role, Vec<Principal>>,
    /// When data last arrived in the database's tables (their `MaxExtentsCreationTime`), in
    /// RFC 3339 (`2026-05-01T12:00:00Z`). Unset: when the world was loaded, as if ingestion
    /// were ongoing. An earlier time is a leader whose ingestion stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_extents_creation_time: Option<Rfc3339>,
}

/// A point in time written in RFC 3339, as the world file writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub SystemTime);

impl Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::state::rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .map(|t| Rfc3339(SystemTime::from(t)))
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "`{text}` is not an RFC 3339 time such as `2026-05-01T12:00:00Z`: {e}"
                ))
            })
    }
}

/// An attachedDatabaseConfiguration, with the ARM property names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorldAttachment {
    /// The attachment name, unique on its follower cluster.
    pub name: String,
    /// The leader cluster.
    pub cluster_resource_id: ClusterId,
    /// A leader database name, or `*` for all of them.
    pub database_name: String,
    /// `defaultPrincipalsModificationKind`.
    #[serde(default)]
    pub default_principals_modification_kind: PrincipalsModificationKind,
    /// `databaseNameOverride` (single database only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name_override: Option<String>,
    /// `databaseNamePrefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name_prefix: Option<String>,
    /// `tableLevelSharingProperties`.
    #[serde(default, skip_serializing_if = "TableLevelSharing::is_empty")]
    pub table_level_sharing_properties: TableLevelSharing,
    /// `databaseShareOrigin` of its follower databases: `Direct` (the default), `DataShare`
    /// (made by an Azure Data Share subscription) or `Other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_share_origin: Option<DatabaseShareOrigin>,
    /// The data-plane settings of each follower database, by follower database name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub follower_databases: BTreeMap<String, FollowerSettings>,
}

impl WorldAttachment {
    /// True when this attachment follows a leader database of this name: every one for `*`,
    /// else the one it names (case-insensitive).
    pub fn follows(&self, leader_database: &str) -> bool {
        self.database_name == "*" || self.database_name.eq_ignore_ascii_case(leader_database)
    }

    /// `databaseShareOrigin`, `Direct` unless the world says otherwise.
    pub fn share_origin(&self) -> DatabaseShareOrigin {
        self.database_share_origin
            .unwrap_or(DatabaseShareOrigin::Direct)
    }

    /// The settings a follower database of this attachment starts with: the attachment's
    /// default principals modification kind, no overrides.
    pub fn initial_follower_settings(&self) -> FollowerSettings {
        FollowerSettings {
            principals_modification_kind: self.default_principals_modification_kind,
            ..FollowerSettings::default()
        }
    }
}

/// A caller (bearer token) and the clusters it may write (ARM) or administer (Kusto).
/// Entries are cluster names, cluster ids, or `*`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Caller {
    /// A name for messages (the token is never printed).
    #[serde(default)]
    pub name: String,
    /// The bearer token this caller presents.
    pub token: String,
    /// Clusters on which the caller may perform ARM writes.
    #[serde(default)]
    pub contributor_on: Vec<String>,
    /// Clusters on which the caller may run Kusto management commands.
    #[serde(default)]
    pub database_admin_on: Vec<String>,
    /// Clusters on which the caller may run the management commands that only read a
    /// database's schema (`.show tables details`, `.show external tables`,
    /// `.show materialized-views`, `.show functions`): Kusto asks a database user, viewer or
    /// monitor for those, and a database admin may run them too.
    #[serde(default)]
    pub database_viewer_on: Vec<String>,
}

/// Timings, faults and how faithfully the emulator follows Azure. By default it answers as
/// recorded Azure does (no `Retry-After`, a request budget); each friendlier behaviour is a
/// setting away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// How long each long-running operation stays `Running`.
    #[serde(default)]
    pub operation_ms: u64,
    /// How much each operation's time varies around `operation_ms`: each one lasts a time
    /// drawn uniformly within ± this percentage of it (at most 100). Real operations of one
    /// kind do not all take the same time; 0, the default, makes every operation last exactly
    /// `operation_ms`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub operation_jitter_percent: u64,
    /// Added to every request.
    #[serde(default)]
    pub latency_ms: u64,
    /// The `Retry-After` of long-running operations and of a running operation's status, in
    /// seconds. Unset (the default), none is sent: the Microsoft.Kusto recordings carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Reads and writes each subscription may make per window (`crate::budget`); `null`
    /// lifts the limit.
    #[serde(default = "default_budget", skip_serializing_if = "is_default_budget")]
    pub resource_request_budget: Option<RequestBudget>,
    /// Whether `.show follower database(s)` echoes the notes given to
    /// `.add follower database … ('principal') 'notes'` (and `.show database … principals` its
    /// follower overrides' notes). Nothing public shows that the service does, so by default
    /// it does not (`false`): a client must tie principals without them.
    #[serde(default, skip_serializing_if = "is_false")]
    pub echo_principal_notes: bool,
    /// How long a follower command's change stays out of `.show follower database` after the
    /// command answered. The service applies follower commands "on the next periodic schema
    /// refresh, which may result in a short delay"
    /// (<https://learn.microsoft.com/kusto/management/cluster-follower>); 0, the default, shows
    /// every change at once.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub schema_refresh_ms: u64,
    /// Faults still to inject, consumed in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
}

impl Settings {
    /// How long a new operation runs: `operation_ms`, varied by `operation_jitter_percent`.
    pub fn operation_duration(&self) -> Duration {
        let base = Duration::from_millis(self.operation_ms);
        let jitter = self.operation_jitter_percent.min(100);
        if jitter == 0 || base.is_zero() {
            return base;
        }
        // Percentages up to 100 are exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let spread = jitter as f64 / 100.0;
        base.mul_f64(rand::rng().random_range((1.0 - spread)..=(1.0 + spread)))
    }
}

fn default_budget() -> Option<RequestBudget> {
    Some(RequestBudget::default())
}

fn is_default_budget(budget: &Option<RequestBudget>) -> bool {
    *budget == default_budget()
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            operation_ms: 0,
            operation_jitter_percent: 0,
            latency_ms: 0,
            retry_after_seconds: None,
            resource_request_budget: default_budget(),
            echo_principal_notes: false,
            schema_refresh_ms: 0,
            faults: Vec::new(),
        }
    }
}

/// Why a world cannot be read, checked or written.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// The text is not YAML for a world: its syntax, an unknown key, a value of the wrong type.
    #[error("{} is not valid YAML for the emulator: {message}", origin(.file.as_deref()))]
    Parse {
        /// The file, when the world was read from one.
        file: Option<PathBuf>,
        /// The line of the error (1-based), when known.
        line: Option<u64>,
        /// The column of the error (1-based), when known.
        column: Option<u64>,
        /// What is wrong, with the lines around it.
        message: String,
    },
    /// The world breaks a rule of Azure its YAML shape cannot express.
    #[error("{} is not a valid world: {problem}", origin(.file.as_deref()))]
    Invalid {
        /// The file, when the world was read from one.
        file: Option<PathBuf>,
        /// The rule it breaks.
        problem: WorldProblem,
    },
    /// The world could not be written as YAML.
    #[error("cannot write the world as YAML: {0}")]
    Serialize(String),
    /// A file could not be read or written.
    #[error("cannot {action} the world file `{path}`")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// How an error names the world it is about.
fn origin(file: Option<&Path>) -> String {
    match file {
        Some(path) => format!("the world file `{}`", path.display()),
        None => "the world".to_owned(),
    }
}

impl WorldError {
    /// A YAML error, located in the text and, when there is one, the file.
    fn parse(error: &serde_saphyr::Error, file: Option<&Path>) -> WorldError {
        let name = file.map(|path| path.display().to_string());
        let location = error.location();
        let rendered = error.render_with_options(serde_saphyr::render_options! {
            source_name: name.as_deref(),
        });
        // The snippet renderer titles the message `error: `; here it follows a sentence.
        let message = match rendered.strip_prefix("error: ") {
            Some(message) => message.to_owned(),
            None => rendered,
        };
        WorldError::Parse {
            message,
            file: file.map(Path::to_owned),
            line: location.map(|l| l.line()),
            column: location.map(|l| l.column()),
        }
    }
}

/// A follower database, derived from an attachment and its leader's databases.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowerDatabase {
    /// Its name on the follower cluster (after override or prefix).
    pub name: String,
    /// The attachment that created it.
    pub attachment: String,
    /// The index of the leader cluster in [`World::clusters`].
    pub leader: usize,
    /// The leader database's name.
    pub leader_database: String,
}

impl World {
    /// Reads a world from YAML and checks it.
    pub fn from_yaml(text: &str) -> Result<World, WorldError> {
        World::parse(text, None)
    }

    /// Reads a world file and checks it; every error names the file.
    pub fn load(path: &Path) -> Result<World, WorldError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorldError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        World::parse(&text, Some(path))
    }

    fn parse(text: &str, file: Option<&Path>) -> Result<World, WorldError> {
        let mut world: World =
            serde_saphyr::from_str(text).map_err(|e| WorldError::parse(&e, file))?;
        world.check_in(file)?;
        world.fill_follower_settings();
        Ok(world)
    }

    /// The world as YAML, readable by [`World::from_yaml`].
    pub fn to_yaml(&self) -> Result<String, WorldError> {
        serde_saphyr::to_string(self).map_err(|e| WorldError::Serialize(e.to_string()))
    }

    /// Writes the world to a file with [`kfollow_files::write`]: through a temporary file, so
    /// a reader never sees half; a symlink stays a symlink, and the file keeps its mode (a
    /// world holding callers' tokens may be readable by its owner alone).
    pub fn save(&self, path: &Path) -> Result<(), WorldError> {
        let text = self.to_yaml()?;
        kfollow_files::write(path, text.as_bytes(), &[]).map_err(|error| {
            let source = match error {
                kfollow_files::WriteError::Io { source, .. } => source,
                other => std::io::Error::other(other.to_string()),
            };
            WorldError::Io {
                action: "write",
                path: path.to_owned(),
                source,
            }
        })
    }

    /// Checks what serde cannot: the rules of Azure on names and leaders ([`WorldProblem`]).
    pub fn check(&self) -> Result<(), WorldError> {
        self.check_in(None)
    }

    fn check_in(&self, file: Option<&Path>) -> Result<(), WorldError> {
        match check::first_problem(self) {
            Some(problem) => Err(WorldError::Invalid {
                file: file.map(Path::to_owned),
                problem,
            }),
            None => Ok(()),
        }
    }

    /// The index of the cluster with this name (case-insensitive).
    pub fn cluster_index(&self, name: &str) -> Option<usize> {
        self.clusters
            .iter()
            .position(|c| c.id.name().eq_ignore_ascii_case(name))
    }

    /// The index of the cluster with this id.
    pub fn cluster_by_id(&self, id: &ClusterId) -> Option<usize> {
        self.clusters.iter().position(|c| &c.id == id)
    }

    /// The follower databases of a cluster, in attachment order. A `"*"` attachment leaves out
    /// a leader database whose follower-side name a database of the cluster already takes: "A
    /// database named DB created on the follower cluster takes precedence over a database with
    /// the same name that was created on the leader cluster"
    /// (<https://learn.microsoft.com/azure/data-explorer/follower>, "Notes"), and a database
    /// followed through an earlier attachment is not followed twice.
    pub fn follower_databases(&self, cluster: usize) -> Vec<FollowerDatabase> {
        let Some(follower) = self.clusters.get(cluster) else {
            return Vec::new();
        };
        let mut taken: HashSet<String> = follower
            .databases
            .iter()
            .map(|d| d.name.to_ascii_lowercase())
            .collect();
        let mut databases = Vec::new();
        for attachment in &follower.attached_database_configurations {
            for database in self.followed_by(attachment) {
                let free = taken.insert(database.name.to_ascii_lowercase());
                if free || attachment.database_name != "*" {
                    databases.push(database);
                }
            }
        }
        databases
    }

    /// The follower databases an attachment of `cluster` made, shadowed ones left out.
    pub fn databases_of_attachment(
        &self,
        cluster: usize,
        attachment: &str,
    ) -> Vec<FollowerDatabase> {
        self.follower_databases(cluster)
            .into_iter()
            .filter(|f| f.attachment == attachment)
            .collect()
    }

    /// The leader databases an attachment could follow: one per leader read-write database it
    /// names (every one for `*`), named by override or prefix, shadowing not considered.
    pub fn followed_by(&self, attachment: &WorldAttachment) -> Vec<FollowerDatabase> {
        let Some(leader) = self.cluster_by_id(&attachment.cluster_resource_id) else {
            return Vec::new();
        };
        self.clusters[leader]
            .databases
            .iter()
            .filter(|db| attachment.follows(&db.name))
            .map(|db| FollowerDatabase {
                name: follower_database_name(attachment, &db.name),
                attachment: attachment.name.clone(),
                leader,
                leader_database: db.name.clone(),
            })
            .collect()
    }

    /// The attachments (follower cluster index, attachment) whose leader is this cluster.
    pub fn followers_of(&self, leader: usize) -> Vec<(usize, &WorldAttachment)> {
        let Some(leader_id) = self.clusters.get(leader).map(|c| &c.id) else {
            return Vec::new();
        };
        self.clusters
            .iter()
            .enumerate()
            .flat_map(|(index, cluster)| {
                cluster
                    .attached_database_configurations
                    .iter()
                    .filter(|a| &a.cluster_resource_id == leader_id)
                    .map(move |a| (index, a))
            })
            .collect()
    }

    /// The read-write databases of `leader` that some follower database follows (lower case).
    pub fn followed_databases(&self, leader: usize) -> HashSet<String> {
        let followers: HashSet<usize> = self
            .followers_of(leader)
            .into_iter()
            .map(|(follower, _)| follower)
            .collect();
        followers
            .into_iter()
            .flat_map(|follower| self.follower_databases(follower))
            .filter(|f| f.leader == leader)
            .map(|f| f.leader_database.to_ascii_lowercase())
            .collect()
    }

    /// True when some follower database follows this read-write database.
    pub fn is_followed(&self, leader: usize, database: &str) -> bool {
        self.followed_databases(leader)
            .contains(&database.to_ascii_lowercase())
    }

    /// Gives every follower database a settings entry (the attachment's default principals
    /// modification kind, no overrides), so the settings exist from the moment it does.
    pub fn fill_follower_settings(&mut self) {
        for index in 0..self.clusters.len() {
            let databases = self.follower_databases(index);
            let cluster = &mut self.clusters[index];
            for database in databases {
                if let Some(attachment) = cluster
                    .attached_database_configurations
                    .iter_mut()
                    .find(|a| a.name == database.attachment)
                {
                    let initial = attachment.initial_follower_settings();
                    attachment
                        .follower_databases
                        .entry(database.name)
                        .or_insert(initial);
                }
            }
        }
    }

    /// The settings of a follower database (name compared case-insensitively).
    pub fn follower_settings_mut(
        &mut self,
        cluster: usize,
        database: &str,
    ) -> Option<&mut FollowerSettings> {
        let (index, name) = self.follower_attachment(cluster, database)?;
        let attachment = &mut self.clusters[cluster].attached_database_configurations[index];
        let initial = attachment.initial_follower_settings();
        Some(attachment.follower_databases.entry(name).or_insert(initial))
    }

    /// The attachment (by index on `cluster`) that made a follower database, and the follower
    /// database's name as the world spells it.
    fn follower_attachment(&self, cluster: usize, database: &str) -> Option<(usize, String)> {
        let follower = self
            .follower_databases(cluster)
            .into_iter()
            .find(|f| f.name.eq_ignore_ascii_case(database))?;
        let index = self.clusters[cluster]
            .attached_database_configurations
            .iter()
            .position(|a| a.name == follower.attachment)?;
        Some((index, follower.name))
    }

    /// The settings of a follower database, read-only.
    pub fn follower_settings(&self, cluster: usize, database: &str) -> Option<FollowerSettings> {
        let (index, name) = self.follower_attachment(cluster, database)?;
        let attachment = &self.clusters[cluster].attached_database_configurations[index];
        Some(
            attachment
                .follower_databases
                .get(&name)
                .cloned()
                .unwrap_or_else(|| attachment.initial_follower_settings()),
        )
    }
}

/// The follower database name an attachment gives a leader database.
pub fn follower_database_name(attachment: &WorldAttachment, leader_database: &str) -> String {
    if let Some(name) = &attachment.database_name_override {
        return name.clone();
    }
    match &attachment.database_name_prefix {
        Some(prefix) => format!("{prefix}{leader_database}"),
        None => leader_database.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const WORLD: &str = r#"
clusters:
  - id: /subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcprod
    location: westeurope
    databases:
      - name: Sales
        tables: [Orders]
      - name: Logs
  - id: /subscriptions/2/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcemea
    location: westeurope
    attachedDatabaseConfigurations:
      - name: all
        clusterResourceId: /subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcprod
        databaseName: "*"
        databaseNamePrefix: emea_
        defaultPrincipalsModificationKind: Replace
settings:
  operationMs: 0
  latencyMs: 0
"#;

    #[test]
    fn attachments_in_the_file_have_follower_databases_at_load() {
        let world = World::from_yaml(WORLD).unwrap();
        let names: Vec<String> = world
            .follower_databases(1)
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["emea_Sales", "emea_Logs"]);
        let settings = world.follower_settings(1, "EMEA_SALES").unwrap();
        assert_eq!(
            settings.principals_modification_kind,
            PrincipalsModificationKind::Replace
        );
        assert!(world.is_followed(0, "logs"));
    }

    #[test]
    fn round_trips_through_yaml() {
        let world = World::from_yaml(WORLD).unwrap();
        let again = World::from_yaml(&world.to_yaml().unwrap()).unwrap();
        assert_eq!(world, again);
        assert_eq!(again.settings.retry_after_seconds, None);
        assert_eq!(
            again.settings.resource_request_budget,
            Some(crate::budget::RequestBudget::default())
        );
        assert!(!again.settings.echo_principal_notes);
        assert_eq!(again.clusters[0].state, "Running");
    }

    #[test]
    fn the_azure_like_settings_can_be_lifted_and_round_trip() {
        let text = format!(
            "{WORLD}  retryAfterSeconds: 2\n  resourceRequestBudget: null\n  echoPrincipalNotes: true\n"
        );
        let world = World::from_yaml(&text).unwrap();
        assert_eq!(world.settings.retry_after_seconds, Some(2));
        assert_eq!(world.settings.resource_request_budget, None);
        assert!(world.settings.echo_principal_notes);
        let again = World::from_yaml(&world.to_yaml().unwrap()).unwrap();
        assert_eq!(world, again);
        let small = format!(
            "{WORLD}  resourceRequestBudget: {{ reads: 5, writes: 2, windowSeconds: 3 }}\n"
        );
        let world = World::from_yaml(&small).unwrap();
        assert_eq!(
            world.settings.resource_request_budget,
            Some(crate::budget::RequestBudget {
                reads: 5,
                writes: 2,
                window_seconds: 3
            })
        );
    }

    #[test]
    fn principals_and_share_origin_come_from_the_file() {
        let text = WORLD
            .replace(
                "        tables: [Orders]\n",
                "        tables: [Orders]\n        principals:\n          admins: ['aaduser=ada@contoso.com']\n          unrestrictedViewers: ['aadgroup=readers@contoso.com']\n",
            )
            .replace(
                "        defaultPrincipalsModificationKind: Replace\n",
                "        defaultPrincipalsModificationKind: Replace\n        databaseShareOrigin: DataShare\n",
            );
        let world = World::from_yaml(&text).unwrap();
        let principals = &world.clusters[0].databases[0].principals;
        assert_eq!(principals[&Role::Admins][0].identity(), "ada@contoso.com");
        assert_eq!(principals[&Role::UnrestrictedViewers].len(), 1);
        let attachment = &world.clusters[1].attached_database_configurations[0];
        assert_eq!(attachment.share_origin(), DatabaseShareOrigin::DataShare);
        assert_eq!(
            World::from_yaml(WORLD).unwrap().clusters[1].attached_database_configurations[0]
                .share_origin(),
            DatabaseShareOrigin::Direct
        );
    }

    #[test]
    fn a_database_of_the_follower_shadows_the_leader_database_of_all_databases() {
        // fcemea owns `emea_Logs`, the name `*` with prefix `emea_` gives the leader's Logs.
        let text = WORLD.replace(
            "    location: westeurope\n    attachedDatabaseConfigurations:",
            "    location: westeurope\n    databases:\n      - name: EMEA_LOGS\n    attachedDatabaseConfigurations:",
        );
        let world = World::from_yaml(&text).unwrap();
        let names: Vec<String> = world
            .follower_databases(1)
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["emea_Sales"]);
        assert_eq!(world.databases_of_attachment(1, "all").len(), 1);
        assert!(world.is_followed(0, "Sales"));
        assert!(!world.is_followed(0, "Logs"));
        assert!(world.follower_settings(1, "emea_Logs").is_none());
    }

    #[test]
    fn rejects_two_clusters_of_one_name() {
        let text = r#"
clusters:
  - id: /subscriptions/1/resourceGroups/a/providers/Microsoft.Kusto/clusters/same
    location: westeurope
  - id: /subscriptions/2/resourceGroups/b/providers/Microsoft.Kusto/clusters/SAME
    location: westeurope
"#;
        assert!(matches!(
            World::from_yaml(text),
            Err(WorldError::Invalid { problem: WorldProblem::DuplicateCluster(name), .. })
                if name == "SAME"
        ));
    }

    #[test]
    fn operations_vary_within_their_jitter() {
        let world = World::from_yaml(
            "clusters: []\nsettings: { operationMs: 2000, operationJitterPercent: 25 }\n",
        )
        .unwrap();
        let ms: Vec<u128> = (0..2000)
            .map(|_| world.settings.operation_duration().as_millis())
            .collect();
        assert!(ms.iter().all(|ms| (1500..=2500).contains(ms)), "{ms:?}");
        // Spread over the whole range, not bunched at the middle.
        assert!(ms.iter().any(|ms| *ms < 1600) && ms.iter().any(|ms| *ms > 2400));
        let exact = World::from_yaml("clusters: []\nsettings: { operationMs: 2000 }\n").unwrap();
        assert_eq!(
            exact.settings.operation_duration(),
            Duration::from_millis(2000)
        );
    }
}
