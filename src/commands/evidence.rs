//! The evidence `kfollow apply` leaves when asked: the record of the apply (`--record`) and the
//! rollback manifest (`--rollback-manifest`). What they hold is built by `kfollow-apply`
//! (`record`) and `kfollow-spec` (`rollback`); this module decides when each is written, and
//! writes files so that a reader never sees half of one.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kfollow_apply::ApplyReport;
use kfollow_apply::record::{ApplyRecord, FileDigest, Target};
use kfollow_model::{ClusterId, Plan};
use miette::{IntoDiagnostic, WrapErr, miette};

use crate::commands::export::read_with_leaders;
use crate::connect::Connection;
use crate::pipeline::Failure;

/// The record of this apply, when `--record` asked for one; every method does nothing
/// otherwise.
pub struct Evidence {
    record: Option<(PathBuf, ApplyRecord)>,
}

impl Evidence {
    /// Starts the record now, when `record` is given. Refuses a record or a rollback manifest
    /// that could not be written where the user asked, before anything else happens, so that
    /// no apply runs without the evidence it was asked to leave.
    pub fn new(record: Option<&Path>, rollback: Option<&Path>) -> Result<Evidence, Failure> {
        for (path, what) in [(record, "apply record"), (rollback, "rollback manifest")] {
            if let Some(path) = path {
                tempfile::NamedTempFile::new_in(folder(path))
                    .into_diagnostic()
                    .wrap_err_with(|| {
                        format!(
                            "cannot write the {what} `{}` there; nothing was changed",
                            path.display()
                        )
                    })?;
            }
        }
        Ok(Evidence {
            record: record.map(|path| {
                (
                    path.to_owned(),
                    ApplyRecord::start(env!("CARGO_PKG_VERSION")),
                )
            }),
        })
    }

    fn record(&mut self) -> Option<&mut ApplyRecord> {
        self.record.as_mut().map(|(_, record)| record)
    }

    /// Where Azure is, and who the credential's token names. The token is asked for only
    /// when a record is kept.
    pub async fn connected(&mut self, connection: &Connection, cloud: &str) {
        if let Some(record) = self.record() {
            record.target = Some(Target {
                arm_endpoint: connection.target.clone(),
                cloud: cloud.to_owned(),
            });
            record.applied_by = connection.clients.arm.caller().await;
        }
    }

    /// The manifest the plan is made from, and the saved plan when one is applied.
    pub fn sources(&mut self, manifest: FileDigest, saved_plan: Option<FileDigest>) {
        if let Some(record) = self.record() {
            record.manifest = Some(manifest);
            record.saved_plan = saved_plan;
        }
    }

    /// The plan about to be applied; with no changes, the apply is complete.
    pub fn plan(&mut self, plan: &Plan) {
        if let Some(record) = self.record() {
            if plan.is_empty() {
                record.nothing_to_do(plan);
            } else {
                record.set_plan(plan);
            }
        }
    }

    /// The rollback manifest was written to `path`.
    pub fn rollback_manifest(&mut self, path: &Path) {
        if let Some(record) = self.record() {
            record.rollback_manifest = Some(path.display().to_string());
        }
    }

    /// What the apply of `plan` did.
    pub fn report(&mut self, plan: &Plan, report: &ApplyReport) {
        if let Some(record) = self.record() {
            record.set_report(plan, report);
        }
    }

    /// Something the apply warned about after its writes.
    pub fn warn(&mut self, warning: String) {
        if let Some(record) = self.record() {
            record.warnings.push(warning);
        }
    }

    /// Closes the record with how the apply ended and writes it. A record that cannot be
    /// written fails the command, unless the apply failed already: then both are said.
    pub fn close(self, result: Result<ExitCode, Failure>) -> Result<ExitCode, Failure> {
        let Some((path, mut record)) = self.record else {
            return result;
        };
        let error = match &result {
            Ok(_) => None,
            Err(Failure::Error(report)) => Some(report.to_string()),
            Err(Failure::Reported(_)) => Some(
                "apply stopped before its first write; the reasons were printed on stderr"
                    .to_owned(),
            ),
        };
        record.finish(error);
        let written = write_atomically(&path, record.to_json().as_bytes())
            .wrap_err_with(|| format!("cannot write the apply record `{}`", path.display()));
        match (result, written) {
            (result, Ok(())) => result,
            (Ok(_), Err(error)) => Err(error.into()),
            (Err(failure), Err(error)) => {
                eprintln!("{error:?}");
                Err(failure)
            }
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
        eprintln!("Warning: rollback manifest: {warning}");
    }
    write_atomically(path, exported.text.as_bytes()).wrap_err_with(|| {
        format!(
            "cannot write the rollback manifest `{}`; nothing was changed",
            path.display()
        )
    })?;
    println!(
        "Saved the rollback manifest to {}. To undo this apply, run:\n  kfollow apply -f {}\n",
        path.display(),
        path.display()
    );
    Ok(())
}

/// Writes `bytes` to `path` so that a reader sees the old file or the whole new one, never
/// part of it: a temporary file in the same folder, flushed to disk, then renamed over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> miette::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(folder(path)).into_diagnostic()?;
    file.write_all(bytes).into_diagnostic()?;
    file.as_file().sync_all().into_diagnostic()?;
    file.persist(path)
        .map_err(|error| error.error)
        .into_diagnostic()?;
    Ok(())
}

/// The folder a file goes in: its parent, or the current folder for a bare name.
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}
