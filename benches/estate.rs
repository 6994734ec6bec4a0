//! The estate benchmark: what a plan costs over a large estate, and how close an apply over
//! many clusters comes to its lower bound, first with a friendly emulator, then with the
//! emulator as Azure behaves by default. Runs the real binary against the emulator over
//! loopback.
//!
//! ```sh
//! cargo bench --bench estate            # every section
//! cargo bench --bench estate -- azure   # the sections whose name holds `azure`
//! ```
//!
//! Figures printed:
//! - plan over 1,000 attachments on 60 clusters with 50 ms emulator latency: HTTP calls and
//!   wall time, beside the one-GET-per-attachment refresh a Terraform provider makes (run here
//!   with Terraform's default parallelism of 10);
//! - apply of independent attaches spread unevenly over 60 clusters, each long-running
//!   operation taking `OPERATION_MS`: makespan over the lower bound (the busiest cluster's
//!   serial time);
//! - Azure-like apply: 1,000 attaches over 50 follower clusters in one subscription, with the
//!   emulator's defaults (no `Retry-After`, a budget of 300 reads and 200 writes per window,
//!   writes on a busy cluster failing in their operation) but a window of `WINDOW_SECONDS`,
//!   and operations of 2 s ± 25%: failed operations, status polls per write, calls, 429s, and
//!   the makespan over the larger of the busiest cluster's serial time and the write budget's
//!   bound;
//! - Azure-like plan: 200 clusters in one subscription under a read budget smaller than the
//!   plan's reads: calls, 429s and time.

#![allow(clippy::unwrap_used)] // writes to a `String` cannot fail; a benchmark panics on anything else

use std::collections::HashMap;
use std::fmt::Write;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kfollow_emulator::{Emulator, World};

const SUB: &str = "00000000-0000-0000-0000-0000000000be";
const LEADERS: usize = 10;
const FOLLOWERS: usize = 50;
const ATTACHMENTS: usize = 1_000;
const LATENCY_MS: u64 = 50;
const OPERATION_MS: u64 = 300;
/// The Azure-like runs: each operation takes 2 s ± 25%.
const AZURE_OPERATION_MS: u64 = 2_000;
const AZURE_JITTER_PERCENT: u64 = 25;
/// Azure's budget per subscription (the 2024 recordings), over a window short enough for the
/// benchmark to run in a few minutes (Azure's own length is not public).
const BUDGET_READS: u64 = 300;
const BUDGET_WRITES: u64 = 200;
const WINDOW_SECONDS: u64 = 20;
/// The Azure-like plan: this many clusters, read under a budget of `PLAN_BUDGET_READS` reads
/// per `PLAN_WINDOW_SECONDS`, fewer than the plan makes.
const PLAN_CLUSTERS: usize = 200;
const PLAN_BUDGET_READS: u64 = 250;
const PLAN_WINDOW_SECONDS: u64 = 10;

fn id(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Kusto/clusters/{name}")
}

/// The world and manifest of an estate: `leaders` leaders with one database per attachment,
/// `followers` followers; `per_follower(f)` attachments on follower `f`, already attached in
/// the world when `attached`. Every cluster is in one subscription.
fn estate(
    (leaders, followers): (usize, usize),
    per_follower: &dyn Fn(usize) -> usize,
    attached: bool,
    settings: &str,
) -> (String, String) {
    let counts: Vec<usize> = (0..followers).map(per_follower).collect();
    let total: usize = counts.iter().sum();
    let mut world = String::from("clusters:\n");
    let mut manifest = String::from("version: 1\nclusters:\n");
    for l in 0..leaders {
        writeln!(
            world,
            "  - id: {}\n    location: westeurope\n    databases:",
            id(&format!("lead{l}"))
        )
        .unwrap();
        for d in (0..total).filter(|d| d % leaders == l) {
            writeln!(world, "      - name: Db{d}").unwrap();
        }
        writeln!(manifest, "  lead{l}: {{ id: {} }}", id(&format!("lead{l}"))).unwrap();
    }
    let mut attachments = String::from("attachments:\n");
    let mut n = 0;
    for (f, count) in counts.iter().enumerate() {
        writeln!(
            world,
            "  - id: {}\n    location: westeurope",
            id(&format!("fol{f}"))
        )
        .unwrap();
        if attached && *count > 0 {
            world.push_str("    attachedDatabaseConfigurations:\n");
        }
        writeln!(manifest, "  fol{f}: {{ id: {} }}", id(&format!("fol{f}"))).unwrap();
        for a in 0..*count {
            let leader = n % leaders;
            if attached {
                writeln!(
                    world,
                    "      - {{ name: a{a}, clusterResourceId: {}, databaseName: Db{n} }}",
                    id(&format!("lead{leader}"))
                )
                .unwrap();
            }
            writeln!(
                attachments,
                "  - {{ name: a{a}, follower: fol{f}, leader: lead{leader}, databaseName: Db{n} }}"
            )
            .unwrap();
            n += 1;
        }
    }
    world.push_str(settings);
    (world, manifest + &attachments)
}

