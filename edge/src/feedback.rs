//! What sales answers about a lead, recorded once per action with who and
//! when: from the signed links every delivery carries (`/v1/feedback`, a
//! small HTML page) and from a CRM through the admin API
//! (`POST /v1/leads/{id}/outcomes`). The first `accepted` or `contacted`
//! stamps the lead's first touch, which stops its SLA clock.
//!
//! A link's GET only shows what it would record, with one button: mail
//! scanners and chat unfurlers open links by themselves, and a lead must not
//! be accepted by a robot. The POST records it.

use baton::outcome::link::{Link, LinkError, LinkKey};
use baton::outcome::Action;
use baton::records::{OutcomeRecord, Recorded};
use baton::wire::event::FeedbackLinks;
use baton::LeadPost;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, Date, Env, Request, Response, Result};

use crate::error::AppError;
use crate::playbooks;
use crate::store::{db, iso, opt, storage, text};

/// The Worker secret that signs feedback links.
pub const LINK_SECRET: &str = "LINK_SECRET";

/// The key feedback links are signed with, if the Worker has one.
pub fn key(env: &Env) -> Option<LinkKey> {
    crate::setting(env, LINK_SECRET).and_then(|s| LinkKey::new(&s))
}

/// The six links of one delivery: `by` is who it went to (`ana`, `team:growth`).
pub fn links(key: &LinkKey, edge_url: &str, lead: &str, by: &str, expires: u64) -> FeedbackLinks {
    let url = |action| {
        let q = key.query(&Link {
            lead: lead.to_owned(),
            action,
            by: by.to_owned(),
            expires,
        });
        format!("{edge_url}/v1/feedback?{q}")
    };
    FeedbackLinks {
        expires_at: iso(expires as f64 * 1000.0),
        accepted: url(Action::Accepted),
        rejected: url(Action::Rejected),
        contacted: url(Action::Contacted),
        meeting_booked: url(Action::MeetingBooked),
        won: url(Action::Won),
        lost: url(Action::Lost),
    }
}

/// Who a delivery's channel belongs to: `rep:ana:webhook` is `ana`,
/// `team:growth:slack` is `team:growth`.
pub fn owner_of_channel(channel: &str) -> String {
    let mut parts = channel.splitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some("rep"), Some(rep)) => rep.to_owned(),
        (Some(kind), Some(id)) => format!("{kind}:{id}"),
        _ => channel.to_owned(),
    }
}

/// One answer to record.
pub struct Outcome {
    pub action: Action,
    pub by: String,
    /// `link` or `api`.
    pub source: &'static str,
    pub reason: Option<String>,
    pub amount: Option<f64>,
    /// ms since the epoch.
    pub at: f64,
}

#[derive(Deserialize)]
struct LeadBrief {
    form_id: String,
    submission: String,
    grade: String,
    score: i32,
    assigned_rep: Option<String>,
    first_touch_at: Option<f64>,
}

#[derive(Deserialize)]
struct OutcomeRow {
    lead_id: String,
    action: String,
    at: f64,
    by: String,
    source: String,
    reason: Option<String>,
    amount: Option<f64>,
}

impl OutcomeRow {
    fn record(self) -> std::result::Result<OutcomeRecord, AppError> {
        let action = Action::from_name(&self.action)
            .ok_or_else(|| AppError::Internal(format!("stored action `{}`", self.action)))?;
        Ok(OutcomeRecord {
            lead_id: self.lead_id,
            action,
            at: iso(self.at),
            by: self.by,
            source: self.source,
            reason: self.reason,
            amount: self.amount,
        })
    }
}

async fn lead_brief(db: &D1Database, id: &str) -> std::result::Result<LeadBrief, AppError> {
    db.prepare(
        "SELECT form_id, submission, grade, score, assigned_rep, first_touch_at \
         FROM leads WHERE id = ?1 AND status = 'accepted'",
    )
    .bind(&[text(id)])
    .map_err(storage("binding"))?
    .first(None)
    .await
    .map_err(storage("reading the lead"))?
    .ok_or_else(|| AppError::LeadNotFound(id.to_owned()))
}

