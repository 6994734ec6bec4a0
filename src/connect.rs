//! Where Azure is: the ARM endpoint, the credential and the clients, or an in-process
//! emulator. The real path and the emulator path are the same code; only the base URL and
//! the token differ.

use std::path::Path;
#[cfg(feature = "emulator")]
use std::path::PathBuf;
use std::sync::Arc;

#[cfg(feature = "emulator")]
use kfollow_azure::StaticToken;
use kfollow_azure::{
    ArmClient, ArmConfig, Cloud, KustoClient, Observer, RetryPolicy, TokenSource,
    default_token_source,
};
#[cfg(feature = "emulator")]
use kfollow_emulator::{Emulator, World};
use kfollow_state::Clients;
use miette::{IntoDiagnostic, WrapErr, miette};

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
    /// The in-process emulator and its world file, for `--emulator`.
    #[cfg(feature = "emulator")]
    pub emulator: Option<Emulated>,
}

/// The in-process emulator, its world file, and the lock that keeps other kfollow runs off
/// the file until this one ends: two applies must not both load the world and both write it
/// back, losing one's changes.
#[cfg(feature = "emulator")]
pub struct Emulated {
    emulator: Emulator,
    path: PathBuf,
    _lock: Option<kfollow_files::Lock>,
}

impl Connection {
    /// Writes the emulator's world back to its file (after apply); nothing against Azure.
    pub fn save_world(&self) -> miette::Result<()> {
        #[cfg(feature = "emulator")]
        if let Some(emulated) = &self.emulator {
            let path = &emulated.path;
            emulated
                .emulator
                .world()
                .save(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot write the world back to `{}`", path.display()))?;
        }
        Ok(())
    }

    /// The emulator's world file, which the run reads and no output may replace.
    pub fn world_file(&self) -> Option<&Path> {
        #[cfg(feature = "emulator")]
        if let Some(emulated) = &self.emulator {
            return Some(&emulated.path);
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
        clients: clients(&endpoint, cloud, credential, notices)?,
        target: endpoint,
        #[cfg(feature = "emulator")]
        emulator: None,
    })
}

/// Starts the in-process emulator on the world file and connects to it.
#[cfg(feature = "emulator")]
fn emulated(
    path: &Path,
    cloud: Cloud,
    output: Output,
    notices: Observer,
) -> miette::Result<Connection> {
    let lock = match kfollow_files::Lock::exclusive(path, || {
        output.note(&format!(
            "waiting for another kfollow run to finish with the world `{}`...",
            path.display()
        ));
    }) {
        Ok(lock) => Some(lock),
        // A missing file is for the loader to report, with its own words.
        Err(error) if error.source.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(miette::Report::from_err(error).wrap_err(format!(
                "cannot load the emulator world `{}`",
                path.display()
            )));
        }
    };
    let world = World::load(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot load the emulator world `{}`", path.display()))?;
    let emulator = Emulator::start(world)
        .into_diagnostic()
        .wrap_err("cannot start the in-process emulator")?;
    let credential: Arc<dyn TokenSource> = match StaticToken::from_env() {
        Some(token) => Arc::new(token),
        None => Arc::new(StaticToken::new(EMULATOR_TOKEN, "the in-process emulator")),
    };
    let endpoint = emulator.base_url().to_owned();
    let clients = clients(&endpoint, cloud, credential, notices)?;
    Ok(Connection {
        clients,
        target: format!("emulator:{}", path.display()),
        emulator: Some(Emulated {
            emulator,
            path: path.to_owned(),
            _lock: lock,
        }),
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

fn clients(
    endpoint: &str,
    cloud: Cloud,
    credential: Arc<dyn TokenSource>,
    notices: Observer,
) -> miette::Result<Clients> {
    let mut config = ArmConfig::for_cloud(cloud, credential.clone());
    config.endpoint = endpoint.to_owned();
    config.observer = Some(notices.clone());
    let arm = ArmClient::new(config)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot use the ARM endpoint `{endpoint}`"))?;
    let kusto = KustoClient::new(credential, RetryPolicy::default())
        .into_diagnostic()
        .wrap_err("cannot build the Kusto management client")?
        .with_observer(notices);
    Ok(Clients { arm, kusto })
}
