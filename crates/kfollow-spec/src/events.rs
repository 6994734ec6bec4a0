//! The YAML reader: the [`Node`] tree built straight from the events of the YAML parser.
//!
//! The parser is `granit-parser` (the one serde-saphyr is built on, used through the
//! `serde_saphyr::granit_parser` re-export), with its default options: it reports syntax
//! errors and bounds nesting. Everything between its events and the tree is decided here, in
//! one pass, with the rules serde-saphyr applies when it reads YAML into an untyped value:
//! - plain scalars are null (`~`, `null`, nothing), YAML 1.1 booleans (`yes`, `off`, ...),
//!   integers (`12`, `-3`, `0x1F`, `1_000`), floats (`1.5`, `1e3`, `.inf`), else strings;
//!   quoted and block scalars are strings;
//! - `!!str` (or `!`) makes a scalar a string and `!!null` null; `!!bool`, `!!int` and
//!   `!!float` must hold what they say; other tags are ignored;
//! - an alias (`*name`) repeats its anchored node, and all it holds, at the alias;
//! - a plain `<<` key merges a mapping (or a list of mappings, or null) into the mapping it
//!   is in, after its own entries and without overriding its keys; earlier mappings of a list
//!   win over later ones; merged entries sit at the mapping that brought them.
//!
//! A repeated key is kept as it is, so that the checker can report each one. A manifest is
//! one document; a second one is an error, as is an alias inside the node it names. Non-finite
//! floats (`.inf`, `1e999`) are numbers here, where serde-saphyr refuses them; every manifest
//! key that takes a number wants an integer, so they are refused as the wrong type anyway.
//! A merged key is left out when the mapping, or an earlier merge, has a key of the same
//! value; serde-saphyr compares the spelling of null, boolean and float keys instead. The tests
//! compare the reader with serde-saphyr's own reading, positions included.

use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, ScanError, Span, Tag};

use crate::node::{Node, Pos, Value};

/// How many nodes aliases may add in total: a handful of anchors repeated in a large
/// manifest stays far below, a "billion laughs" document of nested aliases stops here.
const MAX_REPEATED_NODES: usize = 1_000_000;

/// Why a text is not a manifest's YAML: where, what, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlError {
    /// Where; `offset` and `len` are 0 when the parser gives a line and column only.
    pub pos: Pos,
    /// What is wrong, to follow "the manifest is not valid YAML: ".
    pub reason: String,
    /// What to do next.
    pub help: &'static str,
}

impl YamlError {
    fn at(span: &Span, reason: String, help: &'static str) -> YamlError {
        YamlError {
            pos: pos(span),
            reason,
            help,
        }
    }

    fn syntax(error: &ScanError) -> YamlError {
        let marker = error.marker();
        let line = u32::try_from(marker.line()).unwrap_or(u32::MAX);
        let column = u32::try_from(marker.col().saturating_add(1)).unwrap_or(u32::MAX);
        YamlError {
            pos: Pos {
                offset: 0,
                len: 0,
                line,
                column,
            },
            reason: format!("{} at line {line}, column {column}", error.info()),
            help: "fix the YAML syntax; the rules are checked once the file parses",
        }
    }
}

/// The tree of `text` (null for a document without content), or the first problem.
pub(crate) fn parse(text: &str) -> Result<Node, YamlError> {
    let mut options = Options::default();
    // Comments carry nothing for the manifest; the parser still checks their syntax.
    options.set_emit_comments(false);
    let mut builder = Builder::default();
    for item in Parser::new_from_str_with_options(text, options) {
        let (event, span) = item.map_err(|error| YamlError::syntax(&error))?;
        builder.event(event, &span)?;
    }
    match builder.root {
        Some((node, _)) if node.value != Value::Null => Ok(node),
        // A document without content, or with a null only, is null at its start.
        _ => Ok(Node {
            value: Value::Null,
            pos: Pos::START,
        }),
    }
}

