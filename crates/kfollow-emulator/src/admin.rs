//! The admin routes under `/_emulator`: the request log, the world and the faults. They are for
//! tests and demos, so they are not logged, and latency and faults do not apply to them.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::reply::{ArmError, Reply};
use crate::state::State;

/// Answers a request under `/_emulator`.
pub(crate) fn handle(state: &mut State, method: &Method, path: &str, body: &[u8]) -> Reply {
    let route = path.trim_end_matches('/').trim_start_matches("/_emulator");
    match (route, method) {
        ("/requests", &Method::GET) => {
            Reply::ok(serde_json::to_value(&state.log).unwrap_or(Value::Null))
        }
        ("/requests", &Method::DELETE) => {
            state.log.clear();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        ("/world", &Method::GET) => {
            Reply::ok(serde_json::to_value(&state.world).unwrap_or(Value::Null))
        }
        ("/faults", &Method::GET) => {
            Reply::ok(serde_json::to_value(&state.world.settings.faults).unwrap_or(Value::Null))
        }
        ("/faults", &Method::DELETE) => {
            state.world.settings.faults.clear();
            state.revision += 1;
            Reply::empty(StatusCode::NO_CONTENT)
        }
        ("/faults", &Method::POST) => {
            let parsed = serde_json::from_slice::<Vec<Fault>>(body)
                .or_else(|_| serde_json::from_slice::<Fault>(body).map(|f| vec![f]));
            match parsed {
                Ok(faults) => {
                    state.world.settings.faults.extend(faults);
                    state.revision += 1;
                    Reply::empty(StatusCode::NO_CONTENT)
                }
                Err(e) => {
                    ArmError::invalid_content(format!("not a fault or a list of faults: {e}"))
                        .reply()
                }
            }
        }
        _ => Reply::with(
            StatusCode::NOT_FOUND,
            json!({"error": {"code": "NotFound", "message": format!("no admin route `{method} {path}`")}}),
        ),
    }
}
