//! The evidence an apply leaves when asked: the record (`--record`) and the rollback manifest
//! (`--rollback-manifest`). [`Evidence`] keeps the record as the apply goes, knows the files
//! the apply reads (which neither may be written over), refuses before the first change a file
//! of the evidence that names one of them, and writes both as every file is written
//! (`kfollow_files::write`).

use std::future::Future;
use std::path::{Path, PathBuf};

use kfollow_azure::Caller;
use kfollow_files::WriteError;
use kfollow_model::{Plan, SavedPlan};

use super::{ApplyRecord, FileDigest, Target};
use crate::report::{ApplyReport, Event};

/// A file of the evidence that cannot be written where the user asked; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the {what} `{}` there; nothing was changed", path.display())]
pub struct Unwritable {
    /// `apply record` or `rollback manifest`.
    pub what: &'static str,
    /// Where the user asked for it.
    pub path: PathBuf,
    /// Why a file cannot be made in its folder.
    #[source]
    pub source: std::io::Error,
}

/// A file of the evidence that was not written, or would not be.
#[derive(Debug, thiserror::Error)]
pub enum NotWritten {
    /// Before the first change: the record or the rollback manifest names a file this apply
    /// reads, or the rollback manifest could not be written.
    #[error("cannot write the {what} `{}`; nothing was changed", path.display())]
    BeforeChanges {
        /// `apply record` or `rollback manifest`.
        what: &'static str,
        /// Where the user asked for it.
        path: PathBuf,
        /// Why it was not written.
        #[source]
        source: WriteError,
    },
    /// At the end of the apply, the record could not be written.
    #[error("cannot write the apply record `{}`", path.display())]
    Record {
        /// Where the user asked for it.
        path: PathBuf,
        /// Why it was not written.
        #[source]
        source: WriteError,
    },
}

impl NotWritten {
    /// Why the file was not written.
    pub fn into_source(self) -> WriteError {
        match self {
            NotWritten::BeforeChanges { source, .. } | NotWritten::Record { source, .. } => source,
        }
    }
}

/// How an apply ended, for [`Evidence::close`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// It ran to its end, whatever came of its changes.
    Ran,
    /// An error stopped it: its message.
    Failed(String),
    /// It stopped before its first write on problems already printed (a manifest's
    /// diagnostics, a plan that cannot be made).
    Printed,
}

/// The record of this apply, when one was asked for, the rollback manifest's path, and the
/// files the apply reads. Every method that fills the record does nothing without one.
#[derive(Debug)]
pub struct Evidence {
    record: Option<(PathBuf, ApplyRecord)>,
    rollback: Option<PathBuf>,
    /// The files this apply reads (its manifest, its saved plan, its emulator world).
    inputs: Vec<PathBuf>,
}

impl Evidence {
    /// Starts the record now, when `record` is given, as made by `kfollow_version`.
    ///
    /// # Errors
    ///
    /// When no file can be made in the folder of `record` or `rollback`: refused before
    /// anything else happens, so that no apply runs without the evidence it was asked to leave.
    pub fn new(
        record: Option<&Path>,
        rollback: Option<&Path>,
        kfollow_version: &str,
    ) -> Result<Evidence, Unwritable> {
        for (path, what) in [(record, "apply record"), (rollback, "rollback manifest")] {
            if let Some(path) = path {
                tempfile::NamedTempFile::new_in(folder(path)).map_err(|source| Unwritable {
                    what,
                    path: path.to_owned(),
                    source,
                })?;
            }
        }
        Ok(Evidence {
            record: record.map(|path| (path.to_owned(), ApplyRecord::start(kfollow_version))),
            rollback: rollback.map(Path::to_owned),
            inputs: Vec::new(),
        })
    }

