//! The admin read API: a lead with its decision, deliveries and every
//! attempt (`GET /v1/leads/{id}`), and leads since a time or id
//! (`GET /v1/leads?since=…`). Behind a bearer token (`ADMIN_TOKEN`, a Worker
//! secret), compared in constant time.

use baton::records::{
    AttemptRecord, DeliveryCounts, DeliveryRecord, LeadList, LeadRecord, LeadSummary,
};
use baton::wire::Agreement;
use baton::{Decision, LeadPost};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use worker::wasm_bindgen::JsValue;
use worker::{Env, Request, Response, Result};

use crate::cors::Cors;
use crate::error::{json_response, AppError};
use crate::store::{db, iso, opt, storage, text};

/// Leads a list answers at most, and by default.
const MAX_LIMIT: u32 = 500;
const DEFAULT_LIMIT: u32 = 100;

/// The caller holds the admin token, or the answer says what is wrong.
pub fn authorize(req: &Request, env: &Env) -> std::result::Result<(), AppError> {
    let Some(expected) = crate::setting(env, "ADMIN_TOKEN").filter(|t| !t.is_empty()) else {
        return Err(AppError::Forbidden(
            "the admin API is off: set the `ADMIN_TOKEN` secret (`wrangler secret put ADMIN_TOKEN`, `.dev.vars` locally)".into(),
        ));
    };
    let header = req.headers().get("authorization").ok().flatten();
    let Some(given) = header
        .as_deref()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
    else {
        return Err(AppError::Unauthorized);
    };
    if same_secret(given, &expected) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "this token is not the admin token".into(),
        ))
    }
}

/// Compares digests, so neither the time taken nor an early exit tells how
/// much of a guess was right, whatever the lengths.
fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

pub async fn handle_get_lead(req: Request, env: &Env, id: &str) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match get_lead(&req, env, id).await {
        Ok(lead) => json_response(&lead, 200, &cors),
        Err(e) => e.into_response(&cors),
    })
}

pub async fn handle_list_leads(req: Request, env: &Env) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match list_leads(&req, env).await {
        Ok(list) => json_response(&list, 200, &cors),
        Err(e) => e.into_response(&cors),
    })
}

/// `POST /v1/leads/{id}/outcomes`: a CRM (or any tool with the admin
/// token) records what sales did with a lead, as the links in deliveries do.
pub async fn handle_post_outcome(mut req: Request, env: &Env, id: &str) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match post_outcome(&mut req, env, id).await {
        Ok(r) => json_response(&r, if r.already { 200 } else { 201 }, &cors),
        Err(e) => e.into_response(&cors),
    })
}

async fn post_outcome(
    req: &mut Request,
    env: &Env,
    id: &str,
) -> std::result::Result<baton::records::Recorded, AppError> {
    authorize(req, env)?;
    let raw = crate::body::read_json(req).await?;
    let post: baton::records::OutcomePost = crate::body::shape(crate::body::parse_json(&raw)?)?;
    let by = post.by.trim();
    if by.is_empty() || by.chars().count() > 200 {
        return Err(AppError::InvalidOutcome(
            "`by` names who answered: 1 to 200 characters".into(),
        ));
    }
    let now = worker::Date::now().as_millis() as f64;
    let at = match post.at.as_deref() {
        None => now,
        Some(t) => {
            let Some(ms) = rfc3339_ms(t) else {
                return Err(AppError::InvalidOutcome(format!(
                    "`at` is not an RFC 3339 time (`2026-12-01T09:30:00Z`): `{t}`"
                )));
            };
            if ms > now + 60_000.0 {
                return Err(AppError::InvalidOutcome(format!(
                    "`at` is in the future: `{t}`"
                )));
            }
            ms
        }
    };
    crate::feedback::record(
        &db(env)?,
        id,
        crate::feedback::Outcome {
            action: post.action,
            by: by.to_owned(),
            source: "api",
            reason: post.reason,
            amount: post.amount,
            at,
        },
    )
    .await
}

