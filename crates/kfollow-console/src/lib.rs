//! Everything kfollow prints goes through [`Output`]: it decides colour (`--color`,
//! `NO_COLOR`, `CLICOLOR_FORCE`, whether a stream is a terminal), what `-q` hides, how logs
//! look (`-v`, `KFOLLOW_LOG`), and what a closed stdout means (a quiet end, as ripgrep does,
//! never a panic). Renderers stay pure: they take the colour flag from here.
//!
//! What goes where:
//! - [`Output::print`]: the command's result on stdout (a plan, a manifest, a summary).
//! - [`Output::progress`]: progress among the result on stdout (apply's change lines); not
//!   with `-q`.
//! - [`Output::note`]: a status on stderr (a wait, a notice of the ARM client); not with `-q`.
//! - [`Output::warn`], [`Output::error`], [`Output::report`], [`Output::message`]: stderr,
//!   always.
//!
//! Every line but [`Output::print`]'s (already rendered inert) and [`Output::report`]'s goes
//! through `inert`: a name from a manifest or from Azure cannot move the cursor or hide text.
//!
//! [`Progress`] tells apply's events as they happen (it is `kfollow-apply`'s `Listener`), with
//! Terraform's "Still attaching..." lines for long operations, then how the run ended.
//! [`Output::approve`] asks apply's question, Terraform's: only `yes` approves.

mod progress;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kfollow_azure::{Notice, Observer};
use kfollow_render::inert;

pub use progress::Progress;

/// When to colour (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE` forces it.
    Auto,
    /// Always, even into a file or a pipe.
    Always,
    /// Never.
    Never,
}

/// What came of asking for approval ([`Output::approve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// The answer was `yes`.
    Approved,
    /// Any other answer.
    Declined,
    /// Standard input is not a terminal: nobody could be asked.
    NobodyToAsk,
}

impl Approval {
    /// Only `yes` approves, as in Terraform.
    fn of(answer: &str) -> Approval {
        if answer == "yes" {
            Approval::Approved
        } else {
            Approval::Declined
        }
    }
}

/// How progress lines look: plain, or the colour of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No colour.
    Plain,
    /// Green: something succeeded.
    Good,
    /// Red: something failed.
    Bad,
    /// Yellow: something to look at (a skip, an unknown outcome, a warning).
    Caution,
}

impl Style {
    fn code(self) -> Option<&'static str> {
        match self {
            Style::Plain => None,
            Style::Good => Some("\x1b[32m"),
            Style::Bad => Some("\x1b[1;31m"),
            Style::Caution => Some("\x1b[1;33m"),
        }
    }
}

/// The interval of the "Still attaching..." lines; tests shorten it through
/// [`STILL_EVERY_VARIABLE`] rather than wait 10 seconds.
const STILL_EVERY: Duration = Duration::from_secs(10);

/// A hidden setting, in milliseconds, for tests: how often a change still in flight is told.
const STILL_EVERY_VARIABLE: &str = "KFOLLOW_PROGRESS_INTERVAL_MS";

/// The log filter: an `EnvFilter` string (`kfollow_azure=debug`), added to what `-v` asks.
pub const LOG_VARIABLE: &str = "KFOLLOW_LOG";

/// Set once stdout is closed (a reader that went away): later results are dropped quietly.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set when stdout failed for another reason (a full disk): the run then exits 1.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// The output decisions of one run; cheap to copy into closures and tasks.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    stdout_color: bool,
    stderr_color: bool,
    stderr_terminal: bool,
    quiet: bool,
    still_every: Duration,
}

