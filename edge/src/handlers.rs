//! The HTTP endpoints. Each `handle_*` turns every failure into a JSON
//! [`AppError`] answer; the work itself happens in plain functions returning
//! `Result<_, AppError>` so `?` reads straight through.

use baton::wire::{Candidate, WIRE_VERSION};
use baton::{Decision, LeadPost, Playbook, Submission};
use serde::{Deserialize, Serialize};
use worker::js_sys;
use worker::{console_warn, Date, Env, Request, Response, Result, RouteContext};

use crate::body;
use crate::cors::{Caller, Cors};
use crate::error::{json_response, AppError};
use crate::idempotency;
use crate::ids;
use crate::playbooks;
use crate::store::{self, Agreement, LeadRecord, Status};
use crate::turns;
use crate::DB_BINDING;

/// `GET /v1/health`: up, and which playbooks it serves.
pub fn handle_health(req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    #[derive(Serialize)]
    struct FormInfo<'a> {
        id: &'a str,
        version: &'a str,
    }
    let forms: Vec<FormInfo> = playbooks::all()
        .iter()
        .map(|f| FormInfo {
            id: f.playbook.id(),
            version: f.playbook.version(),
        })
        .collect();
    let body = serde_json::json!({
        "ok": true,
        "service": "baton-edge",
        "version": env!("CARGO_PKG_VERSION"),
        "wire": WIRE_VERSION,
        "forms": forms,
    });
    Ok(json_response(&body, 200, &Cors::echo(&req)))
}

/// `GET /v1/forms/{id}`: the public playbook, cacheable, readable by any page.
pub async fn handle_get_form(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let cors = Cors::any();
    let id = ctx.param("id").map_or("", String::as_str);
    let Some(form) = playbooks::find(id) else {
        return Ok(AppError::UnknownForm(id.to_owned()).into_response(&cors));
    };
    let fresh = req
        .headers()
        .get("if-none-match")
        .ok()
        .flatten()
        .is_some_and(|h| etag_matches(&h, &form.etag));
    let mut res = if fresh {
        Response::builder().with_status(304).empty()
    } else {
        Response::builder()
            .with_status(200)
            .fixed(form.public_json.clone().into_bytes())
    };
    let headers = res.headers_mut();
    if !fresh {
        let _ = headers.set("content-type", "application/json; charset=utf-8");
    }
    let _ = headers.set("etag", &form.etag);
    let _ = headers.set("cache-control", "public, max-age=60");
    cors.apply(headers);
    Ok(res)
}

/// `If-None-Match` holds a list of tags (or `*`); weak tags compare equal.
fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t == etag
    })
}

/// `OPTIONS` on any API path. Answered for every origin: the origin policy
/// is enforced on the request itself (see `cors.rs`), and a passing
/// preflight lets a refused page read *why* it was refused.
pub fn handle_preflight(req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    let mut res = Response::builder().with_status(204).empty();
    Cors::echo(&req).apply_preflight(res.headers_mut());
    Ok(res)
}

/// Anything outside the routes: a JSON 404, never the router's plain text.
pub fn handle_not_found(req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    Ok(AppError::NotFound(req.path()).into_response(&Cors::echo(&req)))
}

/// What `POST /v1/leads` answers with 201.
#[derive(Serialize)]
struct Accepted<'a> {
    lead_id: &'a str,
    decision: &'a Decision,
    agreement: Agreement,
    assigned_rep: Option<AssignedRep<'a>>,
}

#[derive(Serialize)]
struct AssignedRep<'a> {
    id: &'a str,
    name: &'a str,
    booking_url: Option<&'a str>,
}

/// `POST /v1/leads`: re-validate and re-score with the full playbook, pick
/// the rep, store, answer with the edge's verdict.
pub async fn handle_submit_lead(mut req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match submit_lead(&mut req, &ctx.env).await {
        Ok(taken) => {
            let mut res = json_response(&taken.body, 201, &cors);
            if taken.replayed {
                let _ = res.headers_mut().set(idempotency::REPLAYED_HEADER, "true");
            }
            res
        }
        Err(e) => e.into_response(&cors),
    })
}

