//! A write whose operation's status cannot be read has an unknown outcome; apply reads the
//! live state again at the end and reports what is really live.

use crate::support::{Standalone, manifest, small_world};

const SALES: &str =
    "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n";

#[test]
fn an_attach_whose_status_polls_fail_is_read_again_and_found_live() {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", SALES));
    // Every status poll fails until the operation timeout: the attach's end is never seen,
    // though it ends at once in the emulator.
    env.emulator.add_fault(
        serde_json::from_value(serde_json::json!({
            "method": "GET",
            "path": "*/operationResults/*",
            "respond": "unavailable",
            "count": 100_000,
        }))
        .unwrap(),
    );
    let apply = env
        .run(
            &["apply", "--auto-approve", "--operation-timeout", "300ms"],
            &[],
        )
        .expect_code(0);
    let stdout = &apply.stdout;
    assert!(
        stdout.contains("attachment.f1/sales: Outcome unknown:"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Reading the live state again for 1 change(s) whose outcome is unknown...\n\
             attachment.f1/sales: live after all (read again)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("Apply complete! 1 attached, 0 changed, 0 replaced, 0 detached."),
        "{stdout}"
    );
    assert!(!apply.stderr.contains("unknown"), "{}", apply.stderr);
    assert_eq!(
        env.emulator.world().clusters[1]
            .attached_database_configurations
            .len(),
        1
    );
}

#[test]
fn an_operation_timeout_must_be_a_positive_duration() {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", SALES));
    let apply = env
        .run(
            &["apply", "--auto-approve", "--operation-timeout", "soon"],
            &[],
        )
        .expect_code(1);
    assert!(
        apply.stderr.contains("`soon` is not a Kusto timespan"),
        "{}",
        apply.stderr
    );
    assert!(env.requests().is_empty());
}
