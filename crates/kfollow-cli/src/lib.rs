//! kfollow's command line (documented in docs/cli.md), as clap types: [`Cli`] and its
//! [`Command`]s, each with its arguments. The binary parses with [`parse`] and runs the
//! command; the shell completions and man pages are made here from the same definitions
//! ([`completions`], [`man`]), so they never drift from what the binary takes. The tests at the
//! bottom keep docs/cli.md, docs/ci.md and the README's tour in step with these definitions.

use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
pub use kfollow_console::ColorChoice;

/// What each exit code means, for every command (also in docs/cli.md).
const EXIT_CODES: &str = "\
Exit codes (every command):
  0  success: the manifest is valid (validate), the plan was made (plan; with
     --detailed-exitcode: and it has no changes), every change succeeded or there was
     nothing to do (apply), the output was printed (show, export, access, schema,
     completions, man); also --help and --version
  1  an error: a usage error (an unknown flag, a bad value), an invalid manifest, a failed
     read, a stale or foreign saved plan, apply not approved, or an apply in which a change
     failed, was not attempted or was interrupted
  2  plan --detailed-exitcode: the plan has changes (or, with --unmanaged-is-drift,
     reports unmanaged resources); check: a follower database is not queryable or not
     within its freshness budget";

/// Declarative plan/apply for Azure Data Explorer (Kusto) follower databases.
#[derive(Debug, Parser)]
#[command(
    name = "kfollow",
    about,
    propagate_version = true,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// More detail on stderr: `-v` logs every HTTP call, `-vv` everything kfollow does.
    /// Tokens are never logged.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Only results and errors: no progress, no notices of waits.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// When to colour output: `auto` (on a terminal, unless `NO_COLOR` is set;
    /// `CLICOLOR_FORCE` forces it), `always` or `never`.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// The command line, with `version` as `kfollow --version` prints it (`0.1.0 (3f2c1ab)`: the
/// binary knows its commit, this crate does not).
pub fn command(version: &'static str) -> clap::Command {
    Cli::command().version(version)
}

/// Parses the process's arguments, and refuses arguments that clash in a way clap's attributes
/// cannot say; an error is clap's, to print (it also carries `--help` and `--version`).
pub fn parse(version: &'static str) -> Result<Cli, clap::Error> {
    let mut command = command(version);
    let matches = command.try_get_matches_from_mut(std::env::args_os())?;
    let cli = Cli::from_arg_matches(&matches)?;
    match cli.clash() {
        None => Ok(cli),
        Some((name, clash)) => {
            // The subcommand's error, so that the usage shown is its own.
            let kind = clap::error::ErrorKind::ArgumentConflict;
            Err(match command.find_subcommand_mut(name) {
                Some(sub) => sub.error(kind, clash),
                None => command.error(kind, clash),
            })
        }
    }
}

impl Cli {
    /// Arguments that clash, with the command they were given to: `--title` heads the markdown
    /// form only, and is refused with another rather than left out without a word.
    fn clash(&self) -> Option<(&'static str, String)> {
        let (name, format, title) = match &self.command {
            Command::Plan(args) => ("plan", args.format, &args.title),
            Command::Show(args) => ("show", args.format, &args.title),
            _ => return None,
        };
        if title.is_none() || format == Format::Markdown {
            return None;
        }
        let format = format.to_possible_value()?.get_name().to_owned();
        Some((
            name,
            format!(
                "`--title` is the heading of the markdown form; it does not apply to `--format \
                 {format}`\n\n  tip: add `--format markdown`, or leave out `--title`"
            ),
        ))
    }
}

/// The completion script of `shell`.
pub fn completions(shell: clap_complete::Shell, version: &'static str) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(version), "kfollow", &mut script);
    script
}

