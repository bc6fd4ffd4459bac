//! Everything that crosses a process boundary, in one place: what the widget
//! and API clients post (submissions, the lead post), the decision, what the
//! edge answers (`answer`: the 201, health, the error envelope and its codes),
//! what sales receives (`event`, with feature `delivery`) and what the admin
//! read API answers (`records`). The edge writes them, the widget and the
//! tests read them, and `baton openapi` describes the API from their schemas.
//! Versioned by `WIRE_VERSION`; integers only, never `usize`.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::map::SortedMap;

mod answer;
#[cfg(feature = "delivery")]
pub mod event;
pub mod records;

pub use answer::{
    keys, Accepted, Agreement, AssignedRep, ErrorBody, ErrorCode, ErrorDetail, Evaluated, Health,
    ServedForm,
};

/// Bumped whenever a wire type changes incompatibly.
pub const WIRE_VERSION: u32 = 1;

/// The name of the form's bot trap: an input every rendering of the form
/// has, hidden from people (off screen, `aria-hidden`, out of the tab
/// order), which only a bot filling every input fills. A post whose
/// `fields` carry it non-empty is answered as taken and dropped (the edge).
/// No playbook field may have this id.
pub const HONEYPOT: &str = "homepage_url";

/// One answer as sent by a browser or an API client. Lenient on purpose: the
/// field's kind decides later whether the value is acceptable, so a wrong type
/// becomes a field error, not a rejected request.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// Only ever rejected or rounded away: decisions never carry floats.
    Float(f64),
    Text(String),
    List(Vec<Value>),
}

/// Any JSON but an object: the field's kind decides later what is acceptable.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Value {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Value".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let item = generator.subschema_for::<Value>();
        schemars::json_schema!({
            "description": "An answer: text, a number, true or false, null, or a list of answers (a multiselect's). Never an object.",
            "type": ["string", "number", "boolean", "null", "array"],
            "items": item
        })
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Text(t) => s.serialize_str(t),
            Value::List(l) => l.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean, null or list")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
                Ok(Value::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
                Ok(i64::try_from(u).map_or(Value::Float(u as f64), Value::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
                Ok(Value::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::Text(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Value, E> {
                Ok(Value::Text(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Value::List(out))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, _map: A) -> Result<Value, A::Error> {
                Err(de::Error::custom(
                    "a field value cannot be an object: send a string, number, boolean or list",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// A visitor's answers plus where they came from.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The visitor's locale (`de`, `en-GB`); messages fall back to the playbook's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Field id to answer. Answers to fields the form does not have are ignored.
    #[serde(default)]
    pub fields: SortedMap<Value>,
    #[serde(default)]
    pub context: Context,
}

/// Marketing context that travels with the lead to sales.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Utm::is_empty")]
    pub utm: Utm,
    /// Paths of the pages seen on this site before the form, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages_seen: Vec<String>,
    /// Content (posts, whitepapers, videos) the visitor engaged with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content_seen: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_u64"
    )]
    pub time_on_page_ms: Option<u64>,
    /// A random id the embed loader keeps in the page's `localStorage`
    /// (`baton:vid`), so a visitor stays in one arm of a playbook experiment
    /// from page to page. 8 to 64 of `A-Z a-z 0-9 - _`; anything else counts
    /// as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
    /// The experiment arm (a form id) the browser computed for `visitor_id`;
    /// the edge computes it again and records whether they agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
}

/// A `u64` however JSON writes it: `48000`, `48000.0` or `4.8e4` (JSON has
/// one kind of number, and JSON Schema calls every whole one an integer).
/// A whole number past `u64::MAX` (which serde_json reads as a float) counts
/// as `u64::MAX`: the schema sets no maximum, so no integer is refused.
fn whole_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct Whole;
    impl<'de> Visitor<'de> for Whole {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole number from 0 up, or null")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Whole)
        }
        fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
            Ok(Some(u))
        }
        fn visit_i64<E: de::Error>(self, i: i64) -> Result<Self::Value, E> {
            u64::try_from(i)
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Signed(i), &self))
        }
        fn visit_f64<E: de::Error>(self, f: f64) -> Result<Self::Value, E> {
            // Whole and not negative: the cast is exact below 2^64 and
            // saturates above it.
            if f.fract() == 0.0 && f >= 0.0 {
                Ok(Some(f as u64))
            } else {
                Err(E::invalid_value(de::Unexpected::Float(f), &self))
            }
        }
    }
    d.deserialize_option(Whole)
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Utm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Utm {
    pub fn is_empty(&self) -> bool {
        self == &Utm::default()
    }
}

/// What the widget posts to `POST /v1/leads`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadPost {
    /// `WIRE_VERSION` of the sender.
    #[cfg_attr(feature = "schema", schemars(extend("const" = WIRE_VERSION)))]
    pub v: u32,
    /// The form (playbook) id.
    pub form: String,
    pub submission: Submission,
    /// The verdict the browser reached; never trusted, only compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed: Option<Claimed>,
}

/// What `POST /v1/evaluate` takes: a submission to evaluate against a
/// deployed form (`form`) or an inline playbook (`playbook`, as `icp.toml`
/// would be, in JSON, compiled as `baton check` would; it wins over `form`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(extend("anyOf" = [
        { "required": ["form"], "properties": { "form": { "type": "string" } } },
        { "required": ["playbook"], "properties": { "playbook": { "type": "object" } } }
    ]))
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluatePost {
    /// `WIRE_VERSION` of the sender, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(extend("const" = WIRE_VERSION)))]
    pub v: Option<u32>,
    /// A deployed form's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// Kept as JSON until compiled, so every problem comes back with its path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::RawPlaybook>"))]
    pub playbook: Option<serde_json::Value>,
    pub submission: Submission,
}

