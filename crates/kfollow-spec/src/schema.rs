//! The manifest's JSON Schema (`kfollow schema`), derived from the types of `manifest.rs`.
//!
//! The pieces the derive cannot know (the spellings of the model's enums, the shape of
//! timespans and principals) are built here from the model's own lists, so the schema and the
//! checker accept the same words.

use kfollow_model::{CachingPoliciesModificationKind, PrincipalsModificationKind, UnmanagedPolicy};
use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::manifest::Manifest;

/// The manifest's JSON Schema (draft 2020-12), as a JSON value.
pub fn manifest_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Manifest).to_value();
    without_null(&mut schema);
    for (def, key) in NULLABLE {
        if let Some(property) = schema
            .pointer_mut(&format!("/$defs/{def}/properties/{key}"))
            .and_then(serde_json::Value::as_object_mut)
            && let Some(only) = property.get("type").cloned()
        {
            property.insert("type".to_owned(), serde_json::json!([only, "null"]));
        }
    }
    schema
}

/// The keys where `null` means something (and the checker accepts it), by `$defs` entry:
/// `hotCachePeriod: null` on a follower database asks for no database-level override.
const NULLABLE: &[(&str, &str)] = &[("FollowerDatabaseSpec", "hotCachePeriod")];

/// Removes the `null` that the derive allows for optional keys: a key the manifest leaves out
/// is absent, and the checker refuses `key: null` (YAML's `key:` with nothing after it).
fn without_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            if let Some(Value::Array(choices)) = map.get("anyOf") {
                let kept: Vec<Value> = choices
                    .iter()
                    .filter(|c| c.get("type") != Some(&Value::from("null")))
                    .cloned()
                    .collect();
                if let [only] = kept.as_slice()
                    && let Value::Object(inner) = only.clone()
                {
                    map.remove("anyOf");
                    for (key, value) in inner {
                        map.entry(key).or_insert(value);
                    }
                }
            }
            for child in map.values_mut() {
                without_null(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

/// The manifest's JSON Schema as pretty-printed JSON with a final newline, exactly what
/// `kfollow schema` prints and `schemas/kfollow.schema.json` holds.
pub fn manifest_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&manifest_schema())
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}

/// A model enum whose values the manifest spells exactly as the REST spec does.
pub(crate) trait ManifestEnum: Copy + 'static {
    /// Every value.
    fn values() -> &'static [Self];
    /// How the manifest spells a value.
    fn spelling(self) -> &'static str;

    /// Every spelling, in backticks, for messages: `` `Union`, `Replace`, `None` ``.
    fn listed() -> String {
        let quoted: Vec<String> = Self::values()
            .iter()
            .map(|v| format!("`{}`", v.spelling()))
            .collect();
        quoted.join(", ")
    }
}

macro_rules! manifest_enum {
    ($($name:ident),+) => {$(
        impl ManifestEnum for $name {
            fn values() -> &'static [$name] {
                $name::ALL
            }

            fn spelling(self) -> &'static str {
                self.as_str()
            }
        }
    )+};
}

manifest_enum!(
    PrincipalsModificationKind,
    CachingPoliciesModificationKind,
    UnmanagedPolicy
);

/// Stands for a model enum in the schema: one of its spellings.
pub(crate) struct EnumOf<E>(std::marker::PhantomData<E>);

impl<E: ManifestEnum> JsonSchema for EnumOf<E> {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed(
            std::any::type_name::<E>()
                .rsplit("::")
                .next()
                .unwrap_or("Enum"),
        )
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let values: Vec<&str> = E::values().iter().map(|v| v.spelling()).collect();
        json_schema!({ "type": "string", "enum": values })
    }
}

/// Stands for a Kusto timespan literal in the schema.
pub(crate) struct TimespanText;

impl JsonSchema for TimespanText {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Timespan")
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        timespan_schema(generator)
    }
}

/// Stands for a principal string in the schema.
pub(crate) struct PrincipalText;

impl JsonSchema for PrincipalText {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Principal")
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        principal_schema(generator)
    }
}

/// The schema of a Kusto timespan literal.
fn timespan_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "description": "A Kusto timespan: `7d`, `12h`, `30m`, `10s`, `100ms` or `timespan(1.12:00:00)`; not negative.",
        "pattern": "^\\s*(timespan\\(|time\\()?\\s*[0-9]",
        "examples": ["7d", "12h", "30d"]
    })
}

/// The schema of a principal string. The kinds are case-insensitive, as the service reads them.
fn principal_schema(_: &mut SchemaGenerator) -> Schema {
    // A user or a group may leave the tenant out, an application may not, an MSA user has
    // none (reference-security-principals.md).
    let pattern = format!(
        "^\\s*(({}|{})\\s*=[^;]+(;.+)?|{}\\s*=[^;]+;.+|{}\\s*=[^;]+)$",
        any_case("aaduser"),
        any_case("aadgroup"),
        any_case("aadapp"),
        any_case("msauser")
    );
    json_schema!({
        "type": "string",
        "description": "`aaduser=<upn or object id>[;tenant]`, `aadgroup=<name or object id>[;tenant]`, `aadapp=<app id>;<tenant>` or `msauser=<email>`.",
        "pattern": pattern,
        "examples": ["aadgroup=analysts@contoso.com", "aadapp=4c7e82bd-6adb-46c3-b413-fdd44834c69b;contoso.com"]
    })
}

/// `abc` → `[Aa][Bb][Cc]`: JSON Schema patterns have no case-insensitive flag.
fn any_case(word: &str) -> String {
    word.chars()
        .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::read::keys;

    /// The reader and the schema accept the same keys.
    #[test]
    fn reader_keys_match_schema_properties() {
        let schema = super::manifest_schema();
        let properties = |value: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = value["properties"]
                .as_object()
                .map(|map| map.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let sorted = |list: &[&str]| -> Vec<String> {
            let mut keys: Vec<String> = list.iter().map(|k| (*k).to_owned()).collect();
            keys.sort();
            keys
        };
        let defs = &schema["$defs"];
        for (def, list) in [
            (&schema, keys::MANIFEST),
            (&defs["ClusterSpec"], keys::CLUSTER),
            (&defs["AttachmentSpec"], keys::ATTACHMENT),
            (&defs["SharingSpec"], keys::SHARING),
            (&defs["FollowerDatabaseSpec"], keys::FOLLOWER_DATABASE),
            (&defs["CachingSpec"], keys::CACHING),
            (&defs["PrincipalsSpec"], keys::PRINCIPALS),
        ] {
            assert_eq!(properties(def), sorted(list));
        }
    }

    /// Only the database-level `hotCachePeriod` takes `null`.
    #[test]
    fn only_the_database_hot_cache_is_nullable() {
        let schema = super::manifest_schema();
        let text = schema.to_string();
        assert_eq!(text.matches(r#""null""#).count(), 1, "{text}");
        assert_eq!(
            schema["$defs"]["FollowerDatabaseSpec"]["properties"]["hotCachePeriod"]["type"],
            serde_json::json!(["string", "null"])
        );
        assert_eq!(
            schema["$defs"]["CachingSpec"]["properties"]["hotCachePeriod"]["type"],
            "string"
        );
    }
}
