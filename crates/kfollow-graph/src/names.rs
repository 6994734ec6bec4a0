//! What a change frees and claims on a follower cluster: attachment names and follower
//! database names, read from its operations (and, for a detach, the attributes it shows). A
//! wait for an operation already running claims what an attach claims, or, for a detach,
//! frees what a detach frees.

use kfollow_model::{AttachmentBody, Change, ClusterId, FollowerDatabaseName, Operation};

/// A set of follower database names, lower-cased (database names are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Names {
    /// One name.
    Exact(String),
    /// Every name that starts with this (`"*"` with a prefix, or unknown names: `""`).
    Prefix(String),
}

impl Names {
    /// True when a name may be in both sets.
    pub(crate) fn overlaps(&self, other: &Names) -> bool {
        match (self, other) {
            (Names::Exact(a), Names::Exact(b)) => a == b,
            (Names::Exact(name), Names::Prefix(prefix))
            | (Names::Prefix(prefix), Names::Exact(name)) => name.starts_with(prefix.as_str()),
            (Names::Prefix(a), Names::Prefix(b)) => {
                a.starts_with(b.as_str()) || b.starts_with(a.as_str())
            }
        }
    }

    /// The names an attachment with these properties produces.
    fn of(database_name: &str, naming: &FollowerDatabaseName) -> Names {
        let names = if database_name == "*" {
            Names::Prefix(naming.prefix().unwrap_or_default().to_owned())
        } else {
            Names::Exact(naming.apply(database_name))
        };
        names.lower()
    }

    fn lower(self) -> Names {
        match self {
            Names::Exact(n) => Names::Exact(n.to_lowercase()),
            Names::Prefix(p) => Names::Prefix(p.to_lowercase()),
        }
    }

    /// Any name at all: what is freed when the diff could not say which.
    fn any() -> Names {
        Names::Prefix(String::new())
    }
}

fn naming(override_name: Option<&str>, prefix: Option<&str>) -> FollowerDatabaseName {
    match (
        override_name.filter(|s| !s.is_empty()),
        prefix.filter(|s| !s.is_empty()),
    ) {
        (Some(name), _) => FollowerDatabaseName::Override(name.to_owned()),
        (None, Some(prefix)) => FollowerDatabaseName::Prefix(prefix.to_owned()),
        (None, None) => FollowerDatabaseName::Same,
    }
}

fn body_names(body: &AttachmentBody) -> Names {
    Names::of(
        &body.database_name,
        &naming(
            body.database_name_override.as_deref(),
            body.database_name_prefix.as_deref(),
        ),
    )
}

/// An attachment a change makes on a follower cluster.
pub(crate) struct Claim<'a> {
    pub(crate) cluster: &'a ClusterId,
    pub(crate) attachment: &'a str,
    pub(crate) databases: Names,
}

/// An attachment a change removes from a follower cluster.
pub(crate) struct Release<'a> {
    pub(crate) cluster: &'a ClusterId,
    pub(crate) attachment: &'a str,
    pub(crate) databases: Names,
}

/// A follower database whose settings a change writes.
pub(crate) struct Setting<'a> {
    pub(crate) cluster: &'a ClusterId,
    pub(crate) database: String,
}

pub(crate) fn claims(change: &Change) -> Vec<Claim<'_>> {
    change
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::PutAttachment {
                follower,
                name,
                body,
            } => Some(Claim {
                cluster: follower,
                attachment: name,
                databases: body_names(body),
            }),
            // An attach (or update) already running: its follower databases come when it ends.
            Operation::AwaitAttachment {
                follower,
                name,
                live,
                ..
            } if !op.awaits_removal() => Some(Claim {
                cluster: follower,
                attachment: name,
                databases: body_names(live),
            }),
            _ => None,
        })
        .collect()
}

/// The value an attachment had before the change: the shown attribute's `before`, else (an
/// unchanged attribute is hidden) the value the change's own PUT sends again.
fn before(change: &Change, attribute: &str, put: Option<&AttachmentBody>) -> Option<String> {
    match change.attributes.iter().find(|a| a.name == attribute) {
        Some(shown) => shown
            .before
            .as_ref()
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        None => put.and_then(|body| match attribute {
            "databaseName" => Some(body.database_name.clone()),
            "databaseNameOverride" => body.database_name_override.clone(),
            "databaseNamePrefix" => body.database_name_prefix.clone(),
            _ => None,
        }),
    }
}

pub(crate) fn releases(change: &Change) -> Vec<Release<'_>> {
    let put = change.operations.iter().find_map(|op| match op {
        Operation::PutAttachment { body, .. } => Some(body),
        _ => None,
    });
    let freed = || match before(change, "databaseName", put) {
        Some(database) => Names::of(
            &database,
            &naming(
                before(change, "databaseNameOverride", put).as_deref(),
                before(change, "databaseNamePrefix", put).as_deref(),
            ),
        ),
        None => Names::any(),
    };
    change
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::DeleteAttachment { follower, name } => Some(Release {
                cluster: follower,
                attachment: name,
                databases: freed(),
            }),
            // A detach already running frees what the attachment held when it ends.
            Operation::AwaitAttachment {
                follower,
                name,
                live,
                ..
            } if op.awaits_removal() => Some(Release {
                cluster: follower,
                attachment: name,
                databases: body_names(live),
            }),
            // The leader does not know how the follower named its database.
            Operation::DetachFollower {
                follower,
                attachment_name,
                ..
            } => Some(Release {
                cluster: follower,
                attachment: attachment_name,
                databases: Names::any(),
            }),
            _ => None,
        })
        .collect()
}

pub(crate) fn settings(change: &Change) -> Vec<Setting<'_>> {
    change
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::KustoCommand {
                cluster, database, ..
            } => Some(Setting {
                cluster,
                database: database.to_lowercase(),
            }),
            Operation::PutFollowerHotCache {
                follower, database, ..
            } => Some(Setting {
                cluster: follower,
                database: database.to_lowercase(),
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_sets_overlap() {
        let exact = |s: &str| Names::Exact(s.into());
        let prefix = |s: &str| Names::Prefix(s.into());
        assert!(exact("sales").overlaps(&exact("sales")));
        assert!(!exact("sales").overlaps(&exact("salesemea")));
        assert!(prefix("emea_").overlaps(&exact("emea_sales")));
        assert!(!prefix("emea_").overlaps(&exact("sales")));
        assert!(prefix("e").overlaps(&prefix("emea_")));
        assert!(Names::any().overlaps(&exact("x")));
    }

    #[test]
    fn names_ignore_case() {
        let naming = FollowerDatabaseName::Override("SalesEmea".into());
        assert_eq!(
            Names::of("Sales", &naming),
            Names::Exact("salesemea".into())
        );
        let naming = FollowerDatabaseName::Prefix("Emea_".into());
        assert_eq!(Names::of("*", &naming), Names::Prefix("emea_".into()));
    }
}
