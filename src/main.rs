//! The `kfollow` command line: parses arguments, runs one command, maps the outcome to an exit
//! code. Each command lives in `src/commands/<name>.rs`.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}
