//! Each cluster's Kusto endpoint at `{base}/kusto/{cluster}`: `POST /v1/rest/mgmt` (auth, then
//! the command through [`crate::kusto`]) and `GET /v1/rest/auth/metadata`. This module is the
//! bridge: it shows a world cluster to the command executor through [`ClusterCatalog`].
//!
//! A `Stopped` cluster's endpoint does not answer: the connection closes without a response.
//! What the real endpoint of a stopped cluster gives is not public; with every cluster behind
//! one emulator port a refused connection cannot be told apart per cluster, and no answer at
//! all is the closest to it (and leaves a client nothing to mistake for a Kusto error).

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use http::{Method, StatusCode};
use kfollow_model::{Principal, Role};
use serde::Deserialize;

use crate::auth::{Access, Denied, authorize};
use crate::faults::{Fault, FaultKind};
use crate::kusto::{self, Catalog, DatabaseView, EntityView, FollowerSettings, FollowerView};
use crate::refresh::SchemaRefresh;
use crate::reply::{Reply, one_api_error};
use crate::state::State;
use crate::world::{World, WorldDatabase};

/// A cluster of the world, as the management endpoint sees it.
pub struct ClusterCatalog<'a> {
    /// The world.
    pub world: &'a mut World,
    /// The cluster's index.
    pub cluster: usize,
    /// `http://127.0.0.1:PORT`, to name leader clusters by their data-plane address.
    pub base_url: &'a str,
    /// The changes `.show follower database` does not report yet.
    pub refresh: &'a SchemaRefresh,
    /// The time of the request, for [`SchemaRefresh::shown`].
    pub now: Instant,
    /// When the world was loaded ([`State::loaded_at`]).
    pub loaded_at: SystemTime,
}

impl Catalog for ClusterCatalog<'_> {
    fn databases(&self) -> Vec<DatabaseView> {
        let world = &*self.world;
        let owner = &world.clusters[self.cluster];
        let entities = |names: &[String],
                        shared: &dyn Fn(&str) -> bool,
                        last_data: SystemTime|
         -> Vec<EntityView> {
            names
                .iter()
                .filter(|name| shared(name))
                .map(|name| EntityView {
                    name: name.clone(),
                    last_data,
                })
                .collect()
        };
        // A leader database's data arrived when the world says, else at load (ingestion
        // ongoing). A follower database sees its leader as it was `followerLatencyMs` ago: the
        // leader's newest extent if it is older than that, else one that much older than load.
        let last_data = |database: &WorldDatabase| {
            database
                .max_extents_creation_time
                .map_or(self.loaded_at, |time| time.0)
        };
        let behind = Duration::from_millis(owner.follower_latency_ms.unwrap_or(0));
        let mut views: Vec<DatabaseView> = owner
            .databases
            .iter()
            .map(|d| DatabaseView {
                name: d.name.clone(),
                follower: None,
                principals: roles(&d.principals),
                tables: entities(&d.tables, &|_| true, last_data(d)),
                external_tables: d.external_tables.clone(),
                materialized_views: entities(&d.materialized_views, &|_| true, last_data(d)),
                functions: d.functions.clone(),
                hot_cache_period: d.hot_cache_period,
            })
            .collect();
        for follower in world.follower_databases(self.cluster) {
            let leader = &world.clusters[follower.leader];
            let sharing = owner
                .attached_database_configurations
                .iter()
                .find(|a| a.name == follower.attachment)
                .map(|a| a.table_level_sharing_properties.clone())
                .unwrap_or_default();
            let leader_database = leader
                .databases
                .iter()
                .find(|d| d.name == follower.leader_database);
            let shared = |names: &[String], shares: &dyn Fn(&str) -> bool| -> Vec<String> {
                names.iter().filter(|name| shares(name)).cloned().collect()
            };
            let (external_tables, functions) = leader_database
                .map(|d| {
                    (
                        shared(&d.external_tables, &|t| sharing.shares_external_table(t)),
                        shared(&d.functions, &|f| sharing.shares_function(f)),
                    )
                })
                .unwrap_or_default();
            let (tables, materialized_views) = leader_database
                .map(|d| {
                    let synced = self
                        .loaded_at
                        .checked_sub(behind)
                        .unwrap_or(SystemTime::UNIX_EPOCH);
                    let seen = last_data(d).min(synced);
                    (
                        entities(&d.tables, &|t| sharing.shares_table(t), seen),
                        entities(
                            &d.materialized_views,
                            &|v| sharing.shares_materialized_view(v),
                            seen,
                        ),
                    )
                })
                .unwrap_or_default();
            views.push(DatabaseView {
                name: follower.name.clone(),
                principals: leader_database
                    .map(|d| roles(&d.principals))
                    .unwrap_or_default(),
                follower: Some(FollowerView {
                    leader_cluster_uri: crate::arm::resources::cluster_uri(self.base_url, leader),
                    leader_database: follower.leader_database.clone(),
                }),
                tables,
                external_tables,
                materialized_views,
                functions,
                hot_cache_period: leader_database.and_then(|d| d.hot_cache_period),
            });
        }
        views
    }

    fn settings_mut(&mut self, follower_database: &str) -> Option<&mut FollowerSettings> {
        self.world
            .follower_settings_mut(self.cluster, follower_database)
    }

    fn echo_principal_notes(&self) -> bool {
        self.world.settings.echo_principal_notes
    }

    fn shown_settings(&mut self, follower_database: &str) -> Option<FollowerSettings> {
        let cluster = self.world.clusters[self.cluster].id.name();
        match self.refresh.shown(cluster, follower_database, self.now) {
            Some(shown) => Some(shown.clone()),
            None => self
                .world
                .follower_settings(self.cluster, follower_database),
        }
    }
}

