//! `kfollow apply`: plan, show, ask, then change the live state; or run a reviewed saved plan
//! after checking that the world has not moved since it was made.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;

use kfollow_apply::record::FileDigest;
use kfollow_apply::{ApplyOptions, ApplyReport, AzureExecutor, Event, Found, Settled};
use kfollow_graph::DependencyGraph;
use kfollow_model::{Desired, Observed, Plan, SavedPlan};
use kfollow_render::{TextOptions, inert};
use miette::{IntoDiagnostic, miette};

use crate::commands::evidence::{Evidence, write_rollback_manifest};
use crate::commands::plan::read_saved_plan_bytes;
use crate::commands::plural;
use crate::connect::{Connection, connect};
use crate::interrupt::Interrupts;
use crate::pipeline::{self, Failure};
use kfollow_cli::{ApplyArgs, DEFAULT_MANIFEST};
use kfollow_console::{Output, Progress, Style, verb};

pub async fn run(args: &ApplyArgs, output: Output) -> Result<ExitCode, Failure> {
    let mut evidence = Evidence::new(args.record.as_deref(), args.rollback_manifest.as_deref())?;
    let result = apply(args, output, &mut evidence).await;
    evidence.close(result, output)
}

async fn apply(
    args: &ApplyArgs,
    output: Output,
    evidence: &mut Evidence,
) -> Result<ExitCode, Failure> {
    let mut connection = connect(&args.connection, output, output.notices_as_progress())?;
    connection.clients.arm = connection
        .clients
        .arm
        .clone()
        .with_operation_timeout(args.operation_timeout);
    evidence
        .connected(&connection, &args.connection.cloud)
        .await;
    let (plan, graph, observed, desired) = match &args.plan {
        Some(path) => saved_plan(path, args.file.as_deref(), &connection, output, evidence).await?,
        None => {
            let file = args.file.as_deref().unwrap_or(Path::new(DEFAULT_MANIFEST));
            evidence.input(file);
            evidence.check_inputs()?;
            let manifest = pipeline::load_manifest(file, output)?;
            evidence.sources(file_digest(&manifest.name, &manifest.digest), None);
            let observed = pipeline::read_state(&manifest.desired, &connection).await?;
            let (plan, graph) =
                pipeline::make_plan(&manifest.desired, &observed, &args.targets, output)?;
            output.print(&kfollow_render::render_text(
                &plan,
                &TextOptions {
                    color: output.stdout_color(),
                },
            ));
            evidence.plan(&plan);
            if plan.is_empty() {
                return Ok(ExitCode::SUCCESS);
            }
            if !args.auto_approve {
                approve(output)?;
            }
            (plan, graph, observed, manifest.desired)
        }
    };
    evidence.plan(&plan);
    if plan.is_empty() {
        output.print(&format!("{}\n", kfollow_render::summary_line(&plan)));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(path) = &args.rollback_manifest {
        write_rollback_manifest(
            path,
            &plan,
            &desired.source_name,
            &connection,
            evidence,
            output,
        )
        .await?;
    }
    // From the first write on, Ctrl-C and SIGTERM no longer kill kfollow: the first stops new
    // changes, the second stops at once and says what was left in flight.
    let interrupts = Interrupts::listen()
        .into_diagnostic()
        .map_err(|error| error.wrap_err("cannot listen for Ctrl-C; nothing was changed"))?;
    let progress = Progress::start(output);
    let parallelism = args.parallelism.into();
    // What happened so far, for the record of an apply stopped at once.
    let events = Mutex::new(Vec::new());
    let executor = executor(&observed, &connection);
    let mut report = tokio::select! {
        report = execute(&graph, &executor, parallelism, &progress, &interrupts, &events, output) => report,
        () = interrupts.reached(2) => {
            abandon(&progress, output);
            let events = events.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            evidence.abandoned(&plan, &events);
            connection.save_world()?;
            return Ok(ExitCode::from(1));
        }
    };
    // What apply could not see the end of is read again before the outcome is told.
    let received = interrupts.received();
    tokio::select! {
        () = reread_unknown(&mut report, &desired, &connection, output) => {}
        () = interrupts.reached(received + 1) => {
            output.warn(
                "interrupted while reading the live state again; the unknown outcomes stay \
                 unknown: run `kfollow plan` to see what is live",
            );
        }
    }
    print_outcome(&report, output);
    evidence.report(&plan, &report);
    drop(progress);
    connection.save_world()?;
    let received = interrupts.received();
    tokio::select! {
        warning = await_follower_settings(&plan, &report, &desired, &connection, output) => {
            if let Some(warning) = warning {
                evidence.warn(warning);
            }
        }
        () = interrupts.reached(received + 1) => {
            let warning = "interrupted while waiting for follower database settings to show; \
                           run `kfollow plan` in a few minutes to confirm them";
            output.warn(warning);
            evidence.warn(warning.to_owned());
            return Ok(ExitCode::from(1));
        }
    }
    if let Some(targeting) = &plan.targeting {
        output.warn(&format!(
            "only the changes of {} and what they depend on were applied; run `kfollow plan` \
             to see what is left",
            targeting.targets.join(", ")
        ));
    }
    if report.is_complete() {
        Ok(ExitCode::SUCCESS)
    } else {
        output.message("Run `kfollow plan` to see the remaining work.");
        Ok(ExitCode::from(1))
    }
}

/// After a second interrupt: names the changes left in flight, whose outcome nobody saw, and
/// how to find out what they did.
fn abandon(progress: &Progress, output: Output) {
    progress.stop();
    output.error("interrupted again: stopped at once, without waiting for the changes in flight");
    let in_flight = progress.in_flight();
    if in_flight.is_empty() {
        output.message("No change was in flight.");
    } else {
        output.message("These changes were in flight; their outcome is unknown:");
        for (address, action, elapsed) in in_flight {
            output.message(&format!(
                "  {address} ({}, for {})",
                verb(action),
                kfollow_apply::format_elapsed(elapsed)
            ));
        }
    }
    output.message(
        "Changes not started were not made. Run `kfollow plan` to see what is live now and what \
         remains to do.",
    );
}

/// Asks the user, or refuses when nobody can answer.
fn approve(output: Output) -> Result<(), Failure> {
    if !output.can_ask() {
        return Err(miette!(
            help = "run `kfollow apply --auto-approve`, or save a reviewed plan with \
                    `kfollow plan --out PLAN` and run `kfollow apply PLAN`",
            "cannot ask for approval: standard input is not a terminal; nothing was changed"
        )
        .into());
    }
    let answer = output
        .ask(
            "\nDo you want to perform these actions? Only 'yes' will be accepted to approve.\n  \
             Enter a value: ",
        )
        .into_diagnostic()?;
    if answer == "yes" {
        output.print("\n");
        Ok(())
    } else {
        Err(miette!("apply cancelled: only 'yes' approves; nothing was changed").into())
    }
}

/// Reads a saved plan, checks it against its manifest when that can be read, re-reads what it
/// was made from, and makes the plan again: the plan that runs is the one made now, and only
/// when the file holds exactly it. Refuses a plan whose dependencies do not make a DAG, made
/// elsewhere, made from another manifest, stale, or edited.
async fn saved_plan(
    path: &Path,
    manifest: Option<&Path>,
    connection: &Connection,
    output: Output,
    evidence: &mut Evidence,
) -> Result<(Plan, DependencyGraph, Observed, Desired), Failure> {
    evidence.input(path);
    let (saved, bytes) = read_saved_plan_bytes(path)?;
    let recorded = file_digest(&saved.manifest, &saved.manifest_digest);
    let plan_file = FileDigest {
        path: path.display().to_string(),
        sha256: Some(kfollow_model::sha256_hex(&bytes)),
    };
    evidence.sources(recorded, Some(plan_file));
    evidence.input(manifest.unwrap_or(Path::new(&saved.manifest)));
    evidence.check_inputs()?;
    let shown = path.display();
    // Before anything is read: a file whose dependencies do not make a DAG is no plan.
    DependencyGraph::from_depends_on(saved.plan.changes.clone()).map_err(|error| {
        miette!(
            help = "make the plan again with `kfollow plan --out PLAN` and review it",
            "the saved plan `{shown}` cannot be applied: {}; nothing was changed",
            inert(&error.to_string())
        )
    })?;
    if saved.target != connection.target {
        return Err(miette!(
            help = "apply the plan against the endpoint it was made for, or make a new plan",
            "the saved plan `{shown}` was made against `{}`, not `{}`; nothing was changed",
            inert(&saved.target),
            connection.target
        )
        .into());
    }
    check_manifest(&saved, path, manifest)?;
    let observed = pipeline::read_state(&saved.desired, connection).await?;
    let now = kfollow_state::fingerprints(&observed, &saved.desired);
    if let Err(stale) = kfollow_apply::check_fresh(&saved.fingerprints, &now) {
        // One resource per line: the names are made inert, the line breaks between them kept.
        let names = |names: Vec<String>| names.iter().map(|n| inert(n).into_owned()).collect();
        let stale = kfollow_apply::StalePlan {
            changed: names(stale.changed),
            appeared: names(stale.appeared),
            gone: names(stale.gone),
        };
        return Err(miette!(
            help =
                "nothing was changed; run `kfollow plan --out PLAN` again and review the new plan",
            "{stale}"
        )
        .into());
    }
    // With the targets it was made with: a targeted plan is made again just as narrow.
    let (plan, graph) = pipeline::make_plan(&saved.desired, &observed, saved.targets(), output)?;
    if let Err(mismatch) = kfollow_apply::check_same_plan(&saved.plan, &plan) {
        let lines: Vec<String> = mismatch
            .lines(MISMATCHES_SHOWN)
            .iter()
            .map(|line| inert(line).into_owned())
            .collect();
        return Err(miette!(
            help = "the file was changed after `kfollow plan --out` wrote it, or was made by \
                    another kfollow version; make the plan again with `kfollow plan --out PLAN` \
                    and review it",
            "the saved plan `{shown}` is not what its manifest and the live state give ({}); \
             nothing was changed\n{}",
            plural(mismatch.differences.len(), "difference", "differences"),
            lines.join("\n")
        )
        .into());
    }
    Ok((plan, graph, observed, saved.desired))
}

/// How an apply record names a manifest: its path and the hex of its digest (`sha256:<hex>`).
fn file_digest(path: &str, digest: &str) -> FileDigest {
    FileDigest {
        path: path.to_owned(),
        sha256: digest.strip_prefix("sha256:").map(str::to_owned),
    }
}

/// How many differences between a saved plan and the plan made again are listed.
const MISMATCHES_SHOWN: usize = 10;

/// A saved plan runs only with the manifest it was made from: the one `-f` names, else the one
/// the plan names when it is still there. An equal digest is not enough when the file's
/// desired state was edited: the manifest must also give the desired state the plan holds.
fn check_manifest(saved: &SavedPlan, plan: &Path, given: Option<&Path>) -> Result<(), Failure> {
    let path = given.unwrap_or(Path::new(&saved.manifest));
    let name = inert(&path.display().to_string()).into_owned();
    if given.is_none() {
        match std::fs::metadata(path) {
            Ok(found) if found.is_file() => {}
            // Gone, or not a file to read twice (`plan -f /dev/stdin`): nothing to compare.
            Ok(_) => return Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(_) => {}
        }
    }
    // Bounded: the name in a plan file may point at a device.
    let bytes = pipeline::read_manifest_bytes(path).map_err(|error| {
        miette!(
            help = "name the manifest the plan was made from with `-f FILE`",
            "cannot read the manifest `{name}`: {error}; nothing was changed"
        )
    })?;
    let plan = plan.display();
    if !saved.made_from(&bytes) {
        let what = match given {
            Some(_) => format!(
                "the manifest `{name}` is not the one the plan `{plan}` was made from (`{}`)",
                inert(&saved.manifest)
            ),
            None => format!("the manifest `{name}` changed since the plan `{plan}` was saved"),
        };
        return Err(miette!(
            help = format!(
                "make a plan of the manifest as it is now with `kfollow plan -f {name} --out \
                 PLAN`, review it, and apply that plan"
            ),
            "{what}; nothing was changed"
        )
        .into());
    }
    let text = String::from_utf8_lossy(&bytes);
    let holds = kfollow_spec::load(&saved.desired.source_name, &text)
        .is_ok_and(|validated| saved.holds(&validated.desired));
    if !holds {
        return Err(miette!(
            help = "make the plan again with `kfollow plan --out PLAN` and review it",
            "the saved plan `{plan}` does not hold what its manifest `{name}` gives: its \
             desired state was edited; nothing was changed"
        )
        .into());
    }
    Ok(())
}

/// What sends the writes of the plan, to the clusters `observed` names.
fn executor(observed: &Observed, connection: &Connection) -> AzureExecutor {
    let cluster_uris: HashMap<_, _> = observed
        .clusters
        .iter()
        .map(|(id, cluster)| (id.clone(), cluster.uri.clone()))
        .collect();
    AzureExecutor::new(
        connection.clients.arm.clone(),
        connection.clients.kusto.clone(),
        cluster_uris,
    )
}

/// Runs the plan's graph, printing progress. The first interrupt stops new changes from
/// starting.
async fn execute(
    graph: &DependencyGraph,
    executor: &AzureExecutor,
    parallelism: usize,
    progress: &Progress,
    interrupts: &Interrupts,
    events: &Mutex<Vec<Event>>,
    output: Output,
) -> ApplyReport {
    let cancel = async {
        interrupts.reached(1).await;
        output.warn(
            "interrupt received: no new change will start; waiting for the changes in flight to \
             finish (interrupt again to stop at once, leaving them in an unknown state)",
        );
    };
    let report = kfollow_apply::apply(
        graph,
        executor,
        &ApplyOptions { parallelism },
        cancel,
        |event| {
            progress.event(&event);
            events
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(event);
        },
    )
    .await;
    output.progress(Style::Plain, "");
    report
}

/// What came of each change that did not simply succeed, and the summary.
fn print_outcome(report: &ApplyReport, output: Output) {
    for failed in &report.failed {
        output.error(&format!("{} failed: {}", failed.address, failed.error));
    }
    for unknown in &report.unknown {
        output.warn(&format!("{}: {}", unknown.address, unknown.error));
    }
    for skipped in &report.not_attempted {
        output.message(&format!("{}: {}", skipped.address, skipped.reason));
    }
    output.print(&format!("{}\n", report.summary()));
}

/// The plan `kfollow plan` would show now: what the reads after apply compare against.
async fn fresh_plan(desired: &Desired, connection: &Connection) -> Result<Plan, String> {
    let observed = kfollow_state::read(desired, &connection.clients)
        .await
        .map_err(|error| error.to_string())?;
    kfollow_diff::diff(desired, &observed).map_err(|errors| errors.to_string())
}

/// Reads the live state again for the changes whose outcome apply could not see, says what it
/// found for each, and moves them in the report where they belong.
async fn reread_unknown(
    report: &mut ApplyReport,
    desired: &Desired,
    connection: &Connection,
    output: Output,
) {
    if report.unknown.is_empty() {
        return;
    }
    output.progress(
        Style::Plain,
        &format!(
            "Reading the live state again for {} change(s) whose outcome is unknown...",
            report.unknown.len()
        ),
    );
    let found = kfollow_apply::reread_unknown(
        report,
        &kfollow_apply::REREAD_PAUSES,
        || fresh_plan(desired, connection),
        || {
            output.progress(
                Style::Plain,
                "An operation is still running; reading again in a few seconds...",
            );
        },
    )
    .await;
    match found {
        Ok(found) => {
            for reread in &found {
                let what = match &reread.found {
                    Found::Live => "live after all (read again)".to_owned(),
                    Found::NotApplied => "not applied (read again)".to_owned(),
                    Found::InProgress(state) => {
                        format!("still in progress, `provisioningState` `{state}` (read again)")
                    }
                    Found::NotShownYet => "its settings do not show yet (read again)".to_owned(),
                };
                output.progress(Style::Plain, &format!("{}: {what}", reread.address));
            }
            report.resolve_unknown(found);
        }
        Err(error) => output.warn(&format!(
            "cannot read the live state again to learn the unknown outcomes: {error}"
        )),
    }
}

/// Follower commands take effect at the cluster's next schema refresh: waits until the
/// settings just changed show, and if they do not, tells the user (it is no failure) and
/// returns the warning.
async fn await_follower_settings(
    plan: &Plan,
    report: &ApplyReport,
    desired: &Desired,
    connection: &Connection,
    output: Output,
) -> Option<String> {
    let replan = || fresh_plan(desired, connection);
    let settled = kfollow_apply::settle(
        &kfollow_apply::awaiting_refresh(plan, report),
        &kfollow_apply::SETTLE_PAUSES,
        replan,
        || {
            output.progress(
                Style::Plain,
                "Waiting for follower database settings to take effect at the next schema refresh...",
            );
        },
    )
    .await;
    let pending = match settled {
        Settled::Shown => return None,
        Settled::NotShown(pending) => pending,
        Settled::ReadFailed { pending, error } => {
            tracing::debug!("cannot read the follower database settings again: {error}");
            pending
        }
    };
    let names: Vec<String> = pending.iter().map(ToString::to_string).collect();
    let warning = format!(
        "the settings of {} were accepted but do not show yet; run `kfollow plan` in a few minutes to confirm",
        if names.is_empty() {
            "the follower databases".to_owned()
        } else {
            names.join(", ")
        }
    );
    output.warn(&warning);
    Some(warning)
}
