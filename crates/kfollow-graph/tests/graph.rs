//! Ordering changes built from plain values.

#![allow(clippy::unwrap_used)]

use kfollow_graph::{CycleError, DependencyGraph, DependsOnError, dependency_graph, order};
use kfollow_model::{
    Action, Address, AttachmentBody, AttributeChange, Change, ClusterId, Operation,
    PrincipalsModificationKind, TableLevelSharing,
};
use proptest::prelude::*;
use serde_json::json;

/// `--target`: narrowing a plan to some changes and what they depend on.
#[path = "graph/target.rs"]
mod target;

fn id(name: &str) -> ClusterId {
    format!("/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/{name}")
        .parse()
        .unwrap()
}

/// `databaseName`, `databaseNameOverride`, `databaseNamePrefix`.
type Naming<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

fn body(naming: Naming<'_>) -> AttachmentBody {
    AttachmentBody {
        location: "westeurope".into(),
        leader: id("prod"),
        database_name: naming.0.into(),
        database_name_override: naming.1.map(Into::into),
        database_name_prefix: naming.2.map(Into::into),
        default_principals_modification_kind: PrincipalsModificationKind::Union,
        table_level_sharing: TableLevelSharing::default(),
    }
}

fn change(address: Address, action: Action, operations: Vec<Operation>) -> Change {
    Change {
        address,
        action,
        attributes: Vec::new(),
        unchanged_attributes: 0,
        reason: None,
        operations,
        depends_on: Vec::new(),
        origin: None,
    }
}

fn attachment(follower: &str, name: &str) -> Address {
    Address::Attachment {
        follower: follower.into(),
        name: name.into(),
    }
}

fn put(follower: &str, name: &str, naming: Naming<'_>) -> Operation {
    Operation::PutAttachment {
        follower: id(follower),
        name: name.into(),
        body: body(naming),
    }
}

fn delete(follower: &str, name: &str) -> Operation {
    Operation::DeleteAttachment {
        follower: id(follower),
        name: name.into(),
    }
}

fn attach(follower: &str, name: &str, naming: Naming<'_>) -> Change {
    change(
        attachment(follower, name),
        Action::Attach,
        vec![put(follower, name, naming)],
    )
}

/// A detach shows every attribute it removes, as the diff does.
fn detach(follower: &str, name: &str, naming: Naming<'_>) -> Change {
    let mut c = change(
        attachment(follower, name),
        Action::Detach,
        vec![delete(follower, name)],
    );
    let gone = |name: &str, value: Option<&str>| {
        value.map(|v| AttributeChange {
            name: name.into(),
            before: Some(json!(v)),
            after: None,
            forces_replacement: false,
        })
    };
    c.attributes = [
        gone("databaseName", Some(naming.0)),
        gone("databaseNameOverride", naming.1),
        gone("databaseNamePrefix", naming.2),
    ]
    .into_iter()
    .flatten()
    .collect();
    c
}

/// A replace whose shown override goes from `before` to the body's; other values hidden.
fn replace(follower: &str, name: &str, before: Option<&str>, after: Naming<'_>) -> Change {
    let mut c = change(
        attachment(follower, name),
        Action::Replace,
        vec![delete(follower, name), put(follower, name, after)],
    );
    c.attributes = vec![AttributeChange {
        name: "databaseNameOverride".into(),
        before: before.map(|b| json!(b)),
        after: after.1.map(|a| json!(a)),
        forces_replacement: true,
    }];
    c
}

fn settings(follower: &str, database: &str) -> Change {
    change(
        Address::FollowerDatabase {
            follower: follower.into(),
            database: database.into(),
        },
        Action::Update,
        vec![Operation::KustoCommand {
            cluster: id(follower),
            database: database.into(),
            csl: format!(".alter follower database {database} prefetch-extents = true"),
        }],
    )
}

