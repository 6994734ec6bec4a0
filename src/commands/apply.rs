//! `kfollow apply`: plan, show, ask, then change the live state; or run a reviewed saved plan
//! after checking that the world has not moved since it was made. What runs once the plan is
//! approved, and when a saved plan may run, is `kfollow-apply`'s; this module wires it.

use std::path::Path;
use std::process::ExitCode;

use kfollow_apply::record::{Evidence, Target};
use kfollow_apply::{ApplyOptions, ApplyReport, AzureExecutor, Interrupts, Outcome, Refusal};
use kfollow_graph::DependencyGraph;
use kfollow_model::{Desired, Observed, Plan};
use kfollow_render::TextOptions;
use miette::{IntoDiagnostic, miette};

use crate::commands::evidence::{self, not_written, write_rollback_manifest};
use crate::commands::plan::read_saved_plan_bytes;
use crate::connect::{Connection, connect};
use crate::pipeline::{self, Failure};
use kfollow_cli::{ApplyArgs, DEFAULT_MANIFEST};
use kfollow_console::{Approval, Output, Progress};

pub async fn run(args: &ApplyArgs, output: Output) -> Result<ExitCode, Failure> {
    let (record, rollback) = (args.record.as_deref(), args.rollback_manifest.as_deref());
    let version = env!("CARGO_PKG_VERSION");
    let mut evidence = Evidence::new(record, rollback, version).into_diagnostic()?;
    let result = apply(args, output, &mut evidence).await;
    evidence::close(evidence, result, output)
}

async fn apply(
    args: &ApplyArgs,
    output: Output,
    evidence: &mut Evidence,
) -> Result<ExitCode, Failure> {
    // From here on Ctrl-C and SIGTERM no longer end kfollow as they end any program: before the
    // first write the first one ends the apply (nothing was changed, and a record is kept);
    // then the first stops new changes and the second stops at once, naming what was in flight.
    let interrupts = Interrupts::listen()
        .into_diagnostic()
        .map_err(|error| error.wrap_err("cannot listen for Ctrl-C; nothing was changed"))?;
    let prepared = tokio::select! {
        prepared = prepare(args, output, evidence) => prepared?,
        () = interrupts.reached(1) => {
            return Err(miette!("interrupted before the first write; nothing was changed").into());
        }
    };
    let Some(Prepared {
        connection,
        plan,
        graph,
        observed,
        desired,
    }) = prepared
    else {
        return Ok(ExitCode::SUCCESS);
    };
    let progress = Progress::start(output);
    let executor = AzureExecutor::for_observed(&connection.clients, &observed);
    let options = ApplyOptions {
        parallelism: args.parallelism.into(),
    };
    let replan = || kfollow_apply::fresh_plan(&desired, &connection.clients);
    // The outcome is told and kept, and the emulator's world written back, before the wait.
    let reported = |report: &ApplyReport| {
        progress.report(report);
        evidence.report(&plan, report);
        connection.save_world()
    };
    let outcome = kfollow_apply::run_approved(
        &plan,
        &graph,
        &executor,
        &options,
        &interrupts,
        replan,
        &progress,
        reported,
    );
    let ran = match outcome.await? {
        Outcome::Abandoned(abandoned) => {
            progress.abandoned(&abandoned);
            evidence.abandoned(&plan, &abandoned.events);
            connection.save_world()?;
            return Ok(ExitCode::from(1));
        }
        Outcome::Ran(ran) => ran,
    };
    for warning in ran.warnings {
        evidence.warn(warning);
    }
    if ran.interrupted {
        Ok(ExitCode::from(1))
    } else if ran.report.is_complete() {
        Ok(ExitCode::SUCCESS)
    } else {
        output.message("Run `kfollow plan` to see the remaining work.");
        Ok(ExitCode::from(1))
    }
}

/// What the writes need: the plan approved (or the saved plan admitted), its graph, the live
/// state it was made from and the desired state it is checked against after.
struct Prepared {
    connection: Connection,
    plan: Plan,
    graph: DependencyGraph,
    observed: Observed,
    desired: Desired,
}

