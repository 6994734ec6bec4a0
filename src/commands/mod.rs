//! One module per command; each returns the process exit code or a report for the user.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => {
            let _ = args;
            Err(miette::miette!("`kfollow validate` is being built"))
        }
        Command::Schema => Err(miette::miette!("`kfollow schema` is being built")),
    }
}
