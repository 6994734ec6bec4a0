//! End-to-end tests of the `kfollow` binary against the emulator over real HTTP: one test
//! binary made of modules (as ripgrep's `tests/tests.rs`).

// A test that cannot go on should panic with what it found.
#![allow(clippy::unwrap_used)]

mod support;

mod examples;
mod export;
mod follower_settings;
mod in_flight;
mod kusto_grammar;
mod plan_apply;
mod scale;
mod show;
mod stopped;
mod unknown;
mod validate;
