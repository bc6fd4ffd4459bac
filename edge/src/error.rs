//! Every way a request can fail, and the JSON answer each one gets.
//!
//! The body is always `{"error":{"code","message","fields":[...]}}` (plus
//! `problems` for a broken inline playbook). Internal causes (D1, Durable
//! Object, runtime errors) are logged with `console_error!` and never sent.

use baton::wire::{ErrorBody, ErrorCode, ErrorDetail, FieldError};
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
    /// A query parameter the endpoint does not take, or one it cannot read.
    BadQuery(String),
    /// A report window each of whose bounds reads, but which together name no
    /// window the report can serve (reversed, or too many leads): 422, since
    /// the query is well formed.
    BadWindow(String),
    /// An admin endpoint without `Authorization: Bearer <token>`.
    Unauthorized,
    /// A wrong admin token, or the admin API is off.
    Forbidden(String),
    LeadNotFound(String),
    /// A reason or amount that does not go with the outcome, or a bad time.
    InvalidOutcome(String),
    /// Won after lost (or the other way round): a deal ends once.
    OutcomeConflict(String),
    /// A feedback link past its expiry.
    LinkExpired,
    InvalidFields(Vec<FieldError>),
    InvalidPlaybook(Vec<Problem>),
    /// D1 could not take the lead; the caller should retry.
    StorageUnavailable(String),
    /// Anything else that went wrong on our side.
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadJson(_)
            | AppError::BadShape(_)
            | AppError::UnsupportedVersion(_)
            | AppError::BadIdempotencyKey(_)
            | AppError::BadQuery(_) => 400,
            AppError::Unauthorized => 401,
            AppError::OriginNotAllowed(_) | AppError::Forbidden(_) => 403,
            AppError::UnknownForm(_) | AppError::NotFound(_) | AppError::LeadNotFound(_) => 404,
            AppError::MethodNotAllowed { .. } => 405,
            AppError::OutcomeConflict(_) => 409,
            AppError::LinkExpired => 410,
            AppError::TooLarge => 413,
            AppError::InvalidFields(_)
            | AppError::InvalidPlaybook(_)
            | AppError::InvalidOutcome(_)
            | AppError::BadWindow(_)
            | AppError::IdempotencyKeyReused => 422,
            AppError::Internal(_) => 500,
            AppError::StorageUnavailable(_) => 503,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::BadJson(_) => ErrorCode::InvalidJson,
            AppError::BadShape(_) => ErrorCode::InvalidRequest,
            AppError::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            AppError::BadIdempotencyKey(_) => ErrorCode::InvalidIdempotencyKey,
            AppError::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            AppError::TooLarge => ErrorCode::PayloadTooLarge,
            AppError::BadQuery(_) => ErrorCode::InvalidQuery,
            AppError::BadWindow(_) => ErrorCode::InvalidWindow,
            AppError::Unauthorized => ErrorCode::Unauthorized,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::LeadNotFound(_) => ErrorCode::LeadNotFound,
            AppError::OriginNotAllowed(_) => ErrorCode::OriginNotAllowed,
            AppError::UnknownForm(_) => ErrorCode::UnknownForm,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            AppError::InvalidFields(_) => ErrorCode::InvalidFields,
            AppError::InvalidOutcome(_) => ErrorCode::InvalidOutcome,
            AppError::OutcomeConflict(_) => ErrorCode::OutcomeConflict,
            AppError::LinkExpired => ErrorCode::LinkExpired,
            AppError::InvalidPlaybook(_) => ErrorCode::InvalidPlaybook,
            AppError::StorageUnavailable(_) => ErrorCode::StorageUnavailable,
            AppError::Internal(_) => ErrorCode::Internal,
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
            AppError::BadQuery(e) | AppError::BadWindow(e) => e.clone(),
            AppError::Unauthorized => {
                "this endpoint needs the admin token: send `Authorization: Bearer <ADMIN_TOKEN>`".into()
            }
            AppError::Forbidden(why) => why.clone(),
            AppError::LeadNotFound(id) => format!("there is no lead `{id}`"),
            AppError::InvalidOutcome(why) | AppError::OutcomeConflict(why) => why.clone(),
            AppError::LinkExpired => "this feedback link has expired; record the outcome in your CRM or ask for the lead to be sent again".into(),
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

    /// The wire body of the answer (`baton::wire::ErrorBody`).
    pub fn body(self) -> ErrorBody {
        let (code, message) = (self.code(), self.message());
        let (fields, problems) = match self {
            AppError::InvalidFields(f) => (f, None),
            AppError::InvalidPlaybook(p) => (Vec::new(), Some(p)),
            _ => (Vec::new(), None),
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                fields,
                problems,
            },
        }
    }

    /// The JSON answer, with CORS headers for the caller when it may read them.
    pub fn into_response(self, cors: &Cors) -> Response {
        match &self {
            AppError::StorageUnavailable(cause) | AppError::Internal(cause) => {
                console_error!("{}: {cause}", self.code().as_str());
            }
            _ => {}
        }
        let status = self.status();
        let allow = match &self {
            AppError::MethodNotAllowed { allow, .. } => Some(*allow),
            _ => None,
        };
        let unauthorized = matches!(self, AppError::Unauthorized);
        let mut res = json_response(&self.body(), status, cors);
        if let Some(allow) = allow {
            let _ = res.headers_mut().set("allow", allow);
        }
        if unauthorized {
            // RFC 9110: a 401 says which scheme to use.
            let _ = res
                .headers_mut()
                .set("www-authenticate", "Bearer realm=\"baton-admin\"");
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
    // JSON is never to be read as anything else (a page, a script).
    let _ = headers.set("x-content-type-options", "nosniff");
    cors.apply(headers);
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton::wire::FieldErrorCode;

    /// One of every variant: the match below stops compiling when a variant
    /// is added and not listed here.
    fn one_of_each() -> Vec<AppError> {
        let all = vec![
            AppError::BadJson("eof".into()),
            AppError::BadShape("`v`".into()),
            AppError::UnsupportedVersion(9),
            AppError::BadIdempotencyKey(String::new()),
            AppError::IdempotencyKeyReused,
            AppError::TooLarge,
            AppError::OriginNotAllowed("https://x.example".into()),
            AppError::UnknownForm("nope".into()),
            AppError::NotFound("/nope".into()),
            AppError::MethodNotAllowed {
                method: "PUT".into(),
                path: "/v1/leads".into(),
                allow: "GET, POST, OPTIONS",
            },
            AppError::BadQuery("`limit`".into()),
            AppError::BadWindow("reversed".into()),
            AppError::Unauthorized,
            AppError::Forbidden("wrong token".into()),
            AppError::LeadNotFound("01J".into()),
            AppError::InvalidOutcome("no reason".into()),
            AppError::OutcomeConflict("already lost".into()),
            AppError::LinkExpired,
            AppError::InvalidFields(vec![FieldError {
                field: "email".into(),
                code: FieldErrorCode::Required,
                message: "required".into(),
            }]),
            AppError::InvalidPlaybook(vec![Problem {
                path: "rules[0]".into(),
                message: "bad".into(),
                hint: None,
            }]),
            AppError::StorageUnavailable("d1".into()),
            AppError::Internal("oops".into()),
        ];
        for e in &all {
            match e {
                AppError::BadJson(_)
                | AppError::BadShape(_)
                | AppError::UnsupportedVersion(_)
                | AppError::BadIdempotencyKey(_)
                | AppError::IdempotencyKeyReused
                | AppError::TooLarge
                | AppError::OriginNotAllowed(_)
                | AppError::UnknownForm(_)
                | AppError::NotFound(_)
                | AppError::MethodNotAllowed { .. }
                | AppError::BadQuery(_)
                | AppError::BadWindow(_)
                | AppError::Unauthorized
                | AppError::Forbidden(_)
                | AppError::LeadNotFound(_)
                | AppError::InvalidOutcome(_)
                | AppError::OutcomeConflict(_)
                | AppError::LinkExpired
                | AppError::InvalidFields(_)
                | AppError::InvalidPlaybook(_)
                | AppError::StorageUnavailable(_)
                | AppError::Internal(_) => {}
            }
        }
        all
    }

    #[test]
    fn every_error_code_is_answered_and_every_answer_has_a_code() {
        let mut answered: Vec<ErrorCode> = one_of_each().iter().map(AppError::code).collect();
        answered.sort_by_key(|c| c.as_str());
        answered.dedup();
        let mut all = ErrorCode::ALL.to_vec();
        all.sort_by_key(|c| c.as_str());
        assert_eq!(answered, all, "a code no error answers, or one missing");
    }

    #[test]
    fn the_error_json_is_code_message_and_fields_plus_problems_for_a_playbook() {
        for e in one_of_each() {
            let (status, code, message) = (e.status(), e.code(), e.message());
            assert!((400..600).contains(&status), "{code:?}: {status}");
            let json = serde_json::to_value(e.body()).unwrap();
            let inner = json["error"].as_object().unwrap();
            assert_eq!(inner["code"], code.as_str());
            assert_eq!(inner["message"], message.as_str());
            assert!(inner["fields"].is_array());
            let mut keys: Vec<&str> = inner.keys().map(String::as_str).collect();
            keys.sort_unstable();
            if code == ErrorCode::InvalidPlaybook {
                assert_eq!(keys, ["code", "fields", "message", "problems"]);
            } else {
                assert_eq!(keys, ["code", "fields", "message"], "{code:?}");
            }
        }
    }
}
