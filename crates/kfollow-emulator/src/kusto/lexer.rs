//! The tokens of a management command: words (keywords and plain names, `-` allowed inside so
//! that `principals-modification-kind` is one word), numbers with a unit (`7d`, `1.5h`),
//! string literals (`'…'`, `"…"` with backslash escapes, verbatim `@'…'`, obfuscated `h'…'`)
//! and punctuation. `//` comments run to the end of the line.
//!
//! Literal and comment syntax: <https://learn.microsoft.com/kusto/query/scalar-data-types/timespan>
//! (units) and the Kusto string literal rules of
//! <https://learn.microsoft.com/kusto/query/scalar-data-types/string> (`'` or `"`; the escapes
//! `\\`, `\'`, `\"`, `\n`, `\r`, `\t` and no other; no raw newline or return; `@` for verbatim,
//! `h` to hide the value from logs).

use super::parser::ParseError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A keyword or a bare name: `follower`, `MyDb`, `materialized-views`.
    Word(String),
    /// Digits with an optional fraction and unit letters: `7d`, `1.5h`, `100ms`, `2`.
    Number(String),
    /// A string literal, its escapes resolved.
    Str(String),
    Dot,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Equals,
    /// Any other character, kept so the parser can name it in its error.
    Other(char),
}

/// A token and where it starts in the command text (a byte offset).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// Splits a command into tokens.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '/' && text[start..].starts_with("//") {
            while chars.next_if(|&(_, c)| c != '\n').is_some() {}
            continue;
        }
        let single = match c {
            '.' => Some(TokenKind::Dot),
            '(' => Some(TokenKind::LParen),
            ')' => Some(TokenKind::RParen),
            '[' => Some(TokenKind::LBracket),
            ']' => Some(TokenKind::RBracket),
            ',' => Some(TokenKind::Comma),
            '=' => Some(TokenKind::Equals),
            _ => None,
        };
        if let Some(kind) = single {
            chars.next();
            tokens.push(Token {
                kind,
                start,
                end: start + c.len_utf8(),
            });
            continue;
        }
        let next = text[start + c.len_utf8()..].chars().next();
        if c == '\'' || c == '"' {
            chars.next();
            let (value, end) = string_body(text, &mut chars, start, c, false)?;
            tokens.push(Token {
                kind: TokenKind::Str(value),
                start,
                end,
            });
        } else if let (Some(quote @ ('\'' | '"')), '@' | 'h' | 'H') = (next, c) {
            chars.next();
            chars.next();
            let verbatim = c == '@';
            let (value, end) = string_body(text, &mut chars, start, quote, verbatim)?;
            tokens.push(Token {
                kind: TokenKind::Str(value),
                start,
                end,
            });
        } else if c.is_ascii_digit() {
            let end = take_while(&mut chars, |c| c.is_ascii_alphanumeric() || c == '.');
            tokens.push(Token {
                kind: TokenKind::Number(text[start..end].to_owned()),
                start,
                end,
            });
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let end = word_end(text, start);
            while chars.next_if(|&(i, _)| i < end).is_some() {}
            tokens.push(Token {
                kind: TokenKind::Word(text[start..end].to_owned()),
                start,
                end,
            });
        } else {
            chars.next();
            tokens.push(Token {
                kind: TokenKind::Other(c),
                start,
                end: start + c.len_utf8(),
            });
        }
    }
    Ok(tokens)
}

/// The end of a word starting at `start`: letters, digits, `_`, `$`, and `-` when a letter or
/// digit follows it (so `materialized-view` is one word, `a - b` three tokens).
fn word_end(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut iter = text[start..].char_indices().peekable();
    while let Some((offset, c)) = iter.next() {
        let inner = c.is_alphanumeric() || c == '_' || c == '$';
        let dash = c == '-' && iter.peek().is_some_and(|&(_, n)| n.is_alphanumeric());
        if !(inner || dash) {
            break;
        }
        end = start + offset + c.len_utf8();
    }
    end
}

