//! Follower database settings, the leader's view and the review loop, end to end.

use kfollow_emulator::kusto;
use kfollow_model::Role;

use crate::support::{Standalone, Workspace, cluster_id, manifest, small_world, writes};

fn sales_with(settings: &str) -> String {
    format!(
        "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    followerDatabase:\n{settings}"
    )
}

const FIRST: &str = "      hotCachePeriod: 7d\n      tables:\n        Orders: { hotCachePeriod: 30d }\n        Customers: { hotCachePeriod: 1d }\n      materializedViews:\n        DailySales: { hotCachePeriod: 90d }\n      principals:\n        viewers: [\"aaduser=alice@contoso.com\", \"aadgroup=analysts@contoso.com\"]\n      prefetchExtents: true\n";

const SECOND: &str = "      hotCachePeriod: 168h\n      tables:\n        Orders: { hotCachePeriod: 30d }\n      materializedViews:\n        DailySales: { hotCachePeriod: 90d }\n      principals:\n        viewers: [\"AADUser=Alice@Contoso.com\", \"aaduser=bob@contoso.com\"]\n        admins: []\n      prefetchExtents: true\n";

fn settings(ws: &Workspace) -> kusto::FollowerSettings {
    let world = ws.world();
    world.clusters[1].attached_database_configurations[0]
        .follower_databases
        .get("Sales")
        .cloned()
        .expect("the follower database has settings")
}

#[test]
fn settings_converge_and_changes_are_exact() {
    let ws = Workspace::new();
    ws.write("world.yaml", &small_world(""));
    ws.write("kfollow.yaml", &manifest("", &sales_with(FIRST)));
    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    let first = settings(&ws);
    assert_eq!(first.tables.len(), 2);
    assert!(first.prefetch_extents);
    assert_eq!(first.principals.len(), 2);

    // 168h is 7d, Alice in other casing is Alice: only Customers' override goes, bob comes,
    // the analysts group goes.
    ws.write("kfollow.yaml", &manifest("", &sales_with(SECOND)));
    let plan = ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(2);
    assert!(
        plan.stdout
            .contains("Plan: 0 to attach, 1 to change, 0 to replace, 0 to detach."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(".delete follower database Sales table Customers policy caching"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(".add follower database Sales viewers ('aaduser=bob@contoso.com')"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(".drop follower database Sales viewers"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("alice"),
        "a normalisation is not a change:\n{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("policy caching hot = 168h"),
        "{}",
        plan.stdout
    );

    ws.emulated(&["apply", "--auto-approve"]).expect_code(0);
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
    let second = settings(&ws);
    assert_eq!(second.tables.keys().collect::<Vec<_>>(), ["Orders"]);
    let viewers: Vec<&str> = second
        .principals
        .iter()
        .filter(|p| p.role == Role::Viewers)
        .map(|p| p.display_name.as_str())
        .collect();
    assert_eq!(viewers.len(), 2, "{viewers:?}");
    assert!(viewers.iter().any(|v| v.contains("bob")), "{viewers:?}");
}

/// `hotCachePeriod: null` removes the database-level override; left out, it is not managed.
/// Applied through a saved plan, whose manifest must keep the null.
#[test]
fn a_null_hot_cache_period_deletes_the_database_override() {
    let env = Standalone::start(&small_world(""));
    let hot = |env: &Standalone| {
        env.emulator.world().clusters[1].attached_database_configurations[0]
            .follower_databases
            .get("Sales")
            .and_then(|s| s.hot_cache_period)
            .map(|t| t.to_literal())
    };
    let write = |settings: &str| {
        env.workspace
            .write("kfollow.yaml", &manifest("", &sales_with(settings)));
    };
    write("      hotCachePeriod: 7d\n");
    env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    assert_eq!(hot(&env), Some("7d".to_owned()));

    // Left out: not managed, the live override stays.
    write("      prefetchExtents: false\n");
    env.run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);

    write("      hotCachePeriod: null\n");
    let plan = env
        .run(&["plan", "--detailed-exitcode", "--out", "null.plan"], &[])
        .expect_code(2);
    assert!(
        plan.stdout.contains(r#"- hotCachePeriod = "7d" -> null"#),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(".delete follower database Sales policy caching"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to attach, 1 to change, 0 to replace, 0 to detach."),
        "{}",
        plan.stdout
    );

    env.run(&["apply", "null.plan"], &[]).expect_code(0);
    env.run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
    assert_eq!(hot(&env), None);
}

#[test]
fn every_command_kfollow_sends_parses_under_the_documented_grammar() {
    let env = Standalone::start(&small_world(""));
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(FIRST)));
    env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(SECOND)));
    env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    let commands: Vec<(String, Option<u16>)> = env
        .requests()
        .into_iter()
        .filter_map(|r| r.csl.map(|csl| (csl, r.status)))
        .collect();
    assert!(commands.len() >= 8, "{commands:?}");
    for (csl, status) in &commands {
        assert_eq!(*status, Some(200), "`{csl}` was refused");
        if let Err(error) = kusto::parse(csl) {
            panic!("`{csl}` does not parse: {error:?}");
        }
    }
}