/// A mapping or list being read, with how many nodes it holds so far (itself included).
enum Open {
    Seq {
        pos: Pos,
        anchor: usize,
        size: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        size: usize,
        entries: Vec<(Node, Node)>,
        key: Key,
        /// Entries brought by `<<` keys, each in priority order.
        merges: Vec<Vec<(Node, Node)>>,
    },
}

/// What a mapping waits for.
enum Key {
    /// Its next key.
    Next,
    /// The value of this key.
    Value(Node),
    /// The value of a `<<` merge key.
    Merge,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// The document's root and its size.
    root: Option<(Node, usize)>,
    documents: usize,
    /// Anchored nodes by the parser's anchor id, with their sizes.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes added by aliases so far.
    repeated: usize,
    /// Where the aliases are (byte offsets), for the positions of what merge keys bring.
    aliases: HashSet<usize>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), YamlError> {
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(YamlError::at(
                        span,
                        "the file holds more than one YAML document".to_owned(),
                        "keep one document: remove the second `---` and what follows it",
                    ));
                }
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                let merge_key = style == ScalarStyle::Plain
                    && tag.is_none()
                    && text == "<<"
                    && matches!(self.stack.last(), Some(Open::Map { key: Key::Next, .. }));
                if merge_key {
                    if let Some(Open::Map { key, .. }) = self.stack.last_mut() {
                        *key = Key::Merge;
                    }
                    return Ok(());
                }
                let value = scalar(&text, style, tag.as_deref(), span)?;
                let node = Node {
                    value,
                    pos: pos(span),
                };
                self.anchor(anchor, &node, 1);
                self.push(node, 1)
            }
            Event::SequenceStart(_, anchor, _) => {
                self.stack.push(Open::Seq {
                    pos: pos(span),
                    anchor,
                    size: 1,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => {
                self.stack.push(Open::Map {
                    pos: pos(span),
                    anchor,
                    size: 1,
                    entries: Vec::new(),
                    key: Key::Next,
                    merges: Vec::new(),
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor, size) = match self.stack.pop() {
                    Some(Open::Seq {
                        pos,
                        anchor,
                        size,
                        items,
                    }) => (
                        Node {
                            value: Value::Seq(items),
                            pos,
                        },
                        anchor,
                        size,
                    ),
                    Some(Open::Map {
                        pos,
                        anchor,
                        size,
                        entries,
                        merges,
                        ..
                    }) => (
                        Node {
                            value: Value::Map(merged(entries, merges)),
                            pos,
                        },
                        anchor,
                        size,
                    ),
                    // The parser balances starts and ends; nothing to close is nothing to do.
                    None => return Ok(()),
                };
                self.anchor(anchor, &node, size);
                self.push(node, size)
            }
            Event::Alias(id) => {
                let Some((anchored, size)) = self.anchors.get(&id) else {
                    return Err(YamlError::at(
                        span,
                        "this alias names a mapping or list that contains it".to_owned(),
                        "an alias can only repeat a node that is complete before it",
                    ));
                };
                let size = *size;
                self.repeated = self.repeated.saturating_add(size);
                if self.repeated > MAX_REPEATED_NODES {
                    return Err(YamlError::at(
                        span,
                        format!("aliases repeat more than {MAX_REPEATED_NODES} nodes"),
                        "write the repeated parts out, or repeat fewer and smaller anchors",
                    ));
                }
                // serde-saphyr places a repeated node, and all it holds, at the alias.
                let node = placed(anchored.clone(), pos(span));
                self.aliases.insert(node.pos.offset);
                self.push(node, size)
            }
            // Stream and document ends carry nothing; comments, anchor metadata and unresolved
            // aliases are not asked for.
            _ => Ok(()),
        }
    }

    fn anchor(&mut self, anchor: usize, node: &Node, size: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
    }

    /// Adds a finished node (of `size` nodes) to the innermost open one, or makes it the root.
    fn push(&mut self, node: Node, size: usize) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => self.root = Some((node, size)),
            Some(Open::Seq {
                size: total, items, ..
            }) => {
                *total = total.saturating_add(size);
                items.push(node);
            }
            Some(Open::Map {
                size: total,
                entries,
                key,
                merges,
                ..
            }) => {
                *total = total.saturating_add(size);
                match std::mem::replace(key, Key::Next) {
                    Key::Next => *key = Key::Value(node),
                    Key::Value(name) => entries.push((name, node)),
                    Key::Merge => merges.push(merge_sources(node, &self.aliases)?),
                }
            }
        }
        Ok(())
    }
}

