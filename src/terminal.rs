//! What the terminal can do: colour, questions.

use std::io::{BufRead, IsTerminal, Write};

/// Colour on stdout: only on a terminal, and never when `NO_COLOR` is set
/// (<https://no-color.org>).
pub fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// True when a person can answer a question on stdin.
pub fn can_prompt() -> bool {
    std::io::stdin().is_terminal()
}

/// Asks Terraform's question; only exactly `yes` approves.
pub fn confirm_apply() -> std::io::Result<bool> {
    let mut stdout = std::io::stdout();
    write!(
        stdout,
        "\nDo you want to perform these actions? Only 'yes' will be accepted to approve.\n  Enter a value: "
    )?;
    stdout.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim_end_matches(['\r', '\n']) == "yes")
}
