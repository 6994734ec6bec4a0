//! `kfollow export` end to end: every example, once applied, exports to a manifest that
//! validates and plans as "No changes" against the same world.

use crate::examples::{EXAMPLES, example};
use crate::support::{Run, Workspace, kfollow};

/// The follower clusters of the example's manifest, as resource ids, in manifest order.
fn follower_ids(ws: &Workspace) -> Vec<String> {
    let text = std::fs::read_to_string(ws.path().join("kfollow.yaml")).unwrap();
    let desired = kfollow_spec::load("kfollow.yaml", &text).unwrap().desired;
    let mut ids: Vec<String> = Vec::new();
    for attachment in &desired.attachments {
        let id = desired
            .cluster(&attachment.follower)
            .unwrap()
            .id
            .to_string();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// `kfollow export --cluster ID … --emulator world.yaml`.
fn export(ws: &Workspace, clusters: &[String]) -> Run {
    let mut args = vec!["export"];
    for id in clusters {
        args.extend(["--cluster", id.as_str()]);
    }
    args.extend(["--emulator", "world.yaml"]);
    kfollow(ws.path(), &args, &[])
}

#[test]
fn every_example_exports_to_a_manifest_that_plans_no_changes() {
    for name in EXAMPLES {
        let ws = example(name);
        ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
        let followers = follower_ids(&ws);
        let exported = export(&ws, &followers).expect_code(0);
        let attachments = exported.stdout.matches("\n  - name: ").count();
        assert_eq!(
            exported.stderr.trim().lines().last(),
            Some(
                format!(
                    "exported {} clusters, {attachments} attachments",
                    exported.stdout.matches("\n    id: ").count()
                )
                .as_str()
            ),
            "{name}: {}",
            exported.stderr
        );
        ws.write("exported.yaml", &exported.stdout);
        let valid = kfollow(ws.path(), &["validate", "-f", "exported.yaml"], &[]);
        let valid = valid.expect_code(0);
        assert!(valid.stderr.is_empty(), "{name}: {}", valid.stderr);
        let plan = ws
            .emulated(&["plan", "-f", "exported.yaml", "--detailed-exitcode"])
            .expect_code(0);
        assert!(
            plan.stdout.contains("No changes."),
            "{name}:\n{}\n{}",
            exported.stdout,
            plan.stdout
        );
        if name != "fourth-coffee" {
            insta::assert_snapshot!(format!("{name}_export"), exported.stdout);
        }
    }
}

#[test]
fn a_cluster_given_by_its_three_names_is_the_same_cluster() {
    let ws = example("fabrikam");
    let by_id = export(
        &ws,
        &["/subscriptions/aaaaaaaa-0000-0000-0000-000000000003/resourceGroups/rg-sandbox/providers/Microsoft.Kusto/clusters/fabdatascience".to_owned()],
    )
    .expect_code(0);
    let by_names = export(
        &ws,
        &["aaaaaaaa-0000-0000-0000-000000000003/rg-sandbox/fabdatascience".to_owned()],
    )
    .expect_code(0);
    assert_eq!(by_id.stdout, by_names.stdout);
    assert!(
        by_id.stdout.contains("name: ledger-experiment"),
        "{}",
        by_id.stdout
    );
    assert_eq!(by_id.stderr.trim(), "exported 2 clusters, 1 attachment");
}

#[test]
fn a_missing_cluster_is_an_error_naming_it() {
    let ws = example("fabrikam");
    let missing = "/subscriptions/aaaaaaaa-0000-0000-0000-000000000009/resourceGroups/rg-nowhere/providers/Microsoft.Kusto/clusters/ghost";
    let run = export(&ws, &[missing.to_owned()]).expect_code(1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains(&format!("cluster `{missing}` does not exist")),
        "{}",
        run.stderr
    );
    let bad = export(&ws, &["not-a-cluster".to_owned()]).expect_code(1);
    assert!(bad.stderr.contains("`not-a-cluster`"), "{}", bad.stderr);
}
