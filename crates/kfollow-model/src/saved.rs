//! The saved-plan file of `kfollow plan --out FILE`, read back by `kfollow show` and
//! `kfollow apply FILE`: its contents ([`SavedPlan`]), its text ([`SavedPlan::to_json`],
//! [`SavedPlan::from_json`]) and the file read back ([`SavedPlan::read_file`]). The file is
//! written by the caller, as every file kfollow writes is (`kfollow-files`).

use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Desired, Plan};

/// The version of the saved-plan format this build writes and reads. Format 2: every digest
/// is SHA-256 (`sha256:<hex>`); format 1 had 64-bit FNV digests, which prove nothing.
pub const SAVED_PLAN_FORMAT_VERSION: u32 = 2;

/// A plan as saved for review: the ordered changes, what they were computed from, and a
/// fingerprint of every live resource read, so apply can refuse a plan the world has moved
/// away from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`SAVED_PLAN_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The kfollow version that made the plan.
    pub kfollow_version: String,
    /// The manifest file as the user named it.
    pub manifest: String,
    /// [`digest`] of the manifest's bytes.
    pub manifest_digest: String,
    /// Where the live state was read (the ARM endpoint, or `emulator:<world file>`); apply
    /// refuses to run the plan anywhere else.
    pub target: String,
    /// The validated manifest, so apply can re-read the same resources.
    pub desired: Desired,
    /// The plan.
    pub plan: Plan,
    /// Resource key (`attachment <cluster id>/<name>`) → [`digest`] of what was read.
    pub fingerprints: BTreeMap<String, String>,
}

impl SavedPlan {
    /// A plan to save, in the format this build writes ([`SAVED_PLAN_FORMAT_VERSION`]).
    pub fn new(
        kfollow_version: &str,
        manifest: &str,
        manifest_digest: &str,
        target: &str,
        desired: Desired,
        plan: Plan,
        fingerprints: BTreeMap<String, String>,
    ) -> SavedPlan {
        SavedPlan {
            format_version: SAVED_PLAN_FORMAT_VERSION,
            kfollow_version: kfollow_version.to_owned(),
            manifest: manifest.to_owned(),
            manifest_digest: manifest_digest.to_owned(),
            target: target.to_owned(),
            desired,
            plan,
            fingerprints,
        }
    }

    /// The `--target`s the plan was made with (empty for a whole plan): making the plan again
    /// from the same manifest and live state with these gives the same changes.
    pub fn targets(&self) -> &[String] {
        self.plan
            .targeting
            .as_ref()
            .map_or(&[], |targeting| targeting.targets.as_slice())
    }

    /// True when `manifest` (a manifest file's bytes) is the manifest the plan was made from.
    pub fn made_from(&self, manifest: &[u8]) -> bool {
        digest(manifest) == self.manifest_digest
    }

    /// True when `desired` (what a manifest gives now) is the desired state saved in the plan.
    /// The name the manifest was read under does not count: the same file may be named by
    /// another path.
    pub fn holds(&self, desired: &Desired) -> bool {
        let renamed = Desired {
            source_name: self.desired.source_name.clone(),
            ..desired.clone()
        };
        renamed == self.desired
    }

    /// The file's text: indented JSON, ending with a newline.
    ///
    /// # Errors
    ///
    /// When a value cannot be written as JSON; none of kfollow's can.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// Reads the text of a saved plan.
    ///
    /// # Errors
    ///
    /// [`SavedPlanError::FormatVersion`] for a plan saved in another format (told before the
    /// rest is read, since another format may differ anywhere);
    /// [`SavedPlanError::NotASavedPlan`] for anything else that is not a saved plan.
    pub fn from_json(text: &str) -> Result<SavedPlan, SavedPlanError> {
        /// The one field every format version has.
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        if let Ok(Version { format_version }) = serde_json::from_str(text)
            && format_version != SAVED_PLAN_FORMAT_VERSION
        {
            return Err(SavedPlanError::FormatVersion {
                found: format_version,
                expected: SAVED_PLAN_FORMAT_VERSION,
            });
        }
        serde_json::from_str(text).map_err(SavedPlanError::NotASavedPlan)
    }

