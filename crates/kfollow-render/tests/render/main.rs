//! The three forms of a plan, as users see them, over representative plans.

// Tests unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod access;
mod check;
mod hostile;
mod limits;
mod plans;

use kfollow_model::Plan;
use kfollow_render::{
    GITHUB_COMMENT_LIMIT, MarkdownOptions, PlanJsonMeta, TextOptions, render_json, render_markdown,
    render_text, summary_line,
};
use serde_json::Value;

fn text(plan: &Plan) -> String {
    render_text(plan, &TextOptions { color: false })
}

/// Colour escapes made visible, so the snapshot shows what is coloured and how.
fn coloured(plan: &Plan) -> String {
    render_text(plan, &TextOptions { color: true }).replace('\x1b', "\\e")
}

fn markdown(plan: &Plan) -> String {
    render_markdown(plan, &MarkdownOptions::default())
}

fn meta() -> PlanJsonMeta {
    PlanJsonMeta {
        kfollow_version: Some("0.1.0".into()),
        manifest: Some("kfollow.yaml".into()),
        manifest_digest: Some(
            "sha256:0000000000000000000000000000000000000000000000000000000000000000".into(),
        ),
    }
}

mod text_form {
    use super::*;

    #[test]
    fn every_kind_of_change() {
        insta::assert_snapshot!(text(&plans::everything()));
    }

    #[test]
    fn every_kind_of_change_in_colour() {
        insta::assert_snapshot!(coloured(&plans::everything()));
    }

    #[test]
    fn updates_only() {
        insta::assert_snapshot!(text(&plans::gentle()));
    }

    #[test]
    fn attachments_in_progress() {
        insta::assert_snapshot!(text(&plans::in_progress()));
    }

    #[test]
    fn a_targeted_plan_says_first_that_it_may_be_incomplete() {
        insta::assert_snapshot!(text(&plans::targeted()));
    }

    #[test]
    fn a_targeted_plan_in_colour() {
        let rendered = coloured(&plans::targeted());
        assert!(
            rendered
                .starts_with("\\e[33mWarning:\\e[0m\\e[1m Resource targeting is in effect\\e[0m\n"),
            "{rendered}"
        );
    }

    #[test]
    fn empty_plan() {
        insta::assert_snapshot!(text(&Plan::default()), @"No changes. Live state matches the manifest.");
    }

    #[test]
    fn empty_plan_in_colour() {
        insta::assert_snapshot!(coloured(&Plan::default()), @r"\e[1mNo changes.\e[0m Live state matches the manifest.");
    }

    #[test]
    fn empty_plan_still_reports_unmanaged_and_warnings() {
        insta::assert_snapshot!(text(&plans::empty_with_reports()));
    }

    /// An attachment of Azure Data Share is listed with why it stays; the hint about detach
    /// policies names only what they can detach.
    #[test]
    fn a_data_share_attachment_takes_no_detach_hint() {
        let only_shared = Plan {
            unmanaged: vec![plans::data_share()],
            ..Plan::default()
        };
        insta::assert_snapshot!(text(&only_shared), @r"
        Unmanaged (live, not in the manifest; left alone):
          attachment.emea/partner-catalog: attachment `partner-catalog` follows partnerlead/Catalog, not in the manifest (databaseShareOrigin `DataShare`); left alone: managed by Azure Data Share

        No changes. Live state matches the manifest.
        ");
        let mut both = only_shared.clone();
        both.unmanaged.extend(plans::unmanaged());
        let rendered = text(&both);
        assert!(
            rendered.contains(
                "Declare them in the manifest to manage them, or set `unmanagedAttachments: \
                 detach` on the follower cluster or `unmanagedFollowers: detach` on the leader"
            ),
            "{rendered}"
        );
    }

    #[test]
    fn without_colour_there_is_no_escape() {
        assert!(!text(&plans::everything()).contains('\x1b'));
    }

    #[test]
    fn the_summary_is_the_last_line() {
        let plan = plans::everything();
        let rendered = text(&plan);
        assert_eq!(rendered.lines().last(), Some(summary_line(&plan).as_str()));
        assert_eq!(
            summary_line(&plan),
            "Plan: 1 to attach, 2 to change, 1 to replace, 2 to detach."
        );
    }

    #[test]
    fn every_kusto_command_is_shown_verbatim() {
        let change = plans::follower_settings();
        let rendered = text(&Plan {
            changes: vec![change.clone()],
            ..Plan::default()
        });
        for operation in &change.operations {
            if let kfollow_model::Operation::KustoCommand { csl, .. } = operation {
                assert!(
                    rendered.lines().any(|line| line.trim() == csl),
                    "missing {csl}"
                );
            }
        }
    }

    #[test]
    fn forces_replacement_sits_on_the_attribute_that_forces_it() {
        let rendered = text(&plans::everything());
        let marked: Vec<&str> = rendered
            .lines()
            .filter(|line| line.contains("# forces replacement"))
            .collect();
        assert_eq!(marked.len(), 1, "{marked:?}");
        assert!(marked[0].contains("databaseNameOverride"));
    }
}

mod markdown_form {
    use super::*;

