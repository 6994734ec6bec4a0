//! End-to-end tests of the emulator over real HTTP on loopback.

#![allow(clippy::unwrap_used)]

mod arm_routes;
mod azure_like;
mod binary;
mod common;
mod conformance;
mod data_plane;
mod entities;
mod faults;
mod http_limits;
mod metrics;
mod principals;
mod recorded;
mod rules;
mod world_file;
