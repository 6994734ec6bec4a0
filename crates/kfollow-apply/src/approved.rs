//! The run of a plan once it is approved, as `kfollow apply` makes it: the writes, then a
//! second read of what apply could not see the end of, then the wait for follower database
//! settings to show; with Ctrl-C and SIGTERM as Terraform treats them ([`Interrupts`]).
//!
//! [`run_approved`] owns the order of those steps and what each interrupt does at each of them:
//! during the writes, the first stops new changes and the second stops at once
//! ([`Outcome::Abandoned`], naming what was in flight); during either read, one more interrupt
//! stops that read. Everything it tells goes through a [`Listener`]; it prints nothing itself.
//! The outcome of the writes goes to a `reported` closure, the moment to tell it and keep it.
//! Reading the live state is the caller's `replan` closure, as for [`crate::settle`]:
//! [`fresh_plan`] is the one `kfollow apply` gives it.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use kfollow_graph::DependencyGraph;
use kfollow_model::{Action, Address, Desired, Plan};
use kfollow_state::Clients;
use tokio::time::Instant;

use crate::executor::Executor;
use crate::interrupt::Interrupts;
use crate::report::{ApplyReport, Event, format_elapsed};
use crate::reread::{Found, REREAD_PAUSES, Reread, reread_unknown};
use crate::run::{ApplyOptions, apply};
use crate::settle::{SETTLE_PAUSES, Settled, awaiting_refresh, settle};

/// What the caller hears while an approved plan runs, to tell the user.
pub trait Listener {
    /// A change started, ended, or will not start.
    fn event(&self, event: &Event);

    /// A line of progress among the changes' lines (an empty one ends a block).
    fn progress(&self, line: &str);

    /// Something the user should know; the run goes on.
    fn warn(&self, warning: &str);
}

/// How the run of an approved plan ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A second interrupt stopped the writes at once; no report came.
    Abandoned(Abandoned),
    /// The writes ended (all of them, or the ones the first interrupt let finish).
    Ran(Ran),
}

/// What was known when a second interrupt stopped the writes at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Abandoned {
    /// Every event sent until then, in order (for the apply record).
    pub events: Vec<Event>,
    /// The changes started and not ended: their outcome is unknown. By address.
    pub in_flight: Vec<InFlight>,
}

/// A change in flight when the writes were stopped at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    /// The change.
    pub address: Address,
    /// What it was doing.
    pub action: Action,
    /// How long it had been in flight.
    pub elapsed: Duration,
}

/// How the writes of an approved plan ended, and what came after them.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    /// What came of each change, after the second read of the unknown ones.
    pub report: ApplyReport,
    /// What the wait for follower database settings warned about (told already), for the
    /// apply record.
    pub warnings: Vec<String>,
    /// True when an interrupt stopped the wait for follower database settings.
    pub interrupted: bool,
}

/// Said at the first interrupt during the writes.
const FIRST_INTERRUPT: &str = "interrupt received: no new change will start; waiting for the \
                               changes in flight to finish (interrupt again to stop at once, \
                               leaving them in an unknown state)";

/// Said when an interrupt stops the second read of the unknown outcomes.
const REREAD_INTERRUPTED: &str = "interrupted while reading the live state again; the unknown \
                                  outcomes stay unknown: run `kfollow plan` to see what is live";

/// Said (and recorded) when an interrupt stops the wait for follower database settings.
const SETTLE_INTERRUPTED: &str = "interrupted while waiting for follower database settings to \
                                  show; run `kfollow plan` in a few minutes to confirm them";

