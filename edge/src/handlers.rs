//! The HTTP endpoints. Each `handle_*` turns every failure into a JSON
//! [`AppError`] answer; the work itself happens in plain functions returning
//! `Result<_, AppError>` so `?` reads straight through.

use baton::experiment::Arms;
use baton::wire::{
    Accepted, Agreement, AssignedRep, EvaluatePost, Evaluated, Health, ServedForm, WIRE_VERSION,
};
use baton::{Decision, LeadPost, Playbook, Submission};
use worker::js_sys;
use worker::{console_warn, Date, Env, Request, Response, Result};

use crate::body;
use crate::cors::{Caller, Cors};
use crate::error::{json_response, AppError};
use crate::idempotency;
use crate::ids;
use crate::outbox;
use crate::owner;
use crate::playbooks;
use crate::prerender;
use crate::store::{self, LeadRecord, Status};
use crate::turns;

/// `GET /v1/health`: up, and which playbooks it serves.
pub fn handle_health(req: Request) -> Result<Response> {
    let body = Health {
        ok: true,
        service: "baton-edge".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        wire: WIRE_VERSION,
        forms: playbooks::all()
            .iter()
            .map(|f| ServedForm {
                id: f.playbook.id().to_owned(),
                version: f.playbook.version().to_owned(),
            })
            .collect(),
    };
    Ok(json_response(&body, 200, &Cors::echo(&req)))
}

/// `GET /v1/forms/{id}`: the public playbook, cacheable, readable by any page.
pub async fn handle_get_form(req: Request, id: &str) -> Result<Response> {
    let cors = Cors::any();
    let Some(form) = playbooks::serve(id, visitor_param(&req).as_deref()) else {
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
        let _ = headers.set("x-content-type-options", "nosniff");
    }
    let _ = headers.set("etag", &form.etag);
    let _ = headers.set("cache-control", "public, max-age=60");
    cors.apply(headers);
    Ok(res)
}

/// What a lead records of the experiment arm it came through (the
/// `experiment` column): the arm served, the visitor's bucket, and the arm
/// the browser computed, with whether the two agree. Only for a visitor the
/// bucket placed: one without a visitor id (no storage) always gets the
/// control, and counting them would tilt the comparison.
fn arm_record(arms: &Arms, served: &str, context: &baton::wire::Context) -> Option<String> {
    let visitor = context
        .visitor_id
        .as_deref()
        .filter(|v| baton::experiment::visitor_ok(v))?;
    let browser = context.arm.as_deref();
    let record = serde_json::json!({
        "id": arms.id,
        "arm": served,
        "bucket": baton::experiment::bucket(&arms.id, visitor),
        "browser_arm": browser,
        "agrees": browser.map(|b| b == served),
    });
    Some(record.to_string())
}

/// The `visitor` query parameter: which arm of an experiment a page gets.
pub fn visitor_param(req: &Request) -> Option<String> {
    let url = req.url().ok()?;
    let v = url
        .query_pairs()
        .find(|(k, _)| k == "visitor")?
        .1
        .into_owned();
    Some(v)
}

/// `If-None-Match` holds a list of tags (or `*`); weak tags compare equal.
pub fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t == etag
    })
}

/// `OPTIONS` on any API path. Answered for every origin: the origin policy
/// is enforced on the request itself (see `cors.rs`), and a passing
/// preflight lets a refused page read *why* it was refused.
pub fn handle_preflight(req: Request) -> Result<Response> {
    let mut res = Response::builder().with_status(204).empty();
    Cors::echo(&req).apply_preflight(res.headers_mut());
    Ok(res)
}

/// Anything outside the routes: a JSON 404, never the router's plain text.
pub fn handle_not_found(req: Request) -> Response {
    AppError::NotFound(req.path()).into_response(&Cors::echo(&req))
}

