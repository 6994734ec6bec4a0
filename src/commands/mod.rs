//! One module per command; each returns the process exit code, or a [`Failure`] the caller
//! prints.

mod access;
mod apply;
mod check;
mod evidence;
mod export;
mod help;
mod plan;
mod schema;
mod show;
mod validate;

use std::process::ExitCode;

use crate::pipeline::Failure;
use kfollow_cli::{Cli, Command};
use kfollow_console::Output;

/// Runs the command the user asked for.
pub fn run(cli: Cli, output: Output) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Validate(args) => validate::run(&args, output),
        Command::Schema => Ok(schema::run(output)),
        Command::Show(args) => show::run(&args, output),
        Command::Completions(args) => Ok(help::completions(&args, output)),
        Command::Man(args) => help::man(&args, output),
        Command::Plan(args) => runtime()?.block_on(plan::run(&args, output)),
        Command::Apply(args) => runtime()?.block_on(apply::run(&args, output)),
        Command::Export(args) => runtime()?.block_on(export::run(&args, output)),
        Command::Check(args) => runtime()?.block_on(check::run(&args, output)),
        Command::Access(args) => runtime()?.block_on(access::run(&args, output)),
    }
}

fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    use miette::IntoDiagnostic;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .into_diagnostic()
}
