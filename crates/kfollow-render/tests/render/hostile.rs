//! Names from the manifest and from live state cannot spoof the output: whatever a name holds
//! (line breaks, terminal escapes, bidirectional controls, backticks, `</details>`), the text
//! and markdown forms hold no raw control or invisible character, and have the lines, each
//! starting as the renderer started it, that the same plan with plain names has.

use std::collections::HashMap;

use kfollow_model::kql::{self, Entity};
use kfollow_model::{
    Action, Address, AttributeChange, Change, ClusterId, Operation, Plan, Targeting, Timespan,
    Unmanaged,
};
use kfollow_render::{MarkdownOptions, TextOptions, is_hidden, render_markdown, render_text};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A name as hostile as can be: pieces that break lines, drive terminals, reorder text or
/// break markdown (fences, tags, markers), wide characters, and any character at all.
pub fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\r".to_owned()),
            Just("\u{1b}[2J".to_owned()),
            Just("\u{1b}]0;pwned\u{7}".to_owned()),
            Just("\0".to_owned()),
            Just("\u{202e}".to_owned()),
            Just("\u{2066}".to_owned()),
            Just("\u{200b}".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("\u{85}".to_owned()),
            Just("\u{2028}".to_owned()),
            Just("\t".to_owned()),
            Just("```".to_owned()),
            Just("`".to_owned()),
            Just("</details>".to_owned()),
            Just("<summary>".to_owned()),
            Just("\nPlan: 0 to attach, 0 to change, 0 to replace, 0 to detach.\n".to_owned()),
            Just("- ".to_owned()),
            Just("# ".to_owned()),
            Just("> ".to_owned()),
            Just("\\".to_owned()),
            Just("\"".to_owned()),
            Just("Ünïcødé".to_owned()),
            "[a-zA-Z0-9 _.*-]{0,30}",
            any::<char>().prop_map(String::from),
        ],
        0..6,
    )
    .prop_map(|pieces| pieces.concat())
}

fn cluster(name: &str) -> ClusterId {
    ClusterId::new("00000000-0000-0000-0000-000000000001", "rg", name).unwrap()
}

fn attribute(name: &str, before: Option<Value>, after: Option<Value>) -> AttributeChange {
    AttributeChange {
        name: name.into(),
        before,
        after,
        forces_replacement: false,
    }
}

/// A plan of every kind of change, unmanaged resource and warning, with `n(i)` wherever a name
/// from the manifest or from live state goes.
fn plan_with(n: &dyn Fn(usize) -> String) -> Plan {
    let day = || -> Timespan { "1d".parse().unwrap() };
    let attach = Change {
        address: Address::Attachment {
            follower: n(0),
            name: n(1),
        },
        action: Action::Attach,
        attributes: vec![
            attribute("databaseName", None, Some(json!(n(2)))),
            attribute(
                "tableLevelSharing.tablesToInclude",
                None,
                Some(json!([n(3), n(4)])),
            ),
        ],
        unchanged_attributes: 0,
        reason: None,
        operations: vec![],
        depends_on: vec![],
        origin: None,
    };
    let mut before = serde_json::Map::new();
    before.insert(n(6), json!("1d"));
    let mut after = serde_json::Map::new();
    after.insert(n(6), json!("2d"));
    after.insert(n(7), json!("3d"));
    let update = Change {
        address: Address::FollowerDatabase {
            follower: n(0),
            database: n(5),
        },
        action: Action::Update,
        attributes: vec![
            attribute(
                "tables",
                Some(Value::Object(before)),
                Some(Value::Object(after)),
            ),
            attribute("principals.viewers", Some(json!(n(8))), Some(json!(n(9)))),
        ],
        unchanged_attributes: 2,
        reason: None,
        operations: vec![
            Operation::KustoCommand {
                cluster: cluster("follower1"),
                database: n(5),
                csl: kql::alter_entity_caching(&n(5), Entity::Table, &[n(6), n(7)], day()),
            },
            Operation::KustoCommand {
                cluster: cluster("follower1"),
                database: n(5),
                csl: kql::add_principals(&n(5), kfollow_model::Role::Viewers, &[n(9)], None),
            },
            Operation::PutFollowerHotCache {
                follower: cluster("follower1"),
                database: n(5),
                location: n(13),
                hot_cache_period: day(),
            },
        ],
        depends_on: vec![],
        origin: None,
    };
    let replace = Change {
        address: Address::Attachment {
            follower: n(0),
            name: n(10),
        },
        action: Action::Replace,
        attributes: vec![AttributeChange {
            forces_replacement: true,
            ..attribute("databaseNameOverride", Some(json!(n(2))), Some(json!(n(3))))
        }],
        unchanged_attributes: 1,
        reason: Some(format!("`databaseNameOverride` of `{}` changes", n(10))),
        operations: vec![],
        depends_on: vec![],
        origin: None,
    };
    let detach = Change {
        address: Address::LeaderFollower {
            leader: n(11),
            follower: n(0),
            name: n(12),
        },
        action: Action::Detach,
        attributes: vec![attribute("databaseName", Some(json!(n(2))), None)],
        unchanged_attributes: 0,
        reason: Some(n(14)),
        operations: vec![Operation::DetachFollower {
            leader: cluster("leader1"),
            follower: cluster("follower1"),
            attachment_name: n(12),
        }],
        depends_on: vec![],
        origin: None,
    };
    Plan {
        changes: vec![attach, update, replace, detach],
        unmanaged: vec![Unmanaged {
            address: Address::Attachment {
                follower: n(0),
                name: n(15),
            },
            description: format!("follows {}/{}", n(11), n(16)),
            share_origin: None,
        }],
        warnings: vec![n(17), format!("the table `{}` is not shared", n(6))],
        targeting: Some(Targeting {
            targets: vec![format!("cluster.{}", n(0)), n(13)],
            left_out: 1,
        }),
    }
}

