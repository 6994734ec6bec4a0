//! End-to-end tests of the `kfollow` binary against the emulator over real HTTP: one test
//! binary made of modules (as ripgrep's `tests/tests.rs`).

// A test that cannot go on should panic with what it found.
#![allow(clippy::unwrap_used)]

mod support;

mod access;
mod check;
mod ci_recipes;
mod ci_workflows;
mod credentials;
mod data_share;
mod examples;
mod export;
mod files;
mod follower_settings;
mod hostile_names;
mod in_flight;
// Signals are sent with `kill`.
#[cfg(unix)]
mod interrupt;
mod kusto_grammar;
mod leader_entities;
mod manifest_limits;
mod output;
mod plan_apply;
mod record;
mod rollback;
mod saved_plan;
mod scale;
mod show;
mod standalone;
// Only a build without the emulator can show how it refuses `--emulator`.
#[cfg(not(feature = "emulator"))]
mod slim;
mod stopped;
mod target;
mod unknown;
mod validate;
