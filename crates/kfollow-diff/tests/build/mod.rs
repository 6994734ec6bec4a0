//! Short builders for `Desired` and `Observed`, and a stand-in for the service that reports
//! the state after a plan was applied (the way ARM and `.show follower databases` answer).

#![allow(dead_code)]

use std::collections::BTreeMap;

use kfollow_model::{
    DatabaseKind, DatabaseSelection, Desired, DesiredAttachment, DesiredCluster,
    FollowerDatabaseName, FollowerDatabaseSettings, LeaderFollower, Managed, Observed,
    ObservedAttachment, ObservedCluster, ObservedDatabase, ObservedFollowerSettings,
    ObservedPrincipal, Operation, Plan, Principal, PrincipalDetails, PrincipalKind,
    PrincipalsModificationKind, SourceLocation, TableLevelSharing, Timespan, UnmanagedPolicy,
};

pub fn id(cluster: &str) -> kfollow_model::ClusterId {
    format!(
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-analytics/providers/Microsoft.Kusto/clusters/fc{cluster}"
    )
    .parse()
    .unwrap()
}

pub fn span(text: &str) -> Timespan {
    Timespan::parse(text).unwrap()
}

pub fn principal(text: &str) -> Principal {
    text.parse().unwrap()
}

/// A desired and an observed state, edited in place by the tests.
#[derive(Debug, Clone)]
pub struct World {
    pub desired: Desired,
    pub observed: Observed,
    /// Whether the service shows the notes of `.add` (nothing public says it does). Without
    /// them, principals come with what `.show database … principals` says of them.
    pub echo_notes: bool,
}

impl World {
    /// Two running clusters in West Europe: `prod` (databases `Sales`, `Logs`) and `emea`.
    pub fn new() -> World {
        let mut world = World {
            desired: Desired {
                source_name: "kfollow.yaml".into(),
                ..Desired::default()
            },
            observed: Observed::default(),
            echo_notes: false,
        };
        world.cluster("prod");
        world.cluster("emea");
        world.database("prod", "Sales");
        world.database("prod", "Logs");
        world
    }

    pub fn cluster(&mut self, alias: &str) {
        let line = 3 + 3 * self.desired.clusters.len() as u32;
        self.desired.clusters.insert(
            alias.into(),
            DesiredCluster {
                alias: alias.into(),
                id: id(alias),
                location: None,
                unmanaged_followers: UnmanagedPolicy::Report,
                unmanaged_attachments: UnmanagedPolicy::Report,
                origin: SourceLocation { line, column: 3 },
            },
        );
        self.observed.clusters.insert(
            id(alias),
            ObservedCluster {
                id: id(alias),
                location: "westeurope".into(),
                state: "Running".into(),
                uri: format!("https://fc{alias}.westeurope.kusto.windows.net"),
                databases: Vec::new(),
                attachments: Vec::new(),
                followers: Vec::new(),
                follower_settings: Some(BTreeMap::new()),
                database_entities: BTreeMap::new(),
            },
        );
    }

    pub fn database(&mut self, alias: &str, name: &str) {
        self.live(alias).databases.push(ObservedDatabase {
            name: name.into(),
            kind: DatabaseKind::ReadWrite,
            leader_cluster_id: None,
            attached_database_configuration_name: None,
            original_database_name: None,
            hot_cache_period: None,
            database_share_origin: None,
        });
    }

    pub fn live(&mut self, alias: &str) -> &mut ObservedCluster {
        self.observed.clusters.get_mut(&id(alias)).unwrap()
    }

    pub fn declared(&mut self, alias: &str) -> &mut DesiredCluster {
        self.desired.clusters.get_mut(alias).unwrap()
    }

    /// Adds a manifest attachment, at line 20 + 10 × its index.
    pub fn attach(
        &mut self,
        name: &str,
        follower: &str,
        leader: &str,
        database: &str,
    ) -> &mut DesiredAttachment {
        let line = 20 + 10 * self.desired.attachments.len() as u32;
        self.desired.attachments.push(DesiredAttachment {
            name: name.into(),
            follower: follower.into(),
            leader: leader.into(),
            database: DatabaseSelection::from_arm(database),
            follower_database_name: FollowerDatabaseName::Same,
            default_principals_modification_kind: PrincipalsModificationKind::Union,
            table_level_sharing: TableLevelSharing::default(),
            follower_databases: BTreeMap::new(),
            protect: false,
            freshness: None,
            origin: SourceLocation { line, column: 5 },
            sharing_origins: Vec::new(),
        });
        self.desired.attachments.last_mut().unwrap()
    }

    /// The `followerDatabase` settings of an attachment, created empty.
    pub fn settings(
        &mut self,
        attachment: &str,
        leader_database: &str,
    ) -> &mut FollowerDatabaseSettings {
        let a = self
            .desired
            .attachments
            .iter_mut()
            .find(|a| a.name == attachment)
            .unwrap();
        let line = a.origin.line + 5;
        a.follower_databases
            .entry(leader_database.into())
            .or_insert_with(|| FollowerDatabaseSettings {
                origin: SourceLocation { line, column: 7 },
                ..FollowerDatabaseSettings::default()
            })
    }

