//! The evidence `kfollow apply` leaves when asked: the record of the apply (`--record`) and the
//! rollback manifest (`--rollback-manifest`). What they hold, and which files they must not be
//! written over, is `kfollow-apply`'s [`Evidence`] and `kfollow-spec`'s `rollback`; this module
//! writes them as every file is written ([`pipeline::write_file`]).

use std::path::Path;
use std::process::ExitCode;

use kfollow_apply::record::{Ending, Evidence};
use kfollow_model::{ClusterId, Plan};
use miette::{WrapErr, miette};

use crate::commands::export::read_with_leaders;
use crate::connect::Connection;
use crate::pipeline::{self, Failure};
use kfollow_console::{Output, Style};

/// Refuses a record or a rollback manifest that names a file this apply reads, before
/// anything is changed: it could not be written at the end.
pub fn check_inputs(evidence: &Evidence) -> Result<(), Failure> {
    for (path, what) in evidence.outputs() {
        pipeline::check_file(path, &evidence.inputs()).wrap_err_with(|| {
            format!(
                "cannot write the {what} `{}`; nothing was changed",
                path.display()
            )
        })?;
    }
    Ok(())
}

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
    let Some((path, text)) = evidence.close(ending) else {
        return result;
    };
    let written = pipeline::write_file(&path, text.as_bytes(), &evidence.inputs())
        .wrap_err_with(|| format!("cannot write the apply record `{}`", path.display()));
    match (result, written) {
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
    let shown = path.display();
    pipeline::write_file(path, exported.text.as_bytes(), &evidence.inputs()).wrap_err_with(
        || format!("cannot write the rollback manifest `{shown}`; nothing was changed"),
    )?;
    evidence.rollback_manifest(path);
    output.progress(
        Style::Plain,
        &format!("Saved the rollback manifest to {shown}. To undo this apply, run:"),
    );
    output.progress(Style::Plain, &format!("  kfollow apply -f {shown}"));
    output.progress(Style::Plain, "");
    Ok(())
}
