//! Long-running operations as the Microsoft.Kusto resource provider runs them, after the
//! recorded exchanges of the Az.Kusto PowerShell module (`Azure/azure-powershell`,
//! `src/Kusto/Kusto.Autorest/test/New-AzKustoAttachedDatabaseConfiguration.Recording.json`,
//! `Remove-AzKustoAttachedDatabaseConfiguration.Recording.json`,
//! `Get-AzKustoClusterFollowerDatabase.Recording.json`, api-version 2024-04-13):
//!
//! - a PUT of an attachment answers 201 (create) or 200 (update) with `Azure-AsyncOperation`
//!   only ([`Tracking::AsyncOperation`]); a DELETE, `detachFollowerDatabases` and a database
//!   update answer 202 with `Azure-AsyncOperation` and `Location` and no body
//!   ([`Tracking::Both`]); none carries `Retry-After` unless `settings.retryAfterSeconds` asks
//!   for one;
//! - the status URLs name the region as ARM shows it (`locations/East%20US`);
//! - the status (`OperationsResults_Get`) is `Running` with `percentComplete` 0.5 and an
//!   `endTime` equal to its `startTime`, then `Succeeded` or `Failed` with 1.0;
//!   `properties` holds `operationKind`, `provisioningState` and `operationState`;
//! - the `Location` form (`OperationsResultsLocation_Get`) answers 202 while the operation
//!   runs, then 200 with an empty body for a delete or a detach.

use std::time::{Duration, Instant, SystemTime};

use http::StatusCode;
use serde_json::{Map, Value};

use super::resources::{self, Form};
use super::{API_VERSION, Ctx};
use crate::faults::{Fault, FaultKind};
use crate::regions::display_name;
use crate::reply::{ArmError, Reply};
use crate::state::{Effect, FinalResult, Operation, Outcome, rfc3339};
use crate::world::{Settings, WorldCluster};

/// `operationKind` of creating or updating an attachment.
pub const ATTACH: &str = "FollowerDatabaseCreate";
/// `operationKind` of removing an attachment, from the follower or from the leader.
pub const DETACH: &str = "FollowerDatabaseDetach";

/// How a client follows an accepted write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// `Azure-AsyncOperation` only: the 201 or 200 of a PUT of an attachment.
    AsyncOperation,
    /// `Azure-AsyncOperation` and `Location`: a 202.
    Both,
}

/// What an accepted write does.
#[derive(Debug, Clone)]
pub struct Write {
    /// `properties.operationKind` of its status.
    pub kind: &'static str,
    /// What it changes.
    pub effect: Effect,
    /// What the `Location` form of its status answers once it succeeded.
    pub result: FinalResult,
}

/// Why an accepted write will fail: the error its operation ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doom {
    /// The error code.
    pub code: String,
    /// The error message.
    pub message: String,
}

/// A new operation on a cluster. A doomed one (a write on a busy cluster) fails at once with
/// its error; a fault may make one fail after its time or never end.
pub fn new_operation(
    cluster: &WorldCluster,
    write: Write,
    now: Instant,
    duration: Duration,
    fault: Option<Fault>,
    doom: Option<Doom>,
) -> Operation {
    let hang = fault
        .as_ref()
        .is_some_and(|f| f.respond == FaultKind::HangOperation);
    let failure = fault
        .filter(|f| f.respond == FaultKind::FailOperation)
        .map(|f| {
            (
                f.code.unwrap_or_else(|| "InternalServerError".to_owned()),
                f.message.unwrap_or_else(|| {
                    "[InternalServerError] the operation failed (a fault injected by the emulator)"
                        .to_owned()
                }),
            )
        });
    let doomed = doom.is_some();
    Operation {
        id: uuid::Uuid::new_v4().to_string(),
        subscription: cluster.id.subscription().to_owned(),
        location: display_name(&cluster.location),
        cluster: cluster.id.name().to_ascii_lowercase(),
        kind: write.kind,
        started: SystemTime::now(),
        due: if doomed {
            Some(now)
        } else {
            (!hang).then(|| now + duration)
        },
        effect: write.effect,
        failure: doom.map(|d| (d.code, d.message)).or(failure),
        outcome: Outcome::Running,
        ended: None,
        result: write.result,
    }
}

