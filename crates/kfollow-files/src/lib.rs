//! How kfollow reads, writes and locks files. Every file kfollow writes (a saved plan, an emulator
//! world written back, and any later record) goes through [`write`]: the new content goes to a
//! temporary file in the same folder, is flushed to disk, then renamed over the old file, so a
//! reader (or a full disk, or a crash) never leaves half a file where a good one was. A
//! symlink is followed and stays a symlink, an existing file keeps its mode, and a file the run
//! reads (its manifest) is never written over, whatever path names it.
//!
//! [`Lock`] holds a file for one process at a time (an emulator world during an apply), so that
//! two runs never both read it and then both write it back.
//!
//! [`read_at_most`] reads a file the user names (a manifest) under a size limit, so that a
//! device such as `/dev/zero` is refused rather than read on.
//!
//! Start with [`write`] and [`Lock::exclusive`].

use std::fs::{File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many symlinks a path may go through before it counts as a loop.
const MAX_LINKS: usize = 40;

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The path names a file the run reads, through whatever symlink or other path.
    #[error("`{path}` is the file `{input}`, which this run reads; it was not written over")]
    Input {
        /// The path asked for.
        path: PathBuf,
        /// The input it names.
        input: PathBuf,
    },
    /// The operating system refused (no such folder, no permission, a full disk).
    #[error("cannot write `{path}`")]
    Io {
        /// The path asked for.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Writes `contents` to `path` atomically: a temporary file in the same folder, flushed to
/// disk, then renamed over the old file (and the folder flushed, where the system allows). A
/// symlink at `path` is followed, so the file it points to is replaced and the link stays. An
/// existing file keeps its permissions; a new one gets the usual ones (`0666` less the umask).
/// Refuses, writing nothing, when `path` is the same file as one of `inputs`.
pub fn write(path: &Path, contents: &[u8], inputs: &[&Path]) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    let target = check(path, inputs)?;
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let existing = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".kfollow-").suffix(".tmp");
    #[cfg(unix)]
    let default_mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o666)
    };
    #[cfg(unix)]
    builder.permissions(default_mode);
    let mut temporary = builder.tempfile_in(&folder).map_err(io)?;
    temporary.write_all(contents).map_err(io)?;
    if let Some(permissions) = existing {
        temporary
            .as_file()
            .set_permissions(permissions)
            .map_err(io)?;
    }
    temporary.as_file().sync_all().map_err(io)?;
    temporary
        .persist(&target)
        .map_err(|error| io(error.error))?;
    sync_folder(&folder);
    Ok(())
}

/// The refusal [`write`] would make, without writing: an error when `path` is the same file
/// as one of `inputs`, else the file `path` ends at. For a command that must know before it
/// starts that the file it will write at its end can be written.
pub fn check(path: &Path, inputs: &[&Path]) -> Result<PathBuf, WriteError> {
    let target = follow_links(path).map_err(|source| WriteError::Io {
        path: path.to_owned(),
        source,
    })?;
    for input in inputs {
        if same_file(&target, input) {
            return Err(WriteError::Input {
                path: path.to_owned(),
                input: input.to_path_buf(),
            });
        }
    }
    Ok(target)
}

/// The file a path ends at, following symlinks (a dangling one names the file to create).
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} symlinks (a loop?)"
    )))
}

/// True when both paths name one existing file (through links, hard links, `..`).
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Flushes a folder's entries (the rename) to disk; not every system can, and the file itself
/// is already safe, so a failure is not an error.
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(folder) = File::open(folder) {
        let _ = folder.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

/// The first `limit` bytes of the file at `path` (all of it when it is shorter): a caller that
/// allows `n` bytes asks for `n + 1` and refuses a file that gives that many, without reading
/// the rest of a large file or an endless device.
///
/// # Errors
///
/// When the file cannot be opened or read.
pub fn read_at_most(path: &Path, limit: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = File::open(path)?;
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

/// Why a file could not be locked.
#[derive(Debug, thiserror::Error)]
#[error("cannot lock `{path}`")]
pub struct LockError {
    /// The file.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: std::io::Error,
}

/// An exclusive lock on a file, held until dropped. Advisory: it keeps out other kfollow runs,
/// not other programs.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Locks `path` for this process; when another process holds it, calls `on_wait` once and
    /// waits for it. A file replaced while waiting (by [`write`] in the other process) is locked
    /// anew, so the lock is always on the file the path names now.
    pub fn exclusive(path: &Path, on_wait: impl FnOnce()) -> Result<Lock, LockError> {
        let error = |source| LockError {
            path: path.to_owned(),
            source,
        };
        let mut on_wait = Some(on_wait);
        loop {
            let file = File::open(path).map_err(error)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    if let Some(on_wait) = on_wait.take() {
                        on_wait();
                    }
                    file.lock().map_err(error)?;
                }
                Err(TryLockError::Error(source)) => return Err(error(source)),
            }
            if still_named(&file, path) {
                return Ok(Lock { _file: file });
            }
        }
    }
}

/// True when `path` still names the open `file` (it was not replaced since it was opened).
fn still_named(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        // Elsewhere a file that is open cannot be renamed over.
        let _ = (file, path);
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_read_stops_at_the_limit_and_a_shorter_file_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kfollow.yaml");
        std::fs::write(&path, b"version: 1\n").unwrap();
        assert_eq!(read_at_most(&path, 100).unwrap(), b"version: 1\n");
        assert_eq!(read_at_most(&path, 4).unwrap(), b"vers");
        assert_eq!(read_at_most(&path, 0).unwrap(), b"");
        let missing = read_at_most(&dir.path().join("missing.yaml"), 4).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        // A device that never ends is read up to the limit, not on.
        #[cfg(unix)]
        assert_eq!(read_at_most(Path::new("/dev/zero"), 5).unwrap(), [0; 5]);
    }

    #[test]
    fn a_new_file_is_written_and_an_old_one_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.plan");
        write(&path, b"one", &[]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write(&path, b"two", &[]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_input_is_refused_by_any_path() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("kfollow.yaml");
        std::fs::write(&manifest, "version: 1\n").unwrap();
        let other = dir.path().join("sub/../kfollow.yaml");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for path in [manifest.clone(), other] {
            let error = write(&path, b"{}", &[&manifest]).unwrap_err();
            assert!(matches!(error, WriteError::Input { .. }), "{error}");
        }
        assert_eq!(std::fs::read_to_string(&manifest).unwrap(), "version: 1\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_the_mode_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink("real.yaml", &link).unwrap();
        write(&link, b"new", &[]).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A symlink to an input is the input.
        let error = write(&link, b"x", &[&real]).unwrap_err();
        assert!(matches!(error, WriteError::Input { .. }), "{error}");
    }

    #[test]
    fn a_second_lock_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world.yaml");
        std::fs::write(&path, "a").unwrap();
        let first = Lock::exclusive(&path, || panic!("nobody holds it yet")).unwrap();
        let (told, heard) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let lock = Lock::exclusive(&path, || told.send(()).unwrap()).unwrap();
                drop(lock);
            })
        };
        heard.recv().unwrap();
        // The file is replaced while the second waits: it locks the new one.
        write(&path, b"b", &[]).unwrap();
        drop(first);
        waiter.join().unwrap();
    }
}
