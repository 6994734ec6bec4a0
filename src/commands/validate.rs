//! `kfollow validate`: the offline checks of a manifest.

use std::path::Path;
use std::process::ExitCode;

use kfollow_model::Desired;
use miette::{Context, IntoDiagnostic};

use crate::cli::ManifestArgs;

/// Validates the manifest: a one-line summary on stdout and exit 0 when it is valid; every
/// diagnostic on stderr and exit 1 when it is not.
pub fn run(args: &ManifestArgs) -> miette::Result<ExitCode> {
    let (name, text) = read_manifest(&args.file)?;
    match kfollow_spec::load(&name, &text) {
        Ok(validated) => {
            for warning in validated.warnings {
                eprintln!("{:?}", miette::Report::new(warning));
            }
            println!("{}", summary(&name, &validated.desired));
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            for diagnostic in diagnostics.all() {
                eprintln!("{:?}", miette::Report::new(diagnostic.clone()));
            }
            eprintln!("{diagnostics}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Reads a manifest file; the name is the path as the user gave it, for `FILE:LINE:COLUMN`.
pub fn read_manifest(path: &Path) -> miette::Result<(String, String)> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read the manifest `{name}`"))?;
    Ok((name, text))
}

/// `kfollow.yaml is valid: 5 clusters, 4 attachments (2 follower databases with settings).`
fn summary(name: &str, desired: &Desired) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
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
