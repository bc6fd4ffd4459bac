//! Reads the public playbook (`JSON.parse` of `GET /v1/forms/{id}`) into a
//! `RawPlaybook` with `Reflect`, instead of serde.
//!
//! Why by hand: serde's derived visitors for the playbook's structs, the
//! deserializer of serde-wasm-bindgen and the error formatting they pull in
//! (floats, `Debug` of strings) were a fifth of the widget's wasm; this reader
//! is a small fraction of that. It accepts exactly what serde-wasm-bindgen did
//! with the `raw.rs` attributes: the same required keys, the same defaults,
//! `null` as "none" only where the key is optional, integers only when they
//! are safe integers in range, unknown keys ignored (serde-wasm-bindgen only
//! ever looks up the keys a struct has). Every struct is built with all its
//! fields named, so a key added to `raw.rs` does not compile here until it is read.
//!
//! Errors say which key and stop: the edge made this JSON from a compiled
//! playbook, and whatever the reader lets through is compiled again anyway.

use baton::raw::{
    FieldKind, Localized, Op, Published, RawCondition, RawField, RawGrade, RawOption, RawPlaybook,
    RawRep, RawRoute, RawRule, RawSla, RawStep, RawTeam, RawText, Visibility,
};
use baton::SortedMap;
use js_sys::{Array, Number, Object, Reflect};
use serde_json::Value as Json;
use wasm_bindgen::{JsCast, JsValue};

type R<T> = Result<T, Bad>;

/// What was wrong, as static strings: failing costs no allocation until the
/// one message is written (`Result`s of a word or two keep every read small).
pub struct Bad {
    key: &'static str,
    what: &'static str,
}

fn bad(key: &'static str, what: &'static str) -> Bad {
    Bad { key, what }
}

impl Bad {
    pub fn message(&self) -> String {
        let mut m = String::from("playbook: `");
        m.push_str(self.key);
        m.push_str("` ");
        m.push_str(self.what);
        m
    }
}

/// `o[key]`; `None` when `o` has no such key.
fn get(o: &JsValue, key: &'static str) -> Option<JsValue> {
    let v = Reflect::get(o, &JsValue::from_str(key)).ok()?;
    (!v.is_undefined()).then_some(v)
}

/// A struct: any object, arrays included (what serde-wasm-bindgen takes).
fn object(v: JsValue, key: &'static str) -> R<JsValue> {
    if v.is_object() {
        Ok(v)
    } else {
        Err(bad(key, "must be an object"))
    }
}

fn string_of(v: JsValue, key: &'static str) -> R<String> {
    v.as_string().ok_or_else(|| bad(key, "must be text"))
}

/// A required text.
fn string(o: &JsValue, key: &'static str) -> R<String> {
    string_of(get(o, key).ok_or_else(|| bad(key, "is missing"))?, key)
}

/// An optional value: missing or `null` is `None`.
fn opt<T>(o: &JsValue, key: &'static str, read: fn(JsValue, &'static str) -> R<T>) -> R<Option<T>> {
    match get(o, key) {
        Some(v) if !v.is_null() => read(v, key).map(Some),
        _ => Ok(None),
    }
}

