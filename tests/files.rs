//! Files the binary writes: a saved plan never lands on the manifest or the world, and replaces
//! an old one whole; the world written back keeps its mode and its symlink; two runs on one
//! world take turns.

use std::process::Stdio;

use crate::support::{SALES, Workspace, command, lines, manifest, small_world, wait_for};

const WEB: &str = "  - name: web\n    follower: f2\n    leader: lead\n    databaseName: Web\n";

#[test]
fn a_saved_plan_never_overwrites_what_the_run_reads() {
    let ws = Workspace::with_sales();
    let manifest_before = std::fs::read(ws.path().join("kfollow.yaml")).unwrap();
    let world_before = std::fs::read(ws.path().join("world.yaml")).unwrap();
    std::fs::create_dir(ws.path().join("sub")).unwrap();
    let mut targets = vec!["kfollow.yaml", "./sub/../kfollow.yaml", "world.yaml"];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("kfollow.yaml", ws.path().join("link.yaml")).unwrap();
        std::fs::hard_link(ws.path().join("kfollow.yaml"), ws.path().join("hard.yaml")).unwrap();
        targets.extend(["link.yaml", "hard.yaml"]);
    }
    for target in targets {
        let run = ws.emulated(&["plan", "--out", target]).expect_code(1);
        assert!(
            run.stderr
                .contains("which this run reads; it was not written over"),
            "{target}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("`{target}`")),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{target}: {}", run.stdout);
    }
    assert_eq!(
        std::fs::read(ws.path().join("kfollow.yaml")).unwrap(),
        manifest_before
    );
    assert_eq!(
        std::fs::read(ws.path().join("world.yaml")).unwrap(),
        world_before
    );
}

#[test]
fn a_saved_plan_replaces_the_old_one_whole() {
    let ws = Workspace::with_sales();
    let plan = ws
        .emulated(&["plan", "--out", "reviewed.plan"])
        .expect_code(0);
    assert!(
        plan.stdout.ends_with(
            "\nSaved the plan to reviewed.plan. To perform exactly these actions, run:\n  \
             kfollow apply reviewed.plan\n"
        ),
        "{}",
        plan.stdout
    );
    let path = ws.path().join("reviewed.plan");
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    // Padding makes the old file longer than the new plan: an in-place write would leave a tail.
    let long = format!(
        "{}{}",
        std::fs::read_to_string(&path).unwrap(),
        " ".repeat(100_000)
    );
    std::fs::write(&path, long).unwrap();
    ws.emulated(&["plan", "--out", "reviewed.plan"])
        .expect_code(0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.len() < 100_000, "{} bytes", text.len());
    serde_json::from_str::<serde_json::Value>(&text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    // Nothing else is left in the folder (no temporary file).
    let mut names: Vec<String> = std::fs::read_dir(ws.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["kfollow.yaml", "reviewed.plan", "world.yaml"]);

    let missing = ws
        .emulated(&["plan", "--out", "no/such/folder/x.plan"])
        .expect_code(1);
    assert!(
        missing
            .stderr
            .contains("cannot save the plan to `no/such/folder/x.plan`"),
        "{}",
        missing.stderr
    );
}

#[cfg(unix)]
#[test]
fn the_world_written_back_keeps_its_mode_and_its_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::with_sales();
    let real = ws.path().join("real-world.yaml");
    std::fs::rename(ws.path().join("world.yaml"), &real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("real-world.yaml", ws.path().join("world.yaml")).unwrap();

    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);

    let link = std::fs::symlink_metadata(ws.path().join("world.yaml")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    assert_eq!(
        ws.world().clusters[1]
            .attached_database_configurations
            .len(),
        1
    );
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn two_applies_on_one_world_take_turns_and_keep_both_changes() {
    let ws = Workspace::new();
    // Slow operations keep the first apply in flight while the second starts.
    ws.write(
        "world.yaml",
        &small_world("").replace("settings:\n", "settings:\n  operationMs: 800\n"),
    );
    ws.write("sales.yaml", &manifest("", SALES));
    ws.write("web.yaml", &manifest("", WEB));
    let apply = |file: &str| {
        command(
            ws.path(),
            &[
                "apply",
                "-f",
                file,
                "--auto-approve",
                "--emulator",
                "world.yaml",
            ],
            &[],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let mut first = apply("sales.yaml");
    let stdout = lines(first.stdout.take().unwrap());
    // The first run holds the world once it writes.
    let mut first_stdout = wait_for(&stdout, "Attaching...").join("\n");
    let second = apply("web.yaml").wait_with_output().unwrap();
    let first_status = first.wait().unwrap();
    first_stdout.extend(stdout.iter().map(|line| format!("\n{line}")));
    let second_stderr = String::from_utf8_lossy(&second.stderr);
    let second_stdout = String::from_utf8_lossy(&second.stdout);
    assert_eq!(first_status.code(), Some(0), "{first_stdout}");
    assert_eq!(
        second.status.code(),
        Some(0),
        "{second_stdout}\n{second_stderr}"
    );
    assert!(
        second_stderr
            .contains("waiting for another kfollow run to finish with the world `world.yaml`..."),
        "{second_stderr}"
    );
    assert!(
        first_stdout.contains("Apply complete! 1 attached"),
        "{first_stdout}"
    );
    assert!(
        second_stdout.contains("Apply complete! 1 attached"),
        "{second_stdout}"
    );
    let world = ws.world();
    assert_eq!(world.clusters[1].attached_database_configurations.len(), 1);
    assert_eq!(world.clusters[2].attached_database_configurations.len(), 1);
}
