//! Baton's embeddable lead form.
//!
//! `embed.js` mounts it into a shadow root on any landing page. It renders the
//! public playbook's form in the visitor's language, validates and scores every
//! answer locally with the same engine the edge runs (no network while the
//! visitor types), and posts the lead to the edge, keeping it in localStorage
//! until the edge has it.
//!
//! Every byte here ships to landing pages (see `scripts/size-budget.sh`): it must
//! not link serde_json's parser, the email lists, or anything the form does not
//! show. JSON goes through the browser's own `JSON`; the playbook is read and
//! the lead written with `Reflect` (`read.rs`, `body.rs`), not serde.
//! It trusts nothing it computes: the edge re-validates and re-scores.

// The edge links the components only to render them (`ssr`): the browser's
// half (posting, storage, events) is there but never called.
#![cfg_attr(not(feature = "browser"), allow(dead_code, unused_imports))]

mod body;
mod components;
mod env;
mod events;
mod i18n;
mod js;
mod post;
mod read;
#[cfg(feature = "ssr")]
pub mod ssr;
mod state;
mod store;
mod submit;
mod takeover;

use std::rc::Rc;

use baton::raw::FieldKind;
use baton::wire::Submission;
use baton::Value;
use wasm_bindgen::prelude::*;
use web_sys::{Element, UrlSearchParams};
use yew::AttrValue;

use crate::components::app::{App, AppProps};
use crate::env::Env;

/// Renders form `form` into `root` (an element in `host`'s shadow root).
///
/// `pre` is the form as the edge pre-rendered it, which the visitor may
/// already be filling in: `root` is then a fresh hidden element beside it.
/// The widget renders there with the answers read from `pre`, and once the
/// render is done it removes `pre`, shows `root` and puts the focus and caret
/// back (`takeover.rs`). So `pre` still being in the page tells the loader
/// the widget did not take over.
///
/// `playbook` is the parsed body of `GET {api}/v1/forms/{form}`; `api` is the
/// edge's origin; `locale` the page's (`data-locale`, `<html lang>` or the
/// browser's); `preview` shows the live score and reasons (a marketer's
/// preview, never a visitor's view). Fails, without rendering, when the
/// playbook does not compile.
#[cfg(feature = "browser")]
#[wasm_bindgen]
// Plain arguments at the JS boundary: an options object would cost a
// `Reflect` read per option in every visitor's wasm.
#[allow(clippy::too_many_arguments)]
pub fn mount(
    host: Element,
    root: Element,
    pre: Option<Element>,
    form: String,
    playbook: JsValue,
    api: String,
    locale: Option<String>,
    preview: bool,
) -> Result<(), JsValue> {
    let raw = read::playbook(playbook).map_err(|e| JsValue::from(e.message()))?;
    let playbook = baton::compile_published(raw).map_err(|p| JsValue::from(p.to_string()))?;
    let mut env = Env::new(playbook, &form, &api, locale.as_deref());
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let params = UrlSearchParams::new_with_str(&search)?;

    let mut submission = Submission {
        locale: Some(env.lang.clone()),
        fields: Default::default(),
        context: env::page_context(&params),
    };
    // The visitor's experiment arm, computed here as the edge computes it
    // (`baton::experiment`); the edge records whether the two agree.
    if let Some(arms) = env.playbook.arms() {
        let arm = arms.arm(submission.context.visitor_id.as_deref());
        submission.context.arm = Some(arm.to_owned());
    }
    for f in env.fields.iter().filter(|f| f.kind == FieldKind::Hidden) {
        if let Some(v) = f.param.as_deref().and_then(|p| params.get(p)) {
            submission.fields.insert(f.id.to_string(), Value::Text(v));
        }
    }
    // A hidden value the visitor cannot see must not block the form: an
    // unacceptable one (too long, say) is left out instead.
    for e in env.playbook.preview(&submission).field_errors {
        if env
            .fields
            .iter()
            .any(|f| f.id == e.field && f.kind == FieldKind::Hidden)
        {
            submission.fields.remove(&e.field);
        }
    }
    let focus = pre.as_ref().and_then(takeover::focus);
    if let Some(pre) = &pre {
        for (id, v) in takeover::answers(pre, &env.fields) {
            submission.fields.insert(id, v);
        }
    }

    let known = recall(
        &env,
        &mut submission,
        focus.as_ref().map(takeover::Focus::field),
    );

    env.preview = preview;
    let live = host.clone();
    env.host = Some(host);
    env.root = Some(root.clone());
    root.set_text_content(None);
    yew::Renderer::<App>::with_root_and_props(
        root.clone(),
        AppProps {
            env: Rc::new(env),
            initial: Rc::new(submission),
            known: Rc::new(known),
        },
    )
    .render();
    // Yew renders in a microtask queued before this one: the swap comes
    // right after it, before the visitor's next keystroke is handled.
    wasm_bindgen_futures::spawn_local(async move {
        if root.child_element_count() == 0 {
            return; // the render failed: the pre-rendered form stays
        }
        if let Some(pre) = pre {
            pre.remove();
            root.remove_attribute("hidden").ok();
            if let Some(f) = focus {
                f.restore(&root);
            }
        }
        // `baton-form[data-live]`: the instant verdict runs (for page CSS and tests).
        live.set_attribute("data-live", "").ok();
    });
    post::flush_outbox();
    Ok(())
}

/// Fills in what a returning visitor who consented told us before, and
/// answers the fields that need not be asked again: those left empty (or
/// answered the same) in the pre-rendered form, except the one being typed in,
/// and for consent only while the text is the one agreed to. (`State::new`
/// asks again any of them that is no longer valid.)
fn recall(env: &Env, submission: &mut Submission, typing: Option<&str>) -> Vec<AttrValue> {
    let Some(known) = store::known() else {
        return Vec::new();
    };
    let mut asked_before = Vec::new();
    for f in env.fields.iter().filter(|f| f.kind != FieldKind::Hidden) {
        let before = if f.kind == FieldKind::Consent {
            known.agreed(&f.label).then_some(Value::Bool(true))
        } else {
            known.answer(&f.id)
        };
        let Some(before) = before else { continue };
        match submission.fields.get(f.id.as_str()) {
            Some(now) if *now != before => continue, // typed anew: theirs wins
            Some(_) => {}
            None => {
                submission.fields.insert(f.id.to_string(), before);
            }
        }
        if typing != Some(f.id.as_str()) {
            asked_before.push(f.id.clone());
        }
    }
    asked_before
}

/// A free-list allocator (coalescing, sorted by address) instead of std's
/// dlmalloc: about 2 KB brotli less for every visitor. A form's heap is small
/// and short-lived, so a list walk per allocation costs nothing a visitor sees.
#[cfg(all(target_arch = "wasm32", feature = "browser"))]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