/// The node with its own position, and that of everything it holds, set to `pos`.
fn placed(node: Node, pos: Pos) -> Node {
    let value = match node.value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(|item| placed(item, pos)).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (placed(key, pos), placed(value, pos)))
                .collect(),
        ),
        scalar => scalar,
    };
    Node { value, pos }
}

/// Like [`placed`], except that what an alias repeated stays at the alias.
fn placed_outside_aliases(node: Node, pos: Pos, aliases: &HashSet<usize>) -> Node {
    if aliases.contains(&node.pos.offset) {
        return node;
    }
    let place = |node| placed_outside_aliases(node, pos, aliases);
    let value = match node.value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(place).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (place(key), place(value)))
                .collect(),
        ),
        scalar => scalar,
    };
    Node { value, pos }
}

/// The entries a `<<` value brings, in priority order: a mapping brings its entries, a list
/// what its items bring, null nothing.
///
/// They are placed where serde-saphyr places them: at the mapping that brings them when it is
/// the value or an item of its list; deeper in nested lists, at the item of the first list
/// they are in; what an alias repeated stays at the alias (`aliases` holds where they are).
fn merge_sources(value: Node, aliases: &HashSet<usize>) -> Result<Vec<(Node, Node)>, YamlError> {
    fn collect(
        value: Node,
        at: Pos,
        aliases: &HashSet<usize>,
        all: &mut Vec<(Node, Node)>,
    ) -> Result<(), YamlError> {
        let at = if aliases.contains(&value.pos.offset) {
            value.pos
        } else {
            at
        };
        match value.value {
            Value::Null => Ok(()),
            Value::Map(entries) => {
                let place = |node| placed_outside_aliases(node, at, aliases);
                all.extend(
                    entries
                        .into_iter()
                        .map(|(key, value)| (place(key), place(value))),
                );
                Ok(())
            }
            Value::Seq(items) => items
                .into_iter()
                .try_for_each(|item| collect(item, at, aliases, all)),
            _ => Err(YamlError {
                pos: value.pos,
                reason: "a merge key `<<` takes a mapping or a list of mappings".to_owned(),
                help: "merge a mapping (`<<: *defaults`), or quote the key (`'<<'`) to use it \
                       as a name",
            }),
        }
    }
    let mut all = Vec::new();
    match value.value {
        Value::Seq(items) => {
            for item in items {
                let at = item.pos;
                collect(item, at, aliases, &mut all)?;
            }
        }
        _ => {
            let at = value.pos;
            collect(value, at, aliases, &mut all)?;
        }
    }
    Ok(all)
}

/// A mapping's own entries, then the merged ones (as serde-saphyr orders them); a merged
/// key the mapping has, or an earlier merge brought, is left out.
fn merged(mut entries: Vec<(Node, Node)>, merges: Vec<Vec<(Node, Node)>>) -> Vec<(Node, Node)> {
    for (key, value) in merges.into_iter().flatten() {
        if !entries.iter().any(|(taken, _)| taken.value == key.value) {
            entries.push((key, value));
        }
    }
    entries
}

