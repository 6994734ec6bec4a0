//! A saved plan is the contract: it runs through the same dependency graph as a fresh one (a
//! plan file whose `depends_on` names a change it does not hold, or goes round in a circle, is
//! refused before anything is read or changed), it runs only when it is exactly the plan its
//! desired state and the live state give (a hand-edited file is refused, naming what was
//! edited), and only with the manifest it was made from.

use serde_json::{Value, json};

use crate::support::{Standalone, cluster_id, manifest, small_world, writes};

/// An attachment with follower database settings: two changes, the settings after the attach.
const SALES: &str = "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    followerDatabase:\n      prefetchExtents: true\n";

/// `kfollow plan --out reviewed.plan` of `manifest` in `world`: the environment and the file.
fn save(world: &str, manifest: &str) -> (Standalone, Value) {
    let env = Standalone::start(world);
    env.workspace.write("kfollow.yaml", manifest);
    env.run(&["plan", "--out", "reviewed.plan"], &[])
        .expect_code(0);
    let text = std::fs::read_to_string(env.workspace.path().join("reviewed.plan")).unwrap();
    (env, serde_json::from_str(&text).unwrap())
}

/// A saved plan of the two changes, and the environment it was made in.
fn saved() -> (Standalone, Value) {
    let (env, plan) = save(&small_world(""), &manifest("", SALES));
    let changes = plan["plan"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{plan}");
    assert_eq!(changes[1]["depends_on"], json!([changes[0]["address"]]));
    (env, plan)
}

/// Applies `plan` saved as `edited.plan`; it must fail having written nothing.
fn refused(env: &Standalone, plan: &Value) -> String {
    env.workspace
        .write("edited.plan", &serde_json::to_string_pretty(plan).unwrap());
    env.emulator.clear_requests();
    let run = env.run(&["apply", "edited.plan"], &[]).expect_code(1);
    assert!(env.requests().is_empty(), "{:?}", env.requests());
    assert!(writes(&env.requests()).is_empty());
    assert!(
        run.stderr
            .contains("the saved plan `edited.plan` cannot be applied"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert!(
        run.stderr.contains("kfollow plan --out PLAN"),
        "{}",
        run.stderr
    );
    run.stderr
}

#[test]
fn a_saved_dependency_on_a_change_not_in_the_plan_is_refused() {
    let (env, mut plan) = saved();
    plan["plan"]["changes"][1]["depends_on"] =
        json!([{"type": "attachment", "follower": "f1", "name": "gone"}]);
    let stderr = refused(&env, &plan);
    assert!(
        stderr.contains(
            "`follower_database.f1/Sales` depends on `attachment.f1/gone`, which is not in the plan"
        ),
        "{stderr}"
    );
}

#[test]
fn a_saved_dependency_cycle_is_refused() {
    let (env, mut plan) = saved();
    let settings = plan["plan"]["changes"][1]["address"].clone();
    plan["plan"]["changes"][0]["depends_on"] = json!([settings]);
    let stderr = refused(&env, &plan);
    assert!(
        stderr.contains(
            "the changes `attachment.f1/sales`, `follower_database.f1/Sales` depend on each other in a cycle"
        ),
        "{stderr}"
    );
}

#[test]
fn a_saved_plan_runs_in_the_order_its_graph_gives() {
    // Listed with the settings first, the plan still attaches first: the graph orders it.
    let (env, mut plan) = saved();
    let changes = plan["plan"]["changes"].as_array_mut().unwrap();
    changes.swap(0, 1);
    env.workspace.write(
        "swapped.plan",
        &serde_json::to_string_pretty(&plan).unwrap(),
    );
    env.emulator.clear_requests();
    env.run(&["apply", "swapped.plan"], &[]).expect_code(0);
    let requests = env.requests();
    let written: Vec<String> = writes(&requests)
        .iter()
        .map(|r| match &r.csl {
            Some(csl) => csl.trim().to_owned(),
            None => format!("{} {}", r.method, r.path),
        })
        .collect();
    let attach = written
        .iter()
        .position(|w| w.starts_with("PUT ") && w.contains("/attachedDatabaseConfigurations/sales"));
    let settings = written
        .iter()
        .position(|w| w.starts_with(".alter follower database"));
    assert!(
        attach.is_some() && settings.is_some() && attach < settings,
        "{written:#?}"
    );
}

/// follower1 has `stale`, which its manifest says to detach (`unmanagedAttachments: detach`);
/// follower2 has `precious`, which no manifest declares and kfollow leaves alone.
fn detach_world() -> String {
    small_world(&format!(
        "    attachedDatabaseConfigurations:\n      - name: precious\n        clusterResourceId: {leader}\n        databaseName: Sales\n",
        leader = cluster_id("leader1")
    ))
    .replacen(
        &format!("  - id: {f1}\n    location: westeurope\n", f1 = cluster_id("follower1")),
        &format!(
            "  - id: {f1}\n    location: westeurope\n    attachedDatabaseConfigurations:\n      - name: stale\n        clusterResourceId: {leader}\n        databaseName: Web\n",
            f1 = cluster_id("follower1"),
            leader = cluster_id("leader1")
        ),
        1,
    )
}

/// The manifest of [`detach_world`]: no attachment, follower1 detaches what it does not
/// declare.
fn detach_manifest() -> String {
    format!(
        "version: 1\nclusters:\n  lead:\n    id: {leader}\n    location: westeurope\n  f1:\n    id: {f1}\n    unmanagedAttachments: detach\n  f2:\n    id: {f2}\nattachments: []\n",
        leader = cluster_id("leader1"),
        f1 = cluster_id("follower1"),
        f2 = cluster_id("follower2"),
    )
}

/// The detach of `stale`, saved, and the environment it was made in.
fn saved_detach() -> (Standalone, Value) {
    let (env, plan) = save(&detach_world(), &detach_manifest());
    let changes = plan["plan"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{plan}");
    assert_eq!(changes[0]["action"], "detach", "{plan}");
    (env, plan)
}

/// The attachments each follower cluster of the emulator holds, by cluster name.
fn attachments(env: &Standalone) -> Vec<(String, Vec<String>)> {
    env.emulator
        .world()
        .clusters
        .iter()
        .map(|c| {
            (
                c.id.name().to_owned(),
                c.attached_database_configurations
                    .iter()
                    .map(|a| a.name.clone())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn a_hand_edited_saved_plan_does_not_run() {
    let (env, mut plan) = saved_detach();
    // The detach of `stale` now deletes `precious` instead and makes someone an admin.
    plan["plan"]["changes"][0]["operations"] = json!([
        {"op": "delete_attachment", "follower": cluster_id("follower2"), "name": "precious"},
        {
            "op": "kusto_command",
            "cluster": cluster_id("follower1"),
            "database": "Web",
            "csl": ".add follower database Web admins ('aaduser=mallory@contoso.com')"
        },
    ]);
    env.workspace
        .write("edited.plan", &serde_json::to_string_pretty(&plan).unwrap());
    let show = env.run(&["show", "edited.plan"], &[]).expect_code(0);
    assert!(
        show.stdout.contains("- attachment \"f1/stale\""),
        "{}",
        show.stdout
    );
    let before = attachments(&env);
    env.emulator.clear_requests();
    let apply = env.run(&["apply", "edited.plan"], &[]).expect_code(1);
    assert!(writes(&env.requests()).is_empty(), "{:#?}", env.requests());
    assert_eq!(attachments(&env), before);
    let stderr = &apply.stderr;
    assert!(
        stderr.contains(
            "the saved plan `edited.plan` is not what its manifest and the live state give"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(
        stderr.contains(
            "attachment.f1/stale: operation 1: the file says delete attachment `precious` on \
             cluster `follower2`; the manifest and the live state give delete attachment \
             `stale` on cluster `follower1`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "attachment.f1/stale: operation 2: the file says run `.add follower database Web \
             admins ('aaduser=mallory@contoso.com')` on cluster `follower1`; the manifest and \
             the live state give none"
        ),
        "{stderr}"
    );
}

/// Applies `plan` saved as `edited.plan`, with `args` before it; it must fail having written
/// nothing. Returns stderr.
fn refused_after_reading(env: &Standalone, plan: &Value, args: &[&str]) -> String {
    env.workspace
        .write("edited.plan", &serde_json::to_string_pretty(plan).unwrap());
    let before = attachments(env);
    env.emulator.clear_requests();
    let mut all = vec!["apply"];
    all.extend(args);
    all.push("edited.plan");
    let run = env.run(&all, &[]).expect_code(1);
    assert!(writes(&env.requests()).is_empty(), "{:#?}", env.requests());
    assert_eq!(attachments(env), before);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert!(
        run.stderr.contains("kfollow plan") && run.stderr.contains("--out PLAN"),
        "{}",
        run.stderr
    );
    run.stderr
}

#[test]
fn an_untouched_saved_plan_still_applies() {
    let (env, _) = saved_detach();
    env.run(&["apply", "reviewed.plan"], &[]).expect_code(0);
    assert_eq!(
        attachments(&env),
        [
            ("leader1".to_owned(), vec![]),
            ("follower1".to_owned(), vec![]),
            ("follower2".to_owned(), vec!["precious".to_owned()]),
        ]
    );
}

#[test]
fn an_edited_attribute_is_refused() {
    let (env, mut plan) = saved_detach();
    let attribute = plan["plan"]["changes"][0]["attributes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["name"] == "databaseName")
        .unwrap();
    attribute["before"] = json!("Sales");
    let stderr = refused_after_reading(&env, &plan, &[]);
    assert!(
        stderr.contains(
            "attachment.f1/stale: attribute `databaseName`: the file says \"Sales\" -> null; \
             the manifest and the live state give \"Web\" -> null"
        ),
        "{stderr}"
    );
}

#[test]
fn an_edited_dependency_is_refused_though_it_makes_a_dag() {
    // Without its dependency, the settings could be sent before the follower database exists.
    let (env, mut plan) = saved();
    plan["plan"]["changes"][1]["depends_on"] = json!([]);
    let stderr = refused_after_reading(&env, &plan, &[]);
    assert!(
        stderr.contains(
            "follower_database.f1/Sales: depends_on: the file says nothing; the manifest and \
             the live state give `attachment.f1/sales`"
        ),
        "{stderr}"
    );
}

#[test]
fn an_edited_desired_state_is_refused_with_or_without_its_manifest() {
    let (env, mut plan) = saved_detach();
    plan["desired"]["clusters"]["f1"]["unmanaged_attachments"] = json!("report");
    // The manifest is where the plan was made: it no longer gives what the file holds.
    let stderr = refused_after_reading(&env, &plan, &[]);
    assert!(
        stderr.contains(
            "the saved plan `edited.plan` does not hold what its manifest `kfollow.yaml` gives: \
             its desired state was edited"
        ),
        "{stderr}"
    );
    // Away from its manifest, the plan made again from the edited desired state differs.
    std::fs::remove_file(env.workspace.path().join("kfollow.yaml")).unwrap();
    let stderr = refused_after_reading(&env, &plan, &[]);
    assert!(
        stderr.contains(
            "attachment.f1/stale: change: the file says a change (detach); the manifest and \
             the live state give no change"
        ),
        "{stderr}"
    );
}

#[test]
fn a_plan_of_an_older_format_is_refused_by_apply() {
    let (env, mut plan) = saved_detach();
    plan["format_version"] = json!(1);
    env.workspace
        .write("old.plan", &serde_json::to_string_pretty(&plan).unwrap());
    env.emulator.clear_requests();
    let run = env.run(&["apply", "old.plan"], &[]).expect_code(1);
    assert!(env.requests().is_empty(), "{:?}", env.requests());
    assert!(
        run.stderr
            .contains("`old.plan` is a saved plan of format 1, this kfollow reads format 2"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_saved_digests_are_sha256() {
    let (_, plan) = saved_detach();
    let sha256 = |digest: &Value| {
        let digest = digest.as_str().unwrap();
        digest.len() == "sha256:".len() + 64
            && digest.strip_prefix("sha256:").is_some_and(|hex| {
                hex.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            })
    };
    assert!(
        sha256(&plan["manifest_digest"]),
        "{}",
        plan["manifest_digest"]
    );
    let prints = plan["fingerprints"].as_object().unwrap();
    assert!(!prints.is_empty());
    assert!(prints.values().all(sha256), "{prints:#?}");
}

#[test]
fn a_manifest_changed_since_the_plan_was_saved_is_refused_before_anything_is_read() {
    let (env, _) = saved_detach();
    let manifest = env.workspace.path().join("kfollow.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("detach", "report")).unwrap();
    env.emulator.clear_requests();
    let run = env.run(&["apply", "reviewed.plan"], &[]).expect_code(1);
    assert!(env.requests().is_empty(), "{:?}", env.requests());
    assert!(
        run.stderr.contains(
            "the manifest `kfollow.yaml` changed since the plan `reviewed.plan` was saved; \
             nothing was changed"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("kfollow plan -f kfollow.yaml --out PLAN"),
        "{}",
        run.stderr
    );
    // Put back as it was, the manifest lets the plan run.
    std::fs::write(&manifest, text).unwrap();
    env.run(&["apply", "reviewed.plan"], &[]).expect_code(0);
}

#[test]
fn with_a_saved_plan_dash_f_names_the_manifest_it_must_match() {
    let (env, _) = saved_detach();
    let ws = &env.workspace;
    // Another manifest: refused, naming both.
    ws.write("other.yaml", &detach_manifest().replace("detach", "report"));
    env.emulator.clear_requests();
    let run = env
        .run(&["apply", "-f", "other.yaml", "reviewed.plan"], &[])
        .expect_code(1);
    assert!(env.requests().is_empty(), "{:?}", env.requests());
    assert!(
        run.stderr.contains(
            "the manifest `other.yaml` is not the one the plan `reviewed.plan` was made from \
             (`kfollow.yaml`); nothing was changed"
        ),
        "{}",
        run.stderr
    );
    // A manifest `-f` names must be there.
    let run = env
        .run(&["apply", "-f", "missing.yaml", "reviewed.plan"], &[])
        .expect_code(1);
    assert!(
        run.stderr
            .contains("cannot read the manifest `missing.yaml`"),
        "{}",
        run.stderr
    );
    // The same manifest somewhere else, with the plan's own copy gone: the plan runs.
    std::fs::create_dir(ws.path().join("moved")).unwrap();
    std::fs::rename(
        ws.path().join("kfollow.yaml"),
        ws.path().join("moved/kfollow.yaml"),
    )
    .unwrap();
    env.run(
        &["apply", "--file", "moved/kfollow.yaml", "reviewed.plan"],
        &[],
    )
    .expect_code(0);
    assert_eq!(attachments(&env)[1], ("follower1".to_owned(), vec![]));
}

#[test]
fn a_stale_plan_names_each_resource_on_its_own_line() {
    let (env, _) = saved();
    // Someone attaches Web to both followers by hand between plan and apply.
    let web = |follower: &str| {
        format!(
            "  - name: web\n    follower: {follower}\n    leader: lead\n    databaseName: Web\n"
        )
    };
    env.workspace.write(
        "sneak.yaml",
        &manifest("", &format!("{}{}", web("f1"), web("f2"))),
    );
    env.run(&["apply", "-f", "sneak.yaml", "--auto-approve"], &[])
        .expect_code(0);
    env.emulator.clear_requests();
    let stale = env.run(&["apply", "reviewed.plan"], &[]).expect_code(1);
    assert!(writes(&env.requests()).is_empty(), "{:?}", env.requests());
    insta::assert_snapshot!(stale.stderr);
}
