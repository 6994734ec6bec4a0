//! One change as a block of lines, in Terraform's visual grammar:
//!
//! ```text
//!   # attachment.emea/sales will be updated in place
//!   ~ attachment "emea/sales" {
//!       ~ defaultPrincipalsModificationKind = "Union" -> "Replace"
//!         # (4 unchanged attributes hidden)
//!     }
//! ```
//!
//! followed, for changes that send management commands or ARM requests that the block does not
//! already spell out, by those requests verbatim: a user approves exactly what is sent.

use kfollow_model::{Action, Address, Change, Operation};
use serde_json::json;

use crate::lines::{Line, Marker, Style};
use crate::value::{self, Entry};

/// Column of the `# address will …` comment lines.
const COMMENT_COL: usize = 2;
/// Content column of the block's first line (`attachment "emea/sales" {`).
const HEADER_COL: usize = 4;
/// Content column of the block's attributes.
const ATTRIBUTE_COL: usize = 8;
/// Content column of the requests listed under a heading.
const REQUEST_COL: usize = 6;

/// The block for one change, without a trailing blank line.
pub(crate) fn change_lines(change: &Change) -> Vec<Line> {
    let mut out = Vec::new();
    comment_lines(&mut out, change);

    let (kind, name) = split_address(&change.address);
    let marker = Marker::for_action(change.action);
    out.push(Line::marked(
        HEADER_COL,
        Some(marker),
        format!("{kind} {} {{", value::quote(&name)),
    ));

    let width = change
        .attributes
        .iter()
        .map(|attribute| attribute.name.chars().count())
        .max()
        .unwrap_or(0);
    for attribute in &change.attributes {
        let note = attribute
            .forces_replacement
            .then(|| (Style::Remove, " # forces replacement".to_owned()));
        let entry = Entry {
            label: format!("{:<width$} = ", attribute.name),
            before: attribute.before.as_ref(),
            after: attribute.after.as_ref(),
            note,
        };
        value::entry_lines(&mut out, ATTRIBUTE_COL, entry, false);
    }
    if change.unchanged_attributes > 0 {
        out.push(Line::plain(
            ATTRIBUTE_COL,
            value::hidden(change.unchanged_attributes, "attribute"),
        ));
    }
    out.push(Line::plain(HEADER_COL, "}"));
    request_lines(&mut out, &change.operations);
    out
}

/// The kind and the name of an address, as the block header shows them:
/// `attachment.emea/sales` → (`attachment`, `emea/sales`).
pub(crate) fn split_address(address: &Address) -> (&'static str, String) {
    match address {
        Address::Attachment { follower, name } => ("attachment", format!("{follower}/{name}")),
        Address::FollowerDatabase { follower, database } => {
            ("follower_database", format!("{follower}/{database}"))
        }
        Address::LeaderFollower {
            leader,
            follower,
            name,
        } => ("leader_follower", format!("{leader}/{follower}/{name}")),
    }
}

/// What the change does, as the sentence after the address (`will be attached`).
pub(crate) fn verb(change: &Change) -> &'static str {
    match (&change.address, change.action) {
        (Address::LeaderFollower { .. }, Action::Detach) => "will be detached by its leader",
        (Address::FollowerDatabase { .. }, Action::Attach) => "will be configured",
        (_, Action::Attach) => "will be attached",
        (_, Action::Update) => "will be updated in place",
        (_, Action::Replace) => "must be replaced",
        (_, Action::Detach) => "will be detached",
    }
}

/// Why a destructive change hurts, in one parenthesised sentence.
pub(crate) fn consequence(change: &Change) -> Option<&'static str> {
    match (&change.address, change.action) {
        (_, Action::Replace) => {
            Some("(the follower database is unavailable between detach and attach)")
        }
        (Address::LeaderFollower { .. }, Action::Detach) => {
            Some("(the follower cluster loses this follower database; its queries fail)")
        }
        (_, Action::Detach) => Some("(the follower database disappears from the follower cluster)"),
        _ => None,
    }
}

fn comment_lines(out: &mut Vec<Line>, change: &Change) {
    let mut first = format!("# {} {}", change.address, verb(change));
    if let Some(reason) = &change.reason {
        first.push_str(": ");
        first.push_str(reason);
    }
    out.push(Line::styled(COMMENT_COL, Style::Bold, first));
    if let Some(consequence) = consequence(change) {
        out.push(Line::styled(
            COMMENT_COL,
            Style::Danger,
            format!("# {consequence}"),
        ));
    }
}

/// The requests the block does not spell out, grouped under a heading per target. The ARM
/// PUT and DELETE of an attachment are what the `+`/`-` block itself says, so they are not
/// repeated; everything else is shown as sent.
fn request_lines(out: &mut Vec<Line>, operations: &[Operation]) {
    let mut heading = String::new();
    for operation in operations {
        let (next_heading, texts) = match operation {
            Operation::PutAttachment { .. } | Operation::DeleteAttachment { .. } => continue,
            Operation::AwaitAttachment {
                follower,
                name,
                provisioning_state,
                ..
            } => {
                let until = if operation.awaits_removal() {
                    "it is gone".to_owned()
                } else {
                    format!("it is no longer `{provisioning_state}`")
                };
                (
                    format!(
                        "Waits on cluster {} for the operation already running (writes nothing):",
                        follower.name()
                    ),
                    vec![format!(
                        "GET attachedDatabaseConfigurations/{name} until {until}"
                    )],
                )
            }
            Operation::KustoCommand {
                cluster,
                database,
                csl,
            } => (
                format!(
                    "Kusto commands sent to cluster {}, database {}:",
                    cluster.name(),
                    database
                ),
                csl.lines().map(str::to_owned).collect::<Vec<_>>(),
            ),
            Operation::PutFollowerHotCache {
                follower,
                database,
                location,
                hot_cache_period,
            } => {
                let body = json!({
                    "location": location,
                    "kind": "ReadOnlyFollowing",
                    "properties": { "hotCachePeriod": hot_cache_period.to_iso8601() },
                });
                (
                    format!("ARM requests sent to cluster {}:", follower.name()),
                    vec![format!("PUT databases/{database} {body}")],
                )
            }
            Operation::DetachFollower {
                leader,
                follower,
                attachment_name,
            } => {
                let body = json!({
                    "clusterResourceId": follower.to_string(),
                    "attachedDatabaseConfigurationName": attachment_name,
                });
                (
                    format!("ARM requests sent to leader cluster {}:", leader.name()),
                    vec![format!("POST detachFollowerDatabases {body}")],
                )
            }
        };
        if next_heading != heading {
            out.push(Line::styled(HEADER_COL, Style::Bold, next_heading.clone()));
            heading = next_heading;
        }
        out.extend(texts.into_iter().map(|text| Line::plain(REQUEST_COL, text)));
    }
}
