//! Where Azure is: the ARM endpoint, the credential and the clients, or an in-process
//! emulator. The real path and the emulator path are the same code; only the base URL and
//! the token differ.

use std::path::Path;
#[cfg(feature = "emulator")]
use std::sync::Arc;

use kfollow_azure::{Cloud, Observer, default_token_source};
#[cfg(feature = "emulator")]
use kfollow_azure::{StaticToken, TokenSource};
#[cfg(feature = "emulator")]
use kfollow_emulator::WorldFile;
use kfollow_state::Clients;
use miette::{Report, miette};

use kfollow_cli::ConnectionArgs;
use kfollow_console::Output;

/// The token the in-process emulator is called with when `KFOLLOW_ACCESS_TOKEN` is unset.
#[cfg(feature = "emulator")]
const EMULATOR_TOKEN: &str = "kfollow-emulator";

/// The clients, and the emulator they talk to when there is one.
pub struct Connection {
    /// ARM and Kusto clients.
    pub clients: Clients,
    /// What the plan was read from, for saved plans (`https://management.azure.com`,
    /// `emulator:<world file>`).
    pub target: String,
    /// The in-process emulator and its world file, locked, for `--emulator`.
    #[cfg(feature = "emulator")]
    pub emulator: Option<WorldFile>,
}

impl Connection {
    /// Writes the emulator's world back to its file (after apply); nothing against Azure.
    pub fn save_world(&self) -> miette::Result<()> {
        #[cfg(feature = "emulator")]
        if let Some(world) = &self.emulator {
            world.save().map_err(Report::from_err)?;
        }
        Ok(())
    }

    /// The emulator's world file, which the run reads and no output may replace.
    pub fn world_file(&self) -> Option<&Path> {
        #[cfg(feature = "emulator")]
        if let Some(world) = &self.emulator {
            return Some(world.path());
        }
        None
    }
}

/// Builds the clients from the command line and the environment; `notices` hears the waits
/// (see [`Output::notices_on_stderr`]).
pub fn connect(
    args: &ConnectionArgs,
    output: Output,
    notices: Observer,
) -> miette::Result<Connection> {
    let cloud = Cloud::from_name(&args.cloud).ok_or_else(|| {
        miette!(
            help = "use `public`, `china` or `usgovernment`",
            "unknown Azure cloud `{}`",
            args.cloud
        )
    })?;
    if let Some(path) = &args.emulator {
        return emulated(path, cloud, output, notices);
    }
    let endpoint = args
        .arm_endpoint
        .clone()
        .unwrap_or_else(|| cloud.arm_endpoint().to_owned());
    let credential = default_token_source(cloud);
    Ok(Connection {
        clients: Clients::connect(&endpoint, cloud, credential, notices)
            .map_err(Report::from_err)?,
        target: endpoint,
        #[cfg(feature = "emulator")]
        emulator: None,
    })
}

/// Starts the in-process emulator on the world file and connects to it, with the token of
/// `KFOLLOW_ACCESS_TOKEN` or else one the emulator takes.
#[cfg(feature = "emulator")]
fn emulated(
    path: &Path,
    cloud: Cloud,
    output: Output,
    notices: Observer,
) -> miette::Result<Connection> {
    let world = WorldFile::open(path, || {
        output.note(&format!(
            "waiting for another kfollow run to finish with the world `{}`...",
            path.display()
        ));
    })
    .map_err(Report::from_err)?;
    let credential: Arc<dyn TokenSource> = match StaticToken::from_env() {
        Some(token) => Arc::new(token),
        None => Arc::new(StaticToken::new(EMULATOR_TOKEN, "the in-process emulator")),
    };
    let endpoint = world.emulator().base_url();
    Ok(Connection {
        clients: Clients::connect(endpoint, cloud, credential, notices)
            .map_err(Report::from_err)?,
        target: format!("emulator:{}", path.display()),
        emulator: Some(world),
    })
}

/// `--emulator` in a kfollow built without the emulator: say so, and how to get one. The flag
/// stays, so that every build takes the same command line and this is what a user reads,
/// rather than clap's "unexpected argument".
#[cfg(not(feature = "emulator"))]
fn emulated(
    path: &Path,
    _cloud: Cloud,
    _output: Output,
    _notices: Observer,
) -> miette::Result<Connection> {
    let world = path.display();
    Err(miette!(
        help = format!(
            "build kfollow with its default features (the `emulator` feature) to use \
             `--emulator`, or run the standalone emulator (`cargo run -p kfollow-emulator -- \
             --world {world}`) and point `--arm-endpoint` at the address it prints"
        ),
        "this kfollow was built without the in-process emulator, so it cannot run against \
         the world `{world}`; nothing was changed"
    ))
}
