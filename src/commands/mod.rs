//! One module per command; each returns the process exit code, or a [`Failure`] the caller
//! prints.

mod access;
mod apply;
mod evidence;
mod export;
mod plan;
mod schema;
mod show;
mod validate;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::pipeline::Failure;

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    init_logging(cli.verbose);
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Schema => Ok(schema::run()),
        Command::Show(args) => show::run(&args),
        Command::Plan(args) => runtime()?.block_on(plan::run(&args)),
        Command::Apply(args) => runtime()?.block_on(apply::run(&args)),
        Command::Export(args) => runtime()?.block_on(export::run(&args)),
        Command::Access(args) => runtime()?.block_on(access::run(&args)),
    }
}

fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    use miette::IntoDiagnostic;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .into_diagnostic()
}

/// `-v`: every HTTP call kfollow makes (method, URL, status, duration); `-vv`: everything
/// kfollow does, and the HTTP stack's own debug lines. Neither ever shows a token.
fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => "warn",
        1 => "warn,kfollow=debug,kfollow_azure=debug,kfollow_state=debug,kfollow_apply=debug",
        _ => "debug,kfollow=trace,kfollow_azure=trace,kfollow_state=trace,kfollow_apply=trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}

/// `1 cluster`, `2 clusters`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
