//! Compares what the manifest wants ([`Desired`]) with what Azure reports ([`Observed`]) and
//! lists the changes that would make them agree, as a [`Plan`].
//!
//! [`diff`] is the one entry point. It finds attachments to attach, update in place, replace
//! (with the attribute that forces it) or detach, follower database settings to change (as
//! the exact Kusto commands of [`kql`]), and live resources outside the manifest, reported as
//! [`kfollow_model::Unmanaged`] or detached where the manifest says so. It also runs the
//! checks that need live state (clusters running, leader database read-write, same region,
//! follower database name free, the tables and views of caching overrides on the leader) and
//! returns every failure at once as [`DiffErrors`]; a table-level sharing entry that matches
//! nothing of its kind on the leader (table, external table, materialized view, function) is
//! a warning.
//!
//! [`freshness_verdict`] is the verdict of `kfollow check`: what was read of each follower
//! database in, within budget or not (with the reasons) out.
//!
//! [`review`] is the access review's counterpart (`kfollow access`): who can query each
//! follower database the manifest manages, and whether that comes from the leader, from the
//! follower, or from nowhere the manifest explains.
//!
//! It does no I/O and does not order the changes: each change's `depends_on` is left empty
//! for `kfollow-graph`, which [`ordered_plan`] calls to give the plan as `kfollow plan` shows
//! it (ordered, and narrowed to the `--target`s). Normalisation lives here, so that a plan right after an apply is
//! empty: ids, regions and enum values compare case-insensitively, lists as sets, timespans
//! as durations, principals as the service normalises them, and read-only fields never show.

mod access;
mod attachment;
mod checks;
mod entities;
mod error;
mod freshness;
mod in_flight;
mod leader;
mod ordered;
mod principals;
mod settings;
mod share;

use std::collections::HashSet;

use kfollow_model::{
    ClusterId, Desired, DesiredAttachment, DesiredCluster, Observed, ObservedCluster, Plan,
    SourceLocation,
};

pub use access::review;
pub use error::{DiffError, DiffErrors};
pub use freshness::freshness_verdict;
/// The commands of the follower grammar, shared with `kfollow-state` (it lives in the model).
pub use kfollow_model::kql;
pub use ordered::{PlanError, ordered_plan};

/// Everything that must change for the live state to match the manifest, or every reason
/// the plan cannot be made.
///
/// The changes come in no particular order and with empty `depends_on`; `kfollow-graph`
/// orders them.
///
/// # Errors
///
/// Every live check that fails and every protected attachment the plan would replace, each
/// naming its manifest line; no plan is returned then.
pub fn diff(desired: &Desired, observed: &Observed) -> Result<Plan, DiffErrors> {
    let mut cx = Context {
        desired,
        observed,
        declared_attachments: desired
            .attachments
            .iter()
            .filter_map(|a| {
                let follower = desired.cluster(&a.follower)?;
                Some((follower.id.key(), a.name.to_ascii_lowercase()))
            })
            .collect(),
        errors: Vec::new(),
        plan: Plan::default(),
    };
    checks::clusters(&mut cx);
    let resolved: Vec<Resolved<'_>> = desired
        .attachments
        .iter()
        .filter_map(|attachment| cx.resolve(attachment))
        .collect();
    share::declared(&mut cx, &resolved);
    let outcomes = attachment::diff_attachments(&mut cx, &resolved);
    attachment::unmanaged_attachments(&mut cx);
    checks::attachments(&mut cx, &resolved, &outcomes);
    entities::overrides_exist(&mut cx, &resolved);
    entities::sharing_entries_match(&mut cx, &resolved);
    settings::diff_settings(&mut cx, &resolved, &outcomes);
    leader::unmanaged_followers(&mut cx);
    checks::writes_to_stopped_clusters(&mut cx);
    if cx.errors.is_empty() {
        Ok(cx.plan)
    } else {
        Err(DiffErrors(cx.errors))
    }
}

/// What the diff of one attachment decided, for the checks and the settings that follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Live and as wanted.
    Unchanged,
    /// Live, changes in place.
    Updated,
    /// Not live yet.
    Attached,
    /// Live, detached and attached again.
    Replaced,
}

