//! The evidence `kfollow apply` leaves when asked: the record of the apply (`--record`) and the
//! rollback manifest (`--rollback-manifest`). What they hold is built by `kfollow-apply`
//! (`record`) and `kfollow-spec` (`rollback`); this module decides when each is written, and
//! writes them as every file is written ([`pipeline::write_file`]), never over a file the
//! apply reads.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kfollow_apply::record::{ApplyRecord, FileDigest, Target};
use kfollow_apply::{ApplyReport, Event};
use kfollow_model::{ClusterId, Plan};
use miette::{IntoDiagnostic, WrapErr, miette};

use crate::commands::export::read_with_leaders;
use crate::connect::Connection;
use crate::pipeline::{self, Failure};
use kfollow_console::{Output, Style};

/// The record of this apply, when `--record` asked for one; every method but
/// [`Evidence::input`] does nothing otherwise.
pub struct Evidence {
    record: Option<(PathBuf, ApplyRecord)>,
    rollback: Option<PathBuf>,
    /// The files this apply reads (its manifest, its saved plan, its emulator world): neither
    /// the record nor the rollback manifest is ever written over one of them.
    inputs: Vec<PathBuf>,
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
            rollback: rollback.map(Path::to_owned),
            inputs: Vec::new(),
        })
    }

    /// Refuses a record or a rollback manifest that names a file this apply reads, before
    /// anything is changed: it could not be written at the end.
    pub fn check_inputs(&self) -> Result<(), Failure> {
        let record = self.record.as_ref().map(|(path, _)| (path, "apply record"));
        let rollback = self
            .rollback
            .as_ref()
            .map(|path| (path, "rollback manifest"));
        for (path, what) in record.into_iter().chain(rollback) {
            pipeline::check_file(path, &self.inputs()).wrap_err_with(|| {
                format!(
                    "cannot write the {what} `{}`; nothing was changed",
                    path.display()
                )
            })?;
        }
        Ok(())
    }

    /// A file this apply reads.
    pub fn input(&mut self, path: &Path) {
        self.inputs.push(path.to_owned());
    }

    /// The files this apply reads, as [`pipeline::write_file`] takes them.
    fn inputs(&self) -> Vec<&Path> {
        self.inputs.iter().map(PathBuf::as_path).collect()
    }

    fn record(&mut self) -> Option<&mut ApplyRecord> {
        self.record.as_mut().map(|(_, record)| record)
    }

    /// Where Azure is, and who the credential's token names. The token is asked for only
    /// when a record is kept.
    pub async fn connected(&mut self, connection: &Connection, cloud: &str) {
        if let Some(world) = connection.world_file() {
            self.input(world);
        }
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

    /// What the apply of `plan` had done when a second interrupt stopped it at once, from the
    /// events it had sent.
    pub fn abandoned(&mut self, plan: &Plan, events: &[Event]) {
        if let Some(record) = self.record() {
            record.set_abandoned(plan, events);
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
    pub fn close(
        mut self,
        result: Result<ExitCode, Failure>,
        output: Output,
    ) -> Result<ExitCode, Failure> {
        let Some((path, mut record)) = self.record.take() else {
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
        let written = pipeline::write_file(&path, record.to_json().as_bytes(), &self.inputs())
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
    pipeline::write_file(path, exported.text.as_bytes(), &evidence.inputs()).wrap_err_with(
        || {
            format!(
                "cannot write the rollback manifest `{}`; nothing was changed",
                path.display()
            )
        },
    )?;
    evidence.rollback_manifest(path);
    output.progress(
        Style::Plain,
        &format!(
            "Saved the rollback manifest to {}. To undo this apply, run:",
            path.display()
        ),
    );
    output.progress(
        Style::Plain,
        &format!("  kfollow apply -f {}", path.display()),
    );
    output.progress(Style::Plain, "");
    Ok(())
}

/// The folder a file goes in: its parent, or the current folder for a bare name.
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}
