//! Plan and apply of attachments end to end: the binary, the emulator, real HTTP.

use crate::support::{SALES, Standalone, Workspace, cluster_id, manifest, small_world, writes};

#[test]
fn plan_apply_plan_converges() {
    let ws = Workspace::new();
    ws.write("world.yaml", &small_world(""));
    ws.write("kfollow.yaml", &manifest("", SALES));

    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout.contains("+ attachment \"f1/sales\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to attach, 0 to change, 0 to replace, 0 to detach.")
    );

    let apply = ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        apply
            .stdout
            .contains("Apply complete! 1 attached, 0 changed, 0 replaced, 0 detached.")
    );

    let again = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(
        again
            .stdout
            .contains("No changes. Live state matches the manifest.")
    );
    let world = ws.world();
    let follower = &world.clusters[1];
    assert_eq!(follower.attached_database_configurations.len(), 1);
    assert_eq!(
        follower.attached_database_configurations[0].database_name,
        "Sales"
    );
}

#[test]
fn sharing_lists_update_in_place() {
    let ws = Workspace::new();
    ws.write("world.yaml", &small_world(""));
    ws.write("kfollow.yaml", &manifest("", SALES));
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);

    let shared =
        format!("{SALES}    tableLevelSharing:\n      tablesToInclude: [Orders, \"Logs*\"]\n");
    ws.write("kfollow.yaml", &manifest("", &shared));
    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout.contains("~ attachment \"f1/sales\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to attach, 1 to change, 0 to replace, 0 to detach.")
    );

    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    let world = ws.world();
    let sharing =
        &world.clusters[1].attached_database_configurations[0].table_level_sharing_properties;
    assert_eq!(sharing.tables_to_include, ["Orders", "Logs*"]);

    // The same lists in another order are the same sets: no change.
    let reordered =
        format!("{SALES}    tableLevelSharing:\n      tablesToInclude: [\"Logs*\", Orders]\n");
    ws.write("kfollow.yaml", &manifest("", &reordered));
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_new_override_replaces_and_says_why() {
    let ws = Workspace::new();
    ws.write("world.yaml", &small_world(""));
    ws.write("kfollow.yaml", &manifest("", SALES));
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);

    let renamed = format!("{SALES}    databaseNameOverride: SalesCopy\n");
    ws.write("kfollow.yaml", &manifest("", &renamed));
    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout.contains("-/+ attachment \"f1/sales\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("# forces replacement"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("1 to replace"));

    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    let world = ws.world();
    let attachment = &world.clusters[1].attached_database_configurations[0];
    assert_eq!(
        attachment.database_name_override.as_deref(),
        Some("SalesCopy")
    );
}

#[test]
fn protect_refuses_a_replacement_and_changes_nothing() {
    let ws = Workspace::new();
    ws.write("world.yaml", &small_world(""));
    ws.write(
        "kfollow.yaml",
        &manifest("", &format!("{SALES}    protect: true\n")),
    );
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    let before = std::fs::read_to_string(ws.path().join("world.yaml")).unwrap();

    let renamed = format!("{SALES}    databaseNameOverride: SalesCopy\n    protect: true\n");
    ws.write("kfollow.yaml", &manifest("", &renamed));
    let plan = ws.emulated(&["plan"]).expect_code(1);
    assert!(
        plan.stderr.contains("databaseNameOverride"),
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains("kfollow.yaml:"), "{}", plan.stderr);
    let apply = ws.emulated(&["apply", "--auto-approve"]).expect_code(1);
    assert!(apply.stderr.contains("protect"), "{}", apply.stderr);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("world.yaml")).unwrap(),
        before
    );
}

const UNMANAGED_ON_F2: &str = "    attachedDatabaseConfigurations:\n      - name: handmade\n        clusterResourceId: LEADER\n        databaseName: Web\n";

fn unmanaged_world() -> String {
    small_world(&UNMANAGED_ON_F2.replace("LEADER", &cluster_id("leader1")))
}

