//! The names the service accepts: Kusto identifiers (databases, tables, materialized views)
//! and attachment names.
//!
//! An identifier (<https://learn.microsoft.com/kusto/query/schema-entities/entity-names>) is
//! 1 to 1024 characters of letters, digits, `_`, `.`, `-` and spaces; no other character
//! (not `;`, `:` or a quote), and names that start or end with `__` are the service's own.
//! The rule is the same for databases and tables; database names differ only in comparing
//! without case.
//!
//! An attachment name is one segment of an ARM path. The REST specification leaves it open
//! (`^.*$`) and ARM's naming rules give no length for `attachedDatabaseConfigurations`, so
//! kfollow keeps it to what an HTTP path segment carries through Microsoft's front ends:
//! [`MAX_ATTACHMENT_NAME_CHARS`], the default of HTTP.sys's `UrlSegmentMaxLength`
//! (<https://learn.microsoft.com/troubleshoot/developer/webapps/iis/iisadmin-service-inetinfo/httpsys-registry-windows>).

use std::fmt;

use crate::id::is_arm_name;

/// The most characters a Kusto identifier holds.
pub const MAX_ENTITY_NAME_CHARS: usize = 1024;

/// The most characters kfollow takes in an attachment name.
pub const MAX_ATTACHMENT_NAME_CHARS: usize = 260;

/// What is wrong with a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// No characters.
    Empty,
    /// More characters than the service takes.
    TooLong {
        /// How many it has.
        chars: usize,
        /// How many it may have.
        max: usize,
    },
    /// A character the name cannot hold.
    Character(char),
    /// Starts or ends with `__`, which Kusto keeps for its own names.
    Reserved,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::TooLong { chars, max } => {
                write!(f, "is {chars} characters long; at most {max} are allowed")
            }
            NameProblem::Character(c) if c.is_control() => {
                write!(
                    f,
                    "holds the control character `{}`, which is not allowed",
                    c.escape_unicode()
                )
            }
            NameProblem::Character(c) => write!(f, "holds `{c}`, which is not allowed"),
            NameProblem::Reserved => {
                f.write_str("starts or ends with `__`, which Kusto reserves for its own names")
            }
        }
    }
}

/// True for the characters of an identifier: letters, digits, `_`, `.`, `-` and space.
pub fn is_identifier_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ' ')
}

/// Why a Kusto identifier (a database, table or materialized view name) is refused, if it is.
///
/// ```
/// use kfollow_model::names::{NameProblem, entity_name_problem};
/// assert_eq!(entity_name_problem("Web Events-2026.v1"), None);
/// assert_eq!(entity_name_problem("a;b"), Some(NameProblem::Character(';')));
/// assert_eq!(entity_name_problem("__system"), Some(NameProblem::Reserved));
/// ```
pub fn entity_name_problem(name: &str) -> Option<NameProblem> {
    part_problem(name, MAX_ENTITY_NAME_CHARS).or_else(|| {
        (name.starts_with("__") || name.ends_with("__")).then_some(NameProblem::Reserved)
    })
}

/// Why a `databaseNamePrefix` is refused: its characters are an identifier's, it starts no
/// reserved name, and it leaves room for at least one character of a database name.
pub fn prefix_problem(prefix: &str) -> Option<NameProblem> {
    part_problem(prefix, MAX_ENTITY_NAME_CHARS - 1)
        .or_else(|| prefix.starts_with("__").then_some(NameProblem::Reserved))
}

/// Why an attachment name is refused: empty, longer than [`MAX_ATTACHMENT_NAME_CHARS`], or
/// holding a character an ARM path cannot carry (`/`, `?`, `#`, `%`, `\`, a control
/// character).
pub fn attachment_name_problem(name: &str) -> Option<NameProblem> {
    if name.is_empty() {
        return Some(NameProblem::Empty);
    }
    if !is_arm_name(name) {
        let bad = name
            .chars()
            .find(|c| !is_arm_name(c.encode_utf8(&mut [0; 4])))?;
        return Some(NameProblem::Character(bad));
    }
    too_long(name, MAX_ATTACHMENT_NAME_CHARS)
}

fn part_problem(name: &str, max: usize) -> Option<NameProblem> {
    if name.is_empty() {
        return Some(NameProblem::Empty);
    }
    if let Some(bad) = name.chars().find(|c| !is_identifier_char(*c)) {
        return Some(NameProblem::Character(bad));
    }
    too_long(name, max)
}

fn too_long(name: &str, max: usize) -> Option<NameProblem> {
    let chars = name.chars().count();
    (chars > max).then_some(NameProblem::TooLong { chars, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_the_entity_name_rules() {
        for good in [
            "Sales",
            "Web Events",
            "logs-2026.v1",
            "_private_",
            "Ünïcødé",
            "x",
        ] {
            assert_eq!(entity_name_problem(good), None, "{good}");
        }
        assert_eq!(entity_name_problem(""), Some(NameProblem::Empty));
        assert_eq!(
            entity_name_problem("a'b"),
            Some(NameProblem::Character('\''))
        );
        assert_eq!(
            entity_name_problem("a:b"),
            Some(NameProblem::Character(':'))
        );
        assert_eq!(
            entity_name_problem("a\tb"),
            Some(NameProblem::Character('\t'))
        );
        assert_eq!(
            entity_name_problem("Logs*"),
            Some(NameProblem::Character('*'))
        );
        assert_eq!(entity_name_problem("tail__"), Some(NameProblem::Reserved));
        assert_eq!(entity_name_problem(&"a".repeat(1024)), None);
        assert_eq!(
            entity_name_problem(&"a".repeat(1025)),
            Some(NameProblem::TooLong {
                chars: 1025,
                max: 1024
            })
        );
    }

    #[test]
    fn a_prefix_leaves_room_and_may_end_with_underscores() {
        assert_eq!(prefix_problem("copy__"), None);
        assert_eq!(prefix_problem("__copy"), Some(NameProblem::Reserved));
        assert!(matches!(
            prefix_problem(&"p".repeat(1024)),
            Some(NameProblem::TooLong { max: 1023, .. })
        ));
    }

    #[test]
    fn attachment_names_fit_a_path_segment() {
        assert_eq!(attachment_name_problem("follow-sales.v2"), None);
        assert_eq!(
            attachment_name_problem("a/b"),
            Some(NameProblem::Character('/'))
        );
        assert_eq!(attachment_name_problem(""), Some(NameProblem::Empty));
        assert_eq!(
            attachment_name_problem(&"a".repeat(1 << 20)),
            Some(NameProblem::TooLong {
                chars: 1 << 20,
                max: 260
            })
        );
    }
}
