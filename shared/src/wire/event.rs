//! What sales receives: the versioned event the edge delivers to a rep's
//! webhook (Standard Webhooks' `{type, timestamp, data}`) and renders into
//! Slack. It carries everything a first call needs: who, how well they fit
//! and why, where they came from, who owns them by when, and the content
//! that fits their segment.
//!
//! Pure: the edge brings the ids, clocks and the rep picked; this module only
//! puts them together, so the same lead always makes the same bytes.

use serde::{Deserialize, Serialize};

use crate::raw::FieldKind;
use crate::wire::{Context, Decision, Reason, Submission, Value};
use crate::Playbook;

/// Bumped whenever an event's shape changes incompatibly.
pub const EVENT_VERSION: u32 = 1;

/// Whether the browser's verdict matched the edge's (also in the 201 answer).
pub use super::Agreement;

/// One delivery: `type` names what happened, `data` is the lead or the alert.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `lead.qualified`, `lead.created`, `delivery.failed` or `channel.disabled`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::EventType"))]
    pub kind: String,
    /// When the event happened (RFC 3339, UTC): the lead's creation, or the failure.
    pub timestamp: String,
    pub data: EventData,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventData {
    Lead(Box<LeadData>),
    Alert(Box<AlertData>),
    SlaMissed(Box<SlaMissedData>),
}

/// A lead nobody touched by its deadline: sent to the SLA's escalation
/// contact and to the rep who had it (and, when the playbook reassigns, the
/// lead itself goes to the next rep as `lead.reassigned`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaMissedData {
    /// `EVENT_VERSION`.
    pub v: u32,
    pub lead_id: String,
    pub lead_url: String,
    pub contact: Contact,
    pub grade: String,
    pub score: i32,
    /// The grade's first-touch deadline, in minutes.
    pub minutes: u32,
    /// When the first touch was due (RFC 3339, UTC).
    pub due_at: String,
    /// Who had the lead and did not touch it in time.
    pub missed_by: Option<RepRef>,
    /// Who has it now, when the playbook reassigns and someone is left.
    pub reassigned_to: Option<RepRef>,
}

/// A lead as the rep receives it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadData {
    /// `EVENT_VERSION`.
    pub v: u32,
    pub lead_id: String,
    pub form: String,
    pub form_name: String,
    pub created_at: String,
    /// The lead in Baton's API (`GET /v1/leads/{id}`).
    pub lead_url: String,
    /// `new`, or `returning`: the same person came back to the same form.
    pub touch: Touch,
    pub contact: Contact,
    /// Every answer given, in form order, with the field's label.
    pub answers: Vec<Answer>,
    pub score: i32,
    pub grade: String,
    pub qualified: bool,
    pub knocked_out: Option<String>,
    /// Every rule that held, with its points and what in the lead made it hold.
    pub reasons: Vec<Reason>,
    pub playbook_version: String,
    pub route: Option<crate::wire::RouteChoice>,
    /// The rep the lead went to.
    pub rep: Option<RepRef>,
    pub sla: Option<Sla>,
    /// Where the visitor came from and what they read.
    pub context: Context,
    /// Whether the browser's verdict matched the edge's.
    pub agreement: Agreement,
    /// The enablement content the playbook attaches to this lead's segment.
    pub content: Vec<ContentRef>,
    /// Signed links that record what the rep did with the lead (none when
    /// the edge has no `LINK_SECRET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<FeedbackLinks>,
}

/// One link per outcome; each opens a page that records it with one click.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackLinks {
    /// Until when the links work (RFC 3339, UTC).
    pub expires_at: String,
    pub accepted: String,
    pub rejected: String,
    pub contacted: String,
    pub meeting_booked: String,
    pub won: String,
    pub lost: String,
}

impl FeedbackLinks {
    /// The link of `action`.
    pub fn get(&self, action: crate::outcome::Action) -> &str {
        use crate::outcome::Action;
        match action {
            Action::Accepted => &self.accepted,
            Action::Rejected => &self.rejected,
            Action::Contacted => &self.contacted,
            Action::MeetingBooked => &self.meeting_booked,
            Action::Won => &self.won,
            Action::Lost => &self.lost,
        }
    }
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Touch {
    New,
    Returning,
}

/// The answers a rep dials and greets with, picked from the form by kind and id.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub field: String,
    pub label: String,
    pub value: Value,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepRef {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_url: Option<String>,
}

impl RepRef {
    /// A rep of the playbook, as events name them.
    pub fn of(r: &crate::Rep) -> RepRef {
        RepRef {
            id: r.id.clone(),
            name: r.name.clone(),
            email: r.email.clone(),
            booking_url: r.booking_url.clone(),
        }
    }
}

/// The follow-up deadline sales committed to for this grade.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sla {
    pub minutes: u32,
    /// `created_at` plus `minutes` (RFC 3339, UTC).
    pub deadline: String,
    /// Who hears when it is missed (a rep id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
}

