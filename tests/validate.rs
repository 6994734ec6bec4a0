//! `kfollow validate` and `kfollow schema` end to end: the real binary, its exit codes, what
//! it prints and where.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn kfollow(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kfollow"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the kfollow binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_examples_are_valid() {
    for example in ["fourth-coffee", "fabrikam", "litware"] {
        let file = format!("examples/{example}/kfollow.yaml");
        let (code, stdout, stderr) = kfollow(&["validate", "-f", &file]);
        assert_eq!(code, 0, "{file}: {stderr}");
        assert!(
            stdout.starts_with(&format!("{file} is valid: ")),
            "{stdout}"
        );
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert!(stderr.is_empty(), "{stderr}");
    }
    let (_, stdout, _) = kfollow(&["validate", "-f", "examples/fourth-coffee/kfollow.yaml"]);
    assert_eq!(
        stdout.trim(),
        "examples/fourth-coffee/kfollow.yaml is valid: 5 clusters, 5 attachments \
         (2 follower databases with settings)."
    );
}

#[test]
fn an_invalid_manifest_prints_every_error_on_stderr_and_exits_1() {
    let file = "examples/invalid/many-errors-at-once.yaml";
    let (code, stdout, stderr) = kfollow(&["validate", "-f", file]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    for location in [
        "many-errors-at-once.yaml:14:40",
        "many-errors-at-once.yaml:16:40",
        "many-errors-at-once.yaml:18:15",
    ] {
        assert!(stderr.contains(location), "no {location} in {stderr}");
    }
    assert!(stderr.contains("did you mean `emea`?"), "{stderr}");
    assert!(stderr.contains("is invalid: 3 errors"), "{stderr}");
}

#[test]
fn every_invalid_example_exits_1() {
    for entry in std::fs::read_dir(root().join("examples/invalid")).expect("examples/invalid") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let (code, _, stderr) = kfollow(&["validate", "-f", &path.display().to_string()]);
            assert_eq!(code, 1, "{}: {stderr}", path.display());
        }
    }
}

#[test]
fn an_unreadable_manifest_is_a_clear_error() {
    // validate reads the manifest as every other command does: the same message and help.
    for command in ["validate", "plan"] {
        let (code, stdout, stderr) = kfollow(&[command, "-f", "no/such/kfollow.yaml"]);
        assert_eq!(code, 1, "{command}: {stderr}");
        assert!(stdout.is_empty(), "{command}: {stdout}");
        assert!(
            stderr.contains("cannot read the manifest `no/such/kfollow.yaml`"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("help: name the manifest with `-f FILE`"),
            "{command}: {stderr}"
        );
    }
}

#[test]
fn schema_prints_the_checked_in_schema() {
    let (code, stdout, _) = kfollow(&["schema"]);
    assert_eq!(code, 0);
    let checked_in = std::fs::read_to_string(root().join("schemas/kfollow.schema.json"))
        .expect("schemas/kfollow.schema.json");
    assert!(
        stdout == checked_in,
        "schemas/kfollow.schema.json is out of date; regenerate it with \
         `cargo run -q -- schema > schemas/kfollow.schema.json`"
    );
}

#[test]
fn the_example_worlds_load_in_the_emulator() {
    for example in ["fourth-coffee", "fabrikam", "litware"] {
        let path = root().join(format!("examples/{example}/world.yaml"));
        if let Err(error) = kfollow_emulator::World::load(&path) {
            panic!("{}: {error}", path.display());
        }
    }
}
