#![allow(clippy::unwrap_used)] // tests may unwrap

use kfollow_model::{
    CachingPoliciesModificationKind, Principal, PrincipalsModificationKind, Role, Timespan,
};
use proptest::prelude::*;

use super::*;

fn ok(csl: &str) -> Command {
    parse(csl).unwrap_or_else(|e| panic!("`{csl}` should parse: {e}"))
}

fn err(csl: &str) -> ParseError {
    match parse(csl) {
        Ok(command) => panic!("`{csl}` should not parse, got {command:?}"),
        Err(e) => e,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn principal(text: &str) -> Principal {
    text.parse().unwrap()
}

#[test]
fn show_tables_details_and_materialized_views_forms() {
    assert_eq!(
        ok(".show tables details"),
        Command::ShowTableDetails { tables: None }
    );
    assert_eq!(
        ok(".SHOW tables (Orders, ['Web-Events']) DETAILS"),
        Command::ShowTableDetails {
            tables: Some(names(&["Orders", "Web-Events"]))
        }
    );
    assert_eq!(
        ok(".show table Orders details"),
        Command::ShowTableDetails {
            tables: Some(names(&["Orders"]))
        }
    );
    assert_eq!(
        ok(".show materialized-views"),
        Command::ShowMaterializedViews { views: None }
    );
    assert_eq!(
        ok(".show materialized-view ['Daily-Sales']"),
        Command::ShowMaterializedViews {
            views: Some(names(&["Daily-Sales"]))
        }
    );
    // Only the `details` form of `.show tables` is answered.
    assert_eq!(err(".show tables").kind, ParseErrorKind::Syntax);
    assert_eq!(err(".show table Orders").kind, ParseErrorKind::Syntax);
}

#[test]
fn show_external_tables_and_functions_forms() {
    assert_eq!(
        ok(".show external tables"),
        Command::ShowExternalTables { tables: None }
    );
    assert_eq!(
        ok(".Show EXTERNAL table ['Archive-2019']"),
        Command::ShowExternalTables {
            tables: Some(names(&["Archive-2019"]))
        }
    );
    assert_eq!(
        ok(".show functions"),
        Command::ShowFunctions { functions: None }
    );
    assert_eq!(
        ok(".show function ReportDaily"),
        Command::ShowFunctions {
            functions: Some(names(&["ReportDaily"]))
        }
    );
    for csl in [
        ".show external",
        ".show external table",
        ".show external tables (T1)",
        ".show functions F",
        ".show function",
        ".show function F with (ShowObfuscatedStrings = true)",
    ] {
        assert_eq!(err(csl).kind, ParseErrorKind::Syntax, "{csl}");
    }
    assert!(
        err(".show function F with (Builtin = true)")
            .message
            .contains("without `with` properties")
    );
}

#[test]
fn show_follower_database_forms() {
    assert_eq!(
        ok(".show follower database MyDb"),
        Command::ShowFollowerDatabases {
            databases: Some(names(&["MyDb"]))
        }
    );
    assert_eq!(
        ok(".show follower databases"),
        Command::ShowFollowerDatabases { databases: None }
    );
    assert_eq!(
        ok(".show follower databases (A, ['b-c'], [\"where\"])"),
        Command::ShowFollowerDatabases {
            databases: Some(names(&["A", "b-c", "where"]))
        }
    );
}

#[test]
fn show_databases_forms() {
    assert_eq!(
        ok(".show databases"),
        Command::ShowDatabases { databases: None }
    );
    assert_eq!(
        ok(".show cluster databases (Sales)"),
        Command::ShowDatabases {
            databases: Some(names(&["Sales"]))
        }
    );
}

#[test]
fn show_database_principals() {
    assert_eq!(
        ok(".show database ['my-db'] PRINCIPALS"),
        Command::ShowDatabasePrincipals {
            database: "my-db".into()
        }
    );
    let missing = err(".show database Sales");
    assert!(missing.message.contains("`principals`"), "{missing}");
}

#[test]
fn keywords_ignore_case() {
    assert_eq!(
        ok(".SHOW Follower DATABASES"),
        Command::ShowFollowerDatabases { databases: None }
    );
    assert_eq!(
        ok(".Alter FOLLOWER Database MyDb Policy Caching HOT = 7d"),
        ok(".alter follower database MyDb policy caching hot = 7d")
    );
}

#[test]
fn database_caching_forms() {
    assert_eq!(
        ok(".alter follower database MyDb policy caching hot = 7d"),
        Command::AlterFollowerCaching {
            database: "MyDb".into(),
            target: CachingTarget::Database,
            hot: Timespan::from_days(7),
        }
    );
    for form in ["0d", "timespan(0)", "time(00:00:00)", "0s"] {
        assert_eq!(
            ok(&format!(
                ".alter follower database D policy caching hot = {form}"
            )),
            Command::AlterFollowerCaching {
                database: "D".into(),
                target: CachingTarget::Database,
                hot: Timespan::from_days(0),
            },
            "{form}"
        );
    }
    assert_eq!(
        ok(".alter follower database D policy caching hot = Timespan (1.12:00:00)"),
        Command::AlterFollowerCaching {
            database: "D".into(),
            target: CachingTarget::Database,
            hot: Timespan::from_secs(36 * 3600),
        }
    );
    assert_eq!(
        ok(".delete follower database MyDB policy caching"),
        Command::DeleteFollowerCaching {
            database: "MyDB".into(),
            target: CachingTarget::Database
        }
    );
}

#[test]
fn table_and_materialized_view_caching_forms() {
    let hot = Timespan::from_days(7);
    let cases = [
        (
            ".alter follower database MyDb table T1 policy caching hot = 7d",
            CachingTarget::Tables(names(&["T1"])),
        ),
        (
            ".alter follower database MyDb tables (Table1, Table2) policy caching hot = 7d",
            CachingTarget::Tables(names(&["Table1", "Table2"])),
        ),
        (
            ".alter follower database MyDb materialized-view V1 policy caching hot = 7d",
            CachingTarget::MaterializedViews(names(&["V1"])),
        ),
        (
            ".alter follower database MyDb materialized-views (View1, ['View 2']) policy caching hot = 168h",
            CachingTarget::MaterializedViews(names(&["View1", "View 2"])),
        ),
    ];
    for (csl, target) in cases {
        assert_eq!(
            ok(csl),
            Command::AlterFollowerCaching {
                database: "MyDb".into(),
                target,
                hot
            },
            "{csl}"
        );
    }
    let deletes = [
        (
            ".delete follower database MyDB table T1 policy caching",
            CachingTarget::Tables(names(&["T1"])),
        ),
        (
            ".delete follower database MyDB tables (Table1, Table2) policy caching",
            CachingTarget::Tables(names(&["Table1", "Table2"])),
        ),
        (
            ".delete follower database MyDB materialized-view V policy caching",
            CachingTarget::MaterializedViews(names(&["V"])),
        ),
        (
            ".delete follower database MyDB materialized-views (View1, View2) policy caching",
            CachingTarget::MaterializedViews(names(&["View1", "View2"])),
        ),
    ];
    for (csl, target) in deletes {
        assert_eq!(
            ok(csl),
            Command::DeleteFollowerCaching {
                database: "MyDB".into(),
                target
            },
            "{csl}"
        );
    }
}

#[test]
fn add_and_drop_principals_in_every_role() {
    for role in Role::ALL {
        let name = role.command_name();
        assert_eq!(
            ok(&format!(
                ".add follower database MyDB {name} ('aadgroup=mygroup@microsoft.com') 'My Group'"
            )),
            Command::AddFollowerPrincipals {
                database: "MyDB".into(),
                role,
                principals: vec![principal("aadgroup=mygroup@microsoft.com")],
                notes: Some("My Group".into()),
            }
        );
        assert_eq!(
            ok(&format!(
                ".drop follower database MyDB {name} ('aadgroup=mygroup@microsoft.com')"
            )),
            Command::DropFollowerPrincipals {
                database: "MyDB".into(),
                role,
                principals: vec![principal("aadgroup=mygroup@microsoft.com")],
            }
        );
    }
    assert_eq!(
        ok(
            r#".add follower database ['my-db'] admins ("aaduser=jack@contoso.com", 'aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;fabrikam.com')"#
        ),
        Command::AddFollowerPrincipals {
            database: "my-db".into(),
            role: Role::Admins,
            principals: vec![
                principal("aaduser=jack@contoso.com"),
                principal("aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;fabrikam.com"),
            ],
            notes: None,
        }
    );
    assert_eq!(
        ok(
            r".add follower database D viewers ('msauser=a@live.com') 'kfollow: \'a\' via \\manifest'"
        ),
        Command::AddFollowerPrincipals {
            database: "D".into(),
            role: Role::Viewers,
            principals: vec![principal("msauser=a@live.com")],
            notes: Some(r"kfollow: 'a' via \manifest".into()),
        }
    );
}

#[test]
fn modification_kinds_and_prefetch() {
    assert_eq!(
        ok(".alter follower database MyDB principals-modification-kind = union"),
        Command::AlterFollowerPrincipalsModificationKind {
            database: "MyDB".into(),
            kind: PrincipalsModificationKind::Union
        }
    );
    assert_eq!(
        ok(".alter follower database MyDB principals-modification-kind = None"),
        Command::AlterFollowerPrincipalsModificationKind {
            database: "MyDB".into(),
            kind: PrincipalsModificationKind::None
        }
    );
    assert_eq!(
        ok(".alter follower database MyDB caching-policies-modification-kind = REPLACE"),
        Command::AlterFollowerCachingPoliciesModificationKind {
            database: "MyDB".into(),
            kind: CachingPoliciesModificationKind::Replace
        }
    );
    assert_eq!(
        ok(".alter follower database MyDB prefetch-extents = false"),
        Command::AlterFollowerPrefetchExtents {
            database: "MyDB".into(),
            enabled: false
        }
    );
    assert_eq!(
        ok(".alter follower database MyDB prefetch-extents = True"),
        Command::AlterFollowerPrefetchExtents {
            database: "MyDB".into(),
            enabled: true
        }
    );
}

#[test]
fn whitespace_and_comments_do_not_matter() {
    assert_eq!(
        ok(
            "  .alter\n  follower database MyDb // the follower\n  tables(A,B)policy caching hot=1d  "
        ),
        Command::AlterFollowerCaching {
            database: "MyDb".into(),
            target: CachingTarget::Tables(names(&["A", "B"])),
            hot: Timespan::from_days(1),
        }
    );
}

#[test]
fn malformed_commands_say_where() {
    let e = err(".alter follower database MyDb policy caching hot =");
    assert_eq!(e.kind, ParseErrorKind::Syntax);
    assert!(e.message.contains("timespan"), "{e}");
    assert_eq!((e.line, e.position), (1, 50));

    let e = err(".show follower database MyDb\n  extra");
    assert_eq!((e.line, e.position), (2, 2));
    assert!(e.message.contains("`extra`"), "{e}");
}

#[test]
fn rejects_what_the_grammar_does_not_allow() {
    for bad in [
        "",
        "show databases",
        ".",
        ".show",
        ".show follower",
        ".show follower database",
        ".show follower databases ()",
        ".show follower databases (A,)",
        ".show databases details",
        ".create table T (a:string)",
        ".alter database MyDb policy caching hot = 7d",
        ".alter follower database",
        ".alter follower database MyDb",
        ".alter follower database MyDb policy caching",
        ".alter follower database MyDb policy caching hot 7d",
        ".alter follower database MyDb policy caching hot = 7d, hot_window = datetime(2021-01-01) .. datetime(2021-02-01)",
        ".alter follower database MyDb table policy caching hot = 7d",
        ".alter follower database MyDb tables T1 policy caching hot = 7d",
        ".alter follower database my-db policy caching hot = 7d",
        ".alter follower database [my-db] policy caching hot = 7d",
        ".alter follower database [''] policy caching hot = 7d",
        ".alter follower database MyDb principals-modification-kind = all",
        ".alter follower database MyDb principals-modification-kind union",
        ".alter follower database MyDb prefetch-extents = yes",
        ".add follower database MyDb owners ('aaduser=a@b.com')",
        ".add follower database MyDb admins 'aaduser=a@b.com'",
        ".add follower database MyDb admins ()",
        ".add follower database MyDb admins (aaduser)",
        ".add follower database MyDb admins ('aaduser=a@b.com') notes",
        ".add follower database MyDb admins ('aaduser=a@b.com') 'one' 'two'",
        ".drop follower database MyDb admins ('aaduser=a@b.com') 'notes'",
        ".delete follower database MyDb policy caching hot = 7d",
        ".show follower databases | project DatabaseName",
        ".add follower database MyDb admins ('aaduser=a@b.com",
    ] {
        assert_eq!(err(bad).kind, ParseErrorKind::Syntax, "{bad}");
    }
}

#[test]
fn bad_literals_and_principals_have_their_own_kinds() {
    for bad in [
        ".alter follower database D policy caching hot = 7x",
        ".alter follower database D policy caching hot = 7",
        ".alter follower database D policy caching hot = -7d",
        ".alter follower database D policy caching hot = timespan(-1)",
        ".alter follower database D policy caching hot = timespan(abc)",
    ] {
        assert_eq!(err(bad).kind, ParseErrorKind::InvalidLiteral, "{bad}");
    }
    for bad in [
        ".add follower database D admins ('jack@contoso.com')",
        ".add follower database D admins ('aaduser=')",
        ".drop follower database D admins ('msauser=a@live.com;tenant')",
    ] {
        assert_eq!(err(bad).kind, ParseErrorKind::InvalidPrincipal, "{bad}");
    }
}

proptest! {
    #[test]
    fn never_panics_on_any_text(text in "\\PC{0,80}") {
        let _ = parse(&text);
    }

    #[test]
    fn never_panics_on_command_like_text(
        words in proptest::collection::vec(
            prop_oneof![
                Just(".".to_owned()), Just("alter".to_owned()), Just("follower".to_owned()),
                Just("database".to_owned()), Just("policy".to_owned()), Just("caching".to_owned()),
                Just("hot".to_owned()), Just("=".to_owned()), Just("(".to_owned()),
                Just(")".to_owned()), Just(",".to_owned()), Just("[".to_owned()),
                Just("]".to_owned()), Just("'".to_owned()), Just("timespan(".to_owned()),
                Just("7d".to_owned()), Just("tables".to_owned()), Just("admins".to_owned()),
                Just("'aaduser=a@b.c'".to_owned()), Just("\\".to_owned()), Just("-".to_owned()),
                "[a-zA-Z0-9_ .:'\"\\-]{0,6}",
            ],
            0..14,
        )
    ) {
        let _ = parse(&words.join(" "));
        let _ = parse(&words.concat());
    }

    /// kfollow's quoting and this parser agree on every string: what `kql::string_literal`
    /// writes (notes) and `kql::quote_name` writes (names) reads back as it was.
    #[test]
    fn kfollow_quoting_reads_back(text in "\\PC{0,12}|[\\\\'\"\n\r\t\u{0}-\u{1f}\u{7f}a]{1,12}") {
        use kfollow_model::kql::{quote_name, string_literal};
        let csl = format!(
            ".add follower database D viewers ('aaduser=a@contoso.com') {}",
            string_literal(&text)
        );
        match parse(&csl) {
            Ok(Command::AddFollowerPrincipals { notes, .. }) => {
                prop_assert_eq!(notes, Some(text.clone()));
            }
            other => prop_assert!(false, "`{}` read as {:?}", csl, other),
        }
        if !text.is_empty() {
            let csl = format!(".show follower databases ({})", quote_name(&text));
            prop_assert_eq!(
                parse(&csl),
                Ok(Command::ShowFollowerDatabases { databases: Some(vec![text.clone()]) })
            );
        }
    }

    #[test]
    fn every_timespan_literal_round_trips(days in 0i64..4000, secs in 0i64..86_400) {
        let value = Timespan::from_secs(days * 86_400 + secs);
        let csl = format!(".alter follower database D policy caching hot = {}", value.to_literal());
        prop_assert_eq!(
            parse(&csl),
            Ok(Command::AlterFollowerCaching {
                database: "D".into(),
                target: CachingTarget::Database,
                hot: value,
            })
        );
    }
}
