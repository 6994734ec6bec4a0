//! A saved plan runs through the same dependency graph as a fresh one: a plan file whose
//! `depends_on` names a change it does not hold, or goes round in a circle, is refused before
//! anything is read or changed.

use serde_json::{Value, json};

use crate::support::{Standalone, manifest, small_world, writes};

/// An attachment with follower database settings: two changes, the settings after the attach.
const SALES: &str = "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    followerDatabase:\n      prefetchExtents: true\n";

/// A saved plan of the two changes, and the environment it was made in.
fn saved() -> (Standalone, Value) {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", SALES));
    env.run(&["plan", "--out", "reviewed.plan"], &[])
        .expect_code(0);
    let text = std::fs::read_to_string(env.workspace.path().join("reviewed.plan")).unwrap();
    let plan: Value = serde_json::from_str(&text).unwrap();
    let changes = plan["plan"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{text}");
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
