//! The stages every command shares: read and validate the manifest, read the live state,
//! diff, order. Problems the user must fix are printed here as diagnostics and turn into
//! [`Failure::Reported`], so commands only decide what to print and which exit code to give.

use std::path::Path;

use kfollow_diff::PlanError;
use kfollow_graph::DependencyGraph;
use kfollow_model::{Desired, Observed, Plan, digest};
use kfollow_render::inert;
use miette::{IntoDiagnostic, WrapErr, miette};

use crate::connect::Connection;
use kfollow_console::Output;

/// A problem the user must fix, already printed; or an error still to print.
pub enum Failure {
    /// Printed already (diagnostics, live-check failures); exit 1.
    Reported,
    /// To print as a report; exit 1.
    Error(miette::Report),
}

impl From<miette::Report> for Failure {
    fn from(report: miette::Report) -> Failure {
        Failure::Error(report)
    }
}

/// A validated manifest, with what is needed to save a plan made from it.
pub struct Manifest {
    /// The file as the user named it.
    pub name: String,
    /// The digest of its bytes (`sha256:<hex>`), as a saved plan holds it.
    pub digest: String,
    /// What it asks for.
    pub desired: Desired,
}

/// Reads and validates the manifest; on errors prints the diagnostics and stops. Reads at
/// most one byte more than a manifest may hold, so `/dev/zero` is refused, not read.
pub fn load_manifest(path: &Path, output: Output) -> Result<Manifest, Failure> {
    let name = path.display().to_string();
    let bytes = read_manifest_bytes(path).map_err(|error| {
        miette!(
            help = "name the manifest with `-f FILE` (the default is `kfollow.yaml` in the current folder)",
            "cannot read the manifest `{name}`: {error}"
        )
    })?;
    match kfollow_spec::load_bytes(&name, &bytes) {
        Ok(validated) => {
            print_diagnostics(output, &kfollow_spec::Shown::first(&validated.warnings));
            Ok(Manifest {
                name,
                digest: digest(&bytes),
                desired: validated.desired,
            })
        }
        Err(diagnostics) => {
            print_diagnostics(output, &diagnostics.shown());
            output.message(&diagnostics.to_string());
            Err(Failure::Reported)
        }
    }
}

/// Prints the diagnostics shown, then how many were left out.
fn print_diagnostics(output: Output, shown: &kfollow_spec::Shown<'_>) {
    for diagnostic in &shown.diagnostics {
        output.report(&miette::Report::new((*diagnostic).clone()));
    }
    if let Some(more) = shown.more() {
        output.message(&more);
        output.message("");
    }
}

/// A manifest's bytes, at most one more than a manifest may hold: enough for
/// [`kfollow_spec::load_bytes`] to refuse a larger file, and `/dev/zero` is not read on.
pub fn read_manifest_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    kfollow_files::read_at_most(path, kfollow_spec::MAX_MANIFEST_BYTES + 1)
}

/// Reads the live state of every cluster the manifest names.
pub async fn read_state(desired: &Desired, connection: &Connection) -> Result<Observed, Failure> {
    let observed = kfollow_state::read(desired, &connection.clients)
        .await
        .into_diagnostic()
        .wrap_err("cannot read the live state; nothing was changed")?;
    Ok(observed)
}

/// The plan, ordered and narrowed to `targets` (`--target`s); live-check failures and
/// protected attachments are printed, one per line with the manifest location, and stop the
/// command.
pub fn make_plan(
    desired: &Desired,
    observed: &Observed,
    targets: &[String],
    output: Output,
) -> Result<(Plan, DependencyGraph), Failure> {
    kfollow_diff::ordered_plan(desired, observed, targets).map_err(|error| match &error {
        PlanError::Live(problems) => {
            for problem in &problems.0 {
                output.report(&miette!("{}", inert(&problem.to_string())));
            }
            output.error(&format!("{error}; nothing was changed"));
            Failure::Reported
        }
        PlanError::Cycle(cycle) => miette!(
            help = "apply part of the manifest change first (for example the detach alone), \
                    then the rest",
            "{}; nothing was changed",
            inert(&cycle.to_string())
        )
        .into(),
        PlanError::Target(_) => miette!(
            help = "a target is a plan address as `kfollow plan` prints it, or `cluster.<alias>` \
                    for every change on a follower cluster; nothing was changed",
            "{error}"
        )
        .into(),
    })
}

/// Writes a file the user asked for (a saved plan) the one safe way: atomically, keeping the
/// mode of the file it replaces, through symlinks, and never over `inputs`, the files the run
/// reads (its manifest, its emulator world), whatever path names them. The evidence of an
/// apply is written the same way, by `kfollow-apply`'s `Evidence`; both go through
/// `kfollow-files`.
pub fn write_file(path: &Path, contents: &[u8], inputs: &[&Path]) -> miette::Result<()> {
    kfollow_files::write(path, contents, inputs).map_err(write_error)
}

/// Why a file was not written, told as every file kfollow does not write is.
pub fn write_error(error: kfollow_files::WriteError) -> miette::Report {
    match error {
        kfollow_files::WriteError::Input { .. } => miette!(
            help = "choose another file name",
            "{error}; nothing was written"
        ),
        kfollow_files::WriteError::Io { .. } => miette::Report::from_err(error),
    }
}
