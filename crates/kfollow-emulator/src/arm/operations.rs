//! Long-running operations as ARM does them: the `Azure-AsyncOperation`, `Location` and
//! `Retry-After` headers of a write, and the two forms of the status resource
//! (`OperationsResults_Get` and `OperationsResultsLocation_Get` in
//! `reference/arm-kusto-follower-subset.json`; bodies as `KustoOperationResultsGet.json`).

use std::time::{Duration, Instant, SystemTime};

use http::StatusCode;
use serde_json::{Map, Value};

use super::{API_VERSION, Ctx, resources};
use crate::faults::{Fault, FaultKind};
use crate::reply::{ArmError, Reply};
use crate::state::{Effect, FinalResult, Operation, Outcome, rfc3339};
use crate::world::{Settings, WorldCluster};

/// A new operation on a cluster; a fault may make it fail or never end.
pub fn new_operation(
    cluster: &WorldCluster,
    kind: &'static str,
    effect: Effect,
    result: FinalResult,
    now: Instant,
    operation_ms: u64,
    fault: Option<Fault>,
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
    Operation {
        id: uuid::Uuid::new_v4().to_string(),
        subscription: cluster.id.subscription().to_owned(),
        location: cluster.location.to_ascii_lowercase().replace(' ', ""),
        cluster: cluster.id.name().to_ascii_lowercase(),
        kind,
        started: SystemTime::now(),
        due: (!hang).then(|| now + Duration::from_millis(operation_ms)),
        effect,
        failure,
        outcome: Outcome::Running,
        ended: None,
        result,
    }
}

fn status_url(base_url: &str, operation: &Operation) -> String {
    format!(
        "{base_url}/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationResults/{}?api-version={API_VERSION}",
        operation.subscription, operation.location, operation.id
    )
}

/// The headers of an accepted write, and of a `Location` poll that is still running.
pub fn headers(
    base_url: &str,
    settings: &Settings,
    operation: &Operation,
) -> Vec<(&'static str, String)> {
    let url = status_url(base_url, operation);
    vec![
        ("Azure-AsyncOperation", url.clone()),
        (
            "Location",
            format!("{url}&operationResultResponseType=Location"),
        ),
        ("Retry-After", settings.retry_after_seconds.to_string()),
    ]
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
    if !location_form {
        let mut reply = Reply::ok(body(&operation));
        // ARM repeats `Retry-After` on a status that is still running, telling the client
        // when to ask again.
        if matches!(operation.outcome, Outcome::Running) {
            reply.headers = vec![(
                "Retry-After",
                ctx.state.world.settings.retry_after_seconds.to_string(),
            )];
        }
        return Ok(reply);
    }
    match &operation.outcome {
        Outcome::Running => {
            let mut reply = Reply::empty(StatusCode::ACCEPTED);
            reply.headers = headers(ctx.base_url, &ctx.state.world.settings, &operation);
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
                .map(|a| resources::attachment(world, c, a, "Succeeded"))
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
        Outcome::Running => ("Running", "InProgress", 0.0),
        Outcome::Succeeded => ("Succeeded", "Completed", 100.0),
        Outcome::Failed { .. } => ("Failed", "Failed", 100.0),
    };
    body.insert("status".into(), status.into());
    body.insert("startTime".into(), rfc3339(operation.started).into());
    if let Some(ended) = operation.ended {
        body.insert("endTime".into(), rfc3339(ended).into());
    }
    body.insert("percentComplete".into(), percent.into());
    let mut properties = Map::new();
    properties.insert("operationKind".into(), operation.kind.into());
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
