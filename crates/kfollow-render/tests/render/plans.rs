//! Representative plans, built from plain values, as `kfollow-diff` and `kfollow-graph` would
//! hand them over.

use kfollow_model::{
    Action, Address, AttachmentBody, AttributeChange, Change, ClusterId, Operation, Plan,
    PrincipalsModificationKind, SourceLocation, TableLevelSharing, Targeting, Timespan, Unmanaged,
};
use serde_json::{Value, json};

pub fn prod() -> ClusterId {
    ClusterId::new(
        "11111111-1111-1111-1111-111111111111",
        "rg-analytics",
        "fcprod",
    )
    .unwrap()
}

pub fn emea() -> ClusterId {
    ClusterId::new("22222222-2222-2222-2222-222222222222", "rg-emea", "fcemea").unwrap()
}

pub fn other() -> ClusterId {
    ClusterId::new(
        "33333333-3333-3333-3333-333333333333",
        "rg-other",
        "fcother",
    )
    .unwrap()
}

pub fn attachment(name: &str) -> Address {
    Address::Attachment {
        follower: "emea".into(),
        name: name.into(),
    }
}

fn attr(name: &str, before: Option<Value>, after: Option<Value>) -> AttributeChange {
    AttributeChange {
        name: name.into(),
        before,
        after,
        forces_replacement: false,
    }
}

fn forcing(name: &str, before: Option<Value>, after: Option<Value>) -> AttributeChange {
    AttributeChange {
        forces_replacement: true,
        ..attr(name, before, after)
    }
}

fn put(name: &str, database: &str, database_name_override: Option<&str>) -> Operation {
    Operation::PutAttachment {
        follower: emea(),
        name: name.into(),
        body: AttachmentBody {
            location: "westeurope".into(),
            leader: prod(),
            database_name: database.into(),
            database_name_override: database_name_override.map(Into::into),
            database_name_prefix: None,
            default_principals_modification_kind: PrincipalsModificationKind::Union,
            table_level_sharing: TableLevelSharing {
                tables_to_include: vec!["Orders".into(), "Logs*".into()],
                external_tables_to_exclude: vec!["*".into()],
                ..TableLevelSharing::default()
            },
        },
    }
}

fn delete(name: &str) -> Operation {
    Operation::DeleteAttachment {
        follower: emea(),
        name: name.into(),
    }
}

fn kusto(csl: &str) -> Operation {
    Operation::KustoCommand {
        cluster: emea(),
        database: "SalesEmea".into(),
        csl: csl.into(),
    }
}

/// A new attachment with a renamed database and table-level sharing, given here as one map
/// to exercise nested values.
pub fn attach() -> Change {
    Change {
        address: attachment("sales"),
        action: Action::Attach,
        attributes: vec![
            attr("leader", None, Some(json!("prod"))),
            attr("databaseName", None, Some(json!("Sales"))),
            attr("databaseNameOverride", None, Some(json!("SalesEmea"))),
            attr(
                "defaultPrincipalsModificationKind",
                None,
                Some(json!("Union")),
            ),
            attr(
                "tableLevelSharing",
                None,
                Some(json!({
                    "tablesToInclude": ["Orders", "Logs*"],
                    "externalTablesToExclude": ["*"],
                })),
            ),
        ],
        unchanged_attributes: 0,
        reason: None,
        operations: vec![put("sales", "Sales", Some("SalesEmea"))],
        depends_on: vec![],
        origin: Some(SourceLocation {
            line: 14,
            column: 5,
        }),
    }
}

