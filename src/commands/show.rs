//! `kfollow show PLAN`: render a saved plan.

use std::process::ExitCode;

use miette::miette;

use crate::commands::plan::read_saved_plan_bytes;
use crate::pipeline::Failure;
use kfollow_cli::ShowArgs;
use kfollow_console::Output;

pub fn run(args: &ShowArgs, output: Output) -> Result<ExitCode, Failure> {
    let (saved, _) = read_saved_plan_bytes(&args.plan)?;
    if let Some(file) = &args.file {
        // A saved plan is shown as it was made; rendering it against another manifest would
        // show something that is not what `apply PLAN` does.
        return Err(miette!(
            help = format!(
                "run `kfollow show {plan}` alone to see the saved plan, or `kfollow plan -f {file}` \
                 for a new plan of that manifest",
                plan = args.plan.display(),
                file = file.display()
            ),
            "`-f` does not apply to `kfollow show`: the saved plan `{}` holds the manifest it was \
             made from (`{}`)",
            args.plan.display(),
            saved.manifest
        )
        .into());
    }
    let form = args.format.form(output.stdout_color());
    output.print(&kfollow_render::render_saved_plan(
        &saved,
        form,
        args.title.as_deref(),
    ));
    Ok(ExitCode::SUCCESS)
}
