//! The [`Node`] tree built straight from the YAML parser's events, without serde.
//!
//! serde-saphyr's typed path (`node::parse_with_serde`) is the reference: it resolves plain
//! scalars, merge keys, anchors, tags, budgets and errors. It is also slow for a tree of
//! positions (each `Spanned` node goes through a serde map of its location), about 200 ms
//! for a manifest of 10,000 attachments. This module reads the events of the same parser
//! (`serde_saphyr::granit_parser`, with the options serde-saphyr gives it) and builds the same
//! tree, for the documents where that is certain to give the same result: one document whose
//! root is a mapping or a list, no tags, anchors, aliases or merge keys, within the budget, and
//! plain scalars it can resolve exactly as serde-saphyr does. For anything else, a syntax error
//! included, [`parse`] returns `None` and the caller takes the serde path, which reports what
//! it reports today. The tests check both paths give the same tree.

use std::collections::HashMap;

use serde_saphyr::Budget;
use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span, StrInput};

use crate::node::{Node, Pos, Value};

/// The tree of `text`, or `None` when the serde path must decide (see the module comment).
pub(crate) fn parse(text: &str) -> Option<Node> {
    let budget = Budget::default();
    let mut builder = Builder {
        budget: Limits::of(&budget),
        stack: Vec::new(),
        root: None,
        documents: 0,
        events: 0,
        nodes: 0,
        scalar_bytes: 0,
        comment_bytes: 0,
        resolved: HashMap::new(),
    };
    for item in Parser::with_options(StrInput::new(text), parser_options(&budget)) {
        let (event, span) = item.ok()?;
        builder.event(event, &span)?;
    }
    if !builder.stack.is_empty() {
        return None;
    }
    builder.root
}

/// The parser options serde-saphyr derives from its default budget and options
/// (`Options::parser_options` in serde-saphyr 2.1): same options, same syntax errors.
fn parser_options(budget: &Budget) -> Options {
    let mut options = Options::default();
    options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    options.flow_nesting_limit = budget.flow_nesting_limit;
    options.block_nesting_limit = options
        .block_nesting_limit
        .max(budget.max_depth.saturating_add(1));
    options.emit_comments = true;
    options.max_buffered_comment_events = budget.max_buffered_comment_events;
    options.strict_indentation = false;
    options
}

/// The budget limits serde-saphyr enforces while it reads events. Reaching one leaves the
/// document to the serde path, which reports the breach.
struct Limits {
    events: usize,
    nodes: usize,
    depth: usize,
    scalar_bytes: usize,
    comment_bytes: usize,
}

impl Limits {
    fn of(budget: &Budget) -> Limits {
        Limits {
            events: budget.max_events,
            nodes: budget.max_nodes,
            depth: budget.max_depth,
            scalar_bytes: budget.max_total_scalar_bytes,
            comment_bytes: budget.max_total_comment_bytes,
        }
    }
}