fn leader_detach(follower: &str, name: &str) -> Change {
    change(
        Address::LeaderFollower {
            leader: "prod".into(),
            follower: follower.into(),
            name: name.into(),
        },
        Action::Detach,
        vec![Operation::DetachFollower {
            leader: id("prod"),
            follower: id(follower),
            attachment_name: name.into(),
        }],
    )
}

fn addresses(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| c.address.to_string()).collect()
}

#[test]
fn independent_changes_run_in_address_order() {
    let ordered = order(vec![
        settings("emea", "Other"),
        attach("emea", "b", ("Sales", None, None)),
        attach("apac", "z", ("Sales", None, None)),
        detach("emea", "a", ("Logs", None, None)),
    ])
    .unwrap();
    assert_eq!(
        addresses(&ordered),
        [
            "attachment.apac/z",
            "attachment.emea/a",
            "attachment.emea/b",
            "follower_database.emea/Other"
        ]
    );
    assert!(ordered.iter().all(|c| c.depends_on.is_empty()));
}

#[test]
fn an_attach_waits_for_the_detach_that_frees_its_database_name() {
    let ordered = order(vec![
        attach("emea", "a-new", ("Sales", Some("SalesEmea"), None)),
        detach("emea", "z-old", ("Orders", Some("salesemea"), None)),
        // Same name on another cluster: unrelated.
        detach("apac", "y-old", ("Sales", Some("SalesEmea"), None)),
    ])
    .unwrap();
    assert_eq!(
        addresses(&ordered),
        [
            "attachment.apac/y-old",
            "attachment.emea/z-old",
            "attachment.emea/a-new"
        ]
    );
    assert_eq!(ordered[2].depends_on, [attachment("emea", "z-old")]);
}

#[test]
fn prefixes_and_star_attachments_overlap_by_prefix() {
    let ordered = order(vec![
        attach("emea", "a", ("Sales", None, Some("emea_"))),
        detach("emea", "b", ("*", None, Some("EMEA_"))),
        attach("emea", "c", ("Sales", None, None)),
    ])
    .unwrap();
    assert_eq!(
        addresses(&ordered),
        [
            "attachment.emea/b",
            "attachment.emea/a",
            "attachment.emea/c"
        ]
    );
    assert_eq!(ordered[1].depends_on, [attachment("emea", "b")]);
    assert!(ordered[2].depends_on.is_empty());
}

#[test]
fn settings_wait_for_the_attach_or_replace_that_makes_the_database() {
    let ordered = order(vec![
        settings("emea", "SalesEmea"),
        settings("emea", "p_Logs"),
        settings("emea", "Untouched"),
        attach("emea", "x", ("Sales", Some("SalesEmea"), None)),
        replace("emea", "y", None, ("*", None, Some("p_"))),
    ])
    .unwrap();
    assert_eq!(
        addresses(&ordered),
        [
            "attachment.emea/x",
            "attachment.emea/y",
            "follower_database.emea/SalesEmea",
            "follower_database.emea/Untouched",
            "follower_database.emea/p_Logs",
        ]
    );
    assert_eq!(ordered[2].depends_on, [attachment("emea", "x")]);
    assert_eq!(ordered[4].depends_on, [attachment("emea", "y")]);
}

#[test]
fn a_replace_frees_the_name_it_had_before() {
    // `b` renames `SalesEmea` away (databaseName hidden, taken from its PUT); `a` takes it.
    let ordered = order(vec![
        attach("emea", "a", ("Other", Some("SalesEmea"), None)),
        replace(
            "emea",
            "b",
            Some("SalesEmea"),
            ("Sales", Some("SalesOld"), None),
        ),
    ])
    .unwrap();
    assert_eq!(
        addresses(&ordered),
        ["attachment.emea/b", "attachment.emea/a"]
    );
}

#[test]
fn a_leader_side_detach_goes_before_an_attach_reusing_the_name() {
    let ordered = order(vec![
        attach("emea", "sales", ("Sales", None, None)),
        leader_detach("emea", "SALES"),
        attach("apac", "sales", ("Sales", None, None)),
    ])
    .unwrap();
    assert_eq!(
        addresses(&ordered),
        [
            "attachment.apac/sales",
            "leader_follower.prod/emea/SALES",
            "attachment.emea/sales"
        ]
    );
}