    /// Reads the saved-plan file at `path`, with the file's bytes (an apply record names the
    /// plan applied by their SHA-256).
    ///
    /// # Errors
    ///
    /// [`ReadSavedPlanError`], naming `path`: the file cannot be read, is not UTF-8, is not a
    /// saved plan, or is one of another format version.
    pub fn read_file(path: &Path) -> Result<(SavedPlan, Vec<u8>), ReadSavedPlanError> {
        let path_buf = || path.to_owned();
        let bytes = std::fs::read(path).map_err(|source| ReadSavedPlanError::Read {
            path: path_buf(),
            source,
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|source| ReadSavedPlanError::NotUtf8 {
            path: path_buf(),
            source,
        })?;
        let saved = SavedPlan::from_json(text).map_err(|error| match error {
            SavedPlanError::NotASavedPlan(source) => ReadSavedPlanError::NotASavedPlan {
                path: path_buf(),
                source,
            },
            SavedPlanError::FormatVersion { found, expected } => {
                ReadSavedPlanError::FormatVersion {
                    path: path_buf(),
                    found,
                    expected,
                }
            }
        })?;
        Ok((saved, bytes))
    }
}

/// Why the saved-plan file of `kfollow show` or `kfollow apply PLAN` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReadSavedPlanError {
    /// The file cannot be read.
    #[error("cannot read the saved plan `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("cannot read the saved plan `{}`", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Where the first bad byte is.
        #[source]
        source: std::str::Utf8Error,
    },
    /// The text is not JSON of a saved plan's shape.
    #[error("`{}` is not a plan saved by `kfollow plan --out`", path.display())]
    NotASavedPlan {
        /// The file.
        path: PathBuf,
        /// What did not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A saved plan of a format version this build does not read: it must be made again.
    #[error(
        "`{}` is a saved plan of format {found}, this kfollow reads format {expected}",
        path.display()
    )]
    FormatVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build reads, [`SAVED_PLAN_FORMAT_VERSION`].
        expected: u32,
    },
}

/// Why a text is not a saved plan this build can apply.
#[derive(Debug)]
pub enum SavedPlanError {
    /// The text is not JSON of a saved plan's shape.
    NotASavedPlan(serde_json::Error),
    /// A saved plan, of a format version this build does not read.
    FormatVersion {
        /// The version in the text.
        found: u32,
        /// The version this build reads, [`SAVED_PLAN_FORMAT_VERSION`].
        expected: u32,
    },
}

impl fmt::Display for SavedPlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SavedPlanError::NotASavedPlan(_) => {
                f.write_str("not a plan saved by `kfollow plan --out`")
            }
            SavedPlanError::FormatVersion { found, expected } => write!(
                f,
                "a saved plan of format {found}, this kfollow reads format {expected}"
            ),
        }
    }
}

impl std::error::Error for SavedPlanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SavedPlanError::NotASavedPlan(error) => Some(error),
            SavedPlanError::FormatVersion { .. } => None,
        }
    }
}

