//! The transactional outbox: a lead's deliveries are rows written in the same
//! D1 batch as the lead, so once the visitor has a 201 every channel the lead
//! is owed has a row that says so. The queue then only carries delivery ids;
//! if sending to it fails, or the Worker dies right after the commit, the
//! scheduled sweeper (`sweeper.rs`) finds the rows still pending and sends
//! them again. The consumer (`deliver.rs`) makes each row's effect happen once.

use baton::{Channel, ChannelKind};
use serde::{Deserialize, Serialize};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, js_sys, D1Database, D1PreparedStatement, Env};

use crate::error::AppError;
use crate::store::{opt, text};
use crate::{DEAD_LETTERS_BINDING, DELIVERIES_BINDING};

/// What a queue message carries: the id of a delivery row, nothing personal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub d: String,
}

/// A delivery about to be written.
pub struct NewDelivery {
    /// The `webhook-id`: `msg_<lead id>_<n>`, the same on every attempt.
    pub id: String,
    pub channel: String,
    pub kind: ChannelKind,
    pub event_type: &'static str,
    /// Built now (alerts) or at the first attempt (leads), then kept.
    pub payload: Option<String>,
    /// For an alert, the delivery it reports on.
    pub about: Option<String>,
}

/// How long after its commit the sweeper leaves a delivery to the queue
/// before sending it again itself; `SWEEP_AFTER_SECONDS` shortens it in tests.
pub fn sweep_grace_ms(env: &Env) -> f64 {
    crate::setting(env, "SWEEP_AFTER_SECONDS")
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(60.0)
        * 1000.0
}

pub fn kind_name(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Webhook => "webhook",
        ChannelKind::Slack => "slack",
    }
}

/// One delivery per channel that wants `event_type`, in the order given.
pub fn plan(lead_id: &str, event_type: &'static str, channels: &[&Channel]) -> Vec<NewDelivery> {
    let mut out: Vec<NewDelivery> = Vec::with_capacity(channels.len());
    for c in channels {
        let wants = baton::EventType::from_name(event_type).is_some_and(|e| c.wants(e));
        // A rep in two places (their own channel and their team's) is sent once per channel.
        if !wants || out.iter().any(|d| d.channel == c.id) {
            continue;
        }
        out.push(NewDelivery {
            id: format!("msg_{lead_id}_{}", out.len()),
            channel: c.id.clone(),
            kind: c.kind,
            event_type,
            payload: None,
            about: None,
        });
    }
    out
}

