//! The command-line contract of DESIGN.md §6, as clap types.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Declarative plan/apply for Azure Data Explorer (Kusto) follower databases.
#[derive(Debug, Parser)]
#[command(name = "kfollow", version, about, propagate_version = true)]
pub struct Cli {
    /// More detail on stderr: `-v` logs every HTTP call, `-vv` everything kfollow does.
    /// Tokens are never logged.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a manifest offline against every rule the service enforces.
    Validate(ManifestArgs),
    /// Read the live state and show what apply would change.
    Plan(PlanArgs),
    /// Change the live state to match the manifest, after approval.
    Apply(ApplyArgs),
    /// Render a plan saved with `kfollow plan --out`.
    Show(ShowArgs),
    /// Print a manifest that describes the live state of follower clusters.
    Export(ExportArgs),
    /// Print the manifest's JSON Schema.
    Schema,
}

/// Where the manifest is.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// The manifest file.
    #[arg(short = 'f', long = "file", default_value = "kfollow.yaml")]
    pub file: PathBuf,
}

/// Where Azure is.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Run against an in-process emulator loaded from this world file instead of Azure
    /// (`apply` writes the changed world back to the file).
    #[arg(long, value_name = "WORLD", conflicts_with = "arm_endpoint")]
    pub emulator: Option<PathBuf>,

    /// The ARM endpoint (default: the cloud's, `https://management.azure.com` for the public
    /// cloud). Plain `http://` is accepted for loopback addresses only.
    #[arg(long, env = "KFOLLOW_ARM_ENDPOINT", value_name = "URL")]
    pub arm_endpoint: Option<String>,

    /// The Azure cloud: `public`, `china` or `usgovernment`.
    #[arg(
        long,
        env = "KFOLLOW_CLOUD",
        default_value = "public",
        value_name = "NAME"
    )]
    pub cloud: String,
}

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people, in Terraform's visual grammar.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For machines (documented in docs/plan-json.md).
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Save the plan to this file, for review and `kfollow apply FILE`.
    #[arg(long, value_name = "PLAN")]
    pub out: Option<PathBuf>,
    /// Output form.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// A plan saved with `kfollow plan --out`: applied without a question, unless it is stale.
    #[arg(value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// Do not ask for approval.
    #[arg(long)]
    pub auto_approve: bool,
    /// At most this many changes in flight at once (one write per cluster at a time anyway).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `kfollow plan --out`.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Output form.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A follower cluster to export, with its attachments and follower database settings:
    /// its resource id, or `<subscription>/<resource group>/<name>`. Repeat for more; the
    /// leaders they follow are declared too.
    #[arg(long = "cluster", value_name = "ID", required = true, num_args = 1..)]
    pub clusters: Vec<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
