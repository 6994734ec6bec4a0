//! `kfollow apply`: plan, show, ask, then change the live state; or run a reviewed saved plan
//! after checking that the world has not moved since it was made.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kfollow_apply::{ApplyOptions, ApplyReport, AzureExecutor, Event, Found, Settled};
use kfollow_graph::DependencyGraph;
use kfollow_model::{Action, Desired, Observed, Plan, SavedPlan};
use kfollow_render::{TextOptions, inert};
use miette::{IntoDiagnostic, miette};

use crate::cli::{ApplyArgs, DEFAULT_MANIFEST};
use crate::commands::plan::read_saved_plan;
use crate::commands::plural;
use crate::connect::{Connection, connect, notices_as_progress};
use crate::pipeline::{self, Failure};
use crate::terminal;

pub async fn run(args: &ApplyArgs) -> Result<ExitCode, Failure> {
    let mut connection = connect(&args.connection, notices_as_progress())?;
    connection.clients.arm = connection
        .clients
        .arm
        .clone()
        .with_operation_timeout(args.operation_timeout);
    let (plan, graph, observed, desired) = match &args.plan {
        Some(path) => saved_plan(path, args.file.as_deref(), &connection).await?,
        None => {
            let file = args.file.as_deref().unwrap_or(Path::new(DEFAULT_MANIFEST));
            let manifest = pipeline::load_manifest(file)?;
            let observed = pipeline::read_state(&manifest.desired, &connection).await?;
            let (plan, graph) = pipeline::make_plan(&manifest.desired, &observed)?;
            print!(
                "{}",
                kfollow_render::render_text(
                    &plan,
                    &TextOptions {
                        color: terminal::stdout_color()
                    }
                )
            );
            if plan.is_empty() {
                return Ok(ExitCode::SUCCESS);
            }
            if !args.auto_approve {
                approve()?;
            }
            (plan, graph, observed, manifest.desired)
        }
    };
    if plan.is_empty() {
        println!("{}", kfollow_render::summary_line(&plan));
        return Ok(ExitCode::SUCCESS);
    }
    let report = execute(
        &graph,
        &observed,
        &desired,
        &connection,
        args.parallelism.into(),
    )
    .await;
    connection.save_world()?;
    await_follower_settings(&plan, &report, &desired, &connection).await;
    if report.is_complete() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("Run `kfollow plan` to see the remaining work.");
        Ok(ExitCode::from(1))
    }
}

/// Asks the user, or refuses when nobody can answer.
fn approve() -> Result<(), Failure> {
    if !terminal::can_prompt() {
        return Err(miette!(
            help = "run `kfollow apply --auto-approve`, or save a reviewed plan with \
                    `kfollow plan --out PLAN` and run `kfollow apply PLAN`",
            "cannot ask for approval: standard input is not a terminal; nothing was changed"
        )
        .into());
    }
    if terminal::confirm_apply().into_diagnostic()? {
        println!();
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
) -> Result<(Plan, DependencyGraph, Observed, Desired), Failure> {
    let saved = read_saved_plan(path)?;
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
    let now = kfollow_state::fingerprints(&observed);
    if let Err(stale) = kfollow_apply::check_fresh(&saved.fingerprints, &now) {
        return Err(miette!(
            help = "run `kfollow plan --out PLAN` again and review the new plan",
            "{}; nothing was changed",
            inert(&stale.to_string())
        )
        .into());
    }
    let (plan, graph) = pipeline::make_plan(&saved.desired, &observed)?;
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
    let mut bytes = Vec::new();
    // Bounded: the name in a plan file may point at a device.
    let read = std::fs::File::open(path)
        .and_then(|file| file.take(MANIFEST_READ_LIMIT).read_to_end(&mut bytes));
    if let Err(error) = read {
        return Err(miette!(
            help = "name the manifest the plan was made from with `-f FILE`",
            "cannot read the manifest `{name}`: {error}; nothing was changed"
        )
        .into());
    }
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

/// More than any manifest holds.
const MANIFEST_READ_LIMIT: u64 = 64 * 1024 * 1024;

/// Runs the plan's graph, printing progress; reads again what it could not see the end of;
/// prints the outcome.
async fn execute(
    graph: &DependencyGraph,
    observed: &Observed,
    desired: &Desired,
    connection: &Connection,
    parallelism: usize,
) -> ApplyReport {
    let cluster_uris: HashMap<_, _> = observed
        .clusters
        .iter()
        .map(|(id, cluster)| (id.clone(), cluster.uri.clone()))
        .collect();
    let executor = AzureExecutor::new(
        connection.clients.arm.clone(),
        connection.clients.kusto.clone(),
        cluster_uris,
    );
    let cancel = async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "Interrupt received: no new change will start; waiting for the ones in flight"
            );
        } else {
            std::future::pending::<()>().await;
        }
    };
    let progress = Progress::start(terminal::stdout_color());
    let mut report = kfollow_apply::apply(
        graph,
        &executor,
        &ApplyOptions { parallelism },
        cancel,
        |event| progress.event(event),
    )
    .await;
    progress.stop();
    reread_unknown(&mut report, desired, connection).await;
    println!();
    for failed in &report.failed {
        let line = format!("{} failed: {}", failed.address, failed.error);
        eprintln!("Error: {}", inert(&line));
    }
    for unknown in &report.unknown {
        let line = format!("{}: {}", unknown.address, unknown.error);
        eprintln!("Warning: {}", inert(&line));
    }
    for skipped in &report.not_attempted {
        eprintln!(
            "{}",
            inert(&format!("{}: {}", skipped.address, skipped.reason))
        );
    }
    println!("{}", report.summary());
    report
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
async fn reread_unknown(report: &mut ApplyReport, desired: &Desired, connection: &Connection) {
    if report.unknown.is_empty() {
        return;
    }
    println!(
        "Reading the live state again for {} change(s) whose outcome is unknown...",
        report.unknown.len()
    );
    let found = kfollow_apply::reread_unknown(
        report,
        &kfollow_apply::REREAD_PAUSES,
        || fresh_plan(desired, connection),
        || println!("An operation is still running; reading again in a few seconds..."),
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
                println!("{}: {what}", reread.address);
            }
            report.resolve_unknown(found);
        }
        Err(error) => eprintln!(
            "Warning: cannot read the live state again to learn the unknown outcomes: {error}"
        ),
    }
}

