//! The HTTP layer under slow, idle or oversized requests: it closes what never completes, keeps
//! a bound on open connections, and answers 413 to a body over its limit.

use std::time::Duration;

use kfollow_emulator::server::BODY_LIMIT;
use kfollow_emulator::{Options, World};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{API, EMEA, Env, PROD, WORLD};

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

/// The status and JSON body of a raw HTTP/1.1 answer with a `Content-Length` body.
fn parse_answer(raw: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap())
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

#[tokio::test]
async fn a_declared_body_over_the_limit_is_answered_413_unread() {
    let env = Env::new(WORLD);
    let mut stream = TcpStream::connect(env.address()).await.unwrap();
    // 100 MB announced and none of it sent: the answer cannot depend on reading it.
    let head = format!(
        "PUT {EMEA}/attachedDatabaseConfigurations/big?{API} HTTP/1.1\r\nHost: {}\r\n\
         Authorization: Bearer t\r\nContent-Type: application/json\r\n\
         Content-Length: 104857600\r\n\r\n",
        env.address()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let received = until_closed(&mut stream)
        .await
        .expect("the emulator answers without waiting for the body");
    let (status, body) = parse_answer(&received);
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "RequestContentTooLarge");
    let log = env.emulator.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, Some(413));
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_gets_a_one_api_413() {
    let env = Env::new(WORLD);
    let stream = TcpStream::connect(env.address()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /kusto/fcprod/v1/rest/mgmt HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        env.address()
    );
    // One chunk a byte over the limit, without a length up front.
    let size = BODY_LIMIT + 1;
    let sending = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        writer.write_all(format!("{size:x}\r\n").as_bytes()).await?;
        writer.write_all(&vec![b' '; size]).await?;
        // Keep the write half open until the answer is read.
        Ok::<_, std::io::Error>(writer)
    });
    let mut received = Vec::new();
    tokio::time::timeout(PATIENCE, reader.read_to_end(&mut received))
        .await
        .expect("the emulator answers once the body passes the limit")
        .unwrap();
    let _ = sending.await;
    let (status, body) = parse_answer(&received);
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "PayloadTooLarge");
    assert_eq!(
        body["error"]["@type"],
        "Kusto.Data.Exceptions.KustoRequestPayloadTooLargeException"
    );
}