fn status_url(base_url: &str, operation: &Operation) -> String {
    format!(
        "{base_url}/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationResults/{}?api-version={API_VERSION}",
        operation.subscription,
        operation.location.replace(' ', "%20"),
        operation.id
    )
}

fn location_url(base_url: &str, operation: &Operation) -> String {
    format!(
        "{}&operationResultResponseType=Location",
        status_url(base_url, operation)
    )
}

/// `Retry-After`, only when the world asks for one.
fn retry_after(settings: &Settings) -> Option<(&'static str, String)> {
    settings
        .retry_after_seconds
        .map(|seconds| ("Retry-After", seconds.to_string()))
}

/// The headers of an accepted write.
pub fn headers(
    base_url: &str,
    settings: &Settings,
    operation: &Operation,
    tracking: Tracking,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Azure-AsyncOperation", status_url(base_url, operation))];
    if tracking == Tracking::Both {
        headers.push(("Location", location_url(base_url, operation)));
    }
    headers.extend(retry_after(settings));
    headers
}

/// `GET …/operationResults/{id}`, either form.
pub fn status(
    ctx: &mut Ctx<'_>,
    subscription: &str,
    id: &str,
    location_form: bool,
) -> Result<Reply, ArmError> {
    let operation = ctx
        .state
        .operations
        .get(id)
        .filter(|op| op.subscription.eq_ignore_ascii_case(subscription))
        .cloned()
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!("The operation '{id}' was not found."),
            )
        })?;
    let settings = &ctx.state.world.settings;
    if !location_form {
        let mut reply = Reply::ok(body(&operation));
        if matches!(operation.outcome, Outcome::Running) {
            reply.headers.extend(retry_after(settings));
        }
        return Ok(reply);
    }
    match &operation.outcome {
        Outcome::Running => {
            let mut reply = Reply::empty(StatusCode::ACCEPTED);
            reply.headers = vec![("Location", location_url(ctx.base_url, &operation))];
            reply.headers.extend(retry_after(settings));
            Ok(reply)
        }
        Outcome::Failed { code, message } => Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            code,
            message.clone(),
        )),
        Outcome::Succeeded => Ok(final_result(ctx, &operation.result)),
    }
}

fn final_result(ctx: &Ctx<'_>, result: &FinalResult) -> Reply {
    let world = &ctx.state.world;
    let body = match result {
        FinalResult::Attachment { cluster, name } => world.cluster_index(cluster).and_then(|c| {
            world.clusters[c]
                .attached_database_configurations
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name))
                .map(|a| resources::attachment(world, c, a, "Succeeded", Form::Read))
        }),
        FinalResult::Database { cluster, name } => world
            .cluster_index(cluster)
            .and_then(|c| resources::database(world, c, name)),
        FinalResult::Nothing => None,
    };
    match body {
        Some(body) => Reply::ok(body),
        None => Reply::empty(StatusCode::OK),
    }
}

/// The status resource (`OperationResult`).
pub fn body(operation: &Operation) -> Value {
    let mut body = Map::new();
    body.insert(
        "id".into(),
        format!(
            "/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationresults/{}",
            operation.subscription, operation.location, operation.id
        )
        .into(),
    );
    body.insert("name".into(), operation.id.clone().into());
    let (status, state, percent) = match &operation.outcome {
        Outcome::Running => ("Running", "InProgress", 0.5),
        Outcome::Succeeded => ("Succeeded", "Completed", 1.0),
        Outcome::Failed { .. } => ("Failed", "Failed", 1.0),
    };
    body.insert("status".into(), status.into());
    body.insert("startTime".into(), rfc3339(operation.started).into());
    // A running operation's recorded status already has an `endTime`: its `startTime`.
    let ended = operation.ended.unwrap_or(operation.started);
    body.insert("endTime".into(), rfc3339(ended).into());
    body.insert("percentComplete".into(), percent.into());
    let mut properties = Map::new();
    properties.insert("operationKind".into(), operation.kind.into());
    properties.insert("provisioningState".into(), status.into());
    properties.insert("operationState".into(), state.into());
    body.insert("properties".into(), properties.into());
    if let Outcome::Failed { code, message } = &operation.outcome {
        let mut error = Map::new();
        error.insert("code".into(), code.clone().into());
        error.insert("message".into(), message.clone().into());
        body.insert("error".into(), error.into());
    }
    body.into()
}