/// Follower commands take effect at the cluster's next schema refresh: waits until the
/// settings just changed show, and if they do not, tells the user (it is no failure).
async fn await_follower_settings(
    plan: &Plan,
    report: &ApplyReport,
    desired: &Desired,
    connection: &Connection,
) {
    let replan = || fresh_plan(desired, connection);
    let settled = kfollow_apply::settle(
        &kfollow_apply::awaiting_refresh(plan, report),
        &kfollow_apply::SETTLE_PAUSES,
        replan,
        || {
            println!(
                "Waiting for follower database settings to take effect at the next schema refresh..."
            );
        },
    )
    .await;
    let pending = match settled {
        Settled::Shown => return,
        Settled::NotShown(pending) => pending,
        Settled::ReadFailed { pending, error } => {
            tracing::debug!("cannot read the follower database settings again: {error}");
            pending
        }
    };
    let names: Vec<String> = pending
        .iter()
        .map(|address| inert(&address.to_string()).into_owned())
        .collect();
    eprintln!(
        "Warning: the settings of {} were accepted but do not show yet; run `kfollow plan` in a few minutes to confirm",
        if names.is_empty() {
            "the follower databases".to_owned()
        } else {
            names.join(", ")
        }
    );
}

/// Progress lines as changes start and end; on a terminal also a "still …" line every
/// [`STILL_RUNNING_EVERY`] for each change in flight, as Terraform does, so a long operation
/// does not look like a hang.
struct Progress {
    color: bool,
    in_flight: Arc<Mutex<BTreeMap<String, (Action, Instant)>>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

const STILL_RUNNING_EVERY: Duration = Duration::from_secs(10);

impl Progress {
    fn start(terminal: bool) -> Progress {
        let in_flight = Arc::new(Mutex::new(BTreeMap::new()));
        let ticker = terminal.then(|| tokio::spawn(still_running(in_flight.clone())));
        Progress {
            color: terminal,
            in_flight,
            ticker,
        }
    }

    fn event(&self, event: Event) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let colour = match &event {
            Event::Started { address, action } => {
                in_flight.insert(address.to_string(), (*action, Instant::now()));
                ""
            }
            Event::Succeeded { address, .. } => {
                in_flight.remove(&address.to_string());
                "\x1b[32m"
            }
            Event::Failed { address, .. } => {
                in_flight.remove(&address.to_string());
                "\x1b[31m"
            }
            Event::Unknown { address, .. } => {
                in_flight.remove(&address.to_string());
                "\x1b[33m"
            }
            Event::Skipped { .. } => "\x1b[33m",
        };
        let event = inert(&event.to_string()).into_owned();
        if self.color && !colour.is_empty() {
            println!("{colour}{event}\x1b[0m");
        } else {
            println!("{event}");
        }
    }

    fn stop(self) {
        if let Some(ticker) = self.ticker {
            ticker.abort();
        }
    }
}

async fn still_running(in_flight: Arc<Mutex<BTreeMap<String, (Action, Instant)>>>) {
    loop {
        tokio::time::sleep(STILL_RUNNING_EVERY).await;
        let in_flight = in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (address, (action, since)) in in_flight.iter() {
            let verb = match action {
                Action::Attach => "attaching",
                Action::Update => "updating",
                Action::Replace => "replacing",
                Action::Detach => "detaching",
            };
            println!(
                "{}: Still {verb}... [{} elapsed]",
                inert(address),
                kfollow_apply::format_elapsed(since.elapsed())
            );
        }
    }
}
