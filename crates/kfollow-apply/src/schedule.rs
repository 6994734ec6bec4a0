//! The scheduler's bookkeeping, without any waiting: which change may start, which operation
//! may be sent, what a completion unblocks. [`crate::run`] drives it over the plan's
//! [`DependencyGraph`], whose edges `kfollow-graph` found or checked: the scheduler walks them
//! and never derives one of its own.
//!
//! Rules:
//! - a change becomes ready when every change it depends on succeeded;
//! - a change in flight holds one of `parallelism` slots until its last operation ends;
//! - an operation is sent only while its cluster has nothing else in flight; the lock is taken
//!   per operation, so a change spanning two clusters holds them one at a time (and never
//!   waits while holding one, so there is no deadlock);
//! - a change waiting for its next cluster is served before a new change starts on it;
//! - among ready changes, the one whose cluster has the most work left starts first
//!   (longest-queue-first), so the busiest cluster never waits on the parallelism cap; ties go
//!   to plan order. A ready change whose cluster is busy does not take a slot.

use std::collections::{BTreeSet, HashMap};

use kfollow_graph::{DependencyGraph, NodeIndex};
use kfollow_model::{Change, ClusterId, Operation};
use tokio::time::Instant;

use kfollow_azure::Receipt;

use crate::executor::ExecError;
use crate::report::{ApplyReport, Event, Failed, NotAttempted, NotAttemptedReason, Succeeded};

/// An operation the runner must send now: operation `operation` of the change at node
/// `change` of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dispatch {
    pub change: usize,
    pub operation: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    /// Waiting for dependencies.
    Blocked,
    /// Dependencies met, not started.
    Ready,
    /// Holds a slot; `sending` while one of its operations is in flight.
    Running { started: Instant, sending: bool },
    /// Done, one way or another.
    Settled(Outcome),
}

struct Node {
    state: State,
    /// Dependencies that have not succeeded yet.
    waiting_on: usize,
    /// The nodes that wait for this one, in execution order.
    dependents: Vec<usize>,
    /// The next operation to send.
    next: usize,
}

pub(crate) struct Scheduler<'p> {
    graph: &'p DependencyGraph,
    parallelism: usize,
    nodes: Vec<Node>,
    /// Operations not yet sent per cluster index, counting only changes that may still run.
    remaining: Vec<usize>,
    /// Clusters with an operation in flight.
    busy: BTreeSet<usize>,
    /// Cluster ids by a small index, so sets of them are cheap and ordered.
    cluster_index: HashMap<&'p ClusterId, usize>,
    /// Ready changes by the cluster of their first operation.
    ready: Vec<BTreeSet<usize>>,
    running: usize,
    cancelled: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Succeeded(std::time::Duration),
    /// Stopped at an operation that failed or, when `unknown`, whose outcome is unknown.
    Failed {
        completed: usize,
        error: String,
        unknown: bool,
    },
    NotAttempted(NotAttemptedReason),
}

impl<'p> Scheduler<'p> {
    /// Builds the bookkeeping for `graph`: every change without dependencies is ready.
    pub fn new(
        graph: &'p DependencyGraph,
        parallelism: usize,
        events: &mut impl FnMut(Event),
    ) -> Self {
        let mut cluster_index: HashMap<&ClusterId, usize> = HashMap::new();
        let mut remaining: Vec<usize> = Vec::new();
        for change in graph.changes() {
            for operation in &change.operations {
                let cluster = operation.cluster();
                let index = *cluster_index.entry(cluster).or_insert_with(|| {
                    remaining.push(0);
                    remaining.len() - 1
                });
                remaining[index] += 1;
            }
        }
        let nodes: Vec<Node> = graph
            .nodes()
            .map(|node| {
                let mut dependents: Vec<usize> =
                    graph.dependents(node).map(NodeIndex::index).collect();
                dependents.sort_unstable();
                Node {
                    state: State::Blocked,
                    waiting_on: graph.dependencies(node).count(),
                    dependents,
                    next: 0,
                }
            })
            .collect();

        let mut scheduler = Scheduler {
            graph,
            parallelism: parallelism.max(1),
            nodes,
            busy: BTreeSet::new(),
            ready: vec![BTreeSet::new(); remaining.len()],
            remaining,
            cluster_index,
            running: 0,
            cancelled: false,
        };
        let start = Instant::now();
        for index in 0..scheduler.nodes.len() {
            if scheduler.nodes[index].state == State::Blocked
                && scheduler.nodes[index].waiting_on == 0
            {
                scheduler.make_ready(index, start, events);
            }
        }
        scheduler
    }

