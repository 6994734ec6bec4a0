//! Targeted rollouts end to end: `--target` on `plan` and `apply`, the saved plan that keeps
//! its targets, and a mistyped target that changes nothing.

use serde_json::Value;

use crate::support::{Workspace, manifest, small_world};

/// `f1/sales` with settings (they wait for the attach) and `f2/web`: three changes on two
/// follower clusters.
const TWO_CLUSTERS: &str = "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    followerDatabase:\n      prefetchExtents: true\n  - name: web\n    follower: f2\n    leader: lead\n    databaseName: Web\n";

fn estate() -> Workspace {
    let ws = Workspace::new();
    ws.write("world.yaml", &small_world(""));
    ws.write("kfollow.yaml", &manifest("", TWO_CLUSTERS));
    ws
}

/// The attachment names on follower1 and follower2 of the world file.
fn attached(ws: &Workspace) -> (Vec<String>, Vec<String>) {
    let world = ws.world();
    let names = |index: usize| -> Vec<String> {
        world.clusters[index]
            .attached_database_configurations
            .iter()
            .map(|a| a.name.clone())
            .collect()
    };
    (names(1), names(2))
}

#[test]
fn a_targeted_plan_brings_in_what_its_target_depends_on() {
    let ws = estate();
    let plan = ws
        .emulated(&[
            "plan",
            "--target",
            "follower_database.f1/Sales",
            "--detailed-exitcode",
        ])
        .expect_code(2);
    insta::assert_snapshot!("targeted_plan", plan.stdout);
    assert!(!plan.stdout.contains("f2/web"), "{}", plan.stdout);
}

#[test]
fn a_cluster_target_rolls_out_one_follower_cluster() {
    let ws = estate();
    let markdown = ws
        .emulated(&["plan", "--target", "cluster.f2", "--format", "markdown"])
        .expect_code(0);
    insta::assert_snapshot!("targeted_plan_markdown", markdown.stdout);

    let apply = ws
        .emulated(&[
            "apply",
            "--target",
            "cluster.f2",
            "--auto-approve",
            "--record",
            "applied.json",
        ])
        .expect_code(0);
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("applied.json")).unwrap())
            .unwrap();
    assert_eq!(
        record["targets"],
        serde_json::json!(["cluster.f2"]),
        "{record}"
    );
    assert!(
        apply
            .stdout
            .contains("Warning: Resource targeting is in effect"),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stderr.contains(
            "Warning: only the changes of cluster.f2 and what they depend on were applied"
        ),
        "{}",
        apply.stderr
    );
    assert_eq!(attached(&ws), (vec![], vec!["web".to_owned()]));

    // The rest of the rollout is still to do.
    let rest = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        rest.stdout
            .contains("Plan: 1 to attach, 1 to change, 0 to replace, 0 to detach."),
        "{}",
        rest.stdout
    );
    ws.emulated(&["apply", "--target", "cluster.f1", "--auto-approve"])
        .expect_code(0);
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_saved_plan_keeps_its_targets_for_show_and_apply() {
    let ws = estate();
    ws.emulated(&[
        "plan",
        "--target",
        "attachment.f1/sales",
        "--out",
        "f1.plan",
    ])
    .expect_code(0);

    let shown = crate::support::kfollow(ws.path(), &["show", "f1.plan"], &[]).expect_code(0);
    assert!(
        shown
            .stdout
            .starts_with("Warning: Resource targeting is in effect\n  This plan holds only the changes of `attachment.f1/sales`"),
        "{}",
        shown.stdout
    );
    let json = crate::support::kfollow(ws.path(), &["show", "f1.plan", "--format", "json"], &[])
        .expect_code(0);
    let value: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        value["targeting"],
        serde_json::json!({ "targets": ["attachment.f1/sales"], "left_out": 2 })
    );

    // A saved plan keeps the targets it was made with; others are refused.
    let both = ws
        .emulated(&["apply", "f1.plan", "--target", "cluster.f2"])
        .expect_code(1);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
    assert_eq!(attached(&ws), (vec![], vec![]));

    ws.emulated(&["apply", "f1.plan"]).expect_code(0);
    assert_eq!(attached(&ws), (vec!["sales".to_owned()], vec![]));
}

