//! Leads in D1 (`edge/migrations/`). Invalid submissions are stored too, with
//! status `invalid`: whatever a visitor typed is never lost.

use baton::{Claimed, Decision};
use serde::Serialize;
use worker::wasm_bindgen::JsValue;
use worker::D1Database;

use crate::error::AppError;

/// Whether the browser's verdict matched the edge's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    Match,
    Mismatch,
    /// The caller sent no verdict (an API client, an older widget).
    Unclaimed,
}

impl Agreement {
    pub fn of(decision: &Decision, claimed: Option<&Claimed>) -> Self {
        match claimed {
            None => Agreement::Unclaimed,
            Some(c) if decision.agrees_with(c) => Agreement::Match,
            Some(_) => Agreement::Mismatch,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Agreement::Match => "match",
            Agreement::Mismatch => "mismatch",
            Agreement::Unclaimed => "unclaimed",
        }
    }
}

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
    pub assigned_rep: Option<&'a str>,
    pub claimed: Option<&'a Claimed>,
    pub agreement: Agreement,
    pub origin: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// The caller's `Idempotency-Key`, unique per form.
    pub idempotency_key: Option<&'a str>,
}

const INSERT: &str = "INSERT INTO leads (id, form_id, created_at, status, submission, decision, \
     score, grade, qualified, knocked_out, route_id, team_id, assigned_rep, claimed, agreement, \
     playbook_version, origin, user_agent, idempotency_key) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn opt(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

pub async fn insert(db: &D1Database, lead: &LeadRecord<'_>) -> Result<(), AppError> {
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
        opt(lead.assigned_rep),
        opt(claimed_json.as_deref()),
        text(lead.agreement.as_str()),
        text(&d.version),
        opt(lead.origin),
        opt(lead.user_agent),
        opt(lead.idempotency_key),
    ];
    db.prepare(INSERT)
        .bind(&args)
        .map_err(|e| AppError::StorageUnavailable(format!("binding the lead insert: {e}")))?
        .run()
        .await
        .map_err(|e| AppError::StorageUnavailable(format!("inserting lead {}: {e}", lead.id)))?;
    Ok(())
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
