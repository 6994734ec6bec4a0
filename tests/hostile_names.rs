//! Names from the manifest and from live state cannot spoof kfollow's output: a name holding a
//! line break and a forged summary line, terminal escapes (clear the screen, set the title),
//! NUL or bidirectional controls is shown escaped, on its own line's end, in the plan text, the
//! markdown, saved plans shown again, and the messages that quote it.

use kfollow_render::is_hidden;

use crate::support::{
    SALES, Standalone, Workspace, cluster_id, kfollow, manifest, sales_workspace, small_world,
};

/// A line break and a summary line of the name's own.
const FORGED: &str = "\nPlan: 0 to attach, 0 to change, 0 to replace, 0 to detach.\n";
/// Sets the terminal's title, then rings.
const TITLE: &str = "\u{1b}]0;pwned\u{7}";
/// Clears the screen.
const CLEAR: &str = "\u{1b}[2J";

/// A YAML scalar holding `text` exactly (a JSON string is a YAML double-quoted scalar).
fn yaml(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// What a user's terminal receives holds no raw control, bidirectional or invisible character
/// but line ends, and only kfollow's own summary line.
fn assert_inert(output: &str) {
    let raw: Vec<char> = output
        .chars()
        .filter(|&c| c != '\n' && is_hidden(c))
        .collect();
    assert!(raw.is_empty(), "raw {raw:?} in:\n{output}");
    let forged: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("Plan: 0 to attach, 0 to change"))
        .filter(|line| {
            line.trim_start_matches(|c: char| !c.is_alphanumeric())
                .starts_with("Plan:")
        })
        .collect();
    assert!(forged.is_empty(), "forged lines {forged:?} in:\n{output}");
}

/// The manifest of one attachment named `attachment`, with a caching override for `table`.
fn hostile_manifest(attachment: &str, table: &str) -> String {
    manifest(
        "",
        &format!(
            "  - name: {}\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    followerDatabase:\n      tables:\n        {}: {{ hotCachePeriod: 1d }}\n",
            yaml(attachment),
            yaml(table)
        ),
    )
}

#[test]
fn hostile_names_in_the_manifest_stay_inert() {
    let table = format!("Orders{FORGED}{TITLE}\0\u{202e}");
    let attachment = "sales\u{202e}\u{200b}exe.txt";
    let world = small_world("").replace(
        "tables: [Orders, Customers, Logs2026]",
        &format!("tables: [Orders, Customers, Logs2026, {}]", yaml(&table)),
    );
    let ws = Workspace::new();
    ws.write("world.yaml", &world);
    // The service refuses such a table name, so validate does, quoting it inert.
    ws.write("kfollow.yaml", &hostile_manifest(attachment, &table));
    let refused = kfollow(ws.path(), &["validate"], &[]).expect_code(1);
    assert_inert(&refused.output());
    assert!(
        refused.output().contains("table name"),
        "{}",
        refused.output()
    );
    // An attachment name may hold bidirectional and invisible characters: ARM takes them.
    ws.write("kfollow.yaml", &hostile_manifest(attachment, "Orders"));
    let validate = kfollow(ws.path(), &["validate"], &[]).expect_code(0);
    assert_inert(&validate.output());
    let plan = ws.emulated(&["plan", "--out", "p.plan"]).expect_code(0);
    assert_inert(&plan.output());
    let summaries: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.starts_with("Plan:"))
        .collect();
    assert_eq!(
        summaries,
        ["Plan: 1 to attach, 1 to change, 0 to replace, 0 to detach."]
    );
    assert!(
        plan.stdout
            .contains(r#"attachment "f1/sales\u{202e}\u{200b}exe.txt" {"#),
        "{}",
        plan.stdout
    );
    for format in ["text", "markdown"] {
        let shown = kfollow(ws.path(), &["show", "p.plan", "--format", format], &[]);
        let shown = shown.expect_code(0);
        assert_inert(&shown.output());
    }
    let markdown = ws
        .emulated(&["plan", "--format", "markdown"])
        .expect_code(0);
    assert_inert(&markdown.output());
    assert_eq!(markdown.stdout.matches("</details>").count(), 1);
}

/// follower2 holds an attachment the manifest does not declare, with a hostile name, following
/// a leader database with a hostile name.
fn hostile_world(attachment: &str, database: &str) -> String {
    small_world(&format!(
        "    attachedDatabaseConfigurations:\n      - name: {}\n        clusterResourceId: {}\n        databaseName: {}\n",
        yaml(attachment),
        cluster_id("leader1"),
        yaml(database)
    ))
    .replace("      - name: Web\n", &format!("      - name: {}\n", yaml(database)))
}

#[test]
fn hostile_names_in_the_world_stay_inert() {
    let attachment = format!("handmade{FORGED}{TITLE}\0\u{202e}");
    let database = format!("Web{CLEAR}\u{2066}`</details>");
    let env = Standalone::start(&hostile_world(&attachment, &database));
    env.workspace.write("kfollow.yaml", &manifest("", SALES));
    let plan = env.run(&["plan", "--out", "p.plan"], &[]).expect_code(0);
    assert_inert(&plan.output());
    // The unmanaged attachment is reported on one line.
    let reported: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.contains(r"handmade\nPlan: 0 to attach"))
        .collect();
    // One line: the address and the description that quotes the name again.
    assert_eq!(reported.len(), 1, "{}", plan.stdout);
    assert_eq!(
        reported[0]
            .matches(r"\u{1b}]0;pwned\u{7}\0\u{202e}")
            .count(),
        2,
        "{reported:?}"
    );
    assert!(
        plan.stdout
            .contains(r"follows lead/Web\u{1b}[2J\u{2066}`</details>"),
        "{}",
        plan.stdout
    );
    let markdown = env
        .run(&["show", "p.plan", "--format", "markdown"], &[])
        .expect_code(0);
    assert_inert(&markdown.output());
    assert_eq!(markdown.stdout.matches("</details>").count(), 1);
    assert_eq!(markdown.stdout.matches("<details>").count(), 1);
}

#[test]
fn messages_quoting_hostile_names_stay_inert() {
    // A live value in an error that stops the plan.
    let state = format!("Stopped{FORGED}{CLEAR}\u{202e}");
    let follower1 = format!(
        "  - id: {}\n    location: westeurope\n",
        cluster_id("follower1")
    );
    let stopped = format!("{follower1}    state: {}\n", yaml(&state));
    let ws = sales_workspace(&small_world("").replacen(&follower1, &stopped, 1));
    let plan = ws.emulated(&["plan"]).expect_code(1);
    assert_inert(&plan.output());
    assert!(
        plan.stderr.contains(r"Stopped\nPlan: 0 to attach"),
        "{}",
        plan.stderr
    );

    // A live name that appeared since the plan was saved, in the stale-plan message.
    let ws = sales_workspace(&small_world(""));
    ws.emulated(&["plan", "--out", "p.plan"]).expect_code(0);
    let attachment = format!("late{FORGED}{TITLE}\u{202e}");
    ws.write("world.yaml", &hostile_world(&attachment, "Web"));
    let apply = ws.emulated(&["apply", "p.plan"]).expect_code(1);
    assert_inert(&apply.output());
    assert!(
        apply.stderr.contains("Saved plan is stale")
            && apply.stderr.contains(r"late\nPlan: 0 to attach"),
        "{}",
        apply.stderr
    );
}
