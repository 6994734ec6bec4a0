//! Executes a kfollow [`Plan`](kfollow_model::Plan).
//!
//! [`apply`] walks the plan's [`DependencyGraph`](kfollow_graph::DependencyGraph), the one DAG
//! `kfollow-graph` builds (a change starts once everything it depends on succeeded), with at
//! most one write in flight per cluster (ARM answers 409 to concurrent writes on one Kusto
//! cluster), at most `parallelism` changes in flight overall, and different clusters in
//! parallel. A failed change stops its dependents; independent changes finish. A change whose
//! write was sent but never seen to end has an unknown outcome, reported apart from failures
//! ([`ApplyReport::unknown`]); [`reread_unknown`] reads those changes again and
//! [`ApplyReport::resolve_unknown`] says what is live. Cancellation stops new
//! changes from starting and lets in-flight ones finish. Progress goes out as [`Event`]s; the
//! outcome is an [`ApplyReport`], with each operation's [`Receipt`].
//!
//! The scheduler knows nothing of HTTP or ARM: every write goes through an [`Executor`], and it
//! only ever hands it operations taken from the plan. [`AzureExecutor`] is the real one (one
//! `kfollow-azure` call per operation); [`fake::FakeExecutor`] is a scripted one for tests.
//! [`check_fresh`] refuses a saved plan whose live resources changed since it was made, and
//! [`check_same_plan`] one that is not the plan its desired state and the live state give
//! (a hand-edited file); saving and loading plans, and making the plan again, belong
//! elsewhere. After apply, [`settle`] waits
//! for follower database settings to show, reading live state through a closure it is given;
//! [`reread_unknown`] reads the changes with an unknown outcome again through the same closure.
//! [`record::ApplyRecord`] is the evidence of an apply (`--record`): who, what, where, when,
//! and the ids Azure gave each request; [`record::Evidence`] keeps it as an apply goes and
//! writes it (and the rollback manifest) through `kfollow-files`.
//!
//! What `kfollow apply` does once a plan is approved is [`run_approved`]: the writes, the
//! second read, the wait for settings, and what Ctrl-C and SIGTERM ([`Interrupts`]) do at each
//! step, told through a [`Listener`]. Whether a saved plan may run at all is decided by
//! [`check_saved`], [`check_live`] and [`check_remade`], each refusal a [`Refusal`].
//!
//! Open [`apply`] and [`Executor`] first, then [`run_approved`]. How close the schedule comes to
//! the best possible makespan is measured by `cargo run --release -p kfollow-apply --example bench_makespan`.

mod admission;
mod approved;
mod azure_executor;
mod contract;
mod executor;
pub mod fake;
mod interrupt;
pub mod record;
mod report;
mod reread;
mod run;
mod schedule;
#[cfg(test)]
mod script;
mod settle;
mod stale;

pub use admission::{MISMATCHES_SHOWN, Refusal, check_live, check_remade, check_saved};
pub use approved::{Abandoned, InFlight, Listener, Outcome, Ran, fresh_plan, run_approved};
pub use azure_executor::{AzureExecutor, AzureExecutorError};
pub use contract::{Difference, PlanMismatch, check_same_plan};
pub use executor::{ExecError, Executor, describe};
pub use interrupt::Interrupts;
pub use kfollow_azure::{Caller, Exchange, FinalStatus, Receipt};
pub use report::{
    ApplyReport, Event, Failed, NotAttempted, NotAttemptedReason, Succeeded, Unknown,
    format_elapsed,
};
pub use reread::{Found, REREAD_PAUSES, Reread, reread_unknown};
pub use run::{ApplyOptions, apply};
pub use settle::{SETTLE_PAUSES, Settled, awaiting_refresh, settle};
pub use stale::{Fingerprints, StalePlan, check_fresh};
