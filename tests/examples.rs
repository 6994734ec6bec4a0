//! Every example, end to end: plan (snapshotted as the user sees it) → apply → plan shows no
//! changes.

use std::path::Path;

use kfollow_emulator::World;

use crate::support::{Workspace, kfollow};

pub(crate) const EXAMPLES: [&str; 3] = ["fourth-coffee", "fabrikam", "litware"];

/// A scratch copy of an example's manifest and world.
///
/// The world's operations answer with `Retry-After: 0`: the examples' worlds, like Azure, send
/// none, and kfollow's first poll of each kind of operation then comes after a second, which
/// these tests would spend asleep for every apply. Polling without `Retry-After` is tested
/// where it is the point (`in_flight.rs`, and `kfollow-azure`'s tests).
pub(crate) fn example(name: &str) -> Workspace {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let ws = Workspace::new();
    let read = |file| std::fs::read_to_string(source.join(file)).expect("the example file exists");
    ws.write("kfollow.yaml", &read("kfollow.yaml"));
    let mut world = World::from_yaml(&read("world.yaml")).expect("the example world loads");
    world.settings.retry_after_seconds = Some(0);
    world
        .save(&ws.path().join("world.yaml"))
        .expect("the world copy is written");
    ws
}

#[test]
fn every_example_converges() {
    for name in EXAMPLES {
        let ws = example(name);
        let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
        insta::assert_snapshot!(format!("{name}_plan"), plan.stdout);
        let apply = ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
        assert!(
            apply.stdout.contains("Apply complete!"),
            "{name}: {}",
            apply.stdout
        );
        let again = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
        assert!(
            again.stdout.contains("No changes."),
            "{name}: {}",
            again.stdout
        );
    }
}

#[test]
fn every_example_validates() {
    for name in EXAMPLES {
        let ws = example(name);
        let run = kfollow(ws.path(), &["validate"], &[]).expect_code(0);
        assert!(run.stdout.contains("is valid"), "{name}: {}", run.stdout);
    }
}

#[test]
fn plan_forms_for_review() {
    let ws = example("fabrikam");
    let markdown = ws
        .emulated(&["plan", "--format", "markdown"])
        .expect_code(0);
    insta::assert_snapshot!("fabrikam_plan_markdown", markdown.stdout);
    let json = ws.emulated(&["plan", "--format", "json"]).expect_code(0);
    let stable = json.stdout.replace(env!("CARGO_PKG_VERSION"), "[version]");
    let value: serde_json::Value = serde_json::from_str(&stable).expect("plan JSON parses");
    insta::assert_json_snapshot!("fabrikam_plan_json", value);
}

/// The comment a bot posts per manifest: the marker names the manifest (safe in an HTML
/// comment whatever the path), the title is the manifest path or `--title`, and `show` gives
/// the same comment from the saved plan.
#[test]
fn a_pull_request_comment_is_found_by_its_marker() {
    let ws = example("fabrikam");
    let manifest = std::fs::read_to_string(ws.path().join("kfollow.yaml")).unwrap();
    ws.write("prod--eu.yaml", &manifest);
    let planned = ws
        .emulated(&[
            "plan",
            "-f",
            "prod--eu.yaml",
            "--format",
            "markdown",
            "--out",
            "reviewed.plan",
        ])
        .expect_code(0);
    let lines: Vec<&str> = planned.stdout.lines().collect();
    assert_eq!(
        lines[..2],
        ["<!-- kfollow:plan:prod-%2Deu.yaml -->", "### prod--eu.yaml"]
    );

    let shown = kfollow(
        ws.path(),
        &[
            "show",
            "reviewed.plan",
            "--format",
            "markdown",
            "--title",
            "Fabrikam <production>",
        ],
        &[],
    )
    .expect_code(0);
    let shown_lines: Vec<&str> = shown.stdout.lines().collect();
    assert_eq!(
        shown_lines[..2],
        [
            "<!-- kfollow:plan:prod-%2Deu.yaml -->",
            "### Fabrikam \\<production\\>"
        ]
    );
    assert_eq!(shown_lines[2..], lines[2..]);

    // A title heads the markdown only: with another form it is refused, not dropped.
    for format in ["text", "json"] {
        let refused = kfollow(
            ws.path(),
            &["show", "reviewed.plan", "--format", format, "--title", "x"],
            &[],
        )
        .expect_code(1);
        assert!(refused.stdout.is_empty(), "{}", refused.stdout);
        assert!(
            refused.stderr.contains(&format!(
                "`--title` is the heading of the markdown form; it does not apply to `--format {format}`"
            )),
            "{}",
            refused.stderr
        );
    }
    let refused = ws
        .emulated(&[
            "plan",
            "-f",
            "prod--eu.yaml",
            "--title",
            "x",
            "--out",
            "no.plan",
        ])
        .expect_code(1);
    assert!(
        refused.stderr.contains("add `--format markdown`"),
        "{}",
        refused.stderr
    );
    assert!(!ws.path().join("no.plan").exists());
}
