//! Orders the changes of a plan as a `petgraph` dependency DAG: the one graph of kfollow, which
//! the plan is printed from and the apply stage walks.
//!
//! A change depends on another when it needs what the other frees or makes:
//! - an attach (or a replace's attach) on a follower cluster waits for every detach (or a
//!   replace's detach, or a leader-side detach) there that frees its attachment name or one
//!   of its follower database names;
//! - a follower database's settings wait for the attach or replace that makes the database.
//!
//! [`dependency_graph`] finds these edges, fills each change's `depends_on` and puts the
//! changes in an execution order that is deterministic: among changes that are ready together,
//! the smaller address goes first ([`order`] gives just the ordered changes). A plan saved with
//! its `depends_on` becomes the same graph again through [`DependencyGraph::from_depends_on`],
//! which refuses a dependency on a change the plan does not hold. A cycle is an error that names
//! its members ([`CycleError`]).
//!
//! [`target`] narrows a plan to the changes of some `--target`s and what they depend on.
//!
//! This crate does no I/O and does not decide what changes; it reads the operations each
//! change carries (and, for a detach, the `databaseName`, `databaseNameOverride` and
//! `databaseNamePrefix` values it shows), so it never needs the manifest or live state to
//! order; targeting reads the manifest only to tell a mistyped target from one in step.
//! Writes on one cluster are serialised by the apply stage, not by edges here.

mod names;
mod target;

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;

use kfollow_model::{Address, Change};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndices};

pub use petgraph::graph::NodeIndex;

use names::Names;

pub use target::{CLUSTER_TARGET_PREFIX, Target, TargetError, UnknownTarget, target};

/// Changes that depend on each other in a circle, so no order can satisfy them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the changes {} depend on each other in a cycle: {}",
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

/// Why the `depends_on` of a plan's changes do not make a DAG.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DependsOnError {
    /// A change depends on an address no change of the plan has.
    #[error("`{change}` depends on `{dependency}`, which is not in the plan")]
    Unknown {
        /// The change that names the dependency.
        change: Address,
        /// The address no change has.
        dependency: Address,
    },
    /// Some changes depend on each other in a circle.
    #[error(transparent)]
    Cycle(#[from] CycleError),
}

/// The changes as a DAG, in execution order: node `i` holds the `i`-th change to run when
/// one runs at a time, and an edge `a → b` means `b` depends on `a` (runs after it succeeded).
#[derive(Debug, Clone)]
pub struct DependencyGraph {
    graph: DiGraph<Change, ()>,
}

impl DependencyGraph {
    /// The graph of changes that carry their `depends_on` already (a saved plan's): an edge
    /// from every change with a listed address. The changes keep their order where it lets
    /// each come after what it depends on.
    ///
    /// # Errors
    ///
    /// [`DependsOnError::Unknown`] when a change depends on an address no change has;
    /// [`DependsOnError::Cycle`] when some depend on each other in a circle (a change that
    /// depends on itself included).
    // The error names two addresses by design; it is built at most once per saved plan.
    #[allow(clippy::result_large_err)]
    pub fn from_depends_on(changes: Vec<Change>) -> Result<DependencyGraph, DependsOnError> {
        let mut by_address: HashMap<&Address, Vec<usize>> = HashMap::new();
        for (index, change) in changes.iter().enumerate() {
            by_address.entry(&change.address).or_default().push(index);
        }
        let mut edges = BTreeSet::new();
        for (to, change) in changes.iter().enumerate() {
            for dependency in &change.depends_on {
                let Some(from) = by_address.get(dependency) else {
                    return Err(DependsOnError::Unknown {
                        change: change.address.clone(),
                        dependency: dependency.clone(),
                    });
                };
                edges.extend(from.iter().map(|&from| (from, to)));
            }
        }
        let rank: Vec<usize> = (0..changes.len()).collect();
        Ok(build(changes, &edges, &rank)?)
    }

    /// Every node, in execution order.
    pub fn nodes(&self) -> NodeIndices {
        self.graph.node_indices()
    }