    /// Refuses a record or a rollback manifest that names a file this apply reads, whatever
    /// path names it: called before anything is changed, since it could not be written later.
    ///
    /// # Errors
    ///
    /// The first file of the evidence that names an input (or whose path cannot be followed).
    pub fn check_outputs(&self) -> Result<(), NotWritten> {
        for (path, what) in self.outputs() {
            kfollow_files::check(path, &self.inputs()).map_err(|source| {
                NotWritten::BeforeChanges {
                    what,
                    path: path.to_owned(),
                    source,
                }
            })?;
        }
        Ok(())
    }

    /// The files the evidence will be written to, with what each is.
    fn outputs(&self) -> Vec<(&Path, &'static str)> {
        let record = self
            .record
            .as_ref()
            .map(|(path, _)| (path.as_path(), "apply record"));
        let rollback = self
            .rollback
            .as_deref()
            .map(|path| (path, "rollback manifest"));
        record.into_iter().chain(rollback).collect()
    }

    /// A file this apply reads.
    pub fn input(&mut self, path: &Path) {
        self.inputs.push(path.to_owned());
    }

    /// The files this apply reads, which no evidence may be written over.
    fn inputs(&self) -> Vec<&Path> {
        self.inputs.iter().map(PathBuf::as_path).collect()
    }

    fn record(&mut self) -> Option<&mut ApplyRecord> {
        self.record.as_mut().map(|(_, record)| record)
    }

    /// Where Azure is, and the emulator world the apply reads, if any. `caller` (who the
    /// credential's token names) is awaited only when a record is kept, so the token is asked
    /// for only then.
    pub async fn connected(
        &mut self,
        world: Option<&Path>,
        target: Target,
        caller: impl Future<Output = Caller>,
    ) {
        if let Some(world) = world {
            self.input(world);
        }
        if let Some(record) = self.record() {
            record.target = Some(target);
            record.applied_by = caller.await;
        }
    }

    /// The manifest the plan is made from: its name and its digest (`sha256:<hex>`).
    pub fn manifest(&mut self, name: &str, digest: &str) {
        if let Some(record) = self.record() {
            record.manifest = Some(FileDigest::of_manifest(name, digest));
        }
    }

