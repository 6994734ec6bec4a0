//! The plan as a pull-request comment (`--format markdown`).
//!
//! Layout, most important first: a hidden marker naming the manifest and a title (so a bot can
//! keep one comment per manifest up to date); the summary line; the partial-plan warning of a
//! targeted plan; a `> [!WARNING]` banner naming every detach and replacement; a table of
//! the changes per follower cluster when there are several; the unmanaged resources; the
//! warnings; the plan body folded in `<details>` as a ```diff block. GitHub's diff highlighting colours lines by their first
//! character, so markers sit in column 0 and `~` becomes `!` (the diff grammar's "changed";
//! `~` has no colour there).
//!
//! GitHub refuses comments over 65,536 characters. The output is measured in bytes, which are
//! never fewer than characters, so it fits whatever GitHub counts. When the plan does not fit,
//! the lists and then the body are cut, each with a note saying so; the summary line never is.

use std::collections::BTreeMap;

use kfollow_model::{Action, Change, Plan};

use crate::body::{change_lines, verb};
use crate::inert::inert;
use crate::lines::to_diff;
use crate::summary::{
    TARGETING_HEAD, destructive_consequence, destructive_phrase, summary_line, targeting_sentence,
    unmanaged_hint,
};

/// The most characters GitHub accepts in an issue or pull-request comment.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// How to render markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// The most bytes the comment may take; [`GITHUB_COMMENT_LIMIT`] by default. Lower it to
    /// leave room for text of your own around the plan.
    pub limit: usize,
    /// A heading above the plan (the cli's `--title`, by default the manifest path).
    pub title: Option<String>,
    /// The manifest the plan is for: the first line is then its [`plan_marker`], which a bot
    /// searches for to update the comment of this manifest in place.
    pub manifest: Option<String>,
}

impl Default for MarkdownOptions {
    fn default() -> MarkdownOptions {
        MarkdownOptions {
            limit: GITHUB_COMMENT_LIMIT,
            title: None,
            manifest: None,
        }
    }
}

/// The hidden line that names the manifest of a plan comment:
/// `<!-- kfollow:plan:<manifest path> -->`. The path is percent-encoded where it could end
/// the HTML comment, break the line or hide (`%`, `<`, `>`, a `-` after a `-`, and every
/// control, bidirectional or invisible character), so any path gives one well-formed comment
/// and different paths give different markers.
pub fn plan_marker(manifest: &str) -> String {
    let mut path = String::with_capacity(manifest.len());
    let mut previous = None;
    for c in manifest.chars() {
        let encode = matches!(c, '%' | '<' | '>')
            || (c == '-' && previous == Some('-'))
            || crate::inert::is_hidden(c);
        if encode {
            for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                path.push_str(&format!("%{byte:02X}"));
            }
        } else {
            path.push(c);
        }
        previous = path.chars().last();
    }
    format!("<!-- kfollow:plan:{path} -->")
}

/// Room kept back for the notes that say what was cut.
const NOTE_RESERVE: usize = 400;

