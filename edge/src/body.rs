//! Reading a request body: capped, parsed, and every failure a clear 4xx.

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use worker::Request;

use crate::error::{AppError, MAX_BODY_BYTES};

/// The whole body, refusing more than `MAX_BODY_BYTES` whatever
/// `Content-Length` claims (a chunked body has none, and a header can lie).
pub async fn read_capped(req: &mut Request) -> Result<Vec<u8>, AppError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(AppError::TooLarge);
    }
    // A request without a body has no stream: that is an empty body.
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| AppError::BadJson(format!("it could not be read to the end ({e})")))?;
        seen = seen.saturating_add(chunk.len());
        if seen > MAX_BODY_BYTES {
            // Read on, discarding, before answering: answering in the middle
            // of a streamed body cancels it, and a proxy in front that is
            // still sending loses its connection (wrangler's dev proxy then
            // fails the next request). Past DRAIN_LIMIT_BYTES we stop anyway.
            if seen > DRAIN_LIMIT_BYTES {
                return Err(AppError::TooLarge);
            }
            out = Vec::new();
            continue;
        }
        out.extend_from_slice(&chunk);
    }
    if seen > MAX_BODY_BYTES {
        return Err(AppError::TooLarge);
    }
    Ok(out)
}

/// How much of an oversized streamed body is read and thrown away.
const DRAIN_LIMIT_BYTES: usize = 1024 * 1024;

/// Any JSON value; a syntax error says where (`line 1 column 17`).
pub fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, AppError> {
    serde_json::from_slice(bytes).map_err(|e| AppError::BadJson(e.to_string()))
}

/// A typed value from parsed JSON; a shape error names the path
/// (`submission.fields.employees: ...`).
pub fn shape<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            AppError::BadShape(inner.to_string())
        } else {
            AppError::BadShape(format!("`{path}`: {inner}"))
        }
    })
}
