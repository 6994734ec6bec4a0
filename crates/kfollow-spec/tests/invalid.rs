//! Every manifest in `examples/invalid/` is refused, and what the user sees is a snapshot.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::PathBuf;

use miette::{GraphicalReportHandler, GraphicalTheme};

fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, diagnostic)
        .unwrap();
    out
}

#[test]
fn every_invalid_example_is_refused_with_its_diagnostics() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "only {} invalid examples", files.len());
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = format!("invalid/{stem}.yaml");
        let diagnostics = match kfollow_spec::load(&name, &text) {
            Ok(_) => panic!("{name} validated, but it breaks a rule"),
            Err(diagnostics) => diagnostics,
        };
        let mut shown = String::new();
        for diagnostic in diagnostics.all() {
            shown.push_str(&render(diagnostic));
            shown.push('\n');
        }
        shown.push_str(&diagnostics.to_string());
        insta::with_settings!({ snapshot_suffix => stem.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("invalid", shown);
        });
    }
}
