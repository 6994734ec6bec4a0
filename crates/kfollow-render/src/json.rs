//! The plan as versioned JSON (`--format json`), for policy checks and scripts. The format is
//! documented, with examples, in `docs/plan-json.md`; a change to any key or value here is a
//! change to that contract and bumps [`PLAN_JSON_FORMAT_VERSION`] unless it only adds keys.
//!
//! The document is built with explicit keys rather than by serialising the model types, so that
//! renaming a field of `kfollow-model` cannot silently change what users' policies read.

use kfollow_model::{Action, Address, Change, Operation, Plan, Unmanaged};
use serde_json::{Map, Value, json};

/// The version of the JSON plan format. Readers should refuse a major version they do not know.
pub const PLAN_JSON_FORMAT_VERSION: &str = "1";

/// What the cli knows about the run and the JSON form records beside the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanJsonMeta {
    /// The version of kfollow that made the plan (`env!("CARGO_PKG_VERSION")` of the cli).
    pub kfollow_version: Option<String>,
    /// The manifest file, as the user named it.
    pub manifest: Option<String>,
    /// A digest of the manifest's bytes (`sha256:<hex>`), as the saved plan records it.
    pub manifest_digest: Option<String>,
}

/// The plan as pretty-printed JSON, ending in a newline.
pub fn render_json(plan: &Plan, meta: Option<&PlanJsonMeta>) -> String {
    let mut text =
        serde_json::to_string_pretty(&plan_json(plan, meta)).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

/// The plan as a JSON value, for callers that embed it in a larger document.
pub fn plan_json(plan: &Plan, meta: Option<&PlanJsonMeta>) -> Value {
    let mut doc = Map::new();
    doc.insert("format_version".into(), json!(PLAN_JSON_FORMAT_VERSION));
    if let Some(meta) = meta {
        for (key, value) in [
            ("kfollow_version", &meta.kfollow_version),
            ("manifest", &meta.manifest),
            ("manifest_digest", &meta.manifest_digest),
        ] {
            if let Some(value) = value {
                doc.insert(key.into(), json!(value));
            }
        }
    }
    doc.insert("summary".into(), summary(plan));
    doc.insert(
        "changes".into(),
        Value::Array(plan.changes.iter().map(change).collect()),
    );
    doc.insert(
        "unmanaged".into(),
        Value::Array(plan.unmanaged.iter().map(unmanaged).collect()),
    );
    doc.insert("warnings".into(), json!(plan.warnings));
    if let Some(targeting) = &plan.targeting {
        doc.insert(
            "targeting".into(),
            json!({ "targets": targeting.targets, "left_out": targeting.left_out }),
        );
    }
    Value::Object(doc)
}

fn summary(plan: &Plan) -> Value {
    json!({
        "attach": plan.count(Action::Attach),
        "update": plan.count(Action::Update),
        "replace": plan.count(Action::Replace),
        "detach": plan.count(Action::Detach),
        "total": plan.changes.len(),
        "destructive": plan.changes.iter().filter(|c| c.action.is_destructive()).count(),
        "in_progress": plan.in_progress(),
        "unmanaged": plan.unmanaged.len(),
    })
}

/// kfollow's own name for an action.
pub(crate) fn action_name(action: Action) -> &'static str {
    match action {
        Action::Attach => "attach",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Detach => "detach",
    }
}

/// The action in the vocabulary of Terraform's JSON plan (`resource_changes[].change.actions`),
/// so that policies written for Terraform read it unchanged. A replacement is
/// `["delete", "create"]`: kfollow always detaches before it attaches.
fn terraform_actions(action: Action) -> Value {
    match action {
        Action::Attach => json!(["create"]),
        Action::Update => json!(["update"]),
        Action::Replace => json!(["delete", "create"]),
        Action::Detach => json!(["delete"]),
    }
}

fn change(change: &Change) -> Value {
    let (before, after) = before_after(change);
    json!({
        "address": change.address.to_string(),
        "resource": resource(&change.address),
        "action": action_name(change.action),
        "actions": terraform_actions(change.action),
        "destructive": change.action.is_destructive(),
        "before": before,
        "after": after,
        "changed_attributes": change.attributes.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "forces_replacement": change
            .attributes
            .iter()
            .filter(|a| a.forces_replacement)
            .map(|a| &a.name)
            .collect::<Vec<_>>(),
        "reason": change.reason,
        "replace_reason": change.reason.as_ref().filter(|_| change.action == Action::Replace),
        "unchanged_attributes": change.unchanged_attributes,
        "depends_on": change.depends_on.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "operations": change.operations.iter().map(operation).collect::<Vec<_>>(),
        "origin": change.origin.map(|o| json!({ "line": o.line, "column": o.column })),
    })
}

