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

mod body;
mod components;
mod env;
mod i18n;
mod js;
mod post;
mod read;
mod state;
mod store;
mod submit;

use std::rc::Rc;

use baton::raw::FieldKind;
use baton::wire::Submission;
use baton::Value;
use wasm_bindgen::prelude::*;
use web_sys::{Element, UrlSearchParams};

use crate::components::app::{App, AppProps};
use crate::env::Env;

/// Renders form `form` into `root` (an element in `host`'s shadow root).
///
/// `playbook` is the parsed body of `GET {api}/v1/forms/{form}`; `api` is the
/// edge's origin; `locale` the page's (`data-locale`, `<html lang>` or the
/// browser's). Fails, without rendering, when the playbook does not compile.
#[wasm_bindgen]
pub fn mount(
    host: Element,
    root: Element,
    form: String,
    playbook: JsValue,
    api: String,
    locale: Option<String>,
) -> Result<(), JsValue> {
    let raw = read::playbook(playbook).map_err(|e| JsValue::from(e.message()))?;
    let playbook = baton::compile_published(raw).map_err(|p| JsValue::from(p.to_string()))?;
    let lang = playbook.resolve_locale(locale.as_deref()).to_owned();
    let ui = i18n::ui(&lang);
    let (fields, steps) = env::layout(&playbook, &lang, ui);
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let params = UrlSearchParams::new_with_str(&search)?;

    let mut submission = Submission {
        locale: Some(lang.clone()),
        fields: Default::default(),
        context: env::page_context(&params),
    };
    for f in fields.iter().filter(|f| f.kind == FieldKind::Hidden) {
        if let Some(v) = f.param.as_deref().and_then(|p| params.get(p)) {
            submission.fields.insert(f.id.to_string(), Value::Text(v));
        }
    }
    // A hidden value the visitor cannot see must not block the form: an
    // unacceptable one (too long, say) is left out instead.
    for e in playbook.preview(&submission).field_errors {
        if fields
            .iter()
            .any(|f| f.id == e.field && f.kind == FieldKind::Hidden)
        {
            submission.fields.remove(&e.field);
        }
    }

    let env = Rc::new(Env {
        text: playbook.text(&lang),
        playbook,
        form: form.into(),
        api: api.trim_end_matches('/').to_owned(),
        ui,
        fields,
        steps,
        host,
        root: root.clone(),
    });
    root.set_text_content(None);
    yew::Renderer::<App>::with_root_and_props(
        root,
        AppProps {
            env,
            initial: Rc::new(submission),
        },
    )
    .render();
    post::flush_outbox();
    Ok(())
}

/// A free-list allocator (coalescing, sorted by address) instead of std's
/// dlmalloc: about 2 KB brotli less for every visitor. A form's heap is small
/// and short-lived, so a list walk per allocation costs nothing a visitor sees.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
