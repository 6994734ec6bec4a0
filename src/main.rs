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