/// Why no man page was made.
#[derive(Debug, thiserror::Error)]
pub enum ManError {
    /// `kfollow man NAME` names no command.
    #[error("kfollow has no command `{name}`")]
    NoCommand {
        /// What was asked for.
        name: String,
        /// The commands there are.
        commands: Vec<String>,
    },
    /// clap_mangen could not write the page.
    #[error("cannot render the man page: {0}")]
    Render(#[from] std::io::Error),
}

/// The roff of `kfollow(1)`, or of `kfollow-NAME(1)` when `name` is given.
pub fn man(name: Option<&str>, version: &'static str) -> Result<Vec<u8>, ManError> {
    let mut command = command(version);
    // Building names the subcommands `kfollow-plan` and gives them the global flags.
    command.build();
    let page = match name {
        None => command,
        Some(name) => {
            let found = command
                .get_subcommands()
                .find(|sub| sub.get_name() == name)
                .cloned();
            found.ok_or_else(|| ManError::NoCommand {
                name: name.to_owned(),
                commands: Cli::command()
                    .get_subcommands()
                    .map(|sub| sub.get_name().to_owned())
                    .collect(),
            })?
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .source(format!("kfollow {version}"))
        .render(&mut roff)?;
    Ok(roff)
}

/// The commands, each with its arguments.
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
    /// Prove that every follower database is queryable and within its freshness budget.
    Check(CheckArgs),
    /// List who can query each follower database the manifest manages, and why.
    Access(AccessArgs),
    /// Print the manifest's JSON Schema.
    Schema,
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print a man page (roff).
    Man(ManArgs),
}

/// The manifest read when no `-f` names one.
pub const DEFAULT_MANIFEST: &str = "kfollow.yaml";

/// Where the manifest is.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// The manifest file.
    #[arg(short = 'f', long = "file", default_value = DEFAULT_MANIFEST)]
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

impl Format {
    /// The form the renderers take; `color` colours the text form.
    pub fn form(self, color: bool) -> kfollow_render::Form {
        match self {
            Format::Text => kfollow_render::Form::Text { color },
            Format::Markdown => kfollow_render::Form::Markdown,
            Format::Json => kfollow_render::Form::Json,
        }
    }
}

/// `kfollow plan`.
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
    /// Exit 0 when there are no changes, 2 when there are (see `--unmanaged-is-drift`), 1 on
    /// error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// With `--detailed-exitcode`: exit 2 also when the plan reports unmanaged resources (an
    /// attachment made by hand, say), though it has no changes.
    #[arg(long, requires = "detailed_exitcode")]
    pub unmanaged_is_drift: bool,
    /// Only these changes and what they depend on: a plan address (`attachment.emea/sales`)
    /// or `cluster.<alias>` (every change on that follower cluster). Repeat for more.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// The heading of `--format markdown` (default: the manifest path); only with that form.
    #[arg(long, value_name = "TITLE")]
    pub title: Option<String>,
}

/// `kfollow check`: exit 0 when every follower database is queryable and within budget, 2
/// when one is not, 1 on error.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Output form (json is documented in docs/check-json.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// `kfollow apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The manifest file [default: kfollow.yaml]. With PLAN it chooses nothing: it names the
    /// manifest the saved plan must have been made from (by default the one the plan names,
    /// when it is still there), and apply refuses the plan when it is not.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// A plan saved with `kfollow plan --out`: applied without a question, unless it is stale,
    /// edited, or its manifest changed.
    #[arg(value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// Do not ask for approval.
    #[arg(long)]
    pub auto_approve: bool,
    /// At most this many changes in flight at once (one write per cluster at a time anyway).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// Only these changes and what they depend on, as for `kfollow plan`. Not with `PLAN`,
    /// which keeps the targets it was made with.
    #[arg(long = "target", value_name = "ADDRESS", conflicts_with = "plan")]
    pub targets: Vec<String>,
    /// Write a JSON record of the apply to this file when it ends, however it ends (documented
    /// in docs/apply-record.md).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Before the first write, write a manifest of the live state of every cluster the plan
    /// changes; applying it brings them back.
    #[arg(long, value_name = "FILE")]
    pub rollback_manifest: Option<PathBuf>,
    /// How long to wait for each Azure operation (`30m`, `2h`) before its outcome is reported
    /// unknown and read again.
    #[arg(long, value_name = "DURATION", default_value = "60m", value_parser = duration)]
    pub operation_timeout: std::time::Duration,
}

/// A positive Kusto timespan literal (`30m`, `1h`, `500ms`) as a duration.
fn duration(text: &str) -> Result<std::time::Duration, String> {
    let span = kfollow_model::Timespan::parse(text).map_err(|e| e.to_string())?;
    u64::try_from(span.ticks())
        .ok()
        .filter(|ticks| *ticks > 0)
        .map(|ticks| std::time::Duration::from_nanos(ticks.saturating_mul(100)))
        .ok_or_else(|| format!("`{text}` is not a positive duration"))
}