/// Runs the approved `plan` (whose changes `graph` orders) through `executor`, then reads again
/// what it could not see the end of and waits for follower database settings to show, reading
/// the live state with `replan`. Tells `listener` everything as it happens, and `reported` the
/// outcome of every change once it is known.
///
/// - During the writes, the first interrupt stops new changes from starting and lets the ones
///   in flight finish; the second returns [`Outcome::Abandoned`] at once.
/// - Then the changes with an unknown outcome are read again ([`reread_unknown`]) and moved in
///   the report to where that read puts them; an interrupt stops the read, and they stay
///   unknown.
/// - `reported` hears the report: the moment to tell it and keep it (the apply record, the
///   emulator's world), before the wait.
/// - Then the follower database settings just changed are awaited ([`settle`]); when they do
///   not show, or an interrupt stops the wait, the warning is told and returned in
///   [`Ran::warnings`].
/// - Last, a targeted plan warns that only part of the manifest was applied.
///
/// # Errors
///
/// What `reported` failed with; the run stops there, before the wait.
#[allow(clippy::too_many_arguments)] // one call site; each argument a different thing
pub async fn run_approved<E, F, R, H, X>(
    plan: &Plan,
    graph: &DependencyGraph,
    executor: &E,
    options: &ApplyOptions,
    interrupts: &Interrupts,
    mut replan: F,
    told: &impl Listener,
    reported: H,
) -> Result<Outcome, X>
where
    E: Executor,
    F: FnMut() -> R,
    R: Future<Output = Result<Plan, String>>,
    H: FnOnce(&ApplyReport) -> Result<(), X>,
{
    let seen = Mutex::new(Seen::default());
    let cancel = async {
        interrupts.reached(1).await;
        told.warn(FIRST_INTERRUPT);
    };
    let writes = apply(graph, executor, options, cancel, |event| {
        told.event(&event);
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    });
    let mut report = tokio::select! {
        report = writes => report,
        () = interrupts.reached(2) => {
            let seen = seen.into_inner().unwrap_or_else(PoisonError::into_inner);
            return Ok(Outcome::Abandoned(seen.abandoned()));
        }
    };
    told.progress("");
    let received = interrupts.received();
    tokio::select! {
        () = read_unknown_again(&mut report, &mut replan, told) => {}
        () = interrupts.reached(received + 1) => told.warn(REREAD_INTERRUPTED),
    }
    reported(&report)?;
    let received = interrupts.received();
    let (warnings, interrupted) = tokio::select! {
        warning = await_follower_settings(plan, &report, &mut replan, told) => {
            (warning.into_iter().collect(), false)
        }
        () = interrupts.reached(received + 1) => {
            told.warn(SETTLE_INTERRUPTED);
            (vec![SETTLE_INTERRUPTED.to_owned()], true)
        }
    };
    if let (Some(targeting), false) = (&plan.targeting, interrupted) {
        told.warn(&format!(
            "only the changes of {} and what they depend on were applied; run `kfollow plan` \
             to see what is left",
            targeting.targets.join(", ")
        ));
    }
    Ok(Outcome::Ran(Ran {
        report,
        warnings,
        interrupted,
    }))
}

/// The plan `kfollow plan` would show now, without its order: what the reads after the writes
/// compare against.
///
/// # Errors
///
/// Why the live state could not be read, or the plan not made, as text.
pub async fn fresh_plan(desired: &Desired, clients: &Clients) -> Result<Plan, String> {
    let observed = kfollow_state::read(desired, clients)
        .await
        .map_err(|error| error.to_string())?;
    kfollow_diff::diff(desired, &observed).map_err(|errors| errors.to_string())
}

/// The events of the writes, and when each change in flight started.
#[derive(Default)]
struct Seen {
    events: Vec<Event>,
    started: BTreeMap<String, (Address, Action, Instant)>,
}

impl Seen {
    fn push(&mut self, event: Event) {
        let key = event.address().to_string();
        match &event {
            Event::Started { address, action } => {
                self.started
                    .insert(key, (address.clone(), *action, Instant::now()));
            }
            Event::Succeeded { .. } | Event::Failed { .. } | Event::Unknown { .. } => {
                self.started.remove(&key);
            }
            Event::Skipped { .. } => {}
        }
        self.events.push(event);
    }