/// The plan as GitHub-flavoured markdown, at most `options.limit` bytes long (unless the
/// marker, the title, the summary line and the partial-plan warning alone are longer, which
/// they never are in practice).
pub fn render_markdown(plan: &Plan, options: &MarkdownOptions) -> String {
    let mut out = String::new();
    if let Some(manifest) = &options.manifest {
        out.push_str(&plan_marker(manifest));
        out.push('\n');
    }
    if let Some(title) = &options.title {
        out.push_str(&format!("### {}\n\n", escape(title)));
    }
    out.push_str(&format!("**{}**\n", summary_line(plan)));
    let budget = |out: &String| options.limit.saturating_sub(out.len());

    if let Some(sentence) = targeting_sentence(plan, code) {
        out.push_str(&format!(
            "\n> [!WARNING]\n> **{TARGETING_HEAD}.** {sentence}\n"
        ));
    }

    if let Some(phrase) = destructive_phrase(plan) {
        let header = format!(
            "\n> [!WARNING]\n> **This plan {phrase}.** {}\n>\n",
            destructive_consequence(plan)
        );
        let items: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| c.action.is_destructive())
            .map(|c| format!("> - {}\n", destructive_item(c)))
            .collect();
        let cap = budget(&out).min(options.limit / 4);
        out.push_str(&fit_list(&header, &items, cap, "> "));
    }

    if let Some((header, rows)) = cluster_table(plan) {
        // A table too cramped for a row and the note of what is cut is left out: the summary
        // line holds its totals.
        let cap = budget(&out).min(options.limit / 8);
        if cap >= header.len() + NOTE_RESERVE {
            out.push_str(&fit_list(&header, &rows, cap, ""));
        }
    }

    if !plan.unmanaged.is_empty() {
        let header = "\n**Unmanaged** (live, not in the manifest; left alone):\n\n";
        let items: Vec<String> = plan
            .unmanaged
            .iter()
            .map(|u| {
                format!(
                    "- {}: {}\n",
                    code(&u.address.to_string()),
                    escape(&u.description)
                )
            })
            .collect();
        let cap = budget(&out).min(options.limit / 8);
        out.push_str(&fit_list(header, &items, cap, ""));
        if let Some(hint) = unmanaged_hint(plan) {
            out.push_str(&format!("\n{hint}\n"));
        }
    }

    if !plan.warnings.is_empty() {
        let header = "\n**Warnings:**\n\n";
        let items: Vec<String> = plan
            .warnings
            .iter()
            .map(|w| format!("- {}\n", escape(w)))
            .collect();
        let cap = budget(&out).min(options.limit / 8);
        out.push_str(&fit_list(header, &items, cap, ""));
    }

    if !plan.is_empty() {
        out.push_str(&details(&plan.changes, budget(&out)));
    }
    out
}

/// The changes counted per follower cluster, as a table header and one row per cluster, when
/// the plan changes more than one follower cluster (for one, the summary line says it all).
fn cluster_table(plan: &Plan) -> Option<(String, Vec<String>)> {
    let mut counts: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for change in &plan.changes {
        let column = match change.action {
            Action::Attach => 0,
            Action::Update => 1,
            Action::Replace => 2,
            Action::Detach => 3,
        };
        counts.entry(change.address.follower()).or_default()[column] += 1;
    }
    if counts.len() < 2 {
        return None;
    }
    let header = "\n| follower cluster | attach | change | replace | detach |\n\
                  |---|--:|--:|--:|--:|\n"
        .to_owned();
    let rows = counts
        .into_iter()
        .map(|(cluster, [attach, change, replace, detach])| {
            format!(
                "| {} | {attach} | {change} | {replace} | {detach} |\n",
                code(cluster).replace('|', "\\|")
            )
        })
        .collect();
    Some((header, rows))
}

/// `` `-/+` `attachment.emea/x` must be replaced: reason``
fn destructive_item(change: &Change) -> String {
    let mut item = format!(
        "{} {} {}",
        code(change.action.symbol()),
        code(&change.address.to_string()),
        verb(change)
    );
    if let Some(reason) = &change.reason {
        item.push_str(": ");
        item.push_str(&escape(reason));
    }
    item
}

/// A header and as many items as fit in `cap` bytes, then a note counting the rest.
/// The header is always kept: without it the items would not make sense.
fn fit_list(header: &str, items: &[String], cap: usize, quote: &str) -> String {
    let mut out = header.to_owned();
    let cap = cap.saturating_sub(NOTE_RESERVE.min(cap / 2));
    for (shown, item) in items.iter().enumerate() {
        if out.len() + item.len() > cap {
            let left = items.len() - shown;
            out.push_str(&format!(
                "{quote}- … and {left} more, not shown to keep this comment under GitHub's size limit (`kfollow show` lists them all)\n"
            ));
            return out;
        }
        out.push_str(item);
    }
    out
}

