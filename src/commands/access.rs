//! `kfollow access`: who can query each follower database the manifest manages, and why.

use std::process::ExitCode;

use miette::miette;

use crate::connect::connect;
use crate::pipeline::{self, Failure};
use kfollow_cli::{AccessArgs, AccessFormat};
use kfollow_console::Output;

pub async fn run(args: &AccessArgs, output: Output) -> Result<ExitCode, Failure> {
    let manifest = pipeline::load_manifest(&args.manifest.file, output)?;
    let connection = connect(&args.connection, output, output.notices_on_stderr())?;
    let live = kfollow_state::read_access(&manifest.desired, &connection.clients)
        .await
        .map_err(|error| {
            miette!(
                help = "check the clusters the manifest names, and that the credential may read \
                        them and run `.show database <db> principals` on their databases",
                "cannot read who can query the follower databases: {error}"
            )
        })?;
    let review = kfollow_diff::review(&manifest.desired, &live);
    let text = match args.format {
        AccessFormat::Text => kfollow_render::render_access_text(&review),
        AccessFormat::Markdown => kfollow_render::render_access_markdown(&review),
        AccessFormat::Json => kfollow_render::render_access_json(&review),
        AccessFormat::Csv => kfollow_render::render_access_csv(&review),
    };
    output.print(&text);
    Ok(ExitCode::SUCCESS)
}
