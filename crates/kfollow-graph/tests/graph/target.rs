//! `--target` over plans built from plain values: what a target brings in, what it leaves
//! out, and how a mistyped one is told.

use kfollow_graph::{DependencyGraph, TargetError, dependency_graph, target};
use kfollow_model::{
    DatabaseSelection, Desired, DesiredAttachment, FollowerDatabaseName, Plan,
    PrincipalsModificationKind, SourceLocation, TableLevelSharing, Unmanaged,
};
use proptest::prelude::*;

use super::*;

/// The plan of these changes, with its graph, as `kfollow plan` makes them.
fn planned(changes: Vec<Change>, unmanaged: Vec<Address>) -> (Plan, DependencyGraph) {
    let graph = dependency_graph(changes).unwrap();
    let plan = Plan {
        changes: graph.changes().cloned().collect(),
        unmanaged: unmanaged
            .into_iter()
            .map(|address| Unmanaged {
                address,
                description: "follows prod/Web".into(),
                share_origin: None,
            })
            .collect(),
        ..Plan::default()
    };
    (plan, graph)
}

/// A manifest declaring one attachment `emea/sales` of database `Sales`, renamed `SalesEmea`.
fn desired() -> Desired {
    Desired {
        attachments: vec![DesiredAttachment {
            name: "sales".into(),
            follower: "emea".into(),
            leader: "prod".into(),
            database: DatabaseSelection::One("Sales".into()),
            follower_database_name: FollowerDatabaseName::Override("SalesEmea".into()),
            default_principals_modification_kind: PrincipalsModificationKind::Union,
            table_level_sharing: TableLevelSharing::default(),
            follower_databases: Default::default(),
            protect: false,
            freshness: None,
            origin: SourceLocation::default(),
            sharing_origins: Vec::new(),
        }],
        ..Desired::default()
    }
}

/// An estate where `SalesEmea`'s settings need the attach of `emea/sales`, which needs the
/// detach of `emea/old` that holds the name; `apac` and `emea/web` are independent.
fn estate() -> Vec<Change> {
    vec![
        settings("emea", "SalesEmea"),
        attach("emea", "sales", ("Sales", Some("SalesEmea"), None)),
        detach("emea", "old", ("Orders", Some("SalesEmea"), None)),
        attach("emea", "web", ("Web", None, None)),
        attach("apac", "sales", ("Sales", None, None)),
        settings("apac", "Sales"),
    ]
}

fn targeted(targets: &[&str]) -> Result<(Plan, DependencyGraph), TargetError> {
    let (plan, graph) = planned(
        estate(),
        vec![attachment("emea", "manual"), attachment("apac", "manual")],
    );
    let targets: Vec<String> = targets.iter().map(|t| (*t).to_owned()).collect();
    target(&desired(), plan, graph, &targets)
}

#[test]
fn a_follower_database_brings_in_everything_it_depends_on() {
    let (plan, graph) = targeted(&["follower_database.emea/SalesEmea"]).unwrap();
    assert_eq!(
        addresses(&plan.changes),
        [
            "attachment.emea/old",
            "attachment.emea/sales",
            "follower_database.emea/SalesEmea"
        ]
    );
    assert_eq!(graph.changes().count(), 3);
    let targeting = plan.targeting.unwrap();
    assert_eq!(targeting.targets, ["follower_database.emea/SalesEmea"]);
    assert_eq!(targeting.left_out, 3);
    // Not the unmanaged resources of other addresses.
    assert!(plan.unmanaged.is_empty());
}

#[test]
fn what_depends_on_a_target_stays_out() {
    let (plan, _) = targeted(&["attachment.emea/old"]).unwrap();
    assert_eq!(addresses(&plan.changes), ["attachment.emea/old"]);
}

#[test]
fn a_cluster_target_takes_every_change_on_that_follower_cluster() {
    let (plan, graph) = targeted(&["cluster.apac"]).unwrap();
    assert_eq!(
        addresses(&plan.changes),
        ["attachment.apac/sales", "follower_database.apac/Sales"]
    );
    // The edges come along: the settings still wait for the attach.
    let nodes: Vec<_> = graph.nodes().collect();
    assert_eq!(graph.dependencies(nodes[1]).collect::<Vec<_>>(), [nodes[0]]);
    assert_eq!(
        plan.unmanaged
            .iter()
            .map(|u| u.address.to_string())
            .collect::<Vec<_>>(),
        ["attachment.apac/manual"]
    );
    assert_eq!(plan.targeting.unwrap().left_out, 4);
}

#[test]
fn targets_add_up_and_ignore_case() {
    let (plan, _) = targeted(&["ATTACHMENT.emea/WEB", "cluster.APAC"]).unwrap();
    assert_eq!(
        addresses(&plan.changes),
        [
            "attachment.apac/sales",
            "attachment.emea/web",
            "follower_database.apac/Sales"
        ]
    );
}

