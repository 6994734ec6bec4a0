//! `kfollow apply --record FILE`: the record an auditor keeps, written however the apply ends,
//! naming the caller from the token's claims and never the token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::{Standalone, Workspace, manifest, small_world, writes};

/// Sales on `f1` and Web on `f2`, each with settings of its follower database.
const TWO: &str = "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    followerDatabase:\n      hotCachePeriod: 7d\n  - name: web\n    follower: f2\n    leader: lead\n    databaseName: Web\n    followerDatabase:\n      prefetchExtents: true\n";

/// base64url without padding, as JWT segments are.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// A JWT (unsigned, as kfollow never checks) whose signature and one claim hold `canary`.
pub(crate) fn jwt(canary: &str) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let claims = json!({
        "aud": "https://management.azure.com/",
        "oid": "0f3c8a5e-2b7d-4c1e-9a6f-5d4b3c2a1e0f",
        "upn": "ada.lovelace@contoso.com",
        "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "nonce": canary,
    });
    format!(
        "{}.{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes()),
        base64url(canary.as_bytes())
    )
}

fn read_record(ws: &Workspace, name: &str) -> Value {
    let text = std::fs::read_to_string(ws.path().join(name)).expect("the record was written");
    serde_json::from_str(&text).expect("the record is JSON")
}

/// Sales succeeds; Web's attachment fails, so the settings of its follower database are not
/// attempted. Returns the emulator and the record.
pub(crate) fn partly_failed(token: &str) -> (Standalone, Value) {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", TWO));
    env.emulator.add_fault(
        serde_json::from_value(json!({
            "method": "PUT",
            "path": "*/clusters/follower2/attachedDatabaseConfigurations/*",
            "respond": "failOperation",
            "code": "BadRequest",
            "message": "the leader's storage could not be reached",
        }))
        .unwrap(),
    );
    let apply = env
        .run(
            &["apply", "--auto-approve", "--record", "apply-record.json"],
            &[("KFOLLOW_ACCESS_TOKEN", token)],
        )
        .expect_code(1);
    assert!(
        apply.stdout.contains("1 failed, 1 not attempted"),
        "{}",
        apply.stdout
    );
    let record = read_record(&env.workspace, "apply-record.json");
    (env, record)
}

