//! The JSON body of `POST /v1/leads`: a `LeadPost` written with `Reflect` and
//! the browser's `JSON.stringify`, instead of serde.
//!
//! Why by hand: serde's `Serialize` for the wire types and serde-wasm-bindgen's
//! serializer were KBs of wasm for one object. This writes what serde wrote
//! with `wire.rs`'s attributes and serde-wasm-bindgen's `json_compatible()`:
//! fields in declaration order, the same keys skipped when empty, `null` for
//! `Value::Null`, and no body at all when an integer has no exact JS number
//! (the edge could not read it back). Every struct is taken apart with all
//! its fields named, so a field added to `wire.rs` does not compile here until
//! it is written. A wasm test compares both writers on the same leads.

use baton::wire::{Claimed, Context, LeadPost, Submission, Utm};
use baton::Value;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::JsValue;

/// 2^53 - 1: beyond it a JS number cannot hold every integer.
const MAX_SAFE: u64 = (1 << 53) - 1;

pub fn lead_json(lead: &LeadPost) -> Option<String> {
    JSON::stringify(&lead_post(lead)?).ok()?.as_string()
}

fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a property on a plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), value);
}

fn set_opt(o: &Object, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        set(o, key, &JsValue::from_str(v));
    }
}

fn set_list(o: &Object, key: &str, list: &[String]) {
    if !list.is_empty() {
        let a: Array = list.iter().map(|s| JsValue::from_str(s)).collect();
        set(o, key, &a);
    }
}

fn int(i: i64) -> Option<JsValue> {
    (i.unsigned_abs() <= MAX_SAFE).then(|| JsValue::from_f64(i as f64))
}

/// `v` as the browser's JSON writes it (also the remembered answers, `store.rs`).
pub fn value(v: &Value) -> Option<JsValue> {
    Some(match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Int(i) => int(*i)?,
        Value::Float(f) => JsValue::from_f64(*f),
        Value::Text(t) => JsValue::from_str(t),
        Value::List(l) => {
            let a = Array::new();
            for x in l {
                a.push(&value(x)?);
            }
            a.into()
        }
    })
}

fn lead_post(lead: &LeadPost) -> Option<JsValue> {
    let LeadPost {
        v,
        form,
        submission,
        claimed,
    } = lead;
    let o = Object::new();
    set(&o, "v", &JsValue::from_f64(f64::from(*v)));
    set(&o, "form", &JsValue::from_str(form));
    set(&o, "submission", &self::submission(submission)?);
    if let Some(c) = claimed {
        set(&o, "claimed", &self::claimed(c));
    }
    Some(o.into())
}

fn submission(s: &Submission) -> Option<JsValue> {
    let Submission {
        locale,
        fields,
        context,
    } = s;
    let o = Object::new();
    set_opt(&o, "locale", locale);
    let f = Object::new();
    for (id, v) in fields {
        set(&f, id, &value(v)?);
    }
    set(&o, "fields", &f);
    set(&o, "context", &self::context(context)?);
    Some(o.into())
}

fn context(c: &Context) -> Option<JsValue> {
    let Context {
        page_url,
        referrer,
        utm,
        pages_seen,
        content_seen,
        time_on_page_ms,
        visitor_id,
        arm,
    } = c;
    let o = Object::new();
    set_opt(&o, "page_url", page_url);
    set_opt(&o, "referrer", referrer);
    if !utm.is_empty() {
        let Utm {
            source,
            medium,
            campaign,
            term,
            content,
        } = utm;
        let u = Object::new();
        set_opt(&u, "source", source);
        set_opt(&u, "medium", medium);
        set_opt(&u, "campaign", campaign);
        set_opt(&u, "term", term);
        set_opt(&u, "content", content);
        set(&o, "utm", &u);
    }
    set_list(&o, "pages_seen", pages_seen);
    set_list(&o, "content_seen", content_seen);
    if let Some(ms) = time_on_page_ms {
        if *ms > MAX_SAFE {
            return None;
        }
        set(&o, "time_on_page_ms", &JsValue::from_f64(*ms as f64));
    }
    set_opt(&o, "visitor_id", visitor_id);
    set_opt(&o, "arm", arm);
    Some(o.into())
}

