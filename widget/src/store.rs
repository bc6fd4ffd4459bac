//! Browser storage: the pages seen this session (written by `embed.js`) and
//! the outbox of leads that could not be sent yet. Values are JSON parsed by
//! the browser's own `JSON` (no serde_json in the widget: every byte ships).

use js_sys::{Array, JsString, JSON};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Storage;

/// Where `embed.js` keeps the paths of this session's page views.
const PAGES_KEY: &str = "baton:pages";
const OUTBOX_KEY: &str = "baton:outbox";
/// A lead older than this is dropped rather than sent days late.
const MAX_AGE_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;
/// Room for a handful of leads; never grows without bound.
const MAX_PENDING: usize = 10;

/// A lead waiting to be sent: the exact body, so a retry posts the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub url: String,
    pub body: String,
    /// `Date.now()` when it was first tried.
    pub at: f64,
}

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn read(storage: &Storage, key: &str) -> Option<JsValue> {
    let text = storage.get_item(key).ok()??;
    JSON::parse(&text).ok()
}

/// Paths seen this session, oldest first (at most what the loader keeps).
pub fn pages_seen() -> Vec<String> {
    let Some(list) = session().and_then(|s| read(&s, PAGES_KEY)) else {
        return Vec::new();
    };
    list.dyn_into::<Array>()
        .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default()
}

pub fn outbox() -> Vec<Pending> {
    let now = js_sys::Date::now();
    local()
        .and_then(|s| read(&s, OUTBOX_KEY))
        .and_then(|v| serde_wasm_bindgen::from_value::<Vec<Pending>>(v).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| now - p.at < MAX_AGE_MS)
        .collect()
}

fn save(list: &[Pending]) {
    let Some(storage) = local() else { return };
    if list.is_empty() {
        let _ = storage.remove_item(OUTBOX_KEY);
        return;
    }
    let text = serde_wasm_bindgen::to_value(list)
        .ok()
        .and_then(|v| JSON::stringify(&v).ok())
        .map(String::from);
    if let Some(text) = text {
        // A full or disabled storage only means the lead cannot survive a reload.
        let _ = storage.set_item(OUTBOX_KEY, &text);
    }
}

pub fn enqueue(p: &Pending) {
    let mut list = outbox();
    if !list.contains(p) {
        list.push(p.clone());
    }
    let drop = list.len().saturating_sub(MAX_PENDING);
    list.drain(..drop);
    save(&list);
}

pub fn remove(p: &Pending) {
    let mut list = outbox();
    list.retain(|q| q.body != p.body);
    save(&list);
}

/// `JSON.stringify` of any serializable value, maps as plain objects.
pub fn to_json<T: Serialize>(value: &T) -> Option<String> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    let js = value.serialize(&ser).ok()?;
    JSON::stringify(&js).ok().map(|s: JsString| s.into())
}
