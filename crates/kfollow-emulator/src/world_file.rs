//! The emulator of one kfollow run (`kfollow --emulator WORLD`): served in process from a
//! world file, which stays locked until the run ends, and written back when the run asks.

use std::path::{Path, PathBuf};

use kfollow_files::{Lock, LockError};

use crate::{Emulator, StartError, World, WorldError};

/// An emulator serving a world file, and the lock that keeps other kfollow runs off the file
/// until this one ends: two applies must not both load the world and both write it back,
/// losing one's changes.
pub struct WorldFile {
    emulator: Emulator,
    path: PathBuf,
    _lock: Option<Lock>,
}

/// Why a world file cannot be served or written back.
#[derive(Debug, thiserror::Error)]
pub enum WorldFileError {
    /// The file cannot be locked.
    #[error("cannot load the emulator world `{}`", path.display())]
    Lock {
        /// The world file.
        path: PathBuf,
        /// Why.
        #[source]
        source: LockError,
    },
    /// The file cannot be read, or is no world.
    #[error("cannot load the emulator world `{}`", path.display())]
    Load {
        /// The world file.
        path: PathBuf,
        /// Why (boxed: a world error is large, and rare).
        #[source]
        source: Box<WorldError>,
    },
    /// The emulator cannot serve.
    #[error("cannot start the in-process emulator")]
    Start(#[source] StartError),
    /// The world cannot be written back.
    #[error("cannot write the world back to `{}`", path.display())]
    Save {
        /// The world file.
        path: PathBuf,
        /// Why (boxed: a world error is large, and rare).
        #[source]
        source: Box<WorldError>,
    },
}

impl WorldFile {
    /// Locks the world file at `path` (calling `on_wait` once if another kfollow run holds
    /// it, then waiting for it), loads it and serves it on loopback.
    ///
    /// # Errors
    ///
    /// [`WorldFileError`]: the file cannot be locked or loaded (a missing file is told as the
    /// loader tells it), or the emulator cannot start.
    pub fn open(path: &Path, on_wait: impl FnOnce()) -> Result<WorldFile, WorldFileError> {
        let lock = match Lock::exclusive(path, on_wait) {
            Ok(lock) => Some(lock),
            // A missing file is for the loader to report, with its own words.
            Err(error) if error.source.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(WorldFileError::Lock {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let world = World::load(path).map_err(|source| WorldFileError::Load {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        let emulator = Emulator::start(world).map_err(WorldFileError::Start)?;
        Ok(WorldFile {
            emulator,
            path: path.to_owned(),
            _lock: lock,
        })
    }

    /// Writes the emulator's world back to the file, as it is now.
    ///
    /// # Errors
    ///
    /// [`WorldFileError::Save`] when the world cannot be written.
    pub fn save(&self) -> Result<(), WorldFileError> {
        self.emulator
            .world()
            .save(&self.path)
            .map_err(|source| WorldFileError::Save {
                path: self.path.clone(),
                source: Box::new(source),
            })
    }

    /// The world file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The emulator serving it.
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    const WORLD: &str = "clusters:\n  - id: /subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/lead\n    location: westeurope\n    state: Running\n    databases:\n      - name: Sales\n";

    #[test]
    fn a_world_file_is_served_and_written_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world.yaml");
        std::fs::write(&path, WORLD).unwrap();
        let served = WorldFile::open(&path, || panic!("no other run holds the file")).unwrap();
        assert_eq!(served.path(), path);
        assert!(
            served
                .emulator()
                .base_url()
                .starts_with("http://127.0.0.1:")
        );
        std::fs::write(&path, "").unwrap();
        served.save().unwrap();
        let saved = World::load(&path).unwrap();
        assert_eq!(saved.clusters[0].databases[0].name, "Sales");
    }

    #[test]
    fn a_file_that_is_missing_or_no_world_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world.yaml");
        let error = WorldFile::open(&path, || {}).err().unwrap();
        assert!(matches!(error, WorldFileError::Load { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            format!("cannot load the emulator world `{}`", path.display())
        );
        std::fs::write(&path, "clusters: 3\n").unwrap();
        let error = WorldFile::open(&path, || {}).err().unwrap();
        assert!(matches!(error, WorldFileError::Load { .. }), "{error:?}");
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn a_second_run_waits_for_the_first_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world.yaml");
        std::fs::write(&path, WORLD).unwrap();
        let first = WorldFile::open(&path, || {}).unwrap();
        let (told, waiting) = mpsc::channel();
        let second = std::thread::spawn({
            let path = path.clone();
            move || WorldFile::open(&path, move || told.send(()).unwrap()).map(drop)
        });
        waiting.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(!second.is_finished());
        drop(first);
        second.join().unwrap().unwrap();
    }
}
