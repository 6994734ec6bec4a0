//! The clients over real HTTP on loopback, against scripted servers.
#![allow(clippy::unwrap_used)]

mod arm;
mod chain;
mod in_flight;
mod kusto;
mod logging;
mod polling;
#[path = "../../examples/support/polling.rs"]
mod polling_sim;
mod support;
mod survive;
