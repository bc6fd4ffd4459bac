//! The queue consumer: makes each delivery row's effect happen once.
//!
//! Queues deliver at least once, and the sweeper may enqueue a row again, so a
//! message is only a hint: the row decides. A consumer first *claims* the row
//! (pending, and not leased by another consumer), sends it signed with the
//! row's own id as `webhook-id` (receivers dedupe on it), logs the attempt,
//! and settles the row: delivered, pending with a backoff, failed, or
//! disabled. Nothing is deleted; a lead that cannot be delivered alerts a
//! person (the SLA's escalation contact, or the fallback route's people).

use std::time::Duration;

use baton::event::{self, AlertData, ContentRef, Event, EventData, LeadFacts, RepRef, Touch};
use baton::sign::Secret;
use baton::{Channel, ChannelKind, Setting};
use baton::{Decision, LeadPost};
use futures_util::future::{select, Either};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{
    console_error, console_warn, js_sys, AbortController, D1Database, D1PreparedStatement, Date,
    Delay, Env, Fetch, Headers, Message, MessageBatch, MessageExt, Method,
    QueueRetryOptionsBuilder, Request, RequestInit,
};

use crate::backoff::{self, Verdict};
use crate::outbox::{self, Job, NewDelivery};
use crate::playbooks::{self, Form};
use crate::slack;
use crate::store::{opt, text, Agreement};
use crate::DB_BINDING;

/// A consumer holds a claimed row this long; past it, another may take it.
const LEASE_MS: f64 = 30_000.0;
/// A receiver that has not answered by then is treated as down.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The `User-Agent` of every delivery, so receivers can tell us in their logs.
const USER_AGENT: &str = concat!("Baton-Webhooks/", env!("CARGO_PKG_VERSION"));

/// Deliveries of one batch in flight at once. A Worker invocation has six
/// simultaneous open connections; a seventh `fetch` waits for one to close
/// while its timeout already runs, so a receiver that answered in time could
/// be counted as down (and sent the lead again). Six at a time, each
/// delivery's clock (lease and timeout) measures only its own request.
const SENDS_AT_ONCE: usize = 6;

/// Every message of the deliveries queue, six at a time: one slow receiver
/// holds up one slot, not the batch.
pub async fn consume(batch: MessageBatch<Job>, env: Env) -> worker::Result<()> {
    let messages = batch.messages()?;
    let db = env.d1(DB_BINDING)?;
    let dead = batch.queue() == crate::DEAD_LETTERS_QUEUE;
    stream::iter(messages.iter())
        .for_each_concurrent(SENDS_AT_ONCE, |m| async {
            if dead {
                dead_letter(&env, &db, m).await;
            } else {
                handle(&env, &db, m).await;
            }
        })
        .await;
    Ok(())
}

async fn handle(env: &Env, db: &D1Database, m: &Message<Job>) {
    match deliver(env, db, &m.body().d).await {
        Ok(After::Done) => m.ack(),
        Ok(After::RetryIn(secs)) => m.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(secs)
                .build(),
        ),
        Ok(After::Exhausted) => match outbox::dead_letter(env, &m.body().d).await {
            Ok(()) => m.ack(),
            Err(e) => {
                console_error!(
                    "delivery {}: dead-letter queue unavailable: {e}",
                    m.body().d
                );
                // Settle it here rather than lose the alert.
                if let Err(e) = give_up(env, db, &m.body().d).await {
                    console_error!("delivery {}: {e}", m.body().d);
                }
                m.ack();
            }
        },
        Err(e) => {
            // D1 or the runtime failed us, not the receiver: the row is still
            // pending, so the queue (or the sweeper) brings it back.
            console_error!("delivery {}: {e}", m.body().d);
            m.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(5)
                    .build(),
            );
        }
    }
}

/// What the queue should do with the message.
enum After {
    Done,
    RetryIn(u32),
    /// The schedule is spent: to the dead-letter queue.
    Exhausted,
}

#[derive(Debug, Deserialize)]
struct Claimed {
    id: String,
    lead_id: String,
    form_id: String,
    channel: String,
    kind: String,
    event_type: String,
    attempts: u32,
    payload: Option<String>,
    about: Option<String>,
    last_error: Option<String>,
}

