//! The evidence `kfollow apply` leaves when asked: the record of the apply (`--record`) and the
//! rollback manifest (`--rollback-manifest`). What they hold, which files they must not be
//! written over, and writing them, is `kfollow-apply`'s [`Evidence`]; the rollback manifest is
//! `kfollow-spec`'s `rollback`. This module reads the live state it restores and tells errors.

use std::path::Path;
use std::process::ExitCode;

use kfollow_apply::record::{Ending, Evidence, NotWritten};
use kfollow_model::{ClusterId, Plan};
use miette::miette;

use crate::commands::export::read_with_leaders;
use crate::connect::Connection;
use crate::pipeline::{self, Failure};
use kfollow_console::{Output, Style};

/// Closes the record with how the apply ended and writes it. A record that cannot be written
/// fails the command, unless the apply failed already: then both are said.
pub fn close(
    mut evidence: Evidence,
    result: Result<ExitCode, Failure>,
    output: Output,
) -> Result<ExitCode, Failure> {
    let ending = match &result {
        Ok(_) => Ending::Ran,
        Err(Failure::Error(report)) => Ending::Failed(report.to_string()),
        Err(Failure::Reported) => Ending::Printed,
    };
    match (result, evidence.close(ending).map_err(not_written)) {
        (result, Ok(())) => result,
        (Ok(_), Err(error)) => Err(error.into()),
        (Err(failure), Err(error)) => {
            output.report(&error);
            Err(failure)
        }
    }
}

/// Reads the live state of every cluster `plan` writes to and writes the manifest that brings
/// them back to it, before the first write. Any failure stops the apply: nothing was changed.
pub async fn write_rollback_manifest(
    path: &Path,
    plan: &Plan,
    manifest_name: &str,
    connection: &Connection,
    evidence: &mut Evidence,
    output: Output,
) -> Result<(), Failure> {
    let followers: Vec<ClusterId> = kfollow_spec::rollback_clusters(plan);
    let observed =
        read_with_leaders(&followers, &connection.clients, "nothing was changed").await?;
    let exported = kfollow_spec::rollback(plan, &observed, manifest_name).map_err(|errors| {
        miette!(
            help =
                "run the apply without `--rollback-manifest`, or report this as a bug of kfollow",
            "the rollback manifest kfollow wrote does not validate: {errors}; nothing was changed"
        )
    })?;
    for warning in &exported.warnings {
        output.warn(&format!("rollback manifest: {warning}"));
    }
    evidence
        .write_rollback_manifest(&exported.text)
        .map_err(not_written)?;
    let shown = path.display();
    output.progress(
        Style::Plain,
        &format!("Saved the rollback manifest to {shown}. To undo this apply, run:"),
    );
    output.progress(Style::Plain, &format!("  kfollow apply -f {shown}"));
    output.progress(Style::Plain, "");
    Ok(())
}

/// A file of the evidence that was not written, told as every file kfollow does not write is.
pub fn not_written(error: NotWritten) -> miette::Report {
    let message = error.to_string();
    pipeline::write_error(error.into_source()).wrap_err(message)
}
