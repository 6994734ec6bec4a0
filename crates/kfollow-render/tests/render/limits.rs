//! The markdown form keeps its promises whatever the plan holds: under the limit, the summary
//! first and whole, every fence and fold closed.

use kfollow_model::{Action, Address, AttributeChange, Change, Plan, Unmanaged};
use kfollow_render::{MarkdownOptions, render_markdown, summary_line};
use proptest::prelude::*;
use serde_json::json;

use crate::hostile::hostile;

fn change(index: usize, action: Action, value: String) -> Change {
    Change {
        address: Address::Attachment {
            follower: "emea".into(),
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
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn markdown_fits_and_stays_well_formed(plan in plan(), limit in 1_200usize..20_000) {
        let rendered = render_markdown(&plan, &MarkdownOptions { limit });
        prop_assert!(rendered.len() <= limit, "{} > {limit}", rendered.len());
        let summary = format!("**{}**\n", summary_line(&plan));
        prop_assert!(rendered.starts_with(&summary));
        prop_assert_eq!(
            rendered.matches("<details>").count(),
            usize::from(!plan.is_empty())
        );
        let fences: Vec<&str> = rendered
            .lines()
            .filter(|line| line.starts_with("```"))
            .collect();
        prop_assert!(fences.len() == 2 * usize::from(!plan.is_empty()), "{fences:?}");
        if let [open, close] = fences.as_slice() {
            prop_assert_eq!(open.trim_end_matches("diff"), *close);
        }
    }
}
