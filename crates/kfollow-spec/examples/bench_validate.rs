//! Validates a generated manifest of 10,000 attachments over 200 clusters and prints the time
//! and the process's peak memory. Not a timed test: run it by hand, in release mode:
//!
//! ```sh
//! cargo run --release -q -p kfollow-spec --example bench_validate
//! ```
//!
//! Target: under 200 ms and 100 MiB.

use std::fmt::Write as _;
use std::time::Instant;

const CLUSTERS: usize = 200;
const ATTACHMENTS: usize = 10_000;

/// 20 leaders, 180 followers; each follower follows 50 databases of its region's leader, every
/// tenth one with follower database settings and every seventh with table-level sharing.
fn manifest() -> String {
    let mut text = String::from("version: 1\nclusters:\n");
    for c in 0..CLUSTERS {
        let _ = write!(
            text,
            "  c{c}:\n    id: /subscriptions/00000000-0000-0000-0000-{c:012}/resourceGroups/rg-{c}/providers/Microsoft.Kusto/clusters/kc{c}\n    location: region{}\n",
            c % 20
        );
    }
    text.push_str("attachments:\n");
    let followers = CLUSTERS - 20;
    for a in 0..ATTACHMENTS {
        let follower = 20 + a % followers;
        let leader = follower % 20;
        let database = a / followers;
        let _ = write!(
            text,
            "  - name: att{a}\n    follower: c{follower}\n    leader: c{leader}\n    databaseName: Db{database}\n    defaultPrincipalsModificationKind: Union\n"
        );
        if a % 7 == 0 {
            text.push_str("    tableLevelSharing:\n      tablesToInclude: [Orders, 'Logs*']\n      externalTablesToExclude: ['*']\n");
        }
        if a % 10 == 0 {
            text.push_str(
                "    followerDatabase:\n      hotCachePeriod: 7d\n      tables: { Orders: { hotCachePeriod: 30d } }\n      principals:\n        viewers: ['aadgroup=analysts@contoso.com']\n      prefetchExtents: false\n",
            );
        }
    }
    text
}

/// Peak resident memory of this process, from `/proc/self/status` (Linux).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let text = manifest();
    let started = Instant::now();
    let result = kfollow_spec::load("bench.yaml", &text);
    let elapsed = started.elapsed();
    match result {
        Ok(validated) => println!(
            "validated {} clusters and {} attachments ({} KiB of YAML) in {:.1} ms",
            validated.desired.clusters.len(),
            validated.desired.attachments.len(),
            text.len() / 1024,
            elapsed.as_secs_f64() * 1000.0
        ),
        Err(diagnostics) => {
            eprintln!("the generated manifest is invalid: {diagnostics}");
            for d in diagnostics.errors.iter().take(5) {
                eprintln!("  {}: {}", d.locate(), d.message);
            }
            std::process::exit(1);
        }
    }
    match peak_memory_kib() {
        Some(kib) => println!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak memory: unknown (no /proc/self/status)"),
    }
}