/// A case study, battle card or talk track for the first call.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentRef {
    pub id: String,
    /// `case_study`, `battle_card`, `talk_track` or `other`.
    pub kind: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// A delivery that could not be made, or a channel that was turned off: sent
/// to the SLA's escalation contact or the fallback route, so no lead goes
/// quietly missing.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertData {
    pub v: u32,
    pub lead_id: String,
    pub lead_url: String,
    /// The channel that failed (`rep:ana:webhook`).
    pub channel: String,
    /// The failed delivery (its `webhook-id`).
    pub delivery_id: String,
    pub attempts: u32,
    pub last_error: String,
    /// Who the lead was meant for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep: Option<RepRef>,
}

/// The event types, as channels subscribe to them.
pub const LEAD_QUALIFIED: &str = "lead.qualified";
pub const LEAD_CREATED: &str = "lead.created";
pub const DELIVERY_FAILED: &str = "delivery.failed";
pub const CHANNEL_DISABLED: &str = "channel.disabled";
pub const SLA_MISSED: &str = "sla.missed";
pub const LEAD_REASSIGNED: &str = "lead.reassigned";

/// What the edge knows of a stored lead beyond its submission and decision.
pub struct LeadFacts<'a> {
    pub lead_id: &'a str,
    pub created_at: &'a str,
    pub lead_url: &'a str,
    pub touch: Touch,
    /// The rep picked (by ownership or round robin).
    pub rep: Option<&'a str>,
    /// `created_at` plus the grade's SLA minutes, computed by the caller's clock.
    pub sla_deadline: Option<&'a str>,
    pub agreement: Agreement,
    pub content: Vec<ContentRef>,
    pub feedback: Option<FeedbackLinks>,
}

/// Who the lead is, from the answers: the fields a rep dials and greets with,
/// picked by kind and id.
pub fn contact(playbook: &Playbook, submission: &Submission) -> Contact {
    let mut contact = Contact::default();
    for field in playbook.fields() {
        let Some(Value::Text(t)) = submission.fields.get(&field.id) else {
            continue;
        };
        if t.trim().is_empty() {
            continue;
        }
        let slot = match (field.kind, field.id.as_str()) {
            (FieldKind::Email, _) => &mut contact.email,
            (FieldKind::Phone, _) => &mut contact.phone,
            (_, "name" | "full_name" | "fullname") => &mut contact.name,
            (_, "company" | "company_name" | "organization" | "organisation") => {
                &mut contact.company
            }
            (_, "title" | "job_title" | "role" | "position") => &mut contact.title,
            _ => &mut None,
        };
        if slot.is_none() {
            *slot = Some(t.trim().to_owned());
        }
    }
    contact
}

/// The event for a stored, valid lead.
pub fn lead_event(
    playbook: &Playbook,
    submission: &Submission,
    decision: &Decision,
    facts: LeadFacts<'_>,
) -> Event {
    let locale = playbook.raw().default_locale.as_str();
    let contact = contact(playbook, submission);
    let mut answers = Vec::new();
    for field in playbook.fields() {
        let Some(value) = submission.fields.get(&field.id) else {
            continue;
        };
        if is_blank(value) {
            continue;
        }
        answers.push(Answer {
            field: field.id.clone(),
            label: field.label.get(locale, locale).to_owned(),
            value: value.clone(),
        });
    }
    let rep = facts.rep.and_then(|id| playbook.rep(id)).map(RepRef::of);
    let sla = match (decision.sla_minutes, facts.sla_deadline) {
        (Some(minutes), Some(deadline)) => Some(Sla {
            minutes,
            deadline: deadline.to_owned(),
            escalate_to: playbook.escalate_to().map(str::to_owned),
        }),
        _ => None,
    };
    Event {
        kind: if decision.qualified {
            LEAD_QUALIFIED
        } else {
            LEAD_CREATED
        }
        .to_owned(),
        timestamp: facts.created_at.to_owned(),
        data: EventData::Lead(Box::new(LeadData {
            v: EVENT_VERSION,
            lead_id: facts.lead_id.to_owned(),
            form: playbook.id().to_owned(),
            form_name: playbook.name().to_owned(),
            created_at: facts.created_at.to_owned(),
            lead_url: facts.lead_url.to_owned(),
            touch: facts.touch,
            contact,
            answers,
            score: decision.score,
            grade: decision.grade.clone(),
            qualified: decision.qualified,
            knocked_out: decision.knocked_out.clone(),
            reasons: decision.reasons.clone(),
            playbook_version: decision.version.clone(),
            route: decision.route.clone(),
            rep,
            sla,
            context: submission.context.clone(),
            agreement: facts.agreement,
            content: facts.content,
            feedback: facts.feedback,
        })),
    }
}

