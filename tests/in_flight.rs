//! An apply killed while its attach runs: the next plan shows the attach in progress and plans
//! no second one, and the next apply waits for it, writing nothing.

use std::time::{Duration, Instant};

use crate::support::{Standalone, manifest, small_world, writes};

const SALES: &str =
    "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n";

/// PUTs of the attachment `sales`.
fn puts_of_sales(env: &Standalone) -> usize {
    env.requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/attachedDatabaseConfigurations/sales"))
        .count()
}

#[test]
fn a_replan_while_an_attach_runs_waits_for_it_and_sends_no_duplicate() {
    // Azure-like: no `Retry-After`, operations that take a while.
    let world = small_world("").replace("  retryAfterSeconds: 0\n", "  operationMs: 700\n");
    let env = Standalone::start(&world);
    env.workspace.write("kfollow.yaml", &manifest("", SALES));

    // The first apply dies (a killed CI job) once its PUT was accepted.
    let mut first = env.spawn(&["apply", "--auto-approve"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while puts_of_sales(&env) == 0 {
        assert!(Instant::now() < deadline, "the first apply sent no PUT");
        std::thread::sleep(Duration::from_millis(5));
    }
    first.kill().unwrap();
    first.wait().unwrap();

    let plan = env
        .run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(2);
    assert!(
        plan.stdout.contains(
            "# attachment.f1/sales will be attached: an attach is already running \
             (`provisioningState` `Creating`); apply waits for it to end and sends nothing"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(
            "Plan: 1 to attach, 0 to change, 0 to replace, 0 to detach (1 waits for an \
             operation already running)."
        ),
        "{}",
        plan.stdout
    );

    let writes_before = writes(&env.requests()).len();
    let apply = env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    assert!(
        apply
            .stdout
            .contains("Apply complete! 1 attached, 0 changed, 0 replaced, 0 detached."),
        "{}",
        apply.stdout
    );
    assert_eq!(
        writes(&env.requests()).len(),
        writes_before,
        "the second apply only waited"
    );
    assert_eq!(puts_of_sales(&env), 1);
    env.run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
    let world = env.emulator.world();
    assert_eq!(world.clusters[1].attached_database_configurations.len(), 1);
}