#[derive(Deserialize)]
struct LeadRow {
    id: String,
    form_id: String,
    created_at: String,
    status: String,
    submission: String,
    decision: String,
    score: i32,
    grade: String,
    qualified: u8,
    knocked_out: Option<String>,
    route_id: Option<String>,
    team_id: Option<String>,
    assigned_rep: Option<String>,
    agreement: Agreement,
    playbook_version: String,
    returning_of: Option<String>,
    first_touch_at: Option<f64>,
    sla_missed_at: Option<f64>,
    #[serde(default)]
    consents: Option<String>,
    #[serde(default)]
    n_delivered: u32,
    #[serde(default)]
    n_pending: u32,
    #[serde(default)]
    n_failed: u32,
    #[serde(default)]
    n_disabled: u32,
}

impl LeadRow {
    fn summary(&self) -> LeadSummary {
        LeadSummary {
            id: self.id.clone(),
            form: self.form_id.clone(),
            created_at: self.created_at.clone(),
            status: self.status.clone(),
            score: self.score,
            grade: self.grade.clone(),
            qualified: self.qualified == 1,
            knocked_out: self.knocked_out.clone(),
            route: self.route_id.clone(),
            team: self.team_id.clone(),
            assigned_rep: self.assigned_rep.clone(),
            agreement: self.agreement,
            playbook_version: self.playbook_version.clone(),
            returning_of: self.returning_of.clone(),
            delivery_status: DeliveryCounts {
                delivered: self.n_delivered,
                pending: self.n_pending,
                failed: self.n_failed,
                disabled: self.n_disabled,
            },
            first_touch_at: self.first_touch_at.map(iso),
            sla_missed_at: self.sla_missed_at.map(iso),
        }
    }
}

const COLUMNS: &str = "l.id, l.form_id, l.created_at, l.status, l.submission, l.decision, \
     l.score, l.grade, l.qualified, l.knocked_out, l.route_id, l.team_id, l.assigned_rep, \
     l.agreement, l.playbook_version, l.returning_of, l.first_touch_at, l.sla_missed_at, l.consents, \
     (SELECT count(*) FROM deliveries d WHERE d.lead_id = l.id AND d.status = 'delivered') AS n_delivered, \
     (SELECT count(*) FROM deliveries d WHERE d.lead_id = l.id AND d.status = 'pending') AS n_pending, \
     (SELECT count(*) FROM deliveries d WHERE d.lead_id = l.id AND d.status = 'failed') AS n_failed, \
     (SELECT count(*) FROM deliveries d WHERE d.lead_id = l.id AND d.status = 'disabled') AS n_disabled";

#[derive(Deserialize)]
struct DeliveryRow {
    id: String,
    channel: String,
    kind: String,
    event_type: String,
    status: String,
    created_at: f64,
    delivered_at: Option<f64>,
    next_attempt_at: f64,
    last_error: Option<String>,
    about: Option<String>,
}

#[derive(Deserialize)]
struct AttemptRow {
    delivery_id: String,
    attempt: u32,
    started_at: f64,
    status_code: Option<u16>,
    latency_ms: f64,
    error: Option<String>,
}

