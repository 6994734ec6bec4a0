//! What the binary prints and how it exits, whatever the command: exit codes of usage errors,
//! `--help` and `--version`, completions and the man page, colour, `-q`, logs, progress in a
//! pipe, and a reader that goes away.

use std::process::Stdio;

use crate::support::{SALES, Workspace, command, kfollow, manifest, small_world};

#[test]
fn a_usage_error_exits_1_never_2() {
    let ws = Workspace::with_sales();
    for args in [
        &["plan", "--no-such-flag"][..],
        &["plan", "--detailed-exitcode", "--format", "xml"],
        &["apply", "--parallelism", "0"],
        &["--color", "sometimes", "validate"],
        &["no-such-command"],
        &[],
    ] {
        let run = kfollow(ws.path(), args, &[]);
        assert_eq!(run.code, 1, "{args:?}: {}", run.output());
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn help_and_version_exit_0_and_help_documents_the_exit_codes() {
    let ws = Workspace::with_sales();
    let help = kfollow(ws.path(), &["--help"], &[]).expect_code(0);
    assert!(
        help.stdout.contains("Exit codes (every command):"),
        "{}",
        help.stdout
    );
    for code in [
        "  0  success",
        "  1  an error: a usage error",
        "  2  plan --detailed-exitcode",
    ] {
        assert!(help.stdout.contains(code), "{code}: {}", help.stdout);
    }
    kfollow(ws.path(), &["plan", "--help"], &[]).expect_code(0);
    kfollow(ws.path(), &["help", "apply"], &[]).expect_code(0);

    let version = kfollow(ws.path(), &["--version"], &[]).expect_code(0);
    let expected = format!("kfollow {}", env!("CARGO_PKG_VERSION"));
    assert!(version.stdout.starts_with(&expected), "{}", version.stdout);
    // Built from a git checkout (as the tests are), the version names the commit.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Ok(head) = head
        && head.status.success()
    {
        let commit = String::from_utf8_lossy(&head.stdout).trim().to_owned();
        assert_eq!(version.stdout.trim(), format!("{expected} ({commit})"));
    }
}

#[test]
fn completions_cover_the_commands_in_every_shell() {
    let ws = Workspace::with_sales();
    let bash = kfollow(ws.path(), &["completions", "bash"], &[]).expect_code(0);
    for name in [
        "validate",
        "plan",
        "apply",
        "show",
        "export",
        "schema",
        "completions",
        "man",
        "--detailed-exitcode",
        "--color",
    ] {
        assert!(bash.stdout.contains(name), "bash completion lacks {name}");
    }
    for shell in ["zsh", "fish", "powershell"] {
        let run = kfollow(ws.path(), &["completions", shell], &[]).expect_code(0);
        assert!(run.stdout.contains("kfollow"), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("detailed-exitcode"), "{shell}");
    }
    kfollow(ws.path(), &["completions", "tcsh"], &[]).expect_code(1);
}

#[test]
fn the_man_pages_render_the_commands() {
    let ws = Workspace::with_sales();
    let page = kfollow(ws.path(), &["man"], &[]).expect_code(0);
    assert!(page.stdout.starts_with(".ie"), "{}", page.stdout);
    assert!(page.stdout.contains(".TH kfollow 1"), "{}", page.stdout);
    for name in [
        "validate",
        "plan",
        "apply",
        "show",
        "export",
        "schema",
        "completions",
    ] {
        assert!(
            page.stdout.contains(&format!("kfollow\\-{name}")),
            "kfollow(1) lacks {name}"
        );
    }
    let plan = kfollow(ws.path(), &["man", "plan"], &[]).expect_code(0);
    assert!(
        plan.stdout.contains(".TH kfollow-plan 1"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("kfollow\\-plan \\- Read the live state"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("\\-\\-detailed\\-exitcode"),
        "{}",
        plan.stdout
    );
    let unknown = kfollow(ws.path(), &["man", "deploy"], &[]).expect_code(1);
    assert!(
        unknown.stderr.contains("kfollow has no command `deploy`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let ws = Workspace::with_sales();
    let plan = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["plan", "--emulator", "world.yaml"];
        all.extend_from_slice(args);
        kfollow(ws.path(), &all, env).expect_code(0).stdout
    };
    // Not a terminal, NO_COLOR set (as the test helper does): no colour.
    assert!(!plan(&[], &[]).contains('\x1b'));
    assert!(plan(&["--color", "always"], &[]).contains("\x1b[32m+\x1b[0m"));
    assert!(!plan(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]).contains('\x1b'));
    // CLICOLOR_FORCE forces it where NO_COLOR does not forbid it.
    assert!(plan(&[], &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]).contains('\x1b'));
    assert!(!plan(&[], &[("CLICOLOR_FORCE", "1")]).contains('\x1b'));
}

#[test]
fn logs_carry_no_colour_into_a_file_and_honour_kfollow_log() {
    let ws = Workspace::with_sales();
    let mut verbose = command(ws.path(), &["-v", "plan", "--emulator", "world.yaml"], &[]);
    verbose.env_remove("NO_COLOR");
    let run = verbose.output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("GET"), "-v logs HTTP calls: {stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "ANSI codes in a log file: {stderr:?}"
    );

    // `KFOLLOW_LOG` alone turns the same logs on.
    let logged = kfollow(
        ws.path(),
        &["plan", "--emulator", "world.yaml"],
        &[("KFOLLOW_LOG", "kfollow_azure=debug")],
    )
    .expect_code(0);
    assert!(logged.stderr.contains("GET"), "{}", logged.stderr);
    let quiet = kfollow(ws.path(), &["plan", "--emulator", "world.yaml"], &[]).expect_code(0);
    assert!(!quiet.stderr.contains("GET"), "{}", quiet.stderr);

    let bad = kfollow(
        ws.path(),
        &["plan", "--emulator", "world.yaml"],
        &[("KFOLLOW_LOG", "kfollow=loudest")],
    )
    .expect_code(1);
    assert!(
        bad.stderr.contains("`KFOLLOW_LOG` is not a log filter"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_piped_apply_tells_progress_and_a_slow_change_is_still_running() {
    let ws = Workspace::new();
    ws.write(
        "world.yaml",
        &small_world("").replace("settings:\n", "settings:\n  operationMs: 700\n"),
    );
    ws.write("kfollow.yaml", &manifest("", SALES));
    let apply = kfollow(
        ws.path(),
        &["apply", "--auto-approve", "--emulator", "world.yaml"],
        &[("KFOLLOW_PROGRESS_INTERVAL_MS", "100")],
    )
    .expect_code(0);
    assert!(
        apply.stdout.contains("attachment.f1/sales: Attaching..."),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("attachment.f1/sales: Still attaching... ["),
        "{}",
        apply.stdout
    );
    assert!(!apply.stdout.contains('\x1b'), "{}", apply.stdout);
}

#[test]
fn quiet_keeps_results_and_drops_progress() {
    let ws = Workspace::with_sales();
    let apply = kfollow(
        ws.path(),
        &["-q", "apply", "--auto-approve", "--emulator", "world.yaml"],
        &[],
    )
    .expect_code(0);
    assert!(
        apply.stdout.contains("Apply complete! 1 attached"),
        "{}",
        apply.stdout
    );
    assert!(!apply.stdout.contains("Attaching..."), "{}", apply.stdout);
    let plan = kfollow(
        ws.path(),
        &[
            "plan",
            "--quiet",
            "--out",
            "saved.plan",
            "--emulator",
            "world.yaml",
        ],
        &[],
    )
    .expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(!plan.stdout.contains("Saved the plan"), "{}", plan.stdout);
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let ws = Workspace::with_sales();
    for (args, code) in [
        (&["plan", "--emulator", "world.yaml"][..], 0),
        (
            &["plan", "--detailed-exitcode", "--emulator", "world.yaml"],
            2,
        ),
        (&["schema"], 0),
        (&["completions", "bash"], 0),
    ] {
        let mut child = command(ws.path(), args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before kfollow writes, as `| head -0` would.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}
