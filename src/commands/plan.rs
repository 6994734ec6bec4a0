//! `kfollow plan`: read the live state and show what apply would change.

use std::process::ExitCode;

use kfollow_model::{Plan, SavedPlan, SavedPlanError};
use kfollow_render::{MarkdownOptions, PlanJsonMeta, TextOptions};
use miette::{IntoDiagnostic, WrapErr};

use crate::connect::connect;
use crate::pipeline::{self, Failure};
use kfollow_cli::{Format, PlanArgs};
use kfollow_console::{Output, Style};

/// Exit code of `--detailed-exitcode` when the plan has changes.
const CHANGES_PRESENT: u8 = 2;

pub async fn run(args: &PlanArgs, output: Output) -> Result<ExitCode, Failure> {
    check_title(args.format, args.title.as_deref())?;
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
    output.print(&render(&saved, args.format, args.title.as_deref(), output));
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
    let drift =
        !saved.plan.is_empty() || (args.unmanaged_is_drift && !saved.plan.unmanaged.is_empty());
    Ok(if args.detailed_exitcode && drift {
        ExitCode::from(CHANGES_PRESENT)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--title` heads the markdown form only: refused with another form, before anything is
/// read, rather than left out without a word.
pub fn check_title(format: Format, title: Option<&str>) -> miette::Result<()> {
    if title.is_none() || format == Format::Markdown {
        return Ok(());
    }
    let name = clap::ValueEnum::to_possible_value(&format)
        .map(|value| value.get_name().to_owned())
        .unwrap_or_default();
    Err(miette::miette!(
        help = "add `--format markdown`, or leave out `--title`",
        "`--title` is the heading of the markdown form; it does not apply to `--format {name}`"
    ))
}

/// A plan in the form asked for, ending with a newline; markdown starts with the manifest's
/// marker and `title` (by default the manifest path).
pub fn render(saved: &SavedPlan, format: Format, title: Option<&str>, output: Output) -> String {
    let plan: &Plan = &saved.plan;
    let mut out = match format {
        Format::Text => kfollow_render::render_text(
            plan,
            &TextOptions {
                color: output.stdout_color(),
            },
        ),
        Format::Markdown => kfollow_render::render_markdown(
            plan,
            &MarkdownOptions {
                title: Some(title.unwrap_or(&saved.manifest).to_owned()),
                manifest: Some(saved.manifest.clone()),
                ..MarkdownOptions::default()
            },
        ),
        Format::Json => kfollow_render::render_json(
            plan,
            Some(&PlanJsonMeta {
                kfollow_version: Some(saved.kfollow_version.clone()),
                manifest: Some(saved.manifest.clone()),
                manifest_digest: Some(saved.manifest_digest.clone()),
            }),
        ),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Reads a plan saved by `plan --out`.
pub fn read_saved_plan(path: &std::path::Path) -> miette::Result<SavedPlan> {
    read_saved_plan_bytes(path).map(|(saved, _)| saved)
}

/// Reads a plan saved by `plan --out`, with the file's bytes (for an apply record's SHA-256).
pub fn read_saved_plan_bytes(path: &std::path::Path) -> miette::Result<(SavedPlan, Vec<u8>)> {
    let bytes = std::fs::read(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read the saved plan `{}`", path.display()))?;
    let text = std::str::from_utf8(&bytes)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read the saved plan `{}`", path.display()))?;
    let saved = SavedPlan::from_json(text).map_err(|error| match error {
        SavedPlanError::NotASavedPlan(source) => {
            miette::Report::from_err(source).wrap_err(format!(
                "`{}` is not a plan saved by `kfollow plan --out`",
                path.display()
            ))
        }
        SavedPlanError::FormatVersion { found, expected } => miette::miette!(
            help = "make the plan again with this kfollow version",
            "`{}` is a saved plan of format {found}, this kfollow reads format {expected}",
            path.display()
        ),
    })?;
    Ok((saved, bytes))
}
