//! `kfollow show` of files it cannot use: exit 1, nothing on stdout, and a message that
//! names the file and what to do.

use crate::support::{Workspace, kfollow};

#[test]
fn show_refuses_what_is_not_a_saved_plan_and_names_the_file() {
    let ws = Workspace::new();
    ws.write(
        "kfollow.yaml",
        "version: 1\nclusters: {}\nattachments: []\n",
    );
    // Format 1 had FNV digests, which prove nothing: its plans are not read any more.
    ws.write("old.plan", r#"{ "format_version": 1, "changes": [] }"#);
    for (file, message) in [
        (
            "kfollow.yaml",
            "`kfollow.yaml` is not a plan saved by `kfollow plan --out`",
        ),
        (
            "old.plan",
            "`old.plan` is a saved plan of format 1, this kfollow reads format 2",
        ),
        ("missing.plan", "cannot read the saved plan `missing.plan`"),
    ] {
        let run = kfollow(ws.path(), &["show", file], &[]).expect_code(1);
        assert!(run.stdout.is_empty(), "{file}: {}", run.stdout);
        assert!(run.stderr.contains(message), "{file}: {}", run.stderr);
    }
    let old = kfollow(ws.path(), &["show", "old.plan"], &[]);
    assert!(
        old.stderr
            .contains("make the plan again with this kfollow version"),
        "{}",
        old.stderr
    );
}

#[test]
fn show_refuses_a_manifest_and_says_why() {
    let ws = Workspace::with_sales();
    ws.emulated(&["plan", "--out", "reviewed.plan"])
        .expect_code(0);
    for flag in ["-f", "--file"] {
        let run = kfollow(
            ws.path(),
            &["show", "reviewed.plan", flag, "other.yaml"],
            &[],
        )
        .expect_code(1);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr.contains(
                "`-f` does not apply to `kfollow show`: the saved plan `reviewed.plan` holds \
                 the manifest it was made from (`kfollow.yaml`)"
            ),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("`kfollow plan -f other.yaml`"),
            "{}",
            run.stderr
        );
    }
}