#[test]
fn the_record_of_a_partly_failed_apply_says_what_came_of_every_change() {
    let (env, record) = partly_failed(&jwt("c4n4ry"));
    assert_eq!(record["format_version"], "1");
    assert_eq!(record["result"], "incomplete");
    assert_eq!(record["error"], Value::Null);
    assert_eq!(record["manifest"]["path"], "kfollow.yaml");
    let text = std::fs::read(env.workspace.path().join("kfollow.yaml")).unwrap();
    assert_eq!(
        record["manifest"]["sha256"],
        kfollow_model::sha256_hex(&text)
    );
    assert_eq!(record["saved_plan"], Value::Null);
    assert_eq!(record["target"]["arm_endpoint"], env.emulator.base_url());
    assert_eq!(
        record["applied_by"],
        json!({
            "verified": false,
            "oid": "0f3c8a5e-2b7d-4c1e-9a6f-5d4b3c2a1e0f",
            "upn": "ada.lovelace@contoso.com",
            "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        })
    );
    assert_eq!(
        record["summary"],
        json!({"total": 4, "succeeded": 2, "failed": 1, "unknown": 0, "not_attempted": 1})
    );
    let outcomes: Vec<(&str, &str)> = record["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("attachment.f1/sales", "succeeded"),
            ("attachment.f2/web", "failed"),
            ("follower_database.f1/Sales", "succeeded"),
            ("follower_database.f2/Web", "not_attempted"),
        ]
    );
    let change = |address: &str| {
        record["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .unwrap()
            .clone()
    };
    let failed = change("attachment.f2/web");
    assert!(
        failed["reason"]
            .as_str()
            .unwrap()
            .contains("the leader's storage could not be reached"),
        "{failed:#}"
    );
    let operation = &failed["operations"][0];
    assert_eq!(operation["status"], "failed");
    assert!(operation["operation_id"].is_string(), "{operation:#}");
    assert!(
        operation["error"]
            .as_str()
            .unwrap()
            .contains("the leader's storage could not be reached")
    );
    let skipped = change("follower_database.f2/Web");
    assert_eq!(
        skipped["reason"],
        "not attempted because `attachment.f2/web` failed"
    );
    assert_eq!(skipped["operations"][0]["status"], "not_sent");
    assert_eq!(skipped["operations"][0]["requests"], json!([]));
    assert_eq!(
        skipped["operations"][0]["command"],
        ".alter follower database Web prefetch-extents = true"
    );
    let settings = change("follower_database.f1/Sales");
    assert_eq!(settings["before"], json!({"hotCachePeriod": null}));
    assert_eq!(settings["after"], json!({"hotCachePeriod": "7d"}));

    // The service's ids: ARM's request and correlation ids, the management endpoint's
    // activity id.
    let put = &change("attachment.f1/sales")["operations"][0]["requests"][0];
    assert!(put["request_id"].is_string(), "{put:#}");
    assert!(put["correlation_request_id"].is_string(), "{put:#}");
    assert!(put["activity_id"].is_null(), "{put:#}");
    let command = &settings["operations"][0]["requests"][0];
    assert!(command["activity_id"].is_string(), "{command:#}");
    assert!(command["request_id"].is_null(), "{command:#}");

    // Every request the record names arrived, as the record says: the ARM request line, the
    // management command's text.
    let log = env.requests();
    let sent = writes(&log);
    let mut named = 0;
    for change in record["changes"].as_array().unwrap() {
        for operation in change["operations"].as_array().unwrap() {
            for request in operation["requests"].as_array().unwrap() {
                let id = request["client_request_id"].as_str().unwrap();
                let arrived = sent
                    .iter()
                    .find(|r| r.client_request_id.as_deref() == Some(id))
                    .unwrap_or_else(|| panic!("no request {id} arrived: {operation:#}"));
                match operation["command"].as_str() {
                    Some(command) => assert_eq!(arrived.csl.as_deref(), Some(command)),
                    None => {
                        let line = operation["request"].as_str().unwrap();
                        assert_eq!(
                            line,
                            format!(
                                "{} {}?{}",
                                arrived.method,
                                arrived.path,
                                arrived.query.as_deref().unwrap_or_default()
                            )
                        );
                    }
                }
                assert_eq!(request["http_status"], json!(arrived.status));
                named += 1;
            }
        }
    }
    assert_eq!(named, sent.len(), "every write is in the record");
}

/// A token never reaches the record, the output or the logs; its claims do.
#[test]
fn the_token_never_appears_even_at_the_highest_verbosity() {
    let canary = "c4n4ry-7e1d-secret";
    let token = jwt(canary);
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", TWO));
    let apply = env
        .run(
            &["-vv", "apply", "--auto-approve", "--record", "r.json"],
            &[("KFOLLOW_ACCESS_TOKEN", &token), ("KFOLLOW_LOG", "trace")],
        )
        .expect_code(0);
    let record = std::fs::read_to_string(env.workspace.path().join("r.json")).unwrap();
    assert!(record.contains("ada.lovelace@contoso.com"), "{record}");
    let canary_b64 = base64url(canary.as_bytes());
    for (what, text) in [
        ("record", &record),
        ("stdout", &apply.stdout),
        ("stderr", &apply.stderr),
    ] {
        for secret in [token.as_str(), canary, canary_b64.as_str()] {
            assert!(!text.contains(secret), "the {what} holds `{secret}`");
        }
    }
    assert!(
        apply.stderr.len() > 1000,
        "-vv logs the requests: {}",
        apply.stderr
    );
}

#[test]
fn a_token_that_is_not_a_jwt_is_an_unknown_caller() {
    let canary = "c4n4ry-not-a-jwt";
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", TWO));
    env.run(
        &["apply", "--auto-approve", "--record", "r.json"],
        &[("KFOLLOW_ACCESS_TOKEN", canary)],
    )
    .expect_code(0);
    let text = std::fs::read_to_string(env.workspace.path().join("r.json")).unwrap();
    assert!(!text.contains(canary), "{text}");
    let record: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        record["applied_by"],
        json!({"verified": false, "unknown_caller": "the access token is not a JWT"})
    );
    assert_eq!(record["result"], "complete");
}

/// A saved plan's SHA-256 is the file's; an apply stopped before its first write says why.
#[test]
fn a_saved_plan_is_named_by_its_sha256_and_a_refusal_is_recorded() {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", TWO));
    env.run(&["plan", "--out", "reviewed.plan"], &[])
        .expect_code(0);
    // The world moves: the saved plan is stale and refused.
    env.workspace.write(
        "other.yaml",
        &manifest(
            "",
            "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n",
        ),
    );
    env.run(&["apply", "--auto-approve", "-f", "other.yaml"], &[])
        .expect_code(0);
    let apply = env
        .run(&["apply", "reviewed.plan", "--record", "r.json"], &[])
        .expect_code(1);
    assert!(apply.stderr.contains("stale"), "{}", apply.stderr);
    let record = read_record(&env.workspace, "r.json");
    let bytes = std::fs::read(env.workspace.path().join("reviewed.plan")).unwrap();
    assert_eq!(
        record["saved_plan"],
        json!({"path": "reviewed.plan", "sha256": kfollow_model::sha256_hex(&bytes)})
    );
    assert_eq!(record["manifest"]["path"], "kfollow.yaml");
    assert_eq!(record["result"], "not_started");
    assert!(
        record["error"].as_str().unwrap().contains("stale"),
        "{record:#}"
    );
    assert_eq!(record["changes"], json!([]));

    // A manifest that cannot be read is recorded as well.
    let apply = env
        .run(
            &["apply", "-f", "missing.yaml", "--record", "missing.json"],
            &[],
        )
        .expect_code(1);
    assert!(apply.stderr.contains("missing.yaml"), "{}", apply.stderr);
    let record = read_record(&env.workspace, "missing.json");
    assert_eq!(record["result"], "not_started");
    assert!(record["error"].as_str().unwrap().contains("missing.yaml"));
}

/// A record that cannot be written is refused before anything is read or changed.
#[test]
fn a_record_that_cannot_be_written_stops_the_apply_before_any_write() {
    let env = Standalone::start(&small_world(""));
    env.workspace.write("kfollow.yaml", &manifest("", TWO));
    for flag in ["--record", "--rollback-manifest"] {
        let apply = env
            .run(
                &["apply", "--auto-approve", flag, "no/such/folder/r.json"],
                &[],
            )
            .expect_code(1);
        assert!(
            apply.stderr.contains("no/such/folder/r.json")
                && apply.stderr.contains("nothing was changed"),
            "{}",
            apply.stderr
        );
    }
    assert!(env.requests().is_empty(), "{:?}", env.requests());
}

/// Ctrl-C: the change in flight finishes, the rest is not attempted, and the record says so.
#[cfg(unix)]
#[test]
fn an_interrupted_apply_is_recorded() {
    let world = small_world("").replace("settings:\n", "settings:\n  operationMs: 1500\n");
    let env = Standalone::start(&world);
    env.workspace.write(
        "kfollow.yaml",
        &manifest(
            "",
            "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n    followerDatabase:\n      hotCachePeriod: 7d\n",
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_kfollow"))
        .args(["apply", "--auto-approve", "--record", "r.json"])
        .current_dir(env.workspace.path())
        .env("NO_COLOR", "1")
        .env("KFOLLOW_ARM_ENDPOINT", env.emulator.base_url())
        .env("KFOLLOW_ACCESS_TOKEN", "test-token")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("attachment.f1/sales: Attaching...") {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(child.wait().unwrap().code(), Some(1), "{rest:#?}");
    let record = read_record(&env.workspace, "r.json");
    assert_eq!(record["result"], "interrupted", "{record:#}");
    assert_eq!(record["changes"][0]["outcome"], "succeeded");
    assert_eq!(record["changes"][1]["outcome"], "not_attempted");
    assert_eq!(
        record["changes"][1]["reason"],
        "not attempted because apply was interrupted"
    );
}

/// The values that differ from one run to the next, replaced by `"…"` wherever they are (a
/// `null` stays: whether there is a value is part of the shape).
fn without_volatile_values(value: &mut Value) {
    const VOLATILE: [&str; 9] = [
        "started_at",
        "finished_at",
        "duration_ms",
        "client_request_id",
        "request_id",
        "correlation_request_id",
        "activity_id",
        "operation_id",
        "arm_endpoint",
    ];
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if VOLATILE.contains(&key.as_str()) && !value.is_null() {
                    *value = json!("…");
                } else {
                    without_volatile_values(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_volatile_values),
        _ => {}
    }
}

/// `docs/apply-record.md` shows real output: its example is the record of
/// [`partly_failed`], but for the values that change with every run.
#[test]
fn the_documented_example_is_what_kfollow_writes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/apply-record.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let example = doc
        .split("<!-- example: begin -->\n```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n<!-- example: end -->").next())
        .expect("docs/apply-record.md has an example between its markers");
    let mut documented: Value = serde_json::from_str(example).expect("the example is JSON");
    let (env, mut written) = partly_failed(&jwt("c4n4ry"));
    // The emulator's port is in the messages of the failed request.
    let text = written
        .to_string()
        .replace(env.emulator.base_url(), "https://management.azure.com");
    written = serde_json::from_str(&text).unwrap();
    without_volatile_values(&mut documented);
    without_volatile_values(&mut written);
    assert_eq!(
        documented,
        written,
        "docs/apply-record.md's example is not what kfollow writes; it writes:\n{}",
        serde_json::to_string_pretty(&written).unwrap()
    );
}

/// A second Ctrl-C stops kfollow at once, with no report of the apply: the record still says
/// what was in flight, and that its outcome is unknown.
#[cfg(unix)]
#[test]
fn an_apply_stopped_at_once_is_recorded_with_its_change_in_flight_unknown() {
    use crate::interrupt::{exit_code, hanging_apply, signal};
    use crate::support::wait_for;

    let ws = Workspace::new();
    let (mut child, _stdout, stderr) = hanging_apply(&ws, &["--record", "r.json"]);
    signal(&child, "INT");
    wait_for(&stderr, "interrupt received: no new change will start");
    signal(&child, "INT");
    assert_eq!(exit_code(&mut child), Some(1));

    let record = read_record(&ws, "r.json");
    assert_eq!(record["result"], "interrupted", "{record:#}");
    let sales = &record["changes"][0];
    assert_eq!(sales["address"], "attachment.f1/sales", "{record:#}");
    assert_eq!(sales["outcome"], "unknown", "{record:#}");
    assert!(
        sales["reason"]
            .as_str()
            .is_some_and(|r| r.contains("second interrupt")),
        "{record:#}"
    );
    assert_eq!(sales["operations"][0]["status"], "unknown", "{record:#}");
    assert_eq!(record["summary"]["unknown"], 1, "{record:#}");
}

/// An interrupt before the first write (here while the live state is read) ends the apply at
/// once, and the record says it did not start; nothing was changed.
#[cfg(unix)]
#[test]
fn an_apply_interrupted_before_its_first_write_is_recorded() {
    use crate::interrupt::{exit_code, signal, spawn_apply};
    use crate::support::wait_for;

    let slow_read = "settings:\n  faults:\n    - method: GET\n      path: \"*/attachedDatabaseConfigurations\"\n      respond: delay\n      delayMs: 60000\n";
    let world = small_world("").replace("settings:\n", slow_read);
    let message = "interrupted before the first write; nothing was changed";
    for record in [true, false] {
        let ws = Workspace::new();
        let extra: &[&str] = if record {
            &["-v", "--record", "r.json"]
        } else {
            &["-v"]
        };
        let (mut child, _stdout, stderr) = spawn_apply(&ws, &world, extra);
        // The clusters are read first; the attachments' read then hangs.
        wait_for(&stderr, "clusters/follower1?api-version");
        signal(&child, "INT");
        let seen = wait_for(&stderr, message);
        assert_eq!(exit_code(&mut child), Some(1), "{seen:?}");
        assert_eq!(ws.path().join("r.json").exists(), record);
        if record {
            let record = read_record(&ws, "r.json");
            assert_eq!(record["result"], "not_started", "{record:#}");
            assert_eq!(record["error"], message, "{record:#}");
            assert_eq!(record["changes"], json!([]), "{record:#}");
        }
    }
}

/// The record and the rollback manifest are written at the end or just before the first
/// write: one that names a file the apply reads is refused before anything is read or changed.
#[test]
fn a_record_or_rollback_manifest_over_an_input_is_refused_before_any_write() {
    let env = Standalone::start(&small_world(""));
    let text = manifest("", TWO);
    env.workspace.write("kfollow.yaml", &text);
    for (flag, file) in [
        ("--record", "kfollow.yaml"),
        ("--rollback-manifest", "./kfollow.yaml"),
    ] {
        let apply = env
            .run(&["apply", "--auto-approve", flag, file], &[])
            .expect_code(1);
        assert!(
            apply.stderr.contains("which this run reads")
                && apply.stderr.contains("nothing was changed"),
            "{}",
            apply.stderr
        );
        let kept = std::fs::read_to_string(env.workspace.path().join("kfollow.yaml")).unwrap();
        assert_eq!(kept, text);
    }
    assert!(env.requests().is_empty(), "{:?}", env.requests());
}
