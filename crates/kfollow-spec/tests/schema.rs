//! `schemas/kfollow.schema.json` is exactly what `kfollow schema` prints.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::PathBuf;

fn checked_in() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/kfollow.schema.json")
}

#[test]
fn checked_in_schema_is_current() {
    let generated = kfollow_spec::manifest_schema_text();
    let path = checked_in();
    if std::env::var_os("KFOLLOW_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "schemas/kfollow.schema.json is out of date; regenerate it with \
         `cargo run -q -- schema > schemas/kfollow.schema.json` \
         (or `KFOLLOW_UPDATE_SCHEMA=1 cargo test -p kfollow-spec --test schema`)"
    );
}

/// Every object of the schema refuses keys it does not list, so editors flag typos.
#[test]
fn every_object_rejects_unknown_keys() {
    fn walk(value: &serde_json::Value, path: &str, objects: &mut usize) {
        match value {
            serde_json::Value::Object(map) => {
                if map.contains_key("properties") {
                    *objects += 1;
                    assert_eq!(
                        map.get("additionalProperties"),
                        Some(&serde_json::Value::Bool(false)),
                        "{path} accepts unknown keys"
                    );
                }
                // `if` holds a condition, not a shape: it lists one property on purpose.
                for (key, child) in map.iter().filter(|(key, _)| *key != "if") {
                    walk(child, &format!("{path}/{key}"), objects);
                }
            }
            serde_json::Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}/{index}"), objects);
                }
            }
            _ => {}
        }
    }
    let mut objects = 0;
    walk(&kfollow_spec::manifest_schema(), "#", &mut objects);
    assert!(objects >= 7, "only {objects} objects with properties");
}

#[test]
fn enums_list_the_spellings_the_checker_accepts() {
    let schema = kfollow_spec::manifest_schema();
    let attachment = &schema["$defs"]["AttachmentSpec"]["properties"];
    assert_eq!(
        attachment["defaultPrincipalsModificationKind"]["enum"],
        serde_json::json!(["Union", "Replace", "None"])
    );
    let cluster = &schema["$defs"]["ClusterSpec"]["properties"];
    assert_eq!(
        cluster["unmanagedAttachments"]["enum"],
        serde_json::json!(["report", "detach"])
    );
    assert_eq!(
        schema["required"],
        serde_json::json!(["version", "clusters"])
    );
}
