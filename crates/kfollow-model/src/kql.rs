//! The follower management commands kfollow sends, with Kusto quoting: the changes
//! `kfollow-diff` plans and the `.show` `kfollow-state` reads with.
//!
//! Every command follows the grammar of
//! <https://learn.microsoft.com/kusto/management/cluster-follower>; names are quoted per
//! <https://learn.microsoft.com/kusto/query/schema-entities/entity-names> (bare when they are plain
//! identifiers, `['…']` otherwise) and principals and notes are string literals.

use crate::{CachingPoliciesModificationKind, PrincipalsModificationKind, Role, Timespan};

/// Words a bare identifier must not be: KQL keywords and literals, and the words of the follower
/// commands themselves. Quoting one of these is always correct, so the list errs on the long side
/// (<https://learn.microsoft.com/kusto/query/schema-entities/entity-names>, "Avoid naming
/// identifiers as language keywords or literals").
const RESERVED: &[&str] = &[
    "access",
    "add",
    "admins",
    "alias",
    "alter",
    "and",
    "as",
    "asc",
    "between",
    "bool",
    "boolean",
    "by",
    "caching",
    "cluster",
    "consume",
    "contains",
    "count",
    "database",
    "databases",
    "datatable",
    "date",
    "datetime",
    "decimal",
    "declare",
    "default",
    "delete",
    "desc",
    "distinct",
    "double",
    "drop",
    "dynamic",
    "evaluate",
    "extend",
    "external_table",
    "externaldata",
    "false",
    "facet",
    "filter",
    "find",
    "follower",
    "fork",
    "from",
    "function",
    "guid",
    "has",
    "hot",
    "in",
    "int",
    "int64",
    "invoke",
    "join",
    "kind",
    "let",
    "limit",
    "long",
    "lookup",
    "macro-expand",
    "make-series",
    "materialize",
    "monitors",
    "mv-apply",
    "mv-expand",
    "none",
    "not",
    "null",
    "of",
    "on",
    "or",
    "order",
    "parse",
    "partition",
    "policy",
    "print",
    "project",
    "range",
    "real",
    "reduce",
    "render",
    "replace",
    "restrict",
    "sample",
    "scan",
    "search",
    "serialize",
    "set",
    "show",
    "sort",
    "string",
    "summarize",
    "table",
    "tables",
    "take",
    "time",
    "timespan",
    "to",
    "top",
    "toscalar",
    "true",
    "typeof",
    "union",
    "unrestrictedviewers",
    "users",
    "viewers",
    "where",
    "with",
];

/// A Kusto entity name as a command takes it: bare when it is a plain identifier (letters,
/// digits and `_`, not starting with a digit, not a keyword), else `['name']`.
///
/// ```
/// use kfollow_model::kql::quote_name;
/// assert_eq!(quote_name("Sales"), "Sales");
/// assert_eq!(quote_name("sales-emea"), "['sales-emea']");
/// assert_eq!(quote_name("where"), "['where']");
/// ```
pub fn quote_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("[{}]", string_literal(name))
    }
}

/// A Kusto string literal: `'text'`, escaped as
/// [the string data type](https://learn.microsoft.com/kusto/query/scalar-data-types/string)
/// documents it and nothing more: `\\` and `\'` for the backslash and the quote, `\n`, `\r`
/// and `\t`. Those are the only escapes Kusto documents (no `\uXXXX`), and newline and return
/// are the only characters a literal cannot hold unescaped; any other character is written
/// as it is.
///
/// ```
/// use kfollow_model::kql::string_literal;
/// assert_eq!(string_literal("it's"), r"'it\'s'");
/// assert_eq!(string_literal("a\r\nb"), r"'a\r\nb'");
/// ```
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn quote_list<S: AsRef<str>>(items: &[S], quote: fn(&str) -> String) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    format!("({})", quoted.join(", "))
}

fn head(database: &str) -> String {
    format!(".alter follower database {}", quote_name(database))
}

/// `.show follower databases (A, B, …)`: the settings of the named follower databases.
pub fn show_follower_databases<S: AsRef<str>>(databases: &[S]) -> String {
    let names: Vec<String> = databases.iter().map(|d| quote_name(d.as_ref())).collect();
    format!(".show follower databases ({})", names.join(", "))
}

