//! What a bot gets: a post that fell into the form's trap (`HONEYPOT`, an
//! input people never see) is answered as if taken (a 201 with a fresh lead
//! id, the verdict its answers would get, a rep of its route), so nothing
//! tells it it was caught; nothing is stored or delivered. The edge counts
//! it per day, form and reason (`blocked`) for the reports.

use baton::wire::{Accepted, Agreement, LeadPost, Value, HONEYPOT};
use worker::{console_warn, D1Database, Date};

use crate::store::text;

/// Why a post was dropped, as the reports count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The trap was filled.
    Honeypot,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Honeypot => "honeypot",
        }
    }
}

/// Takes the trap out of the answers (it is no field of the playbook), and
/// says whether it was filled.
pub fn trapped(post: &mut LeadPost) -> Option<Reason> {
    match post.submission.fields.remove(HONEYPOT) {
        None | Some(Value::Null) => None,
        Some(Value::Text(t)) if t.trim().is_empty() => None,
        Some(_) => Some(Reason::Honeypot),
    }
}

/// The answer a caught post gets, and the count it adds.
pub async fn decoy(
    db: &D1Database,
    form: &baton::Playbook,
    post: &LeadPost,
    reason: Reason,
) -> Result<Accepted, crate::error::AppError> {
    let decision = form.evaluate(&post.submission);
    let agreement = Agreement::of(&decision, post.claimed.as_ref());
    let now = Date::now().as_millis();
    let day: String = crate::store::iso(now as f64).chars().take(10).collect();
    let count = db
        .prepare(
            "INSERT INTO blocked (day, form_id, reason, n) VALUES (?1, ?2, ?3, 1) \
             ON CONFLICT (day, form_id, reason) DO UPDATE SET n = n + 1",
        )
        .bind(&[text(&day), text(form.id()), text(reason.as_str())])
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    // A count that fails is logged, not answered: the bot learns nothing either way.
    if let Err(e) = count.run().await {
        console_warn!("blocked count ({}): {e}", reason.as_str());
    }
    let rep = decision
        .route
        .as_ref()
        .filter(|_| decision.valid)
        .and_then(|r| r.candidates.first())
        .map(baton::wire::AssignedRep::from);
    Ok(Accepted {
        lead_id: crate::ids::ulid(now)?,
        decision: (&decision).into(),
        agreement,
        assigned_rep: rep,
    })
}
