//! `followerDatabase` / `followerDatabases` → the model's follower database settings, with the
//! warnings about overrides that cannot take effect.

use std::collections::BTreeMap;

use kfollow_model::{
    DatabaseSelection, FollowerDatabaseSettings, Managed, Role, TableLevelSharing,
};

use crate::check::location_of;
use crate::diagnostic::Sink;
use crate::manifest::{At, AttachmentSpec, FollowerDatabaseSpec};
use crate::names::Kind;

/// `followerDatabase` / `followerDatabases` → settings by leader database name.
pub(crate) fn settings(
    sink: &mut Sink,
    spec: &AttachmentSpec,
    database: Option<&DatabaseSelection>,
    sharing: &TableLevelSharing,
) -> BTreeMap<String, FollowerDatabaseSettings> {
    let mut out = BTreeMap::new();
    match database {
        Some(DatabaseSelection::All) => {
            if let Some(one) = &spec.follower_database {
                sink.error(
                    "kfollow::all-databases",
                    one.pos,
                    "`followerDatabase` needs a single database, not `\"*\"`",
                    "not with `databaseName: \"*\"`",
                )
                .also("all databases", spec.database_name.pos)
                .help("put the settings under `followerDatabases`, by leader database name");
            }
            for (database, one) in spec.follower_databases.iter().flatten() {
                if !crate::names::kusto_name(sink, Kind::Database, database) {
                    continue;
                }
                out.insert(
                    database.value.clone(),
                    follower_settings(sink, one, sharing),
                );
            }
        }
        Some(DatabaseSelection::One(name)) => {
            if let Some(many) = &spec.follower_databases {
                let pos = many
                    .first()
                    .map_or(spec.database_name.pos, |(key, _)| key.pos);
                sink.error(
                    "kfollow::single-database",
                    pos,
                    "`followerDatabases` is for `databaseName: \"*\"`; this attachment follows one database",
                    "not with a single database",
                )
                .also("one database", spec.database_name.pos)
                .help("put the settings under `followerDatabase`");
            }
            if let Some(one) = &spec.follower_database {
                out.insert(name.clone(), follower_settings(sink, one, sharing));
            }
        }
        None => {}
    }
    out
}

fn follower_settings(
    sink: &mut Sink,
    spec: &FollowerDatabaseSpec,
    sharing: &TableLevelSharing,
) -> FollowerDatabaseSettings {
    let mut table_origins = BTreeMap::new();
    let mut materialized_view_origins = BTreeMap::new();
    let mut overrides = |sink: &mut Sink,
                         list: &Option<crate::manifest::Named<crate::manifest::CachingSpec>>,
                         kind: Kind,
                         shared: &dyn Fn(&str) -> bool| {
        let noun = match kind {
            Kind::Table => "table",
            _ => "materialized view",
        };
        list.as_ref().map(|list| {
            let mut hot = BTreeMap::new();
            for (name, caching) in list {
                if !crate::names::kusto_name(sink, kind, name) {
                    continue;
                }
                if !shared(&name.value) {
                    sink.warning(
                        "kfollow::not-shared",
                        name.pos,
                        format!("{noun} `{}` is not shared by `tableLevelSharing`; its caching override has no effect", name.value),
                        "not shared",
                    )
                    .help(format!("include the {noun} in `tableLevelSharing`, or remove this override"));
                }
                let origins = match kind {
                    Kind::Table => &mut table_origins,
                    _ => &mut materialized_view_origins,
                };
                origins.insert(name.value.clone(), location_of(name.pos));
                hot.insert(name.value.clone(), caching.hot_cache_period.value);
            }
            hot
        })
    };
    let tables = overrides(sink, &spec.tables, Kind::Table, &|t| {
        sharing.shares_table(t)
    });
    let materialized_views = overrides(
        sink,
        &spec.materialized_views,
        Kind::MaterializedView,
        &|v| sharing.shares_materialized_view(v),
    );
    let mut principals = BTreeMap::new();
    if let Some(spec) = &spec.principals {
        for (role, list) in [
            (Role::Admins, &spec.admins),
            (Role::Users, &spec.users),
            (Role::Viewers, &spec.viewers),
            (Role::UnrestrictedViewers, &spec.unrestricted_viewers),
            (Role::Monitors, &spec.monitors),
        ] {
            if let Some(list) = list {
                let mut seen: Vec<&At<kfollow_model::Principal>> = Vec::new();
                for principal in list {
                    if let Some(first) = seen.iter().find(|p| p.value == principal.value) {
                        sink.warning(
                            "kfollow::duplicate-principal",
                            principal.pos,
                            format!("`{}` is listed twice under `{role}`", principal.value),
                            "repeated",
                        )
                        .also("first here", first.pos);
                    } else {
                        seen.push(principal);
                    }
                }
                principals.insert(role, seen.into_iter().map(|p| p.value.clone()).collect());
            }
        }
    }
    FollowerDatabaseSettings {
        hot_cache_period: match spec.hot_cache_period.as_ref().map(|t| t.value) {
            None => Managed::Unmanaged,
            Some(None) => Managed::Unset,
            Some(Some(hot)) => Managed::Set(hot),
        },
        tables,
        materialized_views,
        principals,
        principals_modification_kind: spec.principals_modification_kind.as_ref().map(|k| k.value),
        caching_policies_modification_kind: spec
            .caching_policies_modification_kind
            .as_ref()
            .map(|k| k.value),
        prefetch_extents: spec.prefetch_extents.as_ref().map(|p| p.value),
        origin: location_of(spec.pos),
        table_origins,
        materialized_view_origins,
    }
}