/// A lead's deliveries for each rep it may go to, as one statement for the
/// lead's batch: only the rows of the rep the lead was stored with are
/// written (the rep may be picked inside the same transaction, by the turn
/// it takes; the lead's `RETURNING assigned_rep` says which). A lead
/// that reaches no rep (its route has nobody available) is keyed `""`.
pub fn for_lead(
    db: &D1Database,
    lead_id: &str,
    form_id: &str,
    by_rep: &[(&str, Vec<NewDelivery>)],
    now_ms: f64,
    grace_ms: f64,
) -> Result<Option<D1PreparedStatement>, AppError> {
    #[derive(Serialize)]
    struct Row<'a> {
        id: &'a str,
        rep: &'a str,
        channel: &'a str,
        kind: &'static str,
        event: &'static str,
    }
    let rows: Vec<Row> = by_rep
        .iter()
        .flat_map(|(rep, plan)| {
            plan.iter().map(move |d| Row {
                id: &d.id,
                rep,
                channel: &d.channel,
                kind: kind_name(d.kind),
                event: d.event_type,
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let json = serde_json::to_string(&rows)
        .map_err(|e| AppError::Internal(format!("deliveries do not serialize: {e}")))?;
    db.prepare(
        "INSERT INTO deliveries (id, lead_id, form_id, channel, kind, event_type, status, \
         attempts, created_at, next_attempt_at) \
         SELECT json_extract(value, '$.id'), ?1, ?2, json_extract(value, '$.channel'), \
         json_extract(value, '$.kind'), json_extract(value, '$.event'), 'pending', 0, ?3, ?4 \
         FROM json_each(?5) \
         WHERE json_extract(value, '$.rep') = \
           COALESCE((SELECT assigned_rep FROM leads WHERE id = ?1), '') \
         AND EXISTS (SELECT 1 FROM leads WHERE id = ?1)",
    )
    .bind(&[
        text(lead_id),
        text(form_id),
        JsValue::from_f64(now_ms),
        JsValue::from_f64(now_ms + grace_ms),
        text(&json),
    ])
    .map(Some)
    .map_err(|e| AppError::StorageUnavailable(format!("binding the deliveries: {e}")))
}

// `OR IGNORE`: an alert raised twice for one failure is written once.
const INSERT: &str =
    "INSERT OR IGNORE INTO deliveries (id, lead_id, form_id, channel, kind, event_type, \
     status, attempts, created_at, next_attempt_at, payload, about) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?8, ?9, ?10)";

/// The inserts of `deliveries`, to run in the lead's batch.
pub fn inserts(
    db: &D1Database,
    lead_id: &str,
    form_id: &str,
    deliveries: &[NewDelivery],
    now_ms: f64,
    grace_ms: f64,
) -> Result<Vec<D1PreparedStatement>, AppError> {
    deliveries
        .iter()
        .map(|d| {
            db.prepare(INSERT)
                .bind(&[
                    text(&d.id),
                    text(lead_id),
                    text(form_id),
                    text(&d.channel),
                    text(kind_name(d.kind)),
                    text(d.event_type),
                    JsValue::from_f64(now_ms),
                    JsValue::from_f64(now_ms + grace_ms),
                    opt(d.payload.as_deref()),
                    opt(d.about.as_deref()),
                ])
                .map_err(|e| AppError::StorageUnavailable(format!("binding a delivery: {e}")))
        })
        .collect()
}

/// Hands freshly committed deliveries to the queue. A failure is logged, not
/// answered: the rows are committed, so the sweeper will send them.
pub async fn enqueue(env: &Env, ids: impl IntoIterator<Item = String>) {
    let jobs: Vec<Job> = ids.into_iter().map(|d| Job { d }).collect();
    if jobs.is_empty() {
        return;
    }
    // A fault an operator (or a test) can switch on to prove that the
    // sweeper covers a queue that will not take messages after the commit.
    let faulty = crate::setting(env, "FAULTS")
        .is_some_and(|f| f.split(',').any(|x| x.trim() == "queue_send"));
    let sent = if faulty {
        Err(worker::Error::RustError(
            "the queue_send fault is on (FAULTS)".into(),
        ))
    } else {
        send(env, DELIVERIES_BINDING, jobs).await
    };
    if let Err(e) = sent {
        console_error!("queue send failed, the sweeper will deliver: {e}");
    }
}

pub async fn send(env: &Env, binding: &str, jobs: Vec<Job>) -> worker::Result<()> {
    // The queue is called as JS: the crate's typed send goes through
    // serde_wasm_bindgen for every body and its options, which was a sixth
    // of the intake's time in the isolate. Bodies are `{d}`, JSON-typed.
    let queue = js_sys::Reflect::get(env, &binding.into())?;
    if queue.is_undefined() {
        return Err(format!("no queue binding `{binding}`").into());
    }
    let method = |name: &str| -> worker::Result<js_sys::Function> {
        Ok(js_sys::Reflect::get(&queue, &name.into())?.unchecked_into())
    };
    let body = |job: &Job| -> worker::Result<JsValue> {
        let o = js_sys::Object::new();
        js_sys::Reflect::set(&o, &"d".into(), &job.d.as_str().into())?;
        Ok(o.into())
    };
    let call = |promise: JsValue| JsFuture::from(js_sys::Promise::from(promise));
    if let [job] = jobs.as_slice() {
        call(method("send")?.call1(&queue, &body(job)?)?).await?;
        return Ok(());
    }
    let send_batch = method("sendBatch")?;
    // A batch holds at most 100 messages.
    for chunk in jobs.chunks(100) {
        let batch = js_sys::Array::new();
        for job in chunk {
            let message = js_sys::Object::new();
            js_sys::Reflect::set(&message, &"body".into(), &body(job)?)?;
            batch.push(&message);
        }
        call(send_batch.call1(&queue, &batch)?).await?;
    }
    Ok(())
}

/// Sends a job to the dead-letter queue, whose consumer marks it failed and alerts.
pub async fn dead_letter(env: &Env, id: &str) -> worker::Result<()> {
    send(env, DEAD_LETTERS_BINDING, vec![Job { d: id.to_owned() }]).await
}
