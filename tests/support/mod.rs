//! What the end-to-end tests share: running the real `kfollow` binary, small worlds and
//! manifests, and the in-process emulator for tests that read its request log or inject
//! faults.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kfollow_emulator::{Emulator, RequestRecord, World};
use tempfile::TempDir;

/// The token tests call a standalone emulator with.
pub const TOKEN: &str = "test-token";

/// Subscription of every cluster of the small world.
pub const SUB: &str = "00000000-0000-0000-0000-000000000001";

/// The resource id of a cluster of the small world.
pub fn cluster_id(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Kusto/clusters/{name}")
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for messages and searches.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Panics with both streams unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Runs `kfollow` with `args` in `dir`, no terminal, no colour, no Azure variables.
pub fn kfollow(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = command(dir, args, env)
        .output()
        .expect("the kfollow binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The command [`kfollow`] runs, for a test that spawns it, pipes it or signals it.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kfollow"));
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("NO_COLOR", "1")
        .env_remove("KFOLLOW_ACCESS_TOKEN")
        .env_remove("KFOLLOW_ARM_ENDPOINT")
        .env_remove("RUST_LOG")
        .env_remove("KFOLLOW_LOG")
        .env_remove("CLICOLOR_FORCE");
    for (key, _) in std::env::vars() {
        if [
            "AZURE_",
            "AZURESUBSCRIPTION_",
            "IDENTITY_",
            "MSI_",
            "SYSTEM_",
        ]
        .iter()
        .any(|prefix| key.starts_with(prefix))
        {
            command.env_remove(key);
        }
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// A scratch folder with a manifest and, optionally, a world file.
pub struct Workspace {
    pub dir: TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    /// The [`small_world`] in `world.yaml`, and in `kfollow.yaml` a manifest attaching
    /// [`SALES`].
    pub fn with_sales() -> Workspace {
        let ws = Workspace::new();
        ws.write("world.yaml", &small_world(""));
        ws.write("kfollow.yaml", &manifest("", SALES));
        ws
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a test file");
        path
    }

    /// `kfollow ARGS --emulator world.yaml` with the manifest `kfollow.yaml`.
    pub fn emulated(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--emulator", "world.yaml"]);
        kfollow(self.path(), &all, &[])
    }

    /// The world file as the emulator left it.
    pub fn world(&self) -> World {
        World::load(&self.dir.path().join("world.yaml")).expect("the world file loads")
    }
}

/// A standalone in-process emulator, and the binary pointed at it.
pub struct Standalone {
    pub emulator: Emulator,
    pub workspace: Workspace,
}

impl Standalone {
    pub fn start(world: &str) -> Standalone {
        let world = World::from_yaml(world).expect("the test world parses");
        Standalone {
            emulator: Emulator::start(world).expect("the emulator starts"),
            workspace: Workspace::new(),
        }
    }

    /// `kfollow ARGS --arm-endpoint <emulator>` with `KFOLLOW_ACCESS_TOKEN`.
    pub fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Run {
        let mut env = vec![
            ("KFOLLOW_ARM_ENDPOINT", self.emulator.base_url()),
            ("KFOLLOW_ACCESS_TOKEN", TOKEN),
        ];
        env.extend_from_slice(extra_env);
        kfollow(self.workspace.path(), args, &env)
    }

    /// `kfollow ARGS` started against the emulator, its output discarded: to be stopped
    /// part way.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        let env = [
            ("KFOLLOW_ARM_ENDPOINT", self.emulator.base_url()),
            ("KFOLLOW_ACCESS_TOKEN", TOKEN),
        ];
        command(self.workspace.path(), args, &env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the kfollow binary starts")
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.emulator.requests()
    }
}

/// Requests that change something (every method but GET, and POSTs other than the
/// read-only `listFollowerDatabases` and Kusto `.show` commands).
pub fn writes(requests: &[RequestRecord]) -> Vec<&RequestRecord> {
    requests
        .iter()
        .filter(|r| r.method != "GET")
        .filter(|r| !r.path.ends_with("/listFollowerDatabases"))
        .filter(|r| {
            !r.csl
                .as_deref()
                .is_some_and(|csl| csl.trim_start().starts_with(".show"))
        })
        .filter(|r| !r.path.starts_with("/_emulator"))
        .collect()
}

/// A leader `leader1` (Sales, Web) and followers `follower1`, `follower2`, all in
/// westeurope, plus `extra` clusters YAML appended under `clusters:`.
pub fn small_world(follower2_attachments: &str) -> String {
    format!(
        r#"clusters:
  - id: {leader}
    location: westeurope
    databases:
      - name: Sales
        tables: [Orders, Customers, Logs2026]
        materializedViews: [DailySales]
      - name: Web
        tables: [Hits]
  - id: {f1}
    location: westeurope
  - id: {f2}
    location: westeurope
{follower2_attachments}
settings:
  retryAfterSeconds: 0
"#,
        leader = cluster_id("leader1"),
        f1 = cluster_id("follower1"),
        f2 = cluster_id("follower2"),
    )
}

/// The attachment most tests start from: `sales` on `f1`, following `lead`'s `Sales`.
pub const SALES: &str =
    "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n";

/// A workspace with `world` as `world.yaml` and the manifest of [`SALES`] as `kfollow.yaml`.
pub fn sales_workspace(world: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write("world.yaml", world);
    ws.write("kfollow.yaml", &manifest("", SALES));
    ws
}

/// The manifest head naming the small world's clusters; `f2_extra` goes under `f2:`.
pub fn manifest(f2_extra: &str, attachments: &str) -> String {
    format!(
        r#"version: 1
clusters:
  lead:
    id: {leader}
    location: westeurope
  f1:
    id: {f1}
  f2:
    id: {f2}
{f2_extra}
attachments:
{attachments}"#,
        leader = cluster_id("leader1"),
        f1 = cluster_id("follower1"),
        f2 = cluster_id("follower2"),
    )
}

/// Lines of a stream, as they come.
pub fn lines(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if send.send(line).is_err() {
                return;
            }
        }
    });
    receive
}

/// Waits for a line holding `text`, returning every line seen on the way.
pub fn wait_for(lines: &mpsc::Receiver<String>, text: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => {
                let found = line.contains(text);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(error) => panic!("no line with {text:?} ({error}); saw {seen:#?}"),
        }
    }
}
