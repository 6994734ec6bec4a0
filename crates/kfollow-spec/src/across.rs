//! Rules across attachments: names unique per follower cluster, follower database names that
//! would collide, a leader database attached twice to one follower, and chained following.
//!
//! Every map is keyed by lower-cased names: ARM names (attachments, databases) are
//! case-insensitive. Each check is one pass with a hash map, so a manifest of 10,000
//! attachments costs milliseconds.

use std::collections::HashMap;

use kfollow_model::{DatabaseSelection, FollowerDatabaseName};

use crate::check::Checked;
use crate::diagnostic::Sink;

pub(crate) fn check(sink: &mut Sink, checked: &[Checked]) {
    names(sink, checked);
    follower_databases(sink, checked);
    chained(sink, checked);
}

/// Attachment names are unique per follower cluster, ignoring case.
fn names(sink: &mut Sink, checked: &[Checked]) {
    let mut seen: HashMap<(usize, String), &Checked> = HashMap::with_capacity(checked.len());
    for one in checked {
        let key = (one.follower_cluster, one.attachment.name.to_lowercase());
        if let Some(first) = seen.get(&key) {
            sink.error(
                "kfollow::duplicate-attachment",
                one.spec_name,
                format!(
                    "attachment name `{}` is used twice on follower `{}`",
                    one.attachment.name, one.attachment.follower
                ),
                "second attachment of this name",
            )
            .also("first here", first.spec_name)
            .help("attachment names are unique per follower cluster, ignoring case; rename one");
        } else {
            seen.insert(key, one);
        }
    }
}

/// Two attachments on one follower must not produce the same follower database name, and one
/// leader database is not attached twice to the same follower.
fn follower_databases(sink: &mut Sink, checked: &[Checked]) {
    // (follower, follower database name) → the attachment that produces it (single databases).
    let mut produced: HashMap<(usize, String), &Checked> = HashMap::with_capacity(checked.len());
    // (follower, leader, leader database) → the attachment that follows it (single databases).
    let mut followed: HashMap<(usize, usize, String), &Checked> =
        HashMap::with_capacity(checked.len());
    // (follower, leader) → the first single-database attachment between them.
    let mut first_single: HashMap<(usize, usize), &Checked> = HashMap::new();
    // (follower, leader) → the `"*"` attachment that follows every database of the leader.
    let mut all_of: HashMap<(usize, usize), &Checked> = HashMap::new();
    // (follower, prefix) → a `"*"` attachment whose names are prefix + every leader database.
    let mut all_prefixed: HashMap<(usize, String), &Checked> = HashMap::new();

    for one in checked {
        let a = &one.attachment;
        let follower = one.follower_cluster;
        let leader = one.leader_cluster;
        match &a.database {
            DatabaseSelection::One(database) => {
                let key = (follower, leader, database.to_lowercase());
                if let Some(first) = followed
                    .get(&key)
                    .or_else(|| all_of.get(&(follower, leader)))
                {
                    attached_twice(sink, one, first, database);
                    continue;
                }
                followed.insert(key, one);
                first_single.entry((follower, leader)).or_insert(one);
                let name = a.follower_database_name.apply(database);
                let key = (follower, name.to_lowercase());
                if let Some(first) = produced.get(&key) {
                    sink.error(
                        "kfollow::follower-database-collision",
                        one.follower_name_pos,
                        format!(
                            "attachments `{}` and `{}` both create follower database `{name}` on `{}`",
                            first.attachment.name, a.name, a.follower
                        ),
                        "second follower database of this name",
                    )
                    .also(format!("`{}` creates it here", first.attachment.name), first.follower_name_pos)
                    .help("set `databaseNameOverride` or `databaseNamePrefix` on one of them");
                } else {
                    produced.insert(key, one);
                }
            }
            DatabaseSelection::All => {
                if let Some(first) = all_of.get(&(follower, leader)) {
                    attached_twice(sink, one, first, "*");
                    continue;
                }
                if let Some(first) = first_single.get(&(follower, leader)) {
                    let database = first.attachment.database.as_arm().to_owned();
                    attached_twice(sink, one, first, &database);
                    continue;
                }
                all_of.insert((follower, leader), one);
                let prefix = a
                    .follower_database_name
                    .prefix()
                    .unwrap_or("")
                    .to_lowercase();
                let key = (follower, prefix);
                if let Some(first) = all_prefixed.get(&key) {
                    sink.error(
                        "kfollow::follower-database-collision",
                        one.follower_name_pos,
                        format!(
                            "attachments `{}` and `{}` follow every database of two leaders on `{}` under the same names",
                            first.attachment.name, a.name, a.follower
                        ),
                        "same names as another `\"*\"` attachment",
                    )
                    .also(format!("`{}` is here", first.attachment.name), first.follower_name_pos)
                    .help("give one of them a different `databaseNamePrefix`");
                } else {
                    all_prefixed.insert(key, one);
                }
            }
        }
    }
}

