//! The grammar of `tests/fixtures/cluster-follower-syntax.md` (Microsoft's **Syntax** lines
//! for the follower commands, copied unchanged) as token patterns, and a matcher for
//! commands.
//!
//! The doc's notation: text in backticks is a keyword (case-insensitive); *italic* text a
//! placeholder (`DatabaseName`, `TableName`, `ViewName`: an entity name per
//! <https://learn.microsoft.com/kusto/query/schema-entities/entity-names>; `HotDataSpan`: a
//! timespan literal per <https://learn.microsoft.com/kusto/query/scalar-data-types/timespan>;
//! `principal`, `notes`: a string literal); `(a | b)` alternatives; `[…]` optional;
//! *X1*`,`...`,`*XN* a comma-separated list. The tokenizer and the matcher are this file's own:
//! nothing is shared with `kfollow_diff::kql` (which writes the commands) or
//! `kfollow_emulator::kusto` (which parses them).

use std::collections::BTreeSet;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cluster-follower-syntax.md"
);

// ---------------------------------------------------------------------------------------
// The fixture: syntax entries and example commands.

/// One documented syntax: the section it is under, its text as copied, its pattern.
#[derive(Debug)]
pub(super) struct Syntax {
    pub(super) section: String,
    pub(super) text: String,
    pattern: Vec<Element>,
}

pub(super) struct Grammar {
    pub(super) syntaxes: Vec<Syntax>,
    /// Bare words a name may not be: the grammar's own keywords.
    keywords: BTreeSet<String>,
}

/// The fixture's syntax entries (paragraphs starting with a backticked `.command`, lines
/// joined: the doc wraps two of them) and the lines of its fenced example blocks.
pub(super) fn read_fixture() -> (Vec<(String, String)>, Vec<String>) {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let (mut entries, mut examples) = (Vec::new(), Vec::new());
    let mut section = String::new();
    let mut in_fence = false;
    for block in text.split("\n\n") {
        for line in block.lines() {
            if line.starts_with("```") {
                in_fence = !in_fence;
            } else if in_fence && !line.trim().is_empty() {
                examples.push(line.trim().to_owned());
            } else if line.starts_with('#') {
                section = line.trim_start_matches('#').trim().to_owned();
            }
        }
        if !in_fence && block.starts_with("`.") {
            let joined: Vec<&str> = block.lines().map(str::trim).collect();
            entries.push((section.clone(), joined.join(" ")));
        }
    }
    (entries, examples)
}

pub(super) fn grammar() -> Grammar {
    let (entries, _) = read_fixture();
    let syntaxes: Vec<Syntax> = entries
        .into_iter()
        .map(|(section, text)| {
            let mut pattern = parse_notation(&text);
            add_unrestricted_viewers(&mut pattern);
            Syntax {
                section,
                text,
                pattern,
            }
        })
        .collect();
    let mut keywords = BTreeSet::new();
    for syntax in &syntaxes {
        collect_keywords(&syntax.pattern, &mut keywords);
    }
    // entity-names.md: "Identifier names that are language keywords must be enclosed", with
    // `where` and `summarize` as its examples of keywords.
    keywords.extend(["where".to_owned(), "summarize".to_owned()]);
    Grammar { syntaxes, keywords }
}

// ---------------------------------------------------------------------------------------
// The doc's notation.

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    /// An entity name: a bare identifier or `['…']` / `["…"]` (entity-names.md).
    Name,
    /// A timespan literal (timespan.md).
    Timespan,
    /// A string literal.
    Text,
}

#[derive(Debug, Clone)]
enum Element {
    /// A keyword or punctuation, matched case-insensitively.
    Word(String),
    Slot(Slot),
    /// One or more slots separated by `,`.
    List(Slot),
    Choice(Vec<Vec<Element>>),
    Optional(Vec<Element>),
}

#[derive(Debug, Clone, PartialEq)]
enum Notation {
    /// Text in backticks.
    Literal(String),
    /// *Italic* text.
    Placeholder(String),
    /// Plain text: grouping `( | ) [ ]`, the list's `...`, and plain words.
    Plain(String),
}