/// An in-place update: sharing lists as sets, a modification kind, a list that goes away;
/// named as `kfollow-diff` names them (`tableLevelSharing.<list>`).
pub fn update() -> Change {
    Change {
        address: attachment("ops"),
        action: Action::Update,
        attributes: vec![
            attr(
                "defaultPrincipalsModificationKind",
                Some(json!("Union")),
                Some(json!("Replace")),
            ),
            attr(
                "tableLevelSharing.tablesToInclude",
                Some(json!(["Orders", "Customers", "Temp"])),
                Some(json!(["Customers", "Logs*", "Orders"])),
            ),
            attr(
                "tableLevelSharing.externalTablesToExclude",
                None,
                Some(json!(["*"])),
            ),
            attr(
                "tableLevelSharing.functionsToExclude",
                Some(json!(["internal_*"])),
                None,
            ),
        ],
        unchanged_attributes: 4,
        reason: None,
        operations: vec![put("ops", "Ops", None)],
        depends_on: vec![],
        origin: Some(SourceLocation {
            line: 30,
            column: 5,
        }),
    }
}

/// A replacement forced by a new follower database name.
pub fn replace() -> Change {
    Change {
        address: attachment("logs"),
        action: Action::Replace,
        attributes: vec![
            forcing(
                "databaseNameOverride",
                Some(json!("LogsEmea")),
                Some(json!("LogsEU")),
            ),
            attr(
                "tableLevelSharing.tablesToExclude",
                None,
                Some(json!(["Debug*"])),
            ),
        ],
        unchanged_attributes: 3,
        reason: Some("`databaseNameOverride` changes the follower database name".into()),
        operations: vec![delete("logs"), {
            let mut put = put("logs", "Logs", Some("LogsEU"));
            if let Operation::PutAttachment { body, .. } = &mut put {
                body.table_level_sharing.tables_to_exclude = vec!["Debug*".into()];
            }
            put
        }],
        depends_on: vec![],
        origin: Some(SourceLocation {
            line: 41,
            column: 5,
        }),
    }
}

/// A follower-side detach of an attachment the manifest does not declare, on a cluster that
/// says `unmanagedAttachments: detach`.
pub fn detach() -> Change {
    Change {
        address: attachment("legacy"),
        action: Action::Detach,
        attributes: vec![
            attr("leader", Some(json!("prod")), None),
            attr("databaseName", Some(json!("Legacy")), None),
            attr(
                "defaultPrincipalsModificationKind",
                Some(json!("Union")),
                None,
            ),
            attr(
                "tableLevelSharing.tablesToInclude",
                Some(json!(["Old1", "Old2"])),
                None,
            ),
        ],
        unchanged_attributes: 0,
        reason: None,
        operations: vec![delete("legacy")],
        depends_on: vec![],
        origin: None,
    }
}

/// Follower database settings: caching at three levels, principals, a modification kind,
/// prefetch-extents; after the attach it depends on.
pub fn follower_settings() -> Change {
    Change {
        address: Address::FollowerDatabase {
            follower: "emea".into(),
            database: "SalesEmea".into(),
        },
        action: Action::Update,
        attributes: vec![
            attr("hotCachePeriod", Some(json!("7d")), Some(json!("14d"))),
            attr(
                "tables",
                Some(json!({
                    "Orders": { "hotCachePeriod": "30d" },
                    "Logs2026": { "hotCachePeriod": "1d" },
                    "Customers": { "hotCachePeriod": "3d" },
                })),
                Some(json!({
                    "Orders": { "hotCachePeriod": "60d" },
                    "Customers": { "hotCachePeriod": "3d" },
                    "my-table": { "hotCachePeriod": "2d" },
                })),
            ),
            attr(
                "materializedViews",
                None,
                Some(json!({ "DailySales": { "hotCachePeriod": "90d" } })),
            ),
            attr(
                "principals.viewers",
                Some(json!([
                    "aadgroup=emea-analysts@fourthcoffee.com",
                    "aaduser=old.analyst@fourthcoffee.com"
                ])),
                Some(json!([
                    "aadgroup=emea-analysts@fourthcoffee.com",
                    "aaduser=new.analyst@fourthcoffee.com"
                ])),
            ),
            attr(
                "principals.admins",
                None,
                Some(json!([
                    "aadapp=4c7e0f3e-1b7a-4f2e-9a55-1d2b3c4d5e6f;fourthcoffee.com"
                ])),
            ),
            attr(
                "cachingPoliciesModificationKind",
                Some(json!("Union")),
                Some(json!("Replace")),
            ),
            attr("prefetchExtents", Some(json!(false)), Some(json!(true))),
        ],
        unchanged_attributes: 1,
        reason: None,
        operations: vec![
            Operation::PutFollowerHotCache {
                follower: emea(),
                database: "SalesEmea".into(),
                location: "westeurope".into(),
                hot_cache_period: Timespan::from_days(14),
            },
            kusto(".alter follower database SalesEmea tables (Orders) policy caching hot = 60d"),
            kusto(".delete follower database SalesEmea tables (Logs2026) policy caching"),
            kusto(
                ".alter follower database SalesEmea tables (['my-table']) policy caching hot = 2d",
            ),
            kusto(
                ".alter follower database SalesEmea materialized-views (DailySales) policy caching hot = 90d",
            ),
            kusto(
                ".add follower database SalesEmea viewers ('aaduser=new.analyst@fourthcoffee.com')",
            ),
            kusto(
                ".drop follower database SalesEmea viewers ('aaduser=old.analyst@fourthcoffee.com')",
            ),
            kusto(
                ".add follower database SalesEmea admins ('aadapp=4c7e0f3e-1b7a-4f2e-9a55-1d2b3c4d5e6f;fourthcoffee.com')",
            ),
            kusto(
                ".alter follower database SalesEmea caching-policies-modification-kind = replace",
            ),
            kusto(".alter follower database SalesEmea prefetch-extents = true"),
        ],
        depends_on: vec![attachment("sales")],
        origin: Some(SourceLocation {
            line: 22,
            column: 7,
        }),
    }
}