const CLAIM: &str = "UPDATE deliveries SET attempts = attempts + 1, lease_until = ?2 \
     WHERE id = ?1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?3) \
     RETURNING id, lead_id, form_id, channel, kind, event_type, attempts, payload, about, last_error";

/// Whether the row's channel is turned off, read in the claim's round trip.
const DISABLED: &str = "SELECT reason FROM disabled_channels \
     WHERE channel = (SELECT channel FROM deliveries WHERE id = ?1)";

async fn deliver(env: &Env, db: &D1Database, id: &str) -> Result<After, String> {
    let now = Date::now().as_millis() as f64;
    let claim = db
        .prepare(CLAIM)
        .bind(&[
            text(id),
            JsValue::from_f64(now + LEASE_MS),
            JsValue::from_f64(now),
        ])
        .map_err(|e| e.to_string())?;
    let off = db
        .prepare(DISABLED)
        .bind(&[text(id)])
        .map_err(|e| e.to_string())?;
    let mut read = db
        .batch(vec![claim, off])
        .await
        .map_err(|e| format!("claiming: {e}"))?
        .into_iter();
    let row: Option<Claimed> = first(read.next())?;
    #[derive(Deserialize)]
    struct Off {
        reason: String,
    }
    let off: Option<Off> = first(read.next())?;
    // Delivered already, settled, or another consumer is on it right now.
    let Some(row) = row else {
        return Ok(After::Done);
    };
    let Some(form) = playbooks::find(&row.form_id) else {
        let why = "its form is no longer served";
        run(db, vec![settle(db, &row, "failed", None, Some(why))?]).await?;
        return Ok(After::Done);
    };
    let Some(channel) = form.playbook.channel(&row.channel) else {
        let why = format!("channel `{}` is no longer in the playbook", row.channel);
        run(db, vec![settle(db, &row, "failed", None, Some(&why))?]).await?;
        alert_failure(env, db, form, &row, &why).await?;
        return Ok(After::Done);
    };
    if let Some(off) = off {
        let why = format!("channel `{}` is turned off: {}", row.channel, off.reason);
        run(db, vec![settle(db, &row, "disabled", None, Some(&why))?]).await?;
        alert_disabled(env, db, form, &row, &why).await?;
        return Ok(After::Done);
    }

    let body = match &row.payload {
        Some(p) => p.clone(),
        None => build_payload(env, db, form, &row).await?,
    };
    let attempt = send(env, channel, &row.id, &body).await;
    // The attempt's log and the row's new state in one round trip.
    let logged = log_attempt(db, &row, &attempt)?;

    let schedule = backoff::schedule(crate::setting(env, "RETRY_SCHEDULE").as_deref());
    match backoff::verdict(attempt.status) {
        Verdict::Delivered => {
            run(
                db,
                vec![logged, settle(db, &row, "delivered", Some(&body), None)?],
            )
            .await?;
            Ok(After::Done)
        }
        Verdict::Gone => {
            let why = format!("{} answered 410 Gone", row.channel);
            let settled = settle(db, &row, "disabled", Some(&body), Some(&why))?;
            run(db, vec![logged, disable(db, &row, &why)?, settled]).await?;
            console_warn!("channel {} turned off: {why}", row.channel);
            alert_disabled(env, db, form, &row, &why).await?;
            Ok(After::Done)
        }
        Verdict::Refused => {
            let why = attempt.describe();
            run(
                db,
                vec![logged, settle(db, &row, "failed", Some(&body), Some(&why))?],
            )
            .await?;
            alert_failure(env, db, form, &row, &why).await?;
            Ok(After::Done)
        }
        Verdict::Retry => {
            let delay = backoff::next_delay(&schedule, row.attempts, jitter(), attempt.retry_after);
            // Spent: kept pending for the dead-letter queue's consumer to
            // settle; should that message be lost, the sweeper tries once
            // more in an hour rather than never.
            let next = delay.map_or(now + 3_600_000.0, |secs| {
                now + f64::from(secs) * 1000.0 + outbox::sweep_grace_ms(env)
            });
            let pending = db
                .prepare(
                    "UPDATE deliveries SET lease_until = NULL, next_attempt_at = ?2, \
                     last_error = ?3, payload = ?4 WHERE id = ?1",
                )
                .bind(&[
                    text(&row.id),
                    JsValue::from_f64(next),
                    text(&attempt.describe()),
                    text(&body),
                ])
                .map_err(|e| e.to_string())?;
            run(db, vec![logged, pending]).await?;
            Ok(delay.map_or(After::Exhausted, After::RetryIn))
        }
    }
}

