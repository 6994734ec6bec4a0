//! `kfollow validate`: the offline checks of a manifest.

use std::process::ExitCode;

use kfollow_model::Desired;

use crate::commands::plural;
use crate::pipeline::{self, Failure};
use kfollow_cli::ManifestArgs;
use kfollow_console::Output;

/// Validates the manifest: a one-line summary on stdout and exit 0 when it is valid; every
/// diagnostic on stderr and exit 1 when it is not.
pub fn run(args: &ManifestArgs, output: Output) -> Result<ExitCode, Failure> {
    let manifest = pipeline::load_manifest(&args.file, output)?;
    output.print(&format!("{}\n", summary(&manifest.name, &manifest.desired)));
    Ok(ExitCode::SUCCESS)
}

/// `kfollow.yaml is valid: 5 clusters, 4 attachments (2 follower databases with settings).`
fn summary(name: &str, desired: &Desired) -> String {
    let settings: usize = desired
        .attachments
        .iter()
        .map(|a| a.follower_databases.len())
        .sum();
    format!(
        "{name} is valid: {}, {} ({} with settings).",
        plural(desired.clusters.len(), "cluster", "clusters"),
        plural(desired.attachments.len(), "attachment", "attachments"),
        plural(settings, "follower database", "follower databases"),
    )
}
