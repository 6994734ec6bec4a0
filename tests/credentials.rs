//! Signing in where CI runs, through the binary: an Azure Pipelines service connection asks
//! the pipeline's OIDC endpoint (a loopback stand-in here) for a federated token, a refusal
//! stops the chain with a message that names both CI routes, and the pipeline's access token
//! is never printed, even with `-vv`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::support::{Standalone, kfollow, manifest, small_world};

/// A stand-in for the pipeline's OIDC endpoint that refuses every caller with a 401, as Azure
/// DevOps does for a wrong service connection, and keeps each request's head.
struct OidcEndpoint {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn refusing_oidc_endpoint() -> OidcEndpoint {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/org/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
        listener.local_addr().unwrap()
    );
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                head.push_str(&line);
                line.clear();
            }
            seen.lock().unwrap().push(head);
            let body = r#"{"message":"the service connection does not exist"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    OidcEndpoint { url, requests }
}

const TOKEN_CANARY: &str = "canary-system-accesstoken-41d9";
const CONNECTION: &str = "6f1b7e2a-0000-4000-8000-00000000c0de";

#[test]
fn a_refused_service_connection_stops_the_chain_and_never_shows_the_token() {
    let oidc = refusing_oidc_endpoint();
    let env = Standalone::start(&small_world(""));
    env.workspace.write(
        "kfollow.yaml",
        &manifest(
            "",
            "  - name: sales\n    follower: f1\n    leader: lead\n    databaseName: Sales\n",
        ),
    );
    let run = kfollow(
        env.workspace.path(),
        &["plan", "-vv"],
        &[
            ("KFOLLOW_ARM_ENDPOINT", env.emulator.base_url()),
            (
                "AZURESUBSCRIPTION_TENANT_ID",
                "72f988bf-86f1-41af-91ab-2d7cd011db47",
            ),
            (
                "AZURESUBSCRIPTION_CLIENT_ID",
                "00000000-0000-0000-0000-0000000000a1",
            ),
            ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", CONNECTION),
            ("SYSTEM_ACCESSTOKEN", TOKEN_CANARY),
            ("SYSTEM_OIDCREQUESTURI", &oidc.url),
        ],
    )
    .expect_code(1);
    let output = run.output();
    assert!(!output.contains(TOKEN_CANARY), "{output}");

    // It asked the pipeline, with the job's token, for this service connection.
    let requests = oidc.requests.lock().unwrap().clone();
    assert!(!requests.is_empty(), "{output}");
    for head in &requests {
        let request_line = head.lines().next().unwrap();
        assert!(
            request_line.starts_with(&format!(
                "POST /org/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken?api-version=7.1&serviceConnectionId={CONNECTION} "
            )),
            "{head}"
        );
        assert!(
            head.to_lowercase()
                .contains(&format!("authorization: bearer {TOKEN_CANARY}")),
            "{head}"
        );
    }

    // The chain stopped at the service connection: nothing reached ARM, no other identity
    // was tried, and the message says how to sign in on either CI.
    assert!(env.requests().is_empty(), "{:?}", env.requests());
    for expected in [
        "service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET): not configured",
        "workload identity (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE): not configured",
        "Azure Pipelines service connection (",
        "401",
        "stopped here",
        "`azure/login`",
        "`AzureCLI@2`",
    ] {
        assert!(run.stderr.contains(expected), "{expected}:\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("- managed identity"), "{}", run.stderr);
    assert!(!run.stderr.contains("- Azure CLI"), "{}", run.stderr);
}
