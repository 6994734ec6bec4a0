//! Executes a kfollow [`Plan`](kfollow_model::Plan).
//!
//! [`apply`] runs the plan's changes as a DAG (a change starts once everything in its
//! `depends_on` succeeded), with at most one write in flight per cluster (ARM answers 409 to
//! concurrent writes on one Kusto cluster), at most `parallelism` changes in flight overall, and
//! different clusters in parallel. A failed change stops its dependents; independent changes
//! finish. Cancellation stops new changes from starting and lets in-flight ones finish. Progress
//! goes out as [`Event`]s; the outcome is an [`ApplyReport`].
//!
//! It knows nothing of HTTP or ARM: every write goes through an [`Executor`], and the scheduler
//! only ever hands it operations taken from the plan. Saving, loading and staleness of plans
//! belong elsewhere; reading live state does too.
//!
//! Open [`apply`] and [`Executor`] first.

mod executor;
pub mod fake;
mod report;
mod run;
mod schedule;

pub use executor::{ExecError, Executor, describe};
pub use report::{ApplyReport, Event, Failed, NotAttempted, NotAttemptedReason, Succeeded};
pub use run::{ApplyOptions, apply};
