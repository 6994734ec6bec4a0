//! The access review (`kfollow access`) for people and for programs: terminal text, a markdown
//! report, versioned JSON and CSV for a spreadsheet. Pure: an [`AccessReview`] in, a `String`
//! out. The JSON and CSV forms are documented in `docs/audit.md`.

use std::borrow::Cow;
use std::fmt::Write as _;

use kfollow_model::{AccessReview, DatabaseAccess, PrincipalAccess};
use serde_json::{Value, json};

use crate::inert::inert;
use crate::markdown::{code, escape};

/// The version of the access review's JSON form.
pub const ACCESS_JSON_FORMAT_VERSION: &str = "1";

/// What a reviewer reads beside a principal that comes from nowhere the manifest explains.
const UNEXPLAINED: &str =
    "unexplained: not in the manifest, and neither from the leader nor an override";

/// The review as terminal text: one table per follower database, `!` before a principal a
/// reviewer must look at, then the warnings and a count.
pub fn render_access_text(review: &AccessReview) -> String {
    let mut out = String::new();
    for database in &review.databases {
        let _ = writeln!(out, "{}", heading(database));
        let rows: Vec<[String; 4]> = database
            .principals
            .iter()
            .map(|p| {
                [
                    p.role.to_string(),
                    inert(&p.display).into_owned(),
                    inert(&p.principal).into_owned(),
                    if p.unexplained {
                        let from = origins(p);
                        if from.is_empty() {
                            UNEXPLAINED.to_owned()
                        } else {
                            format!("{from}; {UNEXPLAINED}")
                        }
                    } else {
                        origins(p)
                    },
                ]
            })
            .collect();
        if rows.is_empty() {
            out.push_str("  nobody can query it\n\n");
            continue;
        }
        let header = ["role", "display name", "principal", "origin"].map(str::to_owned);
        let widths: Vec<usize> = (0..4)
            .map(|i| {
                std::iter::once(&header)
                    .chain(&rows)
                    .map(|row| row[i].chars().count())
                    .max()
                    .unwrap_or_default()
            })
            .collect();
        let line = |out: &mut String, marker: &str, row: &[String; 4]| {
            let _ = write!(out, "{marker} ");
            for (i, cell) in row.iter().enumerate() {
                if i == 3 {
                    let _ = write!(out, "{cell}");
                } else {
                    let _ = write!(out, "{cell:<width$}  ", width = widths[i]);
                }
            }
            out.push('\n');
        };
        line(&mut out, " ", &header);
        for (row, principal) in rows.iter().zip(&database.principals) {
            line(&mut out, if principal.unexplained { "!" } else { " " }, row);
        }
        out.push('\n');
    }
    for warning in &review.warnings {
        let _ = writeln!(out, "Warning: {}", inert(warning));
    }
    if !review.warnings.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", count(review));
    out
}

/// The review as a markdown report: a summary table, then a table per follower database.
pub fn render_access_markdown(review: &AccessReview) -> String {
    let mut out = String::from("## Access review\n\n");
    let _ = writeln!(out, "{}\n", count(review));
    if review.unexplained() > 0 {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> {} principal{} can query a follower database though the manifest does not declare them and they come from neither the leader nor an override.\n",
            review.unexplained(),
            if review.unexplained() == 1 { "" } else { "s" }
        );
    }
    if !review.databases.is_empty() {
        out.push_str(
            "| follower database | follows | principals modification kind | principals | unexplained |\n|---|---|---|---|---|\n",
        );
        for database in &review.databases {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&address(database)),
                code(&format!(
                    "{}/{}",
                    database.of.leader, database.of.leader_database
                )),
                database.of.principals_modification_kind.as_str(),
                database.principals.len(),
                database.principals.iter().filter(|p| p.unexplained).count()
            );
        }
        out.push('\n');
    }
    for database in &review.databases {
        let _ = writeln!(out, "### {}\n", code(&address(database)));
        let _ = writeln!(
            out,
            "Follows {} through the attachment {}; principals modification kind `{}`.\n",
            code(&format!(
                "{}/{}",
                database.of.leader, database.of.leader_database
            )),
            code(&database.of.attachment),
            database.of.principals_modification_kind.as_str()
        );
        if database.principals.is_empty() {
            out.push_str("Nobody can query it.\n\n");
            continue;
        }
        out.push_str("| role | display name | principal | origin |\n|---|---|---|---|\n");
        for p in &database.principals {
            let display = escape(&p.display);
            let origin = origins(p);
            let (display, origin) = if p.unexplained {
                (
                    format!("⚠️ **{display}**"),
                    if origin.is_empty() {
                        format!("**{UNEXPLAINED}**")
                    } else {
                        format!("{origin}; **{UNEXPLAINED}**")
                    },
                )
            } else {
                (display, origin)
            };
            let _ = writeln!(
                out,
                "| {} | {display} | {} | {origin} |",
                p.role,
                code(&p.principal)
            );
        }
        out.push('\n');
    }
    for warning in &review.warnings {
        let _ = writeln!(out, "- ⚠️ {}", escape(warning));
    }
    out
}

