//! The shared vocabulary of kfollow.
//!
//! Every stage of the pipeline (spec → diff → graph → apply, and state beside them) speaks in the
//! types of this crate: [`ClusterId`], [`Timespan`], [`Principal`], the wanted topology
//! ([`Desired`]), what Azure reports ([`Observed`]), and the result of comparing them
//! ([`Change`], [`Plan`]). It holds no policy, and no I/O but reading a saved plan's file back
//! ([`SavedPlan::read_file`]); the rules of the service live in `kfollow-spec` (offline) and
//! `kfollow-diff` (against live state).
//!
//! Start reading at [`Desired`] and [`Observed`]; the plan types are in [`plan`].

pub mod access;
pub mod desired;
pub mod freshness;
pub mod id;
pub mod kinds;
pub mod kql;
pub mod names;
pub mod observed;
pub mod plan;
pub mod principal;
pub mod saved;
pub mod sharing;
pub mod timespan;

pub use access::{
    AccessReview, DatabaseAccess, DatabaseUnderReview, LiveAccess, LiveDatabaseAccess, Origin,
    PrincipalAccess, PrincipalRow,
};
pub use desired::{
    DatabaseSelection, Desired, DesiredAttachment, DesiredCluster, FollowerDatabaseName,
    FollowerDatabaseSettings, Managed, SourceLocation,
};
pub use freshness::{
    DatabaseFreshness, FreshnessReading, FreshnessReport, TableExtents, Unread, Verdict,
    human_duration, timespan_duration,
};
pub use id::{ClusterId, ClusterIdError, eq_ignore_case};
pub use kinds::{
    CachingPoliciesModificationKind, DatabaseKind, DatabaseShareOrigin, PrincipalsModificationKind,
    UnmanagedPolicy,
};
pub use observed::{
    DELETING, LeaderFollower, NOTES_PREFIX, Observed, ObservedAttachment, ObservedCluster,
    ObservedDatabase, ObservedEntities, ObservedFollowerSettings, ObservedPrincipal,
    PrincipalDetails, is_running,
};
pub use plan::{
    Action, Address, AttachmentBody, AttributeChange, Change, Operation, Plan, Targeting, Unmanaged,
};
pub use principal::{Principal, PrincipalError, PrincipalKind, Role, is_guid};
pub use saved::{
    ReadSavedPlanError, SAVED_PLAN_FORMAT_VERSION, SavedPlan, SavedPlanError, digest, sha256_hex,
};
pub use sharing::TableLevelSharing;
pub use timespan::{Timespan, TimespanError};