async fn get_lead(req: &Request, env: &Env, id: &str) -> std::result::Result<LeadRecord, AppError> {
    authorize(req, env)?;
    let db = db(env)?;
    let statements = vec![
        db.prepare(format!("SELECT {COLUMNS} FROM leads l WHERE l.id = ?1"))
            .bind(&[text(id)])
            .map_err(storage("binding"))?,
        db.prepare(
            "SELECT id, channel, kind, event_type, status, created_at, delivered_at, \
             next_attempt_at, last_error, about FROM deliveries WHERE lead_id = ?1 \
             ORDER BY created_at, id",
        )
        .bind(&[text(id)])
        .map_err(storage("binding"))?,
        db.prepare(
            "SELECT delivery_id, attempt, started_at, status_code, latency_ms, error \
             FROM delivery_attempts WHERE delivery_id IN \
             (SELECT id FROM deliveries WHERE lead_id = ?1) ORDER BY delivery_id, attempt",
        )
        .bind(&[text(id)])
        .map_err(storage("binding"))?,
        db.prepare(crate::feedback::OUTCOMES_OF_LEAD)
            .bind(&[text(id)])
            .map_err(storage("binding"))?,
    ];
    let results = db
        .batch(statements)
        .await
        .map_err(storage("reading the lead"))?;
    let mut results = results.into_iter();
    let (Some(leads), Some(deliveries), Some(attempts), Some(outcomes)) = (
        results.next(),
        results.next(),
        results.next(),
        results.next(),
    ) else {
        return Err(AppError::Internal(
            "D1 answered fewer results than asked".into(),
        ));
    };
    let lead: LeadRow = leads
        .results()
        .map_err(storage("reading the lead"))?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::LeadNotFound(id.to_owned()))?;
    let deliveries: Vec<DeliveryRow> = deliveries.results().map_err(storage("deliveries"))?;
    let attempts: Vec<AttemptRow> = attempts.results().map_err(storage("attempts"))?;
    let outcomes = crate::feedback::outcome_records(outcomes)?;
    let submission: LeadPost = crate::body::parse_json(lead.submission.as_bytes())
        .and_then(crate::body::shape)
        .map_err(|e| AppError::Internal(format!("stored submission of {id}: {}", e.message())))?;
    let decision: Decision = serde_json::from_str(&lead.decision)
        .map_err(|e| AppError::Internal(format!("stored decision of {id}: {e}")))?;
    let deliveries = deliveries
        .into_iter()
        .map(|d| DeliveryRecord {
            attempts: attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .map(|a| AttemptRecord {
                    attempt: a.attempt,
                    started_at: iso(a.started_at),
                    status_code: a.status_code,
                    latency_ms: crate::store::whole_u32(a.latency_ms),
                    error: a.error.clone(),
                })
                .collect(),
            next_attempt_at: (d.status == "pending").then(|| iso(d.next_attempt_at)),
            id: d.id,
            channel: d.channel,
            kind: d.kind,
            event_type: d.event_type,
            status: d.status,
            created_at: iso(d.created_at),
            delivered_at: d.delivered_at.map(iso),
            last_error: d.last_error,
            about: d.about,
        })
        .collect();
    // Leads stored before the consent record have none.
    let consents = match lead.consents.as_deref() {
        Some(j) => serde_json::from_str(j)
            .map_err(|e| AppError::Internal(format!("stored consents of {id}: {e}")))?,
        None => Vec::new(),
    };
    Ok(LeadRecord {
        summary: lead.summary(),
        submission,
        decision,
        deliveries,
        outcomes,
        consents,
    })
}

async fn list_leads(req: &Request, env: &Env) -> std::result::Result<LeadList, AppError> {
    authorize(req, env)?;
    let url = req.url().map_err(|e| AppError::BadShape(e.to_string()))?;
    let (mut since, mut limit, mut form) = (None, DEFAULT_LIMIT, None);
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "since" => since = Some(v.into_owned()),
            "limit" => {
                limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        AppError::BadQuery(format!(
                            "`limit` must be a whole number from 1 to {MAX_LIMIT}, got `{v}`"
                        ))
                    })?
            }
            "form" => form = Some(v.into_owned()),
            other => {
                return Err(AppError::BadQuery(format!(
                    "unknown query parameter `{other}`; this list takes `since`, `limit` and `form`"
                )))
            }
        }
    }
    // `since` is a lead id (the `next` of a page) or a time.
    let (clause, since_arg) = match since.as_deref() {
        None => ("1 = 1", JsValue::NULL),
        Some(s) if is_lead_id(s) => ("l.id > ?1", text(&s.to_ascii_uppercase())),
        Some(s) => match rfc3339_ms(s) {
            Some(ms) => ("l.created_at > ?1", text(&iso(ms))),
            None => {
                return Err(AppError::BadQuery(format!(
                "`since` must be an RFC 3339 time (`2026-12-01T00:00:00Z`) or a lead id, got `{s}`"
            )))
            }
        },
    };
    let db = db(env)?;
    let rows: Vec<LeadRow> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM leads l WHERE {clause} AND (?2 IS NULL OR l.form_id = ?2) \
             ORDER BY l.id LIMIT ?3"
        ))
        .bind(&[
            since_arg,
            opt(form.as_deref()),
            JsValue::from_f64(f64::from(limit)),
        ])
        .map_err(storage("binding"))?
        .all()
        .await
        .and_then(|r| r.results())
        .map_err(storage("listing leads"))?;
    let full = u32::try_from(rows.len()).unwrap_or(u32::MAX) == limit;
    let leads: Vec<LeadSummary> = rows.iter().map(LeadRow::summary).collect();
    Ok(LeadList {
        next: if full {
            leads.last().map(|l| l.id.clone())
        } else {
            None
        },
        leads,
    })
}

