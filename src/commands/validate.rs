//! `kfollow validate`: the offline checks of a manifest.

use std::process::ExitCode;

use crate::pipeline::{self, Failure};
use kfollow_cli::ManifestArgs;
use kfollow_console::Output;

/// Validates the manifest: a one-line summary on stdout and exit 0 when it is valid; every
/// diagnostic on stderr and exit 1 when it is not.
pub fn run(args: &ManifestArgs, output: Output) -> Result<ExitCode, Failure> {
    let manifest = pipeline::load_manifest(&args.file, output)?;
    let summary = kfollow_spec::summary(&manifest.name, &manifest.desired);
    output.print(&format!("{summary}\n"));
    Ok(ExitCode::SUCCESS)
}
