//! The scheduled sweeper (cron trigger): the outbox's safety net. Any
//! delivery still pending past its time, whose queue message was lost (the
//! send failed after the commit, the Worker died, a retry vanished), is put
//! on the queue again. The consumer's claim makes a second message harmless.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{console_log, D1Database, Date, Env};

use crate::outbox;

/// At most this many per run, so one run stays short; the next takes the rest.
const BATCH: u32 = 500;

#[derive(Deserialize)]
struct Due {
    id: String,
}

/// Re-enqueues what is due; returns how many.
pub async fn sweep(env: &Env, db: &D1Database) -> Result<usize, String> {
    let now = Date::now().as_millis() as f64;
    // Taken and pushed back in one statement, so the next run does not send
    // them again while these messages are still on the queue.
    let due: Vec<Due> = db
        .prepare(
            "UPDATE deliveries SET next_attempt_at = ?2 WHERE id IN ( \
               SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 \
               AND (lease_until IS NULL OR lease_until < ?1) ORDER BY next_attempt_at LIMIT ?3) \
             RETURNING id",
        )
        .bind(&[
            JsValue::from_f64(now),
            JsValue::from_f64(now + outbox::sweep_grace_ms(env)),
            JsValue::from_f64(f64::from(BATCH)),
        ])
        .map_err(|e| e.to_string())?
        .all()
        .await
        .and_then(|r| r.results())
        .map_err(|e| format!("finding due deliveries: {e}"))?;
    let n = due.len();
    if n == 0 {
        return Ok(0);
    }
    let jobs = due.into_iter().map(|d| outbox::Job { d: d.id }).collect();
    outbox::send(env, crate::DELIVERIES_BINDING, jobs)
        .await
        .map_err(|e| format!("re-enqueueing: {e}"))?;
    console_log!("sweeper: {n} pending deliveries enqueued again");
    Ok(n)
}