/// A report's lines without miette's frame (`× `, `│ `), so a message reads as written.
fn unframed(stderr: &str) -> String {
    stderr
        .lines()
        .map(|line| {
            let line = line.trim_start();
            line.strip_prefix("× ")
                .or_else(|| line.strip_prefix("│ "))
                .unwrap_or(line)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_mistyped_target_names_close_matches_and_changes_nothing() {
    let ws = estate();
    let before = std::fs::read_to_string(ws.path().join("world.yaml")).unwrap();
    let mistyped = ["--target", "attachment.f1/slaes"];
    for args in [vec!["plan"], vec!["apply", "--auto-approve"]] {
        let run = ws
            .emulated(&[args, mistyped.to_vec()].concat())
            .expect_code(1);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            unframed(&run.stderr).contains(
                "`--target attachment.f1/slaes` names nothing in the manifest or the plan; did you mean:\n  attachment.f1/sales\n"
            ),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    }
    let run = ws
        .emulated(&["plan", "--target", "cluster.nowhere"])
        .expect_code(1);
    assert!(
        unframed(&run.stderr).contains(
            "the valid targets are:\n  attachment.f1/sales\n  attachment.f2/web\n  cluster.f1\n  cluster.f2\n  follower_database.f1/Sales\n  follower_database.f2/Web\n"
        ),
        "{}",
        run.stderr
    );
    // A leader has no changes of its own to roll out: its follower clusters are named.
    let run = ws
        .emulated(&["apply", "--target", "cluster.lead", "--auto-approve"])
        .expect_code(1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        unframed(&run.stderr).contains(
            "`--target cluster.lead` names a leader cluster; `cluster.<alias>` takes the changes on a follower cluster (a leader's detach of a follower among them), so target the follower clusters that follow it:\n  cluster.f1\n  cluster.f2\n"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("world.yaml")).unwrap(),
        before
    );
}

/// A saved plan runs only as the plan made again with its own targets: widening them, or
/// hiding that the plan is partial, is refused before any write.
#[test]
fn edited_targets_in_a_saved_plan_are_refused() {
    let ws = estate();
    ws.emulated(&["plan", "--target", "cluster.f2", "--out", "f2.plan"])
        .expect_code(0);
    let text = std::fs::read_to_string(ws.path().join("f2.plan")).unwrap();
    let before = std::fs::read_to_string(ws.path().join("world.yaml")).unwrap();
    let mut widened: Value = serde_json::from_str(&text).unwrap();
    widened["plan"]["targeting"]["targets"] = serde_json::json!(["cluster.f1"]);
    let mut whole: Value = serde_json::from_str(&text).unwrap();
    whole["plan"].as_object_mut().unwrap().remove("targeting");
    let mut understated: Value = serde_json::from_str(&text).unwrap();
    understated["plan"]["targeting"]["left_out"] = serde_json::json!(0);
    for (name, plan, expected) in [
        ("widened.plan", widened, "attachment.f1/sales: change"),
        (
            "whole.plan",
            whole,
            "attachment.f1/sales: change: the file says no change",
        ),
        (
            "understated.plan",
            understated,
            "targeting: --target: the file says targets cluster.f2 leaving out 0; the manifest \
             and the live state give targets cluster.f2 leaving out 2",
        ),
    ] {
        ws.write(name, &serde_json::to_string_pretty(&plan).unwrap());
        let run = ws.emulated(&["apply", name]).expect_code(1);
        assert!(run.stderr.contains(expected), "{name}: {}", run.stderr);
        assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(ws.path().join("world.yaml")).unwrap(),
        before
    );
    // The file as written still runs.
    ws.emulated(&["apply", "f2.plan"]).expect_code(0);
    assert_eq!(attached(&ws), (vec![], vec!["web".to_owned()]));
}
