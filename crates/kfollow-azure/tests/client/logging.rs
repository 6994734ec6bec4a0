//! What the debug log says about each request, and what it never says.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::{CANARY, Reply, Server, cluster};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_call_is_logged_with_method_url_status_and_duration_but_no_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    // The most verbose level, every target (reqwest and hyper too). A global subscriber: a
    // thread-scoped one misses callsites whose interest other tests' threads cached first. It
    // sees the other tests' requests too, all sent with the same canary token.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let server = Server::start(|_, index| match index {
        0 => Reply::json(429, "{}").with("retry-after-ms", "1"),
        _ => Reply::json(200, r#"{"value":[]}"#),
    })
    .await;
    server.arm().list_attachments(&cluster("c")).await.unwrap();

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("http request") && l.contains(&server.base))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    for (line, status) in lines.iter().zip(["429", "200"]) {
        assert!(line.contains("method=GET"), "{line}");
        assert!(
            line.contains("/clusters/c/attachedDatabaseConfigurations?api-version=2025-02-14"),
            "{line}"
        );
        assert!(line.contains(&format!("status={status}")), "{line}");
        assert!(line.contains("duration_ms="), "{line}");
        assert!(line.contains("request_id="), "{line}");
    }
    assert!(!log.contains(CANARY), "{log}");
    assert!(!log.to_ascii_lowercase().contains("bearer"), "{log}");
}
