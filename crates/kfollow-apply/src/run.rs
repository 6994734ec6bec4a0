//! The apply loop: sends what the scheduler allows, waits for the first completion (or for
//! cancellation), tells the scheduler, repeats.
//!
//! Everything runs inside the caller's task: the in-flight operations are futures polled here,
//! not spawned tasks, so they may borrow the plan and the executor, and a test on a paused tokio
//! clock sees one deterministic interleaving.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;

use kfollow_azure::Receipt;
use kfollow_graph::DependencyGraph;
use tokio::time::Instant;

use crate::executor::{ExecError, Executor};
use crate::report::{ApplyReport, Event};
use crate::schedule::Scheduler;

/// How apply runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// At most this many changes in flight at once (Terraform's `-parallelism`); 0 counts as 1.
    pub parallelism: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { parallelism: 10 }
    }
}

type InFlight<'a> = Pin<Box<dyn Future<Output = Result<Receipt, ExecError>> + Send + 'a>>;

/// Runs the changes of `graph` through `executor` and reports what happened to every change.
///
/// - A change starts when every change it depends on (its edges in `graph`, which
///   `kfollow-graph` built and checked) succeeded; its operations run in order. A failed
///   change stops its dependents (transitively); independent changes go on. A change whose
///   operation has an unknown outcome ([`ExecError::is_outcome_unknown`]) stops the same way,
///   and is reported apart, in [`ApplyReport::unknown`].
/// - At most one operation is in flight per cluster ([`Operation::cluster`]) and at most
///   `options.parallelism` changes overall.
/// - When `cancel` resolves (Ctrl-C, say), no new change starts; changes already started run to
///   their end, so a replacement is never left half done by the interruption. Pass
///   [`std::future::pending()`] to never cancel.
/// - `events` hears every start, success, failure, unknown outcome and skip as it happens.
/// - The report keeps each operation's [`Receipt`], per change.
///
/// Only operations of the graph's changes are ever given to `executor`, each at most once.
///
/// [`Operation::cluster`]: kfollow_model::Operation::cluster
pub async fn apply<E: Executor>(
    graph: &DependencyGraph,
    executor: &E,
    options: &ApplyOptions,
    cancel: impl Future<Output = ()>,
    mut events: impl FnMut(Event),
) -> ApplyReport {
    let start = Instant::now();
    let mut cancel = pin!(cancel);
    let mut cancel_seen = false;
    let mut scheduler = Scheduler::new(graph, options.parallelism, &mut events);
    let mut in_flight: Vec<(usize, InFlight<'_>)> = Vec::new();
    let mut receipts: Vec<Vec<Receipt>> = vec![Vec::new(); graph.changes().count()];

    loop {
        if !cancel_seen && poll_fn(|cx| Poll::Ready(cancel.as_mut().poll(cx).is_ready())).await {
            cancel_seen = true;
            scheduler.cancel(&mut events);
        }
        for dispatch in scheduler.dispatch(Instant::now(), &mut events) {
            let operation = scheduler.operation(dispatch);
            in_flight.push((dispatch.change, Box::pin(executor.execute(operation))));
        }
        if in_flight.is_empty() {
            break;
        }

        // Wait for at least one completion, taking every one that is ready at this instant so
        // the next dispatch chooses with all freed clusters in view.
        let (done, cancelled) = poll_fn(|cx| {
            let cancelled = !cancel_seen && cancel.as_mut().poll(cx).is_ready();
            let mut done = Vec::new();
            let mut index = 0;
            while index < in_flight.len() {
                if let Poll::Ready(result) = in_flight[index].1.as_mut().poll(cx) {
                    let (change, _) = in_flight.remove(index);
                    done.push((change, result));
                } else {
                    index += 1;
                }
            }
            if done.is_empty() && !cancelled {
                Poll::Pending
            } else {
                Poll::Ready((done, cancelled))
            }
        })
        .await;

        let now = Instant::now();
        for (change, result) in done {
            let receipt = match &result {
                Ok(receipt) => Some(receipt.clone()),
                Err(error) => error.receipt().cloned(),
            };
            receipts[change].extend(receipt);
            scheduler.complete(change, result.as_ref().map(|_| ()), now, &mut events);
        }
        if cancelled {
            cancel_seen = true;
            scheduler.cancel(&mut events);
        }
    }
    scheduler.finish(start.elapsed(), receipts)
}
