//! The clients over real HTTP on loopback, against scripted servers.
#![allow(clippy::unwrap_used)]

mod arm;
mod chain;
mod kusto;
mod logging;
mod support;
