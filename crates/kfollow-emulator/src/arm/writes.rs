//! What every write goes through, whatever it changes: the state of its cluster, the `busy`
//! fault, and the start of its long-running operation.
//!
//! A busy cluster. The service runs one write per cluster at a time. A second write is
//! accepted like any other (201/200/202 and its headers), and its operation then fails with
//! `ServiceIsInMaintenance`: "[Conflict] Cluster '…' is in process of maintenance for a short
//! period. You may retry to invoke the operation in a few minutes." (public reports:
//! Azure/azure-rest-api-specs#18845, where the second of two parallel writes fails that way in
//! its operation status, and hashicorp/terraform-provider-azurerm#16471). Any writer makes a
//! cluster busy: the portal, another pipeline, the platform's own maintenance. Some clients
//! report the same code as a synchronous 409 instead; the `busy` fault answers that.
//!
//! A stopped cluster. A GET of a database of a `Stopped` cluster answers 400 `BadRequest`
//! "Cannot fetch databases while resource is in state 'Stopped'." (public report:
//! Azure/azure-service-operator#4933). What a write answers is not public; the emulator
//! answers the same status and code, worded for the write, and refuses writes in every state
//! but `Running`.

use http::StatusCode;

use super::Ctx;
use super::operations::{self, Doom, Tracking, Write};
use crate::faults::FaultKind;
use crate::reply::{ArmError, Reply};

/// The error code of a write's operation on a busy cluster.
pub const BUSY: &str = "ServiceIsInMaintenance";

/// The message of that error, naming the cluster.
pub fn busy_message(cluster: &str) -> String {
    format!(
        "[Conflict] Cluster '{cluster}' is in process of maintenance for a short period. You \
         may retry to invoke the operation in a few minutes."
    )
}

/// The refusal of `what` on a cluster in state `state`.
fn not_running(what: &str, state: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Cannot {what} while resource is in state '{state}'."),
    )
}

/// Refuses a write on `cluster` that a `busy` fault refuses, or that its state does not allow.
/// `what` names the write for the message (`modify attached database configurations`).
pub fn check_writable(ctx: &mut Ctx<'_>, cluster: usize, what: &str) -> Result<(), ArmError> {
    let owner = &ctx.state.world.clusters[cluster];
    if ctx
        .operation_fault
        .as_ref()
        .is_some_and(|f| f.respond == FaultKind::Busy)
    {
        ctx.operation_fault = None;
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            BUSY,
            busy_message(owner.id.name()),
        ));
    }
    check_running(what, &owner.state)
}

/// Refuses `what` unless the cluster is `Running`.
pub fn check_running(what: &str, state: &str) -> Result<(), ArmError> {
    if state.eq_ignore_ascii_case("Running") {
        Ok(())
    } else {
        Err(not_running(what, state))
    }
}

/// Refuses a read of the databases of a `Stopped` cluster, as the service does.
pub fn check_databases_readable(ctx: &Ctx<'_>, cluster: usize) -> Result<(), ArmError> {
    let state = &ctx.state.world.clusters[cluster].state;
    if state.eq_ignore_ascii_case("Stopped") {
        return Err(not_running("fetch databases", state));
    }
    Ok(())
}

/// Starts the operation of an accepted write on a cluster and returns `reply` with its
/// headers. On a cluster that still runs a write, the operation is doomed: it fails at once
/// with [`BUSY`], and changes nothing.
pub fn start_operation(
    ctx: &mut Ctx<'_>,
    cluster: usize,
    write: Write,
    tracking: Tracking,
    mut reply: Reply,
) -> Reply {
    let owner = &ctx.state.world.clusters[cluster];
    let doom = ctx
        .state
        .write_in_flight(owner.id.name())
        .is_some()
        .then(|| Doom {
            code: BUSY.to_owned(),
            message: busy_message(owner.id.name()),
        });
    let operation = operations::new_operation(
        owner,
        write,
        ctx.now,
        ctx.state.world.settings.operation_duration(),
        ctx.operation_fault.take(),
        doom,
    );
    reply.headers = operations::headers(
        ctx.base_url,
        &ctx.state.world.settings,
        &operation,
        tracking,
    );
    ctx.state.operations.insert(operation.id.clone(), operation);
    ctx.state.settle(ctx.now);
    reply
}