fn lex_notation(text: &str) -> Vec<Notation> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '`' || c == '*' {
            let end = rest[1..]
                .find(c)
                .unwrap_or_else(|| panic!("unclosed {c} in {text}"));
            let inner = &rest[1..=end];
            rest = &rest[end + 2..];
            if c == '*' {
                out.push(Notation::Placeholder(inner.to_owned()));
            } else {
                out.extend(
                    inner
                        .split_whitespace()
                        .map(|w| Notation::Literal(w.into())),
                );
            }
        } else if let Some(after) = rest.strip_prefix("...") {
            out.push(Notation::Plain("...".into()));
            rest = after;
        } else if "()|[]=,".contains(c) {
            out.push(Notation::Plain(c.to_string()));
            rest = &rest[1..];
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || "`*()|[]=,".contains(c))
                .unwrap_or(rest.len());
            out.push(Notation::Plain(rest[..end].to_owned()));
            rest = &rest[end..];
        }
    }
    out
}

/// `DatabaseName1`, `DatabaseNameN`, `principal1` … name one slot kind each.
fn slot(placeholder: &str) -> Slot {
    let kind = |name: &str| match name {
        "DatabaseName" | "TableName" | "ViewName" => Some(Slot::Name),
        "HotDataSpan" => Some(Slot::Timespan),
        "principal" | "notes" => Some(Slot::Text),
        _ => None,
    };
    let base = placeholder.trim_end_matches(|c: char| c.is_ascii_digit());
    kind(base)
        .or_else(|| base.strip_suffix('N').and_then(kind))
        .unwrap_or_else(|| {
            panic!("the fixture has a placeholder this test does not know: `{placeholder}`")
        })
}

fn parse_notation(text: &str) -> Vec<Element> {
    let tokens = lex_notation(text);
    let mut at = 0;
    let pattern = sequence(&tokens, &mut at);
    assert_eq!(at, tokens.len(), "unbalanced notation in `{text}`");
    pattern
}

/// Elements up to a closing `)`, `]` or `|` (left for the caller) or the end.
fn sequence(tokens: &[Notation], at: &mut usize) -> Vec<Element> {
    use Notation::{Literal, Placeholder, Plain};
    let mut out = Vec::new();
    while let Some(token) = tokens.get(*at) {
        let here = *at;
        let next = |n: usize| tokens.get(here + n);
        match token {
            Plain(p) if [")", "]", "|"].contains(&p.as_str()) => return out,
            Plain(p) if p == "(" => {
                *at += 1;
                let mut alternatives = vec![sequence(tokens, at)];
                while tokens.get(*at) == Some(&Plain("|".into())) {
                    *at += 1;
                    alternatives.push(sequence(tokens, at));
                }
                assert_eq!(tokens.get(*at), Some(&Plain(")".into())));
                *at += 1;
                out.push(Element::Choice(alternatives));
                // The `.add` line names its role alternatives with a plain `Role`: a label,
                // not a keyword (the doc's `.add` examples have none). Skipped, explicitly.
                if tokens.get(*at) == Some(&Plain("Role".into())) {
                    *at += 1;
                }
                continue;
            }
            Plain(p) if p == "[" => {
                *at += 1;
                let inner = sequence(tokens, at);
                assert_eq!(tokens.get(*at), Some(&Plain("]".into())));
                *at += 1;
                out.push(Element::Optional(inner));
                continue;
            }
            Plain(p) if p == "..." => panic!("`...` outside a list at token {at}"),
            // `'`*notes*`'`: a placeholder in quotes is a string literal.
            Literal(q) if q == "'" && next(2) == Some(&Literal("'".into())) => {
                let Some(Placeholder(p)) = next(1) else {
                    panic!("quotes around something other than a placeholder")
                };
                assert_eq!(slot(p), Slot::Text, "`{p}` in quotes");
                out.push(Element::Slot(Slot::Text));
                *at += 3;
                continue;
            }
            // *X1*`,`...`,`*XN*: a comma-separated list of X.
            Placeholder(first)
                if next(1) == Some(&Literal(",".into()))
                    && next(2) == Some(&Plain("...".into())) =>
            {
                assert_eq!(next(3), Some(&Literal(",".into())));
                let Some(Placeholder(last)) = next(4) else {
                    panic!("a list that does not end with a placeholder")
                };
                assert_eq!(slot(first), slot(last));
                out.push(Element::List(slot(first)));
                *at += 5;
                continue;
            }
            Placeholder(p) => out.push(Element::Slot(slot(p))),
            // Plain words are keywords too: the doc leaves `table`, `tables`,
            // `materialized-view(s)` and some `=` out of backticks.
            Literal(word) | Plain(word) => out.push(Element::Word(word.clone())),
        }
        *at += 1;
    }
    out
}

