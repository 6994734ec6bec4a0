//! Errors and warnings about a manifest, as `miette` diagnostics that point at a YAML node.

use std::fmt;
use std::sync::Arc;

use kfollow_model::SourceLocation;
use miette::{LabeledSpan, NamedSource, Severity, SourceCode};

use crate::node::Pos;
use crate::source::ShownSource;

/// How many diagnostics a run prints; the others are counted, not shown. Rendering one
/// costs the lines it shows, printing ten thousand buries the first.
pub const SHOWN_DIAGNOSTICS: usize = 200;

/// One finding about the manifest: what is wrong, where, and what to do.
///
/// Rendered by `miette` as `FILE:LINE:COLUMN` with a label under the offending key or value.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Error (the manifest is invalid) or warning (it is valid, but probably not what was meant).
    pub severity: Severity,
    /// A stable code, e.g. `kfollow::unknown-key`.
    pub code: &'static str,
    /// The message: lower-case start, no trailing period.
    pub message: String,
    /// The text under the node.
    pub label: String,
    /// Where the node is.
    pub pos: Pos,
    /// What to do about it.
    pub help: Option<String>,
    /// Other nodes worth showing (e.g. the first of two duplicates), with their labels.
    pub related: Vec<(String, Pos)>,
    /// False for a finding about the file as a whole (its size), shown without a snippet.
    snippet: bool,
    source: Arc<NamedSource<ShownSource>>,
}

impl Diagnostic {
    /// `FILE:LINE:COLUMN` of the node.
    pub fn locate(&self) -> String {
        format!(
            "{}:{}:{}",
            self.source.name(),
            self.pos.line,
            self.pos.column
        )
    }

    /// Line and column of the node.
    pub fn location(&self) -> SourceLocation {
        SourceLocation {
            line: self.pos.line,
            column: self.pos.column,
        }
    }

    /// True for an error, false for a warning or advice.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet
            .then_some(self.source.as_ref() as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.snippet {
            return None;
        }
        // Positions are the file's; the snippet shows the text as `ShownSource` does.
        let shown = self.source.inner();
        let primary = LabeledSpan::new_primary_with_span(
            Some(self.label.clone()),
            shown.span_to_shown(self.pos.offset, self.pos.len),
        );
        let others = self.related.iter().map(|(label, pos)| {
            LabeledSpan::new_with_span(
                Some(label.clone()),
                shown.span_to_shown(pos.offset, pos.len),
            )
        });
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}

/// Every error found in a manifest (and the warnings beside them), in document order.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// The manifest's name, as the user gave it.
    pub source_name: String,
    /// The errors, then nothing else: at least one.
    pub errors: Vec<Diagnostic>,
    /// Warnings found on the way.
    pub warnings: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Errors and warnings together, in document order.
    pub fn all(&self) -> Vec<&Diagnostic> {
        let mut all: Vec<&Diagnostic> = self.errors.iter().chain(&self.warnings).collect();
        all.sort_by_key(|d| (d.pos.offset, d.code));
        all
    }

    /// The first [`SHOWN_DIAGNOSTICS`] of [`Diagnostics::all`], and how many are left out.
    pub fn shown(&self) -> Shown<'_> {
        Shown::first(self.all())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        write!(
            f,
            "`{}` is invalid: {count} error{}",
            self.source_name,
            if count == 1 { "" } else { "s" }
        )?;
        if self.errors.len() + self.warnings.len() > SHOWN_DIAGNOSTICS {
            write!(f, " (the first {SHOWN_DIAGNOSTICS} are shown)")?;
        }
        Ok(())
    }
}

/// The diagnostics a run prints, and the count of those it leaves out.
#[derive(Debug, Clone)]
pub struct Shown<'d> {
    /// At most [`SHOWN_DIAGNOSTICS`], in the order given.
    pub diagnostics: Vec<&'d Diagnostic>,
    /// Errors left out.
    pub hidden_errors: usize,
    /// Warnings left out.
    pub hidden_warnings: usize,
}

impl<'d> Shown<'d> {
    /// The first [`SHOWN_DIAGNOSTICS`] of `all`.
    pub fn first(all: impl IntoIterator<Item = &'d Diagnostic>) -> Shown<'d> {
        let mut shown = Shown {
            diagnostics: Vec::new(),
            hidden_errors: 0,
            hidden_warnings: 0,
        };
        for diagnostic in all {
            if shown.diagnostics.len() < SHOWN_DIAGNOSTICS {
                shown.diagnostics.push(diagnostic);
            } else if diagnostic.is_error() {
                shown.hidden_errors += 1;
            } else {
                shown.hidden_warnings += 1;
            }
        }
        shown
    }

    /// `and 799 more errors not shown`, when some are left out.
    pub fn more(&self) -> Option<String> {
        let count = |n: usize, one: &str, many: &str| {
            (n > 0).then(|| format!("{n} more {}", if n == 1 { one } else { many }))
        };
        let parts: Vec<String> = [
            count(self.hidden_errors, "error", "errors"),
            count(self.hidden_warnings, "warning", "warnings"),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| format!("and {} not shown", parts.join(" and ")))
    }
}

impl std::error::Error for Diagnostics {}

impl miette::Diagnostic for Diagnostics {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("kfollow::invalid-manifest"))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.all().into_iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

/// Collects diagnostics for one manifest text.
#[derive(Debug)]
pub(crate) struct Sink<'a> {
    source_name: &'a str,
    text: &'a str,
    /// The text as diagnostics show it, made when the first one is found: a valid manifest
    /// never pays for it.
    source: Option<Arc<NamedSource<ShownSource>>>,
    pub(crate) found: Vec<Diagnostic>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(source_name: &'a str, text: &'a str) -> Sink<'a> {
        Sink {
            source_name,
            text,
            source: None,
            found: Vec::new(),
        }
    }

    /// Records an error and returns it for further details (help, related nodes).
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        pos: Pos,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(Severity::Error, code, pos, message.into(), label.into())
    }

    /// Records a warning and returns it for further details.
    pub(crate) fn warning(
        &mut self,
        code: &'static str,
        pos: Pos,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(Severity::Warning, code, pos, message.into(), label.into())
    }

    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        pos: Pos,
        message: String,
        label: String,
    ) -> &mut Diagnostic {
        self.found.push(Diagnostic {
            severity,
            code,
            message,
            label,
            pos,
            help: None,
            related: Vec::new(),
            snippet: true,
            source: Arc::clone(self.source.get_or_insert_with(|| {
                Arc::new(NamedSource::new(
                    self.source_name,
                    ShownSource::new(self.text),
                ))
            })),
        });
        let last = self.found.len() - 1;
        &mut self.found[last]
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.found.iter().any(Diagnostic::is_error)
    }
}

impl Diagnostic {
    /// Adds help text.
    pub(crate) fn help(&mut self, help: impl Into<String>) -> &mut Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Shows no snippet: the finding is about the file as a whole.
    pub(crate) fn without_snippet(&mut self) -> &mut Diagnostic {
        self.snippet = false;
        self
    }

    /// Adds another node to show.
    pub(crate) fn also(&mut self, label: impl Into<String>, pos: Pos) -> &mut Diagnostic {
        self.related.push((label.into(), pos));
        self
    }
}