/// Runs statements as one batch (one round trip, one transaction).
async fn run(db: &D1Database, statements: Vec<D1PreparedStatement>) -> Result<(), String> {
    db.batch(statements)
        .await
        .map(|_| ())
        .map_err(|e| format!("writing the outcome: {e}"))
}

/// The first row of one result of a batch.
fn first<T: serde::de::DeserializeOwned>(r: Option<worker::D1Result>) -> Result<Option<T>, String> {
    match r {
        Some(r) => Ok(r
            .results::<T>()
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()),
        None => Ok(None),
    }
}

/// One HTTP attempt's outcome.
struct Attempt {
    started_ms: f64,
    latency_ms: f64,
    status: Option<u16>,
    retry_after: Option<u32>,
    /// A network error, a timeout, a missing secret, or the receiver's own words.
    error: Option<String>,
}

impl Attempt {
    fn describe(&self) -> String {
        match (self.status, &self.error) {
            (Some(s), Some(e)) => format!("HTTP {s}: {e}"),
            (Some(s), None) => format!("HTTP {s}"),
            (None, Some(e)) => e.clone(),
            (None, None) => "no answer".into(),
        }
    }
}

async fn send(env: &Env, channel: &Channel, id: &str, body: &str) -> Attempt {
    let started_ms = Date::now().as_millis() as f64;
    let failed = |error: String| Attempt {
        started_ms,
        latency_ms: 0.0,
        status: None,
        retry_after: None,
        error: Some(error),
    };
    let url = match resolve(env, &channel.url) {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("user-agent", USER_AGENT);
    if channel.kind == ChannelKind::Webhook {
        let Some(name) = &channel.secret else {
            return failed(format!("channel `{}` has no signing secret", channel.id));
        };
        let secret = match resolve(env, &Setting::Env(name.clone()))
            .and_then(|s| Secret::parse(&s).map_err(|e| format!("secret `{name}`: {e}")))
        {
            Ok(s) => s,
            Err(e) => return failed(e),
        };
        let ts = (started_ms / 1000.0).floor() as u64;
        let _ = headers.set("webhook-id", id);
        let _ = headers.set("webhook-timestamp", &ts.to_string());
        let _ = headers.set("webhook-signature", &secret.sign(id, ts, body.as_bytes()));
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(body)));
    let request = match Request::new_with_init(&url, &init) {
        Ok(r) => r,
        Err(e) => return failed(format!("`{url}` cannot be requested: {e}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sent = Box::pin(fetch.send_with_signal(&signal));
    let timer = Box::pin(Delay::from(TIMEOUT));
    let outcome = select(sent, timer).await;
    let latency_ms = Date::now().as_millis() as f64 - started_ms;
    match outcome {
        Either::Left((Ok(mut res), _)) => {
            let status = res.status_code();
            let retry_after = backoff::retry_after(
                res.headers().get("retry-after").ok().flatten().as_deref(),
                Date::now().as_millis() as f64,
            );
            // The receiver's own words help whoever reads the log (Slack
            // answers `invalid_payload`, `no_service`): keep the start.
            let error = if (200..300).contains(&status) {
                None
            } else {
                res.text()
                    .await
                    .ok()
                    .map(|t| t.chars().take(200).collect::<String>())
                    .filter(|t| !t.trim().is_empty())
            };
            Attempt {
                started_ms,
                latency_ms,
                status: Some(status),
                retry_after,
                error,
            }
        }
        Either::Left((Err(e), _)) => Attempt {
            latency_ms,
            ..failed(format!("network error: {e}"))
        },
        Either::Right(_) => {
            controller.abort();
            Attempt {
                latency_ms,
                ..failed(format!("no answer within {} s", TIMEOUT.as_secs()))
            }
        }
    }
}

/// A channel's URL or secret from the Worker's secrets (`wrangler secret put`,
/// `.dev.vars` locally) or vars.
fn resolve(env: &Env, setting: &Setting) -> Result<String, String> {
    match setting {
        Setting::Literal(v) => Ok(v.clone()),
        Setting::Env(name) => crate::setting(env, name).ok_or_else(|| {
            format!("`{name}` is not set: `wrangler secret put {name}` (or add it to .dev.vars locally)")
        }),
    }
}

fn log_attempt(db: &D1Database, row: &Claimed, a: &Attempt) -> Result<D1PreparedStatement, String> {
    db.prepare(
        "INSERT OR REPLACE INTO delivery_attempts \
         (delivery_id, attempt, started_at, status_code, latency_ms, error) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&[
        text(&row.id),
        JsValue::from_f64(f64::from(row.attempts)),
        JsValue::from_f64(a.started_ms),
        a.status
            .map_or(JsValue::NULL, |s| JsValue::from_f64(f64::from(s))),
        JsValue::from_f64(a.latency_ms.round()),
        opt(a.error.as_deref()),
    ])
    .map_err(|e| e.to_string())
}

fn settle(
    db: &D1Database,
    row: &Claimed,
    status: &str,
    payload: Option<&str>,
    error: Option<&str>,
) -> Result<D1PreparedStatement, String> {
    let delivered = if status == "delivered" {
        JsValue::from_f64(Date::now().as_millis() as f64)
    } else {
        JsValue::NULL
    };
    db.prepare(
        "UPDATE deliveries SET status = ?2, lease_until = NULL, delivered_at = ?3, \
         last_error = COALESCE(?4, last_error), payload = COALESCE(?5, payload) WHERE id = ?1",
    )
    .bind(&[
        text(&row.id),
        text(status),
        delivered,
        opt(error),
        opt(payload),
    ])
    .map_err(|e| e.to_string())
}

fn disable(db: &D1Database, row: &Claimed, why: &str) -> Result<D1PreparedStatement, String> {
    db.prepare(
        "INSERT OR IGNORE INTO disabled_channels (channel, form_id, disabled_at, reason) \
         VALUES (?1, ?2, ?3, ?4)",
    )
    .bind(&[
        text(&row.channel),
        text(&row.form_id),
        JsValue::from_f64(Date::now().as_millis() as f64),
        text(why),
    ])
    .map_err(|e| e.to_string())
}

#[derive(Deserialize)]
struct LeadRow {
    created_at: String,
    submission: String,
    decision: String,
    assigned_rep: Option<String>,
    agreement: Agreement,
    returning_of: Option<String>,
    edge_url: Option<String>,
    /// ms: the deadline as stored (created plus the grade's minutes, or
    /// later once the lead was reassigned).
    sla_due_at: Option<f64>,
}

async fn lead_row(db: &D1Database, lead_id: &str) -> Result<LeadRow, String> {
    db.prepare(
        "SELECT created_at, submission, decision, assigned_rep, agreement, returning_of, edge_url, \
         sla_due_at FROM leads WHERE id = ?1",
    )
    .bind(&[text(lead_id)])
    .map_err(|e| e.to_string())?
    .first(None)
    .await
    .map_err(|e| format!("reading lead {lead_id}: {e}"))?
    .ok_or_else(|| format!("lead {lead_id} is not stored"))
}

/// The link to a lead in this edge's API.
pub(crate) fn lead_url(edge_url: Option<&str>, lead_id: &str) -> String {
    format!("{}/v1/leads/{lead_id}", edge_url.unwrap_or(""))
}

/// The body of a lead delivery, built from the stored lead (its decision as
/// the edge made it then), so every attempt and the sweeper send the same.
async fn build_payload(
    env: &Env,
    db: &D1Database,
    form: &Form,
    row: &Claimed,
) -> Result<String, String> {
    // Links to record what the rep did; without a key the lead still goes out.
    let feedback = crate::feedback::key(env);
    if feedback.is_none() {
        console_error!(
            "lead {}: sent without feedback links: set the `{}` secret",
            row.lead_id,
            crate::feedback::LINK_SECRET
        );
    }
    let lead = lead_row(db, &row.lead_id).await?;
    let post: LeadPost = crate::body::parse_json(lead.submission.as_bytes())
        .and_then(crate::body::shape)
        .map_err(|e| format!("stored submission of {}: {}", row.lead_id, e.message()))?;
    let decision: Decision = serde_json::from_str(&lead.decision)
        .map_err(|e| format!("stored decision of {}: {e}", row.lead_id))?;
    let created_ms = js_sys::Date::parse(&lead.created_at);
    let deadline = decision.sla_minutes.map(|m| {
        let at = lead
            .sla_due_at
            .unwrap_or(created_ms + f64::from(m) * 60_000.0);
        String::from(js_sys::Date::new(&JsValue::from_f64(at)).to_iso_string())
    });
    let content = form
        .playbook
        .content_for(&post.submission, &decision)
        .into_iter()
        .map(|c| ContentRef {
            id: c.id.clone(),
            kind: c.kind.as_str().to_owned(),
            title: c.title.clone(),
            url: c.url.clone(),
            summary: c.summary.clone(),
        })
        .collect();
    let url = lead_url(lead.edge_url.as_deref(), &row.lead_id);
    let mut event = event::lead_event(
        &form.playbook,
        &post.submission,
        &decision,
        LeadFacts {
            lead_id: &row.lead_id,
            created_at: &lead.created_at,
            lead_url: &url,
            touch: if lead.returning_of.is_some() {
                Touch::Returning
            } else {
                Touch::New
            },
            rep: lead.assigned_rep.as_deref(),
            sla_deadline: deadline.as_deref(),
            agreement: lead.agreement,
            content,
            feedback: feedback.map(|key| {
                let expires = (Date::now().as_millis() / 1000)
                    + u64::from(form.playbook.link_days()) * 86_400;
                crate::feedback::links(
                    &key,
                    lead.edge_url.as_deref().unwrap_or(""),
                    &row.lead_id,
                    &crate::feedback::owner_of_channel(&row.channel),
                    expires,
                )
            }),
        },
    );
    // The lead again, for the rep it went to when the first missed its deadline.
    if row.event_type == event::LEAD_REASSIGNED {
        event.kind = event::LEAD_REASSIGNED.to_owned();
    }
    render(&row.kind, &event, deadline.as_deref())
}

/// The bytes a channel of `kind` receives for `event`.
pub(crate) fn render(kind: &str, event: &Event, deadline: Option<&str>) -> Result<String, String> {
    let value = if kind == "slack" {
        let unix = deadline.map(|d| (js_sys::Date::parse(d) / 1000.0).floor() as i64);
        slack::message(event, unix)
    } else {
        serde_json::to_value(event).map_err(|e| e.to_string())?
    };
    serde_json::to_string(&value).map_err(|e| e.to_string())
}

fn jitter() -> u32 {
    let mut b = [0u8; 4];
    let _ = getrandom::getrandom(&mut b);
    u32::from_le_bytes(b)
}

/// The dead-letter queue's consumer: a delivery Queues (or our schedule) gave
/// up on is marked failed, and the SLA's escalation contact is told.
async fn dead_letter(env: &Env, db: &D1Database, m: &Message<Job>) {
    match give_up(env, db, &m.body().d).await {
        Ok(()) => m.ack(),
        Err(e) => {
            console_error!("dead letter {}: {e}", m.body().d);
            m.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(5)
                    .build(),
            );
        }
    }
}

async fn give_up(env: &Env, db: &D1Database, id: &str) -> Result<(), String> {
    let row: Option<Claimed> = db
        .prepare(
            "UPDATE deliveries SET status = 'failed', lease_until = NULL \
             WHERE id = ?1 AND status = 'pending' \
             RETURNING id, lead_id, form_id, channel, kind, event_type, attempts, payload, about, last_error",
        )
        .bind(&[text(id)])
        .map_err(|e| e.to_string())?
        .first(None)
        .await
        .map_err(|e| format!("marking failed: {e}"))?;
    // Settled meanwhile (delivered by a late retry): nothing to report.
    let Some(row) = row else { return Ok(()) };
    let Some(form) = playbooks::find(&row.form_id) else {
        return Ok(());
    };
    let why = row
        .last_error
        .clone()
        .unwrap_or_else(|| "retries exhausted".into());
    alert_failure(
        env,
        db,
        form,
        &row,
        &format!("retries exhausted; last: {why}"),
    )
    .await
}

/// Tells the SLA's escalation contact that a lead did not reach its rep.
async fn alert_failure(
    env: &Env,
    db: &D1Database,
    form: &Form,
    row: &Claimed,
    why: &str,
) -> Result<(), String> {
    let targets: Vec<&Channel> = form
        .playbook
        .escalation()
        .map(|r| r.channels.iter().collect())
        .unwrap_or_default();
    alert(env, db, form, row, event::DELIVERY_FAILED, why, targets).await
}

/// Tells the fallback route's people that a channel is off, so its leads
/// still reach someone.
async fn alert_disabled(
    env: &Env,
    db: &D1Database,
    form: &Form,
    row: &Claimed,
    why: &str,
) -> Result<(), String> {
    let targets = form.playbook.fallback_channels();
    alert(env, db, form, row, event::CHANNEL_DISABLED, why, targets).await
}

async fn alert(
    env: &Env,
    db: &D1Database,
    form: &Form,
    row: &Claimed,
    event_type: &'static str,
    why: &str,
    targets: Vec<&Channel>,
) -> Result<(), String> {
    // An alert that fails raises no alert of its own: no loops.
    if row.about.is_some() {
        console_error!("alert {} could not be delivered: {why}", row.id);
        return Ok(());
    }
    let targets: Vec<&Channel> = targets
        .into_iter()
        .filter(|c| c.id != row.channel)
        .collect();
    if targets.is_empty() {
        console_error!(
            "lead {}: {} failed ({why}) and nobody can be alerted: give the SLA's escalate_to rep a channel",
            row.lead_id,
            row.channel
        );
        return Ok(());
    }
    let lead = lead_row(db, &row.lead_id).await?;
    let rep = lead
        .assigned_rep
        .as_deref()
        .and_then(|id| form.playbook.rep(id))
        // An alert is no lead to book: no booking link.
        .map(|r| RepRef {
            booking_url: None,
            ..RepRef::of(r)
        });
    let event = Event {
        kind: event_type.to_owned(),
        timestamp: String::from(js_sys::Date::new_0().to_iso_string()),
        data: EventData::Alert(Box::new(AlertData {
            v: event::EVENT_VERSION,
            lead_id: row.lead_id.clone(),
            lead_url: lead_url(lead.edge_url.as_deref(), &row.lead_id),
            channel: row.channel.clone(),
            delivery_id: row.id.clone(),
            attempts: row.attempts,
            last_error: why.to_owned(),
            rep,
        })),
    };
    let mut deliveries: Vec<NewDelivery> = outbox::plan(&row.lead_id, event_type, &targets);
    for (i, d) in deliveries.iter_mut().enumerate() {
        // Unique per failed delivery and target; the same if raised twice.
        d.id = format!("{}_alert{i}", row.id);
        d.payload = Some(render(outbox::kind_name(d.kind), &event, None)?);
        d.about = Some(row.id.clone());
    }
    let now = Date::now().as_millis() as f64;
    let grace = outbox::sweep_grace_ms(env);
    // Raised twice (a redelivered message), the first rows stand (`OR IGNORE`).
    let statements = outbox::inserts(db, &row.lead_id, &row.form_id, &deliveries, now, grace)
        .map_err(|e| e.message())?;
    db.batch(statements)
        .await
        .map_err(|e| format!("writing alerts: {e}"))?;
    outbox::enqueue(env, deliveries.into_iter().map(|d| d.id)).await;
    Ok(())
}
