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
mod cors;
mod deliver;
mod error;
mod handlers;
mod idempotency;
mod ids;
mod outbox;
mod owner;
mod playbooks;
mod prerender;
mod slack;
mod store;
mod sweeper;
mod turns;

use worker::{
    console_error, event, Context, Env, MessageBatch, Request, Response, Result, Router,
    ScheduleContext, ScheduledEvent,
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
pub fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
}

/// Deliveries and dead letters: see `deliver.rs`.
#[event(queue)]
async fn queue(batch: MessageBatch<outbox::Job>, env: Env, _ctx: Context) -> Result<()> {
    deliver::consume(batch, env).await
}

/// The cron trigger: the outbox's sweeper.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let result = match env.d1(DB_BINDING) {
        Ok(db) => sweeper::sweep(&env, &db).await,
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = result {
        console_error!("sweeper: {e}");
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let (path, cors) = (req.path(), Cors::echo(&req));
    // The method as sent: the router reads one it does not know (QUERY, say)
    // as GET, so any method a path does not take is refused here first.
    let method = req.inner().method();
    if let Some(allow) = allowed_methods(&path) {
        if !allow.split(", ").any(|m| m == method) {
            return Ok(AppError::MethodNotAllowed {
                method,
                path,
                allow,
            }
            .into_response(&cors));
        }
    }
    let res = Router::new()
        .get("/v1/health", handle_health)
        .head("/v1/health", handle_health)
        .get_async("/v1/forms/:id", handle_get_form)
        .head_async("/v1/forms/:id", handle_get_form)
        .get_async("/v1/forms/:id/html", prerender::handle_form_html)
        .head_async("/v1/forms/:id/html", prerender::handle_form_html)
        .post_async("/v1/leads", handle_submit_lead)
        .get_async("/v1/leads", admin::handle_list_leads)
        .get_async("/v1/leads/:id", admin::handle_get_lead)
        .post_async("/v1/evaluate", handle_evaluate)
        .options("/v1/forms/:id", handle_preflight)
        .options("/v1/forms/:id/html", handle_preflight)
        .options("/v1/leads", handle_preflight)
        .options("/v1/leads/:id", handle_preflight)
        .options("/v1/evaluate", handle_preflight)
        .or_else_any_method("/", handle_not_found)
        .or_else_any_method("/*path", handle_not_found)
        .run(req, env)
        .await;
    Ok(finish(res, &method, &path, &cors))
}

/// The methods each API path takes (the routes above), for `Allow`; `None`
/// for a path that is not the API's (a JSON 404 whatever the method).
fn allowed_methods(path: &str) -> Option<&'static str> {
    match path {
        "/v1/health" => Some("GET, HEAD"),
        "/v1/leads" => Some("GET, POST, OPTIONS"),
        "/v1/evaluate" => Some("POST, OPTIONS"),
        p => {
            let one = |prefix: &str| {
                p.strip_prefix(prefix)
                    .is_some_and(|id| !id.is_empty() && !id.contains('/'))
            };
            let html = p
                .strip_prefix("/v1/forms/")
                .and_then(|rest| rest.strip_suffix("/html"))
                .is_some_and(|id| !id.is_empty() && !id.contains('/'));
            if one("/v1/forms/") || html {
                Some("GET, HEAD, OPTIONS")
            } else if one("/v1/leads/") {
                Some("GET, OPTIONS")
            } else {
                None
            }
        }
    }
}

/// The router answers a known path with the wrong method in plain text, and
/// a handler's `Err` would become a bare 500: both become JSON errors here.
fn finish(res: Result<Response>, method: &str, path: &str, cors: &Cors) -> Response {
    match res {
        Ok(r) if r.status_code() == 405 => AppError::MethodNotAllowed {
            method: method.to_owned(),
            path: path.to_owned(),
            allow: allowed_methods(path).unwrap_or(""),
        }
        .into_response(cors),
        Ok(r) => r,
        Err(e) => AppError::from(e).into_response(cors),
    }
}