/// The doc's role alternatives (`admins | users | viewers | monitors`) omit `unrestrictedviewers`,
/// a database role in <https://learn.microsoft.com/kusto/management/manage-database-security-roles>
/// ("roles can be `admins`, `users`, `viewers`, `unrestrictedviewers`, `ingestors`, or `monitors`")
/// that kfollow manages. This extension adds it to exactly those alternatives.
fn add_unrestricted_viewers(pattern: &mut [Element]) {
    for element in pattern {
        match element {
            Element::Choice(alternatives) => {
                let words: Vec<&str> = alternatives
                    .iter()
                    .filter_map(|a| match a.as_slice() {
                        [Element::Word(w)] => Some(w.as_str()),
                        _ => None,
                    })
                    .collect();
                if words == ["admins", "users", "viewers", "monitors"] {
                    alternatives.push(vec![Element::Word("unrestrictedviewers".into())]);
                } else {
                    alternatives
                        .iter_mut()
                        .for_each(|a| add_unrestricted_viewers(a));
                }
            }
            Element::Optional(inner) => add_unrestricted_viewers(inner),
            _ => {}
        }
    }
}

fn collect_keywords(pattern: &[Element], out: &mut BTreeSet<String>) {
    for element in pattern {
        match element {
            Element::Word(w) if w.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                out.insert(w.to_ascii_lowercase());
            }
            Element::Choice(alternatives) => {
                alternatives.iter().for_each(|a| collect_keywords(a, out));
            }
            Element::Optional(inner) => collect_keywords(inner, out),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// Commands: tokens.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// A word: `.alter`, `follower`, `materialized-view`, `Orders`, `Web-Events`.
    Word(String),
    /// Digits, maybe with a fraction and a unit: `7d`, `1.5h`, `1day`.
    Number(String),
    /// A string literal, by its value.
    Text(String),
    /// `['…']` or `["…"]`, by the name inside.
    QuotedName(String),
    /// `timespan(…)` or `time(…)`, by what is inside the parentheses.
    TimespanCall(String),
    Punct(char),
}

pub(super) fn tokenize(command: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = command.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let peek = |j: usize| chars.get(j).copied();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if let Some(len) = string_start(&chars[i..]) {
            let (value, end) = string_literal(&chars, i, len)?;
            out.push(Token::Text(value));
            i = end;
        } else if c == '[' {
            let mut j = i + 1;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            let Some(len) = string_start(&chars[j..]) else {
                return Err(format!("`[` at {i} does not open a quoted name"));
            };
            let (name, mut end) = string_literal(&chars, j, len)?;
            while chars.get(end).is_some_and(|c| c.is_whitespace()) {
                end += 1;
            }
            if chars.get(end) != Some(&']') {
                return Err(format!("the quoted name at {i} is not closed with `]`"));
            }
            out.push(Token::QuotedName(name));
            i = end + 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while peek(i).is_some_and(|c| c.is_ascii_digit() || c == '.') {
                i += 1;
            }
            while peek(i).is_some_and(|c| c.is_ascii_alphabetic()) {
                i += 1;
            }
            out.push(Token::Number(chars[start..i].iter().collect()));
        } else if c.is_ascii_alphabetic()
            || c == '_'
            || (c == '.' && peek(i + 1).is_some_and(word_char))
        {
            // Management-command keywords hold dashes (`prefetch-extents`).
            let start = i;
            i += 1;
            while peek(i)
                .is_some_and(|c| word_char(c) || (c == '-' && peek(i + 1).is_some_and(word_char)))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            let call = ["timespan", "time"].contains(&word.to_ascii_lowercase().as_str());
            if call && chars.get(j) == Some(&'(') {
                let close = chars[j..]
                    .iter()
                    .position(|&c| c == ')')
                    .ok_or_else(|| format!("`{word}(` at {start} is not closed"))?;
                out.push(Token::TimespanCall(
                    chars[j + 1..j + close].iter().collect(),
                ));
                i = j + close + 1;
            } else {
                out.push(Token::Word(word));
            }
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    Ok(out)
}

/// The length of a string literal's opening (`'`, `"`, `@'`, `h'`, `h@"` …), if one starts
/// here: `@` makes it verbatim, `h`/`H` obfuscated.
fn string_start(chars: &[char]) -> Option<usize> {
    let mut n = 0;
    if matches!(chars.first(), Some('h' | 'H')) {
        n += 1;
    }
    if chars.get(n) == Some(&'@') {
        n += 1;
    }
    matches!(chars.get(n), Some('\'' | '"')).then_some(n + 1)
}

/// Reads the string literal whose opening (`open_len` characters) starts at `start`: its value
/// and the index after it. Backslash escapes unless verbatim, where a doubled quote is one.
fn string_literal(
    chars: &[char],
    start: usize,
    open_len: usize,
) -> Result<(String, usize), String> {
    let quote = chars[start + open_len - 1];
    let verbatim = chars[start..start + open_len].contains(&'@');
    let mut value = String::new();
    let mut i = start + open_len;
    loop {
        match chars.get(i) {
            None => return Err(format!("the string literal at {start} is not closed")),
            Some('\\') if !verbatim => {
                let escaped = chars.get(i + 1).ok_or("a `\\` ends the command")?;
                // The escapes of the string data type doc, and no other.
                value.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '\\' | '\'' | '"' => *escaped,
                    other => return Err(format!("`\\{other}` is not a documented escape")),
                });
                i += 2;
            }
            Some('\n' | '\r') => {
                return Err(format!(
                    "the string literal at {start} holds a raw line break"
                ));
            }
            Some(&c) if c == quote => {
                if verbatim && chars.get(i + 1) == Some(&quote) {
                    value.push(quote);
                    i += 2;
                } else {
                    return Ok((value, i + 1));
                }
            }
            Some(&c) => {
                value.push(c);
                i += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Commands: matching.

impl Grammar {
    fn slot_matches(&self, slot: Slot, token: &Token) -> bool {
        match (slot, token) {
            (Slot::Name, Token::Word(w)) => {
                let mut chars = w.chars();
                chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                    // Keywords are lower-case: entity-names.md's way to avoid them is "a name
                    // that starts with a capital letter", so `Table` is a name, `table` not.
                    && !self.keywords.contains(w.as_str())
            }
            // entity-names.md: 1 to 1024 letters, digits, `_`, spaces, `.` and `-`.
            (Slot::Name, Token::QuotedName(name)) => {
                (1..=1024).contains(&name.chars().count())
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '_' | ' ' | '.' | '-'))
            }
            (Slot::Timespan, Token::Number(text)) => timespan_literal(text),
            (Slot::Timespan, Token::TimespanCall(inner)) => timespan_call(inner.trim()),
            (Slot::Text, Token::Text(_)) => true,
            _ => false,
        }
    }

    /// Every token index where `pattern`, started at `at`, can end. `reached` keeps the
    /// furthest token any partial match got to, for messages.
    fn ends(
        &self,
        pattern: &[Element],
        tokens: &[Token],
        at: usize,
        reached: &mut usize,
    ) -> Vec<usize> {
        let mut positions = vec![at];
        for element in pattern {
            let mut next = Vec::new();
            for &p in &positions {
                for end in self.element_ends(element, tokens, p, reached) {
                    if !next.contains(&end) {
                        next.push(end);
                    }
                }
            }
            positions = next;
            *reached = positions.iter().copied().fold(*reached, usize::max);
        }
        positions
    }

    fn element_ends(
        &self,
        element: &Element,
        tokens: &[Token],
        at: usize,
        reached: &mut usize,
    ) -> Vec<usize> {
        let token = tokens.get(at);
        match element {
            Element::Word(word) => {
                let hit = match token {
                    Some(Token::Word(w)) => w.eq_ignore_ascii_case(word),
                    Some(Token::Punct(c)) => word.chars().eq([*c]),
                    _ => false,
                };
                if hit { vec![at + 1] } else { vec![] }
            }
            Element::Slot(slot) => match token {
                Some(t) if self.slot_matches(*slot, t) => vec![at + 1],
                _ => vec![],
            },
            Element::List(slot) => {
                let mut ends = Vec::new();
                let mut p = at;
                while tokens.get(p).is_some_and(|t| self.slot_matches(*slot, t)) {
                    ends.push(p + 1);
                    if tokens.get(p + 1) != Some(&Token::Punct(',')) {
                        break;
                    }
                    p += 2;
                }
                ends
            }
            Element::Choice(alternatives) => alternatives
                .iter()
                .flat_map(|a| self.ends(a, tokens, at, reached))
                .collect(),
            Element::Optional(inner) => {
                let mut ends = vec![at];
                ends.extend(self.ends(inner, tokens, at, reached));
                ends
            }
        }
    }

    /// The syntax `command` matches, or why none does (the closest syntax and where it
    /// stops).
    pub(super) fn check(&self, command: &str) -> Result<&Syntax, String> {
        let tokens =
            tokenize(command).map_err(|e| format!("`{command}` does not tokenize: {e}"))?;
        let mut closest: Option<(usize, &Syntax)> = None;
        for syntax in &self.syntaxes {
            let mut reached = 0;
            if self
                .ends(&syntax.pattern, &tokens, 0, &mut reached)
                .contains(&tokens.len())
            {
                return Ok(syntax);
            }
            if closest.is_none_or(|(best, _)| reached > best) {
                closest = Some((reached, syntax));
            }
        }
        let (reached, syntax) = closest.expect("the fixture has syntaxes");
        let stop = tokens
            .get(reached)
            .map_or("the end of the command".to_owned(), |t| {
                format!("token {reached} {t:?}")
            });
        Err(format!(
            "`{command}` matches no documented syntax; the closest is `{}` ({}), which \
             stops at {stop}",
            syntax.text, syntax.section
        ))
    }
}

/// `timespan.md`'s literals: digits, maybe with a fraction, and a unit (`d`, `h`, `m`, `s`,
/// `ms`, `microsecond`, `tick`); weeks are not supported.
fn timespan_literal(text: &str) -> bool {
    let unit_at = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_at);
    decimal(number) && ["d", "h", "m", "s", "ms", "microsecond", "tick"].contains(&unit)
}

fn decimal(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    [whole, fraction]
        .iter()
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
}

/// `timespan(`*n*` seconds)`, `timespan(`*n*`)` (days) and
/// `timespan(`*days*`.`*hours*`:`*minutes*`:`*seconds*`.`*ms*`)`; `timespan(null)` is not a
/// hot data span. `time(…)` is the same (timespan.md: "equivalent").
fn timespan_call(inner: &str) -> bool {
    if let Some(n) = inner.strip_suffix("seconds") {
        return decimal(n.trim());
    }
    let parts: Vec<&str> = inner.split(':').collect();
    match parts.as_slice() {
        [n] => decimal(n) || timespan_literal(n),
        [days_hours, minutes, seconds] => {
            let hours = days_hours.rsplit('.').next().unwrap_or_default();
            [days_hours, minutes, seconds].iter().all(|p| decimal(p))
                && [hours, minutes].iter().all(|p| p.len() <= 2)
        }
        _ => false,
    }
}
