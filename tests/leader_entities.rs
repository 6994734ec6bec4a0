//! Caching overrides name tables and materialized views of the leader database: the plan
//! checks they exist there (with `.show tables details` and `.show materialized-views` on
//! the leader, only for the databases whose settings name some), so apply never meets
//! `EntityNotFound` half-way. Table-level sharing entries that match nothing there are
//! warnings, for all four kinds (`.show external tables` and `.show functions` too).

use crate::support::{Standalone, cluster_id, manifest, small_world, writes};

fn sales_with(settings: &str) -> String {
    format!(
        "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    followerDatabase:\n{settings}"
    )
}

/// `Ordrs` and `HourlySales` are not on the leader's `Sales` (it has `Orders`, `Customers`,
/// `Logs2026` and the view `DailySales`); `orders` differs from `Orders` in case only.
const MISSING: &str = "      hotCachePeriod: 7d\n      tables:\n        Customers: { hotCachePeriod: 1d }\n        Ordrs: { hotCachePeriod: 30d }\n        orders: { hotCachePeriod: 30d }\n      materializedViews:\n        HourlySales: { hotCachePeriod: 90d }\n";

#[test]
fn a_missing_table_or_view_is_a_plan_error_at_its_line_and_nothing_is_applied() {
    let env = Standalone::start(&small_world(""));
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(MISSING)));
    let run = env.run(&["apply", "--auto-approve"], &[]).expect_code(1);
    for expected in [
        "kfollow.yaml:20:9: table `Ordrs` does not exist in database `Sales` on leader `lead`",
        "kfollow.yaml:21:9: table `orders` does not exist in database `Sales` on leader `lead`, so its caching override cannot be set; did you mean `Orders`?",
        "kfollow.yaml:23:9: materialized view `HourlySales` does not exist in database `Sales` on leader `lead`",
        "the plan cannot be made (3 problems); nothing was changed",
    ] {
        assert!(
            run.stderr.contains(expected),
            "no `{expected}` in\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains("`Customers`"),
        "Customers exists:\n{}",
        run.stderr
    );
    assert!(
        writes(&env.requests()).is_empty(),
        "{:#?}",
        writes(&env.requests())
    );
}

#[test]
fn the_leader_is_asked_once_per_database_and_only_for_what_the_settings_name() {
    let tables_only = "      tables:\n        Orders: { hotCachePeriod: 30d }\n        Customers: { hotCachePeriod: 1d }\n";
    let env = Standalone::start(&small_world(""));
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(tables_only)));
    env.run(&["plan"], &[]).expect_code(0);
    let asked: Vec<(String, String)> = env
        .requests()
        .iter()
        .filter_map(|r| Some((r.path.clone(), r.csl.clone()?)))
        .filter(|(_, csl)| csl.contains("tables details") || csl.contains("materialized-views"))
        .collect();
    assert_eq!(
        asked,
        [(
            "/kusto/leader1/v1/rest/mgmt".to_owned(),
            ".show tables details".to_owned()
        )]
    );

    // Settings without tables or views ask nothing of the leader's data plane.
    let env = Standalone::start(&small_world(""));
    env.workspace.write(
        "kfollow.yaml",
        &manifest("", &sales_with("      hotCachePeriod: 7d\n")),
    );
    env.run(&["plan"], &[]).expect_code(0);
    assert!(
        !env.requests()
            .iter()
            .any(|r| r.path.starts_with("/kusto/leader1")),
        "{:#?}",
        env.requests()
    );
}

#[test]
fn existing_tables_and_views_plan_and_apply() {
    let existing = "      tables:\n        Orders: { hotCachePeriod: 30d }\n      materializedViews:\n        DailySales: { hotCachePeriod: 90d }\n";
    let env = Standalone::start(&small_world(""));
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(existing)));
    env.run(&["apply", "--auto-approve"], &[]).expect_code(0);
    env.run(&["plan", "--detailed-exitcode"], &[])
        .expect_code(0);
}

