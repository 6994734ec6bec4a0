//! How many HTTP calls a plan makes: a function of the clusters (and of the follower databases
//! whose principals the manifest manages), never of the attachments.

use std::fmt::Write;

use crate::support::{Standalone, cluster_id};

/// A viewer granted by hand (no notes) on the first follower database of each follower, and
/// managed by the manifest, when the estate has principals.
const READER: &str = "aaduser=reader@contoso.com";

/// `leaders` leader clusters with `databases` databases each, `followers` follower clusters;
/// follower `f` follows `per_follower` databases, all attached already. With `principals`, the
/// manifest manages the viewers of each follower's first follower database: [`READER`], as
/// the world grants it.
fn estate(
    leaders: usize,
    followers: usize,
    per_follower: usize,
    databases: usize,
    principals: bool,
) -> (String, String) {
    let reader_fqn =
        kfollow_emulator::kusto::principals::fully_qualified_name(&READER.parse().unwrap());
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
            let managed = principals && a == 0;
            let granted = if managed {
                format!(
                    ", followerDatabases: {{ L{leader}Db{database}: {{ principals: [{{ role: viewers, fqn: \"{reader_fqn}\", displayName: \"{READER}\" }}] }} }}"
                )
            } else {
                String::new()
            };
            writeln!(
                world,
                "      - {{ name: a{a}, clusterResourceId: {}, databaseName: L{leader}Db{database}{granted} }}",
                cluster_id(&format!("lead{leader}"))
            )
            .unwrap();
            let wanted = if managed {
                format!(", followerDatabase: {{ principals: {{ viewers: [\"{READER}\"] }} }}")
            } else {
                String::new()
            };
            writeln!(
                attachments,
                "  - {{ name: a{a}, follower: fol{f}, leader: lead{leader}, databaseName: L{leader}Db{database}{wanted} }}"
            )
            .unwrap();
        }
    }
    world.push_str("settings:\n  retryAfterSeconds: 0\n");
    (world, manifest + &attachments)
}

/// The requests of a plan that finds nothing to change, and how many of them are the two
/// management commands that read follower database settings and look principals up.
fn plan_calls(leaders: usize, followers: usize, per_follower: usize, principals: bool) -> Calls {
    let (world, manifest) = estate(leaders, followers, per_follower, 100, principals);
    let env = Standalone::start(&world);
    env.workspace.write("kfollow.yaml", &manifest);
    let plan = env
        .run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(!plan.stdout.contains("Warning"), "{}", plan.stdout);
    let requests = env.requests();
    let commands = |start: &str| {
        requests
            .iter()
            .filter(|r| r.csl.as_deref().is_some_and(|csl| csl.starts_with(start)))
            .count()
    };
    Calls {
        total: requests.len(),
        settings: commands(".show follower databases"),
        lookups: commands(".show database "),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Calls {
    total: usize,
    settings: usize,
    lookups: usize,
}

#[test]
fn plan_calls_depend_on_clusters_not_attachments() {
    // 50 clusters (10 leaders, 40 followers) and 1,000 attachments.
    let many = plan_calls(10, 40, 25, false);
    // Per cluster: the cluster, its databases, its attachments; per leader:
    // listFollowerDatabases. Nothing per attachment.
    assert_eq!(
        many,
        Calls {
            total: 50 * 3 + 10,
            settings: 0,
            lookups: 0
        }
    );
    // The same clusters with 40 attachments make the same calls.
    assert_eq!(plan_calls(10, 40, 1, false), many);
}

#[test]
fn principals_cost_one_lookup_per_follower_database_that_manages_them() {
    // Each follower manages the viewers of one follower database, granted by hand (no notes
    // to tie them by): per follower one `.show follower databases`, per such database one
    // `.show database … principals`; nothing per attachment.
    let many = plan_calls(10, 40, 25, true);
    assert_eq!(
        many,
        Calls {
            total: 50 * 3 + 10 + 40 + 40,
            settings: 40,
            lookups: 40
        }
    );
    assert_eq!(plan_calls(10, 40, 1, true), many);
}
