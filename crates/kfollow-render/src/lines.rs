//! The plan as styled lines: built once, written out as terminal text (with or without ANSI
//! colour) or as the body of a ```diff block with the markers in column 0.
//!
//! Keeping the structure (column, marker, styled parts) until the last step is what lets the
//! markdown form move markers to column 0 without re-parsing text, where a command or a value
//! that happens to start with `-` would be mistaken for a marker.
//!
//! This is where every name shown in text or in the diff block is written, so it is made
//! [`inert`] here, part by part: a line is one line, whatever its parts hold.

use kfollow_model::Action;

use crate::inert::inert;

/// A change marker at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// `+`
    Add,
    /// `~`
    Change,
    /// `-`
    Remove,
    /// `-/+`
    Replace,
}

impl Marker {
    pub(crate) fn for_action(action: Action) -> Marker {
        match action {
            Action::Attach => Marker::Add,
            Action::Update => Marker::Change,
            Action::Replace => Marker::Replace,
            Action::Detach => Marker::Remove,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Marker::Add => "+",
            Marker::Change => "~",
            Marker::Remove => "-",
            Marker::Replace => "-/+",
        }
    }

    /// The marker in a ```diff block. GitHub's diff highlighting knows `+`, `-` and `!`
    /// (changed), not `~`; `-/+` starts with `-` and shows red, as a replacement should.
    fn diff_symbol(self) -> &'static str {
        match self {
            Marker::Change => "!",
            other => other.symbol(),
        }
    }

    fn style(self) -> Style {
        match self {
            Marker::Add => Style::Add,
            Marker::Change => Style::Change,
            Marker::Remove => Style::Remove,
            Marker::Replace => Style::Replace,
        }
    }
}

/// How a part of a line looks on a colour terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Bold,
    Add,
    Change,
    Remove,
    Replace,
    /// Bold red: warnings about destructive actions.
    Danger,
}

impl Style {
    fn ansi(self) -> Option<&'static str> {
        match self {
            Style::Plain => None,
            Style::Bold => Some("\x1b[1m"),
            Style::Add => Some("\x1b[32m"),
            Style::Change => Some("\x1b[33m"),
            Style::Remove => Some("\x1b[31m"),
            Style::Replace => Some("\x1b[35m"),
            Style::Danger => Some("\x1b[1;31m"),
        }
    }
}

const RESET: &str = "\x1b[0m";

/// One line of output. Content starts at column `col`; a marker, when present, ends one
/// space before it (so `-/+` hangs further left than `+`, as in Terraform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) col: usize,
    pub(crate) marker: Option<Marker>,
    pub(crate) parts: Vec<(Style, String)>,
}

impl Line {
    /// An empty line.
    pub(crate) fn blank() -> Line {
        Line {
            col: 0,
            marker: None,
            parts: Vec::new(),
        }
    }

    /// Unstyled text at `col`.
    pub(crate) fn plain(col: usize, text: impl Into<String>) -> Line {
        Line::styled(col, Style::Plain, text)
    }

    /// Text of one style at `col`.
    pub(crate) fn styled(col: usize, style: Style, text: impl Into<String>) -> Line {
        Line {
            col,
            marker: None,
            parts: vec![(style, text.into())],
        }
    }

    /// Text at `col` after a marker.
    pub(crate) fn marked(col: usize, marker: Option<Marker>, text: impl Into<String>) -> Line {
        Line {
            col,
            marker,
            parts: vec![(Style::Plain, text.into())],
        }
    }

    /// Appends a styled part.
    pub(crate) fn push(&mut self, style: Style, text: impl Into<String>) {
        self.parts.push((style, text.into()));
    }

    /// Appends a styled part, builder style.
    pub(crate) fn with(mut self, style: Style, text: impl Into<String>) -> Line {
        self.push(style, text);
        self
    }

    fn is_empty(&self) -> bool {
        self.marker.is_none() && self.parts.iter().all(|(_, text)| text.is_empty())
    }

    /// Writes the line as terminal text, without a newline.
    pub(crate) fn write_text(&self, out: &mut String, color: bool) {
        if self.is_empty() {
            return;
        }
        match self.marker {
            Some(marker) => {
                let symbol = marker.symbol();
                let lead = self.col.saturating_sub(symbol.len() + 1);
                push_spaces(out, lead);
                push_styled(out, marker.style(), symbol, color);
                push_spaces(out, self.col.saturating_sub(lead + symbol.len()).max(1));
            }
            None => push_spaces(out, self.col),
        }
        for (style, text) in &self.parts {
            push_styled(out, *style, text, color);
        }
    }

    /// Writes the line for a ```diff block: the marker in column 0, the content at the same
    /// column as in the text form, no colour.
    pub(crate) fn write_diff(&self, out: &mut String) {
        if self.is_empty() {
            return;
        }
        let lead = match self.marker {
            Some(marker) => {
                let symbol = marker.diff_symbol();
                out.push_str(symbol);
                symbol.len()
            }
            None => 0,
        };
        push_spaces(
            out,
            self.col.saturating_sub(lead).max(usize::from(lead > 0)),
        );
        for (_, text) in &self.parts {
            out.push_str(&inert(text));
        }
    }
}

/// Writes lines as terminal text, one per line.
pub(crate) fn to_text(lines: &[Line], color: bool) -> String {
    let mut out = String::new();
    for line in lines {
        line.write_text(&mut out, color);
        out.push('\n');
    }
    out
}

/// Writes lines for a ```diff block, one per line.
pub(crate) fn to_diff(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        line.write_diff(&mut out);
        out.push('\n');
    }
    out
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn push_styled(out: &mut String, style: Style, text: &str, color: bool) {
    let text = &*inert(text);
    match style.ansi() {
        Some(code) if color && !text.is_empty() => {
            out.push_str(code);
            out.push_str(text);
            out.push_str(RESET);
        }
        _ => out.push_str(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_end_one_space_before_the_content() {
        let add = Line::marked(4, Some(Marker::Add), "x");
        let replace = Line::marked(4, Some(Marker::Replace), "x");
        assert_eq!(to_text(&[add, replace], false), "  + x\n-/+ x\n");
    }

    #[test]
    fn diff_form_moves_markers_to_column_zero_and_keeps_the_content_column() {
        let lines = [
            Line::marked(8, Some(Marker::Change), "a = 1 -> 2"),
            Line::marked(4, Some(Marker::Replace), "x {"),
            Line::plain(8, "# note"),
        ];
        assert_eq!(
            to_diff(&lines),
            "!       a = 1 -> 2\n-/+ x {\n        # note\n"
        );
    }

    #[test]
    fn a_part_cannot_break_its_line_or_drive_the_terminal() {
        let line = Line::marked(
            4,
            Some(Marker::Add),
            "x\nPlan: 0 to attach\u{1b}[2J\u{202e}",
        );
        let shown = "  + x\\nPlan: 0 to attach\\u{1b}[2J\\u{202e}\n";
        assert_eq!(to_text(std::slice::from_ref(&line), false), shown);
        assert_eq!(
            to_diff(&[line]),
            "+   x\\nPlan: 0 to attach\\u{1b}[2J\\u{202e}\n"
        );
    }

    #[test]
    fn colour_wraps_styled_parts_and_resets() {
        let line = Line::marked(4, Some(Marker::Remove), "x").with(Style::Danger, " !");
        assert_eq!(
            to_text(&[line], true),
            "  \x1b[31m-\x1b[0m x\x1b[1;31m !\x1b[0m\n"
        );
    }
}