/// `kfollow show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `kfollow plan --out`.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Output form.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// The heading of `--format markdown` (default: the manifest path); only with that form.
    #[arg(long, value_name = "TITLE")]
    pub title: Option<String>,
    /// Not taken: a saved plan holds the manifest it was made from. Given, `show` says so.
    #[arg(short = 'f', long = "file", hide = true, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `kfollow completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: `bash`, `zsh`, `fish`, `powershell` or `elvish`.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `kfollow man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command, for its own page (`kfollow-plan(1)`); without it, the page of `kfollow`.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// How an access review is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessFormat {
    /// For people: a table per follower database.
    Text,
    /// For a report or a pull-request comment.
    Markdown,
    /// For machines (documented in docs/audit.md).
    Json,
    /// For a spreadsheet.
    Csv,
}

/// `kfollow access`.
#[derive(Debug, Args)]
pub struct AccessArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Output form.
    #[arg(long, value_enum, default_value = "text")]
    pub format: AccessFormat,
}

/// `kfollow export`.
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

#[cfg(test)]
mod tests {
    //! `docs/cli.md` documents every command, flag, argument and environment variable of the
    //! command line. Each command has a section headed `` ## `kfollow <command>` `` whose
    //! tables list its flags and arguments in their first cell; the global flags (and clap's
    //! `--help` and `--version`) are in the table of "Global flags"; every environment
    //! variable a flag or the credential chain reads is in a table. A flag added without its
    //! row makes the test fail, naming it.

    use std::collections::BTreeSet;

