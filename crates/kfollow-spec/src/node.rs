//! A YAML document as a tree of nodes that remember where they are.
//!
//! [`Node`] keeps every scalar, sequence and mapping with its position, and keeps repeated
//! mapping keys so the checker can report each one instead of stopping at the first. The
//! reader that builds the tree is `events.rs`. Nothing here knows the manifest: the typed
//! reading is in `read.rs`.

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
    /// The start of the text, where a document without content is.
    pub(crate) const START: Pos = Pos {
        offset: 0,
        len: 0,
        line: 1,
        column: 1,
    };
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

/// Parses a YAML document into a [`Node`] tree (see `events.rs` for how scalars, aliases
/// and merge keys read), or says why it is not YAML a manifest can be.
pub(crate) fn parse(text: &str) -> Result<Node, crate::events::YamlError> {
    crate::events::parse(text)
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
