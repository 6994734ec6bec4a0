//! Errors of the management endpoint, as the service answers them: an HTTP status and a OneApi body
//! (`{"error":{"code","message","@type","@message","@permanent",…}}`,
//! <https://learn.microsoft.com/kusto/api/rest/response>, "Response body": a JSON document per the
//! Microsoft REST API guidelines). Codes and exception types follow the public Kusto.Data
//! exceptions reference (<https://learn.microsoft.com/kusto/api/netfx/kusto-data-client-errors>):
//! `SyntaxException` → `BadRequest_SyntaxError`, `InvalidLiteralFormatException` →
//! `BadRequest_SyntaxError`, `EntityNotFoundException` → `BadRequest_EntityNotFound`,
//! `KustoBadRequestException` → `General_BadRequest`, all 400 and permanent.

use std::fmt;

use serde_json::{Value, json};

use super::parser::{ParseError, ParseErrorKind};

/// A failed management command: the status and OneApi body to answer with.
#[derive(Debug, Clone, PartialEq)]
pub struct KustoError {
    /// The HTTP status.
    pub status: u16,
    /// The OneApi error body.
    pub body: Value,
}

impl KustoError {
    /// An error with the given status, OneApi `code`, exception type (`@type`, e.g.
    /// `Kusto.Data.Exceptions.SyntaxException`) and detailed message (`@message`). `message`
    /// is the short text the service puts beside the code.
    pub fn new(status: u16, code: &str, exception_type: &str, detail: &str) -> KustoError {
        let message = match status {
            400 => "Request is invalid and cannot be executed.",
            401 => "Unauthorized",
            403 => "Principal is not authorized to perform this operation.",
            404 => "The requested entity was not found.",
            429 => "The request was denied due to throttling.",
            _ => "Service encountered an error while processing the request.",
        };
        KustoError {
            status,
            body: json!({
                "error": {
                    "code": code,
                    "message": message,
                    "@type": exception_type,
                    "@message": detail,
                    "@context": {
                        "serviceAlias": "KFOLLOW-EMULATOR",
                        "machineName": "KEngine000000",
                        "processName": "kfollow-emulator",
                    },
                    "@permanent": status < 500 && status != 429,
                }
            }),
        }
    }

    /// Adds the command text and database, as the service's errors carry them.
    fn with_request(mut self, csl: &str, database: &str) -> KustoError {
        if let Some(error) = self.body.get_mut("error").and_then(Value::as_object_mut) {
            error.insert("@text".to_owned(), Value::from(csl));
            error.insert("@database".to_owned(), Value::from(database));
        }
        self
    }

    /// The error for a command that did not parse.
    pub(crate) fn from_parse(error: &ParseError, csl: &str, database: &str) -> KustoError {
        let located = format!(
            "{} [line:position={}:{}]",
            error.message, error.line, error.position
        );
        let built = match error.kind {
            ParseErrorKind::Syntax => KustoError::new(
                400,
                "BadRequest_SyntaxError",
                "Kusto.Data.Exceptions.SyntaxException",
                &format!("Syntax error: SYN0002: {located}"),
            ),
            ParseErrorKind::InvalidLiteral => KustoError::new(
                400,
                "BadRequest_SyntaxError",
                "Kusto.Data.Exceptions.InvalidLiteralFormatException",
                &located,
            ),
            ParseErrorKind::InvalidPrincipal => KustoError::new(
                400,
                "General_BadRequest",
                "Kusto.Data.Exceptions.KustoBadRequestException",
                &located,
            ),
        };
        built.with_request(csl, database)
    }

    /// `Entity ID 'X' of kind 'Database' was not found.`, the service's wording.
    pub(crate) fn not_found(kind: &str, name: &str, csl: &str, database: &str) -> KustoError {
        KustoError::new(
            400,
            "BadRequest_EntityNotFound",
            "Kusto.Data.Exceptions.EntityNotFoundException",
            &format!("Entity ID '{name}' of kind '{kind}' was not found."),
        )
        .with_request(csl, database)
    }

    /// A follower command aimed at a database that is not a follower database.
    pub(crate) fn not_a_follower(name: &str, csl: &str, database: &str) -> KustoError {
        KustoError::new(
            400,
            "General_BadRequest",
            "Kusto.Data.Exceptions.KustoBadRequestException",
            &format!(
                "Database '{name}' is not a follower database: follower commands apply only to \
                 databases attached from a leader cluster."
            ),
        )
        .with_request(csl, database)
    }

    /// A command about the entities of a database, sent without one (no `db`, or the
    /// clients' default `NetDefaultDB`).
    pub(crate) fn no_database(csl: &str, database: &str) -> KustoError {
        KustoError::new(
            400,
            "General_BadRequest",
            "Kusto.Data.Exceptions.KustoBadRequestException",
            "The command needs a database: send it with the database in the request's 'db'.",
        )
        .with_request(csl, database)
    }

    /// The OneApi `code`.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// The detailed message (`@message`).
    pub fn detail(&self) -> &str {
        self.body["error"]["@message"].as_str().unwrap_or_default()
    }
}

impl fmt::Display for KustoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "management command failed with {} `{}`: {}",
            self.status,
            self.code(),
            self.detail()
        )
    }
}

impl std::error::Error for KustoError {}
