//! `--target`: a plan narrowed to some of its changes and everything they depend on, for
//! rollouts that go one attachment or one follower cluster at a time.
//!
//! A target is a plan address (`attachment.emea/sales`, `follower_database.emea/Sales`,
//! `leader_follower.prod/emea/sales`) or a follower cluster (`cluster.emea`: every change whose
//! address is on that follower cluster). Addresses and aliases compare ignoring case, as Azure
//! compares the names in them. The dependencies come from the one DAG of
//! [`dependency_graph`](crate::dependency_graph): a targeted follower database brings the attach that makes it, a
//! targeted attach the detach that frees its name. What depends on a target is not brought in,
//! as with Terraform's `-target`.

use std::collections::BTreeSet;
use std::fmt;

use kfollow_model::{Address, Desired, Plan, Targeting};
use petgraph::graph::DiGraph;

use crate::{DependencyGraph, NodeIndex};

/// The prefix of a target that names a follower cluster.
pub const CLUSTER_TARGET_PREFIX: &str = "cluster.";

/// How many valid targets an error lists when none is close to what was typed.
const LISTED: usize = 20;

/// One `--target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A plan address, as the plan prints it.
    Address(String),
    /// `cluster.<alias>`: every change whose address is on this follower cluster.
    Cluster(String),
}

impl Target {
    /// Reads a target as the user typed it: `cluster.<alias>`, else a plan address.
    pub fn parse(text: &str) -> Target {
        let text = text.trim();
        match text.strip_prefix(CLUSTER_TARGET_PREFIX) {
            Some(alias) => Target::Cluster(alias.to_owned()),
            None => Target::Address(text.to_owned()),
        }
    }

    /// True when the change or unmanaged resource at `address` is this target's.
    pub fn covers(&self, address: &Address) -> bool {
        match self {
            Target::Address(text) => address.to_string().eq_ignore_ascii_case(text),
            Target::Cluster(alias) => address.follower().eq_ignore_ascii_case(alias),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Address(text) => f.write_str(text),
            Target::Cluster(alias) => write!(f, "{CLUSTER_TARGET_PREFIX}{alias}"),
        }
    }
}

/// A target that names nothing the manifest declares or the plan holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTarget {
    /// The target as typed.
    pub target: String,
    /// Valid targets that look like it, closest first; empty when none does. For a leader
    /// cluster, the follower clusters that follow it.
    pub close: Vec<String>,
    /// True when the target is `cluster.<alias>` of a cluster the manifest has only as a
    /// leader: a cluster target takes the changes on a follower cluster, and would take none.
    pub leader: bool,
}

/// Targets that name nothing, each with the valid targets that look like it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", unknown_text(.unknown, .valid))]
pub struct TargetError {
    /// Every unknown target, in the order given.
    pub unknown: Vec<UnknownTarget>,
    /// Every valid target, sorted (the error lists the first few when nothing is close).
    pub valid: Vec<String>,
}

fn unknown_text(unknown: &[UnknownTarget], valid: &[String]) -> String {
    let mut out = String::new();
    for (index, target) in unknown.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        if target.leader {
            out.push_str(&format!(
                "`--target {}` names a leader cluster; `cluster.<alias>` takes the changes on a \
                 follower cluster (a leader's detach of a follower among them), so target the \
                 follower clusters that follow it:",
                target.target
            ));
        } else {
            out.push_str(&format!(
                "`--target {}` names nothing in the manifest or the plan",
                target.target
            ));
            if !target.close.is_empty() {
                out.push_str("; did you mean:");
            }
        }
        for close in &target.close {
            out.push_str(&format!("\n  {close}"));
        }
    }
    if unknown.iter().all(|target| target.close.is_empty()) {
        out.push_str("; the valid targets are:");
        for target in valid.iter().take(LISTED) {
            out.push_str(&format!("\n  {target}"));
        }
        if valid.len() > LISTED {
            out.push_str(&format!("\n  … and {} more", valid.len() - LISTED));
        }
    }
    out
}

/// Narrows a plan and its graph to the changes of `targets` and, transitively, what they
/// depend on; the unmanaged resources reported are narrowed to the targets too. The plan
/// records its targets and how many changes were left out ([`Plan::targeting`]). Without
/// targets, the plan and graph come back as they were.
///
/// A target may name anything the manifest declares (an attachment, a follower database
/// whose name is known offline, a cluster alias) or the plan holds, so targeting something
/// already in step gives an empty plan rather than an error.
///
/// # Errors
///
/// [`TargetError`] when a target names nothing of the manifest or the plan; it lists the
/// valid targets close to each unknown one, or the first valid targets when none is close.
pub fn target(
    desired: &Desired,
    mut plan: Plan,
    graph: DependencyGraph,
    targets: &[String],
) -> Result<(Plan, DependencyGraph), TargetError> {
    if targets.is_empty() {
        return Ok((plan, graph));
    }
    let valid = valid_targets(desired, &plan, &graph);
    let parsed: Vec<Target> = targets.iter().map(|text| Target::parse(text)).collect();
    let unknown: Vec<UnknownTarget> = parsed
        .iter()
        .filter(|target| {
            let text = target.to_string();
            !valid.iter().any(|v| v.eq_ignore_ascii_case(&text))
        })
        .map(|target| {
            let followers = match target {
                Target::Cluster(alias) => followers_of_leader(desired, alias, &valid),
                Target::Address(_) => None,
            };
            UnknownTarget {
                target: target.to_string(),
                leader: followers.is_some(),
                close: followers.unwrap_or_else(|| close_matches(&target.to_string(), &valid)),
            }
        })
        .collect();
    if !unknown.is_empty() {
        return Err(TargetError {
            unknown,
            valid: valid.into_iter().collect(),
        });
    }
    let total = graph.graph.node_count();
    let narrowed = graph.with_dependencies(|address| parsed.iter().any(|t| t.covers(address)));
    plan.changes = narrowed.changes().cloned().collect();
    plan.unmanaged
        .retain(|unmanaged| parsed.iter().any(|t| t.covers(&unmanaged.address)));
    plan.targeting = Some(Targeting {
        targets: targets.iter().map(|t| t.trim().to_owned()).collect(),
        left_out: total - narrowed.graph.node_count(),
    });
    Ok((plan, narrowed))
}

