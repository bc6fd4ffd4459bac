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
//! A read that fails notes the first problem and yields a default, and the
//! whole read fails at the end: no early return means no code to drop the
//! fields read so far at every key (that cleanup was most of this reader's
//! wasm). The edge made this JSON from a compiled playbook, and whatever the
//! reader lets through is compiled again anyway.
//!
//! Delivery channels, named accounts and enablement content are edge-only:
//! the public copy has none (`public.rs`), and they are not read here, so
//! no code for them ships to landing pages.

use baton::experiment::Arms;
use baton::raw::{
    FieldKind, Localized, Op, Published, RawCondition, RawField, RawGrade, RawOption, RawOwnership,
    RawPlaybook, RawRep, RawRoute, RawRule, RawSla, RawStep, RawTeam, RawText, Visibility,
};
use baton::SortedMap;
use js_sys::{Array, Number, Object};
use serde_json::Value as Json;
use wasm_bindgen::{JsCast, JsValue};

use crate::js::present;

/// The first thing wrong, as static strings (no allocation until the message).
pub struct Bad {
    key: &'static str,
    what: &'static str,
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

pub fn playbook(v: JsValue) -> Result<RawPlaybook, Bad> {
    let mut r = Reader { bad: None };
    let pb = r.playbook(v, "playbook");
    r.bad.map_or(Ok(pb), Err)
}

/// Reads one `fn(&mut Reader, value, key) -> T`.
type Read<T> = fn(&mut Reader, JsValue, &'static str) -> T;

struct Reader {
    bad: Option<Bad>,
}

impl Reader {
    fn fail(&mut self, key: &'static str, what: &'static str) {
        if self.bad.is_none() {
            self.bad = Some(Bad { key, what });
        }
    }

    /// A struct: any object, arrays included (what serde-wasm-bindgen takes).
    fn object(&mut self, v: &JsValue, key: &'static str) {
        if !v.is_object() {
            self.fail(key, "must be an object");
        }
    }

    fn string_of(&mut self, v: JsValue, key: &'static str) -> String {
        v.as_string().unwrap_or_else(|| {
            self.fail(key, "must be text");
            String::new()
        })
    }

    /// A required value.
    fn req<T: Default>(&mut self, o: &JsValue, key: &'static str, read: Read<T>) -> T {
        match present(o, key) {
            Some(v) => read(self, v, key),
            None => {
                self.fail(key, "is missing");
                T::default()
            }
        }
    }

    /// An optional value: missing or `null` is `None`.
    fn opt<T>(&mut self, o: &JsValue, key: &'static str, read: Read<T>) -> Option<T> {
        match present(o, key) {
            Some(v) if !v.is_null() => Some(read(self, v, key)),
            _ => None,
        }
    }

    /// A value with a default when missing (`null` is not missing: serde rejects it).
    fn or<T>(&mut self, o: &JsValue, key: &'static str, default: T, read: Read<T>) -> T {
        match present(o, key) {
            Some(v) => read(self, v, key),
            None => default,
        }
    }

    fn bool_of(&mut self, v: JsValue, key: &'static str) -> bool {
        v.as_bool().unwrap_or_else(|| {
            self.fail(key, "must be true or false");
            false
        })
    }

    /// A safe integer, as serde-wasm-bindgen reads every integer type.
    fn int_of(&mut self, v: JsValue, key: &'static str) -> i64 {
        match v.as_f64() {
            Some(n) if Number::is_safe_integer(&v) => n as i64,
            _ => {
                self.fail(key, "must be a whole number");
                0
            }
        }
    }

    fn i32_of(&mut self, v: JsValue, key: &'static str) -> i32 {
        let i = self.int_of(v, key);
        i32::try_from(i).unwrap_or_else(|_| {
            self.fail(key, "is out of range");
            0
        })
    }

    fn u32_of(&mut self, v: JsValue, key: &'static str) -> u32 {
        let i = self.int_of(v, key);
        u32::try_from(i).unwrap_or_else(|_| {
            self.fail(key, "is out of range");
            0
        })
    }

    /// An array of `read`'s items.
    fn list_of<T>(&mut self, v: JsValue, key: &'static str, read: Read<T>) -> Vec<T> {
        match v.dyn_into::<Array>() {
            Ok(a) => a.iter().map(|x| read(self, x, key)).collect(),
            Err(_) => {
                self.fail(key, "must be a list");
                Vec::new()
            }
        }
    }

    /// A list that is empty when missing.
    fn list<T>(&mut self, o: &JsValue, key: &'static str, read: Read<T>) -> Vec<T> {
        match present(o, key) {
            Some(v) => self.list_of(v, key, read),
            None => Vec::new(),
        }
    }

    /// A list that must be there.
    fn req_list<T>(&mut self, o: &JsValue, key: &'static str, read: Read<T>) -> Vec<T> {
        match present(o, key) {
            Some(v) => self.list_of(v, key, read),
            None => {
                self.fail(key, "is missing");
                Vec::new()
            }
        }
    }

    /// A map with text keys (serde-wasm-bindgen reads it from `Object.entries`).
    fn map_of<T>(&mut self, v: JsValue, key: &'static str, read: Read<T>) -> SortedMap<T> {
        let mut m = SortedMap::new();
        if !v.is_object() || Array::is_array(&v) {
            self.fail(key, "must be an object");
            return m;
        }
        for e in Object::entries(v.unchecked_ref()).iter() {
            let e: Array = e.unchecked_into();
            let k = self.string_of(e.get(0), key);
            let v = read(self, e.get(1), key);
            m.insert(k, v);
        }
        m
    }

    fn playbook(&mut self, o: JsValue, key: &'static str) -> RawPlaybook {
        self.object(&o, key);
        RawPlaybook {
            id: self.req(&o, "id", Self::string_of),
            name: self.req(&o, "name", Self::string_of),
            default_locale: self.or(&o, "default_locale", "en".to_owned(), Self::string_of),
            allowed_origins: self.list(&o, "allowed_origins", Self::string_of),
            text: self.or(&o, "text", SortedMap::new(), |r, v, k| {
                r.map_of(v, k, Self::text)
            }),
            fields: self.req_list(&o, "fields", Self::field),
            steps: self.list(&o, "steps", Self::step),
            rules: self.list(&o, "rules", Self::rule),
            grades: self.req_list(&o, "grades", Self::grade),
            reps: self.list(&o, "reps", Self::rep),
            teams: self.list(&o, "teams", Self::team),
            routes: self.req_list(&o, "routes", Self::route),
            sla: self.or(&o, "sla", RawSla::default(), Self::sla),
            // Edge-only, never in a public copy.
            ownership: RawOwnership::default(),
            // Sales' own: public copies carry none.
            outcomes: Default::default(),
            content: Vec::new(),
            // The edge chose the arm; the copy says which in `published`.
            experiment: None,
            // Edge-only: public copies carry none.
            privacy: Default::default(),
            published: self.opt(&o, "published", Self::published),
        }
    }

    fn published(&mut self, o: JsValue, key: &'static str) -> Published {
        self.object(&o, key);
        Published {
            version: self.req(&o, "version", Self::string_of),
            edge_rules_removed: self.req(&o, "edge_rules_removed", Self::u32_of),
            edge_fields: self.list(&o, "edge_fields", Self::string_of),
            experiment: self.opt(&o, "experiment", Self::arms),
        }
    }

    fn arms(&mut self, o: JsValue, key: &'static str) -> Arms {
        self.object(&o, key);
        let share = self.req(&o, "share", Self::u32_of);
        Arms {
            id: self.req(&o, "id", Self::string_of),
            control: self.req(&o, "control", Self::string_of),
            variant: self.req(&o, "variant", Self::string_of),
            share: u8::try_from(share).unwrap_or_else(|_| {
                self.fail("share", "is out of range");
                0
            }),
        }
    }

    fn text(&mut self, o: JsValue, key: &'static str) -> RawText {
        self.object(&o, key);
        RawText {
            title: self.opt(&o, "title", Self::string_of),
            intro: self.opt(&o, "intro", Self::string_of),
            submit: self.opt(&o, "submit", Self::string_of),
            next: self.opt(&o, "next", Self::string_of),
            back: self.opt(&o, "back", Self::string_of),
            thank_you: self.opt(&o, "thank_you", Self::string_of),
            qualified: self.opt(&o, "qualified", Self::string_of),
            knocked_out: self.opt(&o, "knocked_out", Self::string_of),
            book_meeting: self.opt(&o, "book_meeting", Self::string_of),
        }
    }

    /// `"text"` or `{ "en": "text", … }`, as serde's untagged enum tries them.
    fn localized(&mut self, v: JsValue, key: &'static str) -> Localized {
        match v.as_string() {
            Some(s) => Localized::One(s),
            None => Localized::Many(self.map_of(v, key, Self::string_of)),
        }
    }

    fn field(&mut self, o: JsValue, key: &'static str) -> RawField {
        self.object(&o, key);
        RawField {
            id: self.req(&o, "id", Self::string_of),
            kind: self.req(&o, "kind", Self::kind).unwrap_or(FieldKind::Text),
            label: match present(&o, "label") {
                Some(v) => self.localized(v, "label"),
                None => {
                    self.fail("label", "is missing");
                    Localized::One(String::new())
                }
            },
            required: self.or(&o, "required", false, Self::bool_of),
            help: self.opt(&o, "help", Self::localized),
            placeholder: self.opt(&o, "placeholder", Self::localized),
            options: self.list(&o, "options", Self::option),
            min: self.opt(&o, "min", Self::int_of),
            max: self.opt(&o, "max", Self::int_of),
            max_length: self.opt(&o, "max_length", Self::u32_of),
            param: self.opt(&o, "param", Self::string_of),
        }
    }

    fn kind(&mut self, v: JsValue, key: &'static str) -> Option<FieldKind> {
        let name = self.string_of(v, key);
        let kind = FieldKind::from_name(&name);
        if kind.is_none() {
            self.fail(key, "is no field kind");
        }
        kind
    }

    fn option(&mut self, o: JsValue, key: &'static str) -> RawOption {
        self.object(&o, key);
        RawOption {
            value: self.req(&o, "value", Self::string_of),
            label: match present(&o, "label") {
                Some(v) => self.localized(v, "label"),
                None => {
                    self.fail("label", "is missing");
                    Localized::One(String::new())
                }
            },
        }
    }

    fn step(&mut self, o: JsValue, key: &'static str) -> RawStep {
        self.object(&o, key);
        RawStep {
            id: self.req(&o, "id", Self::string_of),
            title: self.opt(&o, "title", Self::localized),
            fields: self.req_list(&o, "fields", Self::string_of),
        }
    }

    fn rule(&mut self, o: JsValue, key: &'static str) -> RawRule {
        self.object(&o, key);
        RawRule {
            id: self.req(&o, "id", Self::string_of),
            description: self.opt(&o, "description", Self::string_of),
            points: self.or(&o, "points", 0, Self::i32_of),
            knockout: self.or(&o, "knockout", false, Self::bool_of),
            visibility: self.or(&o, "visibility", Visibility::Public, Self::visibility),
            when: self.req(&o, "when", Self::condition),
        }
    }

    fn visibility(&mut self, v: JsValue, key: &'static str) -> Visibility {
        match self.string_of(v, key).as_str() {
            "public" => Visibility::Public,
            "edge" => Visibility::Edge,
            _ => {
                self.fail(key, "must be `public` or `edge`");
                Visibility::Public
            }
        }
    }

    fn condition(&mut self, o: JsValue, key: &'static str) -> RawCondition {
        self.object(&o, key);
        RawCondition {
            all: self.opt(&o, "all", |r, v, k| r.list_of(v, k, Self::condition)),
            any: self.opt(&o, "any", |r, v, k| r.list_of(v, k, Self::condition)),
            not: self.opt(&o, "not", |r, v, k| Box::new(r.condition(v, k))),
            field: self.opt(&o, "field", Self::string_of),
            fact: self.opt(&o, "fact", Self::string_of),
            op: self.opt(&o, "op", Self::op).flatten(),
            value: self.opt(&o, "value", Self::json),
        }
    }

    fn op(&mut self, v: JsValue, key: &'static str) -> Option<Op> {
        let name = self.string_of(v, key);
        let op = Op::from_name(&name);
        if op.is_none() {
            self.fail(key, "is no operator");
        }
        op
    }

    /// A test's operand, as serde_json's `Value` reads it. Objects are refused
    /// here rather than read: no operator takes one, so compiling would refuse them.
    fn json(&mut self, v: JsValue, key: &'static str) -> Json {
        if v.is_null() {
            return Json::Null;
        }
        if let Some(b) = v.as_bool() {
            return Json::Bool(b);
        }
        if let Some(s) = v.as_string() {
            return Json::String(s);
        }
        if let Some(n) = v.as_f64() {
            return if Number::is_safe_integer(&v) {
                Json::from(n as i64)
            } else {
                serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
            };
        }
        if Array::is_array(&v) {
            return Json::Array(self.list_of(v, key, Self::json));
        }
        self.fail(key, "must be text, a number, true, false or a list");
        Json::Null
    }

    fn grade(&mut self, o: JsValue, key: &'static str) -> RawGrade {
        self.object(&o, key);
        RawGrade {
            grade: self.req(&o, "grade", Self::string_of),
            min_score: self.opt(&o, "min_score", Self::i32_of),
            qualified: self.or(&o, "qualified", false, Self::bool_of),
        }
    }

    fn rep(&mut self, o: JsValue, key: &'static str) -> RawRep {
        self.object(&o, key);
        RawRep {
            id: self.req(&o, "id", Self::string_of),
            name: self.req(&o, "name", Self::string_of),
            email: self.opt(&o, "email", Self::string_of),
            // Edge-only, never in a public copy.
            channels: Vec::new(),
            booking_url: self.opt(&o, "booking_url", Self::string_of),
            weight: self.or(&o, "weight", 1, Self::u32_of),
            active: self.or(&o, "active", true, Self::bool_of),
        }
    }

    fn team(&mut self, o: JsValue, key: &'static str) -> RawTeam {
        self.object(&o, key);
        RawTeam {
            id: self.req(&o, "id", Self::string_of),
            name: self.req(&o, "name", Self::string_of),
            reps: self.req_list(&o, "reps", Self::string_of),
            // Edge-only, never in a public copy.
            channels: Vec::new(),
        }
    }

    fn route(&mut self, o: JsValue, key: &'static str) -> RawRoute {
        self.object(&o, key);
        RawRoute {
            id: self.req(&o, "id", Self::string_of),
            description: self.opt(&o, "description", Self::string_of),
            when: self.opt(&o, "when", Self::condition),
            team: self.opt(&o, "team", Self::string_of),
            rep: self.opt(&o, "rep", Self::string_of),
        }
    }

    fn sla(&mut self, o: JsValue, key: &'static str) -> RawSla {
        self.object(&o, key);
        RawSla {
            minutes: self.or(&o, "minutes", SortedMap::new(), |r, v, k| {
                r.map_of(v, k, Self::u32_of)
            }),
            escalate_to: self.opt(&o, "escalate_to", Self::string_of),
            // Sales' own: public copies carry none.
            reassign: false,
        }
    }
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

    /// What serde reads, less what this reader leaves to the edge.
    fn without_edge_only(mut pb: RawPlaybook) -> RawPlaybook {
        pb.reps.iter_mut().for_each(|r| r.channels.clear());
        pb.teams.iter_mut().for_each(|t| t.channels.clear());
        pb.ownership = baton::raw::RawOwnership::default();
        pb.outcomes = baton::raw::RawOutcomes::default();
        pb.sla.reassign = false;
        pb.content.clear();
        pb.experiment = None;
        pb.privacy = Default::default();
        pb
    }

    #[wasm_bindgen_test]
    fn reads_the_public_demo_playbook_as_serde_did() {
        let pb =
            baton::parse_toml(include_str!("../../icp.toml")).unwrap_or_else(|p| panic!("{p}"));
        let mut public = pb.public();
        // As the edge serves it: an arm of the demo's experiment.
        if let Some(p) = public.published.as_mut() {
            p.experiment = Some(baton::experiment::Arms {
                id: "mql-bar".into(),
                control: "demo".into(),
                variant: "demo-b".into(),
                share: 50,
            });
        }
        let json = serde_json::to_string(&public).unwrap_or_default();
        let read = ours(&json);
        assert!(read
            .as_ref()
            .is_ok_and(|r| r.published.as_ref().is_some_and(|p| p.experiment.is_some())));
        assert_eq!(read, serde(&json));
        // The full copy too: edge rules, rep contacts, every kind of key
        // but those the edge alone reads.
        let json = serde_json::to_string(pb.raw()).unwrap_or_default();
        assert_eq!(ours(&json), serde(&json).map(without_edge_only));
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