/// The value of a scalar, by its style and tag.
fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: &Span,
) -> Result<Value, YamlError> {
    let plain = style == ScalarStyle::Plain;
    let Some(tag) = tag else {
        return Ok(if plain {
            resolve(text)
        } else {
            Value::Str(text.to_owned())
        });
    };
    let wanted = match tag.core_suffix() {
        Some("str") => return Ok(Value::Str(text.to_owned())),
        Some("null") => return Ok(Value::Null),
        Some(wanted @ ("bool" | "int" | "float")) => wanted,
        // The non-specific tag `!` asks for a string.
        None if tag.handle().is_empty() && tag.suffix() == "!" => {
            return Ok(Value::Str(text.to_owned()));
        }
        _ => {
            return Ok(if plain {
                resolve(text)
            } else {
                Value::Str(text.to_owned())
            });
        }
    };
    let value = match wanted {
        "bool" => yaml11_bool(text).map(Value::Bool),
        "int" => integer(text).map(Value::Int),
        _ => float(text)
            .map(Value::Float)
            // `!!float 1` is the float one.
            .or_else(|| {
                integer(text)
                    .and_then(|n| i64::try_from(n).ok())
                    .map(|n| Value::Float(n as f64))
            }),
    };
    value.ok_or_else(|| {
        YamlError::at(
            span,
            format!("`{text}` is not a YAML `!!{wanted}`"),
            "correct the value, or remove the tag",
        )
    })
}

/// The value of an untagged plain scalar.
fn resolve(text: &str) -> Value {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = yaml11_bool(text) {
        return Value::Bool(b);
    }
    // Only these can start a number (the float parser's `inf` and `nan` are strings).
    if text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        if let Some(n) = integer(text) {
            return Value::Int(n);
        }
        if let Some(x) = float(text) {
            return Value::Float(x);
        }
    }
    Value::Str(text.to_owned())
}

/// YAML 1.1 booleans, in any letter case.
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

/// An integer: an optional sign, then decimal digits without a leading zero, or `0x`, `0o`,
/// `0b` digits; single underscores may separate digits. It must fit 64 bits (signed when
/// negative); `007` and larger numbers are left to [`float`].
fn integer(text: &str) -> Option<i128> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let prefixed = |prefix: &str| {
        unsigned
            .get(..2)
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .map(|_| &unsigned[2..])
    };
    let (radix, digits) = if let Some(digits) = prefixed("0x") {
        (16, digits)
    } else if let Some(digits) = prefixed("0o") {
        (8, digits)
    } else if let Some(digits) = prefixed("0b") {
        (2, digits)
    } else if unsigned.len() > 1 && unsigned.starts_with('0') {
        return None;
    } else {
        (10, unsigned)
    };
    let bytes = digits.as_bytes();
    let mut magnitude: u128 = 0;
    let mut seen = false;
    for (at, byte) in bytes.iter().enumerate() {
        if *byte == b'_' {
            let between =
                at > 0 && bytes[at - 1] != b'_' && bytes.get(at + 1).is_some_and(|b| *b != b'_');
            if !between {
                return None;
            }
            continue;
        }
        let digit = char::from(*byte).to_digit(radix)?;
        magnitude = magnitude
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(digit))?;
        seen = true;
    }
    if !seen {
        return None;
    }
    let value = i128::try_from(magnitude).ok()?;
    if negative {
        (-value >= i128::from(i64::MIN)).then_some(-value)
    } else {
        (value <= i128::from(u64::MAX)).then_some(value)
    }
}

/// A float: `.inf`, `.nan` (with their capitalised spellings and a sign), or a decimal
/// number Rust reads, which may be too large to be finite (`1e999`).
fn float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if text.starts_with('-') => return Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    let value: f64 = text.parse().ok()?;
    // Rust also reads `inf`, `infinity` and `nan`: in YAML those are strings.
    (value.is_finite() || unsigned.starts_with(|c: char| c.is_ascii_digit())).then_some(value)
}

