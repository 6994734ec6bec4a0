//! The HTTP server: hyper on its own tokio runtime and thread, so the emulator runs the same way
//! inside a test, inside the `kfollow` binary, or standalone.
//!
//! Routing is one function, [`dispatch`]: ARM matches paths case-insensitively (so an
//! off-the-shelf router's exact matching would need a layer that rewrites paths, and names would
//! still have to be read with their case), and a fault must be able to close a request's
//! connection without an answer, which only the code that owns the connection can do. Each
//! connection therefore has a hang-up signal its requests can fire.
//!
//! The server stays up under slow or hostile clients: a connection that has not sent a whole
//! request head within [`Options::header_timeout`] is closed, at most
//! [`Options::max_connections`] connections are open at once (the others wait in the listen
//! backlog, holding no descriptor of the emulator's), and a body over [`BODY_LIMIT`] is answered
//! 413 without being read.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper::body::{Body as _, Bytes, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot};

use crate::admin;
use crate::arm::{self, ArmRequest, Ctx};
use crate::data_plane;
use crate::faults::{self, Fault, FaultKind};
use crate::reply::{ArmError, Reply, Response, one_api_error};
use crate::state::{OperationRecord, RequestRecord, State};
use crate::world::World;

/// The largest request body the emulator reads, in bytes. ARM refuses a request body over 4 MB
/// with 413 `RequestContentTooLarge`; the emulator holds the data plane to the same limit.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct Options {
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Where to write the world back on every change, if anywhere.
    pub save_to: Option<PathBuf>,
    /// How long a connection may take to send a whole request head (request line and headers),
    /// counted from the moment it opens or its previous answer is sent. A connection that takes
    /// longer is closed without an answer.
    pub header_timeout: Duration,
    /// How many connections may be open at once; more wait to be accepted until one closes.
    pub max_connections: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            save_to: None,
            header_timeout: Duration::from_secs(10),
            // Half the usual limit of 1,024 open files: a flood of idle connections cannot
            // take the descriptors the rest of the process needs.
            max_connections: 512,
        }
    }
}

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on `{address}`")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The runtime thread could not start.
    #[error("cannot start the emulator's runtime")]
    Runtime(#[source] std::io::Error),
}

/// A running emulator. Dropping it stops it.
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    base_url: String,
    save_to: Option<PathBuf>,
    saved_revision: Mutex<u64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves a state that is still whole (every change is
        // one assignment), so a poisoned lock is taken over.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes the world back when `--save` asked for it and it changed.
    fn save_if_changed(&self, state: &State) {
        let Some(path) = &self.save_to else {
            return;
        };
        let mut saved = self
            .saved_revision
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *saved == state.revision {
            return;
        }
        match state.world.save(path) {
            Ok(()) => *saved = state.revision,
            Err(error) => eprintln!("kfollow-emulator: {error}"),
        }
    }
}

impl Emulator {
    /// Starts an emulator for a world on `127.0.0.1` and a free port.
    pub fn start(world: World) -> Result<Emulator, StartError> {
        Emulator::start_with(world, Options::default())
    }

    /// Starts an emulator on a given address.
    pub fn start_on(world: World, listen: SocketAddr) -> Result<Emulator, StartError> {
        Emulator::start_with(
            world,
            Options {
                listen,
                ..Options::default()
            },
        )
    }

