//! Leads in D1 (`edge/migrations/`). Invalid submissions are stored too, with
//! status `invalid`: whatever a visitor typed is never lost.

use baton::{Claimed, Decision};
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::error::AppError;

/// Whether the browser's verdict matched the edge's (a wire type: it is in
/// the 201 answer and in what sales receives).
pub use baton::wire::Agreement;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Accepted,
    Invalid,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Invalid => "invalid",
        }
    }
}

/// One row of `leads`.
pub struct LeadRecord<'a> {
    pub id: &'a str,
    pub form_id: &'a str,
    /// RFC 3339, UTC.
    pub created_at: &'a str,
    pub status: Status,
    /// The post exactly as received.
    pub submission: &'a [u8],
    pub decision: &'a Decision,
    pub claimed: Option<&'a Claimed>,
    pub agreement: Agreement,
    pub origin: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// The caller's `Idempotency-Key`, unique per form.
    pub idempotency_key: Option<&'a str>,
    /// The address as given and its domain, lowercased: who this is, for
    /// returning people and account ownership.
    pub email: Option<&'a str>,
    pub email_domain: Option<&'a str>,
    /// The lead this one is a new touch on (the same person came back).
    pub returning_of: Option<&'a str>,
    /// This edge's own origin, for links in what sales receives.
    pub edge_url: &'a str,
    /// ms: when the rep must have touched the lead (its grade's SLA).
    pub sla_due_at: Option<f64>,
    /// The experiment arm the lead came through (`experiment.rs`), as JSON.
    pub experiment: Option<&'a str>,
    /// The consent record (`consent.rs`), as JSON.
    pub consents: Option<&'a str>,
}

const INSERT: &str = "INSERT INTO leads (id, form_id, created_at, status, submission, decision, \
     score, grade, qualified, knocked_out, route_id, team_id, assigned_rep, claimed, agreement, \
     playbook_version, origin, user_agent, idempotency_key, email, email_domain, returning_of, \
     edge_url, experiment, consents, sla_due_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, \
     ?20, ?21, ?22, ?23, ?24, ?25, SLA_DUE)";

pub fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// The leads database, or the 503 that says it is not bound.
pub fn db(env: &worker::Env) -> Result<D1Database, AppError> {
    env.d1(crate::DB_BINDING)
        .map_err(|e| AppError::StorageUnavailable(format!("binding `{}`: {e}", crate::DB_BINDING)))
}

/// A D1 failure while doing `what`, as the 503 the caller retries on.
pub fn storage(what: &str) -> impl Fn(worker::Error) -> AppError + '_ {
    move |e| AppError::StorageUnavailable(format!("{what}: {e}"))
}

/// ms since the epoch as RFC 3339 (UTC), the API's time format.
pub fn iso(ms: f64) -> String {
    worker::js_sys::Date::new(&JsValue::from_f64(ms))
        .to_iso_string()
        .into()
}

/// A count or duration D1 answered as a JS number, as a `u32` (clamped:
/// never negative, never wrapped).
pub fn whole_u32(n: f64) -> u32 {
    n.max(0.0).min(f64::from(u32::MAX)) as u32
}

