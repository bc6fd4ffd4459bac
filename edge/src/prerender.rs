//! The form's first HTML (`GET /v1/forms/{id}/html`), rendered here by the
//! widget's own components (Yew's server renderer, `baton_widget::ssr`), and
//! the closing message of a lead posted without the widget.
//!
//! The loader puts the form into the page before any wasm is fetched, so
//! the first field takes input at once, and the form still works where wasm
//! cannot run (a CSP without `'wasm-unsafe-eval'`, no WebAssembly at all):
//! the browser's own constraint checks validate it and the loader posts it
//! with `Accept: text/html`, getting this edge's answer as HTML to show.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use baton::wire::Accepted;
use worker::{Request, Response, Result};

use crate::cors::Cors;
use crate::error::AppError;
use crate::playbooks::{self, Form};

thread_local! {
    /// Rendered forms by (form id, locale, preview): a deploy serves one
    /// version of each playbook, so a render lasts as long as the isolate.
    static RENDERED: RefCell<HashMap<(String, String, bool), Rc<str>>> = RefCell::new(HashMap::new());
}

/// `GET /v1/forms/{id}/html?locale=de-AT`: the form in the playbook's best
/// locale for the one asked, cacheable, readable by any page. `preview=1`
/// adds the marketer's score panel.
pub async fn handle_form_html(
    req: Request,
    id: &str,
    env: &worker::Env,
    ctx: &worker::Context,
) -> Result<Response> {
    let cors = Cors::any();
    let url = req.url().ok();
    let query = |key: &str| {
        url.as_ref().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        })
    };
    let visitor = query("visitor");
    let Some(form) = playbooks::serve(id, visitor.as_deref()) else {
        return Ok(AppError::UnknownForm(id.to_owned()).into_response(&cors));
    };
    let locale = form
        .public
        .resolve_locale(query("locale").as_deref())
        .to_owned();
    let preview = query("preview").is_some_and(|v| v == "1");
    // A visitor shown an arm of an experiment is a view of it (a HEAD shows
    // nothing). A marketer's preview counts too, as the leads it sends do.
    if let (Some(arms), "GET") = (&form.arms, req.inner().method().as_str()) {
        crate::exposures::count(ctx, env, arms, form.playbook.id(), visitor.as_deref());
    }
    let etag = format!(
        "\"{}-{locale}{}\"",
        form.playbook.version(),
        if preview { "-preview" } else { "" }
    );
    let fresh = req
        .headers()
        .get("if-none-match")
        .ok()
        .flatten()
        .is_some_and(|h| crate::handlers::etag_matches(&h, &etag));
    let mut res = if fresh {
        Response::builder().with_status(304).empty()
    } else {
        let html = rendered(form, &locale, preview).await;
        Response::builder()
            .with_status(200)
            .fixed(html.as_bytes().to_vec())
    };
    let headers = res.headers_mut();
    if !fresh {
        let _ = headers.set("content-type", "text/html; charset=utf-8");
    }
    let _ = headers.set("content-language", &locale);
    let _ = headers.set("etag", &etag);
    let _ = headers.set("cache-control", "public, max-age=60");
    let _ = headers.set("x-content-type-options", "nosniff");
    cors.apply(headers);
    Ok(res)
}

async fn rendered(form: &'static Form, locale: &str, preview: bool) -> Rc<str> {
    let key = (form.playbook.id().to_owned(), locale.to_owned(), preview);
    if let Some(html) = RENDERED.with(|r| r.borrow().get(&key).cloned()) {
        return html;
    }
    let r = baton_widget::ssr::form(
        form.public.clone(),
        form.playbook.id(),
        Some(locale),
        preview,
    )
    .await;
    let html: Rc<str> = r.html.into();
    RENDERED.with(|c| c.borrow_mut().insert(key, html.clone()));
    html
}

/// Whether the caller asked for the answer in HTML (the loader's no-wasm
/// path) rather than JSON.
pub fn wants_html(req: &Request) -> bool {
    req.headers().get("accept").ok().flatten().is_some_and(|a| {
        a.split(',')
            .next()
            .is_some_and(|t| t.trim().starts_with("text/html"))
    })
}

/// The 201 as the widget would show it: who will call and by when, or the thank-you.
pub async fn outcome(form: &'static Form, locale: Option<&str>, a: &Accepted) -> String {
    let d = &a.decision;
    let answer = baton_widget::ssr::Created {
        lead_id: a.lead_id.clone(),
        score: d.score,
        grade: d.grade.clone(),
        qualified: d.qualified,
        knocked_out: d.knocked_out,
        team_name: d.route.as_ref().and_then(|r| r.team_name.clone()),
        rep: a.assigned_rep.as_ref().map(|r| baton_widget::ssr::Rep {
            name: r.name.clone(),
            booking_url: r.booking_url.clone(),
        }),
        sla_minutes: d.sla_minutes,
    };
    baton_widget::ssr::outcome(&form.public, locale, &answer).await
}
