//! `docs/manifest.md` documents every key of the manifest's JSON Schema
//! (`schemas/kfollow.schema.json`), so that a key added to the manifest cannot go undocumented.
//!
//! A key counts as documented when a heading or the first cell of a table row names it in
//! backticks and holds nothing but such names (`` ### `subscription`, `resourceGroup`, `name` ``,
//! `` | `tablesToInclude` | list of strings | … ``). A mention in prose or in an example does
//! not count: removing a key's row and heading makes this test fail, naming the key.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeSet;
use std::path::PathBuf;

fn repository_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&full)
        .unwrap_or_else(|error| panic!("cannot read `{}`: {error}", full.display()))
}

/// Every property name anywhere in the checked-in schema.
fn schema_keys() -> BTreeSet<String> {
    fn walk(value: &serde_json::Value, keys: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                    keys.extend(properties.keys().cloned());
                }
                map.values().for_each(|child| walk(child, keys));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|child| walk(child, keys)),
            _ => {}
        }
    }
    let schema: serde_json::Value =
        serde_json::from_str(&repository_file("schemas/kfollow.schema.json")).unwrap();
    let mut keys = BTreeSet::new();
    walk(&schema, &mut keys);
    keys
}

/// The names in backticks of a heading or table cell that holds nothing else (besides
/// commas and "and"/"or"); `None` for text that says more than names.
fn only_names(text: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return None;
    }
    let mut names = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        if index % 2 == 1 {
            names.push((*part).to_owned());
        } else if !part
            .split(|c: char| c == ',' || c.is_whitespace())
            .all(|word| matches!(word, "" | "and" | "or"))
        {
            return None;
        }
    }
    Some(names)
}

/// The key names a line documents: a heading's, or a table row's first cell's.
fn documented_on(line: &str) -> Vec<String> {
    let line = line.trim();
    let text = if let Some(heading) = line.strip_prefix('#') {
        heading.trim_start_matches('#')
    } else if let Some(row) = line.strip_prefix('|') {
        row.split('|').next().unwrap_or_default()
    } else {
        return Vec::new();
    };
    only_names(text.trim()).unwrap_or_default()
}

/// The schema keys the doc does not document.
fn undocumented(keys: &BTreeSet<String>, doc: &str) -> Vec<String> {
    let documented: BTreeSet<String> = doc.lines().flat_map(documented_on).collect();
    keys.difference(&documented).cloned().collect()
}

#[test]
fn every_schema_key_is_documented() {
    let keys = schema_keys();
    assert!(keys.len() >= 30, "only {} keys in the schema", keys.len());
    let missing = undocumented(&keys, &repository_file("docs/manifest.md"));
    assert!(
        missing.is_empty(),
        "docs/manifest.md does not document these keys of schemas/kfollow.schema.json: {}; \
         give each a heading or a table row naming it in backticks, with its type, default, \
         rules and an example",
        missing.join(", ")
    );
}

/// The key headings name keys the schema has: a renamed or removed key leaves no stale section.
#[test]
fn every_key_heading_names_a_schema_key() {
    let keys = schema_keys();
    let doc = repository_file("docs/manifest.md");
    let stale: Vec<String> = doc
        .lines()
        .filter(|line| line.starts_with('#'))
        .flat_map(documented_on)
        .filter(|name| !keys.contains(name))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/manifest.md has sections for keys the schema does not have: {}",
        stale.join(", ")
    );
}

/// The check itself: a key whose rows and heading are gone is reported, even though the
/// overview and the examples still mention it.
#[test]
fn a_key_removed_from_the_doc_is_reported() {
    let keys = schema_keys();
    let doc = repository_file("docs/manifest.md");
    for key in ["protect", "functionsToExclude", "unrestrictedViewers"] {
        let without: String = doc
            .lines()
            .filter(|line| !documented_on(line).iter().any(|name| name == key))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(without.contains(key), "the examples still mention `{key}`");
        assert_eq!(undocumented(&keys, &without), vec![key.to_owned()]);
    }
}

#[test]
fn names_only_headings_and_cells() {
    assert_eq!(
        only_names("`subscription`, `resourceGroup`, `name`"),
        Some(vec![
            "subscription".into(),
            "resourceGroup".into(),
            "name".into()
        ])
    );
    assert_eq!(only_names("`-f`, `--file FILE`").map(|n| n.len()), Some(2));
    assert_eq!(only_names("Clusters"), None);
    assert_eq!(only_names("the `name` of the attachment"), None);
    assert_eq!(
        documented_on("| `protect` | boolean | no | `false` |"),
        ["protect"]
    );
    assert_eq!(documented_on("### `hotCachePeriod`"), ["hotCachePeriod"]);
    assert!(documented_on("protect: true").is_empty());
}