pub fn opt(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

/// How the lead's insert names its rep.
pub enum RepChoice<'a> {
    /// Decided already (an owner), or nobody (an invalid or knocked-out lead).
    Known(Option<&'a str>),
    /// The team's turn taken in the same batch (`turns::TAKE` runs first):
    /// the rep is `slots[turn % len]`, picked by D1 inside the transaction.
    Turn { team: &'a str, slots: &'a str },
}

/// The lead's insert, to run in one batch with its deliveries (`outbox.rs`);
/// it answers the rep it was stored with (`RETURNING assigned_rep`).
///
/// `unowned` (the owner lookup's keys, `owner::key_args`) makes it write
/// only when no earlier lead of the person or company names an owner: the
/// intake's one-round-trip path, which reads the owner in the same batch.
pub fn insert(
    db: &D1Database,
    lead: &LeadRecord<'_>,
    rep: RepChoice<'_>,
    unowned: Option<&[JsValue; 4]>,
) -> Result<D1PreparedStatement, AppError> {
    let d = lead.decision;
    let decision_json = serde_json::to_string(d)
        .map_err(|e| AppError::Internal(format!("decision does not serialize: {e}")))?;
    let claimed_json = lead
        .claimed
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| AppError::Internal(format!("claimed verdict does not serialize: {e}")))?;
    let route = d.route.as_ref();
    let args = [
        text(lead.id),
        text(lead.form_id),
        text(lead.created_at),
        text(lead.status.as_str()),
        // The body parsed as JSON, so it is UTF-8.
        text(&String::from_utf8_lossy(lead.submission)),
        text(&decision_json),
        JsValue::from_f64(f64::from(d.score)),
        text(&d.grade),
        JsValue::from_f64(if d.qualified { 1.0 } else { 0.0 }),
        opt(d.knocked_out.as_deref()),
        opt(route.map(|r| r.route.as_str())),
        opt(route.and_then(|r| r.team.as_deref())),
        match rep {
            RepChoice::Known(r) => opt(r),
            RepChoice::Turn { slots, .. } => text(slots),
        },
        opt(claimed_json.as_deref()),
        text(lead.agreement.as_str()),
        text(&d.version),
        opt(lead.origin),
        opt(lead.user_agent),
        opt(lead.idempotency_key),
        opt(lead.email),
        opt(lead.email_domain),
        opt(lead.returning_of),
        text(lead.edge_url),
        opt(lead.experiment),
        opt(lead.consents),
    ];
    let mut args = args.to_vec();
    // The deadline is a whole number of ms the edge computed, written into
    // the statement (only a grade's few values: the statement cache holds).
    let due = lead
        .sla_due_at
        .map_or_else(|| "NULL".to_owned(), |ms| format!("{}", ms.floor() as i64));
    let insert = INSERT.replacen("SLA_DUE", &due, 1);
    let mut sql = match rep {
        RepChoice::Known(_) => insert,
        RepChoice::Turn { team, .. } => {
            args.push(text(team));
            insert.replacen("?13", &crate::turns::picked(13, 2, 26), 1)
        }
    };
    if let Some(keys) = unowned {
        // Written only if no earlier lead names an owner: `VALUES (…)`
        // becomes `SELECT … WHERE NOT EXISTS (…)`, keys from ?27.
        if args.len() < 26 {
            args.push(JsValue::NULL);
        }
        args.extend(keys.iter().cloned());
        let values = sql.find("VALUES (").map_or(sql.len(), |i| i);
        let tuple = sql[values + "VALUES (".len()..]
            .trim_end()
            .trim_end_matches(')')
            .to_owned();
        sql = format!(
            "{} SELECT {tuple} WHERE NOT EXISTS ({})",
            &sql[..values],
            crate::owner::earlier_sql(2, 27)
        );
    }
    db.prepare(format!("{sql} RETURNING assigned_rep"))
        .bind(&args)
        .map_err(|e| AppError::StorageUnavailable(format!("binding the lead insert: {e}")))
}

/// A lead stored earlier under the same `Idempotency-Key`.
#[derive(Debug, serde::Deserialize)]
pub struct Prior {
    pub id: String,
    pub status: String,
    /// The body that was posted then, to tell a retry from a reused key.
    pub submission: String,
    /// The edge's `Decision` then (JSON).
    pub decision: String,
    pub agreement: Agreement,
    pub assigned_rep: Option<String>,
}

const FIND_BY_KEY: &str = "SELECT id, status, submission, decision, agreement, assigned_rep \
     FROM leads WHERE form_id = ?1 AND idempotency_key = ?2";

pub async fn find_by_key(
    db: &D1Database,
    form_id: &str,
    key: &str,
) -> Result<Option<Prior>, AppError> {
    db.prepare(FIND_BY_KEY)
        .bind(&[text(form_id), text(key)])
        .map_err(|e| AppError::StorageUnavailable(format!("binding the key lookup: {e}")))?
        .first::<Prior>(None)
        .await
        .map_err(|e| AppError::StorageUnavailable(format!("looking up key `{key}`: {e}")))
}

/// The rep a stored lead's insert answered with.
#[derive(serde::Deserialize)]
pub struct Stored {
    pub assigned_rep: Option<String>,
}