    #[test]
    fn a_man_page_is_made_for_each_command_and_refused_for_no_command() {
        let page = String::from_utf8(super::man(Some("plan"), "1.2.3").unwrap()).unwrap();
        assert!(
            page.contains("kfollow\\-plan") && page.contains("1.2.3"),
            "{page}"
        );
        match super::man(Some("deploy"), "1.2.3") {
            Err(error @ super::ManError::NoCommand { .. }) => {
                assert_eq!(error.to_string(), "kfollow has no command `deploy`");
                let super::ManError::NoCommand { commands, .. } = error else {
                    unreachable!()
                };
                assert!(commands.iter().any(|c| c == "apply"), "{commands:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_title_is_taken_with_the_markdown_form_only() {
        let clash = |args: &[&str]| {
            let matches = command().try_get_matches_from(args).unwrap();
            super::Cli::from_arg_matches(&matches).unwrap().clash()
        };
        use clap::FromArgMatches;
        let (name, message) = clash(&[
            "kfollow", "show", "p.plan", "--title", "x", "--format", "json",
        ])
        .unwrap();
        assert_eq!(name, "show");
        assert!(message.starts_with("`--title` is the heading of the markdown form; it does not apply to `--format json`"), "{message}");
        assert_eq!(
            clash(&["kfollow", "plan", "--title", "x"]).unwrap().0,
            "plan"
        );
        assert!(clash(&["kfollow", "plan", "--title", "x", "--format", "markdown"]).is_none());
        assert!(clash(&["kfollow", "show", "p.plan"]).is_none());
    }

    #[test]
    fn completions_know_the_commands_and_the_version_is_the_one_given() {
        let script =
            String::from_utf8(super::completions(clap_complete::Shell::Bash, "1.2.3")).unwrap();
        assert!(script.contains("rollback-manifest"), "{script}");
        assert_eq!(command().get_version(), Some("0.0.0"));
    }

    /// The command line as the binary builds it.
    fn command() -> clap::Command {
        super::command("0.0.0")
    }

    fn doc(name: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let path = root.join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read `{}`: {error}", path.display()))
    }

    fn cli_doc() -> String {
        doc("docs/cli.md")
    }

    /// The doc cut at its `## ` headings: (heading, lines under it).
    fn sections(doc: &str) -> Vec<(&str, Vec<&str>)> {
        let mut out: Vec<(&str, Vec<&str>)> = vec![("", Vec::new())];
        for line in doc.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                out.push((heading, Vec::new()));
            } else if let Some((_, lines)) = out.last_mut() {
                lines.push(line);
            }
        }
        out
    }

    /// What the tables of these lines list: the first word of each code span in a row's first
    /// cell (`` `-f`, `--file FILE` `` lists `-f` and `--file`).
    fn listed<'a>(lines: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        lines
            .into_iter()
            .filter_map(|line| line.trim().strip_prefix('|'))
            .filter_map(|row| row.split('|').next())
            .flat_map(|cell| {
                cell.split('`')
                    .skip(1)
                    .step_by(2)
                    .filter_map(|span| span.split_whitespace().next())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// How the doc names an argument: `--long`, or a positional's value name (`PLAN`).
    fn spelling(arg: &clap::Arg) -> Option<String> {
        if let Some(long) = arg.get_long() {
            return Some(format!("--{long}"));
        }
        if arg.is_positional() {
            return arg
                .get_value_names()
                .and_then(|names| names.first())
                .map(ToString::to_string);
        }
        None
    }

    /// Everything the command line has that `doc` does not document, one line each.
    fn undocumented(doc: &str) -> Vec<String> {
        let mut command = command();
        command.build();
        let sections = sections(doc);
        let global = sections
            .iter()
            .find(|(heading, _)| *heading == "Global flags")
            .map(|(_, lines)| listed(lines.iter().copied()))
            .unwrap_or_default();
        let everywhere = listed(doc.lines());
        let mut missing = Vec::new();
        let is_global = |arg: &clap::Arg| {
            arg.is_global_set() || matches!(arg.get_id().as_str(), "help" | "version")
        };
        for arg in command.get_arguments() {
            if let Some(name) = spelling(arg)
                && !global.contains(&name)
            {
                missing.push(format!(
                    "global flag `{name}` (in the table of `## Global flags`)"
                ));
            }
        }
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let title = format!("`kfollow {}`", sub.get_name());
            let Some((_, lines)) = sections
                .iter()
                .find(|(heading, _)| heading.contains(&title))
            else {
                missing.push(format!("command {title} (a `## {title}` section)"));
                continue;
            };
            let here = listed(lines.iter().copied());
            for arg in sub.get_arguments() {
                let Some(name) = spelling(arg) else { continue };
                let documented = if is_global(arg) {
                    global.contains(&name)
                } else {
                    here.contains(&name)
                };
                if !documented {
                    missing.push(format!("`{name}` of {title} (a row in its section)"));
                }
            }
            for variable in sub.get_arguments().filter_map(clap::Arg::get_env) {
                let variable = variable.to_string_lossy().into_owned();
                if !everywhere.contains(&variable) {
                    missing.push(format!("environment variable `{variable}` of {title}"));
                }
            }
        }
        for variable in kfollow_azure::CHAIN_VARIABLES {
            if !everywhere.contains(variable) {
                missing.push(format!(
                    "environment variable `{variable}` of the credential chain"
                ));
            }
        }
        missing.sort();
        missing.dedup();
        missing
    }

    #[test]
    fn the_docs_cover_every_command_flag_and_variable() {
        let missing = undocumented(&cli_doc());
        assert!(
            missing.is_empty(),
            "docs/cli.md does not document:\n  {}",
            missing.join("\n  ")
        );
    }

    /// The check itself: a flag whose row is gone is reported, though prose still names it.
    #[test]
    fn a_flag_removed_from_the_docs_is_reported() {
        let doc = cli_doc();
        let without: String = doc
            .lines()
            .filter(|line| !(line.starts_with("| `--parallelism")))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(without.contains("--parallelism"));
        assert_eq!(
            undocumented(&without),
            ["`--parallelism` of `kfollow apply` (a row in its section)"]
        );
        let without: String = doc
            .lines()
            .filter(|line| !line.starts_with("| `KFOLLOW_CLOUD`"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(without.contains("KFOLLOW_CLOUD"));
        assert_eq!(
            undocumented(&without),
            [
                "environment variable `KFOLLOW_CLOUD` of `kfollow access`",
                "environment variable `KFOLLOW_CLOUD` of `kfollow apply`",
                "environment variable `KFOLLOW_CLOUD` of `kfollow check`",
                "environment variable `KFOLLOW_CLOUD` of `kfollow export`",
                "environment variable `KFOLLOW_CLOUD` of `kfollow plan`",
            ]
        );
    }

    /// The `kfollow <command> …` command lines of the code blocks of a doc (comments cut,
    /// continued lines joined), each as its words up to a shell operator.
    fn command_lines(doc: &str) -> Vec<Vec<String>> {
        let commands: Vec<String> = command()
            .get_subcommands()
            .map(|sub| sub.get_name().to_owned())
            .collect();
        let mut out = Vec::new();
        let mut in_code = false;
        let mut pending = String::new();
        for line in doc.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if !in_code {
                continue;
            }
            let line = without_comment(line);
            if let Some(continued) = line.trim_end().strip_suffix('\\') {
                pending.push_str(continued);
                continue;
            }
            let whole = std::mem::take(&mut pending) + &line;
            let words = shell_words(&whole);
            for (at, word) in words.iter().enumerate() {
                if word == "kfollow" && words.get(at + 1).is_some_and(|w| commands.contains(w)) {
                    let end = words[at..]
                        .iter()
                        .position(|w| {
                            ["|", "||", "&&", ";", ">", "2>", ">>", "<"].contains(&w.as_str())
                        })
                        .map_or(words.len(), |n| at + n);
                    out.push(words[at..end].to_vec());
                }
            }
        }
        out
    }

    /// A line without its `#` comment (a `#` at the start or after a space, outside quotes).
    fn without_comment(line: &str) -> String {
        let mut quote = None;
        let mut previous = ' ';
        for (at, c) in line.char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), _) if c == q => quote = None,
                (None, '#') if previous.is_whitespace() => return line[..at].to_owned(),
                _ => {}
            }
            previous = c;
        }
        line.to_owned()
    }

    /// Words as a shell splits them: quotes group and are removed; `>`, `|`, `;`, `&&` stand
    /// alone.
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word: Option<String> = None;
        let mut quote = None;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (Some(_), _) => word.get_or_insert_default().push(c),
                (None, '"' | '\'') => {
                    quote = Some(c);
                    word.get_or_insert_default();
                }
                (None, '>' | '|' | ';' | '&' | '<') => {
                    let mut operator = word.take().filter(|w| w == "2").unwrap_or_default();
                    if let Some(done) = word.take() {
                        words.push(done);
                    }
                    operator.push(c);
                    while let Some(&next) = chars.peek()
                        && matches!(next, '>' | '|' | '&')
                    {
                        operator.push(next);
                        chars.next();
                    }
                    words.push(operator);
                }
                (None, c) if c.is_whitespace() => words.extend(word.take()),
                (None, c) => word.get_or_insert_default().push(c),
            }
        }
        words.extend(word);
        words
    }

    /// Every command line of `doc` that the command line refuses, with clap's reason.
    fn refused_commands(doc: &str) -> Vec<String> {
        command_lines(doc)
            .into_iter()
            .filter_map(|words| {
                command()
                    .try_get_matches_from(&words)
                    .err()
                    .map(|error| format!("`{}`: {}", words.join(" "), error.kind()))
            })
            .collect()
    }

    #[test]
    fn the_ci_recipes_call_only_flags_kfollow_has() {
        let doc = doc("docs/ci.md");
        let lines = command_lines(&doc);
        let used: BTreeSet<&str> = lines.iter().flatten().map(String::as_str).collect();
        for expected in [
            "plan",
            "apply",
            "show",
            "--out",
            "--unmanaged-is-drift",
            "--title",
        ] {
            assert!(used.contains(expected), "no `{expected}` in {lines:?}");
        }
        let refused = refused_commands(&doc);
        assert!(
            refused.is_empty(),
            "docs/ci.md:\n  {}",
            refused.join("\n  ")
        );
    }

    #[test]
    fn the_readme_tour_calls_only_flags_kfollow_has() {
        let doc = doc("README.md");
        let used: BTreeSet<String> = command_lines(&doc).into_iter().flatten().collect();
        for expected in [
            "--unmanaged-is-drift",
            "--title",
            "--target",
            "-q",
            "--color",
        ] {
            assert!(
                used.contains(expected),
                "the README tour has no `{expected}`"
            );
        }
        let refused = refused_commands(&doc);
        assert!(refused.is_empty(), "README.md:\n  {}", refused.join("\n  "));
    }

    /// The check itself: a flag kfollow does not have is reported, in a continued line too;
    /// comments, quotes and redirections are read as a shell reads them.
    #[test]
    fn a_recipe_with_an_unknown_flag_is_reported() {
        let doc = "```yaml\n\
                   # kfollow plan on every pull request\n\
                   run: kfollow plan -f \"a b.yaml\" --title 'Drift: x' > plan.md || status=$?\n\
                   run: kfollow show kfollow.plan --format markdown 2>/dev/null | head\n\
                   run: |\n  kfollow apply reviewed.plan \\\n    --no-such-flag  # comment\n\
                   ```\n\
                   kfollow plan --outside-code-blocks\n";
        assert_eq!(
            command_lines(doc),
            [
                vec!["kfollow", "plan", "-f", "a b.yaml", "--title", "Drift: x"],
                vec!["kfollow", "show", "kfollow.plan", "--format", "markdown"],
                vec!["kfollow", "apply", "reviewed.plan", "--no-such-flag"],
            ]
        );
        assert_eq!(
            refused_commands(doc),
            ["`kfollow apply reviewed.plan --no-such-flag`: unexpected argument found"]
        );
    }
}
