//! The ARM routes of Microsoft.Kusto that kfollow uses, at api-version 2025-02-14 (the
//! Microsoft.Kusto REST API, <https://learn.microsoft.com/rest/api/azurerekusto/>). Paths and names
//! compare case-insensitively, as ARM does. Every call spends one request of its subscription's
//! budget ([`crate::budget`]) and its answer reports what is left.
//!
//! Errors and their statuses (each rule of the service is enforced here, see [`attach`]):
//!
//! | case | status | code |
//! |---|---|---|
//! | the subscription's request budget is spent | 429 | `ResourceRequestsThrottled` |
//! | no `api-version` / another version | 400 | `MissingApiVersionParameter` / `NoRegisteredProviderFound` |
//! | no bearer / unknown token | 401 | `AuthenticationFailed` / `InvalidAuthenticationToken` |
//! | caller without the right | 403 | `AuthorizationFailed` |
//! | cluster, database, attachment, leader cluster or leader database not found | 404 | `ResourceNotFound` |
//! | an attachment name with `/` or a control character | 400 | `InvalidResourceName` |
//! | unreadable body | 400 | `InvalidRequestContent` |
//! | a rule of the service | 400 | `BadRequest` |
//! | a change of an immutable attachment property | 400 | `CannotAlterFollowerDatabase` |
//! | a write, or a read of databases, on a `Stopped` cluster (writes: any state but `Running`) | 400 | `BadRequest` |
//!
//! A write on a cluster whose previous write still runs is accepted, and its operation fails
//! with `ServiceIsInMaintenance` ([`writes`]); the `busy` fault answers that 409 at once.

pub mod attach;
pub mod metrics;
pub mod operations;
pub mod resources;
pub mod writes;

use std::time::Instant;

use http::{Method, StatusCode};
use kfollow_model::ClusterId;
use serde_json::{Value, json};

use crate::auth::{Access, Denied, authorize};
use crate::budget::Counter;
use crate::faults::Fault;
use crate::reply::{ArmError, Reply};
use crate::state::State;
use resources::Form;

/// The one ARM api-version the emulator serves.
pub const API_VERSION: &str = "2025-02-14";

/// What the routes need besides the request.
pub struct Ctx<'a> {
    /// The shared state (locked).
    pub state: &'a mut State,
    /// `http://127.0.0.1:PORT`.
    pub base_url: &'a str,
    /// The time of the request.
    pub now: Instant,
    /// A `failOperation` or `hangOperation` fault for the operation this request may start.
    pub operation_fault: Option<Fault>,
}

/// An ARM request, already read.
pub struct ArmRequest<'a> {
    /// The method.
    pub method: &'a Method,
    /// The decoded path segments.
    pub segments: Vec<String>,
    /// The query parameters.
    pub query: Vec<(String, String)>,
    /// The body.
    pub body: &'a [u8],
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
}

impl ArmRequest<'_> {
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Result<Value, ArmError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(self.body).map_err(ArmError::invalid_content)
    }
}

enum Route {
    OperationResult {
        subscription: String,
        id: String,
    },
    Cluster {
        subscription: String,
        resource_group: String,
        cluster: String,
        rest: Vec<String>,
    },
}

fn route(segments: &[String]) -> Option<Route> {
    let is = |index: usize, word: &str| {
        segments
            .get(index)
            .is_some_and(|s| s.eq_ignore_ascii_case(word))
    };
    if !(is(0, "subscriptions") && segments.len() > 2) {
        return None;
    }
    if is(2, "providers")
        && is(3, "Microsoft.Kusto")
        && is(4, "locations")
        && is(6, "operationResults")
    {
        return (segments.len() == 8).then(|| Route::OperationResult {
            subscription: segments[1].clone(),
            id: segments[7].clone(),
        });
    }
    if is(2, "resourceGroups")
        && is(4, "providers")
        && is(5, "Microsoft.Kusto")
        && is(6, "clusters")
    {
        return (segments.len() >= 8).then(|| Route::Cluster {
            subscription: segments[1].clone(),
            resource_group: segments[3].clone(),
            cluster: segments[7].clone(),
            rest: segments[8..].to_vec(),
        });
    }
    None
}

/// The actions (POST, or GET for `listFollowerDatabases`) among the routes.
const ACTIONS: [&str; 3] = [
    "listFollowerDatabases",
    "detachFollowerDatabases",
    "attachedDatabaseConfigurationCheckNameAvailability",
];