#[test]
fn unmanaged_attachments_are_reported_and_left_alone() {
    let ws = Workspace::new();
    ws.write("world.yaml", &unmanaged_world());
    ws.write("kfollow.yaml", &manifest("", SALES));
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(plan.stdout.contains("handmade"), "{}", plan.stdout);
    assert_eq!(
        ws.world().clusters[2]
            .attached_database_configurations
            .len(),
        1
    );
}

#[test]
fn unmanaged_attachments_are_detached_where_the_follower_says_so() {
    let ws = Workspace::new();
    ws.write("world.yaml", &unmanaged_world());
    ws.write(
        "kfollow.yaml",
        &manifest("    unmanagedAttachments: detach\n", SALES),
    );
    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout.contains("- attachment \"f2/handmade\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("1 to attach, 0 to change, 0 to replace, 1 to detach.")
    );
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        ws.world().clusters[2]
            .attached_database_configurations
            .is_empty()
    );
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_refused_prompt_changes_nothing() {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", SALES));
    let apply = env.run(&["apply"], &[]).expect_code(1);
    assert!(
        apply.stderr.contains("standard input is not a terminal"),
        "{}",
        apply.stderr
    );
    assert!(apply.stderr.contains("--auto-approve"), "{}", apply.stderr);
    assert!(writes(&env.requests()).is_empty(), "{:?}", env.requests());
}

#[test]
fn a_failed_operation_stops_only_its_own_change() {
    let env = Standalone::start(&small_world(""));
    let two = format!(
        "{SALES}  - name: web\n    follower: f2\n    leader: lead\n    databaseName: Web\n"
    );
    env.workspace.write("kfollow.yaml", &manifest("", &two));
    env.emulator.add_fault(
        serde_json::from_value(serde_json::json!({
            "method": "PUT",
            "path": "*/clusters/follower1/attachedDatabaseConfigurations/*",
            "respond": "failOperation",
            "code": "BadRequest",
            "message": "the leader's storage could not be reached",
        }))
        .unwrap(),
    );
    let apply = env.run(&["apply", "--auto-approve"], &[]).expect_code(1);
    assert!(
        apply
            .output()
            .contains("the leader's storage could not be reached"),
        "{}",
        apply.output()
    );
    assert!(
        apply.stdout.contains(
            "Apply incomplete: 1 attached, 0 changed, 0 replaced, 0 detached; 1 failed, 0 not attempted."
        ),
        "{}",
        apply.stdout
    );
    let plan = env
        .run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(2);
    assert!(
        plan.stdout
            .contains("Plan: 1 to attach, 0 to change, 0 to replace, 0 to detach."),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("f1/sales"));
}

#[test]
fn throttling_and_unavailability_are_retried() {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", SALES));
    for (respond, count) in [("throttle", 2), ("unavailable", 1)] {
        env.emulator.add_fault(
            serde_json::from_value(serde_json::json!({
                "method": "GET",
                "path": "*/clusters/follower1",
                "respond": respond,
                "count": count,
                "retryAfterSeconds": 0,
            }))
            .unwrap(),
        );
    }
    env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    let statuses: Vec<Option<u16>> = env.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == Some(429)).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == Some(503)).count(), 1);
    env.run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
}

#[test]
fn a_wait_on_throttling_is_told_at_normal_verbosity() {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", SALES));
    let throttle = || {
        env.emulator.add_fault(
            serde_json::from_value(serde_json::json!({
                "method": "GET",
                "path": "*/clusters/follower1",
                "respond": "throttle",
                "retryAfterSeconds": 1,
            }))
            .unwrap(),
        );
    };
    throttle();
    let plan = env.run(&["plan"], &[]).expect_code(0);
    assert!(
        plan.stderr.contains("throttled by ARM; waiting 1s"),
        "{}",
        plan.stderr
    );
    assert!(
        !plan.stdout.contains("throttled"),
        "stdout holds the plan alone"
    );
    throttle();
    let apply = env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    assert!(
        apply.stdout.contains("throttled by ARM; waiting 1s"),
        "apply tells it among its progress lines: {}",
        apply.stdout
    );
}