/// Every outcome of one lead (`?1`), oldest first.
pub const OUTCOMES_OF_LEAD: &str = "SELECT lead_id, action, at, by, source, reason, amount \
     FROM outcomes WHERE lead_id = ?1 ORDER BY at, action";

pub fn outcome_records(
    result: worker::D1Result,
) -> std::result::Result<Vec<OutcomeRecord>, AppError> {
    result
        .results::<OutcomeRow>()
        .map_err(storage("reading outcomes"))?
        .into_iter()
        .map(OutcomeRow::record)
        .collect()
}

async fn recorded(
    db: &D1Database,
    lead: &str,
    action: Action,
) -> std::result::Result<Option<OutcomeRecord>, AppError> {
    let row: Option<OutcomeRow> = db
        .prepare(
            "SELECT lead_id, action, at, by, source, reason, amount FROM outcomes \
             WHERE lead_id = ?1 AND action = ?2",
        )
        .bind(&[text(lead), text(action.as_str())])
        .map_err(storage("binding"))?
        .first(None)
        .await
        .map_err(storage("reading outcomes"))?;
    row.map(OutcomeRow::record).transpose()
}

/// Records `o` on lead `id` once: a second time answers the first record
/// (`already`); won after lost, or lost after won, is refused.
pub async fn record(
    db: &D1Database,
    id: &str,
    o: Outcome,
) -> std::result::Result<Recorded, AppError> {
    record_on(db, &lead_brief(db, id).await?, id, o).await
}

/// `record`, for a lead already read.
async fn record_on(
    db: &D1Database,
    lead: &LeadBrief,
    id: &str,
    o: Outcome,
) -> std::result::Result<Recorded, AppError> {
    let form = playbooks::find(&lead.form_id)
        .ok_or_else(|| AppError::Internal(format!("lead {id}: form `{}` is gone", lead.form_id)))?;
    let reason = form
        .playbook
        .check_outcome(o.action, o.reason.as_deref(), o.amount)
        .map_err(|e| AppError::InvalidOutcome(e.to_string()))?;
    let at = JsValue::from_f64(o.at.floor());
    let mut statements = vec![db
        .prepare(
            "INSERT INTO outcomes (lead_id, action, at, by, source, reason, amount) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 \
             WHERE NOT (?2 IN ('won', 'lost') AND EXISTS (SELECT 1 FROM outcomes \
               WHERE lead_id = ?1 AND action IN ('won', 'lost') AND action <> ?2)) \
             ON CONFLICT (lead_id, action) DO NOTHING",
        )
        .bind(&[
            text(id),
            text(o.action.as_str()),
            at.clone(),
            text(&o.by),
            text(o.source),
            opt(reason.as_deref()),
            o.amount.map_or(JsValue::NULL, JsValue::from_f64),
        ])
        .map_err(storage("binding"))?];
    if o.action.is_touch() {
        statements.push(
            db.prepare(
                "UPDATE leads SET first_touch_at = ?2 WHERE id = ?1 AND first_touch_at IS NULL",
            )
            .bind(&[text(id), at])
            .map_err(storage("binding"))?,
        );
    }
    let results = db
        .batch(statements)
        .await
        .map_err(storage("recording the outcome"))?;
    let inserted = results
        .first()
        .and_then(|r| r.meta().ok().flatten())
        .and_then(|m| m.changes)
        .unwrap_or(0)
        > 0;
    let Some(outcome) = recorded(db, id, o.action).await? else {
        let other = if o.action == Action::Won {
            "lost"
        } else {
            "won"
        };
        return Err(AppError::OutcomeConflict(format!(
            "this lead is already marked {other}; a deal ends once"
        )));
    };
    let first_touch = if o.action.is_touch() {
        lead.first_touch_at.or(Some(o.at.floor()))
    } else {
        lead.first_touch_at
    };
    Ok(Recorded {
        outcome,
        already: !inserted,
        first_touch_at: first_touch.map(iso),
    })
}

/// `GET /v1/feedback?lead=…&a=…&by=…&exp=…&sig=…`: what the link would
/// record, and the button that records it.
pub async fn handle_get(req: Request, env: &Env) -> Result<Response> {
    let pairs: Vec<(String, String)> = req
        .url()
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    Ok(match show(env, &pairs).await {
        Ok(page) => page,
        Err(e) => error_page(&e),
    })
}

