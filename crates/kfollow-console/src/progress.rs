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
        let output = self.output;
        for failed in &report.failed {
            output.error(&format!("{} failed: {}", failed.address, failed.error));
        }
        for unknown in &report.unknown {
            output.warn(&format!("{}: {}", unknown.address, unknown.error));
        }
        for skipped in &report.not_attempted {
            output.message(&format!("{}: {}", skipped.address, skipped.reason));
        }
        output.print(&format!("{}\n", report.summary()));
        self.stop();
    }

    /// Tells that a second interrupt stopped the writes at once, and what it left in flight;
    /// the "Still …" lines stop.
    pub fn abandoned(&self, abandoned: &Abandoned) {
        self.stop();
        self.output
            .error("interrupted again: stopped at once, without waiting for the changes in flight");
        for line in abandoned.lines(verb) {
            self.output.message(&line);
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
