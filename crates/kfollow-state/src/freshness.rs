//! What `kfollow check` reads: for every follower database a manifest's attachments create,
//! the follower cluster's state, both sides' `.show tables details`, and the follower
//! cluster's `FollowerLatency` ([`read_freshness`]).
//!
//! Calls: per cluster the manifest's attachments name, one `Clusters_Get`; per follower
//! cluster one attachments list and one metrics read; per follower database one
//! `.show tables details` on each side. ARM reads run concurrently (under the subscription's
//! request budget, as every ARM read), then the data-plane reads, at most
//! [`CONCURRENT_COMMANDS`] at a time. A cluster that is not running is not asked: its
//! endpoint does not answer.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use futures::future::try_join_all;
use kfollow_azure::{ClusterInfo, error_chain};
use kfollow_model::{
    ClusterId, DatabaseSelection, Desired, DesiredAttachment, FreshnessReading, ObservedAttachment,
    TableExtents, Unread,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::leader_entities::{TableDetails, read_tables_details};
use crate::{Clients, StateError, arm_failure, get_cluster};

/// How far back `FollowerLatency` is read: its maximum over the last 15 minutes.
pub const LATENCY_WINDOW: Duration = Duration::from_secs(15 * 60);

/// At most this many `.show tables details` in flight at once (both sides of half as many
/// follower databases).
pub const CONCURRENT_COMMANDS: usize = 16;

/// What was read of one cluster.
struct ClusterRead {
    info: ClusterInfo,
    /// Follower clusters only.
    attachments: Vec<ObservedAttachment>,
    /// Follower clusters only.
    latency: Result<Option<Duration>, Unread>,
}

impl ClusterRead {
    fn is_running(&self) -> bool {
        kfollow_model::is_running(&self.info.state) && !self.info.uri.is_empty()
    }

    /// Why its data plane is not asked.
    fn not_asked(&self, alias: &str) -> Unread {
        format!(
            "not asked: cluster `{alias}` is {}",
            if self.info.state.is_empty() {
                "in no state ARM reports"
            } else {
                &self.info.state
            }
        )
    }
}

/// One follower database to read, before the data-plane reads.
struct Target<'a> {
    attachment: &'a DesiredAttachment,
    database: String,
    leader_database: String,
    /// Why there is nothing to read (the attachment is not there).
    missing: Option<Unread>,
}

/// Reads every follower database of every attachment of `desired`, in manifest order; a
/// `"*"` attachment gives one reading per follower database it brings in.
///
/// # Errors
///
/// A cluster that does not exist or whose ARM resource or attachments cannot be read: without
/// them there is nothing to check. A failed metrics or data-plane read is not an error: it is
/// in the reading, for the verdict.
pub async fn read_freshness(
    desired: &Desired,
    clients: &Clients,
) -> Result<Vec<FreshnessReading>, StateError> {
    let mut roles: BTreeMap<ClusterId, (&str, bool)> = BTreeMap::new();
    for attachment in &desired.attachments {
        for (alias, follower) in [(&attachment.leader, false), (&attachment.follower, true)] {
            if let Some(cluster) = desired.clusters.get(alias.as_str()) {
                let entry = roles.entry(cluster.id.clone()).or_insert((alias, false));
                entry.1 |= follower;
            }
        }
    }
    let reads = roles
        .iter()
        .map(|(id, (alias, follower))| read_cluster(alias, id, *follower, clients));
    let clusters: BTreeMap<ClusterId, ClusterRead> = try_join_all(reads)
        .await?
        .into_iter()
        .map(|read| (read.info.id.clone(), read))
        .collect();
    let cluster_of = |alias: &str| {
        desired
            .clusters
            .get(alias)
            .and_then(|c| clusters.get(&c.id))
    };

    let targets: Vec<Target<'_>> = desired
        .attachments
        .iter()
        .flat_map(|attachment| {
            let live = cluster_of(&attachment.follower).and_then(|c| {
                c.attachments
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(&attachment.name))
            });
            targets(attachment, live)
        })
        .collect();

    let readings = futures::stream::iter(targets.into_iter().map(|target| {
        let follower = cluster_of(&target.attachment.follower);
        let leader = cluster_of(&target.attachment.leader);
        read_database(target, follower, leader, clients)
    }))
    // Each follower database sends its two commands at once.
    .buffered(CONCURRENT_COMMANDS / 2)
    .collect::<Vec<_>>()
    .await;
    Ok(readings)
}

