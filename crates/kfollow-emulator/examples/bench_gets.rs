//! Simple ARM GETs per second against an in-process emulator over loopback HTTP.
//!
//! `cargo run --release -p kfollow-emulator --example bench_gets [REQUESTS] [CONNECTIONS]`
//! (defaults 40000 and 16). The client shares the machine with the server, so the figure is a
//! floor for the emulator alone.

use std::time::Instant;

use kfollow_emulator::{Emulator, World};

const WORLD: &str = r#"
clusters:
  - id: /subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcprod
    location: westeurope
    databases:
      - { name: Sales, tables: [Orders] }
  - id: /subscriptions/2/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcemea
    location: westeurope
    attachedDatabaseConfigurations:
      - name: sales
        clusterResourceId: /subscriptions/1/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcprod
        databaseName: Sales
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(40_000);
    let connections: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(16);
    let emulator = Emulator::start(World::from_yaml(WORLD)?)?;
    let url = format!(
        "{}/subscriptions/2/resourceGroups/rg/providers/Microsoft.Kusto/clusters/fcemea/databases?api-version=2025-02-14",
        emulator.base_url()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let elapsed = runtime.block_on(async {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..connections {
            let client = client.clone();
            let url = url.clone();
            let share = requests / connections + usize::from(worker < requests % connections);
            tasks.push(tokio::spawn(async move {
                for _ in 0..share {
                    let response = client.get(&url).bearer_auth("bench").send().await?;
                    assert!(response.status().is_success());
                    response.bytes().await?;
                }
                Ok::<(), reqwest::Error>(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        Ok::<_, Box<dyn std::error::Error>>(started.elapsed())
    })?;
    println!(
        "{requests} GETs of a database list over {connections} connections in {:.2?}: {:.0} GETs/s",
        elapsed,
        requests as f64 / elapsed.as_secs_f64()
    );
    emulator.stop();
    Ok(())
}