/// A leader-side detach: `prod` says `unmanagedFollowers: detach` and `fcother` follows it
/// without being in the manifest.
pub fn leader_detach() -> Change {
    Change {
        address: Address::LeaderFollower {
            leader: "prod".into(),
            follower: "fcother".into(),
            name: "shadow".into(),
        },
        action: Action::Detach,
        attributes: vec![
            attr("follower", Some(json!(other().to_string())), None),
            attr("databaseName", Some(json!("Sales")), None),
        ],
        unchanged_attributes: 0,
        reason: None,
        operations: vec![Operation::DetachFollower {
            leader: prod(),
            follower: other(),
            attachment_name: "shadow".into(),
        }],
        depends_on: vec![],
        origin: None,
    }
}

pub fn unmanaged() -> Vec<Unmanaged> {
    vec![
        Unmanaged {
            address: attachment("adhoc"),
            description: "follows prod/Experiments (not in the manifest)".into(),
            share_origin: None,
        },
        Unmanaged {
            address: Address::LeaderFollower {
                leader: "prod".into(),
                follower: "fcapac".into(),
                name: "apac-sales".into(),
            },
            description: "followed by an unmanaged attachment on fcapac".into(),
            share_origin: None,
        },
    ]
}

pub fn warnings() -> Vec<String> {
    vec![
        "cluster `emea` is in westeurope but the manifest says `northeurope`; comparing with the live value".into(),
    ]
}

/// Every kind of change at once, in the order kfollow-graph would put them.
pub fn everything() -> Plan {
    Plan {
        changes: vec![
            detach(),
            leader_detach(),
            replace(),
            attach(),
            update(),
            follower_settings(),
        ],
        unmanaged: unmanaged(),
        warnings: warnings(),
        targeting: None,
    }
}

/// The replacement of `attachment.emea/logs` and the settings that wait for it, as
/// `--target follower_database.emea/LogsEU` leaves them: a partial plan.
pub fn targeted() -> Plan {
    let mut plan = docs_example();
    plan.targeting = Some(Targeting {
        targets: vec!["follower_database.emea/LogsEU".into()],
        left_out: 4,
    });
    plan
}

/// Updates only: no banner.
pub fn gentle() -> Plan {
    Plan {
        changes: vec![update(), follower_settings()],
        unmanaged: vec![],
        warnings: vec![],
        targeting: None,
    }
}

/// Nothing to do, but something to report.
pub fn empty_with_reports() -> Plan {
    Plan {
        changes: vec![],
        unmanaged: unmanaged(),
        warnings: warnings(),
        targeting: None,
    }
}

