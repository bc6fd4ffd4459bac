//! Enablement content: the case studies, battle cards and talk tracks the
//! playbook attaches to the leads they fit, so the rep's first call starts
//! from the right material. Edge-only: the public copy leaves it out.

use crate::compile::{check_ids, check_url, cond, Ctx, DIAGNOSTICS};
use crate::condition::{Cond, Trace};
use crate::fields;
use crate::lead::{Answer, Lead, Store, Text};
use crate::playbook::Playbook;
use crate::problem::Report;
use crate::raw::{ContentKind, RawContent};
use crate::wire::{Decision, Submission};

/// A compiled `[[content]]` entry.
#[derive(Debug, Clone)]
pub struct Content {
    pub id: String,
    pub kind: ContentKind,
    pub title: String,
    pub url: Option<String>,
    pub summary: Option<String>,
    /// `None` fits every lead.
    pub(crate) when: Option<Cond>,
}

/// Compiles every entry; `ctx` is the routes' (the verdict is known).
pub(crate) fn compile(r: &mut Report, raw: &[RawContent], ctx: &Ctx) -> Vec<Content> {
    // Content is for sales, matched at the edge: without `sales` (the widget)
    // none of this code ships to landing pages.
    if !cfg!(feature = "sales") {
        return Vec::new();
    }
    check_ids(r, "content", raw.iter().map(|c| c.id.as_str()));
    let mut out = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        let p = format!("content[{i}]");
        if DIAGNOSTICS && c.title.trim().is_empty() {
            r.hint(
                format!("{p}.title"),
                "content needs a `title`",
                "the rep sees it first: say what it is, e.g. \"Case study: Contoso\"",
            );
        }
        check_url(r, format!("{p}.url"), c.url.as_ref());
        let when = match &c.when {
            None => None,
            // A condition with problems has them reported; the entry is left out.
            Some(w) => match cond(r, &format!("{p}.when"), w, ctx) {
                Some(w) => Some(w),
                None => continue,
            },
        };
        out.push(Content {
            id: c.id.clone(),
            kind: c.kind,
            title: c.title.clone(),
            url: c.url.clone(),
            summary: c.summary.clone(),
            when,
        });
    }
    out
}

impl Playbook {
    /// Every `[[content]]` entry, in playbook order.
    pub fn content(&self) -> &[Content] {
        &self.content
    }

    /// The entries that fit the lead `submission` made, whose verdict is
    /// `decision` (this playbook's, from `evaluate`): those whose `when`
    /// holds, tested as routes test theirs, in playbook order. The edge
    /// sends them with the leads it delivers.
    pub fn content_for(&self, submission: &Submission, decision: &Decision) -> Vec<&Content> {
        if self.content.is_empty() {
            return Vec::new();
        }
        let store = Store::default();
        let (answers, _) = fields::validate(self, submission, &store);
        let mut lead = Lead::new(self, answers, &submission.context, &store);
        // What `evaluate` gives route conditions, from the decision it reached.
        lead.score = Answer::Int(i64::from(decision.score));
        lead.grade = Answer::Text(Text::new(store.keep(decision.grade.clone()), &store));
        lead.qualified = Answer::Bool(decision.qualified);
        let mut trace = Trace::default();
        self.content
            .iter()
            .filter(|c| c.when.as_ref().is_none_or(|w| w.eval(&lead, &mut trace)))
            .collect()
    }
}

#[cfg(all(test, feature = "sales"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::{Playbook, Submission};

    const PLAYBOOK: &str = r#"{
        "id": "t", "name": "T",
        "fields": [
            {"id": "employees", "kind": "number", "label": "Employees"},
            {"id": "country", "kind": "select", "label": "Country",
             "options": [{"value": "DE", "label": "Germany"}, {"value": "US", "label": "USA"}]}
        ],
        "rules": [{"id": "big", "points": 50, "when": {"field": "employees", "op": "at_least", "value": 200}}],
        "grades": [{"grade": "A", "min_score": 50, "qualified": true}, {"grade": "B"}],
        "reps": [{"id": "ana", "name": "Ana"}],
        "routes": [{"id": "all", "rep": "ana"}],
        "content": [
            {"id": "everyone", "kind": "other", "title": "Product overview"},
            {"id": "grade-a", "kind": "talk_track", "title": "Talk track for A leads",
             "when": {"fact": "grade", "op": "equals", "value": "A"}},
            {"id": "german", "kind": "case_study", "title": "A German customer",
             "url": "https://example.com/de", "summary": "Peers in Germany",
             "when": {"field": "country", "op": "equals", "value": "DE"}},
            {"id": "comparison", "kind": "battle_card", "title": "Us vs. them",
             "when": {"fact": "utm_campaign", "op": "contains_word", "value": ["vs"]}}
        ]
    }"#;

    fn picked(pb: &Playbook, json: &str) -> Vec<String> {
        let s: Submission = serde_json::from_str(json).unwrap();
        let d = pb.evaluate(&s);
        pb.content_for(&s, &d)
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }

    #[test]
    fn content_fits_the_leads_its_condition_holds_for_in_playbook_order() {
        let pb = crate::parse_json(PLAYBOOK).unwrap_or_else(|p| unreachable!("{p}"));
        assert_eq!(
            picked(&pb, r#"{"fields": {"employees": 500, "country": "de"}}"#),
            ["everyone", "grade-a", "german"]
        );
        assert_eq!(
            picked(&pb, r#"{"fields": {"employees": 10, "country": "US"}}"#),
            ["everyone"]
        );
        // A fact only content tests is derived all the same.
        assert_eq!(
            picked(
                &pb,
                r#"{"fields": {"employees": 10}, "context": {"utm": {"campaign": "northwind-vs-clari"}}}"#
            ),
            ["everyone", "comparison"]
        );
        let german = pb.content().iter().find(|c| c.id == "german").unwrap();
        assert_eq!(german.kind, crate::ContentKind::CaseStudy);
        assert_eq!(german.url.as_deref(), Some("https://example.com/de"));
        assert_eq!(german.summary.as_deref(), Some("Peers in Germany"));
    }

    #[test]
    fn the_public_copy_has_no_content() {
        let pb = crate::parse_json(PLAYBOOK).unwrap_or_else(|p| unreachable!("{p}"));
        let public = pb.public();
        assert!(public.content.is_empty());
        let public = crate::compile_published(public).unwrap();
        assert!(public.content().is_empty());
        let s: Submission = serde_json::from_str(r#"{"fields": {"employees": 500}}"#).unwrap();
        assert!(public.content_for(&s, &public.evaluate(&s)).is_empty());
    }
}
