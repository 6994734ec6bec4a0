//! The plan as terminal text (`kfollow plan`, `kfollow show`).

use kfollow_model::{Action, Plan};

use crate::body::{self, change_lines};
use crate::lines::{Line, Marker, Style, to_text};
use crate::summary::{
    NO_CHANGES_HEAD, NO_CHANGES_TAIL, TARGETING_HEAD, destructive_consequence, destructive_phrase,
    summary_line, targeting_sentence, unmanaged_hint,
};

/// How to render text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Colour with ANSI escapes. The cli decides: stdout is a terminal and `NO_COLOR` is unset.
    pub color: bool,
}

/// The plan in Terraform's visual grammar: the partial-plan warning of a targeted plan, every
/// change as a `+ ~ -/+ -` block, then the unmanaged resources, the warnings, a shouted
/// warning naming every detach and replacement, and the summary line last.
pub fn render_text(plan: &Plan, options: &TextOptions) -> String {
    let mut out = Vec::new();
    targeting_lines(&mut out, plan);
    if !plan.is_empty() {
        legend_lines(&mut out, plan);
        out.push(Line::plain(
            0,
            "kfollow will perform the following actions:",
        ));
        out.push(Line::blank());
        for change in &plan.changes {
            out.extend(change_lines(change));
            out.push(Line::blank());
        }
    }
    unmanaged_lines(&mut out, plan);
    warning_lines(&mut out, plan);
    destructive_lines(&mut out, plan);
    if plan.is_empty() {
        out.push(
            Line::styled(0, Style::Bold, NO_CHANGES_HEAD)
                .with(Style::Plain, format!(" {NO_CHANGES_TAIL}")),
        );
    } else {
        let line = summary_line(plan);
        let (head, tail) = line.split_at("Plan:".len());
        out.push(Line::styled(0, Style::Bold, head).with(Style::Plain, tail));
    }
    to_text(&out, options.color)
}

/// Terraform's warning that a targeted plan may be incomplete, first, as Terraform puts it.
fn targeting_lines(out: &mut Vec<Line>, plan: &Plan) {
    let Some(sentence) = targeting_sentence(plan, |target| format!("`{target}`")) else {
        return;
    };
    out.push(
        Line::styled(0, Style::Change, "Warning:").with(Style::Bold, format!(" {TARGETING_HEAD}")),
    );
    out.push(Line::plain(2, sentence));
    out.push(Line::blank());
}

/// Terraform's legend: the symbols this plan uses, and what each does.
fn legend_lines(out: &mut Vec<Line>, plan: &Plan) {
    out.push(Line::plain(
        0,
        "Actions are shown with the following symbols:",
    ));
    for (action, meaning) in [
        (Action::Attach, "attach"),
        (Action::Update, "update in place"),
        (Action::Replace, "detach, then attach (replace)"),
        (Action::Detach, "detach"),
    ] {
        if plan.count(action) > 0 {
            out.push(Line::marked(4, Some(Marker::for_action(action)), meaning));
        }
    }
    out.push(Line::blank());
}

fn unmanaged_lines(out: &mut Vec<Line>, plan: &Plan) {
    if plan.unmanaged.is_empty() {
        return;
    }
    out.push(Line::styled(
        0,
        Style::Bold,
        "Unmanaged (live, not in the manifest; left alone):",
    ));
    for unmanaged in &plan.unmanaged {
        out.push(Line::plain(
            2,
            format!("{}: {}", unmanaged.address, unmanaged.description),
        ));
    }
    if let Some(hint) = unmanaged_hint(plan) {
        out.push(Line::plain(2, hint));
    }
    out.push(Line::blank());
}

fn warning_lines(out: &mut Vec<Line>, plan: &Plan) {
    for warning in &plan.warnings {
        out.push(
            Line::styled(0, Style::Change, "Warning:").with(Style::Plain, format!(" {warning}")),
        );
    }
    if !plan.warnings.is_empty() {
        out.push(Line::blank());
    }
}

fn destructive_lines(out: &mut Vec<Line>, plan: &Plan) {
    let Some(phrase) = destructive_phrase(plan) else {
        return;
    };
    out.push(Line::styled(
        0,
        Style::Danger,
        format!(
            "WARNING: this plan {phrase}. {}",
            destructive_consequence(plan)
        ),
    ));
    for change in plan.changes.iter().filter(|c| c.action.is_destructive()) {
        let mut text = format!("{} {}", change.address, body::verb(change));
        if let Some(reason) = &change.reason {
            text.push_str(": ");
            text.push_str(reason);
        }
        out.push(Line::marked(
            6,
            Some(Marker::for_action(change.action)),
            text,
        ));
    }
    out.push(Line::blank());
}
