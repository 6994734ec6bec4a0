//! Attribute values (JSON) as Terraform-style lines: scalars inline, lists and maps one entry
//! per line, and for a list or map that changes only what was added and removed.
//!
//! Lists compare as sets (sharing lists and principals are sets), so a changed
//! list shows its added and removed entries, sorted, and counts the rest.

use serde_json::Value;

use crate::lines::{Line, Marker, Style};

/// How far a nested entry is indented beyond its parent's content column.
const NEST: usize = 4;

/// One attribute or map entry to draw, before and after.
pub(crate) struct Entry<'a> {
    /// The padded `name = ` part, empty for list items.
    pub(crate) label: String,
    pub(crate) before: Option<&'a Value>,
    pub(crate) after: Option<&'a Value>,
    /// Appended to the entry's first line (`# forces replacement`).
    pub(crate) note: Option<(Style, String)>,
}

/// True when drawing the entry shows nothing changing: equal values, lists compared as sets.
pub(crate) fn is_unchanged(before: Option<&Value>, after: Option<&Value>) -> bool {
    match (before, after) {
        (Some(Value::Array(b)), Some(Value::Array(a))) => {
            b.iter().all(|item| a.contains(item)) && a.iter().all(|item| b.contains(item))
        }
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            b.len() == a.len() && b.iter().all(|(k, v)| is_unchanged(Some(v), a.get(k)))
        }
        _ => before == after,
    }
}

/// Draws one entry at content column `col`.
pub(crate) fn entry_lines(out: &mut Vec<Line>, col: usize, entry: Entry<'_>, comma: bool) {
    let Entry {
        label,
        before,
        after,
        note,
    } = entry;
    match (before, after) {
        (None, None) => {}
        (Some(_), Some(a)) if is_unchanged(before, after) => {
            whole(out, col, None, label, a, "", note, comma);
        }
        (None, Some(a)) => whole(out, col, Some(Marker::Add), label, a, "", note, comma),
        (Some(b), None) => whole(
            out,
            col,
            Some(Marker::Remove),
            label,
            b,
            " -> null",
            note,
            comma,
        ),
        (Some(Value::Array(b)), Some(Value::Array(a))) => {
            set_diff(out, col, label, b, a, note, comma);
        }
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            map_diff(out, col, label, b, a, note, comma);
        }
        (Some(b), Some(a)) => {
            let mut line = Line::marked(
                col,
                Some(Marker::Change),
                format!("{label}{} -> {}", inline(b), inline(a)),
            );
            finish(&mut line, note, comma);
            out.push(line);
        }
    }
}

/// Draws a value that appears, disappears or stays whole: every nested entry gets `marker`.
#[allow(clippy::too_many_arguments)]
fn whole(
    out: &mut Vec<Line>,
    col: usize,
    marker: Option<Marker>,
    label: String,
    value: &Value,
    suffix: &str,
    note: Option<(Style, String)>,
    comma: bool,
) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            let mut open = Line::marked(col, marker, format!("{label}["));
            finish(&mut open, note, false);
            out.push(open);
            for item in items {
                whole(out, col + NEST, marker, String::new(), item, "", None, true);
            }
            let mut close = Line::plain(col, format!("]{suffix}"));
            finish(&mut close, None, comma);
            out.push(close);
        }
        Value::Object(map) if !map.is_empty() => {
            let mut open = Line::marked(col, marker, format!("{label}{{"));
            finish(&mut open, note, false);
            out.push(open);
            let width = map
                .keys()
                .map(|k| map_key(k).chars().count())
                .max()
                .unwrap_or(0);
            // As in Terraform, each entry of a removed map goes to null, not only the map.
            let entry_suffix = if marker == Some(Marker::Remove) {
                " -> null"
            } else {
                ""
            };
            for (key, item) in map {
                let label = format!("{:<width$} = ", map_key(key));
                whole(
                    out,
                    col + NEST,
                    marker,
                    label,
                    item,
                    entry_suffix,
                    None,
                    false,
                );
            }
            let mut close = Line::plain(col, format!("}}{suffix}"));
            finish(&mut close, None, comma);
            out.push(close);
        }
        scalar => {
            let mut line = Line::marked(col, marker, format!("{label}{}{suffix}", inline(scalar)));
            finish(&mut line, note, comma);
            out.push(line);
        }
    }
}

/// A list that changes: added and removed entries, sorted, the rest counted.
fn set_diff(
    out: &mut Vec<Line>,
    col: usize,
    label: String,
    before: &[Value],
    after: &[Value],
    note: Option<(Style, String)>,
    comma: bool,
) {
    let mut shown: Vec<(String, Marker, &Value)> = Vec::new();
    for item in before.iter().filter(|item| !after.contains(item)) {
        shown.push((inline(item), Marker::Remove, item));
    }
    for item in after.iter().filter(|item| !before.contains(item)) {
        shown.push((inline(item), Marker::Add, item));
    }
    shown.sort_by(|a, b| a.0.cmp(&b.0));
    shown.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let kept = count_distinct(before.iter().filter(|item| after.contains(item)));

    let mut open = Line::marked(col, Some(Marker::Change), format!("{label}["));
    finish(&mut open, note, false);
    out.push(open);
    for (_, marker, item) in shown {
        whole(
            out,
            col + NEST,
            Some(marker),
            String::new(),
            item,
            "",
            None,
            true,
        );
    }
    if kept > 0 {
        out.push(Line::plain(col + NEST, hidden(kept, "element")));
    }
    let mut close = Line::plain(col, "]");
    finish(&mut close, None, comma);
    out.push(close);
}