    #[test]
    fn every_kind_of_change() {
        insta::assert_snapshot!(markdown(&plans::everything()));
    }

    /// What `kfollow plan --format markdown --target …` posts: marker, title, partial-plan
    /// warning.
    #[test]
    fn a_targeted_plan_with_its_marker_and_title() {
        let options = MarkdownOptions {
            title: Some("Production rollout (EMEA)".into()),
            manifest: Some("envs/prod/kfollow.yaml".into()),
            ..MarkdownOptions::default()
        };
        insta::assert_snapshot!(render_markdown(&plans::targeted(), &options));
    }

    #[test]
    fn one_follower_cluster_needs_no_table() {
        assert!(!markdown(&plans::targeted()).contains("| follower cluster |"));
        assert!(markdown(&plans::everything()).contains("| follower cluster |"));
    }

    #[test]
    fn updates_only_has_no_banner() {
        let rendered = markdown(&plans::gentle());
        assert!(!rendered.contains("[!WARNING]"));
        insta::assert_snapshot!(rendered);
    }

    #[test]
    fn empty_plan() {
        insta::assert_snapshot!(markdown(&Plan::default()), @"**No changes. Live state matches the manifest.**");
    }

    #[test]
    fn empty_plan_with_reports() {
        insta::assert_snapshot!(markdown(&plans::empty_with_reports()));
    }

    #[test]
    fn markers_are_in_column_zero_and_tilde_becomes_bang() {
        let rendered = markdown(&plans::everything());
        let body = rendered
            .split("```diff\n")
            .nth(1)
            .and_then(|rest| rest.split("\n```").next())
            .unwrap();
        for line in body.lines() {
            let trimmed = line.trim_start();
            let marker = ["-/+ ", "+ ", "- ", "~ ", "! "]
                .iter()
                .any(|m| trimmed.starts_with(m));
            if marker {
                assert_eq!(trimmed, line, "marker not in column 0: {line:?}");
            }
            assert!(!line.starts_with('~'), "{line:?}");
        }
        assert!(body.lines().any(|line| line.starts_with("! ")));
    }

    #[test]
    fn a_huge_plan_fits_a_github_comment_and_keeps_its_summary() {
        let plan = plans::huge(3_000);
        let full = text(&plan);
        assert!(
            full.len() > 4 * GITHUB_COMMENT_LIMIT,
            "the test plan must be huge"
        );
        let rendered = markdown(&plan);
        eprintln!(
            "huge plan: text {} bytes, markdown {} bytes",
            full.len(),
            rendered.len()
        );
        assert!(
            rendered.len() <= GITHUB_COMMENT_LIMIT,
            "{} bytes",
            rendered.len()
        );
        assert!(rendered.chars().count() <= GITHUB_COMMENT_LIMIT);
        assert_eq!(
            rendered.lines().next(),
            Some(format!("**{}**", summary_line(&plan)).as_str())
        );
        assert!(rendered.contains("The plan is too long for one comment: showing "));
        assert!(rendered.contains("more, not shown"));
        assert!(rendered.trim_end().ends_with("</details>"));
        let fences = rendered.lines().filter(|l| l.starts_with("```")).count();
        assert_eq!(fences, 2, "the diff block is closed");
        // What is shown is whole changes, not a change cut in the middle.
        let body = rendered.split("```diff\n").nth(1).unwrap();
        let body = body.split("\n```").next().unwrap();
        assert!(
            body.trim_end().ends_with('}'),
            "{}",
            &body[body.len() - 200..]
        );
    }

