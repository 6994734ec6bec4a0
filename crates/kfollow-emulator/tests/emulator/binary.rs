//! The standalone binary: its first stdout line, and `--save` writing the world back.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::common::{EMEA, WORLD, attach_body};

#[tokio::test]
async fn serves_a_world_file_and_saves_changes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("world.yaml");
    std::fs::write(&file, WORLD).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kfollow-emulator"))
        .args([
            "--world",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--save",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");

    let client = reqwest::Client::new();
    let url = format!("{base}{EMEA}/attachedDatabaseConfigurations/logs?api-version=2025-02-14");
    let answer = client
        .put(&url)
        .bearer_auth("t")
        .json(&attach_body("Logs"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    let saved = kfollow_emulator::World::load(&file).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let names: Vec<&str> = saved.clusters[1]
        .attached_database_configurations
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["sales", "logs"]);
}

#[test]
fn a_world_file_error_names_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(
        &file,
        "clusters:\n  - id: /not/a/cluster\n    location: westeurope\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kfollow-emulator"))
        .args(["--world", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let located = format!("{}:2:9", file.display());
    assert!(stderr.contains(&located), "{stderr}");
    assert!(!stderr.contains("<input>"), "{stderr}");
}
