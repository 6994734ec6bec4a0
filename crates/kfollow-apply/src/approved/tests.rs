//! The run of an approved plan on a paused clock, with a scripted executor, scripted reads
//! and interrupts sent by hand.

#![allow(clippy::unwrap_used)]

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

    /// The `reported` closure of [`run_approved`]: heard, and refused when so asked.
    fn reported(&self, report: &ApplyReport) -> Result<(), String> {
        self.said("reported", &report.summary());
        if self.refuse_report {
            return Err("cannot write the world back".into());
        }
        Ok(())
    }
}

impl Listener for Heard {
    fn event(&self, event: &Event) {
        self.said("event", &event.to_string());
    }

    fn progress(&self, line: &str) {
        self.said("progress", line);
    }

    fn warn(&self, warning: &str) {
        self.said("warn", warning);
    }
}

/// Runs `plan` on `executor` with these reads of the live state, interrupting after each of
/// `interrupt_after` (on the paused clock, from the start).
async fn run(
    (plan, graph): &(Plan, DependencyGraph),
    executor: &FakeExecutor,
    script: &Script,
    heard: &Heard,
    interrupt_after: &[Duration],
) -> Result<Outcome, String> {
    let (interrupt, interrupts) = Interrupts::by_hand();
    let options = ApplyOptions { parallelism: 10 };
    let replan = || script.replan();
    let reported = |report: &ApplyReport| heard.reported(report);
    let running = run_approved(
        plan,
        graph,
        executor,
        &options,
        &interrupts,
        replan,
        heard,
        reported,
    );
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
    let heard = Heard::default();
    let ran = ran(run(&plan, &executor, &script, &heard, &[]).await);
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
    let heard = Heard::default();
    let ran = ran(run(&plan, &executor, &script, &heard, &[]).await);
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
    let heard = Heard::default();
    let interrupts = [SECOND, 3 * SECOND];
    let outcome = run(&plan, &executor, &script, &heard, &interrupts).await;
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
    let heard = Heard::default();
    let ran = ran(run(&plan, &executor, &script, &heard, &[SECOND]).await);
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
    let heard = Heard::default();
    // The writes end at 1 s; the reads after them at 1, 3 and 7 s.
    let outcome = run(&(plan, graph), &executor, &script, &heard, &[4 * SECOND]).await;
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
    let heard = Heard::default();
    let ran = ran(run(&(plan, graph), &executor, &script, &heard, &[]).await);
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
    let heard = Heard::default();
    let ran = ran(run(&plan, &executor, &script, &heard, &[]).await);
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
    let heard = Heard::default();
    let ran = ran(run(&plan, &executor, &script, &heard, &[]).await);
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
    let heard = Heard {
        refuse_report: true,
        ..Heard::default()
    };
    let outcome = run(&plan, &executor, &script, &heard, &[]).await;
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
