//! `kfollow export`: read the live state of some follower clusters and print a manifest that
//! describes it, so that a `kfollow plan` with it says "No changes".

use std::process::ExitCode;

use kfollow_model::{ClusterId, Observed};
use kfollow_state::{Clients, StateError};
use miette::{IntoDiagnostic, WrapErr, miette};

use crate::commands::plural;
use crate::connect::connect;
use crate::pipeline::Failure;
use kfollow_cli::ExportArgs;
use kfollow_console::Output;

pub async fn run(args: &ExportArgs, output: Output) -> Result<ExitCode, Failure> {
    let mut followers: Vec<ClusterId> = Vec::new();
    for text in &args.clusters {
        let id = parse_cluster(text)?;
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
    output.note(&format!(
        "exported {}, {}",
        plural(exported.clusters, "cluster", "clusters"),
        plural(exported.attachments, "attachment", "attachments")
    ));
    Ok(ExitCode::SUCCESS)
}

/// A cluster as `--cluster` takes it: a resource id, or `subscription/resourceGroup/name`.
fn parse_cluster(text: &str) -> miette::Result<ClusterId> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('/').collect();
    let parsed = match parts.as_slice() {
        [subscription, group, name] => ClusterId::new(subscription, group, name),
        _ => text.parse(),
    };
    parsed.map_err(|error| {
        miette!(
            help = "give `--cluster` a resource id \
                    (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Kusto/clusters/<name>) \
                    or `<subscription>/<resource group>/<name>`",
            "{error}"
        )
    })
}

/// The live state of `followers`, with their follower database settings, and of the leaders
/// they follow: what a manifest describing them needs. `outcome` ends every error message
/// (`nothing was exported`).
pub(crate) async fn read_with_leaders(
    followers: &[ClusterId],
    clients: &Clients,
    outcome: &str,
) -> Result<Observed, Failure> {
    let mut observed = read(
        kfollow_state::read_clusters(followers, true, clients).await,
        "",
        outcome,
    )?;
    let leaders = kfollow_spec::leaders_of(followers, &observed);
    if !leaders.is_empty() {
        let read = read(
            kfollow_state::read_clusters(&leaders, false, clients).await,
            " (a leader that an attachment follows)",
            outcome,
        )?;
        observed.clusters.extend(read.clusters);
    }
    Ok(observed)
}

/// The live state, or why it could not be read; a missing cluster is named by its id.
fn read(
    result: Result<Observed, StateError>,
    role: &str,
    outcome: &str,
) -> Result<Observed, Failure> {
    match result {
        Err(StateError::ClusterNotFound { id, .. }) => Err(miette!(
            help = "check the id, and that the credential may read the cluster",
            "cluster `{id}`{role} does not exist, or the caller cannot see it; {outcome}"
        )
        .into()),
        other => Ok(other
            .into_diagnostic()
            .wrap_err(format!("cannot read the live state; {outcome}"))?),
    }
}
