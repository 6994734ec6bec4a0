//! A recursive-descent parser for the follower commands of
//! <https://learn.microsoft.com/kusto/management/cluster-follower>, `.show databases`
//! (<https://learn.microsoft.com/kusto/management/show-databases>), `.show database …
//! principals`, `.show tables details`, `.show external tables`, `.show materialized-views` and
//! `.show functions`.
//!
//! Keywords are matched ignoring case. Names are bare words or the quoted forms of
//! <https://learn.microsoft.com/kusto/query/schema-entities/entity-names> (`['my-table']`,
//! `["where"]`); a bare name cannot hold a `-` (Kusto asks for quotes there too).

use kfollow_model::{
    CachingPoliciesModificationKind, Principal, PrincipalsModificationKind, Role, Timespan,
};

use super::ast::{CachingTarget, Command};
use super::lexer::{Token, TokenKind, tokenize};

/// What kind of mistake a [`ParseError`] reports; it decides the OneApi error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The text does not follow the grammar, or names a command the emulator does not know.
    Syntax,
    /// A literal (a timespan) is malformed or out of range.
    InvalidLiteral,
    /// A principal string is malformed (`kfollow_model::Principal`).
    InvalidPrincipal,
}

/// Why a command did not parse, and where (line from 1, position from 0, in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} [line:position={line}:{position}]")]
pub struct ParseError {
    /// The kind of mistake.
    pub kind: ParseErrorKind,
    /// What is wrong, lower-case, names in backticks.
    pub message: String,
    /// The line of the offending token, from 1.
    pub line: usize,
    /// The position of the offending token in its line, from 0.
    pub position: usize,
}

impl ParseError {
    pub(crate) fn syntax(text: &str, offset: usize, message: String) -> ParseError {
        ParseError::at(ParseErrorKind::Syntax, text, offset, message)
    }

    fn at(kind: ParseErrorKind, text: &str, offset: usize, message: String) -> ParseError {
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        ParseError {
            kind,
            message,
            line,
            position: before[line_start..].chars().count(),
        }
    }
}

