//! The run of a plan once it is approved, as `kfollow apply` makes it: the writes, then a
//! second read of what apply could not see the end of, then the wait for follower database
//! settings to show; with Ctrl-C and SIGTERM as Terraform treats them ([`Interrupts`]).
//!
//! [`run_approved`] owns the order of those steps and what each interrupt does at each of them:
//! during the writes, the first stops new changes and the second stops at once
//! ([`Outcome::Abandoned`], naming what was in flight); during either read, one more interrupt
//! stops that read. Everything it tells goes through a [`Listener`]; it prints nothing itself.
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

/// What the caller hears while an approved plan runs, to tell the user and keep the evidence.
pub trait Listener {
    /// What [`Listener::reported`] may fail with; it ends the run.
    type Error;

    /// A change started, ended, or will not start.
    fn event(&self, event: &Event);

    /// A line of progress among the changes' lines (an empty one ends a block).
    fn progress(&self, line: &str);

    /// Something the user should know; the run goes on.
    fn warn(&self, warning: &str);

    /// The outcome of every change, as far as the second read could tell, before follower
    /// database settings are awaited: the moment to tell it and keep it.
    ///
    /// # Errors
    ///
    /// Whatever keeping it failed with; the run stops there, before the wait.
    fn reported(&mut self, report: &ApplyReport) -> Result<(), Self::Error>;
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
/// the live state with `replan`. Tells `listener` everything as it happens.
///
/// - During the writes, the first interrupt stops new changes from starting and lets the ones
///   in flight finish; the second returns [`Outcome::Abandoned`] at once.
/// - Then the changes with an unknown outcome are read again ([`reread_unknown`]) and moved in
///   the report to where that read puts them; an interrupt stops the read, and they stay
///   unknown.
/// - [`Listener::reported`] hears the report.
/// - Then the follower database settings just changed are awaited ([`settle`]); when they do
///   not show, or an interrupt stops the wait, the warning is told and returned in
///   [`Ran::warnings`].
/// - Last, a targeted plan warns that only part of the manifest was applied.
///
/// # Errors
///
/// What [`Listener::reported`] failed with.
pub async fn run_approved<E, F, R, L>(
    plan: &Plan,
    graph: &DependencyGraph,
    executor: &E,
    options: &ApplyOptions,
    interrupts: &Interrupts,
    mut replan: F,
    listener: &mut L,
) -> Result<Outcome, L::Error>
where
    E: Executor,
    F: FnMut() -> R,
    R: Future<Output = Result<Plan, String>>,
    L: Listener,
{
    let told = &*listener;
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
    listener.reported(&report)?;
    let told = &*listener;
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
#[allow(clippy::unwrap_used)]
mod tests {
    use std::cell::RefCell;

    use kfollow_model::{Change, ClusterId, Operation, Targeting};

    use super::*;
    use crate::fake::FakeExecutor;
    use crate::script::{Script, attach, attachment};

    const SECOND: Duration = Duration::from_secs(1);

    /// A change named `name` sending one management command labelled `name` to `cluster`.
    fn change(name: &str, cluster: &str, depends_on: &[&str]) -> Change {
        let command = Operation::KustoCommand {
            cluster: ClusterId::new("sub", "rg", cluster).unwrap(),
            database: "db".into(),
            csl: name.into(),
        };
        attach(name, vec![command], depends_on)
    }

    fn plan_of(changes: Vec<Change>) -> (Plan, DependencyGraph) {
        let graph = DependencyGraph::from_depends_on(changes.clone()).unwrap();
        let plan = Plan {
            changes,
            ..Plan::default()
        };
        (plan, graph)
    }

    /// A fresh plan in which these changes are still to do.
    fn still(names: &[&str]) -> Result<Plan, String> {
        Ok(plan_of(names.iter().map(|n| change(n, "c", &[])).collect()).0)
    }

    /// Everything a listener heard, one line each, `kind: text`.
    #[derive(Default)]
    struct Heard {
        lines: RefCell<Vec<String>>,
        refuse_report: bool,
    }

    impl Heard {
        fn said(&self, kind: &str, text: &str) {
            self.lines.borrow_mut().push(format!("{kind}: {text}"));
        }

        fn lines(&self) -> Vec<String> {
            self.lines.borrow().clone()
        }
    }

    impl Listener for Heard {
        type Error = String;

        fn event(&self, event: &Event) {
            self.said("event", &event.to_string());
        }

        fn progress(&self, line: &str) {
            self.said("progress", line);
        }

        fn warn(&self, warning: &str) {
            self.said("warn", warning);
        }

        fn reported(&mut self, report: &ApplyReport) -> Result<(), String> {
            self.said("reported", &report.summary());
            if self.refuse_report {
                return Err("cannot write the world back".into());
            }
            Ok(())
        }
    }

    /// Runs `plan` on `executor` with these reads of the live state, interrupting after each of
    /// `interrupt_after` (on the paused clock, from the start).
    async fn run(
        (plan, graph): &(Plan, DependencyGraph),
        executor: &FakeExecutor,
        script: &Script,
        heard: &mut Heard,
        interrupt_after: &[Duration],
    ) -> Result<Outcome, String> {
        let (interrupt, interrupts) = Interrupts::by_hand();
        let options = ApplyOptions { parallelism: 10 };
        let replan = || script.replan();
        let running = run_approved(plan, graph, executor, &options, &interrupts, replan, heard);
        let interrupting = async {
            let start = Instant::now();
            for after in interrupt_after {
                tokio::time::sleep_until(start + *after).await;
                interrupt();
            }
        };
        let (outcome, ()) = tokio::join!(running, interrupting);
        outcome
    }

    fn ran(outcome: Result<Outcome, String>) -> Ran {
        match outcome {
            Ok(Outcome::Ran(ran)) => ran,
            other => panic!("not run to its end: {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_plan_that_succeeds_is_reported_and_its_settings_read_once() {
        let plan = plan_of(vec![change("a", "c", &[])]);
        let executor = FakeExecutor::new(SECOND);
        let script = Script::new(vec![still(&[])]);
        let mut heard = Heard::default();
        let ran = ran(run(&plan, &executor, &script, &mut heard, &[]).await);
        assert!(ran.report.is_complete());
        assert_eq!((ran.warnings.len(), ran.interrupted), (0, false));
        assert_eq!(script.reads.get(), 1);
        assert_eq!(
            heard.lines(),
            [
                "event: attachment.f1/a: Attaching...",
                "event: attachment.f1/a: Attached after 1s",
                "progress: ",
                "reported: Apply complete! 1 attached, 0 changed, 0 replaced, 0 detached.",
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn settings_that_do_not_show_are_warned_about_and_kept_for_the_record() {
        let plan = plan_of(vec![change("a", "c", &[])]);
        let executor = FakeExecutor::new(SECOND);
        let script = Script::new((0..5).map(|_| still(&["a"])).collect());
        let mut heard = Heard::default();
        let ran = ran(run(&plan, &executor, &script, &mut heard, &[]).await);
        let warning = "the settings of attachment.f1/a were accepted but do not show yet; run \
                       `kfollow plan` in a few minutes to confirm";
        assert_eq!(ran.warnings, [warning]);
        let lines = heard.lines();
        assert_eq!(
            lines[lines.len() - 2..],
            [
                "progress: Waiting for follower database settings to take effect at the next \
                 schema refresh..."
                    .to_owned(),
                format!("warn: {warning}"),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_interrupt_stops_new_changes_and_the_second_names_what_was_in_flight() {
        let plan = plan_of(vec![change("a", "c", &[]), change("b", "c", &["a"])]);
        let executor = FakeExecutor::new(10 * SECOND);
        let script = Script::new(Vec::new());
        let mut heard = Heard::default();
        let interrupts = [SECOND, 3 * SECOND];
        let outcome = run(&plan, &executor, &script, &mut heard, &interrupts).await;
        let Ok(Outcome::Abandoned(abandoned)) = outcome else {
            panic!("not abandoned: {outcome:?}");
        };
        let in_flight = InFlight {
            address: attachment("a"),
            action: Action::Attach,
            elapsed: 3 * SECOND,
        };
        assert_eq!(abandoned.in_flight, [in_flight]);
        assert_eq!(abandoned.events.len(), 2, "{:?}", abandoned.events);
        assert_eq!(
            heard.lines(),
            [
                "event: attachment.f1/a: Attaching...".to_owned(),
                format!("warn: {FIRST_INTERRUPT}"),
                "event: attachment.f1/b: not attempted because apply was interrupted".to_owned(),
            ]
        );
        let verb = |_| "attaching";
        assert_eq!(
            abandoned.lines(verb),
            [
                "These changes were in flight; their outcome is unknown:",
                "  attachment.f1/a (attaching, for 3s)",
                "Changes not started were not made. Run `kfollow plan` to see what is live now \
                 and what remains to do.",
            ]
        );
        let none = Abandoned {
            events: Vec::new(),
            in_flight: Vec::new(),
        };
        assert_eq!(none.lines(verb)[0], "No change was in flight.");
    }

    #[tokio::test(start_paused = true)]
    async fn after_one_interrupt_the_changes_in_flight_finish_and_are_reported() {
        let plan = plan_of(vec![change("a", "c", &[]), change("b", "c", &["a"])]);
        let executor = FakeExecutor::new(10 * SECOND);
        let script = Script::new(vec![still(&[])]);
        let mut heard = Heard::default();
        let ran = ran(run(&plan, &executor, &script, &mut heard, &[SECOND]).await);
        assert!(ran.report.cancelled);
        assert_eq!(ran.report.succeeded.len(), 1);
        assert_eq!(ran.report.not_attempted.len(), 1);
        assert!(!ran.interrupted);
        assert_eq!(executor.calls().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_while_waiting_for_settings_stops_the_wait_and_is_recorded() {
        let (mut plan, graph) = plan_of(vec![change("a", "c", &[])]);
        plan.targeting = Some(Targeting {
            targets: vec!["attachment.f1/a".into()],
            left_out: 1,
        });
        let executor = FakeExecutor::new(SECOND);
        let script = Script::new((0..5).map(|_| still(&["a"])).collect());
        let mut heard = Heard::default();
        // The writes end at 1 s; the reads after them at 1, 3 and 7 s.
        let outcome = run(
            &(plan, graph),
            &executor,
            &script,
            &mut heard,
            &[4 * SECOND],
        )
        .await;
        let ran = ran(outcome);
        assert!(ran.interrupted);
        assert_eq!(ran.warnings, [SETTLE_INTERRUPTED]);
        assert_eq!(script.reads.get(), 2);
        // No word of the targets: the run stopped before it.
        assert_eq!(
            heard.lines().last().unwrap(),
            &format!("warn: {SETTLE_INTERRUPTED}")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_targeted_plan_says_that_only_its_targets_were_applied() {
        let (mut plan, graph) = plan_of(vec![change("a", "c", &[])]);
        plan.targeting = Some(Targeting {
            targets: vec!["cluster.f".into(), "attachment.g/b".into()],
            left_out: 1,
        });
        let executor = FakeExecutor::new(SECOND);
        let script = Script::new(vec![still(&[])]);
        let mut heard = Heard::default();
        let ran = ran(run(&(plan, graph), &executor, &script, &mut heard, &[]).await);
        assert!(ran.warnings.is_empty());
        assert_eq!(
            heard.lines().last().unwrap(),
            "warn: only the changes of cluster.f, attachment.g/b and what they depend on were \
             applied; run `kfollow plan` to see what is left"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_outcomes_are_read_again_and_told_before_the_report() {
        let plan = plan_of(vec![change("a", "c", &[])]);
        let executor = FakeExecutor::new(SECOND).with_unknown("a", "its answer was lost");
        // The second read, then the wait for the settings of what turned out live.
        let script = Script::new(vec![still(&[]), still(&[])]);
        let mut heard = Heard::default();
        let ran = ran(run(&plan, &executor, &script, &mut heard, &[]).await);
        assert!(ran.report.is_complete(), "{:?}", ran.report);
        assert_eq!(script.reads.get(), 2);
        assert_eq!(
            heard.lines()[2..],
            [
                "progress: ",
                "progress: Reading the live state again for 1 change(s) whose outcome is \
                 unknown...",
                "progress: attachment.f1/a: live after all (read again)",
                "reported: Apply complete! 1 attached, 0 changed, 0 replaced, 0 detached.",
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_second_read_that_fails_is_warned_about_and_the_outcome_stays_unknown() {
        let plan = plan_of(vec![change("a", "c", &[])]);
        let executor = FakeExecutor::new(SECOND).with_unknown("a", "its answer was lost");
        let script = Script::new(vec![Err("ARM answered 500".into())]);
        let mut heard = Heard::default();
        let ran = ran(run(&plan, &executor, &script, &mut heard, &[]).await);
        assert_eq!(ran.report.unknown.len(), 1);
        assert!(
            heard.lines().contains(
                &"warn: cannot read the live state again to learn the unknown outcomes: ARM \
              answered 500"
                    .to_owned()
            )
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_report_that_cannot_be_kept_ends_the_run_before_the_wait() {
        let plan = plan_of(vec![change("a", "c", &[])]);
        let executor = FakeExecutor::new(SECOND);
        // No read is scripted: the wait must not read.
        let script = Script::new(Vec::new());
        let mut heard = Heard {
            refuse_report: true,
            ..Heard::default()
        };
        let outcome = run(&plan, &executor, &script, &mut heard, &[]).await;
        assert_eq!(outcome, Err("cannot write the world back".to_owned()));
        assert_eq!(script.reads.get(), 0);
    }

    #[test]
    fn what_a_second_read_found_reads_as_a_progress_line() {
        let reread = |found| Reread {
            address: attachment("a"),
            found,
        };
        let lines: Vec<String> = [
            Found::Live,
            Found::NotApplied,
            Found::InProgress("Creating".into()),
            Found::NotShownYet,
        ]
        .into_iter()
        .map(|found| reread(found).to_string())
        .collect();
        assert_eq!(
            lines,
            [
                "attachment.f1/a: live after all (read again)",
                "attachment.f1/a: not applied (read again)",
                "attachment.f1/a: still in progress, `provisioningState` `Creating` (read again)",
                "attachment.f1/a: its settings do not show yet (read again)",
            ]
        );
    }
}
