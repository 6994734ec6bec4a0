//! The stages every command shares: read and validate the manifest, read the live state,
//! diff, order. Problems the user must fix are printed here as diagnostics and turn into
//! [`Stop`], so commands only decide what to print and which exit code to give.

use std::path::Path;

use kfollow_graph::DependencyGraph;
use kfollow_model::{Desired, Observed, Plan, digest};
use miette::{IntoDiagnostic, WrapErr};

use crate::connect::Connection;
use kfollow_console::Output;

/// Why a command stops early after it already told the user (exit 1).
#[derive(Debug)]
pub struct Stop;

/// A problem the user must fix, already printed; or an error still to print.
pub enum Failure {
    /// Printed already; exit 1.
    Reported(Stop),
    /// To print as a report; exit 1.
    Error(miette::Report),
}

impl From<miette::Report> for Failure {
    fn from(report: miette::Report) -> Failure {
        Failure::Error(report)
    }
}

impl From<Stop> for Failure {
    fn from(stop: Stop) -> Failure {
        Failure::Reported(stop)
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
        miette::miette!(
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
            Err(Stop.into())
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
    read_at_most(path, kfollow_spec::MAX_MANIFEST_BYTES + 1)
}

/// The first `limit` bytes of a file (all of it when it is shorter).
fn read_at_most(path: &Path, limit: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let size = file
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok());
    // A regular file says its size. A device or a pipe says 0: reserve the limit at once
    // (pages are only touched as bytes arrive) rather than grow by copying.
    let capacity = match size {
        Some(size) if size > 0 => size.saturating_add(1).min(limit),
        _ => limit,
    };
    let mut bytes = Vec::with_capacity(capacity);
    file.take(u64::try_from(limit).unwrap_or(u64::MAX))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads the live state of every cluster the manifest names.
pub async fn read_state(desired: &Desired, connection: &Connection) -> Result<Observed, Failure> {
    let observed = kfollow_state::read(desired, &connection.clients)
        .await
        .into_diagnostic()
        .wrap_err("cannot read the live state; nothing was changed")?;
    Ok(observed)
}

/// Compares, orders and, with `targets` (`--target`), narrows to the targets and what they
/// depend on; live-check failures and protected attachments are printed, one per line with
/// the manifest location, and stop the command. The plan's changes are the graph's, in its
/// execution order; apply walks the graph.
pub fn make_plan(
    desired: &Desired,
    observed: &Observed,
    targets: &[String],
    output: Output,
) -> Result<(Plan, DependencyGraph), Failure> {
    let mut plan = match kfollow_diff::diff(desired, observed) {
        Ok(plan) => plan,
        Err(errors) => {
            for error in &errors.0 {
                let error = kfollow_render::inert(&error.to_string()).into_owned();
                output.report(&miette::miette!("{error}"));
            }
            output.error(&format!(
                "the plan cannot be made ({} problem{}); nothing was changed",
                errors.0.len(),
                if errors.0.len() == 1 { "" } else { "s" }
            ));
            return Err(Stop.into());
        }
    };
    let graph =
        kfollow_graph::dependency_graph(std::mem::take(&mut plan.changes)).map_err(|cycle| {
            miette::miette!(
                help = "apply part of the manifest change first (for example the detach alone), \
                    then the rest",
                "{}; nothing was changed",
                kfollow_render::inert(&cycle.to_string())
            )
        })?;
    plan.changes = graph.changes().cloned().collect();
    kfollow_graph::target(desired, plan, graph, targets).map_err(|error| {
        miette::miette!(
            help = "a target is a plan address as `kfollow plan` prints it, or `cluster.<alias>` \
                    for every change on a follower cluster; nothing was changed",
            "{error}"
        )
        .into()
    })
}

/// Writes a file the user asked for (a saved plan, and any record a command keeps) the one safe
/// way: atomically, keeping the mode of the file it replaces, through symlinks, and never over
/// `inputs`, the files the run reads (its manifest, its emulator world), whatever path names
/// them. Every file the binary writes goes through here.
pub fn write_file(path: &Path, contents: &[u8], inputs: &[&Path]) -> miette::Result<()> {
    kfollow_files::write(path, contents, inputs).map_err(write_error)
}

/// Refuses, as [`write_file`] would, a file that names one of `inputs`: for a file written at
/// the end of a command, checked before the command changes anything.
pub fn check_file(path: &Path, inputs: &[&Path]) -> miette::Result<()> {
    kfollow_files::check(path, inputs)
        .map(drop)
        .map_err(write_error)
}

fn write_error(error: kfollow_files::WriteError) -> miette::Report {
    match error {
        kfollow_files::WriteError::Input { .. } => miette::miette!(
            help = "choose another file name",
            "{error}; nothing was written"
        ),
        kfollow_files::WriteError::Io { .. } => miette::Report::from_err(error),
    }
}