/// A caller who may not read the leader database's schema cannot plan caching overrides of its
/// tables: the plan fails with what it could not read and the role it needs, and changes
/// nothing. Given the viewer role on the leader, the same caller plans.
#[test]
fn a_leader_whose_schema_the_caller_may_not_read_fails_the_plan_with_the_role_it_needs() {
    let existing = "      tables:\n        Orders: { hotCachePeriod: 30d }\n";
    let caller = |leader: &str| {
        format!(
            "callers:\n  - name: planner\n    token: planner-token\n    contributorOn: [\"*\"]\n    databaseAdminOn: [follower1]\n    databaseViewerOn: [{leader}]\n"
        )
    };
    let token = [("KFOLLOW_ACCESS_TOKEN", "planner-token")];
    let env = Standalone::start(&(small_world("") + &caller("")));
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(existing)));
    let run = env.run(&["plan"], &token).expect_code(1);
    for expected in [
        "cannot read the live state; nothing was changed",
        "could not read the tables, external tables, materialized views or functions of database `Sales` on leader `lead` that the manifest names; reading them needs at least the viewer role on that database",
        "403 `Forbidden`",
        "it is not a database viewer",
    ] {
        assert!(
            run.stderr.contains(expected),
            "no `{expected}` in\n{}",
            run.stderr
        );
    }
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    let env = Standalone::start(&(small_world("") + &caller("leader1")));
    env.workspace
        .write("kfollow.yaml", &manifest("", &sales_with(existing)));
    env.run(&["plan"], &token).expect_code(0);
}

/// The small world with the leader in `state`.
fn leader_in_state(state: &str) -> String {
    let leader = format!(
        "  - id: {}\n    location: westeurope\n",
        cluster_id("leader1")
    );
    small_world("").replacen(&leader, &format!("{leader}    state: {state}\n"), 1)
}

#[test]
fn a_leader_that_is_not_running_gets_no_data_plane_call() {
    // A stopped cluster's databases cannot be listed; a stopping one's can, but its management
    // endpoint is going away. Either way the plan says the leader is not running.
    for state in ["Stopped", "Stopping"] {
        let env = Standalone::start(&leader_in_state(state));
        env.workspace
            .write("kfollow.yaml", &manifest("", &sales_with(MISSING)));
        let run = env.run(&["plan"], &[]).expect_code(1);
        assert!(
            run.stderr.contains("`lead`") && run.stderr.contains(state),
            "{}",
            run.stderr
        );
        assert!(
            !env.requests()
                .iter()
                .any(|r| r.path.starts_with("/kusto/leader1")),
            "{state}: {:#?}",
            env.requests()
        );
    }
}

/// The leader management commands of a run that read entities, sorted (they run
/// concurrently).
fn entity_reads(env: &Standalone) -> Vec<String> {
    let mut reads: Vec<String> = env
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/kusto/leader1"))
        .filter_map(|r| r.csl.clone())
        .filter(|csl| {
            [
                ".show tables details",
                ".show external tables",
                ".show materialized-views",
                ".show functions",
            ]
            .contains(&csl.as_str())
        })
        .collect();
    reads.sort();
    reads
}

#[test]
fn each_leader_database_is_read_once_in_its_own_database() {
    // `sales` on f1 and the `"*"` attachment `all` on f2 both name tables of `Sales`; `all`
    // names `Hits`, a table of `Web` only: the plan passes only if each database is asked in
    // its own name, and `Sales` is asked once.
    let all = "  - name: all\n    follower: f2\n    leader: lead\n    databaseName: \"*\"\n    \
               followerDatabases:\n      Sales:\n        tables: { Customers: { hotCachePeriod: 1d } }\n      \
               Web:\n        tables: { Hits: { hotCachePeriod: 1d } }\n";
    let sales = sales_with("      tables:\n        Orders: { hotCachePeriod: 30d }\n");
    let env = Standalone::start(&small_world(""));
    env.workspace
        .write("kfollow.yaml", &manifest("", &format!("{sales}{all}")));
    env.run(&["plan"], &[]).expect_code(0);
    assert_eq!(
        entity_reads(&env),
        [".show tables details", ".show tables details"]
    );

    // `Hits` named for `Sales` is missing there, though `Web` has it.
    let all = all.replace("Customers", "Hits");
    env.workspace
        .write("kfollow.yaml", &manifest("", &format!("{sales}{all}")));
    let run = env.run(&["plan"], &[]).expect_code(1);
    assert!(
        run.stderr
            .contains("table `Hits` does not exist in database `Sales` on leader `lead`"),
        "{}",
        run.stderr
    );
}