/// A mapping or list being read.
enum Open {
    Seq(Pos, Vec<Node>),
    /// The entries so far and the key waiting for its value.
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

struct Builder {
    budget: Limits,
    stack: Vec<Open>,
    root: Option<Node>,
    documents: usize,
    events: usize,
    nodes: usize,
    scalar_bytes: usize,
    comment_bytes: usize,
    /// Plain scalars resolved by serde-saphyr itself (see [`Builder::resolve_alone`]).
    resolved: HashMap<String, Value>,
}

impl Builder {
    /// Takes one event; `None` leaves the document to the serde path.
    fn event(&mut self, event: Event<'_>, span: &Span) -> Option<()> {
        self.events += 1;
        if self.events >= self.budget.events {
            return None;
        }
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Some(()),
            Event::DocumentStart(..) => {
                self.documents += 1;
                (self.documents == 1).then_some(())
            }
            Event::Comment(text, _) => {
                self.comment_bytes += text.len();
                (self.comment_bytes < self.budget.comment_bytes).then_some(())
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                self.count_node()?;
                self.scalar_bytes += value.len();
                if self.scalar_bytes >= self.budget.scalar_bytes || self.stack.is_empty() {
                    return None;
                }
                let value = match style {
                    ScalarStyle::Plain => self.resolve(&value)?,
                    _ => Value::Str(value.into_owned()),
                };
                self.push(Node {
                    value,
                    pos: pos(span),
                })
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || self.awaits_key() {
                    return None;
                }
                self.count_node()?;
                if self.stack.len() + 1 > self.budget.depth || self.root.is_some() {
                    return None;
                }
                let open = match event {
                    Event::SequenceStart(..) => Open::Seq(pos(span), Vec::new()),
                    _ => Open::Map(pos(span), Vec::new(), None),
                };
                self.stack.push(open);
                Some(())
            }
            Event::SequenceEnd => match self.stack.pop()? {
                Open::Seq(pos, items) => self.push(Node {
                    value: Value::Seq(items),
                    pos,
                }),
                Open::Map(..) => None,
            },
            Event::MappingEnd => match self.stack.pop()? {
                Open::Map(pos, entries, None) => self.push(Node {
                    value: Value::Map(entries),
                    pos,
                }),
                Open::Map(..) | Open::Seq(..) => None,
            },
            _ => None,
        }
    }

    fn count_node(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes < self.budget.nodes).then_some(())
    }

    /// True when the innermost open node is a mapping waiting for a key: a mapping or a
    /// list as a key is left to the serde path.
    fn awaits_key(&self) -> bool {
        matches!(self.stack.last(), Some(Open::Map(_, _, None)))
    }

    /// Adds a finished node to the innermost open one, or makes it the root.
    fn push(&mut self, node: Node) -> Option<()> {
        match self.stack.last_mut() {
            None => {
                if self.root.is_some() {
                    return None;
                }
                self.root = Some(node);
            }
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, key)) => match key.take() {
                Some(key) => entries.push((key, node)),
                // `<<` is a merge key to serde-saphyr.
                None if node.value == Value::Str("<<".to_owned()) => return None,
                None => *key = Some(node),
            },
        }
        Some(())
    }

    /// The value of a plain scalar as serde-saphyr resolves it with its default options
    /// (`deserialize_any` in serde-saphyr 2.1: null, YAML 1.1 booleans, integers, floats,
    /// else a string). The common spellings are decided here; the rest by serde-saphyr.
    fn resolve(&mut self, text: &str) -> Option<Value> {
        match text {
            "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
            "0" => return Some(Value::Int(0)),
            _ => {}
        }
        if let Some(b) = yaml11_bool(text) {
            return Some(Value::Bool(b));
        }
        let bytes = text.as_bytes();
        let (first, last) = (bytes.first()?, bytes.last()?);
        if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
            return None;
        }
        match first {
            // No integer or float spelling starts otherwise: `inf` and `nan` are not finite,
            // and typeless non-finite floats are strings to the float parser's fallback.
            b'0' | b'+' | b'-' | b'.' => self.resolve_alone(text),
            b'1'..=b'9' => {
                if bytes.len() <= 19 && bytes.iter().all(u8::is_ascii_digit) {
                    text.parse::<u64>().ok().map(|v| Value::Int(v.into()))
                } else if bytes
                    .iter()
                    .any(|b| !matches!(b, b'0'..=b'9' | b'_' | b'.' | b'e' | b'E' | b'+' | b'-'))
                {
                    // A decimal start with a letter such as `7d`: neither a number nor a float.
                    Some(Value::Str(text.to_owned()))
                } else {
                    self.resolve_alone(text)
                }
            }
            _ => Some(Value::Str(text.to_owned())),
        }
    }

    /// Resolves a number-like plain scalar (`-1d`, `0.5`, `1_000`, `0x1F`) by letting
    /// serde-saphyr read it as a document of its own, once per spelling. `None` (serde-saphyr
    /// refuses it, e.g. `.inf`, or the text would not read back as the same scalar) leaves the
    /// whole document to the serde path.
    fn resolve_alone(&mut self, text: &str) -> Option<Value> {
        if let Some(value) = self.resolved.get(text) {
            return Some(value.clone());
        }
        let safe = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'));
        if !safe || text == "-" || text.starts_with("---") || text.starts_with("...") {
            return None;
        }
        let value = crate::node::parse_with_serde(text).ok()?.value;
        match &value {
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
            Value::Str(read) if read == text => {}
            Value::Str(_) | Value::Seq(_) | Value::Map(_) => return None,
        }
        self.resolved.insert(text.to_owned(), value.clone());
        Some(value)
    }
}