    /// The changes, in execution order.
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        self.graph.node_weights()
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
        let (nodes, _) = self.graph.into_nodes_edges();
        nodes.into_iter().map(|node| node.weight).collect()
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

/// Builds the dependency DAG of the changes from what each frees and claims, fills their
/// `depends_on`, and puts them in execution order (the smaller address first among changes
/// ready together).
///
/// # Errors
///
/// [`CycleError`] when some changes depend on each other in a circle.
pub fn dependency_graph(mut changes: Vec<Change>) -> Result<DependencyGraph, CycleError> {
    let edges = dependencies(&changes);
    let mut depends_on: Vec<BTreeSet<Address>> = vec![BTreeSet::new(); changes.len()];
    for &(from, to) in &edges {
        depends_on[to].insert(changes[from].address.clone());
    }
    for (change, addresses) in changes.iter_mut().zip(depends_on) {
        change.depends_on = addresses.into_iter().collect();
    }
    let mut by_address: Vec<usize> = (0..changes.len()).collect();
    by_address.sort_by(|a, b| changes[*a].address.cmp(&changes[*b].address));
    let mut rank = vec![0; changes.len()];
    for (position, index) in by_address.into_iter().enumerate() {
        rank[index] = position;
    }
    build(changes, &edges, &rank)
}

/// The graph of `changes` with these `(from, to)` edges, its nodes renumbered into execution
/// order: Kahn's algorithm, taking the ready change of the smallest `rank` each time.
fn build(
    changes: Vec<Change>,
    edges: &BTreeSet<(usize, usize)>,
    rank: &[usize],
) -> Result<DependencyGraph, CycleError> {
    let mut graph = DiGraph::with_capacity(changes.len(), edges.len());
    for change in changes {
        graph.add_node(change);
    }
    for &(from, to) in edges {
        graph.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
    }
    let order = topological_order(&graph, rank)?;
    let mut position = vec![0; order.len()];
    for (at, node) in order.iter().enumerate() {
        position[node.index()] = at;
    }
    let (nodes, _) = graph.into_nodes_edges();
    let mut slots: Vec<Option<Change>> = nodes.into_iter().map(|n| Some(n.weight)).collect();
    let mut ordered = DiGraph::with_capacity(slots.len(), edges.len());
    for node in order {
        if let Some(change) = slots[node.index()].take() {
            ordered.add_node(change);
        }
    }
    let mut renumbered: Vec<(usize, usize)> = edges
        .iter()
        .map(|&(from, to)| (position[from], position[to]))
        .collect();
    renumbered.sort_unstable();
    for (from, to) in renumbered {
        ordered.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
    }
    Ok(DependencyGraph { graph: ordered })
}

/// Every `(from, to)` pair of change indices where `to` depends on `from`.
fn dependencies(changes: &[Change]) -> BTreeSet<(usize, usize)> {
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
    let mut edges = BTreeSet::new();
    let mut add = |from: usize, to: usize| {
        if from != to {
            edges.insert((from, to));
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
    edges
}

/// Kahn's algorithm, taking the ready node of the smallest `rank` each time.
fn topological_order(
    graph: &DiGraph<Change, ()>,
    rank: &[usize],
) -> Result<Vec<NodeIndex>, CycleError> {
    let mut waiting: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.neighbors_directed(n, Direction::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<(usize, NodeIndex)>> = graph
        .node_indices()
        .filter(|n| waiting[n.index()] == 0)
        .map(|n| Reverse((rank[n.index()], n)))
        .collect();
    let mut order = Vec::with_capacity(graph.node_count());
    while let Some(Reverse((_, node))) = ready.pop() {
        order.push(node);
        for next in graph.neighbors_directed(node, Direction::Outgoing) {
            waiting[next.index()] -= 1;
            if waiting[next.index()] == 0 {
                ready.push(Reverse((rank[next.index()], next)));
            }
        }
    }
    if order.len() == graph.node_count() {
        Ok(order)
    } else {
        Err(find_cycle(graph))
    }
}

/// A shortest cycle through the smallest address among the changes in a cycle (a change that
/// depends on itself is a cycle of one).
fn find_cycle(graph: &DiGraph<Change, ()>) -> CycleError {
    let cyclic = petgraph::algo::tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
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
        for change in self.changes() {
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
