//! Baton's edge: a Cloudflare Worker that never trusts the browser.
//!
//! It serves the public copy of each playbook, evaluates every lead again
//! with the full playbook (edge-only rules, the complete email lists), picks
//! the rep (account owner, or weighted round robin), stores the lead with both
//! verdicts and one delivery row per channel in one D1 batch, answers with its
//! own decision, and delivers the lead to the rep through a Queue (signed
//! webhooks, Slack), retrying until it lands or a person is alerted. Static
//! files (demo page, embed script, widget) are served by the asset layer from
//! `dist/` (see `wrangler.toml`).
//!
//! It must stay a thin shell over `baton-shared`: no scoring, validation or
//! routing rule is written here, only HTTP, storage, queues and the turn counter.

mod admin;
mod backoff;
mod body;
mod bots;
mod cors;
mod deliver;
mod error;
mod exposures;
mod feedback;
mod handlers;
mod idempotency;
mod ids;
mod outbox;
mod owner;
mod playbooks;
mod prerender;
mod privacy;
mod reports;
mod slack;
mod store;
mod sweeper;
mod turns;
mod watchdog;

use worker::{
    console_error, event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext,
    ScheduledEvent,
};

use crate::cors::Cors;
use crate::error::AppError;
use crate::handlers::{
    handle_evaluate, handle_get_form, handle_health, handle_not_found, handle_preflight,
    handle_submit_lead,
};

/// D1 database of leads (`[[d1_databases]]` in wrangler.toml).
pub const DB_BINDING: &str = "DB";
/// Queue of deliveries to make (`[[queues.producers]]`).
pub const DELIVERIES_BINDING: &str = "DELIVERIES";
/// Queue of deliveries given up on; its consumer marks them failed and alerts.
pub const DEAD_LETTERS_BINDING: &str = "DEAD_LETTERS";
/// The dead-letter queue's name, as a consumer's batch reports it.
pub const DEAD_LETTERS_QUEUE: &str = "baton-deliveries-dlq";