async fn read_cluster(
    alias: &str,
    id: &ClusterId,
    follower: bool,
    clients: &Clients,
) -> Result<ClusterRead, StateError> {
    let info = get_cluster(alias, id, clients);
    let attachments = async {
        if follower {
            clients
                .arm
                .list_attachments(id)
                .await
                .map_err(arm_failure(alias, "the attachments"))
        } else {
            Ok(Vec::new())
        }
    };
    let latency = async {
        if !follower {
            return Ok(None);
        }
        clients
            .arm
            .follower_latency(id, LATENCY_WINDOW)
            .await
            .map(|ms| ms.map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0)))
            .map_err(|e| error_chain(&e))
    };
    let (info, attachments, latency) = futures::join!(info, attachments, latency);
    Ok(ClusterRead {
        info: info?,
        attachments: attachments?,
        latency,
    })
}

/// The follower databases of an attachment, from its live form: one per name in
/// `attachedDatabaseNames` (the leader databases it follows), named as the live attachment
/// names them (override, else prefix and the leader database's name).
fn targets<'a>(
    attachment: &'a DesiredAttachment,
    live: Option<&ObservedAttachment>,
) -> Vec<Target<'a>> {
    let Some(live) = live else {
        let (database, leader_database) = match &attachment.database {
            DatabaseSelection::One(leader) => (
                attachment.follower_database_name.apply(leader),
                leader.clone(),
            ),
            DatabaseSelection::All => ("*".to_owned(), "*".to_owned()),
        };
        return vec![Target {
            attachment,
            database,
            leader_database,
            missing: Some(format!(
                "attachment `{}` is not attached on `{}`: run `kfollow plan` and `kfollow apply`",
                attachment.name, attachment.follower
            )),
        }];
    };
    let mut leaders = live.attached_database_names.clone();
    if leaders.is_empty() && live.database_name != "*" {
        leaders.push(live.database_name.clone());
    }
    if leaders.is_empty() {
        // A `"*"` attachment that lists no database yet (still provisioning, or a leader
        // without databases) has nothing to query: say so rather than check nothing.
        return vec![Target {
            attachment,
            database: "*".to_owned(),
            leader_database: "*".to_owned(),
            missing: Some(format!(
                "attachment `{}` on `{}` follows no database yet (provisioning state `{}`)",
                attachment.name,
                attachment.follower,
                live.provisioning_state.as_deref().unwrap_or("unknown")
            )),
        }];
    }
    leaders
        .into_iter()
        .map(|leader_database| Target {
            attachment,
            database: live.database_name_override.clone().unwrap_or_else(|| {
                format!(
                    "{}{leader_database}",
                    live.database_name_prefix.as_deref().unwrap_or_default()
                )
            }),
            leader_database,
            missing: None,
        })
        .collect()
}

async fn read_database(
    target: Target<'_>,
    follower: Option<&ClusterRead>,
    leader: Option<&ClusterRead>,
    clients: &Clients,
) -> FreshnessReading {
    let attachment = target.attachment;
    let missing = target.missing.as_ref();
    let (follower_tables, leader_tables) = futures::join!(
        read_side(
            missing,
            follower,
            &attachment.follower,
            &target.database,
            clients
        ),
        read_side(
            missing,
            leader,
            &attachment.leader,
            &target.leader_database,
            clients
        ),
    );
    FreshnessReading {
        follower: attachment.follower.clone(),
        database: target.database,
        attachment: attachment.name.clone(),
        leader: attachment.leader.clone(),
        leader_database: target.leader_database,
        budget: attachment.freshness,
        follower_state: follower.map(|c| c.info.state.clone()).unwrap_or_default(),
        follower_tables,
        leader_tables,
        cluster_lag: follower.map_or_else(|| Ok(None), |c| c.latency.clone()),
    }
}

/// One side's tables: `.show tables details` in `database`, unless there is no database to
/// ask (`missing`) or its cluster is not running.
async fn read_side(
    missing: Option<&Unread>,
    cluster: Option<&ClusterRead>,
    alias: &str,
    database: &str,
    clients: &Clients,
) -> Result<Vec<TableExtents>, Unread> {
    if let Some(why) = missing {
        return Err(why.clone());
    }
    let cluster = cluster.ok_or_else(|| format!("cluster `{alias}` was not read"))?;
    if !cluster.is_running() {
        return Err(cluster.not_asked(alias));
    }
    let details = read_tables_details(&clients.kusto, &cluster.info.uri, database)
        .await
        .map_err(|e| error_chain(&e))?;
    extents(&details)
}