/// The folded diff block with as many whole changes as fit in `budget` bytes; if not even the
/// first one fits, as many of its lines as fit.
fn details(changes: &[Change], budget: usize) -> String {
    let blocks: Vec<String> = changes
        .iter()
        .map(|change| to_diff(&change_lines(change)))
        .collect();
    let fence = fence_for(&blocks);
    let frame = |summary: &str, body: &str, note: &str| {
        format!(
            "\n<details><summary>{summary}</summary>\n\n{fence}diff\n{body}{fence}\n{note}\n</details>\n"
        )
    };
    let total = changes.len();
    let all = frame(&changes_noun(total), &blocks.join("\n"), "");
    if all.len() <= budget {
        return all;
    }

    let room = budget.saturating_sub(frame("", "", "").len() + NOTE_RESERVE);
    let mut body = String::new();
    let mut shown = 0;
    for block in &blocks {
        let separator = usize::from(shown > 0);
        if body.len() + separator + block.len() > room {
            break;
        }
        if shown > 0 {
            body.push('\n');
        }
        body.push_str(block);
        shown += 1;
    }
    let what = if shown == 0 {
        if let Some(first) = blocks.first() {
            for line in first.split_inclusive('\n') {
                if body.len() + line.len() > room {
                    break;
                }
                body.push_str(line);
            }
        }
        format!("the start of the first of {total} changes")
    } else {
        format!("{shown} of {total} changes")
    };
    let note = format!(
        "\n_The plan is too long for one comment: showing {what}. Run `kfollow show` on the saved plan to see all of it._\n"
    );
    frame(&format!("Plan (showing {what})"), &body, &note)
}

fn changes_noun(count: usize) -> String {
    if count == 1 {
        "Plan (1 change)".to_owned()
    } else {
        format!("Plan ({count} changes)")
    }
}

/// A code fence longer than any run of backticks in the body, so no value can close it.
fn fence_for(blocks: &[String]) -> String {
    let longest = blocks
        .iter()
        .map(|block| longest_backtick_run(block))
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// An inline code span that no backtick inside the text can end early, and no line break or
/// hidden character can leave: the text is made [`inert`] first.
pub(crate) fn code(text: &str) -> String {
    let text = &*inert(text);
    let ticks = "`".repeat(longest_backtick_run(text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// Text from the plan (descriptions, warnings, reasons) made inert: line breaks and hidden
/// characters become visible escapes ([`inert`]) and markdown punctuation is escaped, so it
/// cannot open a link, a tag or a new block. Backtick spans are kept as code spans
/// (kfollow's messages put names in backticks), and nothing is escaped inside them, where a
/// backslash would show; with an odd number of backticks there are no spans and every
/// backtick is escaped.
pub(crate) fn escape(text: &str) -> String {
    let text = &*inert(text);
    let spans = text.matches('`').count().is_multiple_of(2);
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' if spans => {
                in_code = !in_code;
                out.push(c);
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
    }

    #[test]
    fn a_marker_stays_one_html_comment_whatever_the_path() {
        assert_eq!(
            plan_marker("envs/prod/kfollow.yaml"),
            "<!-- kfollow:plan:envs/prod/kfollow.yaml -->"
        );
        assert_eq!(
            plan_marker("a--b--->c<!--d%2D\ne-"),
            "<!-- kfollow:plan:a-%2Db-%2D-%3Ec%3C!-%2Dd%252D%0Ae- -->"
        );
        assert_eq!(
            plan_marker("a\u{202e}b\u{1b}"),
            "<!-- kfollow:plan:a%E2%80%AEb%1B -->"
        );
        for path in ["--", "-->", "x--!>", "<!--", "a\r\nb", "%2D", "---"] {
            let marker = plan_marker(path);
            let inner = &marker["<!-- ".len()..marker.len() - " -->".len()];
            assert!(!inner.contains("--"), "{marker}");
            assert!(!inner.contains(['<', '>', '\n', '\r']), "{marker}");
        }
        assert_ne!(plan_marker("a--b"), plan_marker("a-%2Db"));
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<b>x</b>\n[y](z)"),
            "\\<b\\>x\\</b\\>\\\\n\\[y\\](z)"
        );
        assert_eq!(escape("`my_table` my_table"), "`my_table` my\\_table");
        assert_eq!(escape("a ` b_"), "a \\` b\\_");
    }
}