/// `POST /v1/feedback` (the page's form): records the outcome.
pub async fn handle_post(mut req: Request, env: &Env) -> Result<Response> {
    let pairs: Vec<(String, String)> = match crate::body::read_capped(&mut req).await {
        Ok(body) => form_urlencoded::parse(&body).into_owned().collect(),
        Err(e) => return Ok(error_page(&e)),
    };
    Ok(match submit(env, &pairs).await {
        Ok(page) => page,
        Err(e) => error_page(&e),
    })
}

fn verify(env: &Env, pairs: &[(String, String)]) -> std::result::Result<Link, AppError> {
    let key = key(env).ok_or_else(|| {
        AppError::Forbidden(format!(
            "feedback links are off: set the `{LINK_SECRET}` secret (16 characters or more)"
        ))
    })?;
    let now = Date::now().as_millis() / 1000;
    key.verify(pairs, now).map_err(|e| match e {
        LinkError::Expired => AppError::LinkExpired,
        LinkError::Incomplete => AppError::BadQuery(e.to_string()),
        LinkError::Forged => AppError::Forbidden(e.to_string()),
    })
}

/// Who the lead is, in one line: "Ada Lovelace, CTO at Analytical (A, 80)".
fn describe(lead: &LeadBrief) -> String {
    let post: Option<LeadPost> = crate::body::parse_json(lead.submission.as_bytes())
        .and_then(crate::body::shape)
        .ok();
    let contact = match (post, playbooks::find(&lead.form_id)) {
        (Some(p), Some(f)) => baton::event::contact(&f.playbook, &p.submission),
        _ => Default::default(),
    };
    let who = contact
        .name
        .or(contact.email)
        .unwrap_or_else(|| "This lead".to_owned());
    let role = match (contact.title, contact.company) {
        (Some(t), Some(c)) => format!(", {t} at {c}"),
        (None, Some(c)) => format!(", {c}"),
        (Some(t), None) => format!(", {t}"),
        (None, None) => String::new(),
    };
    format!("{who}{role} (grade {}, score {})", lead.grade, lead.score)
}

async fn show(env: &Env, pairs: &[(String, String)]) -> std::result::Result<Response, AppError> {
    let link = verify(env, pairs)?;
    let db = db(env)?;
    let lead = lead_brief(&db, &link.lead).await?;
    let about = describe(&lead);
    if let Some(done) = recorded(&db, &link.lead, link.action).await? {
        return Ok(done_page(&about, &done, true));
    }
    let playbook = playbooks::find(&lead.form_id).map(|f| &f.playbook);
    let reasons = playbook.map_or(&[][..], |p| p.reasons_for(link.action));
    // What the outcome needs besides the click: a reason (the playbook's
    // list, or free text where it has none) or the deal's amount.
    let extra = match link.action {
        Action::Rejected | Action::Lost if reasons.is_empty() => {
            "<label>Reason <input name=\"reason\" required maxlength=\"200\"></label>".to_owned()
        }
        Action::Rejected | Action::Lost => {
            let options: String = reasons
                .iter()
                .map(|r| format!("<option>{}</option>", esc(r)))
                .collect();
            format!("<label>Reason <select name=\"reason\" required><option value=\"\">Choose…</option>{options}</select></label>")
        }
        Action::Won => "<label>Amount <input name=\"amount\" type=\"number\" min=\"0\" step=\"any\" required inputmode=\"decimal\"></label>".to_owned(),
        _ => String::new(),
    };
    let hidden: String = pairs
        .iter()
        .filter(|(k, _)| ["lead", "a", "by", "exp", "sig"].contains(&k.as_str()))
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect();
    let assigned = lead.assigned_rep.as_deref().unwrap_or("nobody");
    let body = format!(
        "<h1>{title}?</h1><p>{about}</p><p class=\"muted\">As <b>{by}</b>; the lead is with {assigned}.</p>\
         <form method=\"post\" action=\"/v1/feedback\">{hidden}{extra}\
         <button type=\"submit\" autofocus>{label}</button></form>",
        title = esc(&question(link.action)),
        about = esc(&about),
        by = esc(&link.by),
        assigned = esc(assigned),
        label = esc(link.action.label()),
    );
    Ok(page(200, link.action.label(), &body))
}

