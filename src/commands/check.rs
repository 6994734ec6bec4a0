//! `kfollow check`: prove from the caller's side that every follower database the manifest
//! manages is queryable and within its freshness budget. Reads (kfollow-state), judges
//! (kfollow-diff), prints (kfollow-render); it changes nothing.

use std::process::ExitCode;

use kfollow_render::CheckJsonMeta;
use miette::{IntoDiagnostic, WrapErr};

use crate::connect::connect;
use crate::pipeline::{self, Failure};
use kfollow_cli::CheckArgs;
use kfollow_console::Output;

/// The exit code when a follower database is not queryable or not within budget.
const NOT_FRESH: u8 = 2;

pub async fn run(args: &CheckArgs, output: Output) -> Result<ExitCode, Failure> {
    let manifest = pipeline::load_manifest(&args.manifest.file, output)?;
    let connection = connect(&args.connection, output, output.notices_on_stderr())?;
    let readings = kfollow_state::read_freshness(&manifest.desired, &connection.clients)
        .await
        .into_diagnostic()
        .wrap_err("cannot read the follower databases to check; nothing was changed")?;
    let report = kfollow_diff::freshness_verdict(&readings);
    let meta = CheckJsonMeta {
        kfollow_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        manifest: Some(manifest.name.clone()),
    };
    let text =
        kfollow_render::render_check(&report, args.format.form(output.stdout_color()), &meta);
    output.print(&text);
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(NOT_FRESH)
    })
}
