//! Attachments made by Azure Data Share (`databaseShareOrigin: DataShare`), end to end: shown
//! with their origin, never detached by a policy, refused in a manifest, left out of an export.

use crate::support::{Workspace, cluster_id, kfollow, manifest, small_world};

const SALES: &str =
    "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n";

/// follower2 follows Web through `partner`, an attachment of Azure Data Share.
fn shared_world() -> String {
    small_world(&format!(
        "    attachedDatabaseConfigurations:\n      - name: partner\n        clusterResourceId: {}\n        databaseName: Web\n        databaseShareOrigin: DataShare\n",
        cluster_id("leader1")
    ))
}

#[test]
fn no_detach_policy_detaches_a_data_share_attachment() {
    let ws = Workspace::new();
    ws.write("world.yaml", &shared_world());
    // Both policies say detach: the follower's and the leader's.
    let text = manifest("    unmanagedAttachments: detach\n", SALES).replace(
        "    location: westeurope\n  f1:",
        "    location: westeurope\n    unmanagedFollowers: detach\n  f1:",
    );
    ws.write("kfollow.yaml", &text);
    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout
            .contains("Plan: 1 to attach, 0 to change, 0 to replace, 0 to detach."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(
            "attachment.f2/partner: attachment `partner` follows lead/Web, not in the manifest \
             (databaseShareOrigin `DataShare`); left alone: managed by Azure Data Share, although \
             `f2` says `unmanagedAttachments: detach`"
        ),
        "{}",
        plan.stdout
    );
    // Nothing asks the user to set the policies that would not detach it anyway.
    assert!(!plan.stdout.contains("Declare them"), "{}", plan.stdout);
    let json = ws.emulated(&["plan", "--format", "json"]).expect_code(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["unmanaged"][0]["database_share_origin"], "DataShare");

    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    let world = ws.world();
    assert_eq!(world.clusters[2].attached_database_configurations.len(), 1);
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_manifest_entry_for_a_data_share_attachment_is_refused() {
    let ws = Workspace::new();
    ws.write("world.yaml", &shared_world());
    ws.write(
        "kfollow.yaml",
        &manifest(
            "",
            "  - name: partner\n    follower: f2\n    leader: lead\n    databaseName: Web\n",
        ),
    );
    let before = std::fs::read_to_string(ws.path().join("world.yaml")).unwrap();
    let run = ws.emulated(&["apply", "--auto-approve"]).expect_code(1);
    assert!(
        run.stderr.contains(
            "attachment `partner` on `f2` (following `lead`/`Web`) was made by Azure Data Share \
             (databaseShareOrigin `DataShare`) and belongs to its share subscription, which \
             kfollow does not change; manage it in Azure Data Share, or remove it from the \
             manifest"
        ),
        "{}",
        run.output()
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("world.yaml")).unwrap(),
        before
    );
}

#[test]
fn export_leaves_a_data_share_attachment_out() {
    let ws = Workspace::new();
    ws.write("world.yaml", &shared_world());
    let run = kfollow(
        ws.path(),
        &[
            "export",
            "--cluster",
            &cluster_id("follower2"),
            "--emulator",
            "world.yaml",
        ],
        &[],
    )
    .expect_code(0);
    assert!(!run.stdout.contains("name: partner"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("#   `partner` on `follower2` follows `leader1`/`Web`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(
            "Warning: attachment `partner` on `follower2` was made by Azure Data Share \
             (databaseShareOrigin `DataShare`); it is left out of the manifest: manage it in \
             Azure Data Share"
        ),
        "{}",
        run.stderr
    );
    // The exported manifest plans nothing, and reports the attachment it left out.
    ws.write("kfollow.yaml", &run.stdout);
    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(
        plan.stdout.contains("managed by Azure Data Share"),
        "{}",
        plan.stdout
    );
    assert!(
        run.stderr.ends_with("exported 1 cluster, 0 attachments\n"),
        "{}",
        run.stderr
    );
}