fn kfollow(emulator: &Emulator, dir: &std::path::Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_kfollow"))
        .args(args)
        .current_dir(dir)
        .env("KFOLLOW_ARM_ENDPOINT", emulator.base_url())
        .env("KFOLLOW_ACCESS_TOKEN", "bench")
        .env("NO_COLOR", "1")
        .output()
        .expect("kfollow runs");
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "kfollow {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// One GET per attachment, 10 at a time: the refresh a Terraform provider makes.
fn per_attachment_refresh(emulator: &Emulator) -> (usize, Duration) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let client = reqwest::Client::new();
    let urls: Vec<String> = (0..FOLLOWERS)
        .flat_map(|f| (0..ATTACHMENTS / FOLLOWERS).map(move |a| (f, a)))
        .map(|(f, a)| {
            format!(
                "{}{}/attachedDatabaseConfigurations/a{a}?api-version=2025-02-14",
                emulator.base_url(),
                id(&format!("fol{f}"))
            )
        })
        .collect();
    let start = Instant::now();
    runtime.block_on(async {
        let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(10));
        let mut tasks = Vec::new();
        for url in &urls {
            let permit = semaphore.clone().acquire_owned().await.expect("semaphore");
            let request = client.get(url).bearer_auth("bench").send();
            tasks.push(tokio::spawn(async move {
                let response = request.await.expect("GET");
                assert!(response.status().is_success(), "{}", response.status());
                drop(permit);
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
    });
    (urls.len(), start.elapsed())
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    // `cargo bench --bench estate -- azure` runs only the sections whose name holds `azure`
    // (cargo passes `--bench` too).
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let runs = |section: &str| {
        filters.is_empty()
            || filters
                .iter()
                .any(|filter| section.contains(filter.as_str()))
    };
    if runs("plan") {
        plan(dir.path());
    }
    if runs("apply") {
        apply(dir.path());
    }
    if runs("azure-like apply") {
        azure_like_apply(dir.path());
    }
    if runs("azure-like plan") {
        azure_like_plan(dir.path());
    }
}

/// Plan over a converged estate, beside the refresh a Terraform provider makes.
fn plan(dir: &std::path::Path) {
    // Plan over a converged estate with 50 ms latency on every request. The emulator's
    // request budget is lifted: this measures calls and waits, not throttling.
    let settings = format!(
        "settings:\n  latencyMs: {LATENCY_MS}\n  retryAfterSeconds: 0\n  resourceRequestBudget: null\n"
    );
    let (world, manifest) = estate(
        (LEADERS, FOLLOWERS),
        &|_| ATTACHMENTS / FOLLOWERS,
        true,
        &settings,
    );
    std::fs::write(dir.join("kfollow.yaml"), &manifest).expect("write");
    let emulator = Emulator::start(World::from_yaml(&world).expect("world")).expect("emulator");
    let plan_time = kfollow(&emulator, dir, &["plan", "--detailed-exitcode"]);
    let plan_calls = emulator.requests().len();
    emulator.clear_requests();
    let (refresh_calls, refresh_time) = per_attachment_refresh(&emulator);
    emulator.stop();
    println!(
        "plan: {ATTACHMENTS} attachments, {} clusters, {LATENCY_MS} ms latency: {plan_calls} HTTP calls in {:.2} s",
        LEADERS + FOLLOWERS,
        plan_time.as_secs_f64()
    );
    println!(
        "baseline (one GET per attachment, parallelism 10): {refresh_calls} HTTP calls in {:.2} s  ->  {:.1}x fewer calls, {:.1}x faster",
        refresh_time.as_secs_f64(),
        refresh_calls as f64 / plan_calls as f64,
        refresh_time.as_secs_f64() / plan_time.as_secs_f64()
    );
}

/// Apply of independent attaches, skewed: follower f gets 1 + f % 7 attachments.
fn apply(dir: &std::path::Path) {
    let per_follower = |f: usize| 1 + f % 7;
    let busiest = (0..FOLLOWERS).map(per_follower).max().unwrap_or(1);
    let total: usize = (0..FOLLOWERS).map(per_follower).sum();
    let settings = format!(
        "settings:\n  operationMs: {OPERATION_MS}\n  retryAfterSeconds: 0\n  resourceRequestBudget: null\n"
    );
    let (world, manifest) = estate((LEADERS, FOLLOWERS), &per_follower, false, &settings);
    std::fs::write(dir.join("kfollow.yaml"), &manifest).expect("write");
    let emulator = Emulator::start(World::from_yaml(&world).expect("world")).expect("emulator");
    // apply reads and plans first; take that part, measured alone, out of its time.
    let read_time = kfollow(&emulator, dir, &["plan"]);
    let apply_time = kfollow(
        &emulator,
        dir,
        &["apply", "--auto-approve", "--parallelism", "60"],
    )
    .saturating_sub(read_time);
    emulator.stop();
    let bound = Duration::from_millis(OPERATION_MS * busiest as u64);
    println!(
        "apply: {total} attaches over {FOLLOWERS} followers (busiest {busiest}), {OPERATION_MS} ms per operation: makespan {:.2} s, lower bound {:.2} s, ratio {:.3}",
        apply_time.as_secs_f64(),
        bound.as_secs_f64(),
        apply_time.as_secs_f64() / bound.as_secs_f64()
    );
}

/// The emulator's Azure-like defaults, with a budget of `reads` and `writes` per window of
/// `window` seconds and operations of 2 s ± 25%.
fn azure_like_settings(reads: u64, writes: u64, window: u64) -> String {
    format!(
        "settings:\n  operationMs: {AZURE_OPERATION_MS}\n  operationJitterPercent: {AZURE_JITTER_PERCENT}\n  \
         resourceRequestBudget: {{reads: {reads}, writes: {writes}, windowSeconds: {window}}}\n"
    )
}

/// What an Azure-like run asked of ARM and the data plane, from the emulator's request log.
struct Calls {
    /// Every request, answered or not.
    total: usize,
    /// ARM GETs the budget let through: each spent a read.
    reads: usize,
    /// ARM writes (PUT, PATCH, DELETE, POST actions) the budget let through: each spent a
    /// write.
    writes: usize,
    /// GETs of an operation's status (either form), throttled ones included.
    polls: usize,
    /// Requests answered 429.
    throttled: usize,
}

impl Calls {
    fn of(emulator: &Emulator) -> Calls {
        let requests = emulator.requests();
        let spent = || {
            requests
                .iter()
                .filter(|r| !r.path.starts_with("/kusto/") && r.status != Some(429))
        };
        Calls {
            total: requests.len(),
            reads: spent().filter(|r| r.method == "GET").count(),
            writes: spent().filter(|r| r.method != "GET").count(),
            polls: requests
                .iter()
                .filter(|r| {
                    r.method == "GET" && r.path.to_ascii_lowercase().contains("/operationresults/")
                })
                .count(),
            throttled: requests.iter().filter(|r| r.status == Some(429)).count(),
        }
    }
}

/// Seconds since the epoch, to compare the emulator's operation times.
fn seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// The time before which a run that spends `spent` requests of a budget of `per_window` per
/// window of `window` seconds cannot have spent them all, counted from the subscription's
/// first call (which opens the first window).
fn budget_bound(spent: usize, per_window: u64, window: u64) -> f64 {
    let windows = (spent as u64).div_ceil(per_window).max(1);
    ((windows - 1) * window) as f64
}

/// 1,000 attaches over 50 follower clusters (20 each) in one subscription, against the
/// emulator in its Azure-like mode.
fn azure_like_apply(dir: &std::path::Path) {
    let per_follower = |_| ATTACHMENTS / FOLLOWERS;
    let settings = azure_like_settings(BUDGET_READS, BUDGET_WRITES, WINDOW_SECONDS);
    let (world, manifest) = estate((LEADERS, FOLLOWERS), &per_follower, false, &settings);
    std::fs::write(dir.join("kfollow.yaml"), &manifest).expect("write");
    let emulator = Emulator::start(World::from_yaml(&world).expect("world")).expect("emulator");
    let launched = seconds(SystemTime::now());
    let wall = kfollow(
        &emulator,
        dir,
        &["apply", "--auto-approve", "--parallelism", "60"],
    );
    let calls = Calls::of(&emulator);
    let operations = emulator.operations();
    emulator.stop();

    let failed = operations.iter().filter(|o| o.failure.is_some()).count();
    let unfinished = operations.iter().filter(|o| o.ended.is_none()).count();
    let first = operations
        .iter()
        .map(|o| seconds(o.started))
        .fold(f64::MAX, f64::min);
    let last = operations
        .iter()
        .filter_map(|o| o.ended.map(seconds))
        .fold(0.0, f64::max);
    // The makespan of the writes: from the first operation's start to the last one's end.
    let makespan = last - first;
    // The busiest cluster's serial time: the sum of its operations' own durations.
    let mut serial: HashMap<&str, f64> = HashMap::new();
    for operation in &operations {
        if let Some(ended) = operation.ended {
            *serial.entry(&operation.cluster).or_default() +=
                seconds(ended) - seconds(operation.started);
        }
    }
    let busiest = serial.values().copied().fold(0.0, f64::max);
    // The write budget's bound: the last write cannot be sent before the window in which the
    // budget allows it opens (windows open from the subscription's first call, which the
    // launch of kfollow precedes), and its operation then takes about the mean time.
    // Counted, like the makespan, from the first operation's start.
    let mean = AZURE_OPERATION_MS as f64 / 1000.0;
    let write_bound =
        budget_bound(calls.writes, BUDGET_WRITES, WINDOW_SECONDS) + mean - (first - launched);
    let read_bound =
        budget_bound(calls.reads, BUDGET_READS, WINDOW_SECONDS) + mean - (first - launched);
    let bound = busiest.max(write_bound);
    println!(
        "azure-like apply: {ATTACHMENTS} attaches over {FOLLOWERS} followers in one subscription, operations {AZURE_OPERATION_MS} ms ± {AZURE_JITTER_PERCENT}%, budget {BUDGET_READS} reads / {BUDGET_WRITES} writes per {WINDOW_SECONDS} s:"
    );
    println!(
        "  operations {}, failed {failed}, never seen to end {unfinished}; status polls per write {:.2} ({} polls); {} calls ({} reads and {} writes spent budget), {} answered 429; wall {:.1} s",
        operations.len(),
        calls.polls as f64 / operations.len().max(1) as f64,
        calls.polls,
        calls.total,
        calls.reads,
        calls.writes,
        calls.throttled,
        wall.as_secs_f64()
    );
    println!(
        "  makespan {makespan:.1} s; busiest cluster serial {busiest:.1} s; write budget bound {write_bound:.1} s (read budget bound for the reads made {read_bound:.1} s); makespan / max(busiest, write bound) {:.3}",
        makespan / bound
    );
}

/// A plan over 200 clusters in one subscription, under a read budget smaller than its reads.
fn azure_like_plan(dir: &std::path::Path) {
    let (leaders, followers) = (PLAN_CLUSTERS / 10, PLAN_CLUSTERS - PLAN_CLUSTERS / 10);
    let settings = azure_like_settings(PLAN_BUDGET_READS, BUDGET_WRITES, PLAN_WINDOW_SECONDS);
    let (world, manifest) = estate((leaders, followers), &|_| 5, true, &settings);
    std::fs::write(dir.join("kfollow.yaml"), &manifest).expect("write");
    let emulator = Emulator::start(World::from_yaml(&world).expect("world")).expect("emulator");
    let wall = kfollow(&emulator, dir, &["plan", "--detailed-exitcode"]);
    let calls = Calls::of(&emulator);
    emulator.stop();
    assert!(
        calls.reads > PLAN_BUDGET_READS as usize,
        "the plan made {} reads, no more than its budget of {PLAN_BUDGET_READS}: it does not measure throttling",
        calls.reads
    );
    println!(
        "azure-like plan: {PLAN_CLUSTERS} clusters in one subscription, budget {PLAN_BUDGET_READS} reads per {PLAN_WINDOW_SECONDS} s: {} reads spent budget, {} calls in all, {} answered 429; finished with no error in {:.1} s",
        calls.reads,
        calls.total,
        calls.throttled,
        wall.as_secs_f64()
    );
}
