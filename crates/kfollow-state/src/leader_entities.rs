//! The tables and materialized views of the leader databases whose follower settings give
//! caching overrides, so that `kfollow-diff` can refuse an override of an entity the leader
//! does not have before apply meets `EntityNotFound` half-way.
//!
//! Per leader database named by such settings, on the leader cluster's management endpoint
//! with the database as `db`: `.show tables details` when the settings name tables,
//! `.show materialized-views` when they name views. At most two calls per leader database
//! with overrides, however many tables they name; none for a plan without overrides.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;
use kfollow_azure::{KustoError, V1Response};
use kfollow_model::{
    ClusterId, DatabaseKind, DatabaseSelection, Desired, Observed, ObservedEntities, kql,
};

use crate::{Clients, StateError};

/// What to read of one leader database.
#[derive(Debug, Default, Clone, Copy)]
struct Wanted {
    tables: bool,
    materialized_views: bool,
}

/// Reads the entities of every leader database whose follower settings name tables or
/// views, into the leader's `database_entities`. Databases that do not exist, or are not
/// read-write, are left out: `kfollow-diff` reports them.
pub(crate) async fn read(
    desired: &Desired,
    observed: &mut Observed,
    clients: &Clients,
) -> Result<(), StateError> {
    let mut wanted: BTreeMap<(ClusterId, String), (String, Wanted)> = BTreeMap::new();
    for attachment in &desired.attachments {
        let Some(leader) = desired.cluster(&attachment.leader) else {
            continue;
        };
        let Some(live) = observed.cluster(&leader.id) else {
            continue;
        };
        for (database, settings) in &attachment.follower_databases {
            let database = match &attachment.database {
                DatabaseSelection::One(one) => one,
                DatabaseSelection::All => database,
            };
            let names =
                |list: &Option<BTreeMap<_, _>>| list.as_ref().is_some_and(|l| !l.is_empty());
            let (tables, views) = (names(&settings.tables), names(&settings.materialized_views));
            if !tables && !views {
                continue;
            }
            let Some(found) = live
                .database(database)
                .filter(|d| d.kind == DatabaseKind::ReadWrite)
            else {
                continue;
            };
            let entry = wanted
                .entry((leader.id.clone(), found.name.to_ascii_lowercase()))
                .or_insert_with(|| (found.name.clone(), Wanted::default()));
            entry.1.tables |= tables;
            entry.1.materialized_views |= views;
        }
    }
    let reads = wanted.into_iter().map(|((id, _), (database, wanted))| {
        let alias = desired
            .clusters
            .values()
            .find(|c| c.id == id)
            .map_or_else(|| id.name().to_owned(), |c| c.alias.clone());
        let uri = observed
            .cluster(&id)
            .map(|c| c.uri.clone())
            .unwrap_or_default();
        async move {
            let entities = read_database(&uri, &alias, &database, wanted, clients).await?;
            Ok::<_, StateError>((id, database, entities))
        }
    });
    for (id, database, entities) in try_join_all(reads).await? {
        if let Some(cluster) = observed.clusters.get_mut(&id) {
            cluster.database_entities.insert(database, entities);
        }
    }
    Ok(())
}

async fn read_database(
    uri: &str,
    alias: &str,
    database: &str,
    wanted: Wanted,
    clients: &Clients,
) -> Result<ObservedEntities, StateError> {
    let ask = |command: &'static str, column: &'static str| async move {
        let answer = clients
            .kusto
            .mgmt(uri, database, command)
            .await
            .map_err(|source| failed(alias, database, command, source))?;
        names(&answer, column).ok_or_else(|| StateError::Unreadable {
            alias: alias.to_owned(),
            what: format!(
                "the answer of `{command}` in database `{database}`: it has no `{column}` column"
            ),
        })
    };
    let tables = async {
        if wanted.tables {
            ask(kql::SHOW_TABLES_DETAILS, "TableName").await.map(Some)
        } else {
            Ok(None)
        }
    };
    let materialized_views = async {
        if wanted.materialized_views {
            ask(kql::SHOW_MATERIALIZED_VIEWS, "Name").await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (tables, materialized_views) = futures::try_join!(tables, materialized_views)?;
    Ok(ObservedEntities {
        tables,
        materialized_views,
    })
}

fn failed(alias: &str, database: &str, command: &str, source: KustoError) -> StateError {
    StateError::LeaderEntities {
        alias: alias.to_owned(),
        database: database.to_owned(),
        command: command.to_owned(),
        source,
    }
}

/// The values of a string column, `None` when the answer has no such column.
fn names(answer: &V1Response, column: &str) -> Option<BTreeSet<String>> {
    let table = answer.primary()?;
    table.column_index(column)?;
    Some(
        table
            .rows()
            .iter()
            .filter_map(|row| row.str(column).map(str::to_owned))
            .collect(),
    )
}
