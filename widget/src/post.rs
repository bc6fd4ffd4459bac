//! Sending a lead to the edge (`POST /v1/leads`) and reading its answer.
//!
//! The answer is read with `Reflect` rather than serde: only the handful of
//! values the visitor sees are needed, and every serde visitor is code that
//! ships to landing pages. The names read are `baton::wire::keys`, which the
//! engine's tests hold to the wire types the edge writes (`Accepted`,
//! `ErrorBody`).

use std::cell::Cell;

use baton::wire::keys::{accepted, decision, error, field_error, rep, route};
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use crate::js::{get, text};
use crate::store::{self, Pending};

/// The edge's 201 body, as far as the visitor sees it.
pub struct Created {
    pub lead_id: String,
    pub score: i32,
    pub grade: String,
    pub qualified: bool,
    pub knocked_out: bool,
    /// `decision.route.team_name`.
    pub team_name: Option<String>,
    /// `assigned_rep`, else the route's only candidate.
    pub rep: Option<Rep>,
    pub sla_minutes: Option<u32>,
}

pub struct Rep {
    pub name: String,
    pub booking_url: Option<String>,
}

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

fn int(v: &JsValue, key: &str) -> Option<f64> {
    get(v, key).as_f64().filter(|n| n.fract() == 0.0)
}

fn assigned(v: &JsValue) -> Option<Rep> {
    Some(Rep {
        name: text(v, rep::NAME)?,
        booking_url: text(v, rep::BOOKING_URL),
    })
}

fn created(body: &JsValue) -> Option<Created> {
    let d = get(body, accepted::DECISION);
    let choice = get(&d, decision::ROUTE);
    Some(Created {
        lead_id: text(body, accepted::LEAD_ID)?,
        score: int(&d, decision::SCORE)? as i32,
        grade: text(&d, decision::GRADE)?,
        qualified: get(&d, decision::QUALIFIED).as_bool()?,
        knocked_out: get(&d, decision::KNOCKED_OUT).as_bool()?,
        team_name: text(&choice, route::TEAM_NAME),
        rep: assigned(&get(body, accepted::ASSIGNED_REP)),
        sla_minutes: int(&d, decision::SLA_MINUTES).map(|m| m as u32),
    })
}

pub async fn send(p: &Pending) -> Reply {
    attempt(p).await.unwrap_or(Reply::Retry)
}

async fn attempt(p: &Pending) -> Result<Reply, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&p.body));
    let req = Request::new_with_str_and_init(&p.url, &init)?;
    req.headers().set("content-type", "application/json")?;
    if let Some(k) = &p.key {
        req.headers().set("idempotency-key", k)?;
    }
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await?
        .dyn_into()?;
    let status = resp.status();
    if status >= 500 {
        return Ok(Reply::Retry);
    }
    let body = JsFuture::from(resp.json()?)
        .await
        .unwrap_or(JsValue::UNDEFINED);
    if (200..300).contains(&status) {
        return Ok(match created(&body) {
            Some(c) => Reply::Created(Box::new(c)),
            // A 2xx we cannot read was still stored: never send it twice.
            None => Reply::Refused(String::new()),
        });
    }
    let err = get(&body, error::ERROR);
    let fields: Vec<FieldErr> = get(&err, error::FIELDS)
        .dyn_into::<Array>()
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some(FieldErr {
                        field: text(&e, field_error::FIELD)?,
                        message: text(&e, field_error::MESSAGE)?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(if status == 422 && !fields.is_empty() {
        Reply::Invalid(fields)
    } else {
        Reply::Refused(text(&err, error::MESSAGE).unwrap_or_default())
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
