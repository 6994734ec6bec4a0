//! No input makes the manifest reader panic: arbitrary text, and YAML-shaped text built from
//! the manifest's own keys and values (which reaches the rules, not only the parser).
#![allow(clippy::unwrap_used)] // tests may unwrap

use proptest::prelude::*;

const WORDS: &[&str] = &[
    "version",
    "clusters",
    "attachments",
    "id",
    "subscription",
    "resourceGroup",
    "name",
    "location",
    "unmanagedFollowers",
    "unmanagedAttachments",
    "follower",
    "leader",
    "databaseName",
    "databaseNameOverride",
    "databaseNamePrefix",
    "defaultPrincipalsModificationKind",
    "tableLevelSharing",
    "tablesToInclude",
    "followerDatabase",
    "followerDatabases",
    "hotCachePeriod",
    "tables",
    "materializedViews",
    "principals",
    "viewers",
    "prefetchExtents",
    "protect",
    "prod",
    "emea",
    "Sales",
    "'*'",
    "1",
    "7d",
    "-1d",
    "true",
    "null",
    "Union",
    "report",
    "aaduser=a@b.c",
    "''",
    "[]",
    "{}",
    "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/prod",
    "westeurope",
];

fn yaml_like() -> impl Strategy<Value = String> {
    let line = (
        0usize..4,
        prop::sample::select(WORDS),
        prop::sample::select(WORDS),
        0u8..4,
    )
        .prop_map(|(indent, key, value, shape)| {
            let pad = "  ".repeat(indent);
            match shape {
                0 => format!("{pad}{key}: {value}"),
                1 => format!("{pad}{key}:"),
                2 => format!("{pad}- {key}: {value}"),
                _ => format!("{pad}- {value}"),
            }
        });
    prop::collection::vec(line, 0..40).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_text_does_not_panic(text in "\\PC{0,300}") {
        let _ = kfollow_spec::load("fuzz.yaml", &text);
    }

    #[test]
    fn manifest_shaped_text_does_not_panic(text in yaml_like()) {
        let _ = kfollow_spec::load("fuzz.yaml", &text);
    }
}
