//! The command-line contract of DESIGN.md §6, as clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Declarative plan/apply for Azure Data Explorer (Kusto) follower databases.
#[derive(Debug, Parser)]
#[command(name = "kfollow", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a manifest offline against every rule the service enforces.
    Validate(ManifestArgs),
    /// Print the manifest's JSON Schema.
    Schema,
}

/// Where the manifest is.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// The manifest file.
    #[arg(short = 'f', long = "file", default_value = "kfollow.yaml")]
    pub file: PathBuf,
}