/// Parses one management command.
///
/// # Errors
///
/// A [`ParseError`] saying what is wrong and where: text outside the grammar or a command the
/// emulator does not know ([`ParseErrorKind::Syntax`]), a malformed or negative timespan
/// ([`ParseErrorKind::InvalidLiteral`]), a malformed principal
/// ([`ParseErrorKind::InvalidPrincipal`]).
pub fn parse(csl: &str) -> Result<Command, ParseError> {
    let tokens = tokenize(csl)?;
    let mut parser = Parser {
        text: csl,
        tokens,
        pos: 0,
    };
    let command = parser.command()?;
    parser.end()?;
    Ok(command)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_kind(&self) -> Option<&TokenKind> {
        self.peek().map(|t| &t.kind)
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.text.len(), |t| t.start)
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            None => "the end of the command".to_owned(),
            Some(t) => format!("`{}`", &self.text[t.start..t.end]),
        }
    }

    fn error(&self, expected: &str) -> ParseError {
        ParseError::syntax(
            self.text,
            self.offset(),
            format!("expected {expected}, found {}", self.describe_next()),
        )
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek_kind(), Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.is_keyword(keyword);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), ParseError> {
        if self.eat_keyword(keyword) {
            Ok(())
        } else {
            Err(self.error(&format!("`{keyword}`")))
        }
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        let found = self.peek_kind() == Some(kind);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, kind: &TokenKind, shown: &str) -> Result<(), ParseError> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.error(&format!("`{shown}`")))
        }
    }

    fn end(&self) -> Result<(), ParseError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(ParseError::syntax(
                self.text,
                self.offset(),
                format!(
                    "unexpected {} after the end of the command",
                    self.describe_next()
                ),
            )),
        }
    }

    /// `.` verb …
    fn command(&mut self) -> Result<Command, ParseError> {
        if !self.eat(&TokenKind::Dot) {
            return Err(self.error("a management command starting with `.`"));
        }
        let verb = match self.peek_kind() {
            Some(TokenKind::Word(w)) => w.to_ascii_lowercase(),
            _ => return Err(self.error("a command name after `.`")),
        };
        let verb_offset = self.offset();
        self.pos += 1;
        match verb.as_str() {
            "show" => self.show(),
            "alter" | "delete" | "add" | "drop" if self.is_keyword("follower") => {
                self.pos += 1;
                self.expect_keyword("database")?;
                let database = self.name("a database name")?;
                match verb.as_str() {
                    "alter" => self.alter(database),
                    "delete" => self.delete(database),
                    "add" => self.add(database),
                    _ => self.drop(database),
                }
            }
            _ => Err(ParseError::syntax(
                self.text,
                verb_offset,
                format!(
                    "the emulator does not know the command `.{verb} {}`; it knows the \
                     follower commands, `.show databases`, `.show database … principals`, \
                     `.show tables details`, `.show external tables`, \
                     `.show materialized-views` and `.show functions`",
                    self.peek().map_or("", |t| &self.text[t.start..t.end])
                ),
            )),
        }
    }

    fn show(&mut self) -> Result<Command, ParseError> {
        if self.eat_keyword("follower") {
            if self.eat_keyword("database") {
                let name = self.name("a database name")?;
                return Ok(Command::ShowFollowerDatabases {
                    databases: Some(vec![name]),
                });
            }
            if self.eat_keyword("databases") {
                let databases = self.optional_name_list("a database name")?;
                return Ok(Command::ShowFollowerDatabases { databases });
            }
            return Err(self.error("`database` or `databases`"));
        }
        if self.eat_keyword("database") {
            let database = self.name("a database name")?;
            self.expect_keyword("principals")?;
            return Ok(Command::ShowDatabasePrincipals { database });
        }
        if self.eat_keyword("table") {
            let table = self.name("a table name")?;
            self.expect_keyword("details")?;
            return Ok(Command::ShowTableDetails {
                tables: Some(vec![table]),
            });
        }
        if self.eat_keyword("tables") {
            let tables = self.optional_name_list("a table name")?;
            if !self.eat_keyword("details") {
                return Err(self.error("`details` (the emulator answers `.show tables … details`)"));
            }
            return Ok(Command::ShowTableDetails { tables });
        }
        if self.eat_keyword("materialized-view") {
            let view = self.name("a materialized view name")?;
            return Ok(Command::ShowMaterializedViews {
                views: Some(vec![view]),
            });
        }
        if self.eat_keyword("materialized-views") {
            return Ok(Command::ShowMaterializedViews { views: None });
        }
        if self.eat_keyword("external") {
            if self.eat_keyword("table") {
                let table = self.name("an external table name")?;
                return Ok(Command::ShowExternalTables {
                    tables: Some(vec![table]),
                });
            }
            if self.eat_keyword("tables") {
                return Ok(Command::ShowExternalTables { tables: None });
            }
            return Err(self.error("`table` or `tables` after `.show external`"));
        }
        if self.eat_keyword("function") {
            let function = self.name("a function name")?;
            if self.is_keyword("with") {
                return Err(ParseError::syntax(
                    self.text,
                    self.offset(),
                    "the emulator answers `.show function` without `with` properties".to_owned(),
                ));
            }
            return Ok(Command::ShowFunctions {
                functions: Some(vec![function]),
            });
        }
        if self.eat_keyword("functions") {
            return Ok(Command::ShowFunctions { functions: None });
        }
        // `.show cluster databases` and `.show databases` are equivalent (show-databases.md).
        self.eat_keyword("cluster");
        if self.eat_keyword("databases") {
            for option in ["details", "identity", "policies", "datastats"] {
                if self.is_keyword(option) {
                    return Err(ParseError::syntax(
                        self.text,
                        self.offset(),
                        format!("the emulator answers `.show databases` without `{option}`"),
                    ));
                }
            }
            let databases = self.optional_name_list("a database name")?;
            return Ok(Command::ShowDatabases { databases });
        }
        Err(self.error(
            "`follower`, `database`, `databases`, `table`, `tables`, `external`, \
             `materialized-views` or `functions` after `.show`",
        ))
    }

    fn alter(&mut self, database: String) -> Result<Command, ParseError> {
        if self.eat_keyword("principals-modification-kind") {
            let kind = self.assigned_kind(PrincipalsModificationKind::parse)?;
            return Ok(Command::AlterFollowerPrincipalsModificationKind { database, kind });
        }
        if self.eat_keyword("caching-policies-modification-kind") {
            let kind = self.assigned_kind(CachingPoliciesModificationKind::parse)?;
            return Ok(Command::AlterFollowerCachingPoliciesModificationKind { database, kind });
        }
        if self.eat_keyword("prefetch-extents") {
            self.expect(&TokenKind::Equals, "=")?;
            let enabled = if self.eat_keyword("true") {
                true
            } else if self.eat_keyword("false") {
                false
            } else {
                return Err(self.error("`true` or `false`"));
            };
            return Ok(Command::AlterFollowerPrefetchExtents { database, enabled });
        }
        let target = self.caching_target()?;
        if !self.is_keyword("policy") {
            return Err(self.error(
                "`policy`, `table`, `tables`, `materialized-view`, `materialized-views`, \
                 `principals-modification-kind`, `caching-policies-modification-kind` or \
                 `prefetch-extents`",
            ));
        }
        self.expect_keyword("policy")?;
        self.expect_keyword("caching")?;
        self.expect_keyword("hot")?;
        self.expect(&TokenKind::Equals, "=")?;
        let hot = self.timespan()?;
        Ok(Command::AlterFollowerCaching {
            database,
            target,
            hot,
        })
    }

    fn delete(&mut self, database: String) -> Result<Command, ParseError> {
        let target = self.caching_target()?;
        self.expect_keyword("policy")?;
        self.expect_keyword("caching")?;
        Ok(Command::DeleteFollowerCaching { database, target })
    }

    fn add(&mut self, database: String) -> Result<Command, ParseError> {
        let role = self.role()?;
        let principals = self.principal_list()?;
        let notes = match self.peek_kind() {
            Some(TokenKind::Str(notes)) => {
                let notes = notes.clone();
                self.pos += 1;
                Some(notes)
            }
            _ => None,
        };
        Ok(Command::AddFollowerPrincipals {
            database,
            role,
            principals,
            notes,
        })
    }

    fn drop(&mut self, database: String) -> Result<Command, ParseError> {
        let role = self.role()?;
        let principals = self.principal_list()?;
        Ok(Command::DropFollowerPrincipals {
            database,
            role,
            principals,
        })
    }

    /// `= none|union|replace`, read by the kind's own (case-insensitive) parser.
    fn assigned_kind<K>(&mut self, read: impl Fn(&str) -> Option<K>) -> Result<K, ParseError> {
        self.expect(&TokenKind::Equals, "=")?;
        let kind = match self.peek_kind() {
            Some(TokenKind::Word(word)) => read(word),
            _ => None,
        };
        let kind = kind.ok_or_else(|| self.error("`none`, `union` or `replace`"))?;
        self.pos += 1;
        Ok(kind)
    }

    /// `[table T | tables (…) | materialized-view V | materialized-views (…)]`.
    fn caching_target(&mut self) -> Result<CachingTarget, ParseError> {
        if self.eat_keyword("table") {
            return Ok(CachingTarget::Tables(vec![self.name("a table name")?]));
        }
        if self.eat_keyword("tables") {
            return Ok(CachingTarget::Tables(self.name_list("a table name")?));
        }
        if self.eat_keyword("materialized-view") {
            return Ok(CachingTarget::MaterializedViews(vec![
                self.name("a materialized view name")?,
            ]));
        }
        if self.eat_keyword("materialized-views") {
            return Ok(CachingTarget::MaterializedViews(
                self.name_list("a materialized view name")?,
            ));
        }
        Ok(CachingTarget::Database)
    }

    /// `admins | users | viewers | unrestrictedviewers | monitors`.
    fn role(&mut self) -> Result<Role, ParseError> {
        for role in Role::ALL {
            if self.eat_keyword(role.command_name()) {
                return Ok(role);
            }
        }
        Err(self
            .error("a role (`admins`, `users`, `viewers`, `unrestrictedviewers` or `monitors`)"))
    }

    /// A bare name or `['…']` / `["…"]`.
    fn name(&mut self, what: &str) -> Result<String, ParseError> {
        let offset = self.offset();
        match self.peek_kind().cloned() {
            Some(TokenKind::Word(word)) => {
                if word.contains('-') {
                    return Err(ParseError::syntax(
                        self.text,
                        offset,
                        format!("the name `{word}` holds a `-`: write it as `['{word}']`"),
                    ));
                }
                self.pos += 1;
                Ok(word)
            }
            Some(TokenKind::LBracket) => {
                self.pos += 1;
                let Some(TokenKind::Str(name)) = self.peek_kind().cloned() else {
                    return Err(self.error("a quoted name after `[`"));
                };
                self.pos += 1;
                self.expect(&TokenKind::RBracket, "]")?;
                if name.is_empty() || name.chars().count() > 1024 {
                    // entity-names.md: identifiers are 1 to 1024 characters long.
                    return Err(ParseError::syntax(
                        self.text,
                        offset,
                        format!("`{name}` is not a valid name (1 to 1024 characters)"),
                    ));
                }
                Ok(name)
            }
            _ => Err(self.error(what)),
        }
    }

    /// `( name, … )`, at least one name.
    fn name_list(&mut self, what: &str) -> Result<Vec<String>, ParseError> {
        self.expect(&TokenKind::LParen, "(")?;
        let mut names = vec![self.name(what)?];
        while self.eat(&TokenKind::Comma) {
            names.push(self.name(what)?);
        }
        self.expect(&TokenKind::RParen, ")")?;
        Ok(names)
    }

    fn optional_name_list(&mut self, what: &str) -> Result<Option<Vec<String>>, ParseError> {
        if self.peek_kind() == Some(&TokenKind::LParen) {
            Ok(Some(self.name_list(what)?))
        } else {
            Ok(None)
        }
    }

    /// `( 'principal', … )`, at least one.
    fn principal_list(&mut self) -> Result<Vec<Principal>, ParseError> {
        self.expect(&TokenKind::LParen, "(")?;
        let mut principals = vec![self.principal()?];
        while self.eat(&TokenKind::Comma) {
            principals.push(self.principal()?);
        }
        self.expect(&TokenKind::RParen, ")")?;
        Ok(principals)
    }

    fn principal(&mut self) -> Result<Principal, ParseError> {
        let offset = self.offset();
        let Some(TokenKind::Str(text)) = self.peek_kind().cloned() else {
            return Err(self.error("a principal string such as `'aaduser=alice@contoso.com'`"));
        };
        let principal = text.parse::<Principal>().map_err(|e| {
            ParseError::at(
                ParseErrorKind::InvalidPrincipal,
                self.text,
                offset,
                e.to_string(),
            )
        })?;
        self.pos += 1;
        Ok(principal)
    }

    /// A timespan literal: `7d`, `1.5h`, `timespan(…)`, `time(…)`; never negative.
    fn timespan(&mut self) -> Result<Timespan, ParseError> {
        let start = self.offset();
        let negative = self.eat(&TokenKind::Other('-'));
        let end = match self.peek_kind() {
            Some(TokenKind::Number(_)) => {
                let end = self.tokens[self.pos].end;
                self.pos += 1;
                end
            }
            Some(TokenKind::Word(w))
                if w.eq_ignore_ascii_case("timespan") || w.eq_ignore_ascii_case("time") =>
            {
                self.pos += 1;
                self.expect(&TokenKind::LParen, "(")?;
                while !matches!(self.peek_kind(), None | Some(TokenKind::RParen)) {
                    self.pos += 1;
                }
                let end = self.peek().map_or(self.text.len(), |t| t.end);
                self.expect(&TokenKind::RParen, ")")?;
                end
            }
            _ => return Err(self.error("a timespan such as `7d`, `12h` or `timespan(1.00:00:00)`")),
        };
        let literal = &self.text[start..end];
        let invalid = |message: String| {
            ParseError::at(ParseErrorKind::InvalidLiteral, self.text, start, message)
        };
        // `Timespan::parse` reads `timespan(` and `time(` in lower case, without a space.
        let normalized = match literal.find('(') {
            Some(i) => format!(
                "{}{}",
                literal[..i].trim_end().to_ascii_lowercase(),
                &literal[i..]
            ),
            None => literal.to_owned(),
        };
        let value = Timespan::parse(&normalized).map_err(|e| invalid(e.to_string()))?;
        if negative || value.is_negative() {
            return Err(invalid(format!(
                "`{literal}` is negative: a caching policy's hot period must be 0 or more"
            )));
        }
        Ok(value)
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