/// A value with a default when missing (`null` is not missing: serde rejects it).
fn or<T>(
    o: &JsValue,
    key: &'static str,
    default: T,
    read: fn(JsValue, &'static str) -> R<T>,
) -> R<T> {
    get(o, key).map_or(Ok(default), |v| read(v, key))
}

fn bool_of(v: JsValue, key: &'static str) -> R<bool> {
    v.as_bool().ok_or_else(|| bad(key, "must be true or false"))
}

/// A safe integer, as serde-wasm-bindgen reads every integer type.
fn int_of(v: JsValue, key: &'static str) -> R<i64> {
    match v.as_f64() {
        Some(n) if Number::is_safe_integer(&v) => Ok(n as i64),
        _ => Err(bad(key, "must be a whole number")),
    }
}

fn i32_of(v: JsValue, key: &'static str) -> R<i32> {
    i32::try_from(int_of(v, key)?).map_err(|_| bad(key, "is out of range"))
}

fn u32_of(v: JsValue, key: &'static str) -> R<u32> {
    u32::try_from(int_of(v, key)?).map_err(|_| bad(key, "is out of range"))
}

/// An array of `read`'s items; a missing key is an empty list when `optional`.
fn list<T>(
    o: &JsValue,
    key: &'static str,
    optional: bool,
    read: fn(JsValue, &'static str) -> R<T>,
) -> R<Vec<T>> {
    match get(o, key) {
        None if optional => Ok(Vec::new()),
        None => Err(bad(key, "is missing")),
        Some(v) => list_of(v, key, read),
    }
}

fn list_of<T>(v: JsValue, key: &'static str, read: fn(JsValue, &'static str) -> R<T>) -> R<Vec<T>> {
    let a = v
        .dyn_into::<Array>()
        .map_err(|_| bad(key, "must be a list"))?;
    a.iter().map(|x| read(x, key)).collect()
}

/// A map with text keys (serde-wasm-bindgen reads it from `Object.entries`).
fn map_of<T>(
    v: JsValue,
    key: &'static str,
    read: fn(JsValue, &'static str) -> R<T>,
) -> R<SortedMap<T>> {
    if !v.is_object() || Array::is_array(&v) {
        return Err(bad(key, "must be an object"));
    }
    let o = v;
    let mut m = SortedMap::new();
    for e in Object::entries(o.unchecked_ref()).iter() {
        let e: Array = e.unchecked_into();
        m.insert(string_of(e.get(0), key)?, read(e.get(1), key)?);
    }
    Ok(m)
}

pub fn playbook(v: JsValue) -> R<RawPlaybook> {
    let o = object(v, "playbook")?;
    Ok(RawPlaybook {
        id: string(&o, "id")?,
        name: string(&o, "name")?,
        default_locale: or(&o, "default_locale", "en".to_owned(), string_of)?,
        allowed_origins: list(&o, "allowed_origins", true, string_of)?,
        text: or(&o, "text", SortedMap::new(), |v, k| map_of(v, k, text))?,
        fields: list(&o, "fields", false, field)?,
        steps: list(&o, "steps", true, step)?,
        rules: list(&o, "rules", true, rule)?,
        grades: list(&o, "grades", false, grade)?,
        reps: list(&o, "reps", true, rep)?,
        teams: list(&o, "teams", true, team)?,
        routes: list(&o, "routes", false, route)?,
        sla: or(&o, "sla", RawSla::default(), sla)?,
        published: opt(&o, "published", published)?,
    })
}

fn published(v: JsValue, key: &'static str) -> R<Published> {
    let o = object(v, key)?;
    Ok(Published {
        version: string(&o, "version")?,
        edge_rules_removed: u32_of(
            get(&o, "edge_rules_removed").ok_or_else(|| bad("edge_rules_removed", "is missing"))?,
            "edge_rules_removed",
        )?,
    })
}

fn text(v: JsValue, key: &'static str) -> R<RawText> {
    let o = object(v, key)?;
    Ok(RawText {
        title: opt(&o, "title", string_of)?,
        intro: opt(&o, "intro", string_of)?,
        submit: opt(&o, "submit", string_of)?,
        next: opt(&o, "next", string_of)?,
        back: opt(&o, "back", string_of)?,
        thank_you: opt(&o, "thank_you", string_of)?,
        qualified: opt(&o, "qualified", string_of)?,
        knocked_out: opt(&o, "knocked_out", string_of)?,
        book_meeting: opt(&o, "book_meeting", string_of)?,
    })
}

/// `"text"` or `{ "en": "text", … }`, as serde's untagged enum tries them.
fn localized(v: JsValue, key: &'static str) -> R<Localized> {
    match v.as_string() {
        Some(s) => Ok(Localized::One(s)),
        None => map_of(v, key, string_of).map(Localized::Many),
    }
}

fn field(v: JsValue, key: &'static str) -> R<RawField> {
    let o = object(v, key)?;
    let kind = string(&o, "kind")?;
    Ok(RawField {
        id: string(&o, "id")?,
        kind: FieldKind::from_name(&kind).ok_or_else(|| bad("kind", "is no field kind"))?,
        label: localized(
            get(&o, "label").ok_or_else(|| bad("label", "is missing"))?,
            "label",
        )?,
        required: or(&o, "required", false, bool_of)?,
        help: opt(&o, "help", localized)?,
        placeholder: opt(&o, "placeholder", localized)?,
        options: list(&o, "options", true, option)?,
        min: opt(&o, "min", int_of)?,
        max: opt(&o, "max", int_of)?,
        max_length: opt(&o, "max_length", u32_of)?,
        param: opt(&o, "param", string_of)?,
    })
}

fn option(v: JsValue, key: &'static str) -> R<RawOption> {
    let o = object(v, key)?;
    Ok(RawOption {
        value: string(&o, "value")?,
        label: localized(
            get(&o, "label").ok_or_else(|| bad("label", "is missing"))?,
            "label",
        )?,
    })
}

fn step(v: JsValue, key: &'static str) -> R<RawStep> {
    let o = object(v, key)?;
    Ok(RawStep {
        id: string(&o, "id")?,
        title: opt(&o, "title", localized)?,
        fields: list(&o, "fields", false, string_of)?,
    })
}

fn rule(v: JsValue, key: &'static str) -> R<RawRule> {
    let o = object(v, key)?;
    Ok(RawRule {
        id: string(&o, "id")?,
        description: opt(&o, "description", string_of)?,
        points: or(&o, "points", 0, i32_of)?,
        knockout: or(&o, "knockout", false, bool_of)?,
        visibility: or(&o, "visibility", Visibility::Public, visibility)?,
        when: condition(
            get(&o, "when").ok_or_else(|| bad("when", "is missing"))?,
            "when",
        )?,
    })
}

fn visibility(v: JsValue, key: &'static str) -> R<Visibility> {
    match string_of(v, key)?.as_str() {
        "public" => Ok(Visibility::Public),
        "edge" => Ok(Visibility::Edge),
        _ => Err(bad(key, "must be `public` or `edge`")),
    }
}

fn condition(v: JsValue, key: &'static str) -> R<RawCondition> {
    let o = object(v, key)?;
    Ok(RawCondition {
        all: opt(&o, "all", |v, k| list_of(v, k, condition))?,
        any: opt(&o, "any", |v, k| list_of(v, k, condition))?,
        not: opt(&o, "not", |v, k| condition(v, k).map(Box::new))?,
        field: opt(&o, "field", string_of)?,
        fact: opt(&o, "fact", string_of)?,
        op: opt(&o, "op", |v, k| {
            Op::from_name(&string_of(v, k)?).ok_or_else(|| bad(k, "is no operator"))
        })?,
        value: opt(&o, "value", json)?,
    })
}

/// A test's operand, as serde_json's `Value` reads it. Objects are refused
/// here rather than read: no operator takes one, so compiling would refuse them.
fn json(v: JsValue, key: &'static str) -> R<Json> {
    if v.is_null() {
        return Ok(Json::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Json::Bool(b));
    }
    if let Some(s) = v.as_string() {
        return Ok(Json::String(s));
    }
    if let Some(n) = v.as_f64() {
        return Ok(if Number::is_safe_integer(&v) {
            Json::from(n as i64)
        } else {
            serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
        });
    }
    if Array::is_array(&v) {
        return list_of(v, key, json).map(Json::Array);
    }
    Err(bad(key, "must be text, a number, true, false or a list"))
}

fn grade(v: JsValue, key: &'static str) -> R<RawGrade> {
    let o = object(v, key)?;
    Ok(RawGrade {
        grade: string(&o, "grade")?,
        min_score: opt(&o, "min_score", i32_of)?,
        qualified: or(&o, "qualified", false, bool_of)?,
    })
}

fn rep(v: JsValue, key: &'static str) -> R<RawRep> {
    let o = object(v, key)?;
    Ok(RawRep {
        id: string(&o, "id")?,
        name: string(&o, "name")?,
        email: opt(&o, "email", string_of)?,
        webhook_url: opt(&o, "webhook_url", string_of)?,
        slack_webhook_url: opt(&o, "slack_webhook_url", string_of)?,
        booking_url: opt(&o, "booking_url", string_of)?,
        weight: or(&o, "weight", 1, u32_of)?,
        active: or(&o, "active", true, bool_of)?,
    })
}

fn team(v: JsValue, key: &'static str) -> R<RawTeam> {
    let o = object(v, key)?;
    Ok(RawTeam {
        id: string(&o, "id")?,
        name: string(&o, "name")?,
        reps: list(&o, "reps", false, string_of)?,
    })
}

fn route(v: JsValue, key: &'static str) -> R<RawRoute> {
    let o = object(v, key)?;
    Ok(RawRoute {
        id: string(&o, "id")?,
        description: opt(&o, "description", string_of)?,
        when: opt(&o, "when", condition)?,
        team: opt(&o, "team", string_of)?,
        rep: opt(&o, "rep", string_of)?,
    })
}

fn sla(v: JsValue, key: &'static str) -> R<RawSla> {
    let o = object(v, key)?;
    Ok(RawSla {
        minutes: or(&o, "minutes", SortedMap::new(), |v, k| map_of(v, k, u32_of))?,
        escalate_to: opt(&o, "escalate_to", string_of)?,
    })
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use baton::RawPlaybook;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    /// What the widget read before: serde-wasm-bindgen with `raw.rs`'s attributes.
    fn serde(json: &str) -> Result<RawPlaybook, ()> {
        let v = js_sys::JSON::parse(json).map_err(|_| ())?;
        serde_wasm_bindgen::from_value(v).map_err(|_| ())
    }

    fn ours(json: &str) -> Result<RawPlaybook, ()> {
        let v = js_sys::JSON::parse(json).map_err(|_| ())?;
        super::playbook(v).map_err(|_| ())
    }

    #[wasm_bindgen_test]
    fn reads_the_public_demo_playbook_as_serde_did() {
        let pb =
            baton::parse_toml(include_str!("../../icp.toml")).unwrap_or_else(|p| panic!("{p}"));
        let json = serde_json::to_string(&pb.public()).unwrap_or_default();
        let read = ours(&json);
        assert!(read.is_ok());
        assert_eq!(read, serde(&json));
        // The full copy too: edge rules, rep contacts, every kind of key.
        let json = serde_json::to_string(pb.raw()).unwrap_or_default();
        assert_eq!(ours(&json), serde(&json));
    }

    #[wasm_bindgen_test]
    fn accepts_and_refuses_what_serde_did() {
        let base = r#""id":"f","name":"F","fields":[{"id":"a","kind":"number","label":"A"}],
            "grades":[{"grade":"A"}],"routes":[{"id":"r","team":"t"}]"#;
        let cases = [
            // Defaults and optional keys.
            "",
            r#","default_locale":"de","published":null"#,
            r#","text":{"de":{"title":"T","intro":null}},"sla":{"minutes":{"A":5,"B":0}}"#,
            r#","sla":[]"#,
            r#","unknown_key":[1,2]"#,
            r#","reps":[{"id":"x","name":"X","weight":3,"active":false,"email":null}]"#,
            r#","published":{"version":"abc","edge_rules_removed":2}"#,
            r#","rules":[{"id":"r","when":{"field":"a","op":"in","value":[1,2.5,null,"x",[true]]}}]"#,
            r#","rules":[{"id":"r","points":-5,"knockout":true,"visibility":"edge","when":{"not":{"any":[{"fact":"pages_seen","op":"absent"}]}}}]"#,
            r#","steps":[{"id":"s","title":{"en":"S","de":"T"},"fields":["a"]}]"#,
            // Refused.
            r#","default_locale":null"#,
            r#","text":{"de":{"title":1}}"#,
            r#","text":[{"title":"T"}]"#,
            r#","sla":{"minutes":{"A":-1}}"#,
            r#","sla":{"minutes":{"A":1.5}}"#,
            r#","published":{"version":"abc"}"#,
            r#","reps":[{"id":"x","name":"X","weight":null}]"#,
            r#","reps":[{"id":"x","name":"X","active":"yes"}]"#,
            r#","rules":[{"id":"r","points":2147483648,"when":{}}]"#,
            r#","rules":[{"id":"r","points":9007199254740993,"when":{}}]"#,
            r#","rules":[{"id":"r","visibility":"secret","when":{}}]"#,
            r#","rules":[{"id":"r","when":{"field":"a","op":"about"}}]"#,
            r#","rules":[{"id":"r"}]"#,
            r#","steps":"s""#,
        ];
        assert!(ours(&format!("{{{base}}}")).is_ok());
        for case in cases {
            let json = format!("{{{base}{case}}}");
            assert_eq!(ours(&json), serde(&json), "{case}");
        }
        for field in [
            r#"{"id":"a","kind":"select","label":{"en":"A"},"options":[{"value":"x","label":"X"}],"required":true}"#,
            r#"{"id":"a","kind":"number","label":"A","min":-3,"max":9007199254740991}"#,
            r#"{"id":"a","kind":"hidden","label":"A","param":"gclid","max_length":10,"help":"h","placeholder":{"de":"p"}}"#,
            r#"{"id":"a","kind":"number","label":"A","max":1e300}"#,
            r#"{"id":"a","kind":"Number","label":"A"}"#,
            r#"{"id":"a","kind":"text","label":["A"]}"#,
            r#"{"id":"a","kind":"text","label":{"en":1}}"#,
            r#"{"id":"a","kind":"text"}"#,
            r#"{"id":"a","kind":"text","label":"A","max_length":-1}"#,
        ] {
            let json =
                format!(r#"{{"id":"f","name":"F","fields":[{field}],"grades":[],"routes":[]}}"#);
            assert_eq!(ours(&json), serde(&json), "{field}");
        }
    }
}
