//! Orders the changes of a plan (DESIGN.md §4) as a `petgraph` dependency DAG.
//!
//! A change depends on another when it needs what the other frees or makes:
//! - an attach (or a replace's attach) on a follower cluster waits for every detach (or a
//!   replace's detach, or a leader-side detach) there that frees its attachment name or one
//!   of its follower database names;
//! - a follower database's settings wait for the attach or replace that makes the database.
//!
//! [`order`] fills each change's `depends_on` and returns the changes in an execution order
//! that is deterministic: among changes that are ready together, the smaller address goes
//! first. [`dependency_graph`] gives the DAG itself to a scheduler that runs a change as soon
//! as its dependencies succeeded. A cycle is an error that names its members ([`CycleError`]).
//!
//! This crate does no I/O and does not decide what changes; it reads the operations each
//! change carries (and, for a detach, the `databaseName`, `databaseNameOverride` and
//! `databaseNamePrefix` values it shows), so it never needs the manifest or live state.
//! Writes on one cluster are serialised by the apply stage, not by edges here.

mod names;

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;

use kfollow_model::{Address, Change};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use names::Names;

/// Changes that depend on each other in a circle, so no order can satisfy them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the changes {} depend on each other in a cycle: {}; apply part of the manifest change \
     first (for example the detach alone), then the rest",
    members_list(.members),
    cycle_text(.members)
)]
pub struct CycleError {
    /// The members in cycle order: each depends on the one before it, the first on the last.
    pub members: Vec<Address>,
}

fn members_list(members: &[Address]) -> String {
    let names: Vec<String> = members.iter().map(|a| format!("`{a}`")).collect();
    names.join(", ")
}

fn cycle_text(members: &[Address]) -> String {
    let mut names: Vec<String> = members.iter().map(|a| format!("`{a}`")).collect();
    if let Some(first) = names.first().cloned() {
        names.push(first);
    }
    names.join(" → ")
}

/// The changes as a DAG: an edge `a → b` means `b` depends on `a` (runs after it succeeded).
#[derive(Debug, Clone)]
pub struct DependencyGraph {
    graph: DiGraph<Change, ()>,
    order: Vec<NodeIndex>,
}

impl DependencyGraph {
    /// The graph; node weights are the changes with `depends_on` filled.
    pub fn graph(&self) -> &DiGraph<Change, ()> {
        &self.graph
    }

    /// Every node, in execution order.
    pub fn order(&self) -> &[NodeIndex] {
        &self.order
    }

    /// The change of a node.
    pub fn change(&self, node: NodeIndex) -> &Change {
        &self.graph[node]
    }

    /// The nodes that must succeed before this one starts.
    pub fn dependencies(&self, node: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(node, Direction::Incoming)
    }

    /// The nodes that wait for this one.
    pub fn dependents(&self, node: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(node, Direction::Outgoing)
    }

    /// The changes in execution order, with `depends_on` filled.
    pub fn into_changes(self) -> Vec<Change> {
        let mut slots: Vec<Option<Change>> = self
            .graph
            .into_nodes_edges()
            .0
            .into_iter()
            .map(|node| Some(node.weight))
            .collect();
        self.order
            .iter()
            .filter_map(|node| slots[node.index()].take())
            .collect()
    }
}

/// Fills `depends_on` and returns the changes in a deterministic execution order.
///
/// # Errors
///
/// [`CycleError`] when some changes depend on each other in a circle.
pub fn order(changes: Vec<Change>) -> Result<Vec<Change>, CycleError> {
    dependency_graph(changes).map(DependencyGraph::into_changes)
}

/// Builds the dependency DAG of the changes (filling `depends_on`) and its execution order.
///
/// # Errors
///
/// [`CycleError`] when some changes depend on each other in a circle.
pub fn dependency_graph(changes: Vec<Change>) -> Result<DependencyGraph, CycleError> {
    let edges = dependencies(&changes);
    let mut graph = DiGraph::with_capacity(changes.len(), edges.len());
    let nodes: Vec<NodeIndex> = changes.into_iter().map(|c| graph.add_node(c)).collect();
    for &(from, to) in &edges {
        graph.add_edge(nodes[from], nodes[to], ());
    }
    for &node in &nodes {
        let depends_on: BTreeSet<Address> = graph
            .neighbors_directed(node, Direction::Incoming)
            .map(|n| graph[n].address.clone())
            .collect();
        graph[node].depends_on = depends_on.into_iter().collect();
    }
    let order = topological_order(&graph)?;
    Ok(DependencyGraph { graph, order })
}

