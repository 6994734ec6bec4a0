//! Ctrl-C and SIGTERM during an apply whose operation never ends: the first lets the change
//! in flight go on, the second stops kfollow at once and names what was left in an unknown
//! state.

use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::support::{SALES, Workspace, command, lines, manifest, small_world, wait_for};

/// A world whose first attachment write starts an operation that never ends.
pub(crate) fn hanging_world() -> String {
    small_world("").replace(
        "settings:\n",
        "settings:\n  faults:\n    - method: PUT\n      path: \"*/attachedDatabaseConfigurations/*\"\n      respond: hangOperation\n",
    )
}

/// Sends a signal by name to the process.
pub(crate) fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args(["-s", name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -s {name}");
}

/// Waits for the process to end, killing it after a while: a kfollow that ignores the second
/// interrupt fails the test instead of hanging it.
pub(crate) fn exit_code(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("kfollow did not stop after the second interrupt");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `kfollow apply --auto-approve` of the sales attachment, with `extra` arguments, in a
/// workspace of a [`hanging_world`]: returns once its write is in flight, with the lines of
/// its stdout and stderr to come.
pub(crate) fn hanging_apply(
    ws: &Workspace,
    extra: &[&str],
) -> (Child, Receiver<String>, Receiver<String>) {
    let (child, stdout, stderr) = spawn_apply(ws, &hanging_world(), extra);
    wait_for(&stdout, "attachment.f1/sales: Attaching...");
    (child, stdout, stderr)
}

/// `kfollow apply --auto-approve` of the sales attachment, with `extra` arguments, started in
/// `ws` on `world`, with the lines of its stdout and stderr to come.
pub(crate) fn spawn_apply(
    ws: &Workspace,
    world: &str,
    extra: &[&str],
) -> (Child, Receiver<String>, Receiver<String>) {
    ws.write("world.yaml", world);
    ws.write("kfollow.yaml", &manifest("", SALES));
    let mut args = vec!["apply", "--auto-approve", "--emulator", "world.yaml"];
    args.extend(extra);
    let mut child = command(ws.path(), &args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    (child, stdout, stderr)
}

fn interrupted_twice(signal_name: &str) {
    let ws = Workspace::new();
    let (mut child, _stdout, stderr) = hanging_apply(&ws, &[]);

    signal(&child, signal_name);
    wait_for(&stderr, "interrupt received: no new change will start");
    // The first interrupt waits for the change in flight, which never ends.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "kfollow stopped at the first interrupt"
    );

    signal(&child, signal_name);
    let code = exit_code(&mut child);
    let rest: Vec<String> = stderr.iter().collect();
    let told = rest.join("\n");
    assert_eq!(code, Some(1), "{told}");
    assert!(
        told.contains(
            "Error: interrupted again: stopped at once, without waiting for the changes in flight"
        ),
        "{told}"
    );
    assert!(
        told.contains("These changes were in flight; their outcome is unknown:\n  attachment.f1/sales (attaching, for "),
        "{told}"
    );
    assert!(
        told.contains("Run `kfollow plan` to see what is live now"),
        "{told}"
    );
    // The world file is whole, and free for the next run.
    ws.world();
    let plan = ws.emulated(&["plan"]);
    assert!(plan.code == 0 || plan.code == 2, "{}", plan.output());
}

#[test]
fn a_second_ctrl_c_stops_at_once_and_names_the_unknown_changes() {
    interrupted_twice("INT");
}

#[test]
fn sigterm_is_treated_as_ctrl_c() {
    interrupted_twice("TERM");
}