#[test]
fn followers_the_manifest_does_not_declare_are_detached_from_the_leader_side() {
    // follower2 follows Web, and the manifest does not name follower2's attachment; the leader
    // says detach.
    let world = small_world(&format!(
        "    attachedDatabaseConfigurations:\n      - name: handmade\n        clusterResourceId: {}\n        databaseName: Web\n",
        cluster_id("leader1")
    ));
    let env = Standalone::start(&world);
    let text = manifest(
        "",
        "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n",
    )
    .replace(
        "    location: westeurope\n  f1:",
        "    location: westeurope\n    unmanagedFollowers: detach\n  f1:",
    )
    .replace(&format!("  f2:\n    id: {}\n", cluster_id("follower2")), "");
    env.workspace.write("kfollow.yaml", &text);
    let plan = env
        .run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(2);
    assert!(plan.stdout.contains("leader_follower"), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to detach"), "{}", plan.stdout);
    env.emulator.clear_requests();
    env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    assert!(
        env.requests()
            .iter()
            .any(|r| r.path.ends_with("/detachFollowerDatabases")),
        "{:?}",
        env.requests()
    );
    assert!(
        env.emulator.world().clusters[2]
            .attached_database_configurations
            .is_empty()
    );
    env.run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
}

#[test]
fn a_saved_plan_is_applied_only_while_fresh() {
    let env = Standalone::start(&small_world(""));
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(FIRST)));
    env.run(&["plan", "--out", "reviewed.plan"], &[])
        .expect_code(0);

    // Someone attaches Web to follower1 by hand between plan and apply.
    let sneak = manifest(
        "",
        "  - name: web\n    follower: f1\n    leader: lead\n    databaseName: Web\n",
    );
    env.workspace.write("sneak.yaml", &sneak);
    env.run(&["apply", "-f", "sneak.yaml", "--auto-approve"], &[])
        .expect_code(0);

    env.emulator.clear_requests();
    let stale = env.run(&["apply", "reviewed.plan"], &[]).expect_code(1);
    assert!(
        stale.stderr.contains("Saved plan is stale"),
        "{}",
        stale.stderr
    );
    assert!(stale.stderr.contains("web"), "{}", stale.stderr);
    assert!(writes(&env.requests()).is_empty(), "{:?}", env.requests());

    // A fresh plan, saved and shown, applies without a question.
    env.run(&["plan", "--out", "fresh.plan"], &[])
        .expect_code(0);
    let shown = env.run(&["show", "fresh.plan"], &[]).expect_code(0);
    assert!(
        shown.stdout.contains("+ attachment \"f1/sales\""),
        "{}",
        shown.stdout
    );
    env.run(&["apply", "fresh.plan"], &[]).expect_code(0);
    let after = env
        .run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
    // What is left is the hand-made attachment, reported and left alone.
    assert!(after.stdout.contains("f1/web"), "{}", after.stdout);
}

