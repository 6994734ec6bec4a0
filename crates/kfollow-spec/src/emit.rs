//! A small YAML writer for the exported manifest ([`export`](crate::export)): block mappings and sequences indented by two
//! spaces, each string plain where YAML cannot read it as anything but that string, else
//! double-quoted and escaped.

use std::borrow::Cow;
use std::fmt::Write as _;

/// YAML text built line by line.
#[derive(Debug, Default)]
pub struct Yaml {
    text: String,
}

impl Yaml {
    /// The text written so far.
    pub fn finish(self) -> String {
        self.text
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Appends text another [`Yaml`] wrote.
    pub fn append(&mut self, other: Yaml) {
        self.text.push_str(&other.text);
    }

    /// `# text`, or an empty comment line when `text` is empty.
    pub fn comment(&mut self, indent: usize, text: &str) {
        let pad = " ".repeat(indent);
        if text.is_empty() {
            self.text.push_str(&format!("{pad}#\n"));
        } else {
            self.text.push_str(&format!("{pad}# {text}\n"));
        }
    }

    /// An empty line.
    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    /// `key:`, opening a nested mapping or sequence.
    pub fn open(&mut self, indent: usize, key: &str) {
        self.line(indent, &format!("{}:", string(key)));
    }

    /// `key: value` with `value` a string.
    pub fn entry(&mut self, indent: usize, key: &str, value: &str) {
        self.raw(indent, key, &string(value));
    }

    /// `key: value` with `value` written as given (numbers, booleans, flow collections).
    pub fn raw(&mut self, indent: usize, key: &str, value: &str) {
        self.line(indent, &format!("{}: {value}", string(key)));
    }

    /// `- value` with `value` a string.
    pub fn item(&mut self, indent: usize, value: &str) {
        self.line(indent, &format!("- {}", string(value)));
    }

    /// `- key: value`, the first entry of a mapping inside a sequence; the mapping's other
    /// entries go at `indent + 2`.
    pub fn item_entry(&mut self, indent: usize, key: &str, value: &str) {
        self.line(indent, &format!("- {}: {}", string(key), string(value)));
    }

    fn line(&mut self, indent: usize, content: &str) {
        let _ = writeln!(self.text, "{}{content}", " ".repeat(indent));
    }
}

/// A flow sequence of strings: `[Orders, "Logs*"]`.
pub fn flow_list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<Cow<'_, str>> = items.iter().map(|i| string(i.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// A string as a YAML scalar: plain when that is safe, else double-quoted.
///
/// Plain is kept for what reads as a name, an id, a principal or a region: a letter or `/`
/// first, then letters, digits and `_ . - / @ = ;`, and not a word YAML 1.1 or 1.2 reads as a
/// boolean or null. Everything else (wildcards, spaces, leading digits, the empty string) is
/// quoted, so the manifest reads back as exactly these strings.
pub fn string(text: &str) -> Cow<'_, str> {
    if is_plain_safe(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(quoted(text))
    }
}

/// A Kusto timespan literal (`7d`, `12h`, `100ms`) written plain: digits then letters are no
/// number, boolean or null in YAML. Anything else is quoted.
pub fn timespan(literal: &str) -> Cow<'_, str> {
    let digits = literal.trim_start_matches(|c: char| c.is_ascii_digit());
    let plain = digits.len() < literal.len()
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_lowercase());
    if plain {
        Cow::Borrowed(literal)
    } else {
        string(literal)
    }
}

fn is_plain_safe(text: &str) -> bool {
    const RESERVED: [&str; 14] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "nan", "inf", "none",
        "<<",
    ];
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '/')
        && chars.all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | '@' | '=' | ';')
        })
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str())
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ids_and_principals_stay_plain() {
        for plain in [
            "sales",
            "Sales_2026",
            "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fc",
            "aadapp=5b1c2f0e-8d7a;fabrikam.com",
            "aadgroup=team@contoso.com",
            "westeurope",
        ] {
            assert_eq!(string(plain), plain);
        }
    }

    #[test]
    fn what_yaml_would_misread_is_quoted() {
        assert_eq!(string("*"), "\"*\"");
        assert_eq!(string("Logs*"), "\"Logs*\"");
        assert_eq!(string("West Europe"), "\"West Europe\"");
        assert_eq!(string("yes"), "\"yes\"");
        assert_eq!(string("Null"), "\"Null\"");
        assert_eq!(string("2026"), "\"2026\"");
        assert_eq!(string(""), "\"\"");
        assert_eq!(string("a: b"), "\"a: b\"");
        assert_eq!(string("say \"hi\"\\\n"), "\"say \\\"hi\\\"\\\\\\n\"");
        assert_eq!(string("bell\u{7}"), "\"bell\\u0007\"");
    }

    #[test]
    fn timespans_are_plain_when_they_are_literals() {
        assert_eq!(timespan("7d"), "7d");
        assert_eq!(timespan("100ms"), "100ms");
        assert_eq!(timespan("15tick"), "15tick");
        assert_eq!(timespan("-7d"), "\"-7d\"");
        assert_eq!(timespan("7"), "\"7\"");
    }

    /// Through the manifest reader itself: a sharing entry takes any non-empty string.
    #[test]
    fn quoted_strings_read_back_as_written() {
        for text in [
            "Logs*",
            "a: b # c",
            "tab\there",
            "quote\"back\\slash",
            "ünïcode",
            "*",
            "yes",
        ] {
            let manifest = format!(
                "version: 1\nclusters:\n  a: {{ id: /subscriptions/s/resourceGroups/r/providers/Microsoft.Kusto/clusters/a }}\n  \
                 b: {{ id: /subscriptions/s/resourceGroups/r/providers/Microsoft.Kusto/clusters/b }}\n\
                 attachments:\n  - name: x\n    follower: a\n    leader: b\n    databaseName: D\n    \
                 tableLevelSharing:\n      tablesToInclude: {}\n",
                flow_list(&[text])
            );
            let desired = crate::load("t.yaml", &manifest)
                .unwrap_or_else(|e| panic!("{manifest}\n{e}"))
                .desired;
            assert_eq!(
                desired.attachments[0].table_level_sharing.tables_to_include,
                [text],
                "{manifest}"
            );
        }
    }
}