/// The newest extent of each table; an unreadable time is an unreadable answer.
fn extents(details: &[TableDetails]) -> Result<Vec<TableExtents>, Unread> {
    details
        .iter()
        .map(|table| {
            let newest = table
                .max_extents_creation_time
                .as_deref()
                .map(|text| {
                    OffsetDateTime::parse(text.trim(), &Rfc3339)
                        .map(SystemTime::from)
                        .map_err(|e| {
                            format!(
                                "`MaxExtentsCreationTime` of table `{}` is not a time: `{text}` ({e})",
                                table.name
                            )
                        })
                })
                .transpose()?;
            Ok(TableExtents {
                table: table.name.clone(),
                newest,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kfollow_model::{
        ClusterId, FollowerDatabaseName, PrincipalsModificationKind, SourceLocation,
        TableLevelSharing,
    };

    fn desired(database: DatabaseSelection, name: FollowerDatabaseName) -> DesiredAttachment {
        DesiredAttachment {
            name: "sales".into(),
            follower: "emea".into(),
            leader: "prod".into(),
            database,
            follower_database_name: name,
            default_principals_modification_kind: PrincipalsModificationKind::Union,
            table_level_sharing: TableLevelSharing::default(),
            follower_databases: std::collections::BTreeMap::new(),
            protect: false,
            freshness: None,
            origin: SourceLocation::default(),
            sharing_origins: Vec::new(),
        }
    }

    fn live(database: &str, names: &[&str]) -> ObservedAttachment {
        ObservedAttachment {
            name: "sales".into(),
            location: "westeurope".into(),
            leader: ClusterId::new("1", "rg", "prod").unwrap(),
            database_name: database.into(),
            database_name_override: None,
            database_name_prefix: None,
            default_principals_modification_kind: PrincipalsModificationKind::Union,
            table_level_sharing: TableLevelSharing::default(),
            attached_database_names: names.iter().map(|n| (*n).to_owned()).collect(),
            provisioning_state: Some("Succeeded".into()),
        }
    }

    fn names(targets: &[Target<'_>]) -> Vec<(String, String, bool)> {
        targets
            .iter()
            .map(|t| {
                (
                    t.database.clone(),
                    t.leader_database.clone(),
                    t.missing.is_some(),
                )
            })
            .collect()
    }

    #[test]
    fn follower_databases_are_named_as_the_live_attachment_names_them() {
        let all = desired(DatabaseSelection::All, FollowerDatabaseName::Same);
        let mut prefixed = live("*", &["Sales", "Web"]);
        prefixed.database_name_prefix = Some("fc_".into());
        assert_eq!(
            names(&targets(&all, Some(&prefixed))),
            [
                ("fc_Sales".into(), "Sales".into(), false),
                ("fc_Web".into(), "Web".into(), false)
            ]
        );
        let one = desired(
            DatabaseSelection::One("Sales".into()),
            FollowerDatabaseName::Override("SalesEmea".into()),
        );
        let mut renamed = live("Sales", &[]);
        renamed.database_name_override = Some("SalesEmea".into());
        assert_eq!(
            names(&targets(&one, Some(&renamed))),
            [("SalesEmea".into(), "Sales".into(), false)]
        );
        // Not attached: one reading that says so, named as the manifest would name it.
        assert_eq!(
            names(&targets(&one, None)),
            [("SalesEmea".into(), "Sales".into(), true)]
        );
        assert_eq!(
            names(&targets(&all, None)),
            [("*".into(), "*".into(), true)]
        );
        // A `"*"` attachment that lists no database yet is a failing reading, not silence.
        assert_eq!(
            names(&targets(&all, Some(&live("*", &[])))),
            [("*".into(), "*".into(), true)]
        );
    }

    fn details(time: Option<&str>) -> TableDetails {
        TableDetails {
            name: "Orders".into(),
            database: "Sales".into(),
            total_extents: Some(1),
            total_row_count: Some(0),
            min_extents_creation_time: time.map(str::to_owned),
            max_extents_creation_time: time.map(str::to_owned),
        }
    }

    #[test]
    fn extent_times_read_with_the_service_s_seven_digits() {
        let read = extents(&[details(Some("2026-05-01T12:00:00.1234567Z"))]).unwrap();
        let expected = SystemTime::UNIX_EPOCH + Duration::new(1_777_636_800, 123_456_700);
        assert_eq!(read[0].newest, Some(expected));
        assert_eq!(extents(&[details(None)]).unwrap()[0].newest, None);
        let error = extents(&[details(Some("yesterday"))]).unwrap_err();
        assert!(error.contains("table `Orders`"), "{error}");
    }
}