#[test]
fn swapped_names_are_a_cycle_naming_its_members() {
    let error: CycleError = order(vec![
        settings("emea", "Unrelated"),
        replace("emea", "a", Some("X"), ("Sales", Some("Y"), None)),
        replace("emea", "b", Some("Y"), ("Sales", Some("X"), None)),
    ])
    .unwrap_err();
    assert_eq!(
        error.members,
        [attachment("emea", "a"), attachment("emea", "b")]
    );
    assert_eq!(
        error.to_string(),
        "the changes `attachment.emea/a`, `attachment.emea/b` depend on each other in a cycle: \
         `attachment.emea/a` → `attachment.emea/b` → `attachment.emea/a`"
    );
}

#[test]
fn the_graph_serves_a_scheduler() {
    let graph = dependency_graph(vec![
        settings("emea", "Sales"),
        attach("emea", "sales", ("Sales", None, None)),
    ])
    .unwrap();
    let nodes: Vec<_> = graph.nodes().collect();
    assert_eq!(graph.change(nodes[0]).address, attachment("emea", "sales"));
    assert_eq!(graph.dependencies(nodes[0]).count(), 0);
    let waiting: Vec<_> = graph.dependents(nodes[0]).collect();
    assert_eq!(waiting, [nodes[1]]);
    let before: Vec<_> = graph.dependencies(nodes[1]).collect();
    assert_eq!(before, [nodes[0]]);
    assert_eq!(
        graph.to_string(),
        "+ attachment.emea/sales\n~ follower_database.emea/Sales (after attachment.emea/sales)\n"
    );
}

/// A change with the `depends_on` a saved plan gives it.
fn saved(name: &str, depends_on: &[&str]) -> Change {
    let mut c = settings("emea", name);
    c.depends_on = depends_on
        .iter()
        .map(|d| Address::FollowerDatabase {
            follower: "emea".into(),
            database: (*d).into(),
        })
        .collect();
    c
}

#[test]
fn a_saved_plan_becomes_the_same_graph_again() {
    let made = dependency_graph(vec![
        settings("emea", "Sales"),
        detach("emea", "old", ("Sales", None, None)),
        attach("emea", "sales", ("Sales", None, None)),
        attach("apac", "logs", ("Logs", None, None)),
    ])
    .unwrap();
    let changes = made.clone().into_changes();
    let again = DependencyGraph::from_depends_on(changes.clone()).unwrap();
    assert_eq!(again.clone().into_changes(), changes);
    assert_eq!(again.to_string(), made.to_string());
    let edges = |g: &DependencyGraph| {
        let mut edges: Vec<_> = g
            .nodes()
            .flat_map(|n| g.dependents(n).map(move |d| (n.index(), d.index())))
            .collect();
        edges.sort_unstable();
        edges
    };
    assert_eq!(edges(&again), edges(&made));
    assert_eq!(edges(&again).len(), 2);
}

#[test]
fn a_saved_plan_keeps_its_order_unless_a_change_comes_before_its_dependency() {
    let kept = DependencyGraph::from_depends_on(vec![
        saved("b", &[]),
        saved("a", &[]),
        saved("c", &["b"]),
    ])
    .unwrap();
    assert_eq!(
        addresses(&kept.into_changes()),
        [
            "follower_database.emea/b",
            "follower_database.emea/a",
            "follower_database.emea/c"
        ]
    );
    let moved =
        DependencyGraph::from_depends_on(vec![saved("c", &["b"]), saved("b", &[])]).unwrap();
    assert_eq!(
        addresses(&moved.into_changes()),
        ["follower_database.emea/b", "follower_database.emea/c"]
    );
}

