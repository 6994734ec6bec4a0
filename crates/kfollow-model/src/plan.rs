//! Changes and plans: what `kfollow-diff` finds, `kfollow-graph` orders, the cli renders and
//! `kfollow-apply` executes.
//!
//! A [`Change`] carries both what the user reads (attributes before/after, the reason for a
//! replacement) and the exact [`Operation`]s that carry it out, so that apply never sends a
//! request the shown or saved plan does not contain.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    ClusterId, DELETING, DatabaseShareOrigin, PrincipalsModificationKind, SourceLocation,
    TableLevelSharing, Timespan,
};

/// The address of a managed thing, as the plan names it (`attachment.f1/sales`,
/// `follower_database.f1/Sales`, …).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Address {
    /// `attachment.<follower>/<name>`
    Attachment {
        /// Follower cluster alias.
        follower: String,
        /// Attachment name.
        name: String,
    },
    /// `follower_database.<follower>/<database>`
    FollowerDatabase {
        /// Follower cluster alias.
        follower: String,
        /// Follower database name.
        database: String,
    },
    /// `leader_follower.<leader>/<follower>/<name>`: an attachment seen from its leader.
    LeaderFollower {
        /// Leader cluster alias.
        leader: String,
        /// Follower cluster alias, or its cluster name when the manifest does not declare it.
        follower: String,
        /// Attachment name.
        name: String,
    },
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Attachment { follower, name } => write!(f, "attachment.{follower}/{name}"),
            Address::FollowerDatabase { follower, database } => {
                write!(f, "follower_database.{follower}/{database}")
            }
            Address::LeaderFollower {
                leader,
                follower,
                name,
            } => write!(f, "leader_follower.{leader}/{follower}/{name}"),
        }
    }
}

impl Address {
    /// The follower cluster the address is on: its alias (for a `leader_follower` address of a
    /// follower the manifest does not declare, the follower cluster's name).
    pub fn follower(&self) -> &str {
        match self {
            Address::Attachment { follower, .. }
            | Address::FollowerDatabase { follower, .. }
            | Address::LeaderFollower { follower, .. } => follower,
        }
    }
}

/// What a change does, in Terraform's grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `+` create an attachment.
    Attach,
    /// `~` change in place (attachment properties or follower database settings).
    Update,
    /// `-/+` detach, then attach again: the follower database is unavailable in between.
    Replace,
    /// `-` detach (follower side or leader side).
    Detach,
}

impl Action {
    /// The plan's marker: `+`, `~`, `-/+`, `-`.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Attach => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Detach => "-",
        }
    }

    /// True for actions that make a follower database unavailable.
    pub fn is_destructive(self) -> bool {
        matches!(self, Action::Replace | Action::Detach)
    }
}

/// One attribute of a change, before and after. Values are JSON so that lists and maps keep
/// their shape in every output form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// The attribute, with the manifest's key name (`databaseNameOverride`).
    pub name: String,
    /// The live value; `None` when absent.
    pub before: Option<Value>,
    /// The wanted value; `None` when it goes away.
    pub after: Option<Value>,
    /// True when this attribute is why the change is a replacement.
    pub forces_replacement: bool,
}

/// The body of an attachedDatabaseConfiguration PUT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentBody {
    /// The follower cluster's region.
    pub location: String,
    /// `clusterResourceId`: the leader.
    pub leader: ClusterId,
    /// `databaseName`.
    pub database_name: String,
    /// `databaseNameOverride`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_name_override: Option<String>,
    /// `databaseNamePrefix`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_name_prefix: Option<String>,
    /// `defaultPrincipalsModificationKind`.
    pub default_principals_modification_kind: PrincipalsModificationKind,
    /// `tableLevelSharingProperties`.
    pub table_level_sharing: TableLevelSharing,
}

