//! The markdown form keeps its promises whatever the plan holds: under the limit, the marker,
//! the title and the summary first and whole, every fence and fold closed.

use kfollow_model::{Action, Address, AttributeChange, Change, Plan, Targeting, Unmanaged};
use kfollow_render::{MarkdownOptions, plan_marker, render_markdown, summary_line};
use proptest::prelude::*;
use serde_json::json;

use crate::hostile::hostile;

/// Hostile text of a few parts: a title or a path.
fn short_hostile() -> impl Strategy<Value = String> {
    hostile().prop_map(|text| text.chars().take(60).collect())
}

fn change(index: usize, action: Action, value: String) -> Change {
    Change {
        address: Address::Attachment {
            follower: format!("f{}", index % 7),
            name: format!("a{index}"),
        },
        action,
        attributes: vec![AttributeChange {
            name: "databaseName".into(),
            before: (action != Action::Attach).then(|| json!(value.clone())),
            after: (action != Action::Detach).then(|| json!([value.clone(), "x"])),
            forces_replacement: action == Action::Replace,
        }],
        unchanged_attributes: index % 3,
        reason: (action == Action::Replace).then(|| value.clone()),
        operations: vec![],
        depends_on: vec![],
        origin: None,
    }
}

fn plan() -> impl Strategy<Value = Plan> {
    let action = prop_oneof![
        Just(Action::Attach),
        Just(Action::Update),
        Just(Action::Replace),
        Just(Action::Detach),
    ];
    (
        proptest::collection::vec((action, hostile()), 0..80),
        proptest::collection::vec(hostile(), 0..40),
        proptest::collection::vec(hostile(), 0..5),
    )
        .prop_map(|(changes, unmanaged, warnings)| Plan {
            changes: changes
                .into_iter()
                .enumerate()
                .map(|(i, (action, value))| change(i, action, value))
                .collect(),
            unmanaged: unmanaged
                .into_iter()
                .enumerate()
                .map(|(i, description)| Unmanaged {
                    address: Address::Attachment {
                        follower: "emea".into(),
                        name: format!("u{i}"),
                    },
                    description,
                    share_origin: None,
                })
                .collect(),
            warnings,
            targeting: None,
        })
}

/// A plan, sometimes targeted.
fn maybe_targeted() -> impl Strategy<Value = Plan> {
    (
        plan(),
        proptest::option::of(proptest::collection::vec(hostile(), 1..4)),
    )
        .prop_map(|(mut plan, targets)| {
            plan.targeting = targets.map(|targets| Targeting {
                targets,
                left_out: 3,
            });
            plan
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn markdown_fits_and_stays_well_formed(plan in plan(), limit in 1_200usize..20_000) {
        let rendered = render_markdown(&plan, &MarkdownOptions { limit, ..MarkdownOptions::default() });
        prop_assert!(rendered.len() <= limit, "{} > {limit}", rendered.len());
        let summary = format!("**{}**\n", summary_line(&plan));
        prop_assert!(rendered.starts_with(&summary));
        well_formed(&plan, &rendered)?;
    }

    /// With a marker, a title and targets, they come first and the limit still holds.
    #[test]
    fn a_titled_targeted_comment_fits_too(
        plan in maybe_targeted(),
        limit in 2_500usize..20_000,
        title in short_hostile(),
        manifest in short_hostile(),
    ) {
        let options = MarkdownOptions {
            limit,
            title: Some(title),
            manifest: Some(manifest.clone()),
        };
        let rendered = render_markdown(&plan, &options);
        prop_assert!(rendered.len() <= limit, "{} > {limit}", rendered.len());
        let lines: Vec<&str> = rendered.lines().collect();
        let marker = plan_marker(&manifest);
        prop_assert_eq!(lines[0], marker.as_str());
        prop_assert!(lines[1].starts_with("### "), "{:?}", lines[1]);
        prop_assert_eq!(lines[2], "");
        let summary = format!("**{}**", summary_line(&plan));
        prop_assert_eq!(lines[3], summary.as_str());
        prop_assert_eq!(
            rendered.contains("Resource targeting is in effect"),
            plan.targeting.is_some()
        );
        well_formed(&plan, &rendered)?;
    }
}

/// One fold when there are changes, and its diff fence closed by the same fence.
fn well_formed(plan: &Plan, rendered: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        rendered.matches("<details>").count(),
        usize::from(!plan.is_empty())
    );
    let fences: Vec<&str> = rendered
        .lines()
        .filter(|line| line.starts_with("```"))
        .collect();
    prop_assert!(
        fences.len() == 2 * usize::from(!plan.is_empty()),
        "{fences:?}"
    );
    if let [open, close] = fences.as_slice() {
        prop_assert_eq!(open.trim_end_matches("diff"), *close);
    }
    Ok(())
}
