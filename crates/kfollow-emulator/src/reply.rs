//! What a route answers: a status, headers and an optional JSON body, and the ARM and Kusto
//! error bodies.
//!
//! ARM errors are `{"error":{"code","message"}}` (`ErrorResponse` in the Microsoft.Kusto REST API,
//! <https://learn.microsoft.com/rest/api/azurerekusto/>, `commonTypes`). Where the reference does
//! not fix a code, the emulator uses the one Azure is known to answer (cited at each constructor)
//! or `BadRequest` with the `[BadRequest] …` message prefix the Kusto resource provider uses
//! (Microsoft's REST example `KustoOperationResultsGet`).

use http::{HeaderValue, StatusCode, header};
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{Value, json};

/// An HTTP response of the emulator: the whole body at once.
pub type Response = http::Response<Full<Bytes>>;

/// A finished answer, before it becomes an HTTP response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Reply {
        Reply::with(StatusCode::OK, body)
    }

    /// A status with a JSON body.
    pub fn with(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// A status without a body.
    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response {
        let mut response = match &self.body {
            Some(body) => {
                let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                r
            }
            None => Response::new(Full::new(Bytes::new())),
        };
        *response.status_mut() = self.status;
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// An ARM error: status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `error.code`.
    pub code: String,
    /// `error.message`.
    pub message: String,
}

impl ArmError {
    /// Any status and code.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ArmError {
        ArmError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// 400 `BadRequest`, the Kusto resource provider's code for a request it refuses.
    pub fn bad_request(message: impl std::fmt::Display) -> ArmError {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("[BadRequest] {message}"),
        )
    }

    /// 400 `InvalidRequestContent`, ARM's code for a body it cannot read.
    pub fn invalid_content(message: impl std::fmt::Display) -> ArmError {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: {message}"),
        )
    }

    /// 404 `ResourceNotFound`, as ARM words it.
    pub fn not_found(resource_type: &str, name: &str, resource_group: &str) -> ArmError {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{resource_type}/{name}' under resource group '{resource_group}' \
                 was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    /// The ARM error body.
    pub fn body(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message}})
    }

    /// The reply carrying this error.
    pub fn reply(&self) -> Reply {
        Reply::with(self.status, self.body())
    }
}

/// A Kusto OneApi error body (<https://learn.microsoft.com/kusto/api/rest/response-v2>,
/// "OneApiErrors").
pub fn one_api_error(code: &str, message: &str, kind: &str, permanent: bool) -> Value {
    json!({
        "error": {
            "code": code,
            "message": message,
            "@type": kind,
            "@message": message,
            "@permanent": permanent,
        }
    })
}