/// One request that writes: the unit apply executes. Each takes the write lock of one
/// cluster ([`Operation::cluster`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
// A plan holds a few operations per change; boxing the attachment body would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Operation {
    /// PUT `…/attachedDatabaseConfigurations/{name}` on the follower cluster.
    PutAttachment {
        /// The follower cluster.
        follower: ClusterId,
        /// Attachment name.
        name: String,
        /// What to send.
        body: AttachmentBody,
    },
    /// DELETE `…/attachedDatabaseConfigurations/{name}` on the follower cluster.
    DeleteAttachment {
        /// The follower cluster.
        follower: ClusterId,
        /// Attachment name.
        name: String,
    },
    /// POST `…/detachFollowerDatabases` on the leader cluster.
    DetachFollower {
        /// The leader cluster.
        leader: ClusterId,
        /// The follower cluster (`clusterResourceId` of the body).
        follower: ClusterId,
        /// `attachedDatabaseConfigurationName` of the body.
        attachment_name: String,
    },
    /// PUT `…/databases/{database}` with `kind: ReadOnlyFollowing` and `hotCachePeriod`.
    PutFollowerHotCache {
        /// The follower cluster.
        follower: ClusterId,
        /// The follower database.
        database: String,
        /// The follower cluster's region.
        location: String,
        /// The new database-level hot cache period.
        hot_cache_period: Timespan,
    },
    /// Waits, writing nothing, for an operation that was already running on an attachment when
    /// the plan was made (its `provisioningState` was not final): GET
    /// `…/attachedDatabaseConfigurations/{name}` on the follower cluster until the state is
    /// final or, for a detach (`Deleting`), until the attachment is gone. It holds the follower
    /// cluster as a write does: the cluster is busy until that operation ends.
    AwaitAttachment {
        /// The follower cluster.
        follower: ClusterId,
        /// Attachment name.
        name: String,
        /// The `provisioningState` the plan saw (`Creating`, `Running`, `Deleting`, …).
        provisioning_state: String,
        /// The attachment as the plan saw it: the follower database names it makes or, being
        /// deleted, frees.
        live: AttachmentBody,
    },
    /// A management command sent to the follower cluster's `/v1/rest/mgmt`.
    KustoCommand {
        /// The follower cluster.
        cluster: ClusterId,
        /// The database in the request's `db` field.
        database: String,
        /// The command text.
        csl: String,
    },
}

impl Operation {
    /// True for a wait on a detach already running ([`Operation::AwaitAttachment`] of an
    /// attachment being deleted): it ends when the attachment is gone.
    pub fn awaits_removal(&self) -> bool {
        matches!(self, Operation::AwaitAttachment { provisioning_state, .. }
            if provisioning_state.eq_ignore_ascii_case(DELETING))
    }

    /// Its name in the documents kfollow writes for programs (the JSON plan, the apply
    /// record): `put_attachment`, `delete_attachment`, `detach_follower`,
    /// `put_follower_hot_cache`, `kusto_command`, `await_attachment`.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::PutAttachment { .. } => "put_attachment",
            Operation::DeleteAttachment { .. } => "delete_attachment",
            Operation::DetachFollower { .. } => "detach_follower",
            Operation::PutFollowerHotCache { .. } => "put_follower_hot_cache",
            Operation::KustoCommand { .. } => "kusto_command",
            Operation::AwaitAttachment { .. } => "await_attachment",
        }
    }

    /// The ARM request's method and path (a resource id, without the `api-version` the client
    /// adds); `None` for a management command, which is no ARM request.
    pub fn arm_request(&self) -> Option<(&'static str, String)> {
        match self {
            Operation::PutAttachment { follower, name, .. } => Some((
                "PUT",
                format!("{follower}/attachedDatabaseConfigurations/{name}"),
            )),
            Operation::DeleteAttachment { follower, name } => Some((
                "DELETE",
                format!("{follower}/attachedDatabaseConfigurations/{name}"),
            )),
            Operation::DetachFollower { leader, .. } => {
                Some(("POST", format!("{leader}/detachFollowerDatabases")))
            }
            Operation::PutFollowerHotCache {
                follower, database, ..
            } => Some(("PUT", format!("{follower}/databases/{database}"))),
            Operation::AwaitAttachment { follower, name, .. } => Some((
                "GET",
                format!("{follower}/attachedDatabaseConfigurations/{name}"),
            )),
            Operation::KustoCommand { .. } => None,
        }
    }

    /// The cluster this operation writes to.
    pub fn cluster(&self) -> &ClusterId {
        match self {
            Operation::PutAttachment { follower, .. }
            | Operation::DeleteAttachment { follower, .. }
            | Operation::AwaitAttachment { follower, .. }
            | Operation::PutFollowerHotCache { follower, .. } => follower,
            Operation::DetachFollower { leader, .. } => leader,
            Operation::KustoCommand { cluster, .. } => cluster,
        }
    }
}

