//! Sending a lead to the edge (`POST /v1/leads`) and reading its answer.
//! Only what the widget shows is read from the answer; the rest is ignored.

use std::cell::Cell;

use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use crate::store::{self, Pending};

/// The edge's 201 body, as far as the visitor sees it.
#[derive(Debug, Deserialize)]
pub struct Created {
    pub lead_id: String,
    pub decision: EdgeDecision,
    #[serde(default)]
    pub assigned_rep: Option<AssignedRep>,
}

#[derive(Debug, Deserialize)]
pub struct EdgeDecision {
    pub score: i32,
    pub grade: String,
    pub qualified: bool,
    #[serde(default)]
    pub knocked_out: Option<String>,
    #[serde(default)]
    pub route: Option<EdgeRoute>,
    #[serde(default)]
    pub sla_minutes: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct EdgeRoute {
    #[serde(default)]
    pub team_name: Option<String>,
    #[serde(default)]
    pub candidates: Vec<AssignedRep>,
}

/// A rep as the edge names them (`assigned_rep`, or a route candidate);
/// the id is not needed here.
#[derive(Debug, Deserialize)]
pub struct AssignedRep {
    pub name: String,
    #[serde(default)]
    pub booking_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    fields: Vec<FieldErr>,
}

#[derive(Debug, Deserialize)]
pub struct FieldErr {
    pub field: String,
    pub message: String,
}

/// What became of one attempt.
pub enum Reply {
    Created(Box<Created>),
    /// 422: answers the edge rejected.
    Invalid(Vec<FieldErr>),
    /// Any other 4xx: retrying the same bytes cannot help (the edge's message).
    Refused(String),
    /// No answer, or a 5xx: worth retrying later.
    Retry,
}

pub async fn send(p: &Pending) -> Reply {
    match attempt(p).await {
        Ok(r) => r,
        Err(_) => Reply::Retry,
    }
}

async fn attempt(p: &Pending) -> Result<Reply, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&p.body));
    let req = Request::new_with_str_and_init(&p.url, &init)?;
    req.headers().set("content-type", "application/json")?;
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await?
        .dyn_into()?;
    let status = resp.status();
    if status >= 500 {
        return Ok(Reply::Retry);
    }
    let body = JsFuture::from(resp.json()?).await.unwrap_or(JsValue::NULL);
    if status == 201 || status == 200 {
        return Ok(serde_wasm_bindgen::from_value::<Created>(body)
            .map(|c| Reply::Created(Box::new(c)))
            // A 2xx we cannot read was still stored: do not send it twice.
            .unwrap_or_else(|_| Reply::Refused(String::new())));
    }
    let detail = serde_wasm_bindgen::from_value::<ErrorBody>(body).ok();
    Ok(match detail {
        Some(e) if status == 422 && !e.error.fields.is_empty() => Reply::Invalid(e.error.fields),
        Some(e) => Reply::Refused(e.error.message),
        None => Reply::Refused(String::new()),
    })
}

/// Waits before attempt `n` (1-based) of a retry: 2 s, 4 s, 8 s … at most a minute.
pub fn backoff_ms(n: u32) -> u32 {
    2000u32
        .saturating_mul(1 << n.saturating_sub(1).min(5))
        .min(60_000)
}

/// Retries per page view; whatever is left waits for the next page load.
pub const MAX_TRIES: u32 = 8;

/// Sends `p` again with backoff until the edge answers or the tries run out
/// (then `Retry`: it stays in the outbox for the next page load).
pub async fn retry(p: Pending) -> Reply {
    for n in 1..=MAX_TRIES {
        gloo_timers::future::TimeoutFuture::new(backoff_ms(n)).await;
        match send(&p).await {
            Reply::Retry => continue,
            other => {
                store::remove(&p);
                return other;
            }
        }
    }
    Reply::Retry
}

thread_local! {
    /// Embedded twice on one page, only the first form flushes the outbox.
    static FLUSHED: Cell<bool> = const { Cell::new(false) };
}

/// Sends the leads earlier page views could not; once per page.
pub fn flush_outbox() {
    if FLUSHED.with(|f| f.replace(true)) {
        return;
    }
    for p in store::outbox() {
        wasm_bindgen_futures::spawn_local(async move {
            match send(&p).await {
                Reply::Retry => {
                    let _ = retry(p).await;
                }
                _ => store::remove(&p),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let waits: Vec<u32> = (1..=MAX_TRIES).map(backoff_ms).collect();
        assert_eq!(waits, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    }
}
