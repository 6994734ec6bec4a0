//! The manifest text as diagnostics show it: indexed by line, so that rendering one
//! diagnostic costs the lines it shows rather than a scan from the start of the file, and
//! made inert, so that no byte of the file reaches the terminal raw.
//!
//! What is shown differs from the file in two ways, both within a line (line numbers never
//! change): a control character other than tab becomes its Unicode control picture (`␀` for
//! NUL, `␛` for ESC), and a line longer than [`MAX_SHOWN_LINE`] bytes is cut, the rest shown
//! as `…`. Diagnostics keep the file's byte offsets; [`ShownSource::to_shown`] maps them.

use std::borrow::Cow;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// The longest line shown whole, in bytes: a longer one (a 1 MB name) is cut.
pub(crate) const MAX_SHOWN_LINE: usize = 240;

/// How many bytes of a cut line are kept before `…`.
const KEPT_OF_CUT_LINE: usize = 120;

/// A stretch of the file shown differently.
#[derive(Debug, Clone, Copy)]
struct Replacement {
    /// Where it starts in the file.
    start: usize,
    /// Where it ends in the file (exclusive).
    end: usize,
    /// Where it starts in the shown text.
    shown_start: usize,
    /// How long it is in the shown text.
    shown_len: usize,
}

/// The text diagnostics show, with the offsets of its line starts.
#[derive(Debug)]
pub(crate) struct ShownSource {
    shown: String,
    /// Byte offset of each line's first byte in `shown`; `[0]` is 0.
    line_starts: Vec<usize>,
    /// In file order.
    replacements: Vec<Replacement>,
}

impl ShownSource {
    pub(crate) fn new(text: &str) -> ShownSource {
        let mut shown = String::with_capacity(text.len());
        let mut replacements = Vec::new();
        let mut line_start = 0;
        for line in text.split_inclusive(['\n', '\r']) {
            let body = line.trim_end_matches(['\n', '\r']);
            let cut =
                (body.len() > MAX_SHOWN_LINE).then(|| floor_char_boundary(body, KEPT_OF_CUT_LINE));
            let kept = &body[..cut.unwrap_or(body.len())];
            let mut copied = 0;
            for (at, c) in kept.char_indices() {
                let Some(picture) = control_picture(c) else {
                    continue;
                };
                shown.push_str(&kept[copied..at]);
                replacements.push(Replacement {
                    start: line_start + at,
                    end: line_start + at + c.len_utf8(),
                    shown_start: shown.len(),
                    shown_len: picture.len_utf8(),
                });
                shown.push(picture);
                copied = at + c.len_utf8();
            }
            shown.push_str(&kept[copied..]);
            if let Some(cut) = cut {
                replacements.push(Replacement {
                    start: line_start + cut,
                    end: line_start + body.len(),
                    shown_start: shown.len(),
                    shown_len: '…'.len_utf8(),
                });
                shown.push('…');
            }
            shown.push_str(&line[body.len()..]);
            line_start += line.len();
        }
        let mut line_starts = vec![0];
        let bytes = shown.as_bytes();
        for (at, byte) in bytes.iter().enumerate() {
            // A line ends at `\n`, at `\r\n` and at a lone `\r`, as miette counts lines.
            let ends = *byte == b'\n' || (*byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'));
            if ends {
                line_starts.push(at + 1);
            }
        }
        ShownSource {
            shown,
            line_starts,
            replacements,
        }
    }

    /// The offset in the shown text of a file offset. An offset inside a stretch shown
    /// differently maps to the start of what shows it.
    pub(crate) fn to_shown(&self, offset: usize) -> usize {
        let before = self.replacements.partition_point(|r| r.start <= offset);
        match before.checked_sub(1).map(|i| self.replacements[i]) {
            None => offset,
            Some(r) if offset < r.end => r.shown_start,
            Some(r) => r.shown_start + r.shown_len + (offset - r.end),
        }
    }

    /// A file span as a span of the shown text.
    pub(crate) fn span_to_shown(&self, offset: usize, len: usize) -> (usize, usize) {
        let start = self.to_shown(offset);
        let end = if len == 0 {
            start
        } else {
            // The end of the last byte covered, so that a span ending inside a cut still
            // covers its `…`.
            let last = offset + len - 1;
            let last_shown = self.to_shown(last);
            let width = self
                .shown
                .get(last_shown..)
                .and_then(|rest| rest.chars().next())
                .map_or(1, char::len_utf8);
            last_shown + width
        };
        (start, end.saturating_sub(start))
    }

    /// The index of the line holding `offset` of the shown text.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }
}

impl SourceCode for ShownSource {
    /// As miette reads a `str`, but starting a line before the first line it returns rather
    /// than at the start of the text: the answer is the same, the work is the lines shown.
    /// (The line more keeps an empty span at a line start from reading as miette reads one at
    /// offset 0.)
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let first_line = self
            .line_of(span.offset())
            .saturating_sub(context_lines_before + 1);
        let window_start = self.line_starts[first_line];
        let window = &self.shown.as_bytes()[window_start..];
        let local = SourceSpan::new(
            (span.offset() - window_start.min(span.offset())).into(),
            span.len(),
        );
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new(
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + window_start).into(),
                contents.span().len(),
            ),
            contents.line() + first_line,
            contents.column(),
            contents.line_count() + first_line,
        )))
    }
}