/// `POST /v1/leads`: re-validate and re-score with the full playbook, pick
/// the rep, store, answer with the edge's verdict.
pub async fn handle_submit_lead(mut req: Request, env: &Env) -> Result<Response> {
    let cors = Cors::echo(&req);
    let html = prerender::wants_html(&req);
    Ok(match submit_lead(&mut req, env).await {
        Ok(taken) => {
            let mut res = if html {
                let page =
                    prerender::outcome(taken.form, taken.locale.as_deref(), &taken.body).await;
                let mut res = Response::builder()
                    .with_status(201)
                    .fixed(page.into_bytes());
                let h = res.headers_mut();
                let _ = h.set("content-type", "text/html; charset=utf-8");
                let _ = h.set("baton-lead-id", &taken.body.lead_id);
                cors.apply(h);
                let _ = h.set("access-control-expose-headers", "baton-lead-id");
                res
            } else {
                json_response(&taken.body, 201, &cors)
            };
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
    body: Accepted,
    replayed: bool,
    /// The form and the visitor's locale, for an answer in HTML.
    form: &'static playbooks::Form,
    locale: Option<String>,
}

async fn submit_lead(req: &mut Request, env: &Env) -> std::result::Result<Taken, AppError> {
    let caller = Caller::of(req);
    let key = idempotency::parse(req.headers().get(idempotency::HEADER).ok().flatten())?;
    let raw = body::read_json(req).await?;
    let json = body::parse_json(&raw)?;
    check_wire_version(&json, true)?;
    let mut post: LeadPost = body::shape(json)?;
    let trapped = crate::bots::trapped(&mut post);
    // An experiment's control serves the visitor's arm: the edge computes
    // it from the visitor id, whatever the browser says it computed.
    let context = &post.submission.context;
    let form = playbooks::serve(&post.form, context.visitor_id.as_deref())
        .ok_or_else(|| AppError::UnknownForm(post.form.clone()))?;
    caller.check(&form.playbook)?;
    if let Some(reason) = trapped {
        let body = crate::bots::decoy(&store::db(env)?, &form.playbook, &post, reason).await?;
        return Ok(Taken {
            body,
            replayed: false,
            form,
            locale: post.submission.locale.clone(),
        });
    }
    let playbook = &form.playbook;
    let experiment = form
        .arms
        .as_ref()
        .and_then(|a| arm_record(a, playbook.id(), context));
    let db = store::db(env)?;
    let mut decision = playbook.evaluate(&post.submission);
    let agreement = Agreement::of(&decision, post.claimed.as_ref());
    let now = Date::now();
    let now_ms = now.as_millis() as f64;
    let email = first_email(playbook, &post.submission);
    let domain = playbook.email_domain(&post.submission);
    let routed = decision.valid && decision.route.is_some();
    let keys = owner::keys(playbook, email.as_deref(), domain.as_deref());

    let id = ids::ulid(now.as_millis())?;
    let created_at: String = js_sys::Date::from(now).to_iso_string().into();
    let origin = caller.origin(req);
    let user_agent = req.headers().get("user-agent").ok().flatten();
    let edge_url = req
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let event = if decision.qualified {
        baton::event::LEAD_QUALIFIED
    } else {
        baton::event::LEAD_CREATED
    };
    let key_args = owner::key_args(playbook, &keys, now_ms);
    // What the visitor agreed to, in the words they were shown.
    let consents = serde_json::to_string(&playbook.consents(&post.submission, &created_at)).ok();

    // Who the lead goes to: the same rep as this person's earlier lead, the
    // company's (an earlier lead's rep, or a named account's), or the team's
    // next turn. Usually one round trip: the writes in one batch, guarded in
    // SQL by "no earlier lead names an owner". Only when one does (the
    // guarded insert wrote nothing) is the owner looked up and the lead
    // written to them; a named account, whose earlier leads come first, is
    // looked up before.
    let mut earlier: Option<owner::Earlier> = None;
    let mut guarded = routed && keys.any() && keys.named(playbook).is_none();
    if routed && keys.any() && !guarded {
        if let Some(lookup) = owner::lookup(&db, playbook, &keys, now_ms)? {
            let read = lookup.all().await.map_err(|e| {
                AppError::StorageUnavailable(format!("looking up earlier leads: {e}"))
            })?;
            earlier = first_row(Some(read))?;
        }
    }
    let (rep, deliveries) = loop {
        let mut returning_of = None;
        let owner = if routed && !guarded {
            owner::decide(playbook, &keys, earlier.take())
                .filter(|o| playbook.route_to_owner(&mut decision, &o.rep, o.basis.clone()))
        } else {
            None
        };
        let route = decision.route.as_ref().filter(|_| decision.valid);
        let team = route.map(|r| r.team.clone().unwrap_or_else(|| r.route.clone()));
        let slots = match (&owner, route) {
            (None, Some(r)) => turns::slots(&r.candidates),
            _ => None,
        };
        // The deliveries each possible rep would be owed; the write keeps one set.
        let by_rep: Vec<(&str, Vec<outbox::NewDelivery>)> = match (route, &owner) {
            (None, _) => Vec::new(),
            (Some(r), Some(o)) => vec![(
                o.rep.as_str(),
                outbox::plan(&id, event, &playbook.channels_for(r, Some(&o.rep))),
            )],
            (Some(r), None) if slots.is_some() => r
                .candidates
                .iter()
                .map(|c| {
                    let plan = outbox::plan(&id, event, &playbook.channels_for(r, Some(&c.rep)));
                    (c.rep.as_str(), plan)
                })
                .collect(),
            (Some(r), None) => vec![(
                "",
                outbox::plan(&id, event, &playbook.channels_for(r, None)),
            )],
        };
        if let Some(o) = &owner {
            returning_of = o.returning_of.clone();
        }
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
            claimed: post.claimed.as_ref(),
            agreement,
            origin: origin.as_deref(),
            user_agent: user_agent.as_deref(),
            idempotency_key: key.as_deref(),
            email: email.as_deref(),
            email_domain: domain.as_deref(),
            returning_of: returning_of.as_deref(),
            edge_url: &edge_url,
            sla_due_at: decision
                .sla_minutes
                .filter(|_| decision.valid)
                .map(|m| now_ms + f64::from(m) * 60_000.0),
            experiment: experiment.as_deref(),
            consents: consents.as_deref(),
        };
        // The turn, the lead and its deliveries in one transaction: once it
        // commits the lead is owed to every channel, and a lead that is not
        // stored takes no rep's turn.
        let mut batch = Vec::new();
        let storage =
            |e: worker::Error| AppError::StorageUnavailable(format!("binding the turn: {e}"));
        let choice = match (&owner, &slots, &team) {
            (Some(o), _, _) => store::RepChoice::Known(Some(&o.rep)),
            (None, Some(slots), Some(team)) => {
                let mut args = vec![store::text(playbook.id()), store::text(team)];
                let take = if guarded {
                    args.extend(key_args.iter().cloned());
                    db.prepare(turns::take_unowned())
                } else {
                    db.prepare(turns::TAKE)
                };
                batch.push(take.bind(&args).map_err(storage)?);
                store::RepChoice::Turn { team, slots }
            }
            _ => store::RepChoice::Known(None),
        };
        let lead_at = batch.len();
        batch.push(store::insert(
            &db,
            &record,
            choice,
            guarded.then_some(&key_args),
        )?);
        batch.extend(outbox::for_lead(
            &db,
            &id,
            playbook.id(),
            &by_rep,
            now_ms,
            outbox::sweep_grace_ms(env),
        )?);
        let results = match db.batch(batch).await {
            Ok(r) => r,
            Err(e) => {
                // A retry of a lead stored under this key (the unique index
                // refused the second row, and this one's turn rolled back
                // with it): answer as the first try was answered.
                if let Some(k) = &key {
                    if let Some(prior) = store::find_by_key(&db, playbook.id(), k).await? {
                        return replay(prior, &raw, form, post.submission.locale);
                    }
                }
                return Err(AppError::StorageUnavailable(format!(
                    "inserting lead {id}: {e}"
                )));
            }
        };
        let stored: Option<store::Stored> = first_row(results.into_iter().nth(lead_at))?;
        let Some(stored) = stored else {
            if guarded {
                // Somebody owns this lead; nothing was written. Again, to them.
                if let Some(lookup) = owner::lookup(&db, playbook, &keys, now_ms)? {
                    let read = lookup.all().await.map_err(|e| {
                        AppError::StorageUnavailable(format!("looking up earlier leads: {e}"))
                    })?;
                    earlier = first_row(Some(read))?;
                }
                guarded = false;
                continue;
            }
            return Err(AppError::Internal(format!("lead {id} was not written")));
        };
        // The statement kept the deliveries of the rep the lead was stored
        // with (chosen in the same transaction): the same ones, by the same ids.
        let kept = stored.assigned_rep.as_deref().unwrap_or("");
        let deliveries: Vec<String> = by_rep
            .iter()
            .filter(|(rep, _)| *rep == kept)
            .flat_map(|(_, plan)| plan.iter().map(|d| d.id.clone()))
            .collect();
        break (stored.assigned_rep, deliveries);
    };
    outbox::enqueue(env, deliveries).await;
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
    let picked = assigned(&decision, rep.as_deref());
    Ok(Taken {
        body: accepted(id, &decision, agreement, picked),
        replayed: false,
        form,
        locale: post.submission.locale,
    })
}

/// The first row of a statement's result, if any.
fn first_row<T: serde::de::DeserializeOwned>(
    result: Option<worker::D1Result>,
) -> std::result::Result<Option<T>, AppError> {
    match result {
        Some(r) => Ok(r
            .results::<T>()
            .map_err(|e| AppError::Internal(format!("reading a D1 answer: {e}")))?
            .into_iter()
            .next()),
        None => Ok(None),
    }
}

/// The address as the visitor gave it, lowercased: who they are, for
/// recognising the same person on their next visit.
fn first_email(playbook: &Playbook, submission: &Submission) -> Option<String> {
    let field = playbook
        .fields()
        .iter()
        .find(|f| f.kind == baton::raw::FieldKind::Email)?;
    match submission.fields.get(&field.id) {
        Some(baton::Value::Text(t)) if !t.trim().is_empty() => Some(t.trim().to_lowercase()),
        _ => None,
    }
}

/// The 201 body for a lead, fresh or replayed.
fn accepted(
    lead_id: String,
    decision: &Decision,
    agreement: Agreement,
    assigned_rep: Option<AssignedRep>,
) -> Accepted {
    Accepted {
        lead_id,
        decision: decision.into(),
        agreement,
        assigned_rep,
    }
}

/// The answer a lead stored under the same key got, if this is the same lead.
fn replay(
    prior: store::Prior,
    raw: &[u8],
    form: &'static playbooks::Form,
    locale: Option<String>,
) -> std::result::Result<Taken, AppError> {
    if prior.submission.as_bytes() != raw {
        return Err(AppError::IdempotencyKeyReused);
    }
    let decision: Decision = serde_json::from_str(&prior.decision)
        .map_err(|e| AppError::Internal(format!("stored decision of {}: {e}", prior.id)))?;
    if prior.status != "accepted" {
        return Err(AppError::InvalidFields(decision.field_errors));
    }
    let rep = assigned(&decision, prior.assigned_rep.as_deref());
    Ok(Taken {
        body: accepted(prior.id, &decision, prior.agreement, rep),
        replayed: true,
        form,
        locale,
    })
}

/// The rep `id` among the decision's candidates, as the visitor may see them.
fn assigned(decision: &Decision, id: Option<&str>) -> Option<AssignedRep> {
    let id = id?;
    let route = decision.route.as_ref()?;
    route
        .candidates
        .iter()
        .find(|c| c.rep == id)
        .map(AssignedRep::from)
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

/// `POST /v1/evaluate`: the playbook tester (`baton::wire::EvaluatePost`);
/// stores nothing.
pub async fn handle_evaluate(mut req: Request) -> Result<Response> {
    let cors = Cors::echo(&req);
    Ok(match evaluate(&mut req).await {
        Ok(decision) => json_response(&Evaluated { decision }, 200, &cors),
        Err(e) => e.into_response(&cors),
    })
}

async fn evaluate(req: &mut Request) -> std::result::Result<Decision, AppError> {
    let caller = Caller::of(req);
    let raw = body::read_json(req).await?;
    let json = body::parse_json(&raw)?;
    check_wire_version(&json, false)?;
    // `v` was checked above, before the shape.
    let ask: EvaluatePost = body::shape(json)?;
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