impl DependencyGraph {
    /// The subgraph of the changes whose address `chosen` accepts and, transitively, every
    /// change they depend on, in the same execution order.
    pub fn with_dependencies(&self, chosen: impl Fn(&Address) -> bool) -> DependencyGraph {
        let mut keep = vec![false; self.graph.node_count()];
        let mut stack: Vec<NodeIndex> = self
            .nodes()
            .filter(|&node| chosen(&self.change(node).address))
            .collect();
        while let Some(node) = stack.pop() {
            if std::mem::replace(&mut keep[node.index()], true) {
                continue;
            }
            stack.extend(self.dependencies(node));
        }
        let mut position = vec![None; keep.len()];
        let mut graph = DiGraph::new();
        for node in self.nodes().filter(|node| keep[node.index()]) {
            position[node.index()] = Some(graph.add_node(self.change(node).clone()));
        }
        for edge in self.graph.raw_edges() {
            if let (Some(from), Some(to)) = (
                position[edge.source().index()],
                position[edge.target().index()],
            ) {
                graph.add_edge(from, to, ());
            }
        }
        DependencyGraph { graph }
    }
}

/// Every target that names something: the manifest's addresses and cluster aliases (but a
/// cluster it has only as a leader, on which no change is ever addressed), and the addresses
/// and follower clusters of the plan's changes and unmanaged resources.
fn valid_targets(desired: &Desired, plan: &Plan, graph: &DependencyGraph) -> BTreeSet<String> {
    let addresses: Vec<Address> = desired
        .addresses()
        .into_iter()
        .chain(graph.changes().map(|change| change.address.clone()))
        .chain(plan.unmanaged.iter().map(|u| u.address.clone()))
        .collect();
    let followers: Vec<&str> = addresses.iter().map(Address::follower).collect();
    let only_leaders: Vec<&str> = desired
        .attachments
        .iter()
        .map(|attachment| attachment.leader.as_str())
        .filter(|leader| !followers.iter().any(|f| f.eq_ignore_ascii_case(leader)))
        .collect();
    let clusters = desired
        .clusters
        .keys()
        .map(String::as_str)
        .filter(|alias| !only_leaders.iter().any(|l| l.eq_ignore_ascii_case(alias)))
        .chain(followers.iter().copied())
        .map(|alias| Target::Cluster(alias.to_owned()).to_string());
    addresses
        .iter()
        .map(ToString::to_string)
        .chain(clusters)
        .collect()
}

/// For `alias`, a cluster the manifest has as a leader and that is no valid target (never a
/// follower), the cluster targets of the follower clusters that follow it; `None` for any
/// other alias.
fn followers_of_leader(
    desired: &Desired,
    alias: &str,
    valid: &BTreeSet<String>,
) -> Option<Vec<String>> {
    let followers: BTreeSet<String> = desired
        .attachments
        .iter()
        .filter(|attachment| attachment.leader.eq_ignore_ascii_case(alias))
        .map(|attachment| Target::Cluster(attachment.follower.clone()).to_string())
        .filter(|target| valid.contains(target))
        .collect();
    (!followers.is_empty()).then(|| followers.into_iter().collect())
}

/// The valid targets that look like `typed`, closest first, at most five: a few typing
/// mistakes away (a swap of two letters counts as one), or ending with what was typed (`emea`
/// for `cluster.emea`).
fn close_matches(typed: &str, valid: &BTreeSet<String>) -> Vec<String> {
    let typed = typed.to_lowercase();
    let allowed = (typed.chars().count() / 4).clamp(1, 3);
    let mut scored: Vec<(usize, &String)> = valid
        .iter()
        .filter_map(|candidate| {
            let lower = candidate.to_lowercase();
            if lower.ends_with(&format!(".{typed}")) || lower.ends_with(&format!("/{typed}")) {
                return Some((0, candidate));
            }
            let distance = strsim::damerau_levenshtein(&typed, &lower);
            (distance <= allowed).then_some((distance, candidate))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, candidate)| candidate.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_reads_as_a_cluster_or_an_address() {
        assert_eq!(
            Target::parse("cluster.emea"),
            Target::Cluster("emea".into())
        );
        assert_eq!(
            Target::parse(" attachment.emea/sales "),
            Target::Address("attachment.emea/sales".into())
        );
        let address = Address::LeaderFollower {
            leader: "prod".into(),
            follower: "EMEA".into(),
            name: "x".into(),
        };
        assert!(Target::parse("cluster.emea").covers(&address));
        assert!(Target::parse("leader_follower.prod/emea/X").covers(&address));
        assert!(!Target::parse("cluster.prod").covers(&address));
    }

    #[test]
    fn close_matches_catch_typos_and_bare_names() {
        let valid: BTreeSet<String> = [
            "attachment.emea/sales",
            "attachment.emea/web",
            "cluster.emea",
            "cluster.apac",
        ]
        .map(str::to_owned)
        .into();
        assert_eq!(
            close_matches("attachment.emea/slaes", &valid),
            ["attachment.emea/sales"]
        );
        assert_eq!(close_matches("emea", &valid), ["cluster.emea"]);
        assert!(close_matches("nothing-like-it", &valid).is_empty());
    }
}