#[test]
fn a_saved_dependency_on_a_change_not_in_the_plan_is_refused() {
    let error =
        DependencyGraph::from_depends_on(vec![saved("a", &[]), saved("b", &["gone"])]).unwrap_err();
    assert_eq!(
        error,
        DependsOnError::Unknown {
            change: Address::FollowerDatabase {
                follower: "emea".into(),
                database: "b".into()
            },
            dependency: Address::FollowerDatabase {
                follower: "emea".into(),
                database: "gone".into()
            },
        }
    );
    assert_eq!(
        error.to_string(),
        "`follower_database.emea/b` depends on `follower_database.emea/gone`, which is not in \
         the plan"
    );
}

#[test]
fn a_saved_cycle_is_refused_naming_its_members() {
    let error = DependencyGraph::from_depends_on(vec![
        saved("free", &[]),
        saved("x", &["y"]),
        saved("y", &["x"]),
    ])
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the changes `follower_database.emea/x`, `follower_database.emea/y` depend on each \
         other in a cycle: `follower_database.emea/x` → `follower_database.emea/y` → \
         `follower_database.emea/x`"
    );
    let alone = DependencyGraph::from_depends_on(vec![saved("self", &["self"])]).unwrap_err();
    assert_eq!(
        alone,
        DependsOnError::Cycle(CycleError {
            members: vec![Address::FollowerDatabase {
                follower: "emea".into(),
                database: "self".into()
            }]
        })
    );
}

/// One generated change over two clusters and a small pool of names, so that many collide.
fn any_change(index: usize) -> impl Strategy<Value = Change> {
    let cluster = prop::sample::select(vec!["emea", "apac"]);
    let database = prop::sample::select(vec!["Sales", "Logs", "*"]);
    let rename = prop::option::of(prop::sample::select(vec!["A", "B", "C"]));
    (0u8..5, cluster, database, rename.clone(), rename).prop_map(
        move |(kind, cluster, database, rename, old)| {
            let name = format!("n{index}");
            let database = if rename.is_some() && database == "*" {
                "Sales"
            } else {
                database
            };
            match kind {
                0 => attach(cluster, &name, (database, rename, None)),
                1 => detach(cluster, &name, (database, rename, None)),
                2 => replace(cluster, &name, old, (database, rename, None)),
                3 => settings(cluster, rename.unwrap_or(database)),
                _ => leader_detach(cluster, &name),
            }
        },
    )
}

fn any_changes() -> impl Strategy<Value = Vec<Change>> {
    (1usize..12).prop_flat_map(|n| (0..n).map(any_change).collect::<Vec<_>>())
}

proptest! {
    #[test]
    fn the_order_respects_every_dependency(changes in any_changes(), seed in any::<u64>()) {
        // Settings changes may repeat an address; keep the first of each.
        let mut unique: Vec<Change> = Vec::new();
        for c in changes {
            if !unique.iter().any(|u| u.address == c.address) {
                unique.push(c);
            }
        }
        match order(unique.clone()) {
            Ok(ordered) => {
                prop_assert_eq!(ordered.len(), unique.len());
                for (at, change) in ordered.iter().enumerate() {
                    for dependency in &change.depends_on {
                        let before = ordered[..at].iter().any(|c| &c.address == dependency);
                        prop_assert!(before, "{} runs before {}", change.address, dependency);
                    }
                }
                // Saved and read back, the plan is the same graph in the same order.
                let again = DependencyGraph::from_depends_on(ordered.clone()).unwrap();
                prop_assert_eq!(&again.into_changes(), &ordered);
                // The same changes in another order give the same plan.
                let mut shuffled = unique.clone();
                let len = shuffled.len();
                shuffled.rotate_left((seed as usize) % len);
                shuffled.reverse();
                prop_assert_eq!(order(shuffled).unwrap(), ordered);
            }
            Err(cycle) => {
                // Only replaces both free and claim, so only they can form a cycle.
                prop_assert!(cycle.members.len() >= 2);
                for member in &cycle.members {
                    let change = unique.iter().find(|c| &c.address == member).unwrap();
                    prop_assert_eq!(change.action, Action::Replace);
                }
            }
        }
    }
}