#[test]
fn a_target_in_step_gives_an_empty_targeted_plan() {
    // Declared by the manifest, nothing to change: not an error.
    let (plan, graph) = planned(vec![attach("apac", "x", ("Sales", None, None))], vec![]);
    let (plan, _) = target(
        &desired(),
        plan,
        graph,
        &["attachment.emea/sales".to_owned()],
    )
    .unwrap();
    assert!(plan.is_empty());
    assert_eq!(plan.targeting.unwrap().left_out, 1);
}

#[test]
fn no_targets_leave_the_plan_whole() {
    let (plan, graph) = planned(estate(), vec![]);
    let (same, graph) = target(&desired(), plan.clone(), graph, &[]).unwrap();
    assert_eq!(same, plan);
    assert!(same.targeting.is_none());
    assert_eq!(graph.changes().count(), 6);
}

#[test]
fn a_mistyped_target_is_refused_with_close_matches() {
    let error = targeted(&["attachment.emea/sales", "attachment.emea/slaes", "emea"]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`--target attachment.emea/slaes` names nothing in the manifest or the plan; did you mean:\n  \
         attachment.emea/sales\n\
         `--target emea` names nothing in the manifest or the plan; did you mean:\n  \
         cluster.emea"
    );
}

#[test]
fn a_target_like_nothing_lists_the_valid_ones() {
    let error = targeted(&["cluster.nowhere-at-all"]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`--target cluster.nowhere-at-all` names nothing in the manifest or the plan; the valid \
         targets are:\n  \
         attachment.apac/manual\n  \
         attachment.apac/sales\n  \
         attachment.emea/manual\n  \
         attachment.emea/old\n  \
         attachment.emea/sales\n  \
         attachment.emea/web\n  \
         cluster.apac\n  \
         cluster.emea\n  \
         follower_database.apac/Sales\n  \
         follower_database.emea/SalesEmea"
    );
}

/// A leader is no cluster target: no change is addressed on it, so `cluster.<leader>` would
/// always give an empty plan. It is refused, naming the follower clusters that follow it.
#[test]
fn a_leader_cluster_target_names_its_followers() {
    let mut desired = desired();
    for alias in ["prod", "emea"] {
        let cluster = kfollow_model::DesiredCluster {
            alias: alias.into(),
            id: id(alias),
            location: None,
            unmanaged_followers: kfollow_model::UnmanagedPolicy::Report,
            unmanaged_attachments: kfollow_model::UnmanagedPolicy::Report,
            origin: SourceLocation::default(),
        };
        desired.clusters.insert(alias.into(), cluster);
    }
    let (plan, graph) = planned(estate(), Vec::new());
    let error = target(&desired, plan, graph, &["cluster.PROD".to_owned()]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`--target cluster.PROD` names a leader cluster; `cluster.<alias>` takes the changes on a \
         follower cluster (a leader's detach of a follower among them), so target the follower \
         clusters that follow it:\n  \
         cluster.emea"
    );
    assert!(
        !error.valid.contains(&"cluster.prod".to_owned()),
        "{error:?}"
    );
    // A cluster that is a follower too stays a target.
    let (plan, graph) = planned(estate(), Vec::new());
    assert!(target(&desired, plan, graph, &["cluster.emea".to_owned()]).is_ok());
}

proptest! {
    #[test]
    fn a_targeted_plan_holds_its_targets_and_all_they_depend_on(
        changes in any_changes(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        let mut unique: Vec<Change> = Vec::new();
        for c in changes {
            if !unique.iter().any(|u| u.address == c.address) {
                unique.push(c);
            }
        }
        let Ok(graph) = dependency_graph(unique) else { return Ok(()) };
        let all: Vec<Change> = graph.changes().cloned().collect();
        let targets: Vec<String> =
            picks.iter().map(|i| all[i.index(all.len())].address.to_string()).collect();
        let plan = Plan { changes: all.clone(), ..Plan::default() };
        let (plan, narrowed) = target(&Desired::default(), plan, graph, &targets).unwrap();
        let kept: Vec<&Address> = plan.changes.iter().map(|c| &c.address).collect();
        for target in &targets {
            prop_assert!(kept.iter().any(|a| a.to_string() == *target));
        }
        // Closed under dependencies, in the whole plan's order.
        for change in &plan.changes {
            for dependency in &change.depends_on {
                prop_assert!(kept.contains(&dependency));
            }
        }
        let order: Vec<&Address> = all
            .iter()
            .map(|c| &c.address)
            .filter(|a| kept.contains(a))
            .collect();
        prop_assert_eq!(&order, &kept);
        prop_assert_eq!(narrowed.into_changes(), plan.changes.clone());
        prop_assert_eq!(plan.targeting.unwrap().left_out, all.len() - kept.len());
    }
}
