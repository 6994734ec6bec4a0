//! Why a plan cannot be made: live state that breaks a service rule, or a protected
//! attachment that would be replaced. Every error starts with the manifest line it is about.

use std::fmt;

/// One reason the plan cannot be made. `at` is `FILE:LINE:COLUMN` of the manifest node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// The manifest names a cluster alias it does not declare (the spec stage should have
    /// caught this).
    #[error("{at}: cluster alias `{alias}` is not declared under `clusters`")]
    UnknownAlias {
        /// Where it is used.
        at: String,
        /// The alias.
        alias: String,
    },
    /// A cluster the manifest names was not found in Azure.
    #[error(
        "{at}: cluster `{alias}` (`{id}`) does not exist or was not read; check its id and \
         your access to the subscription"
    )]
    ClusterMissing {
        /// Where the cluster is declared.
        at: String,
        /// Its alias.
        alias: String,
        /// Its resource id.
        id: String,
    },
    /// A cluster is not running, so its databases and follower database settings cannot be
    /// read and it accepts no write: nothing can be attached to it or followed from it.
    #[error(
        "{at}: cluster `{alias}` is `{state}`, not `Running`, so kfollow can neither read its \
         databases nor change it; {advice}, then plan again"
    )]
    ClusterNotRunning {
        /// Where the cluster is declared.
        at: String,
        /// Its alias.
        alias: String,
        /// `properties.state`.
        state: String,
        /// What brings it back (`start it with `az kusto cluster start …``).
        advice: String,
    },
    /// The live cluster is not where the manifest says it is.
    #[error("{at}: cluster `{alias}` is in `{live}`, but the manifest says `location: {declared}`")]
    ClusterLocation {
        /// Where the cluster is declared.
        at: String,
        /// Its alias.
        alias: String,
        /// The manifest's `location`.
        declared: String,
        /// The live region.
        live: String,
    },
    /// The leader database does not exist.
    #[error("{at}: leader database `{database}` does not exist on `{leader}`")]
    LeaderDatabaseMissing {
        /// Where the attachment is declared.
        at: String,
        /// The leader alias.
        leader: String,
        /// The database.
        database: String,
    },
    /// The leader database is itself a follower database; only read-write databases can be
    /// followed.
    #[error(
        "{at}: `{database}` on `{leader}` is a follower database (`ReadOnlyFollowing`); \
         only a read-write database can be followed, follow its leader instead"
    )]
    LeaderDatabaseNotReadWrite {
        /// Where the attachment is declared.
        at: String,
        /// The leader alias.
        leader: String,
        /// The database.
        database: String,
    },
    /// Leader and follower are in different regions.
    #[error(
        "{at}: leader `{leader}` is in `{leader_location}` and follower `{follower}` in \
         `{follower_location}`; a follower must be in its leader's region"
    )]
    RegionMismatch {
        /// Where the attachment is declared.
        at: String,
        /// The leader alias.
        leader: String,
        /// Its region.
        leader_location: String,
        /// The follower alias.
        follower: String,
        /// Its region.
        follower_location: String,
    },
    /// The follower database name the attachment would produce is taken on the follower.
    #[error("{at}: follower database name `{database}` is taken on `{follower}` by {taken_by}")]
    FollowerDatabaseNameTaken {
        /// Where the attachment is declared.
        at: String,
        /// The follower alias.
        follower: String,
        /// The name.
        database: String,
        /// What holds it (`a read-write database`, `the follower database of attachment x`).
        taken_by: String,
    },
    /// A caching override names a table or materialized view the leader database does not
    /// have.
    #[error(
        "{at}: {kind} `{name}` does not exist in database `{database}` on leader `{leader}`, \
         so its caching override cannot be set; {}",
        same_but_case.as_ref().map_or_else(
            || "fix the name or remove the override".to_owned(),
            |s| format!("did you mean `{s}`? (names are case-sensitive)")
        )
    )]
    LeaderEntityMissing {
        /// Where the entity is named.
        at: String,
        /// `table` or `materialized view`.
        kind: &'static str,
        /// The name in the manifest.
        name: String,
        /// The leader database.
        database: String,
        /// The leader alias.
        leader: String,
        /// An entity of the same name in another case (names are case-sensitive).
        same_but_case: Option<String>,
    },
    /// The manifest declares an attachment that Azure Data Share made and manages.
    #[error(
        "{at}: attachment `{name}` on `{follower}` (following `{leader}`/`{database}`) was made \
         by Azure Data Share (databaseShareOrigin `DataShare`) and belongs to its share \
         subscription, which kfollow does not change; manage it in Azure Data Share, or remove \
         it from the manifest"
    )]
    ManagedByDataShare {
        /// Where the attachment is declared.
        at: String,
        /// The follower alias.
        follower: String,
        /// The attachment name, as ARM spells it.
        name: String,
        /// The leader it follows: its alias, else its cluster name.
        leader: String,
        /// The leader database it follows, or `*`.
        database: String,
    },
    /// A protected attachment would be replaced.
    #[error(
        "{at}: attachment `{name}` on `{follower}` is protected, but `{attribute}` forces \
         replacement; change the manifest back, or remove `protect: true` to allow it"
    )]
    ProtectedReplace {
        /// Where the attachment is declared.
        at: String,
        /// The follower alias.
        follower: String,
        /// The attachment name.
        name: String,
        /// The attribute that forces the replacement.
        attribute: String,
    },
}

/// Every reason the plan cannot be made, found in one pass so the user fixes them at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffErrors(pub Vec<DiffError>);

impl fmt::Display for DiffErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} problems with the live state:", many.len())?;
                for error in many {
                    write!(f, "\n  {error}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for DiffErrors {}
