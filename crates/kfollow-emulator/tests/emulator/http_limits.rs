//! The HTTP layer under slow or idle requests: it closes what never completes and keeps a bound
//! on open connections.

use std::time::Duration;

use kfollow_emulator::{Options, World};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{API, Env, PROD, WORLD};

/// Long enough for anything the emulator does promptly, on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(20);

fn env_with(options: Options) -> Env {
    Env::with_options(World::from_yaml(WORLD).unwrap(), options)
}

/// Sends the start of a request head and never the rest.
async fn half_sent(env: &Env) -> TcpStream {
    let mut stream = TcpStream::connect(env.address()).await.unwrap();
    let head = format!("GET {PROD}?{API} HTTP/1.1\r\nHost: {}\r\n", env.address());
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Reads until the emulator closes the connection; `None` if it does not within [`PATIENCE`].
async fn until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    match tokio::time::timeout(PATIENCE, stream.read_to_end(&mut received)).await {
        Ok(_) => Some(received),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_half_sent_request_is_closed_while_others_are_served() {
    let mut env = env_with(Options {
        header_timeout: Duration::from_millis(100),
        ..Options::default()
    });
    // The timeout closes idle kept-alive connections too, so each request gets a fresh one.
    env.client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut stalled = half_sent(&env).await;
    assert_eq!(env.get(PROD).await.status, StatusCode::OK);
    let received = until_closed(&mut stalled)
        .await
        .expect("the emulator closes a request head that never completes");
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    assert_eq!(env.get(PROD).await.status, StatusCode::OK);
    assert_eq!(env.emulator.requests().len(), 2);
}

#[tokio::test]
async fn connections_past_the_bound_wait_for_a_free_one() {
    let env = env_with(Options {
        max_connections: 1,
        ..Options::default()
    });
    let stalled = half_sent(&env).await;
    let url = env.url(PROD);
    let waiting = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .bearer_auth("t")
            .send()
            .await
            .map(|answer| answer.status())
    });
    // The one connection allowed is taken: the second client is not served, however long it
    // waits (a slow machine can only make this pass without proving anything, never fail).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished());
    drop(stalled);
    let status = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("the second client is served once the first connection closes")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
}