/// The `drop` a request to a `Stopped` cluster's endpoint meets (`segments` is the whole
/// path, `kusto/<cluster>/…`): the connection closes without an answer.
pub fn unanswered(world: &World, is_kusto: bool, segments: &[String]) -> Option<Fault> {
    let cluster = world.cluster_index(segments.get(1).filter(|_| is_kusto)?)?;
    world.clusters[cluster]
        .state
        .eq_ignore_ascii_case("Stopped")
        .then(|| Fault {
            method: "*".into(),
            path: "*".into(),
            respond: FaultKind::Drop,
            count: 1,
            retry_after_seconds: 0,
            delay_ms: 0,
            code: None,
            message: None,
        })
}

/// A database's principals by role, one pair per grant, in role order.
fn roles(principals: &BTreeMap<Role, Vec<Principal>>) -> Vec<(Role, Principal)> {
    principals
        .iter()
        .flat_map(|(role, list)| list.iter().map(|p| (*role, p.clone())))
        .collect()
}

#[derive(Debug, Deserialize)]
struct MgmtBody {
    #[serde(default)]
    db: String,
    csl: String,
}

/// The `csl` of a management request body, for the request log.
pub fn csl_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<MgmtBody>(body).ok().map(|b| b.csl)
}

/// Answers a request under `/kusto/{cluster}/…`.
pub fn handle(
    state: &mut State,
    base_url: &str,
    method: &Method,
    rest: &[String],
    body: &[u8],
    authorization: Option<&str>,
) -> Reply {
    let Some((name, path)) = rest.split_first() else {
        return not_found("");
    };
    let path: Vec<String> = path.iter().map(|s| s.to_ascii_lowercase()).collect();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let Some(cluster) = state.world.cluster_index(name) else {
        return not_found(name);
    };

    match (path.as_slice(), method) {
        // The public cloud answers the metadata without a token: clients read it to learn how
        // to get one (<https://learn.microsoft.com/kusto/api/rest/authentication>).
        (["v1", "rest", "auth", "metadata"], &Method::GET) => auth_metadata(),
        (["v1", "rest", "mgmt"], &Method::POST) => {
            let id = state.world.clusters[cluster].id.clone();
            // A caller is known before the body is read; what the command may do is decided
            // once it is read.
            if let Err(denied) = authorize(&state.world, authorization, Some(&id), Access::Read) {
                return denied_reply(denied, id.name(), Access::Read);
            }
            let request: MgmtBody = match serde_json::from_slice(body) {
                Ok(request) => request,
                Err(e) => {
                    return Reply::with(
                        StatusCode::BAD_REQUEST,
                        one_api_error(
                            "BadRequest",
                            &format!("the request body is not a management request: {e}"),
                            "Kusto.Data.Exceptions.KustoBadRequestException",
                            true,
                        ),
                    );
                }
            };
            // Parsed once here for what the route decides (the right it needs, the refresh it
            // waits for); a command that does not parse is refused by `execute`, with its error.
            let command = kusto::parse(&request.csl).ok();
            let access = needed_access(command.as_ref());
            if let Err(denied) = authorize(&state.world, authorization, Some(&id), access) {
                return denied_reply(denied, id.name(), access);
            }
            let before = state.world.clone();
            let now = Instant::now();
            let reply = {
                let mut catalog = ClusterCatalog {
                    world: &mut state.world,
                    cluster,
                    base_url,
                    refresh: &state.refresh,
                    now,
                    loaded_at: state.loaded_at,
                };
                execute(&mut catalog, &request.db, &request.csl)
            };
            if state.world != before {
                state.revision += 1;
                await_refresh(state, &before, cluster, command.as_ref(), now);
            }
            reply
        }
        _ => not_found(name),
    }
}

