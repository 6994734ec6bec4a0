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
mod names;
mod node;
mod read;
mod rollback;
mod schema;
mod settings;
mod source;
mod suggest;

use kfollow_model::Desired;

pub use diagnostic::{Diagnostic, Diagnostics, SHOWN_DIAGNOSTICS, Shown};
pub use export::{Exported, export};
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

/// The largest manifest kfollow reads, in bytes (64 MiB). A reader needs at most one byte
/// more to tell that a file is larger ([`load_bytes`] refuses it).
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024 * 1024;

/// Parses and validates a manifest's bytes, as read from the file: refuses more than
/// [`MAX_MANIFEST_BYTES`] and bytes that are not UTF-8 (naming the offset of the first bad
/// one), then does what [`load`] does.
///
/// # Errors
///
/// [`Diagnostics`], as [`load`], or with the one error that the file is too large or not
/// UTF-8.
pub fn load_bytes(source_name: &str, bytes: &[u8]) -> Result<Validated, Diagnostics> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        let mut sink = diagnostic::Sink::new(source_name, "");
        sink.error(
            "kfollow::too-large",
            node::Pos::START,
            format!(
                "the manifest `{source_name}` is larger than {} MiB",
                MAX_MANIFEST_BYTES / (1024 * 1024)
            ),
            "",
        )
        .without_snippet()
        .help(
            "kfollow reads manifests of up to 64 MiB; split a larger estate into several manifests",
        );
        return Err(finish_errors(source_name, sink));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => load(source_name, text),
        Err(error) => {
            // The text up to the bad byte is the file's; the bad byte shows as U+FFFD.
            let text = String::from_utf8_lossy(bytes);
            let offset = error.valid_up_to();
            let mut sink = diagnostic::Sink::new(source_name, &text);
            let pos = pos_at(&text, offset, '\u{fffd}'.len_utf8());
            sink.error(
                "kfollow::not-utf8",
                pos,
                format!(
                    "the manifest is not UTF-8: the byte 0x{:02X} at offset {offset} (line {}, column {})",
                    bytes[offset], pos.line, pos.column
                ),
                "not UTF-8",
            )
            .help("save the manifest as UTF-8");
            Err(finish_errors(source_name, sink))
        }
    }
}

/// The line `kfollow validate` prints for a valid manifest named `name`:
/// `kfollow.yaml is valid: 5 clusters, 4 attachments (2 follower databases with settings).`
pub fn summary(name: &str, desired: &Desired) -> String {
    let settings: usize = desired
        .attachments
        .iter()
        .map(|a| a.follower_databases.len())
        .sum();
    format!(
        "{name} is valid: {}, {} ({} with settings).",
        plural(desired.clusters.len(), "cluster", "clusters"),
        plural(desired.attachments.len(), "attachment", "attachments"),
        plural(settings, "follower database", "follower databases"),
    )
}

/// `1 cluster`, `2 clusters`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
    if let Some(offset) = text.find('\0') {
        // YAML cannot hold NUL; a file with one is often UTF-16 or binary.
        let pos = pos_at(text, offset, 1);
        sink.error(
            "kfollow::nul-byte",
            pos,
            format!(
                "the manifest holds a NUL byte at offset {offset} (line {}, column {})",
                pos.line, pos.column
            ),
            "NUL byte",
        )
        .help("YAML cannot hold NUL bytes; remove them (a file saved as UTF-16 is full of them: save it as UTF-8)");
        return Err(finish_errors(source_name, sink));
    }
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

/// The position of the byte at `offset`, `len` bytes long: line and character column from 1.
fn pos_at(text: &str, offset: usize, len: usize) -> node::Pos {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    node::Pos {
        offset,
        len,
        line: count(before.matches('\n').count() + 1),
        column: count(before[line_start..].chars().count() + 1),
    }
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