async fn submit(env: &Env, pairs: &[(String, String)]) -> std::result::Result<Response, AppError> {
    let link = verify(env, pairs)?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    let amount =
        match get("amount").filter(|a| !a.is_empty()) {
            Some(a) => Some(a.parse::<f64>().map_err(|_| {
                AppError::InvalidOutcome(format!("the amount `{a}` is not a number"))
            })?),
            None => None,
        };
    let db = db(env)?;
    let lead = lead_brief(&db, &link.lead).await?;
    let recorded = record_on(
        &db,
        &lead,
        &link.lead,
        Outcome {
            action: link.action,
            by: link.by.clone(),
            source: "link",
            reason: get("reason").map(str::to_owned),
            amount,
            at: Date::now().as_millis() as f64,
        },
    )
    .await?;
    Ok(done_page(
        &describe(&lead),
        &recorded.outcome,
        recorded.already,
    ))
}

fn question(a: Action) -> String {
    match a {
        Action::Accepted => "Accept this lead".into(),
        Action::Rejected => "Reject this lead".into(),
        Action::Contacted => "Mark this lead contacted".into(),
        Action::MeetingBooked => "Mark a meeting booked".into(),
        Action::Won => "Mark this deal won".into(),
        Action::Lost => "Mark this deal lost".into(),
    }
}

fn done_page(about: &str, o: &OutcomeRecord, already: bool) -> Response {
    let mut detail = String::new();
    if let Some(r) = &o.reason {
        detail.push_str(&format!(" Reason: {}.", esc(r)));
    }
    if let Some(a) = o.amount {
        detail.push_str(&format!(" Amount: {a}."));
    }
    let head = if already {
        "Already recorded"
    } else {
        "Recorded"
    };
    let body = format!(
        "<h1>{head}: {action}</h1><p>{about}</p><p>{action} by <b>{by}</b> at <time datetime=\"{at}\">{at}</time>.{detail}</p>\
         <p class=\"muted\">You can close this tab.</p>",
        action = esc(o.action.label()),
        about = esc(about),
        by = esc(&o.by),
        at = esc(&o.at),
    );
    page(if already { 200 } else { 201 }, head, &body)
}

fn error_page(e: &AppError) -> Response {
    if matches!(e, AppError::StorageUnavailable(_) | AppError::Internal(_)) {
        worker::console_error!("feedback: {e:?}");
    }
    let body = format!(
        "<h1>Not recorded</h1><p>{}</p><p class=\"muted\">Code: {}</p>",
        esc(&e.message()),
        e.code().as_str()
    );
    page(e.status(), "Not recorded", &body)
}

/// A small page of our own: no script, no third-party anything, and the
/// link's token never leaves in a `Referer`.
fn page(status: u16, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{} · Baton</title><style>\
         body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a1a2e}}\
         h1{{font-size:1.4rem}}label{{display:block;margin:.8rem 0}}select,input{{font:inherit;padding:.4rem;margin-left:.4rem}}\
         button{{font:inherit;padding:.6rem 1.4rem;border:0;border-radius:.4rem;background:#2746d8;color:#fff;cursor:pointer}}\
         .muted{{color:#555}}</style></head><body>{body}</body></html>",
        esc(title)
    );
    let mut res = Response::builder()
        .with_status(status)
        .fixed(html.into_bytes());
    let h = res.headers_mut();
    let _ = h.set("content-type", "text/html; charset=utf-8");
    let _ = h.set("cache-control", "no-store");
    let _ = h.set("referrer-policy", "no-referrer");
    let _ = h.set("x-content-type-options", "nosniff");
    let _ = h.set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    res
}

/// HTML-escapes text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_belongs_to_its_rep_or_team() {
        assert_eq!(owner_of_channel("rep:ana:webhook"), "ana");
        assert_eq!(owner_of_channel("team:growth:slack"), "team:growth");
        assert_eq!(owner_of_channel("odd"), "odd");
    }

    #[test]
    fn escapes_what_html_reads() {
        assert_eq!(
            esc("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
