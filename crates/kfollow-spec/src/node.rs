//! A YAML document as a tree of nodes that remember where they are.
//!
//! serde-saphyr parses the text; [`Node`] keeps every scalar, sequence and mapping with its
//! position, and keeps repeated mapping keys (the parser is told to pass them through) so the
//! checker can report each one instead of stopping at the first. Nothing here knows the
//! manifest: the typed reading is in `read.rs`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Where a node is in the source: byte range for labels, line and column for messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    /// Byte offset of the node's first character.
    pub offset: usize,
    /// Length of the node in bytes (0 when the parser does not know it).
    pub len: usize,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
}

impl Pos {
    pub(crate) fn of(location: serde_saphyr::Location) -> Pos {
        let span = location.span();
        Pos {
            offset: usize::try_from(span.byte_offset().unwrap_or(0)).unwrap_or(0),
            len: usize::try_from(span.byte_len().unwrap_or(0)).unwrap_or(0),
            line: u32::try_from(location.line()).unwrap_or(u32::MAX),
            column: u32::try_from(location.column()).unwrap_or(u32::MAX),
        }
    }
}

/// One YAML node and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Value,
    /// Where it is.
    pub pos: Pos,
}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A string, quoted or not.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order, repeated keys included.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// The YAML type, for "expected X, found Y" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses a YAML document into a [`Node`] tree, or returns the parser's error.
///
/// The tree is built from the parser's events when that is sure to give what serde-saphyr
/// gives (`events.rs`), and by serde-saphyr otherwise (syntax errors included).
pub fn parse(text: &str) -> Result<Node, serde_saphyr::Error> {
    match crate::events::parse(text) {
        Some(root) => Ok(root),
        None => parse_with_serde(text),
    }
}

/// Parses a YAML document through serde-saphyr's typed path: the reference for [`parse`].
pub(crate) fn parse_with_serde(text: &str) -> Result<Node, serde_saphyr::Error> {
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    let root: Option<Node> = serde_saphyr::from_str_with_options(text, options)?;
    Ok(root.unwrap_or(Node {
        value: Value::Null,
        pos: Pos {
            offset: 0,
            len: 0,
            line: 1,
            column: 1,
        },
    }))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            pos: Pos::of(spanned.referenced),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
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

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_repeated_keys() {
        let text = "a: 1\nb:\n  - x\n  - \"y\"\na: true\n";
        let root = parse(text).unwrap();
        let Value::Map(entries) = &root.value else {
            panic!("{root:?}")
        };
        assert_eq!(entries.len(), 3);
        let (key, value) = &entries[0];
        assert_eq!(key.value, Value::Str("a".into()));
        assert_eq!((key.pos.line, key.pos.column), (1, 1));
        assert_eq!(value.value, Value::Int(1));
        assert_eq!((value.pos.line, value.pos.column), (1, 4));
        let Value::Seq(items) = &entries[1].1.value else {
            panic!()
        };
        assert_eq!(items[1].value, Value::Str("y".into()));
        assert_eq!((items[1].pos.line, items[1].pos.column), (4, 5));
        assert_eq!(&text[items[1].pos.offset..][..items[1].pos.len], "\"y\"");
        assert_eq!(entries[2].1.value, Value::Bool(true));
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap().value, Value::Null);
    }
}
