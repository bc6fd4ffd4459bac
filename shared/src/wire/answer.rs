//! What the edge answers: the 201 for a lead, the playbook tester's decision,
//! health, and the one error envelope with its closed set of codes. The edge
//! serializes these, `baton openapi` describes them from their schemas, and
//! the widget reads the 201 by the names in [`keys`].

use serde::{Deserialize, Serialize};

use crate::problem::Problem;
use crate::wire::{Candidate, Claimed, Decision, FieldError};

/// Whether the verdict the browser claimed equals the edge's: `match`,
/// `mismatch` (a tampered post, or a browser on another playbook version) or
/// `unclaimed` (the caller sent no verdict: an API client, an older widget).
// (No docs on the variants: the schema would list them as `oneOf`, not `enum`.)
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    Match,
    Mismatch,
    Unclaimed,
}

impl Agreement {
    pub fn of(decision: &Decision, claimed: Option<&Claimed>) -> Self {
        match claimed {
            None => Agreement::Unclaimed,
            Some(c) if decision.agrees_with(c) => Agreement::Match,
            Some(_) => Agreement::Mismatch,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Agreement::Match => "match",
            Agreement::Mismatch => "mismatch",
            Agreement::Unclaimed => "unclaimed",
        }
    }

    pub fn from_name(s: &str) -> Option<Agreement> {
        [Agreement::Match, Agreement::Mismatch, Agreement::Unclaimed]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// A lead the edge took (`201` to `POST /v1/leads`): stored with the edge's
/// verdict and, when one is available, a rep.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    /// A ULID: `GET /v1/leads/{lead_id}` reads the lead back, with the whole
    /// decision (every reason) and its deliveries.
    pub lead_id: String,
    pub decision: Verdict,
    pub agreement: Agreement,
    /// The rep the lead went to (its account's owner, or the round robin's
    /// turn); null when nobody is (knocked out, or no route has anyone available).
    pub assigned_rep: Option<AssignedRep>,
}

/// The edge's verdict as the page needs it: what to tell the visitor and
/// whether it matched the browser's. No reasons, no rule ids, no owner: a
/// 201 goes to whoever posted, and the edge-only rules and earlier leads
/// are sales' business (the whole `Decision` is behind the admin API).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Version hash of the playbook the edge decided with.
    pub version: String,
    pub score: i32,
    pub grade: String,
    /// A Marketing Qualified Lead.
    pub qualified: bool,
    /// A knock-out rule held (which one is not said).
    pub knocked_out: bool,
    /// Minutes to first touch for this grade, if the playbook sets one.
    pub sla_minutes: Option<u32>,
    /// Where the lead went; none for a knocked-out lead.
    pub route: Option<RouteBrief>,
}

/// The route a lead took, as the visitor may see it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteBrief {
    pub route: String,
    pub team: Option<String>,
    /// Shown to the visitor: "Ana from EMEA Enterprise will call".
    pub team_name: Option<String>,
}

impl From<&Decision> for Verdict {
    fn from(d: &Decision) -> Self {
        Verdict {
            version: d.version.clone(),
            score: d.score,
            grade: d.grade.clone(),
            qualified: d.qualified,
            knocked_out: d.knocked_out.is_some(),
            sla_minutes: d.sla_minutes,
            route: d.route.as_ref().map(|r| RouteBrief {
                route: r.route.clone(),
                team: r.team.clone(),
                team_name: r.team_name.clone(),
            }),
        }
    }
}

/// The rep a lead went to, as the visitor may see them.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignedRep {
    pub id: String,
    pub name: String,
    /// Where the visitor may book a call with them.
    pub booking_url: Option<String>,
}

impl From<&Candidate> for AssignedRep {
    fn from(c: &Candidate) -> Self {
        AssignedRep {
            id: c.rep.clone(),
            name: c.name.clone(),
            booking_url: c.booking_url.clone(),
        }
    }
}

/// What `POST /v1/evaluate` answers: the decision, as the edge would reach it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluated {
    pub decision: Decision,
}

/// `GET /v1/health`: up, and which playbooks it serves.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    #[cfg_attr(feature = "schema", schemars(extend("const" = true)))]
    pub ok: bool,
    /// `baton-edge`.
    pub service: String,
    /// The Worker's release.
    pub version: String,
    /// The wire version (`v`) it takes.
    pub wire: u32,
    pub forms: Vec<ServedForm>,
}

/// A form the edge serves, with its playbook's version (the public copy's `ETag`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServedForm {
    pub id: String,
    pub version: String,
}

/// Every error the API answers with: `{"error": {"code", "message", "fields"}}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, and what to do about it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// Says what to fix: lowercase, the caller's input in backticks.
    pub message: String,
    /// The answers to fix (`invalid_fields`); empty otherwise.
    pub fields: Vec<FieldError>,
    /// Every problem of an inline playbook (`invalid_playbook`), each with its path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<Problem>"))]
    pub problems: Option<Vec<Problem>>,
}

/// Machine-readable and stable: what went wrong, whatever the message says.
// (No docs on the variants: the schema would list them as `oneOf`, not `enum`.)
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400
    InvalidJson,
    InvalidRequest,
    UnsupportedVersion,
    InvalidIdempotencyKey,
    InvalidQuery,
    // 401, 403
    Unauthorized,
    Forbidden,
    OriginNotAllowed,
    // 404
    UnknownForm,
    LeadNotFound,
    NotFound,
    // 405, 409, 410, 413
    MethodNotAllowed,
    OutcomeConflict,
    LinkExpired,
    PayloadTooLarge,
    // 422
    InvalidFields,
    InvalidPlaybook,
    IdempotencyKeyReused,
    InvalidOutcome,
    InvalidWindow,
    // 500, 503
    Internal,
    StorageUnavailable,
}

