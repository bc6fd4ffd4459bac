//! Browser storage: the pages seen this session (written by `embed.js`), the
//! outbox of leads that could not be sent yet, and what a visitor who
//! consented told us, so a returning visitor is not asked again. Values are JSON parsed and
//! written by the browser's own `JSON` (no serde_json in the widget: every byte ships).

use baton::Value;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Storage;

use crate::js::{get, text};

/// Where `embed.js` keeps the paths of this session's page views.
const PAGES_KEY: &str = "baton:pages";
const OUTBOX_KEY: &str = "baton:outbox";
/// A lead older than this is dropped rather than sent days late.
const MAX_AGE_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;
/// What a visitor told us, kept only once they consented and forgotten
/// after this long (or at once by "Not you?").
const KNOWN_KEY: &str = "baton:known";
/// Written by embed.js; read here for the lead's `context.visitor_id`.
const VISITOR_KEY: &str = "baton:vid";
const KNOWN_MAX_AGE_MS: f64 = 90.0 * 24.0 * 3600.0 * 1000.0;
/// Room for a handful of leads; never grows without bound.
const MAX_PENDING: usize = 10;

/// A lead waiting to be sent: the exact body, so a retry posts the same bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub url: String,
    pub body: String,
    /// `Date.now()` when it was first tried.
    pub at: f64,
    /// Sent as `Idempotency-Key` on every attempt: the edge stores a lead
    /// once however often it is retried, from this tab or another one.
    /// (None for leads an older widget saved.)
    pub key: Option<String>,
}

/// A fresh idempotency key: 128 random bits in hex, from `crypto.getRandomValues`
/// (unlike `randomUUID`, also there on plain-http pages).
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto (very old browsers): still unique enough per visitor.
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    let mut key = String::with_capacity(32);
    for b in bytes {
        key.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        key.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    key
}

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The stored JSON array under `key` (empty when missing or unreadable).
fn read(storage: Option<Storage>, key: &str) -> Array {
    storage
        .and_then(|s| s.get_item(key).ok().flatten())
        .and_then(|t| JSON::parse(&t).ok())
        .and_then(|v| v.dyn_into::<Array>().ok())
        .unwrap_or_default()
}

/// Paths seen this session, oldest first (at most what the loader keeps).
pub fn pages_seen() -> Vec<String> {
    read(session(), PAGES_KEY)
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

/// The loader's visitor id (`baton:vid`, made by embed.js), if it is one.
pub fn visitor_id() -> Option<String> {
    local()?
        .get_item(VISITOR_KEY)
        .ok()
        .flatten()
        .filter(|v| baton::experiment::visitor_ok(v))
}

pub fn outbox() -> Vec<Pending> {
    let now = js_sys::Date::now();
    read(local(), OUTBOX_KEY)
        .iter()
        .filter_map(|v| {
            Some(Pending {
                url: text(&v, "url")?,
                body: text(&v, "body")?,
                at: get(&v, "at").as_f64()?,
                key: text(&v, "key"),
            })
        })
        .filter(|p| now - p.at < MAX_AGE_MS)
        .collect()
}

fn save(list: &[Pending]) {
    let Some(storage) = local() else { return };
    if list.is_empty() {
        let _ = storage.remove_item(OUTBOX_KEY);
        return;
    }
    let arr = Array::new();
    for p in list {
        let o = Object::new();
        let _ = Reflect::set(&o, &"url".into(), &p.url.as_str().into());
        let _ = Reflect::set(&o, &"body".into(), &p.body.as_str().into());
        let _ = Reflect::set(&o, &"at".into(), &p.at.into());
        if let Some(k) = &p.key {
            let _ = Reflect::set(&o, &"key".into(), &k.as_str().into());
        }
        arr.push(&o);
    }
    if let Some(text) = JSON::stringify(&arr).ok().and_then(|s| s.as_string()) {
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

/// What a returning visitor told us: `{at, fields: {id: answer}, consented: [text]}`
/// as stored, read field by field (no copy into Rust maps: every byte ships).
pub struct Known(JsValue);

impl Known {
    /// Their answer to field `id`, as the form holds it (a text, a tick or a list of texts).
    pub fn answer(&self, id: &str) -> Option<Value> {
        answer(&get(&get(&self.0, "fields"), id))
    }

    /// Whether they agreed to this very consent text.
    pub fn agreed(&self, text: &str) -> bool {
        get(&self.0, "consented")
            .dyn_into::<Array>()
            .is_ok_and(|a| a.includes(&JsValue::from_str(text), 0))
    }
}

fn answer(v: &JsValue) -> Option<Value> {
    if let Some(b) = v.as_bool() {
        return Some(Value::Bool(b));
    }
    if let Some(a) = v.dyn_ref::<Array>() {
        return Some(Value::List(a.iter().filter_map(|x| answer(&x)).collect()));
    }
    v.as_string().map(Value::Text)
}

/// What this visitor told an earlier form on this site, if they consented
/// and it is not too old.
pub fn known() -> Option<Known> {
    let o = JSON::parse(&local()?.get_item(KNOWN_KEY).ok()??)
        .ok()
        .filter(|o| o.is_object())?;
    if js_sys::Date::now() - get(&o, "at").as_f64().unwrap_or(0.0) > KNOWN_MAX_AGE_MS {
        forget();
        return None;
    }
    Some(Known(o))
}

/// Keeps `fields` (over what earlier forms kept) and the consent texts agreed
/// to, for the next visit.
pub fn remember(fields: &[(&str, &Value)], consented: &[&str]) {
    let Some(storage) = local() else { return };
    let o = known().map_or_else(|| Object::new().into(), |k| k.0);
    let f = get(&o, "fields");
    let f: Object = f.dyn_into().unwrap_or_default();
    for (id, v) in fields {
        if let Some(v) = crate::body::value(v) {
            let _ = Reflect::set(&f, &(*id).into(), &v);
        }
    }
    let c: Array = get(&o, "consented").dyn_into().unwrap_or_default();
    for t in consented {
        let t = JsValue::from_str(t);
        if !c.includes(&t, 0) {
            c.push(&t);
        }
    }
    let _ = Reflect::set(&o, &"at".into(), &js_sys::Date::now().into());
    let _ = Reflect::set(&o, &"fields".into(), &f);
    let _ = Reflect::set(&o, &"consented".into(), &c);
    if let Some(text) = JSON::stringify(&o).ok().and_then(|s| s.as_string()) {
        let _ = storage.set_item(KNOWN_KEY, &text);
    }
}

/// Forgets the visitor ("Not you?").
pub fn forget() {
    if let Some(s) = local() {
        let _ = s.remove_item(KNOWN_KEY);
    }
}
