//! A scripted [`Executor`] for tests and benchmarks: every operation takes a set (simulated)
//! time, some fail (or end with an unknown outcome) on purpose, every call is recorded with when
//! it started and ended, and each returns a [`Receipt`] naming its call.
//!
//! Operations are known by a label: the command text of a [`Operation::KustoCommand`], the
//! [`describe`](crate::describe) line of any other. Durations use tokio's clock, so a test on a
//! paused clock (`tokio::time::pause`, `start_paused`) runs instantly and deterministically.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use kfollow_azure::{Exchange, FinalStatus, Receipt};
use kfollow_model::{ClusterId, Operation};
use tokio::time::Instant;

use crate::executor::{ExecError, Executor, describe};

/// One call the fake executor received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation's label.
    pub label: String,
    /// The cluster it wrote to.
    pub cluster: ClusterId,
    /// When it started, since the executor was made.
    pub start: Duration,
    /// When it ended, since the executor was made.
    pub end: Duration,
    /// Logical clock at the start: calls and completions counted in the order they happened.
    pub start_tick: u64,
    /// Logical clock at the end.
    pub end_tick: u64,
    /// True when it was scripted to fail.
    pub failed: bool,
}

/// A scripted executor. See the module documentation.
#[derive(Debug)]
pub struct FakeExecutor {
    origin: Instant,
    default_duration: Duration,
    durations: HashMap<String, Duration>,
    failures: HashMap<String, String>,
    unknown: HashMap<String, String>,
    state: Mutex<Recorder>,
}

#[derive(Debug, Default)]
struct Recorder {
    tick: u64,
    calls: Vec<Call>,
    busy: HashSet<ClusterId>,
    in_flight: usize,
    max_in_flight: usize,
    overlaps: Vec<String>,
}

impl FakeExecutor {
    /// An executor where every operation succeeds after `default_duration`.
    pub fn new(default_duration: Duration) -> FakeExecutor {
        FakeExecutor {
            origin: Instant::now(),
            default_duration,
            durations: HashMap::new(),
            failures: HashMap::new(),
            unknown: HashMap::new(),
            state: Mutex::new(Recorder::default()),
        }
    }

    /// The operation labelled `label` takes `duration`.
    #[must_use]
    pub fn with_duration(mut self, label: impl Into<String>, duration: Duration) -> Self {
        self.durations.insert(label.into(), duration);
        self
    }

    /// The operation labelled `label` fails with `message` (after its duration).
    #[must_use]
    pub fn with_failure(mut self, label: impl Into<String>, message: impl Into<String>) -> Self {
        self.failures.insert(label.into(), message.into());
        self
    }

    /// The operation labelled `label` ends (after its duration) without anyone knowing whether
    /// it took effect, with `message`.
    #[must_use]
    pub fn with_unknown(mut self, label: impl Into<String>, message: impl Into<String>) -> Self {
        self.unknown.insert(label.into(), message.into());
        self
    }

    /// Every call so far, in the order they started.
    pub fn calls(&self) -> Vec<Call> {
        self.recorder().calls.clone()
    }

    /// The most operations that were in flight at one time.
    pub fn max_in_flight(&self) -> usize {
        self.recorder().max_in_flight
    }

    /// Labels of calls that started while another call on their cluster was in flight (the
    /// scheduler must keep this empty).
    pub fn overlaps(&self) -> Vec<String> {
        self.recorder().overlaps.clone()
    }

    fn recorder(&self) -> MutexGuard<'_, Recorder> {
        // A panic elsewhere in a test must not hide what was recorded.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The label the fake executor knows an operation by.
pub fn label(operation: &Operation) -> String {
    match operation {
        Operation::KustoCommand { csl, .. } => csl.clone(),
        other => describe(other),
    }
}

impl Executor for FakeExecutor {
    async fn execute(&self, operation: &Operation) -> Result<Receipt, ExecError> {
        let label = label(operation);
        let cluster = operation.cluster().clone();
        let (index, start) = {
            let mut recorder = self.recorder();
            if !recorder.busy.insert(cluster.clone()) {
                recorder.overlaps.push(label.clone());
            }
            recorder.in_flight += 1;
            recorder.max_in_flight = recorder.max_in_flight.max(recorder.in_flight);
            recorder.tick += 1;
            let start = self.origin.elapsed();
            let call = Call {
                label: label.clone(),
                cluster: cluster.clone(),
                start,
                end: start,
                start_tick: recorder.tick,
                end_tick: recorder.tick,
                failed: self.failures.contains_key(&label) || self.unknown.contains_key(&label),
            };
            recorder.calls.push(call);
            (recorder.calls.len() - 1, start)
        };
        let duration = self
            .durations
            .get(&label)
            .copied()
            .unwrap_or(self.default_duration);
        tokio::time::sleep(duration).await;
        {
            let mut recorder = self.recorder();
            recorder.busy.remove(&cluster);
            recorder.in_flight -= 1;
            recorder.tick += 1;
            let tick = recorder.tick;
            let call = &mut recorder.calls[index];
            call.end = start.max(self.origin.elapsed());
            call.end_tick = tick;
        }
        let mut receipt = Receipt {
            // The call's index names it, as a client request id names a request.
            requests: vec![Exchange {
                client_request_id: format!("fake-{index}"),
                status: Some(200),
                ..Exchange::default()
            }],
            submissions: 1,
            duration,
            status: FinalStatus::Succeeded,
            ..Receipt::default()
        };
        if let Some(message) = self.failures.get(&label) {
            receipt.status = FinalStatus::Failed;
            return Err(ExecError::msg(message.clone()).with_receipt(receipt));
        }
        if let Some(message) = self.unknown.get(&label) {
            receipt.status = FinalStatus::Unknown;
            return Err(ExecError::msg(message.clone())
                .with_receipt(receipt)
                .outcome_unknown());
        }
        Ok(receipt)
    }
}