fn claimed(c: &Claimed) -> JsValue {
    let Claimed {
        version,
        score,
        grade,
        qualified,
        provisional,
    } = c;
    let o = Object::new();
    set(&o, "version", &JsValue::from_str(version));
    set(&o, "score", &JsValue::from_f64(f64::from(*score)));
    set(&o, "grade", &JsValue::from_str(grade));
    set(&o, "qualified", &JsValue::from_bool(*qualified));
    set(&o, "provisional", &JsValue::from_bool(*provisional));
    o.into()
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use baton::wire::{Claimed, Context, LeadPost, Submission, Utm};
    use baton::Value;
    use serde::Serialize;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// What the widget posted before: serde-wasm-bindgen, then `JSON.stringify`.
    fn serde(lead: &LeadPost) -> Option<String> {
        let ser = serde_wasm_bindgen::Serializer::json_compatible();
        let js = lead.serialize(&ser).ok()?;
        js_sys::JSON::stringify(&js).ok()?.as_string()
    }

    fn lead(fields: Vec<(&str, Value)>, context: Context, claimed: Option<Claimed>) -> LeadPost {
        LeadPost {
            v: baton::wire::WIRE_VERSION,
            form: "demo".into(),
            submission: Submission {
                locale: Some("de-AT".into()),
                fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                context,
            },
            claimed,
        }
    }

    #[wasm_bindgen_test]
    fn writes_the_lead_serde_wrote() {
        let claimed = Some(Claimed {
            version: "0123456789abcdef".into(),
            score: -42,
            grade: "B".into(),
            qualified: false,
            provisional: true,
        });
        let full = Context {
            page_url: Some("https://example.com/pricing?utm_source=x".into()),
            referrer: Some("https://google.com/".into()),
            utm: Utm {
                source: Some("google".into()),
                medium: None,
                campaign: Some("q4 \"launch\"".into()),
                term: None,
                content: Some("ünïcode ✓".into()),
            },
            pages_seen: vec!["/".into(), "/pricing".into()],
            content_seen: vec!["whitepaper".into()],
            time_on_page_ms: Some(12_345),
            visitor_id: Some("k7QmZ2xP9aB4".into()),
            arm: Some("demo-b".into()),
        };
        let values = vec![
            ("email", Value::Text("ana@acme.com".into())),
            ("consent", Value::Bool(true)),
            ("employees", Value::Int(-9_007_199_254_740_991)),
            ("ratio", Value::Float(0.1)),
            ("nan", Value::Float(f64::NAN)),
            ("nothing", Value::Null),
            (
                "interests",
                Value::List(vec![Value::Text("a".into()), Value::Int(2)]),
            ),
            ("10", Value::Text("numeric key".into())),
        ];
        let cases = [
            lead(values.clone(), full.clone(), claimed.clone()),
            lead(Vec::new(), Context::default(), None),
            lead(
                vec![("x", Value::List(Vec::new()))],
                Context::default(),
                claimed,
            ),
            // No exact JS number: neither writer writes a body.
            lead(vec![("big", Value::Int(1 << 60))], Context::default(), None),
            lead(
                vec![("l", Value::List(vec![Value::Int(i64::MIN)]))],
                Context::default(),
                None,
            ),
            lead(
                Vec::new(),
                Context {
                    time_on_page_ms: Some(1 << 54),
                    ..Context::default()
                },
                None,
            ),
        ];
        for (i, l) in cases.iter().enumerate() {
            assert_eq!(super::lead_json(l), serde(l), "case {i}");
        }
        assert!(super::lead_json(&cases[0]).is_some_and(|j| j.contains("\"utm\":{\"source\"")));
    }
}
