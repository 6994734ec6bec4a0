//! `kfollow apply --rollback-manifest FILE`: the manifest written before the first write brings
//! every cluster the plan changes back, so that the plan of the original manifest is, word
//! for word, what it was before the apply.

use crate::examples::{EXAMPLES, example};
use crate::support::{Workspace, cluster_id, kfollow, manifest, small_world};

/// `kfollow apply WHAT --rollback-manifest rollback.yaml --record record.json`, which must
/// succeed and write the rollback manifest before its first write; returns the record.
fn apply_with_evidence(ws: &Workspace, what: &str, label: &str) -> serde_json::Value {
    let apply = ws
        .emulated(&[
            "apply",
            what,
            "--rollback-manifest",
            "rollback.yaml",
            "--record",
            "record.json",
        ])
        .expect_code(0);
    assert!(
        apply.stdout.contains(
            "Saved the rollback manifest to rollback.yaml. To undo this apply, run:\n  kfollow apply -f rollback.yaml"
        ),
        "{label}: {}",
        apply.stdout
    );
    // Written before the first write: the first progress line comes after it.
    let saved_at = apply.stdout.find("Saved the rollback manifest").unwrap();
    let first_write = apply.stdout.find("...\n").unwrap();
    assert!(saved_at < first_write, "{label}: {}", apply.stdout);
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("record.json")).unwrap())
            .unwrap();
    assert_eq!(record["rollback_manifest"], "rollback.yaml", "{label}");
    assert_eq!(record["result"], "complete", "{label}: {record:#}");
    record
}

/// plan → apply with a rollback manifest → apply the rollback → the same plan again.
fn round_trip(ws: &Workspace, label: &str) -> String {
    let before = ws.emulated(&["plan"]).expect_code(0).stdout;
    apply_with_evidence(ws, "--auto-approve", label);

    let rollback = std::fs::read_to_string(ws.path().join("rollback.yaml")).unwrap();
    kfollow(ws.path(), &["validate", "-f", "rollback.yaml"], &[]).expect_code(0);
    ws.emulated(&["apply", "-f", "rollback.yaml", "--auto-approve"])
        .expect_code(0);
    ws.emulated(&["plan", "-f", "rollback.yaml", "--detailed-exitcode"])
        .expect_code(0);
    let after = ws.emulated(&["plan"]).expect_code(0).stdout;
    assert_eq!(
        before, after,
        "{label}: the rollback did not bring the plan back\n--- rollback.yaml\n{rollback}"
    );
    rollback
}

#[test]
fn the_rollback_of_every_example_brings_its_plan_back() {
    for name in EXAMPLES {
        let ws = example(name);
        let rollback = round_trip(&ws, name);
        insta::assert_snapshot!(format!("{name}_rollback"), rollback);
    }
}

/// A replacement and settings changed in place (caching, table overrides, a principal added
/// by hand and dropped, the principals modification kind, prefetch), undone.
#[test]
fn replacements_and_settings_changed_in_place_are_undone() {
    let ws = Workspace::new();
    let attachments = format!(
        r#"    attachedDatabaseConfigurations:
      - name: sales
        clusterResourceId: {leader}
        databaseName: Sales
        databaseNameOverride: SalesOld
        defaultPrincipalsModificationKind: Union
        followerDatabases:
          SalesOld:
            hotCachePeriod: 3d
            prefetchExtents: true
      - name: web
        clusterResourceId: {leader}
        databaseName: Web
        defaultPrincipalsModificationKind: Union
        followerDatabases:
          Web:
            hotCachePeriod: 3d
            tables:
              Hits: 30d
            principals:
              - role: viewers
                fqn: aaduser=8c1a4e6b-0d2f-4a7e-9b3c-5e6f7a8b9c0d;72f988bf-86f1-41af-91ab-2d7cd011db47
                displayName: "Bob Kusto (upn: bob@contoso.com)"
"#,
        leader = cluster_id("leader1")
    );
    ws.write("world.yaml", &small_world(&attachments));
    ws.write(
        "kfollow.yaml",
        &manifest(
            "",
            r#"  - name: sales
    follower: f2
    leader: lead
    databaseName: Sales
    databaseNameOverride: SalesNew
    followerDatabase:
      hotCachePeriod: 14d
  - name: web
    follower: f2
    leader: lead
    databaseName: Web
    followerDatabase:
      hotCachePeriod: null
      tables: {}
      principals:
        viewers: [aaduser=alice@contoso.com]
      principalsModificationKind: Replace
      prefetchExtents: true
"#,
        ),
    );
    let plan = ws.emulated(&["plan"]).expect_code(0);
    assert!(
        plan.stdout
            .contains("Plan: 0 to attach, 2 to change, 1 to replace, 0 to detach."),
        "{}",
        plan.stdout
    );
    let rollback = round_trip(&ws, "replace");
    insta::assert_snapshot!("replace_rollback", rollback);
}

/// Nothing to do: no rollback manifest, and no write.
#[test]
fn no_changes_write_no_rollback_manifest() {
    let ws = example("litware");
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    let apply = ws
        .emulated(&["apply", "--auto-approve", "--rollback-manifest", "rb.yaml"])
        .expect_code(0);
    assert!(apply.stdout.contains("No changes."), "{}", apply.stdout);
    assert!(!ws.path().join("rb.yaml").exists());
}

/// The audit workflow: a saved plan, applied with its rollback manifest and record; applying
/// the rollback brings back the plan that was saved, word for word.
#[test]
fn a_saved_plan_applied_with_a_rollback_manifest_can_be_undone() {
    let ws = example("litware");
    let saved = ws
        .emulated(&["plan", "--out", "reviewed.plan"])
        .expect_code(0)
        .stdout;
    let record = apply_with_evidence(&ws, "reviewed.plan", "saved plan");
    assert_eq!(record["saved_plan"]["path"], "reviewed.plan", "{record:#}");
    ws.emulated(&["apply", "-f", "rollback.yaml", "--auto-approve"])
        .expect_code(0);
    let again = ws
        .emulated(&["plan", "--out", "again.plan"])
        .expect_code(0)
        .stdout
        .replace("again.plan", "reviewed.plan");
    assert_eq!(saved, again);
}
