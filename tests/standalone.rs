//! The repository stands on its own: no file points at material outside it (a local copy of
//! Microsoft's docs, a design brief, an issue tracker the reader cannot see). Microsoft's docs
//! are cited by their learn.microsoft.com URL instead. And the binary stays glue, within its
//! line budget.

use std::path::{Path, PathBuf};

/// What may not appear, assembled so that this file does not match itself.
fn forbidden() -> Vec<String> {
    vec![
        ["..", "/shared"].concat(),
        ["DESIGN", ".md"].concat(),
        ["reference", "/docs/"].concat(),
        ["reference", "/arm-"].concat(),
        ["/work", "/"].concat(),
    ]
}

/// "issue" then a number: a number in an issue tracker that is not part of the repository.
fn names_an_issue(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.match_indices("issue ").any(|(at, word)| {
        lower[at + word.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else if ["rs", "md", "toml", "yaml", "yml", "json", "snap"]
            .iter()
            .any(|ext| path.extension().is_some_and(|e| e == *ext))
        {
            out.push(path);
        }
    }
}

#[test]
fn nothing_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(root, &mut all);
    assert!(all.len() > 100, "only {} files found", all.len());
    let forbidden = forbidden();
    let mut found = Vec::new();
    for path in &all {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            if forbidden.iter().any(|f| line.contains(f.as_str())) || names_an_issue(line) {
                let shown = path.strip_prefix(root).unwrap().display();
                found.push(format!("{shown}:{}: {line}", number + 1));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The binary is glue: parsing is `kfollow-cli`'s, printing `kfollow-console`'s, and formats,
/// conversions and algorithms belong to the library crate that owns them. A `src/` that grows
/// past this budget is holding product logic.
const BINARY_LINE_BUDGET: usize = 1_000;

#[test]
fn the_binary_stays_glue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    let mut sizes: Vec<(usize, String)> = all
        .iter()
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| {
            let lines = std::fs::read_to_string(path).unwrap().lines().count();
            (
                lines,
                path.strip_prefix(root).unwrap().display().to_string(),
            )
        })
        .collect();
    assert!(sizes.len() > 5, "only {} files found in src/", sizes.len());
    let total: usize = sizes.iter().map(|(lines, _)| lines).sum();
    sizes.sort();
    let largest: Vec<String> = sizes
        .iter()
        .rev()
        .take(5)
        .map(|(lines, path)| format!("{path}: {lines}"))
        .collect();
    assert!(
        total < BINARY_LINE_BUDGET,
        "src/ holds {total} lines, over its budget of {BINARY_LINE_BUDGET}: move the logic into \
         the library crate that owns it (docs/architecture.md says which). Largest:\n  {}",
        largest.join("\n  ")
    );
}
