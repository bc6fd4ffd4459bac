//! Reading JS objects by key, for every reader in the widget: the playbook
//! (`read.rs`), the edge's answers (`post.rs`) and the outbox (`store.rs`).
//! `Reflect` rather than serde: a serde visitor per type would ship to
//! landing pages.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// `o[key]`; `undefined` when `o` has no such key (or is no object).
pub fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `o[key]`, or `None` when `o` has no such key (or is no object).
pub fn present(o: &JsValue, key: &str) -> Option<JsValue> {
    let v = get(o, key);
    (!v.is_undefined()).then_some(v)
}

/// `o[key]` when it is a string.
pub fn text(o: &JsValue, key: &str) -> Option<String> {
    get(o, key).as_string()
}
