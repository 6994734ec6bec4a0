//! `kfollow schema`: the manifest's JSON Schema, for editors and CI.

use std::process::ExitCode;

/// Prints the JSON Schema that `schemas/kfollow.schema.json` holds.
pub fn run() -> ExitCode {
    print!("{}", kfollow_spec::manifest_schema_text());
    ExitCode::SUCCESS
}
