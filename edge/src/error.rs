//! Every way a request can fail, and the JSON answer each one gets.
//!
//! The body is always `{"error":{"code","message","fields":[...]}}` (plus
//! `problems` for a broken inline playbook). Internal causes (D1, Durable
//! Object, runtime errors) are logged with `console_error!` and never sent.

use baton::wire::FieldError;
use baton::Problem;
use serde::Serialize;
use worker::{console_error, Response};

use crate::cors::Cors;

/// Largest request body the API reads; a lead is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

#[derive(Debug)]
pub enum AppError {
    /// The body is not JSON at all (syntax error, truncated, not UTF-8).
    BadJson(String),
    /// JSON, but not the shape the endpoint takes.
    BadShape(String),
    UnsupportedVersion(u32),
    /// The `Idempotency-Key` header is empty, too long or not visible ASCII.
    BadIdempotencyKey(String),
    /// The key was used before for a different lead.
    IdempotencyKeyReused,
    TooLarge,
    OriginNotAllowed(String),
    UnknownForm(String),
    NotFound(String),
    MethodNotAllowed {
        method: String,
        path: String,
        /// The methods the path does answer, for the `Allow` header (RFC 9110).
        allow: &'static str,
    },
    InvalidFields(Vec<FieldError>),
    InvalidPlaybook(Vec<Problem>),
    /// D1 could not take the lead; the caller should retry.
    StorageUnavailable(String),
    /// Anything else that went wrong on our side.
    Internal(String),
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'static str,
    message: String,
    fields: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<&'a [Problem]>,
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadJson(_)
            | AppError::BadShape(_)
            | AppError::UnsupportedVersion(_)
            | AppError::BadIdempotencyKey(_) => 400,
            AppError::OriginNotAllowed(_) => 403,
            AppError::UnknownForm(_) | AppError::NotFound(_) => 404,
            AppError::MethodNotAllowed { .. } => 405,
            AppError::TooLarge => 413,
            AppError::InvalidFields(_)
            | AppError::InvalidPlaybook(_)
            | AppError::IdempotencyKeyReused => 422,
            AppError::Internal(_) => 500,
            AppError::StorageUnavailable(_) => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadJson(_) => "invalid_json",
            AppError::BadShape(_) => "invalid_request",
            AppError::UnsupportedVersion(_) => "unsupported_version",
            AppError::BadIdempotencyKey(_) => "invalid_idempotency_key",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::TooLarge => "payload_too_large",
            AppError::OriginNotAllowed(_) => "origin_not_allowed",
            AppError::UnknownForm(_) => "unknown_form",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed { .. } => "method_not_allowed",
            AppError::InvalidFields(_) => "invalid_fields",
            AppError::InvalidPlaybook(_) => "invalid_playbook",
            AppError::StorageUnavailable(_) => "storage_unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// What the caller reads: lowercase, input in backticks, says what to do.
    pub fn message(&self) -> String {
        match self {
            AppError::BadJson(e) => format!("the body is not valid JSON: {e}"),
            AppError::BadShape(e) => format!("the body has the wrong shape: {e}"),
            AppError::UnsupportedVersion(v) => format!(
                "wire version `{v}` is not supported; send `\"v\": {}`",
                baton::wire::WIRE_VERSION
            ),
            AppError::BadIdempotencyKey(k) => format!(
                "the `Idempotency-Key` header `{k}` is not a key: send 1 to 255 visible ASCII characters, such as a UUID"
            ),
            AppError::IdempotencyKeyReused => "this `Idempotency-Key` was already used for a different lead; send a new key for each lead and the same key only when retrying it".into(),
            AppError::TooLarge => format!(
                "the body is larger than {} KB; a lead is far smaller, send only the form's answers",
                MAX_BODY_BYTES / 1024
            ),
            AppError::OriginNotAllowed(o) => format!(
                "this form does not accept leads from `{o}`; add it to `allowed_origins` in the playbook"
            ),
            AppError::UnknownForm(f) => format!("there is no form `{f}`"),
            AppError::NotFound(p) => format!("there is nothing at `{p}`; the API lives under `/v1/`"),
            AppError::MethodNotAllowed {
                method,
                path,
                allow,
            } => format!("`{method}` is not allowed on `{path}`; it takes {allow}"),
            AppError::InvalidFields(f) => format!(
                "{} answer{} need{} fixing",
                f.len(),
                if f.len() == 1 { "" } else { "s" },
                if f.len() == 1 { "s" } else { "" }
            ),
            AppError::InvalidPlaybook(p) => format!(
                "the playbook has {} problem{}",
                p.len(),
                if p.len() == 1 { "" } else { "s" }
            ),
            AppError::StorageUnavailable(_) => {
                "the lead could not be stored right now; please try again in a moment".into()
            }
            AppError::Internal(_) => "something went wrong on our side; please try again".into(),
        }
    }

    /// The JSON answer, with CORS headers for the caller when it may read them.
    pub fn into_response(self, cors: &Cors) -> Response {
        match &self {
            AppError::StorageUnavailable(cause) | AppError::Internal(cause) => {
                console_error!("{}: {cause}", self.code());
            }
            _ => {}
        }
        let fields: &[FieldError] = match &self {
            AppError::InvalidFields(f) => f,
            _ => &[],
        };
        let problems = match &self {
            AppError::InvalidPlaybook(p) => Some(p.as_slice()),
            _ => None,
        };
        let body = Body {
            error: Inner {
                code: self.code(),
                message: self.message(),
                fields,
                problems,
            },
        };
        let mut res = json_response(&body, self.status(), cors);
        if let AppError::MethodNotAllowed { allow, .. } = &self {
            let _ = res.headers_mut().set("allow", allow);
        }
        res
    }
}

impl From<worker::Error> for AppError {
    fn from(e: worker::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// A JSON response that cannot fail: serializing our own types is infallible
/// in practice, and if building the response ever fails we still answer.
pub fn json_response<T: Serialize>(body: &T, status: u16, cors: &Cors) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        console_error!("serializing a response failed: {e}");
        r#"{"error":{"code":"internal","message":"something went wrong on our side; please try again","fields":[]}}"#.into()
    });
    let mut res = Response::builder()
        .with_status(status)
        .fixed(text.into_bytes());
    let headers = res.headers_mut();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    cors.apply(headers);
    res
}