    #[test]
    fn every_limit_is_respected() {
        let plan = plans::huge(200);
        for limit in [1_500, 4_000, 10_000, 30_000, GITHUB_COMMENT_LIMIT] {
            let rendered = render_markdown(
                &plan,
                &MarkdownOptions {
                    limit,
                    ..MarkdownOptions::default()
                },
            );
            assert!(rendered.len() <= limit, "{} > {limit}", rendered.len());
            assert!(rendered.starts_with(&format!("**{}**\n", summary_line(&plan))));
            assert!(rendered.contains("[!WARNING]"));
        }
    }

    #[test]
    fn a_truncated_comment_reads_well() {
        let plan = plans::huge(12);
        insta::assert_snapshot!(render_markdown(
            &plan,
            &MarkdownOptions {
                limit: 4_000,
                ..MarkdownOptions::default()
            }
        ));
    }

    #[test]
    fn a_small_plan_is_not_truncated() {
        let rendered = markdown(&plans::everything());
        assert!(!rendered.contains("too long"));
        assert!(!rendered.contains("more, not shown"));
    }
}

mod json_form {
    use super::*;

    #[test]
    fn a_targeted_plan_names_its_targets() {
        let value: Value = serde_json::from_str(&render_json(&plans::targeted(), None)).unwrap();
        assert_eq!(
            value["targeting"],
            serde_json::json!({ "targets": ["follower_database.emea/LogsEU"], "left_out": 4 })
        );
        let whole: Value = serde_json::from_str(&render_json(&plans::everything(), None)).unwrap();
        assert!(whole.get("targeting").is_none());
    }

    #[test]
    fn every_kind_of_change() {
        insta::assert_snapshot!(render_json(&plans::everything(), Some(&meta())));
    }

    #[test]
    fn empty_plan() {
        insta::assert_snapshot!(render_json(&Plan::default(), None));
    }

    #[test]
    fn attachments_in_progress() {
        insta::assert_snapshot!(render_json(&plans::in_progress(), None));
    }

    #[test]
    fn is_valid_and_versioned() {
        let doc: Value = serde_json::from_str(&render_json(&plans::everything(), None)).unwrap();
        assert_eq!(doc["format_version"], "1");
        let changes = doc["changes"].as_array().unwrap();
        let replace = changes.iter().find(|c| c["action"] == "replace").unwrap();
        assert_eq!(replace["actions"], serde_json::json!(["delete", "create"]));
        assert_eq!(
            replace["forces_replacement"],
            serde_json::json!(["databaseNameOverride"])
        );
        assert_eq!(replace["before"]["databaseNameOverride"], "LogsEmea");
        assert_eq!(replace["after"]["databaseNameOverride"], "LogsEU");
        let attach = changes.iter().find(|c| c["action"] == "attach").unwrap();
        assert!(attach["before"].is_null());
        let settings = changes
            .iter()
            .find(|c| c["resource"]["type"] == "follower_database")
            .unwrap();
        assert_eq!(
            settings["depends_on"],
            serde_json::json!(["attachment.emea/sales"])
        );
        assert_eq!(doc["summary"]["destructive"], 3);
    }

    #[test]
    fn is_stable() {
        let plan = plans::everything();
        assert_eq!(render_json(&plan, None), render_json(&plan.clone(), None));
    }
}

mod documentation {
    use super::*;

    /// `docs/plan-json.md` shows real output: its example is this plan, rendered now.
    #[test]
    fn the_documented_example_is_what_kfollow_prints() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/plan-json.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let example = doc
            .split("<!-- example: begin -->\n```json\n")
            .nth(1)
            .and_then(|rest| rest.split("```\n<!-- example: end -->").next())
            .expect("docs/plan-json.md holds the example between its markers");
        let rendered = render_json(&plans::docs_example(), Some(&meta()));
        if example != rendered {
            panic!("docs/plan-json.md is out of date; replace its example with:\n{rendered}");
        }
    }
}