#[test]
fn apply_waits_for_settings_that_show_at_the_next_schema_refresh() {
    // The emulator's `.show follower database` reports each change 1.5 s after it was made, as
    // the service applies follower commands at its next schema refresh; apply re-reads after
    // 0 s (still the old settings) and 2 s more (the new ones).
    let world = small_world("").replace(
        "settings:\n  retryAfterSeconds: 0\n",
        "settings:\n  retryAfterSeconds: 0\n  schemaRefreshMs: 1500\n",
    );
    assert!(world.contains("schemaRefreshMs"), "{world}");
    let env = Standalone::start(&world);
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(FIRST)));
    let apply = env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    assert!(
        apply
            .stdout
            .contains("Waiting for follower database settings to take effect"),
        "{}",
        apply.output()
    );
    assert!(
        !apply.output().contains("do not show yet"),
        "{}",
        apply.output()
    );
    env.run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
}

#[test]
fn a_saved_plan_applies_against_the_in_process_emulator() {
    // Each `--emulator` run serves the world on a new port; the plan must not call that a
    // change of the world.
    let ws = Workspace::new();
    ws.write("world.yaml", &small_world(""));
    ws.write("kfollow.yaml", &manifest("", &sales_with(FIRST)));
    ws.emulated(&["plan", "--out", "reviewed.plan"])
        .expect_code(0);
    let apply = ws.emulated(&["apply", "reviewed.plan"]).expect_code(0);
    assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
    ws.emulated(&["plan", "--detailed-exitcode"]).expect_code(0);
}

/// The small world with `settings.echoPrincipalNotes` set, and `extra` under follower1.
fn echoing(echo: bool, extra: &str) -> String {
    small_world("")
        .replace(
            "settings:\n  retryAfterSeconds: 0\n",
            &format!("settings:\n  retryAfterSeconds: 0\n  echoPrincipalNotes: {echo}\n"),
        )
        .replace(
            &format!(
                "  - id: {}\n    location: westeurope\n",
                cluster_id("follower1")
            ),
            &format!(
                "  - id: {}\n    location: westeurope\n{extra}",
                cluster_id("follower1")
            ),
        )
}

/// The `.show database … principals` lookups among the requests.
fn lookups(env: &Standalone) -> Vec<String> {
    env.requests()
        .into_iter()
        .filter_map(|r| r.csl)
        .filter(|csl| csl.starts_with(".show database"))
        .collect()
}

/// The service may or may not show the notes of `.add`: with them, principals are tied by the
/// notes and nothing more is read; without, by one `.show database … principals`, and a
/// group named by its address, which nothing then ties, is reported rather than dropped or
/// added again.
#[test]
fn principals_are_tied_with_and_without_notes() {
    for echo in [true, false] {
        let env = Standalone::start(&echoing(echo, ""));
        env.workspace
            .write("kfollow.yaml", &manifest("", &sales_with(FIRST)));
        env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
        env.emulator.clear_requests();
        let again = env
            .run(&["plan", "--detailed-exitcode"], &[])
            .expect_code(0);
        let undecided = "Warning: follower database `Sales` on `f1`, `viewers`: cannot tell \
                         whether the live principal `aadgroup=";
        if echo {
            assert!(lookups(&env).is_empty(), "{:?}", lookups(&env));
            assert!(!again.stdout.contains("Warning"), "{}", again.stdout);
        } else {
            assert_eq!(lookups(&env), [".show database Sales principals"]);
            assert!(again.stdout.contains(undecided), "{}", again.stdout);
            assert!(
                again
                    .stdout
                    .contains("(analysts) is `aadgroup=analysts@contoso.com` of the manifest"),
                "{}",
                again.stdout
            );
        }

        // Alice in other casing is Alice (by notes, or by the UPN the directory shows), Bob is
        // no one live (another UPN), the group goes: both ways the same commands.
        env.workspace
            .write("kfollow.yaml", &manifest("", &sales_with(SECOND)));
        let plan = env
            .run(&["plan", "--detailed-exitcode"], &[])
            .expect_code(2);
        assert!(
            plan.stdout
                .contains(".add follower database Sales viewers ('aaduser=bob@contoso.com')"),
            "echo {echo}: {}",
            plan.stdout
        );
        assert!(
            plan.stdout
                .contains(".drop follower database Sales viewers ('aadgroup="),
            "echo {echo}: {}",
            plan.stdout
        );
        assert!(
            !plan.stdout.contains("alice"),
            "echo {echo}: {}",
            plan.stdout
        );
        assert!(
            !plan.stdout.contains("Warning"),
            "echo {echo}: {}",
            plan.stdout
        );
        env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
        let after = env
            .run(&["plan", "--detailed-exitcode"], &[])
            .expect_code(0);
        assert!(!after.stdout.contains("Warning"), "{}", after.stdout);
        let viewers: Vec<String> = env.emulator.world().clusters[1]
            .attached_database_configurations[0]
            .follower_databases["Sales"]
            .principals
            .iter()
            .map(|p| p.display_name.to_ascii_lowercase())
            .collect();
        assert_eq!(
            viewers,
            ["aaduser=alice@contoso.com", "aaduser=bob@contoso.com"],
            "echo {echo}"
        );
    }
}

