//! Small builders for plans made of Kusto commands: the fake executor knows a command by its
//! text, so every operation here is labelled by what it is.

#![allow(dead_code)]

use std::time::Duration;

use kfollow_apply::{ApplyOptions, ApplyReport, Event, Executor, apply};
use kfollow_graph::DependencyGraph;
use kfollow_model::{Action, Address, Change, ClusterId, Operation};

pub const SECOND: Duration = Duration::from_secs(1);

pub fn cluster(name: &str) -> ClusterId {
    ClusterId::new("sub", "rg", name).unwrap()
}

pub fn address(name: &str) -> Address {
    Address::Attachment {
        follower: "f".into(),
        name: name.into(),
    }
}

/// An operation on `cluster`, labelled `label`.
pub fn op(cluster_name: &str, label: &str) -> Operation {
    Operation::KustoCommand {
        cluster: cluster(cluster_name),
        database: "db".into(),
        csl: label.into(),
    }
}

/// A change named `name` with one operation on `cluster`, labelled `name`.
pub fn one(name: &str, cluster_name: &str, depends_on: &[&str]) -> Change {
    change(
        name,
        Action::Attach,
        vec![op(cluster_name, name)],
        depends_on,
    )
}

pub fn change(
    name: &str,
    action: Action,
    operations: Vec<Operation>,
    depends_on: &[&str],
) -> Change {
    Change {
        address: address(name),
        action,
        attributes: Vec::new(),
        unchanged_attributes: 0,
        reason: None,
        operations,
        depends_on: depends_on.iter().map(|d| address(d)).collect(),
        origin: None,
    }
}

/// The graph of changes listed in execution order with their `depends_on`, as a saved plan
/// holds them.
pub fn plan(changes: Vec<Change>) -> DependencyGraph {
    DependencyGraph::from_depends_on(changes).unwrap()
}

/// Applies without cancellation and returns the report and every event.
pub async fn run(
    plan: &DependencyGraph,
    executor: &impl Executor,
    parallelism: usize,
) -> (ApplyReport, Vec<Event>) {
    let mut events = Vec::new();
    let report = apply(
        plan,
        executor,
        &ApplyOptions { parallelism },
        std::future::pending(),
        |event| events.push(event),
    )
    .await;
    (report, events)
}

/// The most changes in flight at once, from the event stream.
pub fn max_changes_in_flight(events: &[Event]) -> usize {
    let mut now = 0usize;
    let mut max = 0;
    for event in events {
        match event {
            Event::Started { .. } => now += 1,
            Event::Succeeded { .. } | Event::Failed { .. } | Event::Unknown { .. } => now -= 1,
            Event::Skipped { .. } => {}
        }
        max = max.max(now);
    }
    max
}

pub fn names(addresses: impl IntoIterator<Item = Address>) -> Vec<String> {
    addresses
        .into_iter()
        .map(|a| match a {
            Address::Attachment { name, .. } => name,
            other => other.to_string(),
        })
        .collect()
}
