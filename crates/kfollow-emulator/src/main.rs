//! `kfollow-emulator --world FILE [--listen 127.0.0.1:0] [--save]`: serves a world until
//! interrupted. The first line on stdout is `listening on http://ADDR` (docs/emulator.md).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kfollow_emulator::{Emulator, Options, World};

/// A local stand-in for the Azure Microsoft.Kusto routes and the Kusto management endpoint.
#[derive(Debug, Parser)]
#[command(name = "kfollow-emulator", version)]
struct Cli {
    /// The world file (YAML) to serve.
    #[arg(long)]
    world: PathBuf,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Write the world back to its file on every change.
    #[arg(long)]
    save: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let world = match World::load(&cli.world) {
        Ok(world) => world,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = Options {
        listen: cli.listen,
        save_to: cli.save.then(|| cli.world.clone()),
        ..Options::default()
    };
    let emulator = match Emulator::start_with(world, options) {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {}", emulator.base_url());
    let _ = stdout.flush();
    wait_for_interrupt();
    emulator.stop();
    ExitCode::SUCCESS
}

fn wait_for_interrupt() {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        // Without a runtime to wait on signals, serve until killed.
        loop {
            std::thread::park();
        }
    };
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
}
