//! `kfollow plan`: read the live state and show what apply would change.

use std::process::ExitCode;

use kfollow_model::{ReadSavedPlanError, SavedPlan};
use miette::{IntoDiagnostic, Report, WrapErr, miette};

use crate::connect::connect;
use crate::pipeline::{self, Failure};
use kfollow_cli::{Format, PlanArgs};
use kfollow_console::{Output, Style};

/// Exit code of `--detailed-exitcode` when the plan has changes.
const CHANGES_PRESENT: u8 = 2;

pub async fn run(args: &PlanArgs, output: Output) -> Result<ExitCode, Failure> {
    let manifest = pipeline::load_manifest(&args.manifest.file, output)?;
    let connection = connect(&args.connection, output, output.notices_on_stderr())?;
    let observed = pipeline::read_state(&manifest.desired, &connection).await?;
    let (plan, _) = pipeline::make_plan(&manifest.desired, &observed, &args.targets, output)?;
    let fingerprints = kfollow_state::fingerprints(&observed, &manifest.desired);
    let saved = SavedPlan::new(
        env!("CARGO_PKG_VERSION"),
        &manifest.name,
        &manifest.digest,
        &connection.target,
        manifest.desired,
        plan,
        fingerprints,
    );
    // Saved before it is printed: a reader of stdout that goes away early (`| head`) must not
    // cost the saved plan.
    if let Some(out) = &args.out {
        let mut inputs = vec![args.manifest.file.as_path()];
        inputs.extend(connection.world_file());
        let text = saved.to_json().into_diagnostic()?;
        pipeline::write_file(out, text.as_bytes(), &inputs)
            .wrap_err_with(|| format!("cannot save the plan to `{}`", out.display()))?;
    }
    let form = args.format.form(output.stdout_color());
    output.print(&kfollow_render::render_saved_plan(
        &saved,
        form,
        args.title.as_deref(),
    ));
    if let Some(out) = &args.out
        && args.format == Format::Text
    {
        // Line by line: a progress line is printed inert, a line break in it would show as `\n`.
        let out = out.display();
        output.progress(Style::Plain, "");
        output.progress(
            Style::Plain,
            &format!("Saved the plan to {out}. To perform exactly these actions, run:"),
        );
        output.progress(Style::Plain, &format!("  kfollow apply {out}"));
    }
    Ok(
        if args.detailed_exitcode && saved.plan.drifted(args.unmanaged_is_drift) {
            ExitCode::from(CHANGES_PRESENT)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// Reads a plan saved by `plan --out`, with the file's bytes (for an apply record's SHA-256).
pub fn read_saved_plan_bytes(path: &std::path::Path) -> miette::Result<(SavedPlan, Vec<u8>)> {
    SavedPlan::read_file(path).map_err(|error| match error {
        ReadSavedPlanError::FormatVersion { .. } => miette!(
            help = "make the plan again with this kfollow version",
            "{error}"
        ),
        error => Report::from_err(error),
    })
}
