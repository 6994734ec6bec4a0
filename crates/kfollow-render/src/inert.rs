//! Names from the manifest and from live state, made visible and inert before they reach a
//! terminal or a pull-request comment.
//!
//! A name is data: it may hold anything Azure or a YAML file lets through. Written raw, a line
//! feed starts a line of the name's own (a fake `Plan: 0 to attach…`), ESC and BEL drive the
//! terminal (clear the screen, set its title), NUL and the bidirectional controls reorder or
//! hide what is shown (`U+202E` prints what follows backwards), and zero-width characters make
//! two different names look alike. [`inert`] writes every such character as a visible escape
//! (`\n`, `\u{1b}`, `\u{202e}`); everything else, backslashes included, is left as it is, so
//! a name without them is shown exactly.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every character that [`is_hidden`] as a visible escape: `\n`, `\r`, `\t`,
/// `\0`, else `\u{…}` with the code point in hex.
///
/// ```
/// use kfollow_render::inert;
/// assert_eq!(inert("Sales"), "Sales");
/// assert_eq!(inert("a\nPlan: 0 to attach"), r"a\nPlan: 0 to attach");
/// assert_eq!(inert("\u{1b}]0;x\u{7}"), r"\u{1b}]0;x\u{7}");
/// assert_eq!(inert("txt.\u{202e}exe"), r"txt.\u{202e}exe");
/// ```
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                // Writing to a String cannot fail.
                _ => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// True for a character that is not shown as itself: a control character (C0, DEL, C1), a
/// line or paragraph separator, a bidirectional control or mark, a zero-width or other
/// invisible format character (Unicode's `Cf`), a variation selector or an invisible filler.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || HIDDEN.iter().any(|range| range.contains(&c))
}

/// Every code point outside the control characters that shows as nothing, or changes how the
/// characters around it show: the format characters (`Cf`) of Unicode 16, the line and
/// paragraph separators, the variation selectors, the combining grapheme joiner and the
/// fillers that render blank.
const HIDDEN: &[std::ops::RangeInclusive<char>] = &[
    '\u{00AD}'..='\u{00AD}', // soft hyphen
    '\u{034F}'..='\u{034F}', // combining grapheme joiner
    '\u{0600}'..='\u{0605}', // Arabic number signs
    '\u{061C}'..='\u{061C}', // Arabic letter mark
    '\u{06DD}'..='\u{06DD}',
    '\u{070F}'..='\u{070F}',
    '\u{0890}'..='\u{0891}',
    '\u{08E2}'..='\u{08E2}',
    '\u{115F}'..='\u{1160}', // Hangul fillers
    '\u{17B4}'..='\u{17B5}', // Khmer inherent vowels (invisible)
    '\u{180B}'..='\u{180F}', // Mongolian variation selectors and vowel separator
    '\u{200B}'..='\u{200F}', // zero width space, non-joiner, joiner; LRM, RLM
    '\u{2028}'..='\u{202E}', // line and paragraph separators; LRE, RLE, PDF, LRO, RLO
    '\u{2060}'..='\u{206F}', // word joiner, invisible operators, LRI, RLI, FSI, PDI, …
    '\u{3164}'..='\u{3164}', // Hangul filler
    '\u{FE00}'..='\u{FE0F}', // variation selectors
    '\u{FEFF}'..='\u{FEFF}', // zero width no-break space (byte order mark)
    '\u{FFA0}'..='\u{FFA0}', // halfwidth Hangul filler
    '\u{FFF9}'..='\u{FFFB}', // interlinear annotation
    '\u{110BD}'..='\u{110BD}',
    '\u{110CD}'..='\u{110CD}',
    '\u{13430}'..='\u{1343F}', // Egyptian hieroglyph format controls
    '\u{1BCA0}'..='\u{1BCA3}', // shorthand format controls
    '\u{1D173}'..='\u{1D17A}', // musical symbol format controls
    '\u{E0000}'..='\u{E0FFF}', // tags and variation selectors supplement
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_borrowed_as_they_are() {
        for name in [
            "Sales",
            "sales-emea 2026",
            r"back\slash",
            "Ünïcödé",
            "日本語",
            "`x`",
        ] {
            assert!(
                matches!(inert(name), Cow::Borrowed(n) if n == name),
                "{name}"
            );
        }
    }

    #[test]
    fn every_kind_of_hidden_character_is_escaped() {
        assert_eq!(inert("a\r\n\tb\0"), r"a\r\n\tb\0");
        assert_eq!(inert("\u{7f}\u{85}\u{9b}"), r"\u{7f}\u{85}\u{9b}");
        assert_eq!(
            inert("\u{202a}\u{202e}\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}"),
            r"\u{202a}\u{202e}\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}"
        );
        assert_eq!(
            inert("a\u{200b}b\u{200d}c\u{feff}d\u{2028}e\u{2029}"),
            r"a\u{200b}b\u{200d}c\u{feff}d\u{2028}e\u{2029}"
        );
        assert_eq!(inert("\u{e0041}\u{fe0f}\u{ad}"), r"\u{e0041}\u{fe0f}\u{ad}");
    }

    #[test]
    fn nothing_escaped_is_hidden_and_visible_characters_stay() {
        for c in [
            'a', ' ', '\\', '{', '}', 'é', '\u{2027}', '\u{2030}', '\u{2070}',
        ] {
            assert!(!is_hidden(c), "{c:?}");
        }
        for c in ('\0'..='\u{10ffff}').step_by(97) {
            let shown = inert(c.encode_utf8(&mut [0; 4])).into_owned();
            assert!(!shown.chars().any(is_hidden), "{c:?} -> {shown:?}");
        }
    }
}
