//! Bearer tokens and the world's `callers`: who may read, write (ARM contributor) and
//! administer databases (Kusto database admin) on which cluster.

use kfollow_model::ClusterId;

use crate::world::{Caller, World};

/// What a request needs on its cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any known caller may read.
    Read,
    /// An ARM write: the caller must be a contributor on the cluster.
    Contribute,
    /// A Kusto management command: the caller must be a database admin on the cluster.
    DatabaseAdmin,
    /// A Kusto management command that only reads a database's schema: the caller must be a
    /// database viewer (or user, or monitor) or a database admin on the cluster.
    DatabaseViewer,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// A token the world does not know.
    UnknownToken,
    /// A known caller without the right; carries the caller's name (never the token).
    Forbidden(String),
}

/// Checks the `Authorization` header against the world for an access to a cluster.
pub fn authorize(
    world: &World,
    authorization: Option<&str>,
    cluster: Option<&ClusterId>,
    access: Access,
) -> Result<(), Denied> {
    let token = authorization
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or(Denied::Missing)?;
    if world.callers.is_empty() {
        return Ok(());
    }
    let caller = world
        .callers
        .iter()
        .find(|c| c.token == token)
        .ok_or(Denied::UnknownToken)?;
    let allowed = match (access, cluster) {
        (Access::Read, _) | (_, None) => true,
        (Access::Contribute, Some(id)) => covers(&caller.contributor_on, id),
        (Access::DatabaseAdmin, Some(id)) => covers(&caller.database_admin_on, id),
        (Access::DatabaseViewer, Some(id)) => {
            covers(&caller.database_viewer_on, id) || covers(&caller.database_admin_on, id)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied::Forbidden(display_name(caller)))
    }
}

fn covers(entries: &[String], cluster: &ClusterId) -> bool {
    entries.iter().any(|entry| {
        entry == "*"
            || entry.eq_ignore_ascii_case(cluster.name())
            || entry.parse::<ClusterId>().is_ok_and(|id| &id == cluster)
    })
}

fn display_name(caller: &Caller) -> String {
    if caller.name.is_empty() {
        "unnamed caller".to_owned()
    } else {
        caller.name.clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn world() -> World {
        World {
            callers: vec![Caller {
                name: "ops".into(),
                token: "t-ops".into(),
                contributor_on: vec!["fcemea".into()],
                database_admin_on: vec![],
                database_viewer_on: vec!["fcemea".into()],
            }],
            ..World::default()
        }
    }

    #[test]
    fn rights_follow_the_callers_list() {
        let world = world();
        let emea: ClusterId =
            "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/FCEMEA"
                .parse()
                .unwrap();
        assert_eq!(
            authorize(&world, None, Some(&emea), Access::Read),
            Err(Denied::Missing)
        );
        assert_eq!(
            authorize(&world, Some("Bearer nope"), Some(&emea), Access::Read),
            Err(Denied::UnknownToken)
        );
        assert!(
            authorize(
                &world,
                Some("Bearer t-ops"),
                Some(&emea),
                Access::Contribute
            )
            .is_ok()
        );
        assert_eq!(
            authorize(
                &world,
                Some("bearer t-ops"),
                Some(&emea),
                Access::DatabaseAdmin
            ),
            Err(Denied::Forbidden("ops".into()))
        );
        assert!(
            authorize(
                &world,
                Some("Bearer t-ops"),
                Some(&emea),
                Access::DatabaseViewer
            )
            .is_ok()
        );
    }

    #[test]
    fn no_callers_means_any_bearer() {
        assert!(
            authorize(
                &World::default(),
                Some("Bearer x"),
                None,
                Access::Contribute
            )
            .is_ok()
        );
        assert!(authorize(&World::default(), Some("Basic x"), None, Access::Read).is_err());
    }
}