/// Answers an ARM request, after spending one request of its subscription's budget.
pub fn handle(ctx: &mut Ctx<'_>, request: &ArmRequest<'_>) -> Reply {
    let subscription = match request.segments.as_slice() {
        [first, subscription, ..] if first.eq_ignore_ascii_case("subscriptions") => {
            Some(subscription.as_str())
        }
        _ => None,
    };
    let mut remaining = Vec::new();
    if let Some(subscription) = subscription {
        let is_action = request
            .segments
            .last()
            .is_some_and(|last| ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(last)));
        let counter = Counter::of(request.method, is_action);
        let budget = ctx.state.world.settings.resource_request_budget;
        match ctx
            .state
            .budgets
            .charge(budget.as_ref(), subscription, counter, ctx.now)
        {
            Ok(headers) => remaining = headers,
            Err(throttled) => return throttled,
        }
    }
    let mut reply = match handle_inner(ctx, request) {
        Ok(reply) => reply,
        Err(error) => error.reply(),
    };
    reply.headers.extend(remaining);
    reply
}

fn handle_inner(ctx: &mut Ctx<'_>, request: &ArmRequest<'_>) -> Result<Reply, ArmError> {
    let Some(route) = route(&request.segments) else {
        authenticate(ctx, request, None, Access::Read)?;
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!(
                "the emulator serves no route at `/{}`",
                request.segments.join("/")
            ),
        ));
    };
    let (subscription, resource_group, cluster_name, rest) = match route {
        Route::OperationResult { subscription, id } => {
            authenticate(ctx, request, None, Access::Read)?;
            check_api_version(request)?;
            if request.method != Method::GET {
                return Err(method_not_allowed(request.method));
            }
            let location_form = request
                .query("operationResultResponseType")
                .is_some_and(|v| v.eq_ignore_ascii_case("Location"));
            return operations::status(ctx, &subscription, &id, location_form);
        }
        Route::Cluster {
            subscription,
            resource_group,
            cluster,
            rest,
        } => (subscription, resource_group, cluster, rest),
    };
    let id = ClusterId::new(&subscription, &resource_group, &cluster_name).map_err(|e| {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            e.to_string(),
        )
    })?;
    let is_read = request.method == Method::GET
        || (request.method == Method::POST
            && rest.len() == 1
            && (rest[0].eq_ignore_ascii_case("listFollowerDatabases")
                || rest[0]
                    .eq_ignore_ascii_case("attachedDatabaseConfigurationCheckNameAvailability")));
    let access = if is_read {
        Access::Read
    } else {
        Access::Contribute
    };
    authenticate(ctx, request, Some(&id), access)?;
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let lower: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    // Azure Monitor's route on the cluster has its own api-version.
    if lower == ["providers", "microsoft.insights", "metrics"] {
        let cluster = ctx.state.world.cluster_by_id(&id).ok_or_else(|| {
            ArmError::not_found("Microsoft.Kusto/clusters", &cluster_name, &resource_group)
        })?;
        if request.method != Method::GET {
            return Err(method_not_allowed(request.method));
        }
        let query = metrics::MetricsQuery {
            api_version: request.query("api-version"),
            metric_names: request.query("metricnames"),
            aggregation: request.query("aggregation"),
            interval: request.query("interval"),
            timespan: request.query("timespan"),
        };
        return Ok(metrics::list(
            &ctx.state.world.clusters[cluster],
            &query,
            std::time::SystemTime::now(),
        ));
    }
    check_api_version(request)?;
    let cluster = ctx.state.world.cluster_by_id(&id).ok_or_else(|| {
        ArmError::not_found("Microsoft.Kusto/clusters", &cluster_name, &resource_group)
    })?;
    let method = request.method.clone();
    if lower.first() == Some(&"attacheddatabaseconfigurations") && rest.len() == 2 {
        check_attachment_name(rest[1])?;
    }
    match (lower.as_slice(), method) {
        ([], Method::GET) => Ok(Reply::ok(resources::cluster(
            ctx.base_url,
            &ctx.state.world.clusters[cluster],
        ))),
        (["databases"], Method::GET) => {
            writes::check_databases_readable(ctx, cluster)?;
            Ok(Reply::ok(
                json!({"value": resources::databases(&ctx.state.world, cluster)}),
            ))
        }
        (["databases", _], Method::GET) => {
            writes::check_databases_readable(ctx, cluster)?;
            resources::database(&ctx.state.world, cluster, rest[1])
                .map(Reply::ok)
                .ok_or_else(|| not_found_child(ctx, cluster, "databases", rest[1]))
        }
        (["databases", _], m) if m == Method::PUT || m == Method::PATCH => {
            attach::update_database(ctx, cluster, rest[1], request, m == Method::PUT)
        }
        (["databases", _], Method::DELETE) => attach::delete_database(ctx, cluster, rest[1]),
        (["attacheddatabaseconfigurations"], Method::GET) => {
            let world = &ctx.state.world;
            let list: Vec<Value> = ctx
                .state
                .attachments_shown(cluster)
                .into_iter()
                .map(|(a, state)| resources::attachment(world, cluster, a, state, Form::Read))
                .collect();
            Ok(Reply::ok(json!({"value": list})))
        }
        (["attacheddatabaseconfigurations", _], Method::GET) => {
            let world = &ctx.state.world;
            ctx.state
                .attachment_shown(cluster, rest[1])
                .map(|(a, state)| {
                    Reply::ok(resources::attachment(world, cluster, a, state, Form::Read))
                })
                .ok_or_else(|| {
                    not_found_child(ctx, cluster, "attachedDatabaseConfigurations", rest[1])
                })
        }
        (["attacheddatabaseconfigurations", _], Method::PUT) => {
            attach::put_attachment(ctx, cluster, rest[1], request)
        }
        (["attacheddatabaseconfigurations", _], Method::DELETE) => {
            attach::delete_attachment(ctx, cluster, rest[1])
        }
        (["attacheddatabaseconfigurationchecknameavailability"], Method::POST) => {
            attach::check_name(ctx, cluster, request)
        }
        (["listfollowerdatabases"], m) if m == Method::GET || m == Method::POST => {
            let world = &ctx.state.world;
            let list: Vec<Value> = world
                .followers_of(cluster)
                .into_iter()
                .map(|(follower, a)| {
                    let definition = resources::follower_definition(world, follower, a);
                    // The GET form wraps each entry in `properties`
                    // (`KustoClusterListFollowerDatabasesGet.json`).
                    if m == Method::GET {
                        json!({"properties": definition})
                    } else {
                        definition
                    }
                })
                .collect();
            Ok(Reply::ok(json!({"value": list})))
        }
        (["detachfollowerdatabases"], Method::POST) => attach::detach(ctx, cluster, request),
        (
            []
            | ["databases" | "attacheddatabaseconfigurations", ..]
            | [
                "listfollowerdatabases"
                | "detachfollowerdatabases"
                | "attacheddatabaseconfigurationchecknameavailability",
            ],
            m,
        ) => Err(method_not_allowed(&m)),
        _ => Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!(
                "the emulator serves no Microsoft.Kusto route at `/{}`",
                request.segments.join("/")
            ),
        )),
    }
}