    pub fn plan(&self) -> Plan {
        match kfollow_diff::diff(&self.desired, &self.observed) {
            Ok(plan) => plan,
            Err(errors) => panic!("{errors}"),
        }
    }

    pub fn errors(&self) -> Vec<String> {
        match kfollow_diff::diff(&self.desired, &self.observed) {
            Ok(plan) => panic!("expected errors, got {plan:#?}"),
            Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
        }
    }

    /// Applies the plan the way the service would, then reports the result the way ARM and
    /// `.show follower databases` answer: other casing and spacing, reordered lists,
    /// read-only fields filled, principals normalised to object ids, with kfollow's notes when
    /// [`World::echo_notes`] says so and what the directory says of them otherwise.
    pub fn apply(&mut self, plan: &Plan) {
        for change in &plan.changes {
            for op in &change.operations {
                match op {
                    Operation::DeleteAttachment { follower, name } => self.delete(follower, name),
                    Operation::DetachFollower {
                        follower,
                        attachment_name,
                        ..
                    } => self.delete(follower, attachment_name),
                    Operation::PutAttachment {
                        follower,
                        name,
                        body,
                    } => {
                        self.delete(follower, name);
                        self.put(follower, name, body);
                    }
                    // The operation that was running ends as it was going to.
                    Operation::AwaitAttachment { follower, name, .. } if op.awaits_removal() => {
                        self.delete(follower, name);
                    }
                    Operation::AwaitAttachment { follower, name, .. } => {
                        self.finish(follower, name);
                    }
                    Operation::KustoCommand { .. } | Operation::PutFollowerHotCache { .. } => {}
                }
            }
        }
        self.report_settings();
        self.read_principals();
    }

    /// The operation running on an attachment succeeds.
    fn finish(&mut self, follower: &kfollow_model::ClusterId, name: &str) {
        let cluster = self.observed.clusters.get_mut(follower).unwrap();
        for attachment in &mut cluster.attachments {
            if attachment.name.eq_ignore_ascii_case(name) {
                attachment.provisioning_state = Some("Succeeded".into());
            }
        }
    }