/// `.show tables details`: every table of the request's database
/// (<https://learn.microsoft.com/kusto/management/show-table-details-command>).
pub const SHOW_TABLES_DETAILS: &str = ".show tables details";

/// `.show materialized-views`: every materialized view of the request's database
/// (<https://learn.microsoft.com/kusto/management/materialized-views/materialized-view-show-command>).
pub const SHOW_MATERIALIZED_VIEWS: &str = ".show materialized-views";

/// `.show external tables`: every external table of the request's database
/// (<https://learn.microsoft.com/kusto/management/show-external-tables>).
pub const SHOW_EXTERNAL_TABLES: &str = ".show external tables";

/// `.show functions`: every stored function of the request's database
/// (<https://learn.microsoft.com/kusto/management/show-function>).
pub const SHOW_FUNCTIONS: &str = ".show functions";

/// `.show database <db> principals`: every principal of a database, with its display name and
/// object id (<https://learn.microsoft.com/kusto/management/manage-database-security-roles>).
pub fn show_database_principals(database: &str) -> String {
    format!(".show database {} principals", quote_name(database))
}

/// `.alter follower database <db> policy caching hot = <span>`
pub fn alter_database_caching(database: &str, hot: Timespan) -> String {
    format!(
        "{} policy caching hot = {}",
        head(database),
        hot.to_literal()
    )
}

/// `.delete follower database <db> policy caching`
pub fn delete_database_caching(database: &str) -> String {
    format!(
        ".delete follower database {} policy caching",
        quote_name(database)
    )
}

/// Which kind of entity a caching override is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A table (`table` / `tables`).
    Table,
    /// A materialized view (`materialized-view` / `materialized-views`).
    MaterializedView,
}

impl Entity {
    fn keyword(self, many: bool) -> &'static str {
        match (self, many) {
            (Entity::Table, false) => "table",
            (Entity::Table, true) => "tables",
            (Entity::MaterializedView, false) => "materialized-view",
            (Entity::MaterializedView, true) => "materialized-views",
        }
    }
}

/// `table <t>` for one name, `tables (<a>, <b>)` for several.
fn entities<S: AsRef<str>>(entity: Entity, names: &[S]) -> String {
    match names {
        [one] => format!("{} {}", entity.keyword(false), quote_name(one.as_ref())),
        many => format!("{} {}", entity.keyword(true), quote_list(many, quote_name)),
    }
}

/// `.alter follower database <db> table <t> policy caching hot = <span>`, or `tables (…)` /
/// `materialized-view` / `materialized-views` for the other shapes.
pub fn alter_entity_caching<S: AsRef<str>>(
    database: &str,
    entity: Entity,
    names: &[S],
    hot: Timespan,
) -> String {
    format!(
        "{} {} policy caching hot = {}",
        head(database),
        entities(entity, names),
        hot.to_literal()
    )
}

/// `.delete follower database <db> table <t> policy caching` and its other shapes.
pub fn delete_entity_caching<S: AsRef<str>>(database: &str, entity: Entity, names: &[S]) -> String {
    format!(
        ".delete follower database {} {} policy caching",
        quote_name(database),
        entities(entity, names)
    )
}

/// `.add follower database <db> <role> ('<principal>', …) ['<notes>']`
pub fn add_principals<S: AsRef<str>>(
    database: &str,
    role: Role,
    principals: &[S],
    notes: Option<&str>,
) -> String {
    let mut command = format!(
        ".add follower database {} {} {}",
        quote_name(database),
        role.command_name(),
        quote_list(principals, string_literal)
    );
    if let Some(notes) = notes {
        command.push(' ');
        command.push_str(&string_literal(notes));
    }
    command
}

/// `.drop follower database <db> <role> ('<principal>', …)`
pub fn drop_principals<S: AsRef<str>>(database: &str, role: Role, principals: &[S]) -> String {
    format!(
        ".drop follower database {} {} {}",
        quote_name(database),
        role.command_name(),
        quote_list(principals, string_literal)
    )
}

/// `.alter follower database <db> principals-modification-kind = union|replace|none`
pub fn alter_principals_modification_kind(
    database: &str,
    kind: PrincipalsModificationKind,
) -> String {
    format!(
        "{} principals-modification-kind = {}",
        head(database),
        kind.as_str().to_ascii_lowercase()
    )
}

