//! `preview`: the verdict a browser shows while the visitor types.
//!
//! `evaluate` also puts every reason into words and picks the route; the
//! widget shows neither (its closing message comes from the edge's decision),
//! and both are code every landing page would download. A preview is the
//! rest of the decision, computed by the same steps: the same field errors,
//! score, grade, qualification and claim.

use crate::evaluate::Read;
use crate::lead::Store;
use crate::playbook::Playbook;
use crate::wire::{Claimed, FieldError, Submission};

/// A decision without the route and without the words of each reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub version: String,
    pub valid: bool,
    pub field_errors: Vec<FieldError>,
    pub score: i32,
    pub grade: String,
    pub qualified: bool,
    pub knocked_out: Option<String>,
    /// Every rule that held, in playbook order.
    pub reasons: Vec<Held>,
    pub provisional: bool,
}

/// A rule that held, as the verdict panel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub rule: String,
    pub points: i32,
    pub knockout: bool,
    pub description: Option<String>,
}

impl Preview {
    /// The summary a browser posts with its lead (as `Decision::claimed`).
    pub fn claimed(&self) -> Claimed {
        Claimed {
            version: self.version.clone(),
            score: self.score,
            grade: self.grade.clone(),
            qualified: self.qualified,
            provisional: self.provisional,
        }
    }
}

impl Playbook {
    /// `evaluate`'s verdict without the route and the reasons' explanations.
    pub fn preview(&self, submission: &Submission) -> Preview {
        let store = Store::default();
        let Read {
            lead,
            valid,
            field_errors,
        } = self.read(submission, &store);
        let s = self.score_lead(&lead, valid);
        Preview {
            version: self.version.clone(),
            valid,
            field_errors,
            score: s.score,
            grade: self.grade_name(&s),
            qualified: s.qualified,
            knocked_out: self.knockout_id(&s),
            reasons: s
                .fired
                .iter()
                .filter_map(|i| self.rules.get(i))
                .map(|r| Held {
                    rule: r.id.clone(),
                    points: r.points,
                    knockout: r.knockout,
                    description: r.description.clone(),
                })
                .collect(),
            provisional: self.provisional || s.deferred_lists,
        }
    }
}
