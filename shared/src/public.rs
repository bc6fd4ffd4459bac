//! The public copy of a playbook that browsers receive: edge-only rules,
//! reps' private contact details, delivery channels, named accounts and
//! enablement content removed, marked with the full version.

use crate::playbook::Playbook;
use crate::raw::{Published, RawCondition, RawPlaybook, Visibility};

impl Playbook {
    /// What `GET /v1/forms/{id}` serves.
    pub fn public(&self) -> RawPlaybook {
        let mut p = self.raw.clone();
        let before = p.rules.len();
        let mut edge_fields = self
            .raw
            .published
            .as_ref()
            .map_or_else(Vec::new, |p| p.edge_fields.clone());
        for r in p
            .rules
            .iter()
            .filter(|r| r.visibility != Visibility::Public)
        {
            self.fields_tested(&r.when, &mut edge_fields);
        }
        p.rules.retain(|r| r.visibility == Visibility::Public);
        let removed = u32::try_from(before - p.rules.len()).unwrap_or(u32::MAX);
        for rep in &mut p.reps {
            rep.email = None;
            rep.channels.clear();
        }
        for team in &mut p.teams {
            team.channels.clear();
        }
        // Which companies are named accounts, and the material sales sends,
        // are sales' own business.
        // Ownership is decided at the edge: browsers need none of it.
        p.ownership = crate::raw::RawOwnership::default();
        p.outcomes = crate::raw::RawOutcomes::default();
        p.sla.reassign = false;
        p.content.clear();
        // Retention is the edge's to enforce.
        p.privacy = crate::raw::RawPrivacy::default();
        // The edge picks the arm and marks the copy (`published.experiment`).
        p.experiment = None;
        // Browsers do not need to know which other sites embed the form.
        p.allowed_origins.clear();
        p.published = Some(Published {
            version: self.version.clone(),
            edge_rules_removed: removed + self.published_removed(),
            edge_fields,
            experiment: None,
        });
        p
    }

    /// Adds the fields `c` reads (the email field for the email's domain) to `out`.
    fn fields_tested(&self, c: &RawCondition, out: &mut Vec<String>) {
        let email = || {
            self.email_field
                .and_then(|i| self.raw.fields.get(usize::from(i)))
                .map(|f| f.id.clone())
        };
        let field = match (&c.field, c.fact.as_deref()) {
            (Some(f), _) => Some(f.clone()),
            (None, Some("email_domain")) => email(),
            _ => None,
        };
        if let Some(f) = field.filter(|f| !out.contains(f)) {
            out.push(f);
        }
        for sub in c.all.iter().chain(&c.any).flatten() {
            self.fields_tested(sub, out);
        }
        if let Some(n) = &c.not {
            self.fields_tested(n, out);
        }
    }

    fn published_removed(&self) -> u32 {
        self.raw
            .published
            .as_ref()
            .map_or(0, |p| p.edge_rules_removed)
    }
}