/// What `since` takes as a lead id (`LEAD_ID_PATTERN` in the OpenAPI document).
fn is_lead_id(s: &str) -> bool {
    s.len() == 26 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Milliseconds since 1970 of an RFC 3339 time (`2026-12-01T00:00:00Z`,
/// `2026-12-01t09:30:00.5+01:00`), or `None` for anything else: checked
/// here, as JSON Schema's `date-time` is, rather than by `Date.parse`, which
/// takes `1` or `Dec 1` and refuses a leap second.
pub(crate) fn rfc3339_ms(s: &str) -> Option<f64> {
    fn num(b: &[u8]) -> Option<i64> {
        b.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    }
    let b = s.as_bytes();
    let (date, rest) = (b.get(..10)?, b.get(10..)?);
    let (year, month, day) = (
        num(date.get(0..4)?)?,
        num(date.get(5..7)?)?,
        num(date.get(8..10)?)?,
    );
    if date.get(4) != Some(&b'-') || date.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(rest.first(), Some(b'T' | b't')) {
        return None;
    }
    let time = rest.get(1..)?;
    let (hour, minute, second) = (
        num(time.get(0..2)?)?,
        num(time.get(3..5)?)?,
        num(time.get(6..8)?)?,
    );
    if time.get(2) != Some(&b':') || time.get(5) != Some(&b':') {
        return None;
    }
    let mut rest = time.get(8..)?;
    let mut frac_ms = 0.0;
    if rest.first() == Some(&b'.') {
        let digits = rest
            .iter()
            .skip(1)
            .take_while(|d| d.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let frac = std::str::from_utf8(rest.get(..=digits)?).ok()?;
        frac_ms = frac.parse::<f64>().ok()? * 1000.0;
        rest = rest.get(digits + 1..)?;
    }
    let offset_min = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (num(&[*h1, *h2])?, num(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' {
                h * 60 + m
            } else {
                -(h * 60 + m)
            }
        }
        _ => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    // A leap second (`:60`) counts as the next second, as POSIX time has none.
    if !(1..=days_in_month).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days from 1970-01-01 to the date (Howard Hinnant's `days_from_civil`).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    // At most a few hundred billion seconds either way: exact in an f64.
    Some(secs as f64 * 1000.0 + frac_ms.floor())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_rfc_3339_times_and_nothing_else() {
        let at = |s| rfc3339_ms(s);
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(at("2026-12-01T00:00:00Z"), Some(1_796_083_200_000.0));
        assert_eq!(at("2026-12-01t01:00:00+01:00"), Some(1_796_083_200_000.0));
        assert_eq!(
            at("2026-11-30T23:00:00.250-01:00"),
            Some(1_796_083_200_250.0)
        );
        assert_eq!(at("2000-02-29T12:00:00z"), Some(951_825_600_000.0));
        assert_eq!(at("1969-12-31T23:59:59.999999Z"), Some(-1.0));
        assert_eq!(at("2016-12-31T23:59:60Z"), Some(1_483_228_800_000.0));
        for bad in [
            "",
            "1",
            "Dec 1 2026",
            "2026-12-01",
            "2026-12-01T00:00:00",
            "2026-12-01 00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T00:60:00Z",
            "2026-12-01T00:00:61Z",
            "2026-12-01T00:00:00.Z",
            "2026-12-01T00:00:00+0100",
            "2026-12-01T00:00:00+24:00",
            "2026-12-01T00:00:00Zjunk",
            "+2026-12-01T00:00:00Z",
            "2026-1２-01T00:00:00Z",
        ] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
        assert!(is_lead_id("01JDX0000000000000000000AB"));
        assert!(!is_lead_id("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn tokens_compare_equal_only_when_equal() {
        assert!(same_secret("s3cret-token", "s3cret-token"));
        assert!(!same_secret("s3cret-token", "s3cret-tokem"));
        assert!(!same_secret("", "s3cret-token"));
        assert!(!same_secret("s3cret-token-and-more", "s3cret-token"));
    }
}