/// The review as a JSON value; see `docs/audit.md`.
pub fn access_json(review: &AccessReview) -> Value {
    let databases: Vec<Value> = review
        .databases
        .iter()
        .map(|d| {
            json!({
                "follower": d.of.follower,
                "database": d.of.database,
                "attachment": d.of.attachment,
                "leader": d.of.leader,
                "leader_database": d.of.leader_database,
                "principals_modification_kind": d.of.principals_modification_kind.as_str(),
                "principals": d.principals.iter().map(|p| json!({
                    "role": p.role.manifest_name(),
                    "principal": p.principal,
                    "display": p.display,
                    "origin": p.origin.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
                    "declared": p.declared,
                    "unexplained": p.unexplained,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "format_version": ACCESS_JSON_FORMAT_VERSION,
        "summary": {
            "databases": review.databases.len(),
            "principals": review.principals().count(),
            "unexplained": review.unexplained(),
        },
        "databases": databases,
        "warnings": review.warnings,
    })
}

/// [`access_json`] pretty-printed, ending in a newline.
pub fn render_access_json(review: &AccessReview) -> String {
    let mut text =
        serde_json::to_string_pretty(&access_json(review)).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

/// The columns of [`render_access_csv`].
pub const ACCESS_CSV_COLUMNS: [&str; 12] = [
    "follower",
    "database",
    "attachment",
    "leader",
    "leader_database",
    "principals_modification_kind",
    "role",
    "principal",
    "display",
    "origin",
    "declared",
    "unexplained",
];

/// The review as CSV (RFC 4180, CRLF line ends): a header, then one row per principal of each
/// follower database. `origin` joins the origins with `;`; `declared` is empty when it cannot be
/// told. A cell that a spreadsheet would
/// read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) starts
/// with `'` instead, so opening the file cannot run anything.
pub fn render_access_csv(review: &AccessReview) -> String {
    let mut out = String::new();
    let line = |out: &mut String, cells: &[&str]| {
        let cells: Vec<Cow<'_, str>> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(&mut out, &ACCESS_CSV_COLUMNS);
    for (d, p) in review.principals() {
        let origin = p
            .origin
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>()
            .join(";");
        line(
            &mut out,
            &[
                &d.of.follower,
                &d.of.database,
                &d.of.attachment,
                &d.of.leader,
                &d.of.leader_database,
                d.of.principals_modification_kind.as_str(),
                p.role.manifest_name(),
                &p.principal,
                &p.display,
                &origin,
                match p.declared {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "",
                },
                if p.unexplained { "true" } else { "false" },
            ],
        );
    }
    out
}

/// One CSV cell: quoted when it holds a comma, a quote or a line break (quotes doubled), and
/// never a formula.
fn csv_cell(text: &str) -> Cow<'_, str> {
    let text: Cow<'_, str> = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    if text.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        text
    }
}

fn address(database: &DatabaseAccess) -> String {
    format!(
        "follower_database.{}/{}",
        database.of.follower, database.of.database
    )
}

fn heading(database: &DatabaseAccess) -> String {
    inert(&format!(
        "{}: follows {}/{} through the attachment `{}`; principals modification kind `{}`",
        address(database),
        database.of.leader,
        database.of.leader_database,
        database.of.attachment,
        database.of.principals_modification_kind.as_str()
    ))
    .into_owned()
}

/// `leader, override`.
fn origins(principal: &PrincipalAccess) -> String {
    principal
        .origin
        .iter()
        .map(|o| o.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `2 follower databases, 7 principals, 1 unexplained.`
fn count(review: &AccessReview) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {}, {} unexplained.",
        plural(
            review.databases.len(),
            "follower database",
            "follower databases"
        ),
        plural(review.principals().count(), "principal", "principals"),
        review.unexplained()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("aaduser=a@b;c"), "aaduser=a@b;c");
    }
}