/// The SHA-256 of bytes as `sha256:<64 hex digits>`: the digest of the manifest and the
/// fingerprint of every live resource in a saved plan. Unlike a short checksum, no two
/// contents can be found that give the same digest, so an equal digest means equal bytes. It
/// is no signature: whoever edits a file can compute its digests anew, which is why apply
/// also makes the plan again and compares it with the file.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// The SHA-256 of bytes, in lower-case hex as `sha256sum` prints it: how an apply record
/// names the manifest and the saved plan it applied, so that an auditor can match them with
/// the files kept.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    for byte in Sha256::digest(bytes) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Principal, Role};

    fn saved() -> SavedPlan {
        let change = crate::plan::tests::attach();
        SavedPlan::new(
            "0.1.0",
            "kfollow.yaml",
            &digest(b"version: 1"),
            "emulator:world.yaml",
            Desired {
                source_name: "kfollow.yaml".into(),
                ..Desired::default()
            },
            Plan {
                changes: vec![change],
                ..Plan::default()
            },
            BTreeMap::from([("attachment fc/sales".to_owned(), digest(b"{}"))]),
        )
    }

    #[test]
    fn a_saved_plan_reads_back_as_written() {
        let saved = saved();
        assert_eq!(saved.format_version, SAVED_PLAN_FORMAT_VERSION);
        let text = saved.to_json().unwrap();
        assert!(text.ends_with("}\n"), "{text}");
        assert!(text.starts_with("{\n  \"format_version\": 2,\n"), "{text}");
        assert_eq!(SavedPlan::from_json(&text).unwrap(), saved);
    }

    #[test]
    fn a_targeted_plan_keeps_its_targets() {
        let mut saved = saved();
        assert!(saved.targets().is_empty());
        saved.plan.targeting = Some(crate::Targeting {
            targets: vec!["cluster.fc".into()],
            left_out: 2,
        });
        let back = SavedPlan::from_json(&saved.to_json().unwrap()).unwrap();
        assert_eq!(back.targets(), ["cluster.fc"]);
        // A whole plan's file has no `targeting` key: files from before it read the same.
        assert!(!self::saved().to_json().unwrap().contains("targeting"));
    }

    #[test]
    fn another_format_version_names_both_versions() {
        let mut text = saved().to_json().unwrap();
        text = text.replace("\"format_version\": 2,", "\"format_version\": 7,");
        let error = SavedPlan::from_json(&text).unwrap_err();
        assert!(
            matches!(
                error,
                SavedPlanError::FormatVersion {
                    found: 7,
                    expected: SAVED_PLAN_FORMAT_VERSION
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "a saved plan of format 7, this kfollow reads format 2"
        );
        // Another format may differ anywhere: its version is told, not what else differs.
        let other_shape = r#"{"format_version": 1, "changes": []}"#;
        assert!(matches!(
            SavedPlan::from_json(other_shape),
            Err(SavedPlanError::FormatVersion { found: 1, .. })
        ));
    }

    #[test]
    fn a_saved_plan_file_reads_back_with_its_bytes_and_every_failure_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let shown = path.display().to_string();
        let message = |path: &Path| SavedPlan::read_file(path).unwrap_err().to_string();
        let source = |path: &Path| {
            let error = SavedPlan::read_file(path).unwrap_err();
            std::error::Error::source(&error).map(ToString::to_string)
        };

        let text = saved().to_json().unwrap();
        std::fs::write(&path, &text).unwrap();
        let (read, bytes) = SavedPlan::read_file(&path).unwrap();
        assert_eq!((read, bytes), (saved(), text.clone().into_bytes()));

        let missing = dir.path().join("missing.json");
        assert_eq!(
            message(&missing),
            format!("cannot read the saved plan `{}`", missing.display())
        );
        assert!(source(&missing).is_some());

        std::fs::write(&path, b"{\xff}").unwrap();
        assert_eq!(
            message(&path),
            format!("cannot read the saved plan `{shown}`")
        );
        assert!(
            source(&path).unwrap().contains("utf-8"),
            "{:?}",
            source(&path)
        );

        std::fs::write(&path, "version: 1\n").unwrap();
        assert_eq!(
            message(&path),
            format!("`{shown}` is not a plan saved by `kfollow plan --out`")
        );
        assert!(source(&path).is_some());

        std::fs::write(
            &path,
            text.replace("\"format_version\": 2,", "\"format_version\": 1,"),
        )
        .unwrap();
        assert_eq!(
            message(&path),
            format!("`{shown}` is a saved plan of format 1, this kfollow reads format 2")
        );
        assert!(matches!(
            SavedPlan::read_file(&path),
            Err(ReadSavedPlanError::FormatVersion {
                found: 1,
                expected: 2,
                ..
            })
        ));
    }

    #[test]
    fn what_is_not_a_saved_plan_says_so_and_why() {
        for text in [
            "",
            "version: 1\nclusters: {}\n",
            r#"{"format_version": 2}"#,
            r#"{"format_version": "2"}"#,
        ] {
            let error = SavedPlan::from_json(text).unwrap_err();
            assert!(
                matches!(error, SavedPlanError::NotASavedPlan(_)),
                "{text}: {error:?}"
            );
            assert_eq!(
                error.to_string(),
                "not a plan saved by `kfollow plan --out`"
            );
            let source = std::error::Error::source(&error).unwrap().to_string();
            assert!(!source.is_empty(), "{text}");
        }
    }

    #[test]
    fn a_manifest_s_values_survive_the_file() {
        let mut saved = saved();
        let settings = crate::FollowerDatabaseSettings {
            principals: BTreeMap::from([(
                Role::Viewers,
                vec!["aaduser=alice@contoso.com".parse::<Principal>().unwrap()],
            )]),
            ..crate::FollowerDatabaseSettings::default()
        };
        saved.desired.attachments.push(crate::DesiredAttachment {
            name: "sales".into(),
            follower: "fc".into(),
            leader: "prod".into(),
            database: crate::DatabaseSelection::All,
            follower_database_name: crate::FollowerDatabaseName::Prefix("x_".into()),
            default_principals_modification_kind: crate::PrincipalsModificationKind::None,
            table_level_sharing: crate::TableLevelSharing::default(),
            follower_databases: BTreeMap::from([("Sales".to_owned(), settings)]),
            protect: true,
            freshness: Some(crate::Timespan::parse("4m").unwrap()),
            origin: crate::SourceLocation { line: 9, column: 5 },
            sharing_origins: Vec::new(),
        });
        let back = SavedPlan::from_json(&saved.to_json().unwrap()).unwrap();
        assert_eq!(back, saved);
    }

    #[test]
    fn a_plan_knows_its_manifest_by_content_and_its_desired_state_by_value() {
        let saved = saved();
        assert!(saved.made_from(b"version: 1"));
        assert!(!saved.made_from(b"version: 1\n"));
        let mut desired = saved.desired.clone();
        desired.source_name = "elsewhere/kfollow.yaml".into();
        assert!(saved.holds(&desired));
        desired.attachments.push(crate::DesiredAttachment {
            name: "sales".into(),
            follower: "fc".into(),
            leader: "prod".into(),
            database: crate::DatabaseSelection::All,
            follower_database_name: crate::FollowerDatabaseName::Same,
            default_principals_modification_kind: crate::PrincipalsModificationKind::None,
            table_level_sharing: crate::TableLevelSharing::default(),
            follower_databases: BTreeMap::new(),
            protect: false,
            freshness: None,
            origin: crate::SourceLocation { line: 9, column: 5 },
            sharing_origins: Vec::new(),
        });
        assert!(!saved.holds(&desired));
    }

    #[test]
    fn digest_is_sha256() {
        // The test vectors of FIPS 180-2.
        assert_eq!(
            digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            digest(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(digest(b"ab"), digest(b"ba"));
    }
}