/// One change of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What it changes.
    pub address: Address,
    /// How.
    pub action: Action,
    /// The attributes that differ (all of them for attach and detach).
    pub attributes: Vec<AttributeChange>,
    /// How many attributes are unchanged and not shown.
    pub unchanged_attributes: usize,
    /// For a replacement: why, in words (`databaseNameOverride forces replacement`).
    pub reason: Option<String>,
    /// The requests that carry the change out, in order.
    pub operations: Vec<Operation>,
    /// The changes that must succeed first (filled by `kfollow-graph`).
    #[serde(default)]
    pub depends_on: Vec<Address>,
    /// Where the manifest declares what this change is about.
    pub origin: Option<SourceLocation>,
}

impl Change {
    /// The attributes that change as two JSON objects, `before` and `after` (attribute name
    /// → value, `null` where a side has none); `None` for the side where the thing does not
    /// exist: before an attach, after a detach.
    pub fn sides(&self) -> (Option<Value>, Option<Value>) {
        let side = |pick: fn(&AttributeChange) -> &Option<Value>| {
            Value::Object(
                self.attributes
                    .iter()
                    .map(|a| (a.name.clone(), pick(a).clone().unwrap_or(Value::Null)))
                    .collect::<Map<String, Value>>(),
            )
        };
        let before = (self.action != Action::Attach).then(|| side(|a| &a.before));
        let after = (self.action != Action::Detach).then(|| side(|a| &a.after));
        (before, after)
    }
}

/// A live resource the manifest does not declare, reported and left alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmanaged {
    /// Its address.
    pub address: Address,
    /// One line saying what it is (`follows prod/Sales`).
    pub description: String,
    /// How it came to be (`databaseShareOrigin`), when that is known and not `Direct`. A
    /// `DataShare` one belongs to an Azure Data Share subscription: kfollow never detaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_origin: Option<DatabaseShareOrigin>,
}

impl Unmanaged {
    /// True when Azure Data Share made it and manages it.
    pub fn is_data_share(&self) -> bool {
        self.share_origin == Some(DatabaseShareOrigin::DataShare)
    }
}

/// Everything kfollow would do, in execution order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The changes, ordered so that each comes after what it depends on.
    pub changes: Vec<Change>,
    /// Live resources outside the manifest, left alone.
    pub unmanaged: Vec<Unmanaged>,
    /// Things the user should know that do not stop the plan.
    pub warnings: Vec<String>,
    /// When `--target` narrowed the plan: what was targeted, and how much was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeting: Option<Targeting>,
}

/// How a targeted plan was narrowed: it holds only the changes of its targets and what they
/// depend on, so it may be incomplete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targeting {
    /// The targets as the user gave them (`attachment.emea/sales`, `cluster.emea`), in order.
    pub targets: Vec<String>,
    /// How many changes of the whole plan the targets left out.
    pub left_out: usize,
}

impl Plan {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// True when the live state has drifted from the manifest: the plan has changes, or, with
    /// `unmanaged_is_drift`, it reports live resources outside the manifest
    /// (`plan --detailed-exitcode`, `--unmanaged-is-drift`).
    pub fn drifted(&self, unmanaged_is_drift: bool) -> bool {
        !self.is_empty() || (unmanaged_is_drift && !self.unmanaged.is_empty())
    }

    /// How many changes have this action.
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// How many changes wait for an operation already running on their attachment
    /// ([`Operation::AwaitAttachment`]).
    pub fn in_progress(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| {
                c.operations
                    .iter()
                    .any(|op| matches!(op, Operation::AwaitAttachment { .. }))
            })
            .count()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn address() -> Address {
        Address::Attachment {
            follower: "fc".into(),
            name: "sales".into(),
        }
    }

    /// The attach of `attachment.fc/sales`, with nothing else: a change for the tests of
    /// what holds plans.
    pub(crate) fn attach() -> Change {
        Change {
            address: address(),
            action: Action::Attach,
            attributes: Vec::new(),
            unchanged_attributes: 0,
            reason: None,
            operations: Vec::new(),
            depends_on: Vec::new(),
            origin: None,
        }
    }

    #[test]
    fn a_plan_drifts_with_changes_and_with_unmanaged_resources_only_when_asked() {
        let empty = Plan::default();
        assert!(!empty.drifted(false) && !empty.drifted(true));
        let unmanaged = Plan {
            unmanaged: vec![Unmanaged {
                address: address(),
                description: "not in the manifest".into(),
                share_origin: None,
            }],
            ..Plan::default()
        };
        assert!(!unmanaged.drifted(false));
        assert!(unmanaged.drifted(true));
        let changed = Plan {
            changes: vec![attach()],
            ..Plan::default()
        };
        assert!(changed.drifted(false) && changed.drifted(true));
    }
}
