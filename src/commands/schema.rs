//! `kfollow schema`: the manifest's JSON Schema, for editors and CI.

use std::process::ExitCode;

use kfollow_console::Output;

/// Prints the JSON Schema that `schemas/kfollow.schema.json` holds.
pub fn run(output: Output) -> ExitCode {
    output.print(&kfollow_spec::manifest_schema_text());
    ExitCode::SUCCESS
}
