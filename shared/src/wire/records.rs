//! What the admin read API answers (`GET /v1/leads/{id}`, `GET /v1/leads`):
//! a stored lead with the edge's decision, and every delivery of it with each
//! attempt. Times are RFC 3339 (UTC).

use serde::{Deserialize, Serialize};

use crate::wire::{Agreement, Decision, LeadPost};

/// One lead, whole.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadRecord {
    #[serde(flatten)]
    pub summary: LeadSummary,
    /// The post exactly as received.
    pub submission: LeadPost,
    /// The edge's decision, as made when the lead came in.
    pub decision: Decision,
    /// Every delivery of the lead (to its rep's channels, and alerts about it).
    pub deliveries: Vec<DeliveryRecord>,
    /// What sales answered, oldest first.
    pub outcomes: Vec<OutcomeRecord>,
    /// What the visitor agreed to, per consent field, in the words shown.
    pub consents: Vec<ConsentRecord>,
}

/// A lead in a list.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadSummary {
    pub id: String,
    pub form: String,
    pub created_at: String,
    /// `accepted` (valid, routed) or `invalid` (field errors; kept all the same).
    pub status: String,
    pub score: i32,
    pub grade: String,
    pub qualified: bool,
    pub knocked_out: Option<String>,
    pub route: Option<String>,
    pub team: Option<String>,
    pub assigned_rep: Option<String>,
    /// The browser's verdict against the edge's.
    pub agreement: Agreement,
    pub playbook_version: String,
    /// The lead this one is a new touch on, when the same person came back.
    pub returning_of: Option<String>,
    /// Deliveries by status: how many are delivered, pending, failed, disabled.
    pub delivery_status: DeliveryCounts,
    /// When the rep first accepted or contacted the lead.
    pub first_touch_at: Option<String>,
    /// When the lead missed its follow-up deadline untouched, if it did.
    pub sla_missed_at: Option<String>,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryCounts {
    pub delivered: u32,
    pub pending: u32,
    pub failed: u32,
    pub disabled: u32,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// Also the `webhook-id` every attempt carried.
    pub id: String,
    /// `rep:ana:webhook`, `team:growth:slack`.
    pub channel: String,
    /// `webhook` or `slack`.
    pub kind: String,
    pub event_type: String,
    /// `pending`, `delivered`, `failed` or `disabled`.
    pub status: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// When a pending delivery is due again.
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    /// For an alert, the delivery it reports on.
    pub about: Option<String>,
    pub attempts: Vec<AttemptRecord>,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub attempt: u32,
    pub started_at: String,
    /// None for a network error or a timeout.
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    pub error: Option<String>,
}

/// `GET /v1/leads`: oldest first; pass `next` as `since` for the next page.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadList {
    pub leads: Vec<LeadSummary>,
    /// The last lead id of this page, when more may follow.
    pub next: Option<String>,
}

/// `POST /v1/leads/{id}/outcomes`: what sales says about a lead, from a CRM
/// or any tool holding the admin token (the links in deliveries record the
/// same).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomePost {
    pub action: crate::outcome::Action,
    /// Who answered: a rep id, or the CRM user's name.
    pub by: String,
    /// For `rejected` and `lost`: one of the playbook's reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `won`: the deal's amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    /// When it happened (RFC 3339), if not now: a CRM catching up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// One outcome as stored. Each action is recorded once per lead: the first
/// answer stands, later ones are told so.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    pub lead_id: String,
    pub action: crate::outcome::Action,
    pub at: String,
    pub by: String,
    /// `link` (a rep's click in a delivery) or `api`.
    pub source: String,
    pub reason: Option<String>,
    pub amount: Option<f64>,
}

/// The answer to an outcome: what is stored, and whether it was already.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    pub outcome: OutcomeRecord,
    /// True when this action was recorded before (this answer is that record).
    pub already: bool,
    /// The lead's first touch (the first `accepted` or `contacted`), if any.
    pub first_touch_at: Option<String>,
}

/// One consent a visitor was asked for, as the lead records it: the exact
/// words shown, so it can be proven later what they agreed to.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// The consent field's id (a form can ask several: contact, marketing).
    pub field: String,
    /// Whether the box was ticked.
    pub granted: bool,
    /// The label shown, in `locale`.
    pub text: String,
    /// SHA-256 of `text` (UTF-8), hex: the same words have the same hash
    /// across leads and versions.
    pub text_sha256: String,
    pub locale: String,
    /// The playbook version whose text this is.
    pub playbook_version: String,
    /// When it was given (RFC 3339): the lead's time.
    pub at: String,
}

/// `DELETE /v1/people/{email}`: what was erased of one person.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    /// The address, as matched (trimmed, lowercased).
    pub email: String,
    /// The ids of the leads erased, oldest first (none when nothing matched:
    /// erasing twice is not an error).
    pub lead_ids: Vec<String>,
    /// Rows deleted, per table.
    pub rows: ErasedRows,
}

/// Rows deleted per table, for one erasure or one retention run.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedRows {
    pub leads: u32,
    pub deliveries: u32,
    pub delivery_attempts: u32,
    pub outcomes: u32,
    pub sla_breaches: u32,
}
