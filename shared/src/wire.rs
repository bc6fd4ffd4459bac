//! What travels between the widget, the edge and sales: submissions, the lead
//! post, and decisions. Versioned by `WIRE_VERSION`; integers only, never `usize`.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::map::SortedMap;

/// Bumped whenever a wire type changes incompatibly.
pub const WIRE_VERSION: u32 = 1;

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_on_page_ms: Option<u64>,
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
    /// Why this route was chosen.
    pub because: String,
    /// Routes that matched earlier but had nobody available (every rep
    /// paused), in playbook order: the lead went on to this one instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<String>,
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
