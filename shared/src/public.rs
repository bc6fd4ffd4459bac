//! The public copy of a playbook that browsers receive: edge-only rules,
//! reps' private contact details, delivery channels, named accounts and
//! enablement content removed, marked with the full version.

use crate::playbook::Playbook;
use crate::raw::{Published, RawPlaybook, Visibility};

impl Playbook {
    /// What `GET /v1/forms/{id}` serves.
    pub fn public(&self) -> RawPlaybook {
        let mut p = self.raw.clone();
        let before = p.rules.len();
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
        p.content.clear();
        // Browsers do not need to know which other sites embed the form.
        p.allowed_origins.clear();
        p.published = Some(Published {
            version: self.version.clone(),
            edge_rules_removed: removed + self.published_removed(),
        });
        p
    }

    fn published_removed(&self) -> u32 {
        self.raw
            .published
            .as_ref()
            .map_or(0, |p| p.edge_rules_removed)
    }
}
