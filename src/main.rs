//! The `kfollow` command line: parses arguments (`kfollow-cli`), runs one command, maps the
//! outcome to an exit code. Each command lives in `src/commands/<name>.rs`; the stages they
//! share are in `pipeline.rs`, where Azure is in `connect.rs`. Everything printed goes through
//! `kfollow-console`.

mod commands;
mod connect;
mod pipeline;

use std::process::ExitCode;

use kfollow_console::Output;

use crate::pipeline::Failure;

/// `0.1.0 (3f2c1ab)`: the version and the commit it was built from (see build.rs).
const VERSION: &str = env!("KFOLLOW_VERSION");

fn main() -> ExitCode {
    let cli = match kfollow_cli::parse(VERSION) {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    let output = Output::new(cli.color, cli.quiet);
    let code = match output
        .install(cli.verbose)
        .map_err(Failure::from)
        .and_then(|()| commands::run(cli, output))
    {
        Ok(code) => code,
        Err(Failure::Reported) => ExitCode::from(1),
        Err(Failure::Error(report)) => {
            output.report(&report);
            ExitCode::from(1)
        }
    };
    if kfollow_console::stdout_failed() {
        return ExitCode::from(1);
    }
    code
}

/// `--help` and `--version` exit 0; a usage error exits 1, never clap's 2, which
/// `plan --detailed-exitcode` gives for "the plan has changes".
fn usage(error: &clap::Error) -> ExitCode {
    let _ = error.print();
    if error.use_stderr() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
