//! `kfollow completions SHELL` and `kfollow man [COMMAND]`: the command line described for a
//! shell and for `man`, both generated from the clap definitions, so they never drift.

use std::process::ExitCode;

use clap::CommandFactory;
use miette::miette;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::output::Output;
use crate::pipeline::Failure;

/// Prints the completion script of a shell.
pub fn completions(args: &CompletionsArgs, output: Output) -> ExitCode {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kfollow", &mut script);
    output.print(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}

/// Prints the roff of `kfollow(1)`, or of `kfollow-COMMAND(1)`.
pub fn man(args: &ManArgs, output: Output) -> Result<ExitCode, Failure> {
    let mut command = Cli::command();
    // Building names the subcommands `kfollow-plan` and gives them the global flags.
    command.build();
    let page = match &args.command {
        None => command,
        Some(name) => command
            .get_subcommands()
            .find(|sub| sub.get_name() == name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<String> = Cli::command()
                    .get_subcommands()
                    .map(|sub| sub.get_name().to_owned())
                    .collect();
                miette!(
                    help = format!("name one of: {}", names.join(", ")),
                    "kfollow has no command `{name}`"
                )
            })?,
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("kfollow {}", env!("KFOLLOW_VERSION")))
        .render(&mut roff)
        .map_err(|error| miette!("cannot render the man page: {error}"))?;
    output.print(&String::from_utf8_lossy(&roff));
    Ok(ExitCode::SUCCESS)
}
