//! The forms `--format` picks, and a saved plan rendered in one of them (`kfollow plan`,
//! `kfollow show`).

use kfollow_model::{FreshnessReport, SavedPlan};

use crate::{
    CheckJsonMeta, MarkdownOptions, PlanJsonMeta, TextOptions, render_check_json,
    render_check_markdown, render_check_text, render_json, render_markdown, render_text,
};

/// The form a plan or a check report is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Terminal text, coloured or not.
    Text {
        /// True to colour it.
        color: bool,
    },
    /// GitHub markdown.
    Markdown,
    /// Versioned JSON.
    Json,
}

/// A saved plan in `form`, ending with a newline. Markdown starts with the manifest's marker
/// and `title` (by default the manifest path); JSON names the kfollow version, the manifest
/// and its digest the plan was made with.
pub fn render_saved_plan(saved: &SavedPlan, form: Form, title: Option<&str>) -> String {
    let plan = &saved.plan;
    let text = match form {
        Form::Text { color } => render_text(plan, &TextOptions { color }),
        Form::Markdown => render_markdown(
            plan,
            &MarkdownOptions {
                title: Some(title.unwrap_or(&saved.manifest).to_owned()),
                manifest: Some(saved.manifest.clone()),
                ..MarkdownOptions::default()
            },
        ),
        Form::Json => render_json(
            plan,
            Some(&PlanJsonMeta {
                kfollow_version: Some(saved.kfollow_version.clone()),
                manifest: Some(saved.manifest.clone()),
                manifest_digest: Some(saved.manifest_digest.clone()),
            }),
        ),
    };
    ending_with_newline(text)
}

/// The report of `kfollow check` in `form`, ending with a newline; `meta` heads the JSON form.
pub fn render_check(report: &FreshnessReport, form: Form, meta: &CheckJsonMeta) -> String {
    ending_with_newline(match form {
        Form::Text { color } => render_check_text(report, color),
        Form::Markdown => render_check_markdown(report),
        Form::Json => render_check_json(report, meta),
    })
}

/// What is printed ends its last line, whichever renderer made it.
fn ending_with_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use kfollow_model::{Desired, Plan};

    use super::*;

    fn saved() -> SavedPlan {
        SavedPlan::new(
            "9.9.9",
            "deploy/kfollow.yaml",
            "sha256:abc",
            "emulator:world.yaml",
            Desired::default(),
            Plan::default(),
            BTreeMap::new(),
        )
    }

    #[test]
    fn every_form_of_a_saved_plan_ends_its_last_line() {
        for form in [
            Form::Text { color: false },
            Form::Text { color: true },
            Form::Markdown,
            Form::Json,
        ] {
            let text = render_saved_plan(&saved(), form, None);
            assert!(
                text.ends_with('\n') && !text.ends_with("\n\n"),
                "{form:?}: {text:?}"
            );
        }
        assert_eq!(
            render_saved_plan(&saved(), Form::Text { color: false }, None),
            ending_with_newline(render_text(&Plan::default(), &TextOptions { color: false }))
        );
    }

    #[test]
    fn markdown_is_headed_by_the_title_or_else_the_manifest() {
        let by_default = render_saved_plan(&saved(), Form::Markdown, None);
        assert!(by_default.starts_with(&plan_marker_line()), "{by_default}");
        assert!(by_default.contains("deploy/kfollow.yaml"), "{by_default}");
        let titled = render_saved_plan(&saved(), Form::Markdown, Some("Production"));
        assert!(titled.starts_with(&plan_marker_line()), "{titled}");
        assert!(titled.contains("Production"), "{titled}");
        assert_ne!(titled, by_default);
    }

    fn plan_marker_line() -> String {
        crate::plan_marker("deploy/kfollow.yaml")
    }

    #[test]
    fn json_names_what_the_plan_was_made_with() {
        let text = render_saved_plan(&saved(), Form::Json, Some("ignored"));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["kfollow_version"], "9.9.9");
        assert_eq!(json["manifest"], "deploy/kfollow.yaml");
        assert_eq!(json["manifest_digest"], "sha256:abc");
    }

    #[test]
    fn every_form_of_a_check_report_ends_its_last_line() {
        let report = FreshnessReport::default();
        for form in [Form::Text { color: false }, Form::Markdown, Form::Json] {
            let text = render_check(&report, form, &CheckJsonMeta::default());
            assert!(text.ends_with('\n'), "{form:?}: {text:?}");
        }
    }
}