/// A 201 answer, fresh or replayed for a retry with the same `Idempotency-Key`.
struct Taken {
    body: serde_json::Value,
    replayed: bool,
}

async fn submit_lead(req: &mut Request, env: &Env) -> std::result::Result<Taken, AppError> {
    let caller = Caller::of(req);
    let key = idempotency::parse(req.headers().get(idempotency::HEADER).ok().flatten())?;
    let raw = body::read_capped(req).await?;
    let json = body::parse_json(&raw)?;
    check_wire_version(&json, true)?;
    let post: LeadPost = body::shape(json)?;
    let form =
        playbooks::find(&post.form).ok_or_else(|| AppError::UnknownForm(post.form.clone()))?;
    caller.check(&form.playbook)?;
    let playbook = &form.playbook;
    let db = env
        .d1(DB_BINDING)
        .map_err(|e| AppError::StorageUnavailable(format!("binding `{DB_BINDING}`: {e}")))?;
    // A retry of a lead already stored gets the first answer, before any
    // rep's turn is taken again.
    if let Some(k) = &key {
        if let Some(prior) = store::find_by_key(&db, playbook.id(), k).await? {
            return replay(prior, &raw);
        }
    }

    let decision = playbook.evaluate(&post.submission);
    let agreement = Agreement::of(&decision, post.claimed.as_ref());
    let now = Date::now();
    let id = ids::ulid(now.as_millis())?;
    let created_at: String = js_sys::Date::from(now).to_iso_string().into();
    let origin = caller.origin(req);
    let user_agent = req.headers().get("user-agent").ok().flatten();

    let rep = match (&decision.route, decision.valid) {
        (Some(route), true) if !route.candidates.is_empty() => {
            let team = route.team.as_deref().unwrap_or(&route.route);
            let turn = turns::next_turn(env, playbook.id(), team).await;
            baton::pick(&route.candidates, turn)
        }
        _ => None,
    };
    let record = LeadRecord {
        id: &id,
        form_id: playbook.id(),
        created_at: &created_at,
        status: if decision.valid {
            Status::Accepted
        } else {
            Status::Invalid
        },
        submission: &raw,
        decision: &decision,
        assigned_rep: rep.map(|c| c.rep.as_str()),
        claimed: post.claimed.as_ref(),
        agreement,
        origin: origin.as_deref(),
        user_agent: user_agent.as_deref(),
        idempotency_key: key.as_deref(),
    };
    if let Err(e) = store::insert(&db, &record).await {
        // Two attempts with one key at once: the unique index let the other
        // one in first. Answer as it was answered.
        if let Some(k) = &key {
            if let Some(prior) = store::find_by_key(&db, playbook.id(), k).await? {
                return replay(prior, &raw);
            }
        }
        return Err(e);
    }
    if agreement == Agreement::Mismatch {
        // A tampered post, or a browser on another playbook version: worth a look.
        if let Some(c) = &post.claimed {
            console_warn!(
                "lead {id}: browser claimed {} {} (version {}), edge decided {} {} (version {})",
                c.grade,
                c.score,
                c.version,
                decision.grade,
                decision.score,
                decision.version
            );
        }
    }

    if !decision.valid {
        // Stored above with status `invalid`; the visitor gets the list to fix.
        return Err(AppError::InvalidFields(decision.field_errors));
    }
    taken(&id, &decision, agreement, rep, false)
}

/// The 201 answer for a lead, fresh or `replayed`.
fn taken(
    lead_id: &str,
    decision: &Decision,
    agreement: Agreement,
    rep: Option<&Candidate>,
    replayed: bool,
) -> std::result::Result<Taken, AppError> {
    let accepted = Accepted {
        lead_id,
        decision,
        agreement,
        assigned_rep: rep.map(assigned),
    };
    let body = serde_json::to_value(&accepted)
        .map_err(|e| AppError::Internal(format!("answer does not serialize: {e}")))?;
    Ok(Taken { body, replayed })
}