    /// What to send now: operations of running changes whose cluster just came free, then the
    /// first operations of new changes while slots remain. Emits [`Event::Started`].
    pub fn dispatch(&mut self, now: Instant, events: &mut impl FnMut(Event)) -> Vec<Dispatch> {
        let mut out = Vec::new();
        // Running changes between two operations: they hold a slot already.
        for index in 0..self.nodes.len() {
            if let State::Running { sending: false, .. } = self.nodes[index].state {
                let cluster = self.cluster_of_next(index);
                if !self.busy.contains(&cluster) {
                    out.push(self.send(index));
                }
            }
        }
        if self.cancelled {
            return out;
        }
        while self.running < self.parallelism {
            let Some(index) = self.best_ready() else {
                break;
            };
            let cluster = self.cluster_of_next(index);
            self.ready[cluster].remove(&index);
            self.nodes[index].state = State::Running {
                started: now,
                sending: false,
            };
            self.running += 1;
            events(Event::Started {
                address: self.change(index).address.clone(),
                action: self.change(index).action,
            });
            out.push(self.send(index));
        }
        out
    }

    /// Records the end of the operation last sent for `change`.
    pub fn complete(
        &mut self,
        change: usize,
        result: Result<(), &ExecError>,
        now: Instant,
        events: &mut impl FnMut(Event),
    ) {
        let cluster = self.cluster_of_next(change);
        self.busy.remove(&cluster);
        let State::Running { started, .. } = self.nodes[change].state else {
            return;
        };
        let plan_change = self.change(change);
        match result {
            Ok(()) => {
                self.nodes[change].next += 1;
                if self.nodes[change].next < plan_change.operations.len() {
                    self.nodes[change].state = State::Running {
                        started,
                        sending: false,
                    };
                    return;
                }
                self.running -= 1;
                self.succeed(change, now - started, now, events);
            }
            Err(error) => {
                self.running -= 1;
                let completed = self.nodes[change].next;
                // Its unsent operations will never be sent.
                self.forget_remaining(change, completed + 1);
                let operations = plan_change.operations.len();
                let unknown = error.is_outcome_unknown();
                // "failed" would be wrong for an operation that may well have taken effect.
                let ended = if unknown {
                    "has an unknown outcome"
                } else {
                    "failed"
                };
                let error = if operations > 1 {
                    format!(
                        "operation {} of {operations} ({}) {ended}: {error}",
                        completed + 1,
                        crate::describe(&plan_change.operations[completed])
                    )
                } else {
                    format!(
                        "{} {ended}: {error}",
                        crate::describe(&plan_change.operations[completed])
                    )
                };
                let (address, action) = (plan_change.address.clone(), plan_change.action);
                let dependency = address.clone();
                let (event, reason) = if unknown {
                    (
                        Event::Unknown {
                            address,
                            action,
                            error: error.clone(),
                        },
                        NotAttemptedReason::DependencyUnknown { dependency },
                    )
                } else {
                    (
                        Event::Failed {
                            address,
                            action,
                            error: error.clone(),
                        },
                        NotAttemptedReason::DependencyFailed { dependency },
                    )
                };
                events(event);
                self.nodes[change].state = State::Settled(Outcome::Failed {
                    completed,
                    error,
                    unknown,
                });
                self.stop_dependents(change, &reason, events);
            }
        }
    }

    /// Stops starting new changes: every change not yet started is settled as not attempted.
    /// Running changes go on to their end.
    pub fn cancel(&mut self, events: &mut impl FnMut(Event)) {
        if self.cancelled {
            return;
        }
        self.cancelled = true;
        for index in 0..self.nodes.len() {
            if matches!(self.nodes[index].state, State::Blocked | State::Ready) {
                self.settle_not_attempted(index, NotAttemptedReason::Cancelled, events);
            }
        }
    }

    /// The report, once nothing is in flight, with the receipts of each change's operations
    /// (by plan index). In a DAG every change is settled by then: each one either ran, or has
    /// a dependency that failed or was cancelled.
    pub fn finish(
        self,
        elapsed: std::time::Duration,
        mut receipts: Vec<Vec<Receipt>>,
    ) -> ApplyReport {
        let mut report = ApplyReport {
            cancelled: self.cancelled,
            elapsed,
            ..ApplyReport::default()
        };
        receipts.resize_with(self.nodes.len(), Vec::new);
        for ((change, node), receipts) in self.graph.changes().zip(self.nodes).zip(receipts) {
            let address = change.address.clone();
            let action = change.action;
            match node.state {
                State::Settled(Outcome::Succeeded(elapsed)) => report.succeeded.push(Succeeded {
                    address,
                    action,
                    elapsed,
                    receipts,
                }),
                State::Settled(Outcome::Failed {
                    completed,
                    error,
                    unknown,
                }) => {
                    let stopped = Failed {
                        address,
                        action,
                        completed_operations: completed,
                        operations: change.operations.len(),
                        error,
                        receipts,
                    };
                    if unknown {
                        report.unknown.push(stopped);
                    } else {
                        report.failed.push(stopped);
                    }
                }
                State::Settled(Outcome::NotAttempted(reason)) => {
                    report.not_attempted.push(NotAttempted {
                        address,
                        action,
                        reason,
                    })
                }
                // Unreachable once every change is settled; report it rather than panic.
                _ => report.not_attempted.push(NotAttempted {
                    address,
                    action,
                    reason: NotAttemptedReason::Cancelled,
                }),
            }
        }
        report
    }

