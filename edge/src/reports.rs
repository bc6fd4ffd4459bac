//! `GET /v1/reports` (the closed-loop figures, per playbook version) and
//! `GET /v1/reports/leads.csv` (every lead with its decision and outcomes,
//! what `baton backtest --from-edge` reads). Behind the admin token.
//!
//! The rows are read here, the counting is `baton::report` (pure).

use baton::report::{self, BreachRow, ByLead, LeadRow, OutcomeRow};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{js_sys, D1Database, Date, Env, Request, Response, Result};

use crate::admin::authorize;
use crate::cors::Cors;
use crate::error::{json_response, AppError};
use crate::playbooks;
use crate::store::{db, iso, opt, storage, text};

/// A report reads at most this many leads; a longer window is refused
/// with a message saying to narrow it.
const MAX_LEADS: usize = 50_000;
/// The window when none is given.
const DEFAULT_DAYS: f64 = 90.0;
const DAY_MS: f64 = 86_400_000.0;

/// The lead columns both answers read. Times in ms; the answers' JSON read in SQL.
const LEADS: &str = "SELECT l.id, l.form_id, l.created_at, \
       l.status, l.score, l.grade, l.qualified, l.playbook_version, l.assigned_rep, l.team_id, \
       l.route_id, l.agreement, l.knocked_out, \
       json_extract(l.submission, '$.submission.context.utm.source') AS source, \
       json_extract(l.submission, '$.submission.context.utm.medium') AS medium, \
       json_extract(l.submission, '$.submission.context.utm.campaign') AS campaign, \
       json_extract(l.submission, '$.submission.context.referrer') AS referrer, \
       json_extract(l.submission, '$.submission.fields') AS answers, \
       json_extract(l.submission, '$.submission.context') AS context, \
       (SELECT group_concat(json_extract(r.value, '$.rule'), ' ') \
          FROM json_each(l.decision, '$.reasons') r) AS rules, \
       (SELECT min(d.delivered_at) FROM deliveries d WHERE d.lead_id = l.id \
          AND d.about IS NULL AND d.event_type IN ('lead.qualified', 'lead.created')) AS delivered_at, \
       l.first_touch_at, l.sla_due_at, l.sla_missed_at, l.experiment \
     FROM leads l WHERE l.created_at >= ?1 AND l.created_at < ?2 \
       AND (?3 IS NULL OR l.form_id IN (SELECT value FROM json_each(?3))) \
     ORDER BY l.created_at, l.id LIMIT ?4";

struct Window {
    form: Option<String>,
    since: String,
    until: String,
}

/// `form`, `since` and `until` (RFC 3339; the last 90 days by default).
fn window(req: &Request) -> std::result::Result<Window, AppError> {
    let url = req
        .url()
        .map_err(|e| AppError::BadQuery(format!("the URL cannot be read: {e}")))?;
    let now = Date::now().as_millis() as f64;
    let (mut form, mut since, mut until) = (None, now - DEFAULT_DAYS * DAY_MS, now + 1.0);
    for (k, v) in url.query_pairs() {
        // Strict RFC 3339, as the document's `date-time` says (`Date.parse`
        // would read `0.5` as May 2000).
        let time = |v: &str| {
            crate::admin::rfc3339_ms(v).ok_or_else(|| {
                AppError::BadQuery(format!(
                    "`{k}` must be an RFC 3339 time (`2026-12-01T00:00:00Z`), got `{v}`"
                ))
            })
        };
        match k.as_ref() {
            "form" => {
                if playbooks::find(&v).is_none() {
                    return Err(AppError::UnknownForm(v.into_owned()));
                }
                form = Some(v.into_owned());
            }
            "since" => since = time(&v)?,
            "until" => until = time(&v)?,
            other => {
                return Err(AppError::BadQuery(format!(
                    "unknown query parameter `{other}`; reports take `form`, `since` and `until`"
                )))
            }
        }
    }
    if since >= until {
        return Err(AppError::BadWindow("`since` must be before `until`".into()));
    }
    Ok(Window {
        form,
        since: iso(since),
        until: iso(until),
    })
}

#[derive(Deserialize)]
struct Row {
    #[serde(flatten)]
    lead: LeadRow,
    score: i32,
    route_id: Option<String>,
    knocked_out: Option<String>,
    medium: Option<String>,
    answers: Option<String>,
    context: Option<String>,
    sla_missed_at: Option<f64>,
}

/// The form ids a `form` filter covers, as a JSON array: the form, and the
/// other arm of its experiment.
fn forms_of(form: Option<&str>) -> Option<String> {
    let form = form?;
    let mut ids = vec![form];
    if let Some(a) = playbooks::find(form).and_then(|f| f.arms.as_ref()) {
        ids = vec![a.control.as_str(), a.variant.as_str()];
    }
    serde_json::to_string(&ids).ok()
}