/// The markdown options of a pull-request comment: a title and a manifest path from the names.
fn comment_options(n: &dyn Fn(usize) -> String) -> MarkdownOptions {
    MarkdownOptions {
        title: Some(n(14)),
        manifest: Some(n(16)),
        ..MarkdownOptions::default()
    }
}

/// The hostile plan and comment options, and the same with every distinct name replaced by a
/// plain one.
fn plans(names: &[String]) -> ((Plan, MarkdownOptions), (Plan, MarkdownOptions)) {
    let mut plain: HashMap<&str, String> = HashMap::new();
    for name in names {
        let next = format!("n{}", plain.len());
        plain.entry(name).or_insert(next);
    }
    let hostile = |i: usize| names[i].clone();
    let plain = |i: usize| plain[names[i].as_str()].clone();
    (
        (plan_with(&hostile), comment_options(&hostile)),
        (plan_with(&plain), comment_options(&plain)),
    )
}

/// The SGR colour sequences the renderer writes itself, removed.
fn without_colour(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("\u{1b}[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[end..].starts_with('m') {
            rest = &after[end + 1..];
        } else {
            // Not a colour: keep the ESC, so the check below finds it.
            out.push_str("\u{1b}[");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Where each line starts: its indentation and its first character.
fn heads(text: &str) -> Vec<(usize, Option<char>)> {
    text.lines()
        .map(|line| {
            let content = line.trim_start_matches(' ');
            (line.len() - content.len(), content.chars().next())
        })
        .collect()
}

fn assert_inert(form: &str, shown: &str, plain: &str) -> Result<(), TestCaseError> {
    let raw: Vec<char> = shown
        .chars()
        .filter(|&c| c != '\n' && is_hidden(c))
        .collect();
    prop_assert!(raw.is_empty(), "{form}: raw {raw:?} in\n{shown}");
    prop_assert_eq!(
        heads(shown),
        heads(plain),
        "{}: a line starts differently\n{}\n---\n{}",
        form,
        shown,
        plain
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_name_can_spoof_the_text_or_the_markdown(
        names in proptest::collection::vec(hostile(), 18..=18),
    ) {
        let ((hostile, hostile_comment), (plain, plain_comment)) = plans(&names);
        let text = |plan: &Plan, color| render_text(plan, &TextOptions { color });
        assert_inert("text", &text(&hostile, false), &text(&plain, false))?;
        assert_inert(
            "colour text",
            &without_colour(&text(&hostile, true)),
            &without_colour(&text(&plain, true)),
        )?;
        let markdown = |plan: &Plan| render_markdown(plan, &MarkdownOptions::default());
        assert_inert("markdown", &markdown(&hostile), &markdown(&plain))?;
        assert_inert(
            "comment",
            &render_markdown(&hostile, &hostile_comment),
            &render_markdown(&plain, &plain_comment),
        )?;
    }
}

/// The attack of a table name that prints a summary line of its own, set a terminal title and
/// reverse what follows it: in the text it stays on its line, visibly escaped.
#[test]
fn a_forged_summary_line_stays_on_its_line() {
    let forged = "Orders\nPlan: 0 to attach, 0 to change, 0 to replace, 0 to detach.\u{1b}]0;pwned\u{7}\u{202e}";
    let names: Vec<String> = (0..18)
        .map(|i| {
            if i == 6 {
                forged.to_owned()
            } else {
                format!("name{i}")
            }
        })
        .collect();
    let ((hostile, _), _) = plans(&names);
    let text = render_text(&hostile, &TextOptions { color: false });
    let summaries: Vec<&str> = text.lines().filter(|l| l.starts_with("Plan:")).collect();
    assert_eq!(
        summaries,
        ["Plan: 1 to attach, 1 to change, 1 to replace, 1 to detach."]
    );
    assert!(
        text.contains(
            r#"Orders\nPlan: 0 to attach, 0 to change, 0 to replace, 0 to detach.\u{1b}]0;pwned\u{7}\u{202e}"#
        ),
        "{text}"
    );
    let markdown = render_markdown(&hostile, &MarkdownOptions::default());
    assert!(
        !markdown.lines().any(|l| l.starts_with("Plan: 0")),
        "{markdown}"
    );
    assert_eq!(markdown.matches("</details>").count(), 1, "{markdown}");
}