fn not_found_child(ctx: &Ctx<'_>, cluster: usize, kind: &str, name: &str) -> ArmError {
    let id = &ctx.state.world.clusters[cluster].id;
    ArmError::not_found(
        &format!("Microsoft.Kusto/clusters/{}/{kind}", id.name()),
        name,
        id.resource_group(),
    )
}

fn method_not_allowed(method: &Method) -> ArmError {
    ArmError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "HttpMethodNotSupported",
        format!("the method `{method}` is not supported on this resource"),
    )
}

fn authenticate(
    ctx: &Ctx<'_>,
    request: &ArmRequest<'_>,
    cluster: Option<&ClusterId>,
    access: Access,
) -> Result<(), ArmError> {
    authorize(&ctx.state.world, request.authorization, cluster, access).map_err(|denied| {
        match denied {
            Denied::Missing => ArmError::new(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            ),
            Denied::UnknownToken => ArmError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            ),
            Denied::Forbidden(caller) => {
                let scope = format!("/{}", request.segments.join("/"));
                let action = arm_action(request);
                ArmError::new(
                    StatusCode::FORBIDDEN,
                    "AuthorizationFailed",
                    format!(
                        "The client '{caller}' does not have authorization to perform action \
                         '{action}' over scope '{scope}' or the scope is invalid. If access was \
                         recently granted, please refresh your credentials."
                    ),
                )
            }
        }
    })
}

fn arm_action(request: &ArmRequest<'_>) -> String {
    let resource = match request.segments.get(8).map(|s| s.to_ascii_lowercase()) {
        Some(s) if s == "databases" => "clusters/databases",
        Some(s) if s == "attacheddatabaseconfigurations" => {
            "clusters/attachedDatabaseConfigurations"
        }
        Some(s) if s == "detachfollowerdatabases" => "clusters/detachFollowerDatabases",
        _ => "clusters",
    };
    let verb = if request.method == Method::DELETE {
        "delete"
    } else if request.method == Method::POST {
        "action"
    } else {
        "write"
    };
    format!("Microsoft.Kusto/{resource}/{verb}")
}

fn check_api_version(request: &ArmRequest<'_>) -> Result<(), ArmError> {
    match request.query("api-version") {
        None => Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        Some(API_VERSION) => Ok(()),
        Some(other) => Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for API version '{other}' for type \
                 'clusters'. The supported api-versions are '{API_VERSION}'."
            ),
        )),
    }
}

/// Refuses an attachment name the service would refuse: a `/` (after percent-decoding, so
/// `a%2F..%2Fb` names no other resource) or a control character.
fn check_attachment_name(name: &str) -> Result<(), ArmError> {
    if name.contains('/') || name.chars().any(char::is_control) {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            format!(
                "The resource name '{}' is invalid: an attached database configuration name \
                 cannot contain '/' or control characters.",
                name.escape_default()
            ),
        ));
    }
    Ok(())
}