/// The leads of the window, their outcomes and their misses, in one round trip.
async fn read(
    db: &D1Database,
    w: &Window,
) -> std::result::Result<(Vec<Row>, Vec<OutcomeRow>, Vec<BreachRow>), AppError> {
    let args = [
        text(&w.since),
        text(&w.until),
        // The form and, when it runs an experiment, its other arm: the
        // report puts both side by side.
        opt(forms_of(w.form.as_deref()).as_deref()),
        JsValue::from_f64((MAX_LEADS + 1) as f64),
    ];
    // The window alone (?1 to ?3): the lead query's limit is its own.
    let window_args = args.get(..3).unwrap_or(&args);
    let of_window = "SELECT id FROM leads WHERE created_at >= ?1 AND created_at < ?2 \
                     AND (?3 IS NULL OR form_id IN (SELECT value FROM json_each(?3)))";
    let statements = vec![
        db.prepare(LEADS).bind(&args).map_err(storage("binding"))?,
        db.prepare(format!(
            "SELECT lead_id, action, at, reason, amount FROM outcomes \
             WHERE lead_id IN ({of_window})"
        ))
        .bind(window_args)
        .map_err(storage("binding"))?,
        db.prepare(format!(
            "SELECT lead_id, rep FROM sla_breaches WHERE lead_id IN ({of_window})"
        ))
        .bind(window_args)
        .map_err(storage("binding"))?,
    ];
    let results = db
        .batch(statements)
        .await
        .map_err(storage("reading the report's leads"))?;
    let mut results = results.into_iter();
    let (Some(leads), Some(outcomes), Some(breaches)) =
        (results.next(), results.next(), results.next())
    else {
        return Err(AppError::Internal(
            "D1 answered fewer results than asked".into(),
        ));
    };
    let mut leads: Vec<Row> = leads.results().map_err(storage("leads"))?;
    for r in &mut leads {
        r.lead.created_ms = js_sys::Date::parse(&r.lead.created_at);
    }
    if leads.len() > MAX_LEADS {
        return Err(AppError::BadWindow(format!(
            "the window holds more than {MAX_LEADS} leads; narrow it with `since` and `until`"
        )));
    }
    Ok((
        leads,
        outcomes.results().map_err(storage("outcomes"))?,
        breaches.results().map_err(storage("breaches"))?,
    ))
}

/// `GET /v1/reports`.
pub async fn handle_report(req: Request, env: &Env) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match report(&req, env).await {
        Ok(r) => json_response(&r, 200, &cors),
        Err(e) => e.into_response(&cors),
    })
}

async fn report(req: &Request, env: &Env) -> std::result::Result<report::Report, AppError> {
    authorize(req, env)?;
    let w = window(req)?;
    let (rows, outcomes, breaches) = read(&db(env)?, &w).await?;
    let leads: Vec<LeadRow> = rows.into_iter().map(|r| r.lead).collect();
    // The SLA line of the chart: the tightest deadline of the forms reported.
    let sla = playbooks::all()
        .iter()
        .filter(|f| w.form.as_deref().is_none_or(|id| f.playbook.id() == id))
        .filter_map(|f| f.playbook.sla_minutes_min())
        .min();
    let blocked = blocked(&db(env)?, &w).await?;
    let views = crate::exposures::read(&db(env)?, &w.since, &w.until).await?;
    let mut built = report::build(
        w.form,
        (w.since, w.until),
        &leads,
        &outcomes,
        &breaches,
        &report::Against {
            now: Date::now().as_millis() as f64,
            sla_minutes: sla,
            experiments: &served_experiments(),
            views: &views,
        },
    );
    built.blocked = blocked;
    Ok(built)
}

/// Posts dropped as bots' on the window's days, per reason.
async fn blocked(db: &D1Database, w: &Window) -> std::result::Result<Vec<report::Count>, AppError> {
    #[derive(Deserialize)]
    struct Row {
        reason: String,
        n: f64,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT reason, sum(n) AS n FROM blocked WHERE day >= substr(?1, 1, 10) \
             AND day <= substr(?2, 1, 10) \
             AND (?3 IS NULL OR form_id IN (SELECT value FROM json_each(?3))) \
             GROUP BY reason ORDER BY n DESC, reason",
        )
        .bind(&[
            text(&w.since),
            text(&w.until),
            opt(forms_of(w.form.as_deref()).as_deref()),
        ])
        .map_err(storage("binding"))?
        .all()
        .await
        .and_then(|r| r.results())
        .map_err(storage("blocked posts"))?;
    Ok(rows
        .into_iter()
        .map(|r| report::Count {
            key: r.reason,
            count: crate::store::whole_u32(r.n),
        })
        .collect())
}