impl ErrorCode {
    /// Every code, so the edge's tests can show each one is answered.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::InvalidJson,
        ErrorCode::InvalidRequest,
        ErrorCode::UnsupportedVersion,
        ErrorCode::InvalidIdempotencyKey,
        ErrorCode::InvalidQuery,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::OriginNotAllowed,
        ErrorCode::UnknownForm,
        ErrorCode::LeadNotFound,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::OutcomeConflict,
        ErrorCode::LinkExpired,
        ErrorCode::PayloadTooLarge,
        ErrorCode::InvalidFields,
        ErrorCode::InvalidPlaybook,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::InvalidOutcome,
        ErrorCode::InvalidWindow,
        ErrorCode::Internal,
        ErrorCode::StorageUnavailable,
    ];

    /// The code as the JSON says it (for logs).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::InvalidIdempotencyKey => "invalid_idempotency_key",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::UnknownForm => "unknown_form",
            ErrorCode::LeadNotFound => "lead_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::OutcomeConflict => "outcome_conflict",
            ErrorCode::LinkExpired => "link_expired",
            ErrorCode::InvalidOutcome => "invalid_outcome",
            ErrorCode::InvalidWindow => "invalid_window",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::InvalidFields => "invalid_fields",
            ErrorCode::InvalidPlaybook => "invalid_playbook",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::Internal => "internal",
            ErrorCode::StorageUnavailable => "storage_unavailable",
        }
    }
}

/// The names the widget reads from the 201 answer and from an error by hand
/// (with `Reflect`: a serde visitor per type would ship to landing pages).
/// Each group is the properties of one type, and the tests below hold every
/// name to that type's schema, so a renamed field fails here, not in a
/// visitor's browser.
pub mod keys {
    /// Of [`Accepted`](super::Accepted).
    pub mod accepted {
        pub const LEAD_ID: &str = "lead_id";
        pub const DECISION: &str = "decision";
        pub const ASSIGNED_REP: &str = "assigned_rep";
    }
    /// Of [`Verdict`](super::Verdict).
    pub mod decision {
        pub const SCORE: &str = "score";
        pub const GRADE: &str = "grade";
        pub const QUALIFIED: &str = "qualified";
        pub const KNOCKED_OUT: &str = "knocked_out";
        pub const ROUTE: &str = "route";
        pub const SLA_MINUTES: &str = "sla_minutes";
    }
    /// Of [`RouteBrief`](super::RouteBrief).
    pub mod route {
        pub const TEAM_NAME: &str = "team_name";
    }
    /// Of [`AssignedRep`](super::AssignedRep).
    pub mod rep {
        pub const NAME: &str = "name";
        pub const BOOKING_URL: &str = "booking_url";
    }
    /// Of [`ErrorBody`](super::ErrorBody) and [`ErrorDetail`](super::ErrorDetail).
    pub mod error {
        pub const ERROR: &str = "error";
        pub const FIELDS: &str = "fields";
        pub const MESSAGE: &str = "message";
    }
    /// Of [`FieldError`](crate::wire::FieldError).
    pub mod field_error {
        pub const FIELD: &str = "field";
        pub const MESSAGE: &str = "message";
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_named_as_the_json_names_it() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code.as_str())
            );
        }
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "a code listed twice");
    }

    #[test]
    fn agreement_names_are_its_json() {
        for a in [Agreement::Match, Agreement::Mismatch, Agreement::Unclaimed] {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            assert_eq!(Agreement::from_name(a.as_str()), Some(a));
        }
    }

    #[cfg(feature = "schema")]
    mod schema {
        use super::super::*;

        fn properties<T: schemars::JsonSchema>() -> Vec<String> {
            let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
            schema["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{} has no properties", T::schema_name()))
                .keys()
                .cloned()
                .collect()
        }

        fn assert_has<T: schemars::JsonSchema>(names: &[&str]) {
            let props = properties::<T>();
            for n in names {
                assert!(
                    props.iter().any(|p| p == n),
                    "the widget reads `{n}` of {}, which has only {props:?}",
                    T::schema_name()
                );
            }
        }

        #[test]
        fn every_name_the_widget_reads_is_a_property_of_its_type() {
            use keys::*;
            assert_has::<Accepted>(&[
                accepted::LEAD_ID,
                accepted::DECISION,
                accepted::ASSIGNED_REP,
            ]);
            assert_has::<Verdict>(&[
                decision::SCORE,
                decision::GRADE,
                decision::QUALIFIED,
                decision::KNOCKED_OUT,
                decision::ROUTE,
                decision::SLA_MINUTES,
            ]);
            assert_has::<RouteBrief>(&[route::TEAM_NAME]);
            assert_has::<AssignedRep>(&[rep::NAME, rep::BOOKING_URL]);
            assert_has::<ErrorBody>(&[error::ERROR]);
            assert_has::<ErrorDetail>(&[error::FIELDS, error::MESSAGE]);
            assert_has::<FieldError>(&[field_error::FIELD, field_error::MESSAGE]);
        }

        #[test]
        fn the_schema_lists_every_error_code() {
            let schema = serde_json::to_value(schemars::schema_for!(ErrorCode)).unwrap();
            let listed: Vec<&str> = schema["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
            assert_eq!(
                listed, all,
                "`ErrorCode::ALL` must list every code, in order"
            );
        }
    }
}
