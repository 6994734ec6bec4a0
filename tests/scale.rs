//! How many HTTP calls a plan makes: a function of the clusters, never of the attachments.

use std::fmt::Write;

use crate::support::{Standalone, cluster_id};

/// `leaders` leader clusters with `databases` databases each, `followers` follower clusters;
/// follower `f` follows `per_follower` databases, all attached already.
fn estate(
    leaders: usize,
    followers: usize,
    per_follower: usize,
    databases: usize,
) -> (String, String) {
    let mut world = String::from("clusters:\n");
    let mut manifest = String::from("version: 1\nclusters:\n");
    for l in 0..leaders {
        let id = cluster_id(&format!("lead{l}"));
        writeln!(
            world,
            "  - id: {id}\n    location: westeurope\n    databases:"
        )
        .unwrap();
        for d in 0..databases {
            writeln!(world, "      - name: L{l}Db{d}").unwrap();
        }
        writeln!(manifest, "  lead{l}: {{ id: {id} }}").unwrap();
    }
    let mut attachments = String::from("attachments:\n");
    for f in 0..followers {
        let id = cluster_id(&format!("fol{f}"));
        writeln!(
            world,
            "  - id: {id}\n    location: westeurope\n    attachedDatabaseConfigurations:"
        )
        .unwrap();
        writeln!(manifest, "  fol{f}: {{ id: {id} }}").unwrap();
        for a in 0..per_follower {
            let n = f * per_follower + a;
            let (leader, database) = (n % leaders, n / leaders % databases);
            writeln!(
                world,
                "      - {{ name: a{a}, clusterResourceId: {}, databaseName: L{leader}Db{database} }}",
                cluster_id(&format!("lead{leader}"))
            )
            .unwrap();
            writeln!(
                attachments,
                "  - {{ name: a{a}, follower: fol{f}, leader: lead{leader}, databaseName: L{leader}Db{database} }}"
            )
            .unwrap();
        }
    }
    world.push_str("settings:\n  retryAfterSeconds: 0\n");
    (world, manifest + &attachments)
}

fn plan_calls(leaders: usize, followers: usize, per_follower: usize) -> usize {
    let (world, manifest) = estate(leaders, followers, per_follower, 100);
    let env = Standalone::start(&world);
    env.workspace.write("kfollow.yaml", &manifest);
    let plan = env
        .run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    env.requests().len()
}

#[test]
fn plan_calls_depend_on_clusters_not_attachments() {
    // 50 clusters (10 leaders, 40 followers) and 1,000 attachments.
    let many = plan_calls(10, 40, 25);
    // Per cluster: the cluster, its databases, its attachments; per leader:
    // listFollowerDatabases. Nothing per attachment.
    assert_eq!(many, 50 * 3 + 10);
    // The same clusters with 40 attachments make the same calls.
    assert_eq!(plan_calls(10, 40, 1), many);
}
