//! The SLA watchdog (cron trigger, after the sweeper): a lead nobody
//! accepted or contacted by its grade's deadline is a missed SLA. The SLA's
//! escalation contact and the rep who had it are told (`sla.missed`); when
//! the playbook reassigns (`sla.reassign`), the lead goes to the team's next
//! rep as `lead.reassigned`, with a new deadline, and the watch goes on for
//! them. Every miss is a row of `sla_breaches`, for the reports.
//!
//! All of one lead's writes (the breach, the new rep, the deliveries) are one
//! D1 batch, so a lead is never reassigned without its rep hearing of it.

use baton::event::{self, Event, EventData, RepRef, SlaMissedData};
use baton::{Channel, Decision, LeadPost};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{console_error, console_log, D1Database, Date, Env};

use crate::deliver::{lead_url, render};
use crate::outbox::{self, NewDelivery};
use crate::playbooks;
use crate::store::{iso, opt, text};

/// Leads handled per run at most; the next run takes the rest.
const BATCH: u32 = 100;

#[derive(Deserialize)]
struct Late {
    id: String,
    form_id: String,
    submission: String,
    decision: String,
    assigned_rep: Option<String>,
    sla_due_at: f64,
    edge_url: Option<String>,
    /// The reps who missed this lead's deadline before, separated by
    /// U+001F (read with the claim, not in a round trip of its own).
    tried: Option<String>,
}

/// Reports every lead past its deadline; answers how many.
pub async fn watch(env: &Env, db: &D1Database) -> Result<usize, String> {
    let now = Date::now().as_millis() as f64;
    // Taken in one statement, so two runs never report one miss twice.
    let late: Vec<Late> = db
        .prepare(
            "UPDATE leads SET sla_missed_at = ?1 WHERE id IN ( \
               SELECT id FROM leads WHERE sla_due_at <= ?1 AND first_touch_at IS NULL \
               AND sla_missed_at IS NULL AND status = 'accepted' ORDER BY sla_due_at LIMIT ?2) \
             RETURNING id, form_id, submission, decision, assigned_rep, sla_due_at, edge_url, \
               (SELECT group_concat(b.rep, char(31)) FROM sla_breaches b \
                WHERE b.lead_id = leads.id) AS tried",
        )
        .bind(&[JsValue::from_f64(now), JsValue::from_f64(f64::from(BATCH))])
        .map_err(|e| e.to_string())?
        .all()
        .await
        .and_then(|r| r.results())
        .map_err(|e| format!("finding late leads: {e}"))?;
    let n = late.len();
    for lead in late {
        if let Err(e) = missed(env, db, &lead, now).await {
            console_error!("watchdog: lead {}: {e}", lead.id);
            // Not reported: left for the next run to try again.
            let undo = db
                .prepare("UPDATE leads SET sla_missed_at = NULL WHERE id = ?1")
                .bind(&[text(&lead.id)]);
            if let Ok(stmt) = undo {
                let _ = stmt.run().await;
            }
        }
    }
    if n > 0 {
        console_log!("watchdog: {n} lead(s) missed their follow-up deadline");
    }
    Ok(n)
}

