//! `kfollow plan`: read the live state and show what apply would change.

use std::process::ExitCode;

use kfollow_model::{Plan, SavedPlan, SavedPlanError};
use kfollow_render::{MarkdownOptions, PlanJsonMeta, TextOptions};
use miette::{IntoDiagnostic, WrapErr};

use crate::cli::{Format, PlanArgs};
use crate::connect::{connect, notices_on_stderr};
use crate::pipeline::{self, Failure};
use crate::terminal;

/// Exit code of `--detailed-exitcode` when the plan has changes.
const CHANGES_PRESENT: u8 = 2;

pub async fn run(args: &PlanArgs) -> Result<ExitCode, Failure> {
    let manifest = pipeline::load_manifest(&args.manifest.file)?;
    let connection = connect(&args.connection, notices_on_stderr())?;
    let observed = pipeline::read_state(&manifest.desired, &connection).await?;
    let (plan, _) = pipeline::make_plan(&manifest.desired, &observed)?;
    let saved = SavedPlan::new(
        env!("CARGO_PKG_VERSION"),
        &manifest.name,
        &manifest.digest,
        &connection.target,
        manifest.desired,
        plan,
        kfollow_state::fingerprints(&observed),
    );
    print!("{}", render(&saved, args.format));
    if let Some(out) = &args.out {
        write_saved_plan(out, &saved)?;
        if args.format == Format::Text {
            println!(
                "\nSaved the plan to {}. To perform exactly these actions, run:\n  kfollow apply {}",
                out.display(),
                out.display()
            );
        }
    }
    Ok(if args.detailed_exitcode && !saved.plan.is_empty() {
        ExitCode::from(CHANGES_PRESENT)
    } else {
        ExitCode::SUCCESS
    })
}

/// A plan in the form asked for, ending with a newline.
pub fn render(saved: &SavedPlan, format: Format) -> String {
    let plan: &Plan = &saved.plan;
    let mut out = match format {
        Format::Text => kfollow_render::render_text(
            plan,
            &TextOptions {
                color: terminal::stdout_color(),
            },
        ),
        Format::Markdown => kfollow_render::render_markdown(plan, &MarkdownOptions::default()),
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

fn write_saved_plan(path: &std::path::Path, saved: &SavedPlan) -> miette::Result<()> {
    std::fs::write(path, saved.to_json().into_diagnostic()?)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write the plan to `{}`", path.display()))
}

/// Reads a plan saved by `plan --out`.
pub fn read_saved_plan(path: &std::path::Path) -> miette::Result<SavedPlan> {
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read the saved plan `{}`", path.display()))?;
    SavedPlan::from_json(&text).map_err(|error| match error {
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
    })
}