/// Principals someone granted by hand carry no notes either way: the lookup ties Alice by her
/// UPN, drops Mallory (no manifest principal can be her), adds Bob, and leaves the group, which
/// may or may not be the manifest's, with a warning that names both and the way out.
#[test]
fn principals_granted_by_hand_are_never_dropped_on_a_guess() {
    let fqn = |text: &str| kusto::principals::fully_qualified_name(&text.parse().unwrap());
    let grants: String = [
        "aaduser=alice@contoso.com",
        "aadgroup=analysts@contoso.com",
        "aaduser=mallory@contoso.com",
    ]
    .iter()
    .map(|p| {
        format!(
            "              - {{ role: viewers, fqn: \"{}\", displayName: \"{p}\" }}\n",
            fqn(p)
        )
    })
    .collect();
    let extra = format!(
        "    attachedDatabaseConfigurations:\n      - name: sales\n        clusterResourceId: {}\n        \
         databaseName: Sales\n        followerDatabases:\n          Sales:\n            principals:\n{grants}",
        cluster_id("leader1")
    );
    let wanted = "      principals:\n        viewers: [\"aaduser=Alice@Contoso.com\", \
                  \"aadgroup=analysts@contoso.com\", \"aaduser=bob@contoso.com\"]\n";
    for echo in [true, false] {
        let env = Standalone::start(&echoing(echo, &extra));
        env.workspace
            .write("kfollow.yaml", &manifest("", &sales_with(wanted)));
        let plan = env
            .run(&["plan", "--detailed-exitcode"], &[])
            .expect_code(2);
        assert_eq!(lookups(&env), [".show database Sales principals"]);
        let group = fqn("aadgroup=analysts@contoso.com");
        let commands: Vec<&str> = plan
            .stdout
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(".add") || l.starts_with(".drop"))
            .collect();
        assert_eq!(
            commands,
            [
                ".add follower database Sales viewers ('aaduser=bob@contoso.com') 'kfollow: aaduser=bob@contoso.com'"
                    .to_owned(),
                format!(
                    ".drop follower database Sales viewers ('{}')",
                    fqn("aaduser=mallory@contoso.com")
                ),
            ],
            "echo {echo}: {}",
            plan.stdout
        );
        assert!(
            plan.stdout.contains(&format!(
                "cannot tell whether the live principal `{group}` (analysts) is \
                 `aadgroup=analysts@contoso.com` of the manifest"
            )) && plan.stdout.contains(&format!(
                "If they are one principal, write it in the manifest as the service stores it \
                 (`{group}`); if not, remove the live one with `.drop follower database Sales \
                 viewers ('{group}')`; then plan again"
            )),
            "echo {echo}: {}",
            plan.stdout
        );
        env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
        let held: Vec<String> = env.emulator.world().clusters[1].attached_database_configurations
            [0]
        .follower_databases["Sales"]
            .principals
            .iter()
            .map(|p| p.fqn.clone())
            .collect();
        assert!(held.contains(&group), "{held:?}");
        assert_eq!(held.len(), 3, "{held:?}");

        // As the warning says: the manifest names the group as the service stores it.
        let pinned = wanted.replace("aadgroup=analysts@contoso.com", &group);
        env.workspace
            .write("kfollow.yaml", &manifest("", &sales_with(&pinned)));
        let settled = env
            .run(&["plan", "--detailed-exitcode"], &[])
            .expect_code(0);
        assert!(!settled.stdout.contains("Warning"), "{}", settled.stdout);
    }
}