/// `.alter follower database <db> caching-policies-modification-kind = union|replace|none`
pub fn alter_caching_policies_modification_kind(
    database: &str,
    kind: CachingPoliciesModificationKind,
) -> String {
    format!(
        "{} caching-policies-modification-kind = {}",
        head(database),
        kind.as_str().to_ascii_lowercase()
    )
}

/// `.alter follower database <db> prefetch-extents = true|false`
pub fn alter_prefetch_extents(database: &str, enabled: bool) -> String {
    format!("{} prefetch-extents = {enabled}", head(database))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(quote_name("MyDb"), "MyDb");
        assert_eq!(quote_name("_private"), "_private");
        assert_eq!(quote_name("Logs2026"), "Logs2026");
        assert_eq!(quote_name("name with-dash"), "['name with-dash']");
        assert_eq!(quote_name("a.b"), "['a.b']");
        assert_eq!(quote_name("1day"), "['1day']");
        assert_eq!(quote_name("table"), "['table']");
        assert_eq!(quote_name("Table"), "Table");
        // Words of the follower grammar itself (`= none`, `= replace`).
        assert_eq!(quote_name("none"), "['none']");
        assert_eq!(quote_name("replace"), "['replace']");
        assert_eq!(quote_name(""), "['']");
    }

    #[test]
    fn string_literals_escape() {
        assert_eq!(string_literal("plain"), "'plain'");
        assert_eq!(string_literal(r"a\b"), r"'a\\b'");
        assert_eq!(string_literal("x'y"), r"'x\'y'");
        assert_eq!(string_literal("l1\nl2"), r"'l1\nl2'");
        // No `\uXXXX`: Kusto documents none; other control characters go as they are.
        assert_eq!(string_literal("bell\u{7}"), "'bell\u{7}'");
        assert_eq!(string_literal("a\r\tb"), r"'a\r\tb'");
    }

    #[test]
    fn commands_follow_the_documented_grammar() {
        let week = Timespan::from_days(7);
        assert_eq!(
            alter_database_caching("MyDb", week),
            ".alter follower database MyDb policy caching hot = 7d"
        );
        assert_eq!(
            delete_database_caching("MyDB"),
            ".delete follower database MyDB policy caching"
        );
        assert_eq!(
            alter_entity_caching("MyDb", Entity::Table, &["Table1", "Table2"], week),
            ".alter follower database MyDb tables (Table1, Table2) policy caching hot = 7d"
        );
        assert_eq!(
            alter_entity_caching("MyDb", Entity::MaterializedView, &["View1"], week),
            ".alter follower database MyDb materialized-view View1 policy caching hot = 7d"
        );
        assert_eq!(
            delete_entity_caching("MyDB", Entity::MaterializedView, &["View1", "View2"]),
            ".delete follower database MyDB materialized-views (View1, View2) policy caching"
        );
        assert_eq!(
            delete_entity_caching("MyDB", Entity::Table, &["T-1"]),
            ".delete follower database MyDB table ['T-1'] policy caching"
        );
        assert_eq!(
            add_principals(
                "MyDB",
                Role::Viewers,
                &["aadgroup=mygroup@microsoft.com"],
                Some("My Group")
            ),
            ".add follower database MyDB viewers ('aadgroup=mygroup@microsoft.com') 'My Group'"
        );
        assert_eq!(
            drop_principals(
                "my-db",
                Role::Viewers,
                &["aadgroup=a@x.com", "aaduser=b@x.com"]
            ),
            ".drop follower database ['my-db'] viewers ('aadgroup=a@x.com', 'aaduser=b@x.com')"
        );
        assert_eq!(
            alter_principals_modification_kind("MyDB", PrincipalsModificationKind::Union),
            ".alter follower database MyDB principals-modification-kind = union"
        );
        assert_eq!(
            alter_caching_policies_modification_kind(
                "MyDB",
                CachingPoliciesModificationKind::Replace
            ),
            ".alter follower database MyDB caching-policies-modification-kind = replace"
        );
        assert_eq!(
            alter_prefetch_extents("MyDB", false),
            ".alter follower database MyDB prefetch-extents = false"
        );
    }
}