/// Every `(from, to)` pair of change indices where `to` depends on `from`, without repeats.
fn dependencies(changes: &[Change]) -> Vec<(usize, usize)> {
    let mut claims: HashMap<String, Vec<(usize, names::Claim<'_>)>> = HashMap::new();
    let mut releases: HashMap<String, Vec<(usize, names::Release<'_>)>> = HashMap::new();
    let mut settings: HashMap<String, Vec<(usize, names::Setting<'_>)>> = HashMap::new();
    for (index, change) in changes.iter().enumerate() {
        for claim in names::claims(change) {
            claims
                .entry(claim.cluster.key())
                .or_default()
                .push((index, claim));
        }
        for release in names::releases(change) {
            releases
                .entry(release.cluster.key())
                .or_default()
                .push((index, release));
        }
        for setting in names::settings(change) {
            settings
                .entry(setting.cluster.key())
                .or_default()
                .push((index, setting));
        }
    }
    let mut seen = HashSet::new();
    let mut edges = Vec::new();
    let mut add = |from: usize, to: usize| {
        if from != to && seen.insert((from, to)) {
            edges.push((from, to));
        }
    };
    for (cluster, cluster_claims) in &claims {
        for (from, release) in releases.get(cluster).into_iter().flatten() {
            for (to, claim) in cluster_claims {
                if release.attachment.eq_ignore_ascii_case(claim.attachment)
                    || release.databases.overlaps(&claim.databases)
                {
                    add(*from, *to);
                }
            }
        }
        for (to, setting) in settings.get(cluster).into_iter().flatten() {
            let database = Names::Exact(setting.database.clone());
            for (from, claim) in cluster_claims {
                if claim.databases.overlaps(&database) {
                    add(*from, *to);
                }
            }
        }
    }
    edges.sort_unstable();
    edges
}

/// Kahn's algorithm, taking the smallest address among the ready changes each time.
fn topological_order(graph: &DiGraph<Change, ()>) -> Result<Vec<NodeIndex>, CycleError> {
    let mut waiting: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.neighbors_directed(n, Direction::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<(&Address, NodeIndex)>> = graph
        .node_indices()
        .filter(|n| waiting[n.index()] == 0)
        .map(|n| Reverse((&graph[n].address, n)))
        .collect();
    let mut order = Vec::with_capacity(graph.node_count());
    while let Some(Reverse((_, node))) = ready.pop() {
        order.push(node);
        for next in graph.neighbors_directed(node, Direction::Outgoing) {
            waiting[next.index()] -= 1;
            if waiting[next.index()] == 0 {
                ready.push(Reverse((&graph[next].address, next)));
            }
        }
    }
    if order.len() == graph.node_count() {
        Ok(order)
    } else {
        Err(find_cycle(graph))
    }
}

/// A shortest cycle through the smallest address among the changes in a cycle.
fn find_cycle(graph: &DiGraph<Change, ()>) -> CycleError {
    let cyclic = petgraph::algo::tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1)
        .filter_map(|scc| {
            let start = *scc.iter().min_by_key(|n| &graph[**n].address)?;
            Some((scc, start))
        })
        .min_by(|(_, a), (_, b)| graph[*a].address.cmp(&graph[*b].address));
    let Some((scc, start)) = cyclic else {
        return CycleError {
            members: Vec::new(),
        };
    };
    let inside: HashSet<NodeIndex> = scc.into_iter().collect();
    // Breadth-first from `start` inside its component, back to `start`.
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut last = None;
    'search: while let Some(node) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph
            .neighbors_directed(node, Direction::Outgoing)
            .filter(|n| inside.contains(n))
            .collect();
        next.sort_by(|a, b| graph[*a].address.cmp(&graph[*b].address));
        for n in next {
            if n == start {
                last = Some(node);
                break 'search;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = parent.entry(n) {
                slot.insert(node);
                queue.push_back(n);
            }
        }
    }
    let mut path = Vec::new();
    let mut at = last;
    while let Some(node) = at {
        path.push(graph[node].address.clone());
        at = if node == start {
            None
        } else {
            parent.get(&node).copied()
        };
    }
    path.reverse();
    CycleError { members: path }
}

impl fmt::Display for DependencyGraph {
    /// One line per change in execution order, with what it waits for.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for node in &self.order {
            let change = &self.graph[*node];
            write!(f, "{} {}", change.action.symbol(), change.address)?;
            if !change.depends_on.is_empty() {
                let after: Vec<String> =
                    change.depends_on.iter().map(ToString::to_string).collect();
                write!(f, " (after {})", after.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