#[test]
fn a_token_never_appears_in_output() {
    let canary = "canary-7f3a9d1e-secret-token";
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", SALES));
    for args in [
        vec!["-vv", "plan"],
        vec!["-vv", "apply", "--auto-approve"],
        vec!["-vv", "plan", "--format", "json"],
    ] {
        let run = env.run(&args, &[("KFOLLOW_ACCESS_TOKEN", canary)]);
        assert_eq!(run.code, 0, "{}", run.output());
        assert!(
            run.stderr.contains("GET"),
            "-vv should log HTTP calls: {}",
            run.stderr
        );
        assert!(
            !run.output().contains(canary),
            "the token leaked:\n{}",
            run.output()
        );
    }
}

#[test]
fn an_attachment_made_by_hand_is_drift_when_asked() {
    let ws = Workspace::new();
    ws.write("world.yaml", &unmanaged_world());
    ws.write("kfollow.yaml", &manifest("", SALES));
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    // In step with the manifest, but `f2/handmade` was attached by hand.
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    let drift = ws
        .emulated(&["plan", "--detailed-exitcode", "--unmanaged-is-drift"])
        .expect_code(2);
    assert!(
        drift.stdout.contains("attachment.f2/handmade: "),
        "{}",
        drift.stdout
    );
    assert!(drift.stdout.contains("No changes."), "{}", drift.stdout);
    // Without unmanaged resources there is nothing to report.
    ws.write(
        "kfollow.yaml",
        &manifest("    unmanagedAttachments: detach\n", SALES),
    );
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    ws.emulated(&["plan", "--detailed-exitcode", "--unmanaged-is-drift"])
        .expect_code(0);
    // It only means something with `--detailed-exitcode`: a usage error, exit 1, never the 2
    // a drift job reads as drift.
    let alone = ws
        .emulated(&["plan", "--unmanaged-is-drift"])
        .expect_code(1);
    assert!(
        alone.stderr.contains("--detailed-exitcode"),
        "{}",
        alone.stderr
    );
}

/// A `"*"` attachment whose follower database name is taken by a database of the follower
/// cluster: the service follows the other databases (the follower's own takes precedence), so
/// the plan warns, attaches, and plans no settings for the shadowed database.
#[test]
fn a_star_attachment_skips_a_name_the_follower_holds_with_a_warning() {
    let ws = Workspace::new();
    let world = small_world("").replace(
        &format!(
            "  - id: {}\n    location: westeurope\n",
            cluster_id("follower1")
        ),
        &format!(
            "  - id: {}\n    location: westeurope\n    databases:\n      - name: web\n",
            cluster_id("follower1")
        ),
    );
    assert!(world.contains("- name: web\n"), "{world}");
    ws.write("world.yaml", &world);
    ws.write(
        "kfollow.yaml",
        &manifest(
            "",
            "  - name: all\n    follower: f1\n    leader: lead\n    databaseName: \"*\"\n    \
             followerDatabases:\n      Web: { prefetchExtents: true }\n      Sales: { prefetchExtents: true }\n",
        ),
    );
    let warning = "Warning: `\"*\"` attachment `all` on `f1` does not follow leader database \
        `Web` of `lead`: its follower database name `Web` is taken on `f1` by a read-write \
        database, and a database of the follower cluster takes precedence over a leader \
        database of the same name (https://learn.microsoft.com/azure/data-explorer/follower); \
        the settings under `followerDatabases.Web` are not planned";
    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(plan.stdout.contains(warning), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("Plan: 1 to attach, 1 to change, 0 to replace, 0 to detach."),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("follower_database.f1/Web"),
        "{}",
        plan.stdout
    );
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    let world = ws.world();
    let follower = &world.clusters[1];
    assert_eq!(follower.databases.len(), 1, "{:?}", follower.databases);
    assert!(
        follower.attached_database_configurations[0]
            .follower_databases
            .get("Sales")
            .is_some_and(|s| s.prefetch_extents)
    );
    let again = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(again.stdout.contains(warning), "{}", again.stdout);
}