/// The answer a lead stored under the same key got, if this is the same lead.
fn replay(prior: store::Prior, raw: &[u8]) -> std::result::Result<Taken, AppError> {
    if prior.submission.as_bytes() != raw {
        return Err(AppError::IdempotencyKeyReused);
    }
    let decision: Decision = serde_json::from_str(&prior.decision)
        .map_err(|e| AppError::Internal(format!("stored decision of {}: {e}", prior.id)))?;
    if prior.status != "accepted" {
        return Err(AppError::InvalidFields(decision.field_errors));
    }
    let rep = prior.assigned_rep.as_deref().and_then(|id| {
        let route = decision.route.as_ref()?;
        route.candidates.iter().find(|c| c.rep == id)
    });
    taken(&prior.id, &decision, prior.agreement, rep, true)
}

fn assigned(c: &Candidate) -> AssignedRep<'_> {
    AssignedRep {
        id: &c.rep,
        name: &c.name,
        booking_url: c.booking_url.as_deref(),
    }
}

/// `v` is checked before the shape, so a newer sender hears "unsupported
/// version" rather than a confusing complaint about fields it added.
fn check_wire_version(
    json: &serde_json::Value,
    required: bool,
) -> std::result::Result<(), AppError> {
    match json.get("v") {
        None if required && json.is_object() => Err(AppError::BadShape("missing field `v`".into())),
        None => Ok(()),
        Some(v) => match v.as_u64() {
            Some(n) if n == u64::from(WIRE_VERSION) => Ok(()),
            Some(n) => Err(AppError::UnsupportedVersion(
                u32::try_from(n).unwrap_or(u32::MAX),
            )),
            None => Err(AppError::BadShape(format!(
                "`v` must be a number, got `{v}`"
            ))),
        },
    }
}

/// `POST /v1/evaluate`: the playbook tester. Body: `{"form"?, "playbook"?,
/// "submission"}`; stores nothing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateRequest {
    /// Checked before the shape (see `check_wire_version`); declared so it is no unknown key.
    #[serde(default, rename = "v")]
    _v: Option<u32>,
    #[serde(default)]
    form: Option<String>,
    /// An inline playbook (as `icp.toml` would be, in JSON); compiled here
    /// so every problem comes back with its path, like `baton check`.
    #[serde(default)]
    playbook: Option<serde_json::Value>,
    submission: Submission,
}

pub async fn handle_evaluate(mut req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match evaluate(&mut req).await {
        Ok(decision) => json_response(&serde_json::json!({ "decision": decision }), 200, &cors),
        Err(e) => e.into_response(&cors),
    })
}

async fn evaluate(req: &mut Request) -> std::result::Result<Decision, AppError> {
    let caller = Caller::of(req);
    let raw = body::read_capped(req).await?;
    let json = body::parse_json(&raw)?;
    check_wire_version(&json, false)?;
    let ask: EvaluateRequest = body::shape(json)?;
    let form = match &ask.form {
        Some(id) => Some(playbooks::find(id).ok_or_else(|| AppError::UnknownForm(id.clone()))?),
        None => None,
    };
    let inline: Option<Playbook> = match &ask.playbook {
        Some(p) => {
            Some(baton::parse_json(&p.to_string()).map_err(|p| AppError::InvalidPlaybook(p.0))?)
        }
        None => None,
    };
    let playbook =
        match (&inline, form) {
            (Some(p), _) => p,
            (None, Some(f)) => &f.playbook,
            (None, None) => return Err(AppError::BadShape(
                "send `form` (a form id) or `playbook` (an inline playbook) to evaluate against"
                    .into(),
            )),
        };
    // A named form's origin list governs; an inline playbook brings its own.
    caller.check(form.map_or(playbook, |f| &f.playbook))?;
    Ok(playbook.evaluate(&ask.submission))
}