/// A plan far over GitHub's comment limit: `n` attachments with long sharing lists, half of
/// them replaced.
pub fn huge(n: usize) -> Plan {
    let changes = (0..n)
        .map(|i| {
            let mut change = if i % 2 == 0 { attach() } else { replace() };
            change.address = attachment(&format!("sales-{i:05}"));
            change.attributes.push(attr(
                "tablesToInclude",
                None,
                Some(json!(
                    (0..20)
                        .map(|t| format!("Table_{i}_{t}"))
                        .collect::<Vec<_>>()
                )),
            ));
            change
        })
        .collect();
    let unmanaged = (0..n)
        .map(|i| Unmanaged {
            address: attachment(&format!("stray-{i:05}")),
            description: format!("follows prod/Stray{i}"),
            share_origin: None,
        })
        .collect();
    Plan {
        changes,
        unmanaged,
        warnings: vec![],
        targeting: None,
    }
}

/// The example of `docs/plan-json.md`: a replacement, then the follower database's settings.
pub fn docs_example() -> Plan {
    let mut settings = follower_settings();
    settings.address = Address::FollowerDatabase {
        follower: "emea".into(),
        database: "LogsEU".into(),
    };
    settings.attributes = vec![
        attr("hotCachePeriod", Some(json!("7d")), Some(json!("14d"))),
        attr(
            "principals.viewers",
            Some(json!(["aadgroup=emea-analysts@fourthcoffee.com"])),
            Some(json!([
                "aadgroup=emea-analysts@fourthcoffee.com",
                "aaduser=new.analyst@fourthcoffee.com"
            ])),
        ),
    ];
    settings.unchanged_attributes = 0;
    settings.operations = vec![
        Operation::KustoCommand {
            cluster: emea(),
            database: "LogsEU".into(),
            csl: ".alter follower database LogsEU policy caching hot = 14d".into(),
        },
        Operation::KustoCommand {
            cluster: emea(),
            database: "LogsEU".into(),
            csl: ".add follower database LogsEU viewers ('aaduser=new.analyst@fourthcoffee.com')"
                .into(),
        },
    ];
    settings.depends_on = vec![attachment("logs")];
    let mut unmanaged = unmanaged()[..1].to_vec();
    unmanaged.push(data_share());
    Plan {
        changes: vec![replace(), settings],
        unmanaged,
        warnings: vec![],
        targeting: None,
    }
}

/// Attachments with an operation already running when the plan was made, as `kfollow-diff`
/// shows them: an attach that only waits, and an attach after a detach that is running.
pub fn in_progress() -> Plan {
    let wait = |name: &str, state: &str| {
        let Operation::PutAttachment { body, .. } = put(name, "Sales", None) else {
            unreachable!()
        };
        Operation::AwaitAttachment {
            follower: emea(),
            name: name.into(),
            provisioning_state: state.into(),
            live: body,
        }
    };
    let mut waiting = attach();
    waiting.reason = Some(
        "an attach is already running (`provisioningState` `Creating`); apply waits for it to \
         end and sends nothing"
            .into(),
    );
    waiting.operations = vec![wait("sales", "Creating")];
    let mut after_detach = attach();
    after_detach.address = attachment("web");
    after_detach.reason = Some(
        "a detach is already running (`provisioningState` `Deleting`); apply waits for it to \
         end first"
            .into(),
    );
    after_detach.operations = vec![wait("web", "Deleting"), put("web", "Web", None)];
    Plan {
        changes: vec![waiting, after_detach],
        ..Plan::default()
    }
}

/// An unmanaged attachment that Azure Data Share made.
pub fn data_share() -> Unmanaged {
    Unmanaged {
        address: attachment("partner-catalog"),
        description: "attachment `partner-catalog` follows partnerlead/Catalog, not in the \
                      manifest (databaseShareOrigin `DataShare`); left alone: managed by Azure \
                      Data Share"
            .into(),
        share_origin: Some(kfollow_model::DatabaseShareOrigin::DataShare),
    }
}