    /// Starts an emulator with options.
    pub fn start_with(world: World, options: Options) -> Result<Emulator, StartError> {
        let listener = std::net::TcpListener::bind(options.listen)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| StartError::Bind {
                address: options.listen,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| StartError::Bind {
            address: options.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(world)),
            base_url: format!("http://{address}"),
            save_to: options.save_to,
            saved_revision: Mutex::new(0),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kfollow-emulator")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let (shutdown, stopped) = oneshot::channel();
        let server = Server {
            shared: shared.clone(),
            header_timeout: options.header_timeout,
            connections: Arc::new(Semaphore::new(options.max_connections)),
        };
        let thread = std::thread::Builder::new()
            .name("kfollow-emulator".into())
            .spawn(move || {
                runtime.block_on(server.serve(listener, stopped));
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(StartError::Runtime)?;
        Ok(Emulator {
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`: the ARM endpoint. Cluster `uri`s are under it.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// A snapshot of the current world (operations due by now are completed first).
    pub fn world(&self) -> World {
        let mut state = self.shared.lock();
        state.settle(Instant::now());
        state.world.clone()
    }

    /// Every request received so far (admin routes excluded), in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().log.iter().cloned().collect()
    }

    /// Every long-running operation started so far, oldest first, as it stands now.
    pub fn operations(&self) -> Vec<OperationRecord> {
        let mut state = self.shared.lock();
        state.settle(Instant::now());
        state.operation_records()
    }

    /// Clears the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Adds a fault to inject.
    pub fn add_fault(&self, fault: Fault) {
        let mut state = self.shared.lock();
        state.world.settings.faults.push(fault);
        state.revision += 1;
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// How long the accept loop pauses after a failed accept (most likely the process is out of
/// descriptors): accepting again at once would only spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// What every connection shares: the emulator's state and the limits of [`Options`].
#[derive(Debug, Clone)]
struct Server {
    shared: Arc<Shared>,
    header_timeout: Duration,
    connections: Arc<Semaphore>,
}

impl Server {
    /// Accepts connections until `stopped` fires.
    async fn serve(self, listener: std::net::TcpListener, mut stopped: oneshot::Receiver<()>) {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        loop {
            // A free slot first: a connection past the limit waits in the listen backlog.
            let permit = tokio::select! {
                _ = &mut stopped => break,
                permit = self.connections.clone().acquire_owned() => permit,
            };
            let Ok(permit) = permit else { break };
            let accepted = tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(self.clone().serve_connection(stream, permit));
                }
                Err(_) => tokio::time::sleep(ACCEPT_PAUSE).await,
            }
        }
    }

    /// Serves one connection until the client closes it, its request head times out, or a
    /// fault hangs it up. The slot it holds is freed when this returns.
    async fn serve_connection(self, stream: tokio::net::TcpStream, _slot: OwnedSemaphorePermit) {
        let hang_up = Arc::new(Notify::new());
        let shared = self.shared;
        let signal = hang_up.clone();
        let service = hyper::service::service_fn(move |request| {
            let shared = shared.clone();
            let hang_up = signal.clone();
            async move { Ok::<_, Infallible>(dispatch(&shared, &hang_up, request).await) }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        tokio::select! {
            _ = connection => {}
            () = hang_up.notified() => {}
        }
    }
}

/// Answers one request ([`answer`]) and, but on the admin routes, names the answer as the
/// service does: ARM with `x-ms-request-id` and `x-ms-correlation-request-id` (the caller's,
/// when it sent one), a cluster's management endpoint with `x-ms-activity-id`.
async fn dispatch(shared: &Arc<Shared>, hang_up: &Notify, request: Request<Incoming>) -> Response {
    let first = request
        .uri()
        .path()
        .split('/')
        .find(|segment| !segment.is_empty())
        .unwrap_or_default()
        .to_owned();
    let correlation = request
        .headers()
        .get("x-ms-correlation-request-id")
        .cloned();
    let mut response = answer(shared, hang_up, request).await;
    let new_id = || {
        http::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .unwrap_or_else(|_| http::HeaderValue::from_static("0"))
    };
    let headers = response.headers_mut();
    if first.eq_ignore_ascii_case("kusto") {
        headers.insert("x-ms-activity-id", new_id());
    } else if first != "_emulator" {
        headers.insert("x-ms-request-id", new_id());
        headers.insert(
            "x-ms-correlation-request-id",
            correlation.unwrap_or_else(new_id),
        );
    }
    response
}

/// Answers one request: an admin route, or (after the latency and any fault) a Kusto data-plane
/// route under `/kusto/<cluster>/…` or an ARM route. Every request but the admin routes is
/// logged. `hang_up` closes the request's connection without an answer.
async fn answer(shared: &Arc<Shared>, hang_up: &Notify, request: Request<Incoming>) -> Response {
    let (head, body) = request.into_parts();
    let method = head.method;
    let path = head.uri.path().to_owned();
    let query = head.uri.query().map(str::to_owned);
    let authorization = bearer_header(&head.headers);
    let client_request_id = head
        .headers
        .get("x-ms-client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = read_body(body).await;
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        let reply = match body {
            Ok(body) => {
                let mut state = shared.lock();
                state.settle(Instant::now());
                let reply = admin::handle(&mut state, &method, &path, &body);
                shared.save_if_changed(&state);
                reply
            }
            Err(error) => error.reply(false),
        };
        return reply.into_response();
    }

    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let is_kusto = segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("kusto"));
    let csl = match &body {
        Ok(body) if is_kusto => data_plane::csl_of(body),
        _ => None,
    };
    let record = |status: Option<u16>| RequestRecord {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        status,
        csl: csl.clone(),
        client_request_id: client_request_id.clone(),
    };
    let body = match body {
        Ok(body) => body,
        Err(error) => {
            let reply = error.reply(is_kusto);
            shared.lock().record(record(Some(reply.status.as_u16())));
            return reply.into_response();
        }
    };
    let is_write = matches!(method, Method::PUT | Method::PATCH | Method::DELETE)
        || (method == Method::POST
            && segments
                .last()
                .is_some_and(|s| s.eq_ignore_ascii_case("detachFollowerDatabases")));

    let (latency, fault) = {
        let mut state = shared.lock();
        let fault = faults::take(
            &mut state.world.settings.faults,
            method.as_str(),
            &path,
            is_write,
        );
        if fault.is_some() {
            state.revision += 1;
        }
        let fault = fault.or_else(|| data_plane::unanswered(&state.world, is_kusto, &segments));
        (state.world.settings.latency_ms, fault)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let mut operation_fault = None;
    if let Some(fault) = fault {
        let reply = match fault.respond {
            FaultKind::Throttle => Some(
                fault_reply(
                    is_kusto,
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    "the request was throttled (a fault injected by the emulator)",
                )
                .header("Retry-After", fault.retry_after_seconds.to_string()),
            ),
            FaultKind::InternalError => Some(fault_reply(
                is_kusto,
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "an internal error occurred (a fault injected by the emulator)",
            )),
            FaultKind::Unavailable => Some(fault_reply(
                is_kusto,
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "the service is unavailable (a fault injected by the emulator)",
            )),
            FaultKind::Drop => {
                {
                    let mut state = shared.lock();
                    state.record(record(None));
                    shared.save_if_changed(&state);
                }
                hang_up.notify_one();
                // The connection task drops this request when it closes the connection.
                return std::future::pending().await;
            }
            FaultKind::Delay => {
                tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
                None
            }
            FaultKind::FailOperation | FaultKind::HangOperation | FaultKind::Busy => {
                operation_fault = Some(fault);
                None
            }
        };
        if let Some(reply) = reply {
            let mut state = shared.lock();
            state.record(record(Some(reply.status.as_u16())));
            shared.save_if_changed(&state);
            return reply.into_response();
        }
    }

    let now = Instant::now();
    let mut state = shared.lock();
    state.settle(now);
    let reply = if is_kusto {
        data_plane::handle(
            &mut state,
            &shared.base_url,
            &method,
            &segments[1..],
            &body,
            authorization.as_deref(),
        )
    } else {
        let request = ArmRequest {
            method: &method,
            segments,
            query: parse_query(query.as_deref()),
            body: &body,
            authorization: authorization.as_deref(),
        };
        let mut ctx = Ctx {
            state: &mut state,
            base_url: &shared.base_url,
            now,
            operation_fault,
        };
        arm::handle(&mut ctx, &request)
    };
    state.record(record(Some(reply.status.as_u16())));
    shared.save_if_changed(&state);
    if let Some(due) = state.next_due() {
        let shared = shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(due.into()).await;
            let mut state = shared.lock();
            state.settle(Instant::now());
            shared.save_if_changed(&state);
        });
    }
    drop(state);
    reply.into_response()
}

fn bearer_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Why a request body was not read.
#[derive(Debug)]
enum BodyError {
    /// It is longer than [`BODY_LIMIT`].
    TooLarge,
    /// The connection failed or the body's framing is broken.
    Unreadable(String),
}

impl BodyError {
    /// The answer, as ARM or as the Kusto data plane gives it.
    fn reply(&self, is_kusto: bool) -> Reply {
        match (self, is_kusto) {
            // ARM's own wording for a body over its limit.
            (BodyError::TooLarge, false) => ArmError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestContentTooLarge",
                "The request content size exceeds the maximum size of 4 MB.",
            )
            .reply(),
            // The data plane's 413 is `PayloadTooLarge`, from this exception
            // (https://learn.microsoft.com/kusto/api/rest/response).
            (BodyError::TooLarge, true) => Reply::with(
                StatusCode::PAYLOAD_TOO_LARGE,
                one_api_error(
                    "PayloadTooLarge",
                    &format!("the request body is larger than {BODY_LIMIT} bytes"),
                    "Kusto.Data.Exceptions.KustoRequestPayloadTooLargeException",
                    true,
                ),
            ),
            (BodyError::Unreadable(cause), false) => {
                ArmError::invalid_content(format!("cannot read the body: {cause}")).reply()
            }
            (BodyError::Unreadable(cause), true) => Reply::with(
                StatusCode::BAD_REQUEST,
                one_api_error(
                    "BadRequest",
                    &format!("cannot read the request body: {cause}"),
                    "Kusto.Data.Exceptions.KustoBadRequestException",
                    true,
                ),
            ),
        }
    }
}

/// Reads a body of at most [`BODY_LIMIT`] bytes. A declared length over the limit is refused
/// before a byte of it is read.
async fn read_body(body: Incoming) -> Result<Bytes, BodyError> {
    if body.size_hint().lower() > BODY_LIMIT as u64 {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Err(error) => Err(BodyError::Unreadable(error.to_string())),
    }
}

fn fault_reply(is_kusto: bool, status: StatusCode, code: &str, message: &str) -> Reply {
    if is_kusto {
        Reply::with(
            status,
            one_api_error(
                code,
                message,
                "Kusto.Common.Svc.Exceptions.ServiceException",
                false,
            ),
        )
    } else {
        ArmError::new(status, code, message).reply()
    }
}

fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// Decodes `%XX` escapes (`+` is left alone: ARM paths do not use form encoding).
fn percent_decode(text: &str) -> String {
    fn hex(byte: u8) -> Option<u8> {
        (byte as char)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(high * 16 + low);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
