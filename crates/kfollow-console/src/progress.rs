//! Apply's progress: a line as each change starts and ends, and for each change still in
//! flight a "Still attaching... [10s elapsed]" line every 10 seconds, as Terraform prints, so a
//! long operation reads as running, not hung, in a CI log as on a terminal. With `-q` nothing.
//! [`Progress`] is the [`Listener`] of an approved run, and tells how it ended: the outcome of
//! each change that did not simply succeed and the summary, or what a run stopped at once left
//! in flight.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use kfollow_apply::{Abandoned, ApplyReport, Event, Listener};
use kfollow_model::Action;

use super::{Output, Style};

type InFlight = Arc<Mutex<BTreeMap<String, (Action, Instant)>>>;

/// Tells apply's events as they happen, and knows what is in flight for the "Still …" lines.
pub struct Progress {
    output: Output,
    in_flight: InFlight,
    ticker: Option<tokio::task::AbortHandle>,
}

impl Progress {
    /// Starts telling; the "Still …" lines run on the current tokio runtime.
    pub fn start(output: Output) -> Progress {
        let in_flight = InFlight::default();
        let ticker = (!output.quiet())
            .then(|| tokio::spawn(still_running(output, in_flight.clone())).abort_handle());
        Progress {
            output,
            in_flight,
            ticker,
        }
    }

    /// Tells what came of each change that did not simply succeed, then the summary on
    /// stdout; the "Still …" lines stop.
    pub fn report(&self, report: &ApplyReport) {
        self.tell(outcome_lines(report));
        self.output.print(&format!("{}\n", report.summary()));
        self.stop();
    }

    /// Tells that a second interrupt stopped the writes at once, and what it left in flight;
    /// the "Still …" lines stop.
    pub fn abandoned(&self, abandoned: &Abandoned) {
        self.stop();
        self.tell(abandoned_lines(abandoned));
    }

    fn tell(&self, lines: Vec<Line>) {
        for line in lines {
            match line {
                Line::Error(text) => self.output.error(&text),
                Line::Warning(text) => self.output.warn(&text),
                Line::Message(text) => self.output.message(&text),
            }
        }
    }

    /// Stops the "Still …" lines (also when dropped).
    pub fn stop(&self) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
    }
}

impl Listener for Progress {
    /// Tells one event and keeps track of what is in flight.
    fn event(&self, event: &Event) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let style = match event {
            Event::Started { address, action } => {
                in_flight.insert(address.to_string(), (*action, Instant::now()));
                Style::Plain
            }
            Event::Succeeded { address, .. } => {
                in_flight.remove(&address.to_string());
                Style::Good
            }
            Event::Failed { address, .. } => {
                in_flight.remove(&address.to_string());
                Style::Bad
            }
            Event::Unknown { address, .. } => {
                in_flight.remove(&address.to_string());
                Style::Caution
            }
            Event::Skipped { .. } => Style::Caution,
        };
        self.output.progress(style, &event.to_string());
    }

    fn progress(&self, line: &str) {
        self.output.progress(Style::Plain, line);
    }

    fn warn(&self, warning: &str) {
        self.output.warn(warning);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A line on stderr of how a run ended.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// `Error: …`.
    Error(String),
    /// `Warning: …`.
    Warning(String),
    /// As it is.
    Message(String),
}

/// The changes that did not simply succeed: a failure is an error, an unknown outcome a
/// warning, a change not attempted a message.
fn outcome_lines(report: &ApplyReport) -> Vec<Line> {
    let failed = report
        .failed
        .iter()
        .map(|change| Line::Error(format!("{} failed: {}", change.address, change.error)));
    let unknown = report
        .unknown
        .iter()
        .map(|change| Line::Warning(format!("{}: {}", change.address, change.error)));
    let not_attempted = report
        .not_attempted
        .iter()
        .map(|change| Line::Message(format!("{}: {}", change.address, change.reason)));
    failed.chain(unknown).chain(not_attempted).collect()
}

/// The error of a run stopped at once, then what it left in flight.
fn abandoned_lines(abandoned: &Abandoned) -> Vec<Line> {
    let error = "interrupted again: stopped at once, without waiting for the changes in flight";
    let in_flight = abandoned.lines(verb).into_iter().map(Line::Message);
    std::iter::once(Line::Error(error.to_owned()))
        .chain(in_flight)
        .collect()
}

/// `attaching`, for "Still attaching...".
fn verb(action: Action) -> &'static str {
    match action {
        Action::Attach => "attaching",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Detach => "detaching",
    }
}

async fn still_running(output: Output, in_flight: InFlight) {
    let every = output.still_every();
    loop {
        tokio::time::sleep(every).await;
        let lines: Vec<String> = {
            let in_flight = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
            in_flight
                .iter()
                .map(|(address, (action, since))| {
                    format!(
                        "{address}: Still {}... [{} elapsed]",
                        verb(*action),
                        kfollow_apply::format_elapsed(since.elapsed())
                    )
                })
                .collect()
        };
        for line in lines {
            output.progress(Style::Plain, &line);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kfollow_apply::{Failed, InFlight, NotAttempted, NotAttemptedReason};
    use kfollow_model::Address;

    use super::*;

    fn address(name: &str) -> Address {
        Address::Attachment {
            follower: "f1".into(),
            name: name.into(),
        }
    }

    fn failed(name: &str, error: &str) -> Failed {
        Failed {
            address: address(name),
            action: Action::Attach,
            completed_operations: 0,
            operations: 1,
            error: error.into(),
            receipts: Vec::new(),
        }
    }

    #[test]
    fn a_report_tells_failures_then_unknown_outcomes_then_changes_not_attempted() {
        let report = ApplyReport {
            failed: vec![failed("a", "refused")],
            unknown: vec![failed("b", "no answer")],
            not_attempted: vec![NotAttempted {
                address: address("c"),
                action: Action::Attach,
                reason: NotAttemptedReason::Cancelled,
            }],
            ..ApplyReport::default()
        };
        assert_eq!(
            outcome_lines(&report),
            [
                Line::Error("attachment.f1/a failed: refused".into()),
                Line::Warning("attachment.f1/b: no answer".into()),
                Line::Message(
                    "attachment.f1/c: not attempted because apply was interrupted".into()
                ),
            ]
        );
        assert_eq!(outcome_lines(&ApplyReport::default()), []);
    }

    #[test]
    fn a_run_stopped_at_once_is_an_error_then_what_was_in_flight() {
        let abandoned = Abandoned {
            events: Vec::new(),
            in_flight: vec![InFlight {
                address: address("a"),
                action: Action::Detach,
                elapsed: Duration::from_secs(12),
            }],
        };
        let lines = abandoned_lines(&abandoned);
        assert_eq!(
            lines[..3],
            [
                Line::Error(
                    "interrupted again: stopped at once, without waiting for the changes in \
                     flight"
                        .into()
                ),
                Line::Message("These changes were in flight; their outcome is unknown:".into()),
                Line::Message("  attachment.f1/a (detaching, for 12s)".into()),
            ]
        );
        assert_eq!(lines.len(), 4);
    }
}
