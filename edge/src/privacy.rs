//! People's data: erasure on request (`DELETE /v1/people/{email}`, admin)
//! and the retention the playbook promises (`privacy.retain_days`, enforced
//! by the scheduled run, which also clears idempotency keys past their use).
//!
//! A person is found by the address their leads were stored with (the
//! `email` column: the form's email answer, trimmed and lowercased). Their
//! leads go with everything that holds them: deliveries (whose payloads are
//! the lead), attempts, outcomes and missed deadlines, in one batch, so an
//! erasure is whole or not at all. Queue messages carry delivery ids only: a
//! message for an erased delivery finds no row and does nothing.

use baton::records::{Erased, ErasedRows};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{console_log, D1Database, D1PreparedStatement, Date, Env, Request, Response, Result};

use crate::admin::authorize;
use crate::cors::Cors;
use crate::error::{json_response, AppError};
use crate::playbooks;
use crate::store::{db, iso, storage, text};

/// Leads erased per form per scheduled run: one run stays short, the next
/// takes the rest.
const RETENTION_BATCH: u32 = 500;
/// An idempotency key protects a retry; the widget retries a lead for up to
/// 7 days (its outbox), so a key older than 8 days has done its work.
const KEY_DAYS: f64 = 8.0;
const DAY_MS: f64 = 86_400_000.0;

/// The five deletes of the leads `leads` selects (a subquery over `leads l`
/// with its own parameters), children first, with their answers' counts.
fn erase_statements(
    d1: &D1Database,
    leads: &str,
    args: &[JsValue],
) -> std::result::Result<Vec<D1PreparedStatement>, AppError> {
    let of_deliveries = format!("SELECT id FROM deliveries WHERE lead_id IN ({leads})");
    [
        format!("DELETE FROM delivery_attempts WHERE delivery_id IN ({of_deliveries})"),
        format!("DELETE FROM deliveries WHERE lead_id IN ({leads})"),
        format!("DELETE FROM outcomes WHERE lead_id IN ({leads})"),
        format!("DELETE FROM sla_breaches WHERE lead_id IN ({leads})"),
        format!("DELETE FROM leads WHERE id IN ({leads}) RETURNING id"),
    ]
    .into_iter()
    .map(|sql| {
        d1.prepare(sql)
            .bind(args)
            .map_err(storage("binding an erasure"))
    })
    .collect()
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

/// Runs the deletes in one batch; the rows per table and the leads' ids.
async fn erase(
    d1: &D1Database,
    leads: &str,
    args: &[JsValue],
) -> std::result::Result<(ErasedRows, Vec<String>), AppError> {
    let results = d1
        .batch(erase_statements(d1, leads, args)?)
        .await
        .map_err(storage("erasing"))?;
    let changes = |i: usize| {
        results
            .get(i)
            .and_then(|r| r.meta().ok().flatten())
            .and_then(|m| m.changes)
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    let ids: Vec<Id> = match results.get(4) {
        Some(r) => r.results().map_err(storage("erased leads"))?,
        None => Vec::new(),
    };
    let mut ids: Vec<String> = ids.into_iter().map(|i| i.id).collect();
    ids.sort();
    let rows = ErasedRows {
        leads: u32::try_from(ids.len()).unwrap_or(u32::MAX),
        deliveries: changes(1),
        delivery_attempts: changes(0),
        outcomes: changes(2),
        sla_breaches: changes(3),
    };
    Ok((rows, ids))
}

/// `DELETE /v1/people/{email}` (admin token).
pub async fn handle_erase(req: Request, env: &Env, raw: &str) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match erase_person(&req, env, raw).await {
        Ok(erased) => json_response(&erased, 200, &cors),
        Err(e) => e.into_response(&cors),
    })
}

async fn erase_person(
    req: &Request,
    env: &Env,
    raw: &str,
) -> std::result::Result<Erased, AppError> {
    authorize(req, env)?;
    let decoded = worker::js_sys::decode_uri_component(raw)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| AppError::BadShape(format!("`{raw}` is not a percent-encoded address")))?;
    // Exactly the document's pattern and lengths (`^[^@/]+@[^@/]+$`, 3 to
    // 254 characters), no stricter: an address that matches no lead erases
    // nothing, which is an answer too.
    let shaped = (3..=254).contains(&decoded.chars().count())
        && !decoded.contains('/')
        && decoded.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    let email = decoded.trim().to_lowercase();
    if !shaped {
        return Err(AppError::BadShape(
            "the path names an email address: `DELETE /v1/people/ana%40example.com`".into(),
        ));
    }
    let (rows, lead_ids) = erase(
        &db(env)?,
        "SELECT id FROM leads WHERE email = ?1",
        &[text(&email)],
    )
    .await?;
    // The ids only: the address is what was erased.
    console_log!(
        "erasure: {} lead(s) erased: {}",
        rows.leads,
        lead_ids.join(" ")
    );
    Ok(Erased {
        email,
        lead_ids,
        rows,
    })
}

/// The scheduled run's part: each form's leads past `privacy.retain_days`,
/// then idempotency keys past their use.
pub async fn retain(d1: &D1Database) -> std::result::Result<(), String> {
    let now = Date::now().as_millis() as f64;
    for form in playbooks::all() {
        let Some(days) = form.playbook.retain_days() else {
            continue;
        };
        let cutoff = iso(now - f64::from(days) * DAY_MS);
        let leads = format!(
            "SELECT id FROM leads WHERE form_id = ?1 AND created_at < ?2 \
             ORDER BY created_at LIMIT {RETENTION_BATCH}"
        );
        let (rows, _) = erase(d1, &leads, &[text(form.playbook.id()), text(&cutoff)])
            .await
            .map_err(|e| e.message())?;
        if rows.leads > 0 {
            console_log!(
                "retention: {} lead(s) of form {} older than {days} days erased",
                rows.leads,
                form.playbook.id()
            );
        }
    }
    d1.prepare(
        "UPDATE leads SET idempotency_key = NULL WHERE id IN (SELECT id FROM leads \
         WHERE idempotency_key IS NOT NULL AND created_at < ?1 LIMIT 1000)",
    )
    .bind(&[text(&iso(now - KEY_DAYS * DAY_MS))])
    .map_err(|e| e.to_string())?
    .run()
    .await
    .map_err(|e| format!("clearing idempotency keys: {e}"))?;
    Ok(())
}