async fn missed(env: &Env, db: &D1Database, lead: &Late, now: f64) -> Result<(), String> {
    let form = playbooks::find(&lead.form_id)
        .ok_or_else(|| format!("form `{}` is no longer served", lead.form_id))?;
    let playbook = &form.playbook;
    let decision: Decision =
        serde_json::from_str(&lead.decision).map_err(|e| format!("stored decision: {e}"))?;
    let post: LeadPost = crate::body::parse_json(lead.submission.as_bytes())
        .and_then(crate::body::shape)
        .map_err(|e| format!("stored submission: {}", e.message()))?;

    // Everyone who already had this lead and let it pass, then who had it now.
    let tried_ids: Vec<&str> = lead
        .tried
        .as_deref()
        .unwrap_or("")
        .split('\u{1f}')
        .filter(|r| !r.is_empty())
        .chain(lead.assigned_rep.as_deref())
        .collect();
    let next = match (&decision.route, playbook.sla_reassigns()) {
        (Some(route), true) => playbook.next_rep(route, &tried_ids),
        _ => None,
    };
    let minutes = decision.sla_minutes.unwrap_or(0);
    let missed_by = lead.assigned_rep.as_deref().and_then(|id| playbook.rep(id));
    let escalation = playbook.escalation();
    let due = iso(lead.sla_due_at);
    let url = lead_url(lead.edge_url.as_deref(), &lead.id);

    let notice = Event {
        kind: event::SLA_MISSED.to_owned(),
        timestamp: iso(now),
        data: EventData::SlaMissed(Box::new(SlaMissedData {
            v: event::EVENT_VERSION,
            lead_id: lead.id.clone(),
            lead_url: url,
            contact: event::contact(playbook, &post.submission),
            grade: decision.grade.clone(),
            score: decision.score,
            minutes,
            due_at: due.clone(),
            missed_by: missed_by.map(RepRef::of),
            reassigned_to: next.map(RepRef::of),
        })),
    };
    // The escalation contact and the rep who missed it, each channel once.
    let mut targets: Vec<&Channel> = Vec::new();
    for c in escalation
        .into_iter()
        .chain(missed_by)
        .flat_map(|r| &r.channels)
    {
        if !targets.iter().any(|t| t.id == c.id) {
            targets.push(c);
        }
    }
    // Unique per lead and deadline: a second run's rows are ignored.
    let tag = format!("{}_{}", lead.id, lead.sla_due_at.floor() as i64);
    let mut deliveries: Vec<NewDelivery> = outbox::plan(&lead.id, event::SLA_MISSED, &targets);
    for (i, d) in deliveries.iter_mut().enumerate() {
        d.id = format!("sla_{tag}_{i}");
        d.payload = Some(render(outbox::kind_name(d.kind), &notice, Some(&due))?);
    }
    if deliveries.is_empty() {
        console_error!(
            "lead {}: missed its deadline and nobody can be told: give the SLA's escalate_to rep a channel",
            lead.id
        );
    }

    let mut statements = Vec::new();
    let new_due = now + f64::from(minutes) * 60_000.0;
    if let Some(rep) = next {
        // The lead itself, for its new rep (built when sent, from the lead as
        // it is then: this rep, this deadline). Their own channels; the
        // route's when they have none, so someone hears.
        let own: Vec<&Channel> = rep.channels.iter().collect();
        let channels = match (&decision.route, own.is_empty()) {
            (Some(route), true) => playbook.channels_for(route, Some(&rep.id)),
            _ => own,
        };
        let mut handed = outbox::plan(&lead.id, event::LEAD_REASSIGNED, &channels);
        for (i, d) in handed.iter_mut().enumerate() {
            d.id = format!("re_{tag}_{i}");
        }
        deliveries.extend(handed);
        statements.push(
            db.prepare(
                "UPDATE leads SET assigned_rep = ?2, sla_due_at = ?3, sla_missed_at = NULL \
                 WHERE id = ?1 AND first_touch_at IS NULL",
            )
            .bind(&[text(&lead.id), text(&rep.id), JsValue::from_f64(new_due)])
            .map_err(|e| e.to_string())?,
        );
    }
    statements.push(
        db.prepare(
            "INSERT OR IGNORE INTO sla_breaches \
             (lead_id, rep, due_at, noticed_at, escalated_to, reassigned_to) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&[
            text(&lead.id),
            opt(lead.assigned_rep.as_deref()),
            JsValue::from_f64(lead.sla_due_at),
            JsValue::from_f64(now),
            opt(escalation.map(|r| r.id.as_str())),
            opt(next.map(|r| r.id.as_str())),
        ])
        .map_err(|e| e.to_string())?,
    );
    statements.extend(
        outbox::inserts(
            db,
            &lead.id,
            &lead.form_id,
            &deliveries,
            now,
            outbox::sweep_grace_ms(env),
        )
        .map_err(|e| e.message())?,
    );
    db.batch(statements)
        .await
        .map_err(|e| format!("recording the miss: {e}"))?;
    outbox::enqueue(env, deliveries.into_iter().map(|d| d.id)).await;
    Ok(())
}
