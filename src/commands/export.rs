//! `kfollow export`: read the live state of some follower clusters and print a manifest that
//! describes it, so that a `kfollow plan` with it says "No changes".

use std::process::ExitCode;

use kfollow_model::{ClusterId, Observed};
use kfollow_state::{Clients, ReadWithLeadersError};
use miette::{Report, miette};

use crate::connect::connect;
use crate::pipeline::Failure;
use kfollow_cli::ExportArgs;
use kfollow_console::Output;

pub async fn run(args: &ExportArgs, output: Output) -> Result<ExitCode, Failure> {
    let mut followers: Vec<ClusterId> = Vec::new();
    for text in &args.clusters {
        let id = ClusterId::parse_short(text).map_err(|error| {
            miette!(
                help = "give `--cluster` a resource id \
                        (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Kusto/clusters/<name>) \
                        or `<subscription>/<resource group>/<name>`",
                "{error}"
            )
        })?;
        if !followers.contains(&id) {
            followers.push(id);
        }
    }
    let connection = connect(&args.connection, output, output.notices_on_stderr())?;
    let observed =
        read_with_leaders(&followers, &connection.clients, "nothing was exported").await?;
    let exported = kfollow_spec::export(&followers, &observed);
    for warning in &exported.warnings {
        output.warn(&warning.to_string());
    }
    output.print(&exported.text);
    output.note(&exported.summary());
    Ok(ExitCode::SUCCESS)
}

/// [`kfollow_state::read_with_leaders`], its errors told with what to do next; `outcome` ends
/// every error message (`nothing was exported`).
pub(crate) async fn read_with_leaders(
    followers: &[ClusterId],
    clients: &Clients,
    outcome: &str,
) -> Result<Observed, Failure> {
    Ok(kfollow_state::read_with_leaders(followers, clients)
        .await
        .map_err(|error| {
            let message = format!("{error}; {outcome}");
            match error {
                ReadWithLeadersError::ClusterNotFound { .. } => miette!(
                    help = "check the id, and that the credential may read the cluster",
                    "{message}"
                ),
                ReadWithLeadersError::Read(source) => Report::from_err(source).wrap_err(message),
            }
        })?)
}
