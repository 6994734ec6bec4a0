//! Clusters that are not `Running`: a plan names every one of them, its state and how to start
//! it, all at once, without calling what such a cluster refuses.

use crate::support::{Standalone, cluster_id, manifest, small_world, writes};

/// The small world with `leader1` starting, and `follower2` stopped with the follower
/// database of an attachment `web`.
fn world_with_clusters_not_running() -> String {
    let web = format!(
        "    state: Stopped\n    attachedDatabaseConfigurations:\n      - name: web\n        clusterResourceId: {}\n        databaseName: Web\n",
        cluster_id("leader1")
    );
    small_world(&web).replace(
        &format!("  - id: {}\n", cluster_id("leader1")),
        &format!("  - id: {}\n    state: Starting\n", cluster_id("leader1")),
    )
}

/// `sales` on `f1` and `web` on `f2`, whose follower database settings kfollow manages (so a
/// plan would read them on `f2`'s data plane).
const TWO: &str = "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n  - name: web\n    follower: f2\n    leader: lead\n    databaseName: Web\n    followerDatabase:\n      prefetchExtents: true\n";

#[test]
fn a_plan_names_every_cluster_that_is_not_running_and_how_to_start_it() {
    let env = Standalone::start(&world_with_clusters_not_running());
    env.workspace.write("kfollow.yaml", &manifest("", TWO));
    let plan = env.run(&["plan"], &[]).expect_code(1);
    let stderr = &plan.stderr;
    assert!(
        stderr.contains(
            "cluster `f2` is `Stopped`, not `Running`, so kfollow can neither read its \
             databases nor change it; start it with `az kusto cluster start --name follower2 \
             --resource-group rg --subscription 00000000-0000-0000-0000-000000000001` or from \
             the Azure portal, then plan again"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "cluster `lead` is `Starting`, not `Running`, so kfollow can neither read its \
             databases nor change it; wait until it is `Running`, then plan again"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("the plan cannot be made (2 problems); nothing was changed"),
        "{stderr}"
    );
    // Nothing else: no transport error, no error of the reads a stopped cluster refuses.
    for noise in [
        "error sending request",
        "connection",
        "BadRequest",
        "attempts",
    ] {
        assert!(!stderr.contains(noise), "{noise}: {stderr}");
    }
    assert!(plan.stdout.is_empty(), "{}", plan.stdout);

    let requests = env.requests();
    let refused: Vec<_> = requests
        .iter()
        .filter(|r| {
            r.path.starts_with("/kusto/")
                || (r.path.ends_with("/databases")
                    && (r.path.contains("/leader1/") || r.path.contains("/follower2/")))
        })
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
    assert!(
        requests.iter().all(|r| r.status.is_some_and(|s| s < 400)),
        "{requests:#?}"
    );
    assert!(writes(&requests).is_empty());
    let apply = env.run(&["apply", "--auto-approve"], &[]).expect_code(1);
    assert!(
        apply
            .stderr
            .contains("`az kusto cluster start --name follower2"),
        "{}",
        apply.stderr
    );
    assert!(writes(&env.requests()).is_empty());
}

#[test]
fn export_of_a_stopped_cluster_says_how_to_start_it() {
    let env = Standalone::start(&world_with_clusters_not_running());
    let export = env
        .run(&["export", "--cluster", &cluster_id("follower2")], &[])
        .expect_code(1);
    assert!(
        export.stderr.contains(
            "cluster `follower2` is `Stopped`, not `Running`, so its databases cannot be read; \
             start it with `az kusto cluster start --name follower2 --resource-group rg"
        ),
        "{}",
        export.stderr
    );
    assert!(
        env.requests()
            .iter()
            .all(|r| !r.path.starts_with("/kusto/")),
        "{:#?}",
        env.requests()
    );
}