    /// The saved plan applied, read from `path` as `bytes`, and the manifest it names. The
    /// manifest it is checked against, `given` (`-f`) or else the one it names, is an input.
    pub fn saved_plan(
        &mut self,
        path: &Path,
        saved: &SavedPlan,
        bytes: &[u8],
        given: Option<&Path>,
    ) {
        self.input(given.unwrap_or(Path::new(&saved.manifest)));
        if let Some(record) = self.record() {
            record.manifest = Some(FileDigest::of_manifest(
                &saved.manifest,
                &saved.manifest_digest,
            ));
            record.saved_plan = Some(FileDigest {
                path: path.display().to_string(),
                sha256: Some(kfollow_model::sha256_hex(bytes)),
            });
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

    /// Writes `text`, the rollback manifest, where it was asked for (nothing when it was not),
    /// and keeps in the record where it is.
    ///
    /// # Errors
    ///
    /// When it cannot be written there; nothing is changed yet.
    pub fn write_rollback_manifest(&mut self, text: &str) -> Result<(), NotWritten> {
        let Some(path) = self.rollback.clone() else {
            return Ok(());
        };
        kfollow_files::write(&path, text.as_bytes(), &self.inputs()).map_err(|source| {
            NotWritten::BeforeChanges {
                what: "rollback manifest",
                path: path.clone(),
                source,
            }
        })?;
        if let Some(record) = self.record() {
            record.rollback_manifest = Some(path.display().to_string());
        }
        Ok(())
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

    /// Closes the record, when one is kept, with how the apply ended, and writes it (never
    /// over a file this apply reads). A second call does nothing.
    ///
    /// # Errors
    ///
    /// When the record cannot be written.
    pub fn close(&mut self, ending: Ending) -> Result<(), NotWritten> {
        let Some((path, mut record)) = self.record.take() else {
            return Ok(());
        };
        record.finish(match ending {
            Ending::Ran => None,
            Ending::Failed(error) => Some(error),
            Ending::Printed => Some(
                "apply stopped before its first write; the reasons were printed on stderr"
                    .to_owned(),
            ),
        });
        kfollow_files::write(&path, record.to_json().as_bytes(), &self.inputs())
            .map_err(|source| NotWritten::Record { path, source })
    }
}

impl Target {
    /// Requests sent to `arm_endpoint`, with the token scopes and authority of `cloud`.
    pub fn new(arm_endpoint: &str, cloud: &str) -> Target {
        Target {
            arm_endpoint: arm_endpoint.to_owned(),
            cloud: cloud.to_owned(),
        }
    }
}

impl FileDigest {
    /// How a record names a manifest: its path, and the hex of its digest (`sha256:<hex>`).
    pub fn of_manifest(path: &str, digest: &str) -> FileDigest {
        FileDigest {
            path: path.to_owned(),
            sha256: digest.strip_prefix("sha256:").map(str::to_owned),
        }
    }
}

/// The folder a file goes in: its parent, or the current folder for a bare name.
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::cell::Cell;

    use kfollow_model::digest;

    use super::*;
    use crate::record::RunResult;

    /// The record written at `path`, as JSON.
    fn record_at(path: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn evidence_that_cannot_be_written_there_is_refused_at_once() {
        let folder = tempfile::tempdir().unwrap();
        let missing = folder.path().join("gone").join("record.json");
        let error = Evidence::new(None, Some(&missing), "0.1.0").unwrap_err();
        assert_eq!(error.what, "rollback manifest");
        assert_eq!(
            error.to_string(),
            format!(
                "cannot write the rollback manifest `{}` there; nothing was changed",
                missing.display()
            )
        );
        assert!(Evidence::new(Some(&folder.path().join("r.json")), None, "0.1.0").is_ok());
    }

    #[tokio::test]
    async fn without_a_record_nothing_is_asked_or_kept_but_the_inputs() {
        let mut evidence = Evidence::new(None, None, "0.1.0").unwrap();
        let asked = Cell::new(false);
        let caller = async {
            asked.set(true);
            Caller::unknown("test")
        };
        let target = Target::new("https://management.azure.com", "public");
        let world = Some(Path::new("world.yaml"));
        evidence.connected(world, target, caller).await;
        assert!(!asked.get(), "the token was asked for without a record");
        evidence.input(Path::new("kfollow.yaml"));
        assert_eq!(
            evidence.inputs(),
            [Path::new("world.yaml"), Path::new("kfollow.yaml")]
        );
        assert!(evidence.outputs().is_empty());
        evidence.check_outputs().unwrap();
        evidence.write_rollback_manifest("version: 1\n").unwrap();
        evidence.close(Ending::Ran).unwrap();
    }

    #[tokio::test]
    async fn a_record_names_its_sources_and_how_the_apply_ended() {
        let folder = tempfile::tempdir().unwrap();
        let (record, rollback) = (folder.path().join("r.json"), folder.path().join("b.yaml"));
        let mut evidence = Evidence::new(Some(&record), Some(&rollback), "0.1.0").unwrap();
        assert_eq!(
            evidence.outputs(),
            [
                (record.as_path(), "apply record"),
                (rollback.as_path(), "rollback manifest")
            ]
        );
        let target = Target::new("emulator:world.yaml", "public");
        let caller = async { Caller::unknown("test") };
        evidence.connected(None, target, caller).await;
        let saved = SavedPlan::new(
            "0.1.0",
            "kfollow.yaml",
            &digest(b"version: 1"),
            "emulator:world.yaml",
            kfollow_model::Desired::default(),
            Plan::default(),
            std::collections::BTreeMap::new(),
        );
        evidence.saved_plan(Path::new("p.json"), &saved, b"{}", None);
        assert_eq!(evidence.inputs(), [Path::new("kfollow.yaml")]);
        evidence.plan(&Plan::default());
        evidence.close(Ending::Printed).unwrap();
        let json = record_at(&record);
        assert_eq!(json["manifest"]["path"], "kfollow.yaml");
        assert_eq!(
            json["manifest"]["sha256"],
            digest(b"version: 1").strip_prefix("sha256:").unwrap()
        );
        assert_eq!(
            json["saved_plan"]["sha256"],
            kfollow_model::sha256_hex(b"{}")
        );
        assert_eq!(json["target"]["arm_endpoint"], "emulator:world.yaml");
        // Nothing to do was complete; an error after it makes it incomplete.
        assert_eq!(json["result"], "incomplete");
        assert_eq!(
            json["error"],
            "apply stopped before its first write; the reasons were printed on stderr"
        );
        std::fs::remove_file(&record).unwrap();
        evidence.close(Ending::Ran).unwrap();
        assert!(!record.exists(), "closed twice");
    }

    #[test]
    fn an_apply_stopped_before_its_plan_is_not_started() {
        let folder = tempfile::tempdir().unwrap();
        let record = folder.path().join("r.json");
        let mut evidence = Evidence::new(Some(&record), None, "0.1.0").unwrap();
        evidence.manifest("kfollow.yaml", "md5:abc");
        evidence
            .close(Ending::Failed("cannot read the live state".into()))
            .unwrap();
        let json = record_at(&record);
        assert_eq!(
            json["result"],
            serde_json::to_value(RunResult::NotStarted).unwrap()
        );
        assert_eq!(json["error"], "cannot read the live state");
        // A digest that is not SHA-256 is not passed off as one.
        assert_eq!(json["manifest"]["sha256"], serde_json::Value::Null);
    }

    #[test]
    fn the_rollback_manifest_is_written_and_named_in_the_record() {
        let folder = tempfile::tempdir().unwrap();
        let (record, rollback) = (folder.path().join("r.json"), folder.path().join("b.yaml"));
        let mut evidence = Evidence::new(Some(&record), Some(&rollback), "0.1.0").unwrap();
        evidence.check_outputs().unwrap();
        evidence.write_rollback_manifest("version: 1\n").unwrap();
        assert_eq!(std::fs::read_to_string(&rollback).unwrap(), "version: 1\n");
        evidence.close(Ending::Ran).unwrap();
        let json = record_at(&record);
        assert_eq!(json["rollback_manifest"], rollback.display().to_string());
    }

    #[test]
    fn evidence_that_names_a_file_the_apply_reads_is_refused_and_not_written() {
        let folder = tempfile::tempdir().unwrap();
        let manifest = folder.path().join("kfollow.yaml");
        std::fs::write(&manifest, "version: 1\n").unwrap();
        // Another path to the same file.
        let other = folder.path().join(".").join("kfollow.yaml");
        for (record, rollback, what) in [
            (Some(other.as_path()), None, "apply record"),
            (None, Some(other.as_path()), "rollback manifest"),
        ] {
            let mut evidence = Evidence::new(record, rollback, "0.1.0").unwrap();
            evidence.input(&manifest);
            let error = evidence.check_outputs().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "cannot write the {what} `{}`; nothing was changed",
                    other.display()
                )
            );
            assert!(matches!(error.into_source(), WriteError::Input { .. }));
            // Written anyway, each is refused as the check said.
            let written = evidence.write_rollback_manifest("gone: true\n");
            assert_eq!(written.is_err(), rollback.is_some());
            let closed = evidence.close(Ending::Ran).err().map(|e| e.to_string());
            let record_error = format!("cannot write the apply record `{}`", other.display());
            assert_eq!(closed, record.map(|_| record_error));
            assert_eq!(std::fs::read_to_string(&manifest).unwrap(), "version: 1\n");
        }
    }
}
