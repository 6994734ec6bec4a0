//! The estate benchmark: what a plan costs over a large estate, and how close an
//! apply over many clusters comes to its lower bound. Runs the real binary against the
//! emulator over loopback.
//!
//! ```sh
//! cargo bench --bench estate
//! ```
//!
//! Figures printed:
//! - plan over 1,000 attachments on 60 clusters with 50 ms emulator latency: HTTP calls and
//!   wall time, beside the one-GET-per-attachment refresh a Terraform provider makes (run here
//!   with Terraform's default parallelism of 10);
//! - apply of independent attaches spread unevenly over 60 clusters, each long-running
//!   operation taking `OPERATION_MS`: makespan over the lower bound (the busiest cluster's
//!   serial time).

#![allow(clippy::unwrap_used)] // writes to a `String` cannot fail; a benchmark panics on anything else

use std::fmt::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use kfollow_emulator::{Emulator, World};

const SUB: &str = "00000000-0000-0000-0000-0000000000be";
const LEADERS: usize = 10;
const FOLLOWERS: usize = 50;
const ATTACHMENTS: usize = 1_000;
const LATENCY_MS: u64 = 50;
const OPERATION_MS: u64 = 300;

fn id(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Kusto/clusters/{name}")
}

/// The world and manifest of an estate: `LEADERS` leaders with one database per attachment,
/// `FOLLOWERS` followers; `per_follower(f)` attachments on follower `f`, already attached in
/// the world when `attached`.
fn estate(
    per_follower: &dyn Fn(usize) -> usize,
    attached: bool,
    settings: &str,
) -> (String, String) {
    let counts: Vec<usize> = (0..FOLLOWERS).map(per_follower).collect();
    let total: usize = counts.iter().sum();
    let mut world = String::from("clusters:\n");
    let mut manifest = String::from("version: 1\nclusters:\n");
    for l in 0..LEADERS {
        writeln!(
            world,
            "  - id: {}\n    location: westeurope\n    databases:",
            id(&format!("lead{l}"))
        )
        .unwrap();
        for d in (0..total).filter(|d| d % LEADERS == l) {
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
            let leader = n % LEADERS;
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

    // Plan over a converged estate with 50 ms latency on every request. The emulator's
    // request budget is lifted: this measures calls and waits, not throttling.
    let settings = format!(
        "settings:\n  latencyMs: {LATENCY_MS}\n  retryAfterSeconds: 0\n  resourceRequestBudget: null\n"
    );
    let (world, manifest) = estate(&|_| ATTACHMENTS / FOLLOWERS, true, &settings);
    std::fs::write(dir.path().join("kfollow.yaml"), &manifest).expect("write");
    let emulator = Emulator::start(World::from_yaml(&world).expect("world")).expect("emulator");
    let plan_time = kfollow(&emulator, dir.path(), &["plan", "--detailed-exitcode"]);
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

    // Apply of independent attaches, skewed: follower f gets 1 + f % 7 attachments.
    let per_follower = |f: usize| 1 + f % 7;
    let busiest = (0..FOLLOWERS).map(per_follower).max().unwrap_or(1);
    let total: usize = (0..FOLLOWERS).map(per_follower).sum();
    let settings = format!(
        "settings:\n  operationMs: {OPERATION_MS}\n  retryAfterSeconds: 0\n  resourceRequestBudget: null\n"
    );
    let (world, manifest) = estate(&per_follower, false, &settings);
    std::fs::write(dir.path().join("kfollow.yaml"), &manifest).expect("write");
    let emulator = Emulator::start(World::from_yaml(&world).expect("world")).expect("emulator");
    // apply reads and plans first; take that part, measured alone, out of its time.
    let read_time = kfollow(&emulator, dir.path(), &["plan"]);
    let apply_time = kfollow(
        &emulator,
        dir.path(),
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
