//! The plan as `kfollow plan` shows it and apply runs it: the diff, ordered by the one
//! dependency graph of `kfollow-graph`, and narrowed to the `--target`s.

use kfollow_graph::{CycleError, DependencyGraph, TargetError};
use kfollow_model::{Desired, Observed, Plan};

use crate::DiffErrors;

/// Why no plan can be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The live state breaks rules of the service, or the plan would replace a protected
    /// attachment: every problem, each naming its manifest line.
    #[error(
        "the plan cannot be made ({} problem{})",
        .0.0.len(),
        if .0.0.len() == 1 { "" } else { "s" }
    )]
    Live(DiffErrors),
    /// The changes depend on each other in a circle.
    #[error(transparent)]
    Cycle(#[from] CycleError),
    /// A `--target` names nothing of the manifest or the plan.
    #[error(transparent)]
    Target(#[from] TargetError),
}

/// Compares, orders and, with `targets` (`--target`), narrows to the targets and what they
/// depend on. The plan's changes are the graph's, in its execution order; apply walks the
/// graph.
///
/// # Errors
///
/// [`PlanError`]: every problem of the live state at once, a cycle, or unknown targets.
pub fn ordered_plan(
    desired: &Desired,
    observed: &Observed,
    targets: &[String],
) -> Result<(Plan, DependencyGraph), PlanError> {
    let mut plan = crate::diff(desired, observed).map_err(PlanError::Live)?;
    let graph = kfollow_graph::dependency_graph(std::mem::take(&mut plan.changes))?;
    plan.changes = graph.changes().cloned().collect();
    Ok(kfollow_graph::target(desired, plan, graph, targets)?)
}