impl Output {
    /// Decides from the flags and the environment.
    pub fn new(color: ColorChoice, quiet: bool) -> Output {
        let variable = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let no_color = variable("NO_COLOR").is_some();
        let force = variable("CLICOLOR_FORCE").is_some_and(|value| value != "0");
        let decide = |terminal: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && (force || terminal),
        };
        let stderr_terminal = std::io::stderr().is_terminal();
        let still_every = variable(STILL_EVERY_VARIABLE)
            .and_then(|value| value.to_str()?.parse().ok())
            .map_or(STILL_EVERY, Duration::from_millis);
        Output {
            stdout_color: decide(std::io::stdout().is_terminal()),
            stderr_color: decide(stderr_terminal),
            stderr_terminal,
            quiet,
            still_every,
        }
    }

    /// Whether what goes to stdout may carry colour (for the renderers).
    pub fn stdout_color(self) -> bool {
        self.stdout_color
    }

    /// Whether `-q` was given.
    pub fn quiet(self) -> bool {
        self.quiet
    }

    /// The command's result on stdout, as is (end it with a newline).
    pub fn print(self, text: &str) {
        write_stdout(text);
    }

    /// A line of progress on stdout, coloured on a colour terminal; nothing with `-q`.
    pub fn progress(self, style: Style, line: &str) {
        if !self.quiet {
            write_stdout(&format!(
                "{}\n",
                paint(self.stdout_color, style, &inert(line))
            ));
        }
    }

    /// A status line on stderr; nothing with `-q`.
    pub fn note(self, line: &str) {
        if !self.quiet {
            write_stderr(&format!("{}\n", inert(line)));
        }
    }

    /// A line on stderr, always (the closing line of a list of diagnostics).
    pub fn message(self, line: &str) {
        write_stderr(&format!("{}\n", inert(line)));
    }

    /// `Warning: …` on stderr.
    pub fn warn(self, message: &str) {
        let label = paint(self.stderr_color, Style::Caution, "Warning:");
        write_stderr(&format!("{label} {}\n", inert(message)));
    }

    /// `Error: …` on stderr.
    pub fn error(self, message: &str) {
        let label = paint(self.stderr_color, Style::Bad, "Error:");
        write_stderr(&format!("{label} {}\n", inert(message)));
    }

    /// A diagnostic or an error report on stderr, as the handler [`Output::install`] set up
    /// draws it.
    pub fn report(self, report: &miette::Report) {
        write_stderr(&format!("{report:?}\n"));
    }

    /// The clients' notices (throttling, a busy cluster, pacing) as status lines on stderr.
    pub fn notices_on_stderr(self) -> Observer {
        Arc::new(move |notice: &Notice| self.note(&notice.to_string()))
    }

    /// The clients' notices as progress lines on stdout, among apply's own.
    pub fn notices_as_progress(self) -> Observer {
        Arc::new(move |notice: &Notice| self.progress(Style::Plain, &notice.to_string()))
    }

    /// Sets up the diagnostics handler and the logs for this run. Logs show what `-v` asks
    /// (`-v`: every HTTP call, `-vv`: everything kfollow does and the HTTP stack's debug lines),
    /// plus the directives of `KFOLLOW_LOG`; they carry ANSI codes only where stderr is a
    /// colour terminal. Neither ever shows a token.
    pub fn install(self, verbose: u8) -> miette::Result<()> {
        let color = self.stderr_color;
        let links = color && self.stderr_terminal;
        // Messages carry their own line structure (lists of what was tried, what to do next);
        // re-wrapping them at the terminal width breaks those lists apart.
        let _ = miette::set_hook(Box::new(move |_| {
            Box::new(
                miette::MietteHandlerOpts::new()
                    .wrap_lines(false)
                    .color(color)
                    .terminal_links(links)
                    .build(),
            )
        }));
        let base = match verbose {
            0 => "warn",
            1 => "warn,kfollow=debug,kfollow_azure=debug,kfollow_state=debug,kfollow_apply=debug",
            _ => "debug,kfollow=trace,kfollow_azure=trace,kfollow_state=trace,kfollow_apply=trace",
        };
        let extra = std::env::var(LOG_VARIABLE).unwrap_or_default();
        let directives = if extra.trim().is_empty() {
            base.to_owned()
        } else {
            format!("{base},{extra}")
        };
        let filter = tracing_subscriber::EnvFilter::try_new(&directives).map_err(|error| {
            miette::miette!(
                help = "give it directives such as `kfollow_azure=debug` or `warn,kfollow=trace`",
                "`{LOG_VARIABLE}` is not a log filter: {error}"
            )
        })?;
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(color)
            .with_writer(std::io::stderr)
            .try_init();
        Ok(())
    }

    fn still_every(self) -> Duration {
        self.still_every
    }

    /// Asks on stdout whether to perform the plan just shown, when a person can answer on
    /// stdin, and reads the answer; an approval ends with an empty line. The answer is read on
    /// a thread of its own: a caller listening for Ctrl-C hears it while the question waits.
    ///
    /// # Errors
    ///
    /// When stdin cannot be read.
    pub async fn approve(self) -> std::io::Result<Approval> {
        if !std::io::stdin().is_terminal() {
            return Ok(Approval::NobodyToAsk);
        }
        write_stdout(
            "\nDo you want to perform these actions? Only 'yes' will be accepted to approve.\n  \
             Enter a value: ",
        );
        let (sender, answer) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut answer = String::new();
            let read = std::io::stdin().read_line(&mut answer).map(|_| answer);
            let _ = sender.send(read);
        });
        let answer = answer.await.map_err(std::io::Error::other)??;
        let approval = Approval::of(answer.trim_end_matches(['\r', '\n']));
        if approval == Approval::Approved {
            write_stdout("\n");
        }
        Ok(approval)
    }
}

/// True when stdout failed with an error other than a closed pipe: the run must not exit 0.
pub fn stdout_failed() -> bool {
    STDOUT_FAILED.load(Ordering::Relaxed)
}

fn paint(color: bool, style: Style, text: &str) -> String {
    match style.code() {
        Some(code) if color && !text.is_empty() => format!("{code}{text}\x1b[0m"),
        _ => text.to_owned(),
    }
}

/// Writes to stdout; a reader that went away (EPIPE) ends stdout quietly, as ripgrep does,
/// and the command goes on to its end (an apply must not stop half-way because of `| head`).
fn write_stdout(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            STDOUT_FAILED.store(true, Ordering::Relaxed);
            write_stderr(&format!(
                "Error: cannot write to standard output: {error}\n"
            ));
        }
    }
}

/// Writes to stderr; there is nowhere left to tell a failure of stderr itself.
fn write_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::{Approval, Style, paint};

    #[test]
    fn only_yes_approves() {
        assert_eq!(Approval::of("yes"), Approval::Approved);
        for answer in ["", "y", "Yes", "yes ", "no"] {
            assert_eq!(Approval::of(answer), Approval::Declined, "{answer:?}");
        }
    }

    #[test]
    fn only_coloured_output_carries_codes_and_empty_lines_stay_empty() {
        assert_eq!(paint(true, Style::Good, "ok"), "\x1b[32mok\x1b[0m");
        assert_eq!(paint(false, Style::Good, "ok"), "ok");
        assert_eq!(paint(true, Style::Plain, "ok"), "ok");
        assert_eq!(paint(true, Style::Bad, ""), "");
    }
}