/// A setting from the Worker's secrets or vars (`wrangler secret put`,
/// `[vars]`, `.dev.vars` locally).
/// Read once per isolate: a Worker's secrets and vars are fixed for its
/// lifetime (a new value is a new deployment), and the lookup through the
/// binding's type checks was a measurable part of every intake.
pub fn setting(env: &Env, name: &str) -> Option<String> {
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(String, Option<String>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(v) =
        SEEN.with_borrow(|seen| seen.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
    {
        return v;
    }
    let value = env
        .secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok();
    SEEN.with_borrow_mut(|seen| seen.push((name.to_owned(), value.clone())));
    value
}

/// Deliveries and dead letters: see `deliver.rs`.
#[event(queue)]
async fn queue(batch: MessageBatch<outbox::Job>, env: Env, _ctx: Context) -> Result<()> {
    deliver::consume(batch, env).await
}

/// The cron trigger: the outbox's sweeper, then the SLA watchdog.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let db = match env.d1(DB_BINDING) {
        Ok(db) => db,
        Err(e) => return console_error!("scheduled: binding `{DB_BINDING}`: {e}"),
    };
    if let Err(e) = sweeper::sweep(&env, &db).await {
        console_error!("sweeper: {e}");
    }
    if let Err(e) = watchdog::watch(&env, &db).await {
        console_error!("watchdog: {e}");
    }
    if let Err(e) = privacy::retain(&db).await {
        console_error!("retention: {e}");
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let (path, cors) = (req.path(), Cors::echo(&req));
    // The method as sent, so one the API does not know (QUERY, say) is
    // refused with the methods the path takes instead of read as GET.
    let method = req.inner().method();
    let Some(route) = Route::of(&path) else {
        return Ok(handle_not_found(req));
    };
    let res = match (route, method.as_str()) {
        (Route::Health, "GET" | "HEAD") => handle_health(req),
        (Route::Form(id), "GET" | "HEAD") => handle_get_form(req, id).await,
        (Route::FormHtml(id), "GET" | "HEAD") => {
            prerender::handle_form_html(req, id, &env, &ctx).await
        }
        (Route::Leads, "POST") => handle_submit_lead(req, &env).await,
        (Route::Leads, "GET") => admin::handle_list_leads(req, &env).await,
        (Route::Lead(id), "GET") => admin::handle_get_lead(req, &env, id).await,
        (Route::Outcomes(id), "POST") => admin::handle_post_outcome(req, &env, id).await,
        (Route::Feedback, "GET" | "HEAD") => feedback::handle_get(req, &env).await,
        (Route::Feedback, "POST") => feedback::handle_post(req, &env).await,
        (Route::Reports, "GET") => reports::handle_report(req, &env).await,
        (Route::LeadsCsv, "GET") => reports::handle_csv(req, &env).await,
        (Route::Evaluate, "POST") => handle_evaluate(req).await,
        (Route::Person(email), "DELETE") => privacy::handle_erase(req, &env, email).await,
        (r, "OPTIONS") if r.allow().contains("OPTIONS") => handle_preflight(req),
        (r, _) => {
            return Ok(AppError::MethodNotAllowed {
                method,
                path: path.clone(),
                allow: r.allow(),
            }
            .into_response(&cors))
        }
    };
    // A handler's `Err` would become a bare 500: it becomes a JSON error.
    Ok(res.unwrap_or_else(|e| AppError::from(e).into_response(&cors)))
}

/// The API's paths, read once per request (a router built and dropped per
/// request cost more than the match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Health,
    Form(&'a str),
    FormHtml(&'a str),
    Leads,
    Lead(&'a str),
    /// `POST /v1/leads/{id}/outcomes` (admin).
    Outcomes(&'a str),
    /// The page a delivery's feedback link opens.
    Feedback,
    /// `GET /v1/reports` and its CSV export (admin).
    Reports,
    LeadsCsv,
    Evaluate,
    /// `DELETE /v1/people/{email}` (admin): erasure.
    Person(&'a str),
}

impl<'a> Route<'a> {
    /// `None` for a path that is not the API's (a JSON 404 whatever the method).
    fn of(path: &'a str) -> Option<Self> {
        let one = |rest: &'a str| Some(rest).filter(|id| !id.is_empty() && !id.contains('/'));
        match path {
            "/v1/health" => Some(Route::Health),
            "/v1/leads" => Some(Route::Leads),
            "/v1/evaluate" => Some(Route::Evaluate),
            "/v1/feedback" => Some(Route::Feedback),
            "/v1/reports" => Some(Route::Reports),
            "/v1/reports/leads.csv" => Some(Route::LeadsCsv),
            p => {
                if let Some(rest) = p.strip_prefix("/v1/forms/") {
                    match rest.strip_suffix("/html").and_then(one) {
                        Some(id) => Some(Route::FormHtml(id)),
                        None => one(rest).map(Route::Form),
                    }
                } else if let Some(rest) = p.strip_prefix("/v1/people/") {
                    one(rest).map(Route::Person)
                } else {
                    let rest = p.strip_prefix("/v1/leads/")?;
                    match rest.strip_suffix("/outcomes").and_then(one) {
                        Some(id) => Some(Route::Outcomes(id)),
                        None => one(rest).map(Route::Lead),
                    }
                }
            }
        }
    }

    /// The methods the path takes, for `Allow`.
    fn allow(self) -> &'static str {
        match self {
            Route::Health => "GET, HEAD",
            Route::Leads => "GET, POST, OPTIONS",
            Route::Evaluate => "POST, OPTIONS",
            Route::Form(_) | Route::FormHtml(_) => "GET, HEAD, OPTIONS",
            Route::Lead(_) => "GET, OPTIONS",
            Route::Outcomes(_) => "POST, OPTIONS",
            Route::Feedback => "GET, HEAD, POST",
            Route::Reports | Route::LeadsCsv => "GET, OPTIONS",
            Route::Person(_) => "DELETE, OPTIONS",
        }
    }
}