/// Holds back from `.show` the change a command just made, until the next schema refresh.
fn await_refresh(
    state: &mut State,
    before: &World,
    cluster: usize,
    command: Option<&kusto::Command>,
    now: Instant,
) {
    let delay = Duration::from_millis(state.world.settings.schema_refresh_ms);
    if delay.is_zero() {
        return;
    }
    let Some(database) = command
        .and_then(kusto::Command::follower_database)
        .map(str::to_owned)
    else {
        return;
    };
    let (Some(previous), Some(current)) = (
        before.follower_settings(cluster, &database),
        state.world.follower_settings(cluster, &database),
    ) else {
        return;
    };
    let name = before.clusters[cluster].id.name();
    state
        .refresh
        .changed(name, &database, previous, current, now, delay);
}

/// What a management command asks of its caller: a database viewer for the commands that only
/// read a database's schema
/// (<https://learn.microsoft.com/kusto/management/show-table-details-command>,
/// <https://learn.microsoft.com/kusto/management/show-external-tables>,
/// <https://learn.microsoft.com/kusto/management/materialized-views/materialized-view-show-command>,
/// <https://learn.microsoft.com/kusto/management/show-function>: each asks at least a database
/// user, viewer or monitor), a database admin for everything else, the follower commands first
/// of all (<https://learn.microsoft.com/kusto/management/cluster-follower>). A command that
/// does not parse (`None`) asks for an admin, the stricter of the two.
fn needed_access(command: Option<&kusto::Command>) -> Access {
    match command {
        Some(
            kusto::Command::ShowTableDetails { .. }
            | kusto::Command::ShowExternalTables { .. }
            | kusto::Command::ShowMaterializedViews { .. }
            | kusto::Command::ShowFunctions { .. },
        ) => Access::DatabaseViewer,
        _ => Access::DatabaseAdmin,
    }
}

/// Runs a command through the Kusto module: v1 frames, or its status and OneApi body.
fn execute(catalog: &mut dyn Catalog, database: &str, csl: &str) -> Reply {
    match kusto::execute(catalog, database, csl) {
        Ok(frames) => Reply::ok(frames),
        Err(error) => Reply::with(
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
            error.body,
        ),
    }
}

fn auth_metadata() -> Reply {
    Reply::ok(kusto::auth_metadata())
}

fn denied_reply(denied: Denied, cluster: &str, access: Access) -> Reply {
    let role = match access {
        Access::DatabaseViewer => "a database viewer",
        _ => "a database admin",
    };
    let (status, code, message, kind) = match denied {
        Denied::Missing => (
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "the request has no `Authorization: Bearer` header".to_owned(),
            "Kusto.Common.Svc.Exceptions.UnauthorizedOperationException",
        ),
        Denied::UnknownToken => (
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "the bearer token is not valid".to_owned(),
            "Kusto.Common.Svc.Exceptions.UnauthorizedOperationException",
        ),
        Denied::Forbidden(caller) => (
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "Principal '{caller}' is not authorized to perform operation on cluster \
                 '{cluster}': it is not {role}"
            ),
            "Kusto.DataNode.Exceptions.UnauthorizedDatabaseAccessException",
        ),
    };
    Reply::with(status, one_api_error(code, &message, kind, true))
}

fn not_found(cluster: &str) -> Reply {
    Reply::with(
        StatusCode::NOT_FOUND,
        one_api_error(
            "NotFound",
            &format!("the emulator has no Kusto endpoint for cluster `{cluster}` at this path"),
            "Kusto.Common.Svc.Exceptions.EntityNotFoundException",
            true,
        ),
    )
}