/// A map that changes: each key drawn as an entry, the unchanged ones counted.
fn map_diff(
    out: &mut Vec<Line>,
    col: usize,
    label: String,
    before: &serde_json::Map<String, Value>,
    after: &serde_json::Map<String, Value>,
    note: Option<(Style, String)>,
    comma: bool,
) {
    let mut keys: Vec<&String> = before.keys().collect();
    keys.extend(after.keys().filter(|k| !before.contains_key(*k)));
    let changed: Vec<&String> = keys
        .into_iter()
        .filter(|k| !is_unchanged(before.get(*k), after.get(*k)))
        .collect();
    let kept = before
        .iter()
        .filter(|(k, v)| is_unchanged(Some(v), after.get(*k)))
        .count();

    let mut open = Line::marked(col, Some(Marker::Change), format!("{label}{{"));
    finish(&mut open, note, false);
    out.push(open);
    let width = changed
        .iter()
        .map(|k| map_key(k).chars().count())
        .max()
        .unwrap_or(0);
    for key in changed {
        let entry = Entry {
            label: format!("{:<width$} = ", map_key(key)),
            before: before.get(key),
            after: after.get(key),
            note: None,
        };
        entry_lines(out, col + NEST, entry, false);
    }
    if kept > 0 {
        out.push(Line::plain(col + NEST, hidden(kept, "element")));
    }
    let mut close = Line::plain(col, "}");
    finish(&mut close, None, comma);
    out.push(close);
}

fn finish(line: &mut Line, note: Option<(Style, String)>, comma: bool) {
    if comma {
        line.push(Style::Plain, ",");
    }
    if let Some((style, text)) = note {
        line.push(style, text);
    }
}

fn count_distinct<'a>(items: impl Iterator<Item = &'a Value>) -> usize {
    let mut seen: Vec<&Value> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen.len()
}

/// `# (3 unchanged attributes hidden)`
pub(crate) fn hidden(count: usize, noun: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("# ({count} unchanged {noun}{plural} hidden)")
}

/// A value on one line: strings quoted and escaped as JSON, lists and maps compact.
pub(crate) fn inline(value: &Value) -> String {
    match value {
        Value::String(text) => quote(text),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Object(map) if map.is_empty() => "{}".to_owned(),
        other => other.to_string(),
    }
}

/// A string as a JSON literal: quotes and control characters escaped, so a value can never
/// break the line structure of the plan.
pub(crate) fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// A map key: bare when it reads as a name, quoted otherwise (spaces, quotes, `=` …).
fn map_key(key: &str) -> String {
    let bare = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*'));
    if bare { key.to_owned() } else { quote(key) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::lines::to_text;

    fn draw(before: Option<Value>, after: Option<Value>) -> String {
        let mut out = Vec::new();
        let entry = Entry {
            label: "x = ".to_owned(),
            before: before.as_ref(),
            after: after.as_ref(),
            note: None,
        };
        entry_lines(&mut out, 8, entry, false);
        to_text(&out, false)
    }

    #[test]
    fn a_changed_list_shows_only_added_and_removed_entries_sorted() {
        let text = draw(Some(json!(["b", "a", "c"])), Some(json!(["c", "d", "a"])));
        assert_eq!(
            text,
            "      ~ x = [\n          - \"b\",\n          + \"d\",\n            # (2 unchanged elements hidden)\n        ]\n"
        );
    }

    #[test]
    fn a_reordered_list_with_the_same_entries_is_drawn_without_markers() {
        let text = draw(Some(json!(["a", "b"])), Some(json!(["b", "a"])));
        assert!(!text.contains('+') && !text.contains('-'), "{text}");
    }

    #[test]
    fn a_list_that_starts_empty_shows_its_new_entries() {
        assert_eq!(
            draw(Some(json!([])), Some(json!(["a"]))),
            "      ~ x = [\n          + \"a\",\n        ]\n"
        );
    }

    #[test]
    fn a_removed_scalar_goes_to_null() {
        assert_eq!(draw(Some(json!("v")), None), "      - x = \"v\" -> null\n");
    }

    #[test]
    fn strings_with_newlines_stay_on_one_line() {
        assert_eq!(draw(None, Some(json!("a\nb"))), "      + x = \"a\\nb\"\n");
    }

    #[test]
    fn map_keys_that_are_not_names_are_quoted() {
        assert_eq!(map_key("Orders"), "Orders");
        assert_eq!(map_key("my table"), "\"my table\"");
    }
}