/// serde-saphyr's booleans when `strict_booleans` is off (its default).
fn yaml11_bool(text: &str) -> Option<bool> {
    let is = |word: &str| text.eq_ignore_ascii_case(word);
    if is("true") || is("yes") || is("y") || is("on") {
        Some(true)
    } else if is("false") || is("no") || is("n") || is("off") {
        Some(false)
    } else {
        None
    }
}

/// The position serde-saphyr gives a node of this span (`location_from_span`, then
/// `Pos::of`): byte range only when both ends are known and fit in 32 bits.
fn pos(span: &Span) -> Pos {
    let start = span.start.byte_offset();
    let end = span.end.byte_offset();
    let (offset, len) = match (start, end) {
        (Some(start), Some(end))
            if u32::try_from(start).is_ok() && u32::try_from(end.saturating_sub(start)).is_ok() =>
        {
            (start, end.saturating_sub(start))
        }
        _ => (0, 0),
    };
    Pos {
        offset,
        len,
        line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
        column: u32::try_from(span.start.col().saturating_add(1)).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::node::parse_with_serde;

    /// When the event path answers, it answers what serde-saphyr answers.
    fn same_as_serde(text: &str) -> Result<bool, TestCaseError> {
        let Some(fast) = parse(text) else {
            return Ok(false);
        };
        let reference = parse_with_serde(text);
        prop_assert!(
            reference.is_ok(),
            "serde refuses what events accept: {text:?}"
        );
        prop_assert_eq!(Ok(fast), reference.map_err(|e| e.to_string()), "{:?}", text);
        Ok(true)
    }

    #[test]
    fn manifest_takes_the_event_path_and_matches_serde() {
        let text = "version: 1\nclusters:\n  prod:\n    id: /subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/prod # the leader\n    location: westeurope\nattachments:\n  - name: a\n    follower: emea\n    leader: prod\n    databaseName: \"*\"\n    tableLevelSharing: { tablesToInclude: [Orders, 'Logs*'] }\n    followerDatabase:\n      hotCachePeriod: 7d\n      softDeletePeriod: -1d\n      prefetchExtents: no\n      note: |\n        two\n        lines\n    protect: true\n    name: again\n";
        assert!(same_as_serde(text).unwrap());
    }

    #[test]
    fn plain_scalars_resolve_as_serde_does() {
        #[rustfmt::skip]
        let spellings = [
            "1", "0", "007", "-1", "+1", "-0", "1_000", "1__0", "1_", "0x1F", "0o17", "0b101",
            "1.5", ".5", "1.", "1e3", "1E+3", "-1d", "7d", "30d", "100ms", "12:30", "2001-12-14",
            "yes", "No", "on", "OFF", "y", "N", "true", "False", "TRUE", "tRuE", "null", "Null",
            "~", "NULL", "nULL", ".inf", "-.Inf", ".nan", "inf", "nan", "Infinity", "1e999",
            "18446744073709551615", "18446744073709551616", "9999999999999999999",
            "-9223372036854775809", "timespan(1.12:00:00)", "aadgroup=a@b.c", "é", "1 2", "a b",
            "<<", "'<<'", "''", "\"\"", "'1'", "\"\\t\"", "-", "---x", "...x", "- x", "[1, b]",
            "{a: 1}", "&x 1", "!!str 1", "!custom x",
        ];
        for value in spellings {
            for text in [
                format!("key: {value}\n"),
                format!("- {value}\n"),
                format!("{value}: key\n"),
                format!("[{value}]\n"),
            ] {
                same_as_serde(&text).unwrap();
            }
        }
        // The common spellings need no help from serde-saphyr.
        for value in ["1", "7d", "-1d", "true", "no", "null", "Sales", "'*'"] {
            assert!(
                same_as_serde(&format!("key: {value}\n")).unwrap(),
                "{value}"
            );
        }
    }

    #[test]
    fn leaves_to_serde_what_it_does_not_decide() {
        for text in [
            "a: 1\n---\nb: 2\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "base: &b {x: 1}\nc:\n  <<: *b\n",
            "? [a]\n: 1\n",
            "just a scalar\n",
            "",
            "a: [1\n",
            "a: .inf\n",
            "a:\n\tb: 1\n",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
    }

    #[rustfmt::skip]
    const SCALARS: &[&str] = &[
        "name", "a", "Sales", "1", "0", "012", "-1d", "7d", "1.5", "1e3", "yes", "n", "true",
        "null", "~", "''", "'x y'", "\"q\\n\"", "é", "0x10", "1_000", "a # note", "-0", "+1",
        "18446744073709551616", "1:2", "Null", "OFF", "/x/y", "timespan(1.12:00:00)", "",
    ];
    /// Scalars that leave the document to serde-saphyr, or make it invalid.
    const ODD: &[&str] = &[
        "<<", "&a x", "*a", "!!str 3", ".inf", "-", "@x", "[]", "{}", "? x",
    ];

    /// A YAML tree to render: mostly valid YAML, with odd scalars.
    #[derive(Debug, Clone)]
    enum Tree {
        Scalar(&'static str),
        Map(Vec<(&'static str, Tree)>),
        Seq(Vec<Tree>),
        Flow(Vec<&'static str>),
    }

    fn render(tree: &Tree, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match tree {
            Tree::Scalar(value) => {
                out.push(' ');
                out.push_str(value);
                out.push('\n');
            }
            Tree::Flow(values) => {
                out.push_str(&format!(" [{}]\n", values.join(", ")));
            }
            Tree::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
            Tree::Seq(items) if items.is_empty() => out.push_str(" []\n"),
            Tree::Map(entries) => {
                out.push('\n');
                for (key, value) in entries {
                    out.push_str(&format!("{pad}{key}:"));
                    render(value, indent + 2, out);
                }
            }
            Tree::Seq(items) => {
                out.push('\n');
                for item in items {
                    out.push_str(&format!("{pad}-"));
                    render(item, indent + 2, out);
                }
            }
        }
    }

    fn yaml_like() -> impl Strategy<Value = String> {
        let scalar = || {
            prop_oneof![
                20 => prop::sample::select(SCALARS),
                1 => prop::sample::select(ODD),
            ]
        };
        let leaf = prop_oneof![
            scalar().prop_map(Tree::Scalar),
            prop::collection::vec(scalar(), 0..3).prop_map(Tree::Flow),
        ];
        let tree = leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec((scalar(), inner.clone()), 0..5).prop_map(Tree::Map),
                prop::collection::vec(inner, 0..5).prop_map(Tree::Seq),
            ]
        });
        prop::collection::vec((scalar(), tree), 1..5).prop_map(|entries| {
            let mut out = String::new();
            render(&Tree::Map(entries), 0, &mut out);
            out.trim_start().to_owned()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn event_path_agrees_with_serde(text in yaml_like()) {
            same_as_serde(&text)?;
        }
    }
}