fn attached_twice(sink: &mut Sink, one: &Checked, first: &Checked, database: &str) {
    let what = if database == "*" {
        format!("the databases of `{}`", one.attachment.leader)
    } else {
        format!("database `{database}` of `{}`", one.attachment.leader)
    };
    sink.error(
        "kfollow::attached-twice",
        one.spec_database,
        format!(
            "{what} is attached twice to `{}` (attachments `{}` and `{}`)",
            one.attachment.follower, first.attachment.name, one.attachment.name
        ),
        "already followed",
    )
    .also(
        format!("`{}` follows it here", first.attachment.name),
        first.spec_database,
    )
    .help("a follower cluster follows a leader database once; merge the two attachments");
}

/// Following a database that is itself a follower database this manifest declares is refused: a
/// follower database is read-only and cannot lead
/// (<https://learn.microsoft.com/azure/data-explorer/follower>).
fn chained(sink: &mut Sink, checked: &[Checked]) {
    // (cluster, database name) → the attachment that makes it a follower database there.
    let mut follower_databases: HashMap<(usize, String), &Checked> =
        HashMap::with_capacity(checked.len());
    // cluster → `"*"` attachments with a prefix, whose names start with it.
    let mut prefixes: HashMap<usize, Vec<(String, &Checked)>> = HashMap::new();
    for one in checked {
        let a = &one.attachment;
        match (&a.database, &a.follower_database_name) {
            (DatabaseSelection::One(database), name) => {
                follower_databases.insert(
                    (one.follower_cluster, name.apply(database).to_lowercase()),
                    one,
                );
            }
            (DatabaseSelection::All, FollowerDatabaseName::Prefix(prefix)) => {
                prefixes
                    .entry(one.follower_cluster)
                    .or_default()
                    .push((prefix.to_lowercase(), one));
            }
            (DatabaseSelection::All, _) => {}
        }
    }
    for one in checked {
        let DatabaseSelection::One(database) = &one.attachment.database else {
            continue;
        };
        let lower = database.to_lowercase();
        let source = follower_databases
            .get(&(one.leader_cluster, lower.clone()))
            .copied()
            .or_else(|| {
                prefixes.get(&one.leader_cluster).and_then(|list| {
                    list.iter()
                        .find(|(prefix, _)| lower.starts_with(prefix.as_str()))
                        .map(|(_, by)| *by)
                })
            });
        if let Some(by) = source {
            sink.error(
                "kfollow::chained-following",
                one.spec_database,
                format!(
                    "`{database}` on `{}` is a follower database (attachment `{}`); it cannot be followed again",
                    one.attachment.leader, by.attachment.name
                ),
                "a follower database",
            )
            .also(format!("`{}` creates it here", by.attachment.name), by.follower_name_pos)
            .help(format!(
                "follow the original database on `{}` instead",
                by.attachment.leader
            ));
        }
    }
}
