//! End-to-end tests of the emulator over real HTTP on loopback.

#![allow(clippy::unwrap_used)]

mod arm_routes;
mod binary;
mod common;
mod conformance;
mod data_plane;
mod faults;
mod http_limits;
mod rules;
mod world_file;