impl Outcome {
    /// True when the follower database is (re)created by this plan, with default settings.
    fn creates_database(self) -> bool {
        matches!(self, Outcome::Attached | Outcome::Replaced)
    }
}

/// A manifest attachment with its two clusters found in the live state.
struct Resolved<'a> {
    attachment: &'a DesiredAttachment,
    follower: &'a DesiredCluster,
    follower_live: &'a ObservedCluster,
    leader: &'a DesiredCluster,
    leader_live: &'a ObservedCluster,
}

/// The inputs and what has been found so far.
struct Context<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    /// Every manifest attachment as (follower cluster key, lower-cased name).
    declared_attachments: HashSet<(String, String)>,
    errors: Vec<DiffError>,
    plan: Plan,
}

impl<'a> Context<'a> {
    /// `FILE:LINE:COLUMN` of a manifest node.
    fn at(&self, origin: SourceLocation) -> String {
        self.desired.locate(origin)
    }

    /// The manifest's clusters together with their live state, skipping the missing ones
    /// (reported by [`checks::clusters`]).
    fn managed_clusters(&self) -> impl Iterator<Item = (&'a DesiredCluster, &'a ObservedCluster)> {
        let observed = self.observed;
        self.desired
            .clusters
            .values()
            .filter_map(move |c| observed.cluster(&c.id).map(|live| (c, live)))
    }

    /// True when the manifest declares an attachment of this name on this follower cluster
    /// (names compare case-insensitively, as ARM's do).
    fn is_declared(&self, follower: &ClusterId, name: &str) -> bool {
        self.declared_attachments
            .contains(&(follower.key(), name.to_ascii_lowercase()))
    }

    /// The manifest's alias of a cluster id.
    fn alias_of(&self, id: &ClusterId) -> Option<&'a str> {
        self.desired
            .clusters
            .values()
            .find(|c| &c.id == id)
            .map(|c| c.alias.as_str())
    }

    /// The manifest's cluster of an id.
    fn cluster_of(&self, id: &ClusterId) -> Option<&'a DesiredCluster> {
        self.desired.clusters.values().find(|c| &c.id == id)
    }

    /// How a cluster is named in messages: its alias, else its cluster name.
    fn label(&self, id: &ClusterId) -> String {
        self.alias_of(id).unwrap_or(id.name()).to_owned()
    }

    /// Finds both clusters of an attachment; records an error when an alias is unknown.
    /// A declared cluster missing from the live state was reported once already.
    fn resolve(&mut self, attachment: &'a DesiredAttachment) -> Option<Resolved<'a>> {
        let follower = self.declared(&attachment.follower, attachment.origin);
        let leader = self.declared(&attachment.leader, attachment.origin);
        let (follower, leader) = (follower?, leader?);
        Some(Resolved {
            attachment,
            follower,
            follower_live: self.running(&follower.id)?,
            leader,
            leader_live: self.running(&leader.id)?,
        })
    }

    /// The live state of a cluster that is running. Of a cluster that is not, the databases
    /// and the follower database settings could not be read, so nothing about them can be
    /// compared (the cluster was reported by [`checks::clusters`]).
    fn running(&self, id: &ClusterId) -> Option<&'a ObservedCluster> {
        self.observed.cluster(id).filter(|live| live.is_running())
    }

    fn declared(&mut self, alias: &str, origin: SourceLocation) -> Option<&'a DesiredCluster> {
        let found = self.desired.cluster(alias);
        if found.is_none() {
            self.errors.push(DiffError::UnknownAlias {
                at: self.at(origin),
                alias: alias.to_owned(),
            });
        }
        found
    }
}

/// A region as ARM compares it: `West Europe` and `westeurope` are one region.
fn same_location(a: &str, b: &str) -> bool {
    normalize_location(a) == normalize_location(b)
}

fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_compare_without_case_or_spaces() {
        assert!(same_location("West Europe", "westeurope"));
        assert!(same_location("WESTEUROPE", "west europe"));
        assert!(!same_location("westeurope", "northeurope"));
    }
}
