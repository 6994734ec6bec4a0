//! A local stand-in for Azure: the ARM Microsoft.Kusto routes kfollow uses and each cluster's
//! Kusto management endpoint, served over real HTTP on loopback from a world file.
//!
//! It is a product feature, not a mock: Microsoft's SDKs pointed at it should not notice the
//! difference on these routes (shapes from Microsoft's REST examples, long-running operations,
//! ARM error bodies, the rules of the service, 401/403, faults). It does not emulate queries,
//! ingestion, clusters' own lifecycle or any Azure route kfollow does not call.
//!
//! By default it answers as the real service was recorded answering: no `Retry-After`, a
//! request budget per subscription ([`budget`]), a second write on a busy cluster accepted and
//! then failed, stopped clusters that refuse ([`arm::writes`]), operations and their statuses
//! as recorded ([`arm::operations`]), regions by display name ([`regions`]), follower
//! principals shown without the notes they were added with. The world's `settings` make it
//! friendlier where a test needs that.
//!
//! Open [`Emulator`] (start, base URL, world snapshot, request log, stop) and [`World`] (the
//! YAML world file of docs/emulator.md) first. The Kusto command language is in [`kusto`].
//! [`WorldFile`] is the emulator of one `kfollow --emulator WORLD` run: the file locked, served
//! in process, and written back.

mod admin;
pub mod arm;
pub mod auth;
pub mod budget;
pub mod data_plane;
pub mod faults;
pub mod kusto;
pub mod refresh;
pub mod regions;
pub mod reply;
pub mod server;
pub mod state;
pub mod world;
pub mod world_file;

pub use faults::{Fault, FaultKind};
pub use server::{Emulator, Options, StartError};
pub use state::{OperationRecord, RequestRecord};
pub use world::{
    Caller, Settings, World, WorldAttachment, WorldCluster, WorldDatabase, WorldError, WorldProblem,
};
pub use world_file::{WorldFile, WorldFileError};