    fn delete(&mut self, follower: &kfollow_model::ClusterId, name: &str) {
        let Some(cluster) = self.observed.clusters.get_mut(follower) else {
            return;
        };
        cluster
            .attachments
            .retain(|a| !a.name.eq_ignore_ascii_case(name));
        let gone: Vec<String> = cluster
            .databases
            .iter()
            .filter(|d| {
                d.attached_database_configuration_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .map(|d| d.name.clone())
            .collect();
        cluster.databases.retain(|d| !gone.contains(&d.name));
        if let Some(settings) = &mut cluster.follower_settings {
            settings.retain(|db, _| !gone.contains(db));
        }
        for leader in self.observed.clusters.values_mut() {
            leader.followers.retain(|f| {
                !(&f.follower == follower && f.attachment_name.eq_ignore_ascii_case(name))
            });
        }
    }

    fn put(
        &mut self,
        follower: &kfollow_model::ClusterId,
        name: &str,
        body: &kfollow_model::AttachmentBody,
    ) {
        let leader_live = self.observed.clusters[&body.leader].clone();
        let naming = match (&body.database_name_override, &body.database_name_prefix) {
            (Some(o), _) => FollowerDatabaseName::Override(o.clone()),
            (None, Some(p)) => FollowerDatabaseName::Prefix(p.clone()),
            _ => FollowerDatabaseName::Same,
        };
        let leader_databases: Vec<String> = if body.database_name == "*" {
            leader_live
                .databases
                .iter()
                .filter(|d| d.kind == DatabaseKind::ReadWrite)
                .map(|d| d.name.clone())
                .collect()
        } else {
            vec![body.database_name.clone()]
        };
        let mut sharing = body.table_level_sharing.clone();
        sharing.tables_to_include.reverse();
        sharing.functions_to_exclude.reverse();
        let leader_id: kfollow_model::ClusterId =
            body.leader.to_string().to_uppercase().parse().unwrap();
        let cluster = self.observed.clusters.get_mut(follower).unwrap();
        cluster.attachments.push(ObservedAttachment {
            name: name.to_uppercase(),
            location: "West Europe".into(),
            leader: leader_id.clone(),
            database_name: body.database_name.to_lowercase(),
            database_name_override: body
                .database_name_override
                .clone()
                .map(|o| o.to_uppercase()),
            database_name_prefix: Some(body.database_name_prefix.clone().unwrap_or_default()),
            default_principals_modification_kind: body.default_principals_modification_kind,
            table_level_sharing: sharing.clone(),
            attached_database_names: leader_databases.iter().map(|d| naming.apply(d)).collect(),
            provisioning_state: Some("Succeeded".into()),
        });
        for leader_database in &leader_databases {
            cluster.databases.push(ObservedDatabase {
                name: naming.apply(leader_database),
                kind: DatabaseKind::ReadOnlyFollowing,
                leader_cluster_id: Some(leader_id.clone()),
                attached_database_configuration_name: Some(name.into()),
                original_database_name: Some(leader_database.clone()),
                hot_cache_period: None,
                database_share_origin: Some(kfollow_model::DatabaseShareOrigin::Direct),
            });
            if let Some(settings) = &mut cluster.follower_settings {
                settings.insert(
                    naming.apply(leader_database),
                    ObservedFollowerSettings {
                        database_name: naming.apply(leader_database),
                        leader_cluster: "https://storage.blob.core.windows.net/prod".into(),
                        principals_modification_kind: body.default_principals_modification_kind,
                        ..ObservedFollowerSettings::default()
                    },
                );
            }
        }
        let leader = self.observed.clusters.get_mut(&body.leader).unwrap();
        leader.followers.push(LeaderFollower {
            follower: follower.clone(),
            attachment_name: name.into(),
            database_name: body.database_name.clone(),
            table_level_sharing: sharing,
            database_share_origin: Some(kfollow_model::DatabaseShareOrigin::Direct),
        });
    }

    /// The principals as `kfollow-state` reads them: without notes unless
    /// [`World::echo_notes`], and with what `.show database … principals` says of them in the
    /// follower databases that hold a principal without kfollow's notes.
    pub fn read_principals(&mut self) {
        let echo = self.echo_notes;
        for cluster in self.observed.clusters.values_mut() {
            for settings in cluster
                .follower_settings
                .iter_mut()
                .flat_map(|s| s.values_mut())
            {
                let all = settings.principals.values_mut().flatten();
                if !echo {
                    all.for_each(|p| p.notes.clear());
                }
                let all = settings.principals.values_mut().flatten();
                let lookup: Vec<&mut ObservedPrincipal> = all.collect();
                if lookup.iter().all(|p| p.noted().is_some()) {
                    continue;
                }
                for principal in lookup {
                    if principal.details.is_none() {
                        principal.details = Some(details(principal));
                    }
                }
            }
        }
    }

    /// Writes the manifest's follower database settings as the service reports them.
    fn report_settings(&mut self) {
        for a in self.desired.attachments.clone() {
            let follower = id(&a.follower);
            for (leader_database, wanted) in &a.follower_databases {
                let database = a.follower_database_name.apply(leader_database);
                let cluster = self.observed.clusters.get_mut(&follower).unwrap();
                let Some(all) = &mut cluster.follower_settings else {
                    continue;
                };
                let live = all.entry(database.clone()).or_default();
                live.database_name = database;
                match wanted.hot_cache_period {
                    Managed::Unmanaged => {}
                    Managed::Unset => live.hot_cache_period = None,
                    Managed::Set(hot) => live.hot_cache_period = Some(span(&hot.to_dotnet())),
                }
                if let Some(tables) = &wanted.tables {
                    live.tables = tables
                        .iter()
                        .map(|(t, h)| (t.clone(), span(&h.to_dotnet())))
                        .collect();
                }
                if let Some(views) = &wanted.materialized_views {
                    live.materialized_views = views
                        .iter()
                        .map(|(t, h)| (t.clone(), span(&h.to_iso8601())))
                        .collect();
                }
                for (role, principals) in &wanted.principals {
                    let mut seen = Vec::new();
                    let list = live.principals.entry(*role).or_default();
                    list.clear();
                    for p in principals {
                        if seen.contains(p) {
                            continue;
                        }
                        seen.push(p.clone());
                        list.push(normalised(p));
                    }
                }
                if let Some(kind) = wanted.principals_modification_kind {
                    live.principals_modification_kind = kind;
                }
                if let Some(kind) = wanted.caching_policies_modification_kind {
                    live.caching_policies_modification_kind = kind;
                }
                if let Some(prefetch) = wanted.prefetch_extents {
                    live.prefetch_extents = prefetch;
                }
            }
        }
    }
}

/// How the service stores a principal kfollow added: by object id, with kfollow's notes.
pub fn normalised(p: &Principal) -> ObservedPrincipal {
    let mut hash: u64 = 1469598103934665603;
    for byte in p.key().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(1099511628211);
    }
    let display_name = match p.kind() {
        PrincipalKind::AadUser | PrincipalKind::MsaUser => {
            format!("Someone (upn: {})", p.identity())
        }
        // A group's or an application's display name need not resemble how it was named.
        _ => format!("Team {:04x}", hash & 0xffff),
    };
    ObservedPrincipal {
        fqn: format!(
            "{}={:08x}-abcd-efef-1234-{:012x};55555555-4444-3333-2222-2d7cd011db47",
            p.kind().prefix(),
            hash >> 32,
            hash & 0xffff_ffff_ffff
        ),
        display_name,
        notes: format!("kfollow: {p}"),
        details: None,
    }
}

/// What `.show database … principals` says of a stored principal.
pub fn details(principal: &ObservedPrincipal) -> PrincipalDetails {
    let object_id = principal
        .fqn
        .split_once('=')
        .map(|(_, rest)| rest.split(';').next().unwrap_or(rest))
        .unwrap_or_default();
    PrincipalDetails {
        principal_type: "Microsoft Entra user".into(),
        display_name: principal.display_name.clone(),
        object_id: object_id.into(),
    }
}
