//! Validates one manifest and prints every diagnostic, without the rest of the binary:
//! `cargo run -p kfollow-spec --example check_file -- FILE`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: check_file FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("cannot read `{path}`: {error}");
            return ExitCode::from(1);
        }
    };
    match kfollow_spec::load(&path, &text) {
        Ok(validated) => {
            for warning in validated.warnings {
                eprintln!("{:?}", miette::Report::new(warning));
            }
            println!(
                "{path} is valid: {} clusters, {} attachments",
                validated.desired.clusters.len(),
                validated.desired.attachments.len()
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            for diagnostic in diagnostics.all() {
                eprintln!("{:?}", miette::Report::new(diagnostic.clone()));
            }
            eprintln!("{diagnostics}");
            ExitCode::from(1)
        }
    }
}
