//! Baton's edge: a Cloudflare Worker that never trusts the browser.
//!
//! It serves the public copy of each playbook, evaluates every lead again
//! with the full playbook (edge-only rules, the complete email lists), picks
//! the rep by weighted round robin, stores the lead with both verdicts in D1
//! and answers with its own decision. Static files (demo page, embed script,
//! widget) are served by the asset layer from `dist/` (see `wrangler.toml`).
//!
//! It must stay a thin shell over `baton-shared`: no scoring, validation or
//! routing rule is written here, only HTTP, storage and the turn counter.

mod body;
mod cors;
mod error;
mod handlers;
mod idempotency;
mod ids;
mod playbooks;
mod store;
mod turns;

use worker::{event, Context, Env, Request, Response, Result, Router};

use crate::cors::Cors;
use crate::error::AppError;
use crate::handlers::{
    handle_evaluate, handle_get_form, handle_health, handle_not_found, handle_preflight,
    handle_submit_lead,
};

pub use crate::turns::TurnCounter;

/// D1 database of leads (`[[d1_databases]]` in wrangler.toml).
pub const DB_BINDING: &str = "DB";
/// Durable Object namespace of round-robin counters.
pub const TURNS_BINDING: &str = "TURNS";

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
        .post_async("/v1/leads", handle_submit_lead)
        .post_async("/v1/evaluate", handle_evaluate)
        .options("/v1/forms/:id", handle_preflight)
        .options("/v1/leads", handle_preflight)
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
        "/v1/leads" | "/v1/evaluate" => Some("POST, OPTIONS"),
        p => p
            .strip_prefix("/v1/forms/")
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .map(|_| "GET, HEAD, OPTIONS"),
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