impl Playbook {
    /// The channel with this id (`rep:ana:webhook`), wherever it is: what a
    /// stored delivery is sent to. `None` once the playbook dropped it.
    pub fn channel(&self, id: &str) -> Option<&crate::channel::Channel> {
        self.reps
            .iter()
            .flat_map(|r| &r.channels)
            .chain(self.teams.iter().flat_map(|t| &t.channels))
            .find(|c| c.id == id)
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Text(t) => t.trim().is_empty(),
        Value::List(l) => l.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const PLAYBOOK: &str = r#"{
        "id": "t", "name": "Test form",
        "fields": [
            {"id": "email", "kind": "email", "label": "Work email", "required": true},
            {"id": "name", "kind": "text", "label": {"en": "Name", "de": "Name"}},
            {"id": "employees", "kind": "number", "label": "Employees"},
            {"id": "phone", "kind": "phone", "label": "Phone"}
        ],
        "rules": [{"id": "big", "points": 50, "description": "Big company",
                   "when": {"field": "employees", "op": "at_least", "value": 100}}],
        "grades": [{"grade": "A", "min_score": 50, "qualified": true}, {"grade": "B"}],
        "reps": [{"id": "ana", "name": "Ana", "email": "ana@x.example"}],
        "routes": [{"id": "all", "rep": "ana"}],
        "sla": {"minutes": {"A": 15}, "escalate_to": "ana"}
    }"#;

    fn submission(json: &str) -> Submission {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_qualified_lead_carries_contact_reasons_rep_and_deadline() {
        let pb = crate::parse_json(PLAYBOOK).unwrap();
        let s = submission(
            r#"{"fields": {"email": "Kim@Acme.example", "name": " Kim <b>Lee</b> ",
                "employees": 800, "phone": ""},
                "context": {"utm": {"source": "google"}, "pages_seen": ["/pricing"]}}"#,
        );
        let d = pb.evaluate(&s);
        let e = lead_event(
            &pb,
            &s,
            &d,
            LeadFacts {
                lead_id: "L1",
                created_at: "2026-12-02T10:00:00.000Z",
                lead_url: "https://edge/v1/leads/L1",
                touch: Touch::New,
                rep: Some("ana"),
                sla_deadline: Some("2026-12-02T10:15:00.000Z"),
                agreement: Agreement::Match,
                content: vec![],
                feedback: None,
            },
        );
        assert_eq!(e.kind, LEAD_QUALIFIED);
        let EventData::Lead(l) = &e.data else {
            unreachable!("a lead event")
        };
        assert_eq!(l.contact.email.as_deref(), Some("Kim@Acme.example"));
        // Kept as typed (escaping is the renderer's job), trimmed.
        assert_eq!(l.contact.name.as_deref(), Some("Kim <b>Lee</b>"));
        assert_eq!(l.contact.phone, None, "a blank answer is no contact");
        assert_eq!(
            l.answers
                .iter()
                .map(|a| a.field.as_str())
                .collect::<Vec<_>>(),
            ["email", "name", "employees"]
        );
        assert_eq!(l.reasons[0].rule, "big");
        assert_eq!(l.rep.as_ref().unwrap().name, "Ana");
        assert_eq!(l.sla.as_ref().unwrap().minutes, 15);
        assert_eq!(l.context.utm.source.as_deref(), Some("google"));
        // The JSON round-trips to the same event.
        let json = serde_json::to_string(&e).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }
}