/// The manifest of `sales` with the `tableLevelSharing` lists `lists` (indented under it).
fn sales_sharing(lists: &str) -> String {
    manifest(
        "",
        &format!(
            "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    \
             tableLevelSharing:\n{lists}"
        ),
    )
}

/// How many sharing warnings a run printed, and the entity reads it made.
fn warned_and_read(env: &Standalone, run: &crate::support::Run) -> (usize, Vec<String>) {
    (
        run.output().matches("matches no").count(),
        entity_reads(env),
    )
}

#[test]
fn sharing_entries_that_match_nothing_are_warned_about() {
    let env = Standalone::start(&small_world(""));
    env.workspace.write(
        "kfollow.yaml",
        &sales_sharing(
            "      tablesToInclude: [Orders, \"Logs*\", Ordrs]\n      \
             materializedViewsToInclude: [DailySales]\n",
        ),
    );
    let run = env.run(&["plan"], &[]).expect_code(0);
    // At the entry itself: line and column of `Ordrs` in its list.
    let warning = "kfollow.yaml:17:42: `tablesToInclude` entry `Ordrs` of attachment `sales` on \
                   `f1` matches no table of database `Sales` on leader `lead`";
    assert!(run.output().contains(warning), "{}", run.output());
    assert_eq!(
        warned_and_read(&env, &run),
        (
            1,
            vec![
                ".show materialized-views".to_owned(),
                ".show tables details".to_owned()
            ]
        ),
        "{}",
        run.output()
    );
}

#[test]
fn external_table_and_function_entries_are_checked_against_the_leader() {
    let world = small_world("").replacen(
        "        materializedViews: [DailySales]\n",
        "        materializedViews: [DailySales]\n        externalTables: [Archive2019]\n        \
         functions: [ReportDaily, ScoreCustomer]\n",
        1,
    );
    let env = Standalone::start(&world);
    // `Archiv` and `reportDaily` match nothing (names are case-sensitive).
    env.workspace.write(
        "kfollow.yaml",
        &sales_sharing(
            "      externalTablesToInclude: [Archiv, \"Archive*\"]\n      \
             functionsToInclude: [reportDaily, \"Score*\"]\n",
        ),
    );
    let run = env.run(&["plan"], &[]).expect_code(0);
    for warning in [
        "kfollow.yaml:17:33: `externalTablesToInclude` entry `Archiv` of attachment `sales` on \
         `f1` matches no external table of database `Sales` on leader `lead` (names are \
         case-sensitive); it takes effect only once the leader has such an external table",
        "kfollow.yaml:18:28: `functionsToInclude` entry `reportDaily` of attachment `sales` on \
         `f1` matches no function of database `Sales` on leader `lead` (names are \
         case-sensitive; did you mean `ReportDaily`?); it takes effect only once the leader \
         has such a function",
    ] {
        assert!(run.output().contains(warning), "{}", run.output());
    }
    let both = vec![
        ".show external tables".to_owned(),
        ".show functions".to_owned(),
    ];
    assert_eq!(
        warned_and_read(&env, &run),
        (2, both.clone()),
        "{}",
        run.output()
    );

    // Entries that match: no warning.
    let env = Standalone::start(&world);
    env.workspace.write(
        "kfollow.yaml",
        &sales_sharing(
            "      externalTablesToExclude: [Archive2019]\n      \
             functionsToInclude: [ReportDaily, \"Score*\"]\n      \
             functionsToExclude: [ScoreCustomer]\n",
        ),
    );
    let run = env.run(&["plan"], &[]).expect_code(0);
    assert_eq!(warned_and_read(&env, &run), (0, both), "{}", run.output());

    // A manifest that names neither asks neither.
    let env = Standalone::start(&world);
    env.workspace.write(
        "kfollow.yaml",
        &sales_sharing("      tablesToInclude: [Orders]\n"),
    );
    let run = env.run(&["plan"], &[]).expect_code(0);
    assert_eq!(
        warned_and_read(&env, &run),
        (0, vec![".show tables details".to_owned()]),
        "{}",
        run.output()
    );
}
