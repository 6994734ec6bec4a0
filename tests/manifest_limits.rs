//! Reading a manifest is bounded: a size cap, a cap on the diagnostics printed, bytes that
//! are not UTF-8 or NUL located by their offset, and nothing raw from the file echoed.

use std::fmt::Write as _;

use crate::support::{Workspace, cluster_id, kfollow};

/// A manifest whose `count` attachments all take the name `same` on one follower: every
/// attachment after the first is an error.
fn colliding(count: usize) -> String {
    let mut text = format!(
        "version: 1\nclusters:\n  f:\n    id: {}\n  l:\n    id: {}\nattachments:\n",
        cluster_id("follower1"),
        cluster_id("leader1")
    );
    for i in 0..count {
        let _ = write!(
            text,
            "  - name: same\n    follower: f\n    leader: l\n    databaseName: Db{i}\n"
        );
    }
    text
}

#[test]
fn validate_prints_the_first_200_diagnostics_then_how_many_more() {
    let workspace = Workspace::new();
    workspace.write("kfollow.yaml", &colliding(1_000));
    let run = kfollow(workspace.path(), &["validate"], &[]).expect_code(1);
    let shown = run.stderr.matches("kfollow::duplicate-attachment").count();
    assert_eq!(shown, 200, "{}", &run.stderr[run.stderr.len() - 500..]);
    assert!(
        run.stderr
            .contains("and 799 more errors not shown\n\n`kfollow.yaml` is invalid"),
        "{}",
        &run.stderr[run.stderr.len() - 500..]
    );
    assert!(
        run.stderr
            .contains("`kfollow.yaml` is invalid: 999 errors (the first 200 are shown)"),
        "{}",
        &run.stderr[run.stderr.len() - 500..]
    );
    // The first diagnostics are the first in the file.
    assert!(
        run.stderr.contains("kfollow.yaml:12:11"),
        "{}",
        &run.stderr[..2000]
    );
}

#[test]
fn a_manifest_over_64_mib_is_refused_before_it_is_read_whole() {
    // `/dev/zero` never ends: only a bounded read stops.
    for command in ["validate", "plan", "apply"] {
        // A token and an endpoint that is never reached: the manifest is read first.
        let env = [
            ("KFOLLOW_ACCESS_TOKEN", "unused"),
            ("KFOLLOW_ARM_ENDPOINT", "http://127.0.0.1:9"),
        ];
        let run = kfollow(
            std::path::Path::new("."),
            &[command, "-f", "/dev/zero"],
            &env,
        )
        .expect_code(1);
        assert!(
            run.stderr
                .contains("the manifest `/dev/zero` is larger than 64 MiB"),
            "{command}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{command}: {}", run.stdout);
    }
}

#[test]
fn bytes_that_are_not_utf8_are_located_by_their_offset() {
    let workspace = Workspace::new();
    let path = workspace.path().join("kfollow.yaml");
    std::fs::write(&path, b"version: 1\nclusters:\n  caf\xe9:\n    id: x\n").expect("write");
    let run = kfollow(workspace.path(), &["validate"], &[]).expect_code(1);
    assert!(
        run.stderr
            .contains("the manifest is not UTF-8: the byte 0xE9 at offset 26 (line 3, column 6)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("kfollow.yaml:3:6"), "{}", run.stderr);
}

#[test]
fn a_nul_byte_is_labelled_where_it_is_and_never_echoed() {
    let workspace = Workspace::new();
    let path = workspace.path().join("kfollow.yaml");
    std::fs::write(&path, b"version: 1\nclusters:\n  ab\0cd:\n    id: x\n").expect("write");
    let run = kfollow(workspace.path(), &["validate"], &[]).expect_code(1);
    assert!(
        run.stderr
            .contains("the manifest holds a NUL byte at offset 25 (line 3, column 5)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("kfollow.yaml:3:5"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\0'),
        "the NUL is echoed: {:?}",
        run.stderr
    );
    // Shown as the control picture instead.
    assert!(run.stderr.contains("ab\u{2400}cd"), "{}", run.stderr);
}
#[test]
fn a_one_megabyte_name_is_refused_without_echoing_it() {
    let workspace = Workspace::new();
    let name = "a".repeat(1 << 20);
    let mut text = colliding(0);
    let _ = write!(
        text,
        "  - name: {name}\n    follower: f\n    leader: l\n    databaseName: Sales\n"
    );
    workspace.write("kfollow.yaml", &text);
    let run = kfollow(workspace.path(), &["validate"], &[]).expect_code(1);
    assert!(
        run.stderr.contains("kfollow.yaml:8:11"),
        "{}",
        &run.stderr[..run.stderr.len().min(3000)]
    );
    assert!(
        run.stderr.contains("is 1048576 characters long"),
        "{}",
        &run.stderr[..run.stderr.len().min(3000)]
    );
    assert!(
        run.stderr.len() < 10_000,
        "{} bytes of diagnostics",
        run.stderr.len()
    );
}
