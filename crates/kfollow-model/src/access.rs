//! Who can query the follower databases a manifest manages, and why: what `kfollow-state`
//! reads for it ([`LiveAccess`]) and what `kfollow-diff` makes of it ([`AccessReview`]), which
//! `kfollow-render` prints for `kfollow access`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ObservedPrincipal, PrincipalDetails, PrincipalsModificationKind, Role};

/// One row of `.show database <db> principals`
/// (<https://learn.microsoft.com/kusto/management/manage-database-security-roles>).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalRow {
    /// The database role, when the row is one (`Database Sales Viewer`); rows of cluster-wide
    /// roles (`AllDatabasesAdmin`) and of roles a follower database cannot grant have none.
    pub role: Option<Role>,
    /// `Role` as the service wrote it (`Database Sales Viewer`, `AllDatabasesAdmin`).
    pub role_name: String,
    /// `PrincipalFQN`.
    pub fqn: String,
    /// `Notes`.
    pub notes: String,
    /// The rest of what the row says.
    pub details: PrincipalDetails,
}

impl PrincipalRow {
    /// The role a cluster-wide row grants in every database of its cluster, in the manifest's
    /// words: `AllDatabasesAdmin` is `admins`, `AllDatabasesViewer` `viewers`,
    /// `AllDatabasesMonitor` `monitors`; `None` for a database row or any other role.
    pub fn cluster_wide(&self) -> Option<Role> {
        let name = self.role_name.trim().to_ascii_lowercase();
        let role = name.strip_prefix("alldatabases")?;
        Role::parse(role).filter(|r| matches!(r, Role::Admins | Role::Viewers | Role::Monitors))
    }

    /// The row as a live principal, for telling which manifest principal it is.
    pub fn as_observed(&self) -> ObservedPrincipal {
        ObservedPrincipal {
            fqn: self.fqn.clone(),
            display_name: self.details.display_name.clone(),
            notes: self.notes.clone(),
            details: Some(self.details.clone()),
        }
    }
}

/// What `kfollow access` reads: every live follower database that an attachment of the
/// manifest made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveAccess {
    /// The follower databases, by follower alias then attachment (manifest order) then name.
    pub databases: Vec<LiveDatabaseAccess>,
    /// Attachments of the manifest that made no follower database (not attached yet), as
    /// `(follower alias, attachment name)`.
    pub not_attached: Vec<(String, String)>,
}

/// A follower database under review: where it is, what it follows, and how the leader's
/// principals and the follower's combine on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseUnderReview {
    /// The follower cluster's alias.
    pub follower: String,
    /// The follower database's name.
    pub database: String,
    /// The attachment that made it.
    pub attachment: String,
    /// The leader cluster's alias.
    pub leader: String,
    /// The leader database it follows.
    pub leader_database: String,
    /// How the leader's principals and the follower's combine.
    pub principals_modification_kind: PrincipalsModificationKind,
}

/// One follower database and the three lists that say who can query it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveDatabaseAccess {
    /// The follower database.
    pub of: DatabaseUnderReview,
    /// `.show database <database> principals` on the follower cluster: who can query it.
    pub effective: Vec<PrincipalRow>,
    /// `.show database <leader database> principals` on the leader cluster.
    pub leader_principals: Vec<PrincipalRow>,
    /// The principals the follower adds (`AuthorizedPrincipalsOverride` of
    /// `.show follower databases`), per role.
    pub overrides: BTreeMap<Role, Vec<ObservedPrincipal>>,
}

/// Why a principal can query a follower database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The leader database grants it, and the principals modification kind (`Union`, `None`)
    /// lets the leader's principals through.
    Leader,
    /// The follower database adds it, and the kind (`Union`, `Replace`) lets the follower's
    /// principals through.
    Override,
    /// A cluster-wide role of the follower cluster (`AllDatabasesViewer`, …).
    Cluster,
}

impl Origin {
    /// Its word in every output form: `leader`, `override`, `cluster`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Leader => "leader",
            Origin::Override => "override",
            Origin::Cluster => "cluster",
        }
    }
}

/// Who can query the follower databases of a manifest, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessReview {
    /// One entry per follower database, in [`LiveAccess`]'s order.
    pub databases: Vec<DatabaseAccess>,
    /// What a reviewer should know beside the lists: attachments not attached yet, principals
    /// the manifest grants that cannot query.
    pub warnings: Vec<String>,
}

impl AccessReview {
    /// Every principal of every database, with its database.
    pub fn principals(&self) -> impl Iterator<Item = (&DatabaseAccess, &PrincipalAccess)> {
        self.databases
            .iter()
            .flat_map(|d| d.principals.iter().map(move |p| (d, p)))
    }

    /// How many principals come from nowhere the manifest explains.
    pub fn unexplained(&self) -> usize {
        self.principals().filter(|(_, p)| p.unexplained).count()
    }
}

/// Who can query one follower database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseAccess {
    /// The follower database.
    pub of: DatabaseUnderReview,
    /// Each role and principal that can query it, by role, then display name.
    pub principals: Vec<PrincipalAccess>,
}

/// One principal in one role of a follower database, and why it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalAccess {
    /// The role.
    pub role: Role,
    /// The principal as the service stores it (`aaduser=<object id>;<tenant id>`).
    pub principal: String,
    /// The directory's display name (a user's with ` (upn: …)`).
    pub display: String,
    /// Where it comes from; empty when from nowhere kfollow can see.
    pub origin: Vec<Origin>,
    /// Whether the manifest lists it in this role of this follower database: `None` when
    /// nothing read can tell (the service stores a principal under its object id, and shows
    /// no address or notes that tie it to the manifest's form).
    pub declared: Option<bool>,
    /// True when the manifest does not declare it and it comes from neither the leader nor an
    /// override: a reviewer must look at it.
    pub unexplained: bool,
}
