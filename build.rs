//! Puts the commit into `kfollow --version` (`kfollow 0.1.0 (3f2c1ab)`), read with
//! `git rev-parse`. Outside a git checkout (a crate tarball) or without git, the version is
//! given alone.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let full = match commit() {
        Some(commit) => {
            watch_git();
            format!("{version} ({commit})")
        }
        None => version,
    };
    println!("cargo:rustc-env=KFOLLOW_VERSION={full}");
}

/// The short commit of the checkout this package is the root of; not that of some other
/// repository the sources happen to sit in.
fn commit() -> Option<String> {
    let root = std::fs::canonicalize(std::env::var_os("CARGO_MANIFEST_DIR")?).ok()?;
    let top = std::fs::canonicalize(git(&["rev-parse", "--show-toplevel"])?).ok()?;
    if root != top {
        return None;
    }
    git(&["rev-parse", "--short", "HEAD"])
}

/// Builds again when the commit moves: `HEAD` (of this worktree) names the branch, the
/// branch's ref file or `packed-refs` (shared by every worktree) names the commit.
fn watch_git() {
    let paths = [
        ("--git-dir", "HEAD"),
        ("--git-common-dir", "refs/heads"),
        ("--git-common-dir", "packed-refs"),
    ];
    for (which, file) in paths {
        if let Some(dir) = git(&["rev-parse", which]) {
            let path = PathBuf::from(dir).join(file);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}

/// One line of git's output, or `None` when git is missing or fails.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.trim();
    (!line.is_empty()).then(|| line.to_owned())
}