/// The Unicode control picture of a control character (`␀` for NUL); none for tab, line
/// feed and carriage return, which are the text's own layout.
fn control_picture(c: char) -> Option<char> {
    match c {
        '\t' | '\n' | '\r' => None,
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)),
        '\u{7f}' => Some('\u{2421}'),
        // C1 controls and the bidirectional overrides have no picture of their own.
        c if c.is_control() || is_bidi_control(c) => Some('\u{fffd}'),
        _ => None,
    }
}

/// The characters that reorder text on a terminal (U+202A–U+202E, U+2066–U+2069) and the
/// direction marks: shown, they would make the snippet read other than the file.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The largest char boundary of `text` at or before `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A name for a message: as written when short and plain, else escaped and cut, with its
/// length (a 1 MB name must not fill the terminal, a control character must not act).
pub(crate) fn shown_name(name: &str) -> Cow<'_, str> {
    const LONGEST: usize = 60;
    let plain = !name
        .chars()
        .any(|c| c.is_control() || is_bidi_control(c) || c == '`');
    let count = name.chars().count();
    if plain && count <= LONGEST {
        return Cow::Borrowed(name);
    }
    let escaped: String = name
        .chars()
        .take(LONGEST)
        .flat_map(|c| {
            if c == '`' || !(c.is_control() || is_bidi_control(c)) {
                vec![c]
            } else {
                c.escape_unicode().collect()
            }
        })
        .collect();
    if count > LONGEST {
        Cow::Owned(format!("{escaped}…"))
    } else {
        Cow::Owned(escaped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `source` gives miette for a span, in a form to compare: miette's own reading of
    /// the whole text (`String`) against the index's (`ShownSource`).
    fn read(
        source: &impl SourceCode,
        offset: usize,
        len: usize,
        before: usize,
        after: usize,
    ) -> Option<(Vec<u8>, usize, usize, usize, usize, usize)> {
        let contents = source
            .read_span(&SourceSpan::new(offset.into(), len), before, after)
            .ok()?;
        Some((
            contents.data().to_vec(),
            contents.span().offset(),
            contents.span().len(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        ))
    }

    proptest! {
        /// For a text with nothing to replace, the index changes nothing of what miette reads.
        #[test]
        fn reads_what_miette_reads(
            text in "([a-z: -]{0,12}(\n|\r\n|\r))*[a-z ]{0,5}",
            offset in 0usize..200,
            len in 0usize..30,
            before in 0usize..3,
            after in 0usize..3,
        ) {
            let offset = offset.min(text.len());
            prop_assert_eq!(
                read(&ShownSource::new(&text), offset, len, before, after),
                read(&text, offset, len, before, after)
            );
        }
    }

    #[test]
    fn control_characters_show_as_pictures_at_their_place() {
        let source = ShownSource::new("a: x\0y\nb: \u{1b}[2J\n");
        assert_eq!(source.shown, "a: x\u{2400}y\nb: \u{241b}[2J\n");
        assert_eq!(source.to_shown(4), 4);
        assert_eq!(source.span_to_shown(4, 1), (4, 3));
        // After the NUL, offsets move by the two bytes its picture adds.
        assert_eq!(source.to_shown(5), 7);
        assert_eq!(source.to_shown(7), 9);
        assert_eq!(source.line_of(9), 1);
    }

    #[test]
    fn a_long_line_is_cut_and_what_follows_keeps_its_place() {
        let long = "n".repeat(1000);
        let text = format!("name: {long}\nnext: 1\n");
        let source = ShownSource::new(&text);
        let first = source.shown.lines().next().unwrap_or_default();
        assert_eq!(first.len(), KEPT_OF_CUT_LINE + '…'.len_utf8());
        assert!(first.ends_with('…'));
        let next = text.find("next").unwrap_or_default();
        assert_eq!(&source.shown[source.to_shown(next)..][..4], "next");
        // The name's span covers the kept part and the `…`.
        let (start, len) = source.span_to_shown(6, 1000);
        assert_eq!(&source.shown[start..start + len], &first[6..]);
    }

    #[test]
    fn names_in_messages_are_short_and_inert() {
        assert_eq!(shown_name("Sales"), "Sales");
        assert_eq!(shown_name("a\u{1b}b"), "a\\u{1b}b");
        let long = shown_name(&"x".repeat(2000)).into_owned();
        assert_eq!(long.chars().count(), 61);
        assert!(long.ends_with('…'));
    }
}
