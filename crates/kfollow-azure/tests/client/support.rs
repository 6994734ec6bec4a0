//! A scripted loopback server: every request is recorded, and a closure decides each answer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kfollow_azure::{
    ArmClient, ArmConfig, ArmError, BusyPolicy, Cloud, PollPolicy, RetryPolicy, StaticToken,
    TokenSource, Unknown,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The token the tests send; it must never show in any output.
pub const CANARY: &str = "canary-token-7d1e0c5b";

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An answer.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: body.into(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::from_u16(self.status).unwrap(), self.body).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value.parse().unwrap());
        }
        response
    }
}

type Script = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// A running server.
pub struct Server {
    pub base: String,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Starts a server; `script` gets each request and its index (0-based, over all requests).
    pub async fn start(
        script: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let handler_log = log.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let log = handler_log.clone();
                let script = script.clone();
                async move {
                    let recorded = Recorded {
                        method,
                        uri: uri
                            .path_and_query()
                            .map(|p| p.as_str().to_owned())
                            .unwrap_or_default(),
                        headers,
                        body,
                        at: Instant::now(),
                    };
                    let index = {
                        let mut log = log.lock().unwrap();
                        log.push(recorded.clone());
                        log.len() - 1
                    };
                    script(&recorded, index)
                }
            },
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Server { base, log }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// An ARM client of this server with a static canary token and fast retries.
    pub fn arm(&self) -> ArmClient {
        self.arm_with(|_| {})
    }

    pub fn arm_with(&self, adjust: impl FnOnce(&mut ArmConfig)) -> ArmClient {
        let mut config = ArmConfig::for_cloud(Cloud::Public, token());
        config.endpoint = self.base.clone();
        config.retry = RetryPolicy::fast(3);
        config.poll = PollPolicy::fast();
        config.busy = BusyPolicy::fast(3);
        adjust(&mut config);
        ArmClient::new(config).unwrap()
    }

    /// An ARM client whose retries of one read alone (10 tries, a second apart at first) would
    /// outlast its operation timeout of 200 ms.
    pub fn arm_retrying_past_a_200ms_timeout(&self) -> ArmClient {
        self.arm_with(|c| {
            c.retry = RetryPolicy {
                max_attempts: 10,
                base_delay: Duration::from_secs(1),
                ..RetryPolicy::default()
            };
            c.operation_timeout = Duration::from_millis(200);
        })
    }
}

/// Asserts that `error` is an outcome left unknown by the 200 ms operation timeout, and that
/// `shown` (its message) says so.
pub fn assert_unknown_at_200ms_deadline(error: &ArmError, shown: &str) {
    assert!(
        matches!(
            error,
            ArmError::OutcomeUnknown {
                reason: Unknown::Deadline(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(shown.contains("did not finish within 200ms"), "{shown}");
}

pub fn token() -> Arc<dyn TokenSource> {
    Arc::new(StaticToken::new(CANARY, "test"))
}

/// The response body of an official example, by status.
pub fn example_body(file: &str, status: &str) -> String {
    let example = example(file);
    example["responses"][status]["body"].to_string()
}

/// A whole official example.
pub fn example(file: &str) -> Value {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn cluster(name: &str) -> kfollow_model::ClusterId {
    format!("/subscriptions/12345678-1234-1234-1234-123456789098/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters/{name}")
        .parse()
        .unwrap()
}

/// A raw HTTP/1.1 server whose first `drops` connections are closed after the request is
/// read, without an answer; later ones get `200` with `body`.
pub async fn dropping_server(drops: usize, body: &'static str) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(0usize));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = {
                let mut seen = counter.lock().unwrap();
                *seen += 1;
                *seen
            };
            tokio::spawn(async move {
                read_request(&mut socket).await;
                if n <= drops {
                    drop(socket);
                    return;
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, seen)
}

async fn read_request(socket: &mut tokio::net::TcpStream) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = socket.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buffer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return;
            }
        }
    }
}