fn take_while(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    keep: impl Fn(char) -> bool,
) -> usize {
    let mut end = 0;
    while let Some((i, c)) = chars.next_if(|&(_, c)| keep(c)) {
        end = i + c.len_utf8();
    }
    end
}

/// Reads a string literal after its opening quote; returns its value and the end offset.
fn string_body(
    text: &str,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    start: usize,
    quote: char,
    verbatim: bool,
) -> Result<(String, usize), ParseError> {
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            // In a verbatim string a doubled quote stands for one quote.
            if verbatim && chars.next_if(|&(_, n)| n == quote).is_some() {
                value.push(quote);
                continue;
            }
            return Ok((value, i + c.len_utf8()));
        }
        // A literal cannot hold a newline or a return unescaped (the string data type doc).
        if c == '\n' || c == '\r' {
            break;
        }
        if c == '\\' && !verbatim {
            let Some((_, escaped)) = chars.next() else {
                break;
            };
            // The escapes the doc names, and no other: `\uXXXX`, `\0`, `\x..` are errors.
            value.push(match escaped {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '\\' | '\'' | '"' => escaped,
                other => {
                    return Err(ParseError::syntax(
                        text,
                        i,
                        format!("unknown escape sequence `\\{other}` in a string literal"),
                    ));
                }
            });
            continue;
        }
        value.push(c);
    }
    Err(ParseError::syntax(
        text,
        start,
        "unterminated string literal".to_owned(),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn words_numbers_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds(".alter follower database MyDb principals-modification-kind = union"),
            vec![
                Dot,
                Word("alter".into()),
                Word("follower".into()),
                Word("database".into()),
                Word("MyDb".into()),
                Word("principals-modification-kind".into()),
                Equals,
                Word("union".into()),
            ]
        );
        assert_eq!(
            kinds("hot=1.5h, (a,b) ['x']"),
            vec![
                Word("hot".into()),
                Equals,
                Number("1.5h".into()),
                Comma,
                LParen,
                Word("a".into()),
                Comma,
                Word("b".into()),
                RParen,
                LBracket,
                Str("x".into()),
                RBracket,
            ]
        );
    }

    #[test]
    fn string_literal_forms() {
        use TokenKind::*;
        assert_eq!(kinds(r"'it\'s'"), vec![Str("it's".into())]);
        assert_eq!(kinds(r#""say \"hi\"""#), vec![Str("say \"hi\"".into())]);
        assert_eq!(kinds(r"@'c:\dir''s'"), vec![Str(r"c:\dir's".into())]);
        assert_eq!(kinds("h'secret'"), vec![Str("secret".into())]);
        assert_eq!(
            kinds("'a' // a comment\n'b'"),
            vec![Str("a".into()), Str("b".into())]
        );
    }

    #[test]
    fn unterminated_and_bad_escapes_fail() {
        assert!(tokenize("'abc").is_err());
        assert!(tokenize("\"abc\n\"").is_err());
        assert!(tokenize("'abc\rdef'").is_err());
        for undocumented in [r"'\q'", r"'\u0007'", r"'\0'", r"'\x07'"] {
            assert!(tokenize(undocumented).is_err(), "{undocumented}");
        }
    }

    #[test]
    fn the_documented_escapes_and_raw_control_characters_read() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"'a\\b\'c\"d\ne\rf\tg'"#),
            vec![Str("a\\b'c\"d\ne\rf\tg".into())]
        );
        assert_eq!(kinds("'bell\u{7}'"), vec![Str("bell\u{7}".into())]);
    }

    #[test]
    fn dash_only_joins_inside_a_word() {
        use TokenKind::*;
        assert_eq!(
            kinds("a - b"),
            vec![Word("a".into()), Other('-'), Word("b".into())]
        );
        assert_eq!(kinds("a-"), vec![Word("a".into()), Other('-')]);
    }
}
