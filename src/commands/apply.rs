//! `kfollow apply`: plan, show, ask, then change the live state; or run a reviewed saved plan
//! after checking that the world has not moved since it was made.

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kfollow_apply::{ApplyOptions, ApplyReport, AzureExecutor, Event};
use kfollow_graph::DependencyGraph;
use kfollow_model::{Action, Address, Desired, Observed, Operation, Plan};
use kfollow_render::TextOptions;
use miette::{IntoDiagnostic, miette};

use crate::cli::ApplyArgs;
use crate::commands::plan::read_saved_plan;
use crate::connect::{Connection, connect};
use crate::pipeline::{self, Failure};
use crate::terminal;

pub async fn run(args: &ApplyArgs) -> Result<ExitCode, Failure> {
    let connection = connect(&args.connection)?;
    let (plan, graph, observed, desired) = match &args.plan {
        Some(path) => saved_plan(path, &connection).await?,
        None => {
            let manifest = pipeline::load_manifest(&args.manifest.file)?;
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
    let report = execute(&graph, &observed, &connection, args.parallelism.into()).await;
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

/// Reads a saved plan and re-reads what it was made from; refuses it when its dependencies do
/// not make a DAG, or when it is stale.
async fn saved_plan(
    path: &std::path::Path,
    connection: &Connection,
) -> Result<(Plan, DependencyGraph, Observed, Desired), Failure> {
    let saved = read_saved_plan(path)?;
    let graph = DependencyGraph::from_depends_on(saved.plan.changes.clone()).map_err(|error| {
        miette!(
            help = "make the plan again with `kfollow plan --out PLAN` and review it",
            "the saved plan `{}` cannot be applied: {error}; nothing was changed",
            path.display()
        )
    })?;
    if saved.target != connection.target {
        return Err(miette!(
            help = "apply the plan against the endpoint it was made for, or make a new plan",
            "the saved plan `{}` was made against `{}`, not `{}`; nothing was changed",
            path.display(),
            saved.target,
            connection.target
        )
        .into());
    }
    let observed = pipeline::read_state(&saved.desired, connection).await?;
    let now = kfollow_state::fingerprints(&observed);
    if let Err(stale) = kfollow_apply::check_fresh(&saved.fingerprints, &now) {
        return Err(miette!(
            help = "run `kfollow plan --out PLAN` again and review the new plan",
            "{stale}; nothing was changed"
        )
        .into());
    }
    Ok((saved.plan, graph, observed, saved.desired))
}

/// Runs the plan's graph, printing progress and the outcome.
async fn execute(
    graph: &DependencyGraph,
    observed: &Observed,
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
    let report = kfollow_apply::apply(
        graph,
        &executor,
        &ApplyOptions { parallelism },
        cancel,
        |event| progress.event(event),
    )
    .await;
    progress.stop();
    println!();
    for failed in &report.failed {
        eprintln!("Error: {} failed: {}", failed.address, failed.error);
    }
    for skipped in &report.not_attempted {
        eprintln!("{}: {}", skipped.address, skipped.reason);
    }
    println!("{}", report.summary());
    report
}

/// How often, and how long apart, follower database settings are re-read after apply.
const SETTINGS_CHECKS: [Duration; 5] = [
    Duration::ZERO,
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
];

/// Follower commands take effect at the cluster's next schema refresh
/// (`reference/docs/cluster-follower.md`), so the settings just changed are re-read, a few
/// times with growing pauses, until they show; if they do not, the user is told, not failed.
async fn await_follower_settings(
    plan: &Plan,
    report: &ApplyReport,
    desired: &Desired,
    connection: &Connection,
) {
    let changed: Vec<&Address> = report
        .succeeded
        .iter()
        .map(|s| &s.address)
        .filter(|address| {
            plan.changes.iter().any(|c| {
                &c.address == *address
                    && c.operations
                        .iter()
                        .any(|op| matches!(op, Operation::KustoCommand { .. }))
            })
        })
        .collect();
    if changed.is_empty() {
        return;
    }
    let mut pending = Vec::new();
    for (attempt, pause) in SETTINGS_CHECKS.iter().enumerate() {
        tokio::time::sleep(*pause).await;
        let Ok(observed) = kfollow_state::read(desired, &connection.clients).await else {
            break;
        };
        let Ok(now) = kfollow_diff::diff(desired, &observed) else {
            break;
        };
        pending = changed
            .iter()
            .filter(|address| now.changes.iter().any(|c| &&c.address == *address))
            .map(|address| address.to_string())
            .collect();
        if pending.is_empty() {
            return;
        }
        if attempt == 0 {
            println!(
                "Waiting for follower database settings to take effect at the next schema refresh..."
            );
        }
    }
    eprintln!(
        "Warning: the settings of {} were accepted but do not show yet; run `kfollow plan` in a few minutes to confirm",
        if pending.is_empty() {
            "the follower databases".to_owned()
        } else {
            pending.join(", ")
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
            Event::Skipped { .. } => "\x1b[33m",
        };
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
                "{address}: Still {verb}... [{} elapsed]",
                kfollow_apply::format_elapsed(since.elapsed())
            );
        }
    }
}
