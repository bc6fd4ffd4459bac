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