/// A verdict summary, enough to tell whether two evaluations agreed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claimed {
    pub version: String,
    pub score: i32,
    pub grade: String,
    pub qualified: bool,
    /// The browser could not evaluate everything (edge-only rules, email lists).
    #[serde(default)]
    pub provisional: bool,
}

/// The verdict: everything sales and marketing need to see why.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Version hash of the full playbook this verdict was reached with.
    pub version: String,
    /// True when every field passed validation.
    pub valid: bool,
    pub field_errors: Vec<FieldError>,
    pub score: i32,
    pub grade: String,
    /// A Marketing Qualified Lead: valid, not knocked out, of a qualified grade.
    pub qualified: bool,
    /// The first knock-out rule that held, if any.
    pub knocked_out: Option<String>,
    /// Every rule that held, in playbook order; their points add up to `score`.
    pub reasons: Vec<Reason>,
    /// Where the lead goes; none for invalid or knocked-out leads.
    pub route: Option<RouteChoice>,
    /// Minutes to first touch for this grade, if the playbook sets one; none
    /// for a lead that goes nowhere (invalid or knocked out).
    pub sla_minutes: Option<u32>,
    /// The evaluator could not see every rule or list: the edge's verdict rules.
    pub provisional: bool,
    /// Checks this evaluator could not make (`free_email` without the lists, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<String>,
}

impl Decision {
    /// The summary a browser posts with its lead.
    pub fn claimed(&self) -> Claimed {
        Claimed {
            version: self.version.clone(),
            score: self.score,
            grade: self.grade.clone(),
            qualified: self.qualified,
            provisional: self.provisional,
        }
    }

    /// Whether a claimed verdict agrees with this one.
    pub fn agrees_with(&self, c: &Claimed) -> bool {
        c.version == self.version
            && c.score == self.score
            && c.grade == self.grade
            && c.qualified == self.qualified
    }
}

/// A validation problem with one answer, in the visitor's locale.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: FieldErrorCode,
    pub message: String,
}

/// Machine-readable field error codes.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    Required,
    TooLong,
    InvalidEmail,
    InvalidPhone,
    NotANumber,
    TooSmall,
    TooLarge,
    UnknownOption,
    MustAccept,
    WrongType,
}

/// A rule that held.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub rule: String,
    pub points: i32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub knockout: bool,
    /// The rule's description as the playbook wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// One line saying what in the lead made it hold.
    pub because: String,
}

/// The route chosen and the reps it may go to.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteChoice {
    pub route: String,
    /// Team id and name, when the route names a team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_name: Option<String>,
    /// Active reps that may take the lead, with their round-robin weights.
    pub candidates: Vec<Candidate>,
    /// Why this route was chosen; with `owner`, why the lead went to that
    /// rep (the same line as `owner.because`).
    pub because: String,
    /// Routes that matched earlier but had nobody available (every rep
    /// paused), in playbook order: the lead went on to this one instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<String>,
    /// Set when the lead went to its account's owner instead of the round
    /// robin (`Playbook::route_to_owner`): `candidates` is then that rep alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// Who owns the lead's account, and why.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The rep id.
    pub rep: String,
    pub basis: OwnerBasisKind,
    /// The earlier lead the ownership comes from (`earlier_lead`, `returning`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    /// One line for sales, e.g. "globex.com is a named account of Jonas Weber".
    pub because: String,
}

/// What made a rep the owner: a named account, an earlier lead of the same
/// domain, or the same person coming back to the same form.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerBasisKind {
    NamedAccount,
    EarlierLead,
    Returning,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub rep: String,
    pub name: String,
    pub weight: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_url: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Context;

    fn ms(json: &str) -> Result<Option<u64>, String> {
        serde_json::from_str::<Context>(json)
            .map(|c| c.time_on_page_ms)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn time_on_page_is_any_whole_number_in_range_however_it_is_written() {
        assert_eq!(ms("{}"), Ok(None));
        assert_eq!(ms(r#"{"time_on_page_ms": null}"#), Ok(None));
        assert_eq!(ms(r#"{"time_on_page_ms": 48000}"#), Ok(Some(48_000)));
        assert_eq!(ms(r#"{"time_on_page_ms": 4.8e4}"#), Ok(Some(48_000)));
        // Past 2^53, where serde alone takes no float, and past u64::MAX.
        assert_eq!(
            ms(r#"{"time_on_page_ms": 1.5e19}"#),
            Ok(Some(15_000_000_000_000_000_000))
        );
        assert_eq!(
            ms(r#"{"time_on_page_ms": 18446744073709551615}"#),
            Ok(Some(u64::MAX))
        );
        for huge in [
            "18446744073709551616",
            "2411478715583686317840657419337728",
            "1e300",
        ] {
            let json = format!(r#"{{"time_on_page_ms": {huge}}}"#);
            assert_eq!(ms(&json), Ok(Some(u64::MAX)), "{huge}");
        }
        for bad in ["-1", "-1.0", "0.5", "1e-3", "\"5\"", "true"] {
            let json = format!(r#"{{"time_on_page_ms": {bad}}}"#);
            assert!(ms(&json).is_err(), "{bad}");
        }
        let back = serde_json::to_string(&Context {
            time_on_page_ms: Some(7),
            ..Context::default()
        })
        .unwrap();
        assert_eq!(ms(&back), Ok(Some(7)));
    }
}