    fn abandoned(self) -> Abandoned {
        let in_flight = self
            .started
            .into_values()
            .map(|(address, action, since)| InFlight {
                address,
                action,
                elapsed: since.elapsed(),
            })
            .collect();
        Abandoned {
            events: self.events,
            in_flight,
        }
    }
}

impl Abandoned {
    /// What the user reads after the error line of a run stopped at once: the changes left in
    /// flight, whose outcome nobody saw (each as `verb` names its action), and how to find out
    /// what they did. One line each.
    pub fn lines(&self, verb: impl Fn(Action) -> &'static str) -> Vec<String> {
        let mut lines = Vec::new();
        if self.in_flight.is_empty() {
            lines.push("No change was in flight.".to_owned());
        } else {
            lines.push("These changes were in flight; their outcome is unknown:".to_owned());
            for change in &self.in_flight {
                lines.push(format!(
                    "  {} ({}, for {})",
                    change.address,
                    verb(change.action),
                    format_elapsed(change.elapsed)
                ));
            }
        }
        lines.push(
            "Changes not started were not made. Run `kfollow plan` to see what is live now and \
             what remains to do."
                .to_owned(),
        );
        lines
    }
}

/// Reads the live state again for the changes whose outcome apply could not see, says what it
/// found for each, and moves them in the report where they belong.
async fn read_unknown_again<F, R>(report: &mut ApplyReport, replan: F, told: &impl Listener)
where
    F: FnMut() -> R,
    R: Future<Output = Result<Plan, String>>,
{
    if report.unknown.is_empty() {
        return;
    }
    told.progress(&format!(
        "Reading the live state again for {} change(s) whose outcome is unknown...",
        report.unknown.len()
    ));
    let found = reread_unknown(report, &REREAD_PAUSES, replan, || {
        told.progress("An operation is still running; reading again in a few seconds...");
    })
    .await;
    match found {
        Ok(found) => {
            for reread in &found {
                told.progress(&reread.to_string());
            }
            report.resolve_unknown(found);
        }
        Err(error) => told.warn(&format!(
            "cannot read the live state again to learn the unknown outcomes: {error}"
        )),
    }
}

/// Follower commands take effect at the cluster's next schema refresh: waits until the
/// settings just changed show, and if they do not, tells the user (it is no failure) and
/// returns the warning.
async fn await_follower_settings<F, R>(
    plan: &Plan,
    report: &ApplyReport,
    replan: F,
    told: &impl Listener,
) -> Option<String>
where
    F: FnMut() -> R,
    R: Future<Output = Result<Plan, String>>,
{
    let settled = settle(
        &awaiting_refresh(plan, report),
        &SETTLE_PAUSES,
        replan,
        || {
            told.progress(
                "Waiting for follower database settings to take effect at the next schema \
                 refresh...",
            );
        },
    )
    .await;
    let pending = match settled {
        Settled::Shown => return None,
        Settled::NotShown(pending) => pending,
        Settled::ReadFailed { pending, error } => {
            tracing::debug!("cannot read the follower database settings again: {error}");
            pending
        }
    };
    let names: Vec<String> = pending.iter().map(ToString::to_string).collect();
    let warning = format!(
        "the settings of {} were accepted but do not show yet; run `kfollow plan` in a few \
         minutes to confirm",
        if names.is_empty() {
            "the follower databases".to_owned()
        } else {
            names.join(", ")
        }
    );
    told.warn(&warning);
    Some(warning)
}

/// What reading a change again found, as the progress line after the address says it.
impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Live => f.write_str("live after all (read again)"),
            Found::NotApplied => f.write_str("not applied (read again)"),
            Found::InProgress(state) => {
                write!(
                    f,
                    "still in progress, `provisioningState` `{state}` (read again)"
                )
            }
            Found::NotShownYet => f.write_str("its settings do not show yet (read again)"),
        }
    }
}

/// `attachment.f1/sales: live after all (read again)`.
impl fmt::Display for Reread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.address, self.found)
    }
}

#[cfg(test)]
mod tests;