/// `before` and `after` as objects of the attributes that change; `null` for the side where
/// the thing does not exist (before an attach, after a detach). An attribute absent on one
/// side is `null` there, so `before.x != after.x` holds for every listed attribute.
fn before_after(change: &Change) -> (Value, Value) {
    let (before, after) = change.sides();
    (before.unwrap_or(Value::Null), after.unwrap_or(Value::Null))
}

/// The address in parts: `{"type": "attachment", "follower": "emea", "name": "sales"}`.
fn resource(address: &Address) -> Value {
    match address {
        Address::Attachment { follower, name } => {
            json!({ "type": "attachment", "follower": follower, "name": name })
        }
        Address::FollowerDatabase { follower, database } => {
            json!({ "type": "follower_database", "follower": follower, "database": database })
        }
        Address::LeaderFollower {
            leader,
            follower,
            name,
        } => {
            json!({ "type": "leader_follower", "leader": leader, "follower": follower, "name": name })
        }
    }
}

fn unmanaged(unmanaged: &Unmanaged) -> Value {
    json!({
        "address": unmanaged.address.to_string(),
        "resource": resource(&unmanaged.address),
        "description": unmanaged.description,
        "database_share_origin": unmanaged.share_origin.map(|origin| origin.as_str()),
    })
}

/// One request, as apply sends it. ARM paths are resource ids without the `api-version`
/// query, which the client adds.
fn operation(operation: &Operation) -> Value {
    let mut doc = Map::new();
    doc.insert("op".into(), json!(operation.name()));
    doc.insert("cluster".into(), json!(operation.cluster().to_string()));
    if let Some((method, path)) = operation.arm_request() {
        doc.insert("method".into(), json!(method));
        doc.insert("path".into(), json!(path));
    }
    match operation {
        Operation::PutAttachment { body, .. } => {
            let mut properties = Map::new();
            properties.insert("clusterResourceId".into(), json!(body.leader.to_string()));
            properties.insert("databaseName".into(), json!(body.database_name));
            if let Some(name) = &body.database_name_override {
                properties.insert("databaseNameOverride".into(), json!(name));
            }
            if let Some(prefix) = &body.database_name_prefix {
                properties.insert("databaseNamePrefix".into(), json!(prefix));
            }
            properties.insert(
                "defaultPrincipalsModificationKind".into(),
                json!(body.default_principals_modification_kind.as_str()),
            );
            if !body.table_level_sharing.is_empty() {
                properties.insert(
                    "tableLevelSharingProperties".into(),
                    serde_json::to_value(&body.table_level_sharing).unwrap_or(Value::Null),
                );
            }
            doc.insert(
                "body".into(),
                json!({ "location": body.location, "properties": properties }),
            );
        }
        Operation::DeleteAttachment { .. } => {}
        Operation::AwaitAttachment {
            provisioning_state, ..
        } => {
            doc.insert("provisioning_state".into(), json!(provisioning_state));
            let until = if operation.awaits_removal() {
                "gone"
            } else {
                "final"
            };
            doc.insert("until".into(), json!(until));
        }
        Operation::DetachFollower {
            follower,
            attachment_name,
            ..
        } => {
            doc.insert(
                "body".into(),
                json!({
                    "clusterResourceId": follower.to_string(),
                    "attachedDatabaseConfigurationName": attachment_name,
                }),
            );
        }
        Operation::PutFollowerHotCache {
            location,
            hot_cache_period,
            ..
        } => {
            doc.insert(
                "body".into(),
                json!({
                    "location": location,
                    "kind": "ReadOnlyFollowing",
                    "properties": { "hotCachePeriod": hot_cache_period.to_iso8601() },
                }),
            );
        }
        Operation::KustoCommand { database, csl, .. } => {
            doc.insert("database".into(), json!(database));
            doc.insert("csl".into(), json!(csl));
        }
    }
    Value::Object(doc)
}
