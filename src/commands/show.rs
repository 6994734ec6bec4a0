//! `kfollow show PLAN`: render a saved plan.

use std::process::ExitCode;

use crate::cli::ShowArgs;
use crate::commands::plan::{read_saved_plan, render};
use crate::pipeline::Failure;

pub fn run(args: &ShowArgs) -> Result<ExitCode, Failure> {
    let saved = read_saved_plan(&args.plan)?;
    print!("{}", render(&saved, args.format, args.title.as_deref()));
    Ok(ExitCode::SUCCESS)
}
