//! The `kfollow` command line: parses arguments, runs one command, maps the outcome to an exit
//! code. Each command lives in `src/commands/<name>.rs`; the stages they share are in
//! `pipeline.rs`, where Azure is in `connect.rs`.

mod cli;
mod commands;
mod connect;
mod pipeline;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

use crate::pipeline::Failure;

fn main() -> ExitCode {
    // Messages carry their own line structure (lists of what was tried, what to do next);
    // re-wrapping them at the terminal width breaks those lists apart.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(Failure::Reported(_)) => ExitCode::from(1),
        Err(Failure::Error(report)) => {
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}
