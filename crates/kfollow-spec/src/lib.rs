//! The kfollow manifest (docs/manifest.md): YAML text in, a validated [`Desired`] out, or every
//! error of the file as `miette` diagnostics that point at the exact YAML node.
//!
//! Reading happens in three steps, each reporting what it finds and carrying on so that one
//! error does not hide the next: the YAML is read from the events of serde-saphyr's parser
//! into a tree of nodes that remember their position (`node`, `events`); the tree is read
//! field by field into the typed manifest of [`manifest`] (unknown and repeated keys, wrong
//! types, enum values, timespans, principals); then the offline rules of the service run over the typed manifest (aliases,
//! names, `"*"`, sharing limits, regions, collisions, chained following). The JSON Schema of
//! `kfollow schema` is derived from the same typed manifest ([`manifest_schema`]).
//!
//! Writing goes the other way: [`export`] turns the live state of follower clusters into a
//! manifest's text, which [`load`] reads back as the same topology (`kfollow export`), and
//! [`rollback`] writes the manifest that undoes an apply (`kfollow apply --rollback-manifest`).
//!
//! This crate does no I/O and knows nothing of live state: rules that need Azure (does the
//! leader database exist, is the cluster running) belong to `kfollow-diff`.
//!
//! Start at [`load`]; the diagnostics are [`Diagnostic`] and [`Diagnostics`].

#![cfg_attr(test, allow(clippy::unwrap_used))] // tests may unwrap

mod across;
mod check;
mod diagnostic;
mod emit;
mod events;
mod export;
pub mod manifest;
mod node;
mod read;
mod rollback;
mod schema;
mod settings;
mod suggest;

use kfollow_model::Desired;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use export::{Exported, export, leaders_of};
pub use manifest::Manifest;
pub use miette::Severity;
pub use rollback::{rollback, rollback_clusters};
pub use schema::{manifest_schema, manifest_schema_text};

/// A manifest that passed every offline rule.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The wanted topology.
    pub desired: Desired,
    /// Findings that do not make the manifest invalid.
    pub warnings: Vec<Diagnostic>,
}

/// Parses and validates a manifest. `source_name` is how messages name the file
/// (`kfollow.yaml:12:5`); `text` is its content.
///
/// # Errors
///
/// [`Diagnostics`] with every error of the file (and the warnings found beside them), when
/// the YAML does not parse or any rule fails.
pub fn load(source_name: &str, text: &str) -> Result<Validated, Diagnostics> {
    let mut sink = diagnostic::Sink::new(source_name, text);
    let root = match node::parse(text) {
        Ok(root) => root,
        Err(error) => {
            syntax_error(&mut sink, text, &error);
            return Err(finish_errors(source_name, sink));
        }
    };
    let manifest = read::manifest(&mut sink, &root);
    drop(root); // the typed manifest owns what the rules need: free the tree before them
    let desired = check::desired(&mut sink, source_name, &manifest);
    if sink.has_errors() {
        return Err(finish_errors(source_name, sink));
    }
    let mut warnings = sink.found;
    warnings.sort_by_key(|d| (d.pos.offset, d.code));
    Ok(Validated { desired, warnings })
}

fn finish_errors(source_name: &str, sink: diagnostic::Sink) -> Diagnostics {
    let (mut errors, mut warnings): (Vec<_>, Vec<_>) =
        sink.found.into_iter().partition(Diagnostic::is_error);
    errors.sort_by_key(|d| (d.pos.offset, d.code));
    warnings.sort_by_key(|d| (d.pos.offset, d.code));
    Diagnostics {
        source_name: source_name.to_owned(),
        errors,
        warnings,
    }
}

/// Reports why the text is not YAML a manifest can be (the reader stops at the first one).
fn syntax_error(sink: &mut diagnostic::Sink, text: &str, error: &events::YamlError) {
    let mut pos = error.pos;
    if pos.offset == 0 && pos.len == 0 {
        // The parser gives a line and a (character) column only.
        pos.offset = offset_of(text, pos.line, pos.column);
    }
    sink.error(
        "kfollow::yaml",
        pos,
        format!("the manifest is not valid YAML: {}", error.reason),
        "here",
    )
    .help(error.help);
}

/// The byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            let in_line: usize = content
                .chars()
                .take(column.saturating_sub(1) as usize)
                .map(char::len_utf8)
                .sum();
            return offset + in_line;
        }
        offset += content.len();
    }
    text.len()
}
