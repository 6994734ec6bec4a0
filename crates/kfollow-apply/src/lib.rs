//! Executes a kfollow [`Plan`](kfollow_model::Plan).
//!
//! [`apply`] walks the plan's [`DependencyGraph`](kfollow_graph::DependencyGraph), the one DAG
//! `kfollow-graph` builds (a change starts once everything it depends on succeeded), with at
//! most one write in flight per cluster (ARM answers 409 to concurrent writes on one Kusto
//! cluster), at most `parallelism` changes in flight overall, and different clusters in
//! parallel. A failed change stops its dependents; independent changes
//! finish. Cancellation stops new changes from starting and lets in-flight ones finish. Progress
//! goes out as [`Event`]s; the outcome is an [`ApplyReport`].
//!
//! The scheduler knows nothing of HTTP or ARM: every write goes through an [`Executor`], and it
//! only ever hands it operations taken from the plan. [`AzureExecutor`] is the real one (one
//! `kfollow-azure` call per operation); [`fake::FakeExecutor`] is a scripted one for tests.
//! [`check_fresh`] refuses a saved plan whose live resources changed since it was made; saving
//! and loading plans, and reading live state, belong elsewhere.
//!
//! Open [`apply`] and [`Executor`] first. How close the schedule comes to the best possible
//! makespan is measured by `cargo run --release -p kfollow-apply --example bench_makespan`.

mod azure_executor;
mod executor;
pub mod fake;
mod report;
mod run;
mod schedule;
mod stale;

pub use azure_executor::{AzureExecutor, AzureExecutorError};
pub use executor::{ExecError, Executor, describe};
pub use report::{
    ApplyReport, Event, Failed, NotAttempted, NotAttemptedReason, Succeeded, format_elapsed,
};
pub use run::{ApplyOptions, apply};
pub use stale::{Fingerprints, StalePlan, check_fresh};
