//! The page's analytics hooks: `baton:*` DOM events on the `<baton-form>`
//! element, which bubble out of the shadow root (the loader pushes each to
//! `window.dataLayer` too). Details carry the form id, steps, grades and
//! field ids, never an answer.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit};

use crate::env::Env;

/// Fires `baton:{name}` with `{form, ...detail}` on the form's host element.
pub fn fire(env: &Env, name: &str, detail: &[(&str, JsValue)]) {
    let Some(host) = &env.host else { return };
    let o = Object::new();
    let _ = Reflect::set(&o, &"form".into(), &env.form.as_str().into());
    for (k, v) in detail {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&o);
    let mut event = String::from("baton:");
    event.push_str(name);
    if let Ok(e) = CustomEvent::new_with_event_init_dict(&event, &init) {
        let _ = host.dispatch_event(&e);
    }
}

/// `baton:error` with why: `invalid` (with the field ids), `refused`, `queued`.
pub fn error(env: &Env, reason: &str, fields: &[&str]) {
    let ids = js_sys::Array::new();
    for f in fields {
        ids.push(&(*f).into());
    }
    fire(
        env,
        "error",
        &[("reason", reason.into()), ("fields", ids.into())],
    );
}