/// Every experiment this Worker serves, once (both arms carry it).
fn served_experiments() -> Vec<baton::experiment::Arms> {
    let mut out: Vec<baton::experiment::Arms> = Vec::new();
    for a in playbooks::all().iter().filter_map(|f| f.arms.as_ref()) {
        if !out.iter().any(|o| o.id == a.id) {
            out.push(a.clone());
        }
    }
    out
}

/// The CSV export's columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "lead_id",
    "form",
    "created_at",
    "playbook_version",
    "status",
    "score",
    "grade",
    "qualified",
    "knocked_out",
    "route",
    "team",
    "rep",
    "rules",
    "source",
    "medium",
    "campaign",
    "agreement",
    "delivered_at",
    "first_touch_at",
    "sla_due_at",
    "sla_missed",
    "accepted_at",
    "rejected_at",
    "rejected_reason",
    "contacted_at",
    "meeting_booked_at",
    "won_at",
    "won_amount",
    "lost_at",
    "lost_reason",
    "outcome",
    "answers",
    "context",
    "experiment",
];

/// `GET /v1/reports/leads.csv`: one row per lead (RFC 4180).
pub async fn handle_csv(req: Request, env: &Env) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match csv(&req, env).await {
        Ok(body) => {
            let mut res = Response::builder()
                .with_status(200)
                .fixed(body.into_bytes());
            let h = res.headers_mut();
            let _ = h.set("content-type", "text/csv; charset=utf-8; header=present");
            let _ = h.set(
                "content-disposition",
                "attachment; filename=\"baton-leads.csv\"",
            );
            let _ = h.set("cache-control", "no-store");
            let _ = h.set("x-content-type-options", "nosniff");
            cors.apply(h);
            res
        }
        Err(e) => e.into_response(&cors),
    })
}

async fn csv(req: &Request, env: &Env) -> std::result::Result<String, AppError> {
    authorize(req, env)?;
    let w = window(req)?;
    let (rows, outcomes, breaches) = read(&db(env)?, &w).await?;
    let mut out = String::with_capacity(rows.len() * 512);
    out.push_str(&CSV_COLUMNS.join(","));
    out.push_str("\r\n");
    let outcomes = ByLead::new(&outcomes, |o| o.lead_id.as_str());
    let breaches = ByLead::new(&breaches, |b| b.lead_id.as_str());
    for r in rows {
        let l = &r.lead;
        let mine = outcomes.of(&l.id);
        let of = |a: &str| mine.iter().find(|o| o.action == a);
        let at = |a: &str| of(a).map(|o| iso(o.at)).unwrap_or_default();
        let reason = |a: &str| of(a).and_then(|o| o.reason.clone()).unwrap_or_default();
        let ms = |t: Option<f64>| t.map(iso).unwrap_or_default();
        // The furthest the lead got: what a backtest compares with.
        let outcome = [
            "won",
            "lost",
            "rejected",
            "meeting_booked",
            "contacted",
            "accepted",
        ]
        .into_iter()
        .find(|a| of(a).is_some())
        .unwrap_or(if l.status == "accepted" {
            "open"
        } else {
            "invalid"
        });
        let missed = r.sla_missed_at.is_some() || !breaches.of(&l.id).is_empty();
        let cells: [String; 34] = [
            l.id.clone(),
            l.form_id.clone(),
            l.created_at.clone(),
            l.playbook_version.clone(),
            l.status.clone(),
            r.score.to_string(),
            l.grade.clone(),
            (l.qualified == 1).to_string(),
            r.knocked_out.clone().unwrap_or_default(),
            r.route_id.clone().unwrap_or_default(),
            l.team_id.clone().unwrap_or_default(),
            l.assigned_rep.clone().unwrap_or_default(),
            l.rules.clone().unwrap_or_default(),
            l.source.clone().unwrap_or_default(),
            r.medium.clone().unwrap_or_default(),
            l.campaign.clone().unwrap_or_default(),
            l.agreement.clone(),
            ms(l.delivered_at),
            ms(l.first_touch_at),
            ms(l.sla_due_at),
            missed.to_string(),
            at("accepted"),
            at("rejected"),
            reason("rejected"),
            at("contacted"),
            at("meeting_booked"),
            at("won"),
            of("won")
                .and_then(|o| o.amount)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            at("lost"),
            reason("lost"),
            outcome.to_owned(),
            r.answers.clone().unwrap_or_default(),
            r.context.clone().unwrap_or_default(),
            l.experiment.clone().unwrap_or_default(),
        ];
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&cell(c));
        }
        out.push_str("\r\n");
    }
    Ok(out)
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line
/// break, and a leading `=`, `+`, `-` or `@` is defused with `'` so a
/// spreadsheet never runs a visitor's answer as a formula.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_is_quoted_when_it_must_be_and_never_a_formula() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-5"), "-5", "a negative number stays a number");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
    }
}