/// Everything before the first write: connect, make the plan (or admit the saved one), show it,
/// ask, and write the rollback manifest. `None` when there is nothing to do.
async fn prepare(
    args: &ApplyArgs,
    output: Output,
    evidence: &mut Evidence,
) -> Result<Option<Prepared>, Failure> {
    let mut connection = connect(&args.connection, output, output.notices_as_progress())?;
    let arm = &mut connection.clients.arm;
    *arm = arm.clone().with_operation_timeout(args.operation_timeout);
    let target = Target::new(&connection.target, &args.connection.cloud);
    let caller = connection.clients.arm.caller();
    evidence
        .connected(connection.world_file(), target, caller)
        .await;
    let (plan, graph, observed, desired) = match &args.plan {
        Some(path) => saved_plan(path, args.file.as_deref(), &connection, output, evidence).await?,
        None => {
            let file = args.file.as_deref().unwrap_or(Path::new(DEFAULT_MANIFEST));
            evidence.input(file);
            evidence.check_outputs().map_err(not_written)?;
            let manifest = pipeline::load_manifest(file, output)?;
            evidence.manifest(&manifest.name, &manifest.digest);
            let observed = pipeline::read_state(&manifest.desired, &connection).await?;
            let (plan, graph) =
                pipeline::make_plan(&manifest.desired, &observed, &args.targets, output)?;
            let color = output.stdout_color();
            output.print(&kfollow_render::render_text(&plan, &TextOptions { color }));
            evidence.plan(&plan);
            if plan.is_empty() {
                return Ok(None);
            }
            if !args.auto_approve {
                approve(output).await?;
            }
            (plan, graph, observed, manifest.desired)
        }
    };
    evidence.plan(&plan);
    if plan.is_empty() {
        output.print(&format!("{}\n", kfollow_render::summary_line(&plan)));
        return Ok(None);
    }
    if let Some(path) = &args.rollback_manifest {
        let name = &desired.source_name;
        write_rollback_manifest(path, &plan, name, &connection, evidence, output).await?;
    }
    Ok(Some(Prepared {
        connection,
        plan,
        graph,
        observed,
        desired,
    }))
}

/// Asks the user, or refuses when nobody can answer.
async fn approve(output: Output) -> Result<(), Failure> {
    match output.approve().await.into_diagnostic()? {
        Approval::Approved => Ok(()),
        Approval::Declined => {
            Err(miette!("apply cancelled: only 'yes' approves; nothing was changed").into())
        }
        Approval::NobodyToAsk => Err(miette!(
            help = "run `kfollow apply --auto-approve`, or save a reviewed plan with \
                    `kfollow plan --out PLAN` and run `kfollow apply PLAN`",
            "cannot ask for approval: standard input is not a terminal; nothing was changed"
        )
        .into()),
    }
}

/// Reads a saved plan, re-reads what it was made from, and makes the plan again: the plan that
/// runs is the one made now, and only when `kfollow-apply`'s checks admit the file.
async fn saved_plan(
    path: &Path,
    manifest: Option<&Path>,
    connection: &Connection,
    output: Output,
    evidence: &mut Evidence,
) -> Result<(Plan, DependencyGraph, Observed, Desired), Failure> {
    evidence.input(path);
    let (saved, bytes) = read_saved_plan_bytes(path)?;
    evidence.saved_plan(path, &saved, &bytes, manifest);
    evidence.check_outputs().map_err(not_written)?;
    let target = &connection.target;
    kfollow_apply::check_saved(
        &saved,
        path,
        target,
        manifest,
        pipeline::read_manifest_bytes,
    )
    .map_err(refused)?;
    let observed = pipeline::read_state(&saved.desired, connection).await?;
    kfollow_apply::check_live(&saved, &observed).map_err(refused)?;
    // With the targets it was made with: a targeted plan is made again just as narrow.
    let (plan, graph) = pipeline::make_plan(&saved.desired, &observed, saved.targets(), output)?;
    kfollow_apply::check_remade(&saved, path, &plan).map_err(refused)?;
    Ok((plan, graph, observed, saved.desired))
}

fn refused(refusal: Refusal) -> miette::Report {
    miette!(help = refusal.help(), "{refusal}")
}