/// The position of a node with this span: its byte range (when the ends fit in 32 bits, as
/// serde-saphyr's spans do), line, and column from 1.
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

    /// serde-saphyr's own reading of a text into an untyped value with positions (its typed
    /// path, through `Spanned`): the reference the reader is compared with.
    mod reference {
        use std::fmt;

        use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

        use crate::node::{Node, Pos, Value};

        pub fn parse(text: &str) -> Result<Node, serde_saphyr::Error> {
            let options = serde_saphyr::options! {
                duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
            };
            let root: Option<Spanned> = serde_saphyr::from_str_with_options(text, options)?;
            Ok(root.map_or(
                Node {
                    value: Value::Null,
                    pos: Pos::START,
                },
                |root| root.0,
            ))
        }

        struct Spanned(Node);

        impl<'de> Deserialize<'de> for Spanned {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Spanned, D::Error> {
                let spanned = serde_saphyr::Spanned::<Untyped>::deserialize(deserializer)?;
                let location = spanned.referenced;
                let span = location.span();
                Ok(Spanned(Node {
                    value: spanned.value.0,
                    pos: Pos {
                        offset: usize::try_from(span.byte_offset().unwrap_or(0)).unwrap_or(0),
                        len: usize::try_from(span.byte_len().unwrap_or(0)).unwrap_or(0),
                        line: u32::try_from(location.line()).unwrap_or(u32::MAX),
                        column: u32::try_from(location.column()).unwrap_or(u32::MAX),
                    },
                }))
            }
        }

        struct Untyped(Value);

        impl<'de> Deserialize<'de> for Untyped {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Untyped, D::Error> {
                deserializer.deserialize_any(UntypedVisitor).map(Untyped)
            }
        }

        struct UntypedVisitor;

        impl<'de> Visitor<'de> for UntypedVisitor {
            type Value = Value;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }

            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Untyped::deserialize(d).map(|u| u.0)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned>()? {
                    items.push(item.0);
                }
                Ok(Value::Seq(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned>()? {
                    let value = map.next_value::<Spanned>()?;
                    entries.push((key.0, value.0));
                }
                Ok(Value::Map(entries))
            }
        }
    }

    /// Where serde-saphyr reads a text, the reader reads the same tree, positions included;
    /// the reader refuses only what serde-saphyr refuses. Returns whether serde-saphyr read it.
    fn same_as_serde(text: &str) -> Result<bool, TestCaseError> {
        let ours = parse(text);
        match reference::parse(text) {
            Ok(reference) => {
                prop_assert_eq!(ours.ok(), Some(reference), "{:?}", text);
                Ok(true)
            }
            // serde-saphyr refuses non-finite floats, which the reader keeps as numbers.
            Err(_) => Ok(false),
        }
    }

    fn value(text: &str) -> Value {
        let root = parse(&format!("key: {text}\n")).unwrap();
        let Value::Map(mut entries) = root.value else {
            panic!("{root:?}")
        };
        entries.remove(0).1.value
    }

    #[test]
    fn a_manifest_reads_as_serde_reads_it() {
        let text = "version: 1\nclusters:\n  prod:\n    id: /subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/prod # the leader\n    location: westeurope\nattachments:\n  - name: a\n    follower: emea\n    leader: prod\n    databaseName: \"*\"\n    tableLevelSharing: { tablesToInclude: [Orders, 'Logs*'] }\n    followerDatabase:\n      hotCachePeriod: 7d\n      softDeletePeriod: -1d\n      prefetchExtents: no\n      note: |\n        two\n        lines\n    protect: true\n    name: again\n";
        assert!(same_as_serde(text).unwrap());
    }

    #[test]
    fn plain_scalars_resolve_as_serde_resolves_them() {
        #[rustfmt::skip]
        let spellings = [
            "1", "0", "007", "-1", "+1", "-0", "1_000", "1__0", "1_", "0x1F", "0o17", "0b101",
            "1.5", ".5", "1.", "1e3", "1E+3", "-1d", "7d", "30d", "100ms", "12:30", "2001-12-14",
            "yes", "No", "on", "OFF", "y", "N", "true", "False", "TRUE", "tRuE", "null", "Null",
            "~", "NULL", "nULL", "inf", "nan", "Infinity", "-", "+", ".", "0x", "-0x1F", "+0b1",
            "18446744073709551615", "18446744073709551616", "9999999999999999999",
            "-9223372036854775808", "-9223372036854775809", "timespan(1.12:00:00)",
            "aadgroup=a@b.c", "é", "1 2", "a b", "'<<'", "''", "\"\"", "'1'", "\"\\t\"", "---x",
            "...x", "[1, b]", "{a: 1}", "&x 1", "!!str 1", "!!int '2'", "!!float 1", "!!bool on",
            "!!null x", "! 3", "!custom x", "!!str", "|\n  block\n",
        ];
        for spelling in spellings {
            for text in [
                format!("key: {spelling}\n"),
                format!("- {spelling}\n"),
                format!("{spelling}: key\n"),
                format!("[{spelling}]\n"),
            ] {
                same_as_serde(&text).unwrap();
            }
            // Each comparison is a real one: serde-saphyr reads every spelling but one.
            let text = format!("key: {spelling}\n");
            assert_eq!(same_as_serde(&text).unwrap(), spelling != "-", "{spelling}");
        }
        assert!(parse("key: -\n").is_err());
        assert_eq!(value("007"), Value::Float(7.0));
        assert_eq!(value("1_000"), Value::Int(1000));
        assert_eq!(value("-0x1F"), Value::Int(-31));
        assert_eq!(
            value("18446744073709551616"),
            Value::Float(18_446_744_073_709_551_616.0)
        );
        assert_eq!(value("7d"), Value::Str("7d".into()));
        assert_eq!(value("off"), Value::Bool(false));
        assert_eq!(value("'1'"), Value::Str("1".into()));
        assert_eq!(value("!!str 1"), Value::Str("1".into()));
    }

    #[test]
    fn non_finite_floats_are_numbers() {
        // serde-saphyr refuses them; a number is the wrong type for every manifest key anyway.
        assert_eq!(value(".inf"), Value::Float(f64::INFINITY));
        assert_eq!(value("-.Inf"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(value("1e999"), Value::Float(f64::INFINITY));
        assert!(matches!(value(".nan"), Value::Float(x) if x.is_nan()));
    }

    #[test]
    fn aliases_merge_keys_and_tags_read_as_serde_reads_them() {
        for text in [
            "a: &x {b: 1, c: [2, 3]}\nd: *x\n",
            "a: &x 1\nb: *x\nc: [*x, *x]\n",
            "? &k key\n: 1\n*k : 2\n",
            "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n",
            "base: &b\n  x: 1\n  y: 2\nc:\n  y: 3\n  <<: *b\n  z: 4\n",
            "a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc:\n  <<: [*a, *b]\n  w: 4\n",
            "c:\n  <<: {x: 1}\n  '<<': 2\n",
            "a: &a {x: 1}\nc:\n  <<: [[*a, {y: 2}], ~, []]\n  <<: null\n",
            "a: &a {x: 1}\nc:\n  <<: [[[{z: 3}, *a]], {y: 2}]\n",
            "a: &a {p: 1}\nc:\n  <<: {x: *a}\n",
            "a: !!str 1\nb: !!int '2'\nc: ! 3\nd: !!null x\ne: !local 4\n",
            "--- # a first line\na: 1\n...\n",
            "---\n",
            "~\n",
            "just a scalar\n",
            "[a, b]\n",
        ] {
            assert!(same_as_serde(text).unwrap(), "{text}");
        }
    }

    #[test]
    fn a_repeated_node_sits_where_the_alias_is() {
        let root = parse("a: &x {b: [1]}\nc: *x\n").unwrap();
        let Value::Map(entries) = &root.value else {
            panic!("{root:?}")
        };
        let alias = &entries[1].1;
        let Value::Map(inner) = &alias.value else {
            panic!("{alias:?}")
        };
        let Value::Seq(items) = &inner[0].1.value else {
            panic!("{inner:?}")
        };
        for node in [alias, &inner[0].0, &items[0]] {
            assert_eq!((node.pos.line, node.pos.column), (2, 4), "{node:?}");
        }
    }

    /// The reader's error for `text`: where (line, column) and why.
    fn refused(text: &str) -> (u32, u32, String) {
        assert!(
            reference::parse(text).is_err(),
            "serde-saphyr reads {text:?}"
        );
        let error = parse(text).unwrap_err();
        (error.pos.line, error.pos.column, error.reason)
    }

    #[test]
    fn what_is_not_a_manifest_is_refused_where_it_is() {
        assert_eq!(
            refused("a: 1\n---\nb: 2\n"),
            (2, 1, "the file holds more than one YAML document".into())
        );
        assert_eq!(
            refused("a: &x [1, *x]\n"),
            (
                1,
                11,
                "this alias names a mapping or list that contains it".into()
            )
        );
        assert_eq!(
            refused("c:\n  <<: 1\n"),
            (
                2,
                7,
                "a merge key `<<` takes a mapping or a list of mappings".into()
            )
        );
        assert_eq!(
            refused("a: !!int x1\n"),
            (1, 10, "`x1` is not a YAML `!!int`".into())
        );
        let (line, column, reason) = refused("a: *nowhere\n");
        assert_eq!((line, column), (1, 4));
        assert!(reason.contains("at line 1, column 4"), "{reason}");
        let (line, column, _) = refused("a: [1\n");
        assert_eq!((line, column), (1, 4));
    }

    #[test]
    fn nested_aliases_stop_before_they_explode() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            let list = [previous.as_str(); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{list}]\n"));
        }
        let error = parse(&text).unwrap_err();
        assert_eq!(
            error.reason,
            format!("aliases repeat more than {MAX_REPEATED_NODES} nodes")
        );
    }

    #[rustfmt::skip]
    const SCALARS: &[&str] = &[
        "name", "a", "Sales", "1", "0", "012", "-1d", "7d", "1.5", "1e3", "yes", "n", "true",
        "null", "~", "''", "'x y'", "\"q\\n\"", "é", "0x10", "1_000", "a # note", "-0", "+1",
        "18446744073709551616", "1:2", "Null", "OFF", "/x/y", "timespan(1.12:00:00)", "",
    ];
    /// Keys of distinct values (`~` and `null` are one key to the reader, two to serde-saphyr,
    /// which tells merged keys apart by spelling).
    #[rustfmt::skip]
    const KEYS: &[&str] = &[
        "name", "a", "Sales", "1", "0", "012", "-1d", "7d", "1.5", "1e3", "yes", "n", "null",
        "''", "'x y'", "\"q\\n\"", "é", "0x10", "1_000", "a # note", "-0", "+1",
        "18446744073709551616", "1:2", "/x/y", "timespan(1.12:00:00)",
    ];
    /// Scalars that make the document odd or invalid.
    const ODD: &[&str] = &[
        "<<", "&a x", "*a", "!!str 3", ".inf", "-", "@x", "[]", "{}", "? x", "!!int x",
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
        let key = || {
            prop_oneof![
                20 => prop::sample::select(KEYS),
                1 => prop::sample::select(ODD),
            ]
        };
        let leaf = prop_oneof![
            scalar().prop_map(Tree::Scalar),
            prop::collection::vec(scalar(), 0..3).prop_map(Tree::Flow),
        ];
        let tree = leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec((key(), inner.clone()), 0..5).prop_map(Tree::Map),
                prop::collection::vec(inner, 0..5).prop_map(Tree::Seq),
            ]
        });
        prop::collection::vec((key(), tree), 1..5).prop_map(|entries| {
            let mut out = String::new();
            render(&Tree::Map(entries), 0, &mut out);
            out.trim_start().to_owned()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn the_reader_agrees_with_serde(text in yaml_like()) {
            same_as_serde(&text)?;
        }
    }
}
