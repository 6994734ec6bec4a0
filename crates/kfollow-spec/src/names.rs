//! The names of a manifest the service would refuse, each reported at its YAML node: Kusto
//! identifiers (database, follower database and table names, prefixes) and attachment names.
//! The rules themselves are the model's (`kfollow_model::names`).

use kfollow_model::names::{
    MAX_ENTITY_NAME_CHARS, NameProblem, attachment_name_problem, entity_name_problem,
    prefix_problem,
};

use crate::diagnostic::Sink;
use crate::manifest::At;
use crate::source::shown_name;

const IDENTIFIER_RULE: &str = "a Kusto name holds letters, digits, `_`, `.`, `-` and spaces \
    (https://learn.microsoft.com/kusto/query/schema-entities/entity-names)";

/// What kind of name is checked, for the message (`table name`, `database name`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// `databaseName`, or a key of `followerDatabases`.
    Database,
    /// `databaseNameOverride`.
    FollowerDatabase,
    /// `databaseNamePrefix`.
    Prefix,
    /// A key of `tables`.
    Table,
    /// A key of `materializedViews`.
    MaterializedView,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Database => "database name",
            Kind::FollowerDatabase => "follower database name",
            Kind::Prefix => "database name prefix",
            Kind::Table => "table name",
            Kind::MaterializedView => "materialized view name",
        }
    }
}

/// Checks a Kusto name; reports it and answers false when the service would refuse it.
pub(crate) fn kusto_name(sink: &mut Sink, kind: Kind, name: &At<String>) -> bool {
    let problem = match kind {
        Kind::Prefix => prefix_problem(&name.value),
        _ => entity_name_problem(&name.value),
    };
    let Some(problem) = problem else {
        return true;
    };
    let help = match problem {
        NameProblem::Empty | NameProblem::Character(_) => IDENTIFIER_RULE.to_owned(),
        NameProblem::TooLong { .. } => match kind {
            Kind::Prefix | Kind::FollowerDatabase => format!(
                "a Kusto name holds 1 to {MAX_ENTITY_NAME_CHARS} characters, the prefix included"
            ),
            _ => format!("a Kusto name holds 1 to {MAX_ENTITY_NAME_CHARS} characters"),
        },
        NameProblem::Reserved => "rename it: Kusto keeps the names that start or end with \
            `__` for itself"
            .to_owned(),
    };
    report(sink, kind.noun(), name, &problem).help(help);
    false
}

/// Checks an attachment name; reports it and answers false when ARM would refuse it.
pub(crate) fn attachment_name(sink: &mut Sink, name: &At<String>) -> bool {
    let Some(problem) = attachment_name_problem(&name.value) else {
        return true;
    };
    let help = match problem {
        NameProblem::TooLong { max, .. } => {
            format!("the name is one segment of the ARM request path; keep it to {max} characters")
        }
        _ => "use letters, digits, `-`, `_` and `.`; not `/`, `?`, `#`, `%`, `\\` or control \
            characters"
            .to_owned(),
    };
    report(sink, "attachment name", name, &problem).help(help);
    false
}

fn report<'s>(
    sink: &'s mut Sink,
    noun: &str,
    name: &At<String>,
    problem: &NameProblem,
) -> &'s mut crate::diagnostic::Diagnostic {
    let message = match problem {
        NameProblem::Empty => {
            let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {noun} must not be empty")
        }
        other => format!("{noun} `{}` {other}", shown_name(&name.value)),
    };
    sink.error("kfollow::bad-name", name.pos, message, "not a valid name")
}