    /// The operation a dispatch sends.
    pub fn operation(&self, dispatch: Dispatch) -> &'p Operation {
        &self.change(dispatch.change).operations[dispatch.operation]
    }

    /// The change at node `index` of the graph.
    fn change(&self, index: usize) -> &'p Change {
        self.graph.change(NodeIndex::new(index))
    }

    fn send(&mut self, index: usize) -> Dispatch {
        let cluster = self.cluster_of_next(index);
        self.busy.insert(cluster);
        let node = &mut self.nodes[index];
        if let State::Running { sending, .. } = &mut node.state {
            *sending = true;
        }
        let operation = node.next;
        self.remaining[cluster] = self.remaining[cluster].saturating_sub(1);
        Dispatch {
            change: index,
            operation,
        }
    }

    /// The ready change to start next: on a free cluster, the one with the most work left.
    fn best_ready(&self) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None; // (remaining, change)
        for (cluster, ready) in self.ready.iter().enumerate() {
            let Some(&first) = ready.first() else {
                continue;
            };
            if self.busy.contains(&cluster) {
                continue;
            }
            let left = self.remaining[cluster];
            let better = match best {
                None => true,
                Some((best_left, best_change)) => {
                    left > best_left || (left == best_left && first < best_change)
                }
            };
            if better {
                best = Some((left, first));
            }
        }
        best.map(|(_, change)| change)
    }

    /// The cluster of the operation `index` sends next (or sent last, while it is in flight).
    /// Never called for a change without operations: those settle in `make_ready`.
    fn cluster_of_next(&self, index: usize) -> usize {
        let change = self.change(index);
        let operation = self.nodes[index].next.min(change.operations.len() - 1);
        self.cluster_index[change.operations[operation].cluster()]
    }

    fn make_ready(&mut self, index: usize, now: Instant, events: &mut impl FnMut(Event)) {
        if self.change(index).operations.is_empty() {
            // Nothing to send: it succeeds as soon as it may run, without a slot.
            events(Event::Started {
                address: self.change(index).address.clone(),
                action: self.change(index).action,
            });
            self.succeed(index, std::time::Duration::ZERO, now, events);
            return;
        }
        self.nodes[index].state = State::Ready;
        let cluster = self.cluster_of_next(index);
        self.ready[cluster].insert(index);
    }

    fn succeed(
        &mut self,
        index: usize,
        elapsed: std::time::Duration,
        now: Instant,
        events: &mut impl FnMut(Event),
    ) {
        self.nodes[index].state = State::Settled(Outcome::Succeeded(elapsed));
        events(Event::Succeeded {
            address: self.change(index).address.clone(),
            action: self.change(index).action,
            elapsed,
        });
        let dependents = self.nodes[index].dependents.clone();
        for dependent in dependents {
            let node = &mut self.nodes[dependent];
            node.waiting_on = node.waiting_on.saturating_sub(1);
            if node.waiting_on == 0 && node.state == State::Blocked {
                if self.cancelled {
                    self.settle_not_attempted(dependent, NotAttemptedReason::Cancelled, events);
                } else {
                    self.make_ready(dependent, now, events);
                }
            }
        }
    }

    /// Settles every change that (transitively) depends on `index` as not attempted.
    fn stop_dependents(
        &mut self,
        index: usize,
        reason: &NotAttemptedReason,
        events: &mut impl FnMut(Event),
    ) {
        let mut stack = self.nodes[index].dependents.clone();
        while let Some(dependent) = stack.pop() {
            if matches!(
                self.nodes[dependent].state,
                State::Running { .. } | State::Settled(_)
            ) {
                continue;
            }
            self.settle_not_attempted(dependent, reason.clone(), events);
            stack.extend(self.nodes[dependent].dependents.iter().copied());
        }
    }

    fn settle_not_attempted(
        &mut self,
        index: usize,
        reason: NotAttemptedReason,
        events: &mut impl FnMut(Event),
    ) {
        if self.nodes[index].state == State::Ready {
            let cluster = self.cluster_of_next(index);
            self.ready[cluster].remove(&index);
        }
        self.forget_remaining(index, 0);
        events(Event::Skipped {
            address: self.change(index).address.clone(),
            action: self.change(index).action,
            reason: reason.clone(),
        });
        self.nodes[index].state = State::Settled(Outcome::NotAttempted(reason));
    }

    /// Takes the operations of `index` from `from` on out of the per-cluster work left.
    fn forget_remaining(&mut self, index: usize, from: usize) {
        for operation in self.change(index).operations.iter().skip(from) {
            let cluster = self.cluster_index[operation.cluster()];
            self.remaining[cluster] = self.remaining[cluster].saturating_sub(1);
        }
    }
}
