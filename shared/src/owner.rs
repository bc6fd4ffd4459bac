//! Account ownership, the pure part: which rep owns a company's leads (a
//! named account, or the rep an earlier lead of its domain went to) and how
//! a decision says so. The edge looks the earlier leads up in D1 and brings
//! what it found; nothing here has a clock or a store.

use crate::compile::DIAGNOSTICS;
use crate::condition::domain_matches;
use crate::fields;
use crate::lead::{Answer, Store};
use crate::map::SortedMap;
use crate::playbook::{Playbook, Rep};
use crate::problem::Report;
use crate::raw::{RawOwnership, RawRep};
use crate::text::{normalize_domain, split_at_last_at};
use crate::wire::{Candidate, Decision, Owner, OwnerBasisKind, Submission};

/// Why a lead goes to a rep by ownership rather than by its route's round robin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerBasis {
    /// `domain` is one of the playbook's named accounts.
    NamedAccount { domain: String },
    /// An earlier lead of `domain`, within `ownership.days`, went to this rep.
    EarlierLead { lead_id: String, domain: String },
    /// The same email came back to the same form within
    /// `ownership.returning_days`: a new touch on lead `lead_id`.
    Returning { lead_id: String },
}

impl OwnerBasis {
    fn kind(&self) -> OwnerBasisKind {
        match self {
            OwnerBasis::NamedAccount { .. } => OwnerBasisKind::NamedAccount,
            OwnerBasis::EarlierLead { .. } => OwnerBasisKind::EarlierLead,
            OwnerBasis::Returning { .. } => OwnerBasisKind::Returning,
        }
    }

    fn lead_id(&self) -> Option<String> {
        match self {
            OwnerBasis::NamedAccount { .. } => None,
            OwnerBasis::EarlierLead { lead_id, .. } | OwnerBasis::Returning { lead_id } => {
                Some(lead_id.clone())
            }
        }
    }

    /// One line for sales, naming the domain (or the earlier lead) and the rep.
    fn because(&self, rep: &str) -> String {
        match self {
            OwnerBasis::NamedAccount { domain } => {
                format!("{domain} is a named account of {rep}")
            }
            OwnerBasis::EarlierLead { lead_id, domain } => {
                format!("{domain}'s earlier lead {lead_id} went to {rep}")
            }
            OwnerBasis::Returning { lead_id } => {
                format!("the same person's lead {lead_id} on this form went to {rep}")
            }
        }
    }
}

/// The compiled `[ownership]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ownership {
    pub days: u32,
    pub returning_days: u32,
    pub accounts: Vec<Account>,
}

#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// Normalized (`normalize_domain`), as the `email_domain` fact is.
    pub domain: String,
    /// Index into the playbook's reps.
    pub rep: u16,
}

/// Compiles `[ownership]`: each account's domain normalized, its rep resolved.
pub(crate) fn compile(r: &mut Report, raw: &RawOwnership, reps: &[RawRep]) -> Ownership {
    // Named accounts are edge-only: without `sales` (the widget) only the
    // windows are kept, and none of this code ships to landing pages.
    if !cfg!(feature = "sales") {
        return Ownership {
            days: raw.days,
            returning_days: raw.returning_days,
            accounts: Vec::new(),
        };
    }
    let mut seen = SortedMap::new();
    let mut accounts = Vec::with_capacity(raw.accounts.len());
    for (i, a) in raw.accounts.iter().enumerate() {
        let p = format!("ownership.accounts[{i}]");
        let domain = normalize_domain(&a.domain);
        if DIAGNOSTICS {
            check_domain(r, &p, &a.domain, &domain, &a.rep, &mut seen);
        }
        match reps
            .iter()
            .position(|x| x.id == a.rep)
            .and_then(|k| u16::try_from(k).ok())
        {
            Some(rep) => accounts.push(Account { domain, rep }),
            None => r.unknown(
                format!("{p}.rep"),
                format!("unknown rep `{}`", a.rep),
                &a.rep,
                reps.iter().map(|x| x.id.as_str()),
            ),
        }
    }
    Ownership {
        days: raw.days,
        returning_days: raw.returning_days,
        accounts,
    }
}

fn check_domain(
    r: &mut Report,
    p: &str,
    written: &str,
    domain: &str,
    rep: &str,
    seen: &mut SortedMap<()>,
) {
    let path = format!("{p}.domain");
    // A domain is one an address could be at: the very check addresses get.
    if crate::email::domain(&format!("x@{domain}")).is_none() {
        r.hint(
            path,
            format!("`{written}` is not a domain"),
            "write domains like `globex.com`",
        );
    } else if seen.insert(domain.to_owned(), ()).is_some() {
        r.add(path, format!("`{domain}` is already a named account"));
    } else if crate::email::classify(domain).is_some_and(|c| c.free || c.disposable) {
        r.hint(
            path,
            format!("`{domain}` is a free-mail provider, no company"),
            format!("every visitor with an address there would go to `{rep}`"),
        );
    }
}

impl Playbook {
    /// The domain of the submission's first email answer, lowercased and
    /// normalized as the `email_domain` fact derives it; `None` when there
    /// is no email field or no valid answer in it.
    pub fn email_domain(&self, s: &Submission) -> Option<String> {
        let field = self.fields.get(usize::from(self.email_field?))?;
        let value = s.fields.get(&field.id)?;
        let store = Store::default();
        let mut answer = Answer::Missing;
        fields::check(field, value, fields::trimmed(value), &store, &mut answer).ok()?;
        let Answer::Text(email) = answer else {
            return None;
        };
        let lower = email.lower();
        split_at_last_at(&lower).map(|(_, d)| d.to_owned())
    }

    /// The rep whose named account `domain` is: a listed domain or any of
    /// its subdomains, the most specific listing first (`eu.globex.com`
    /// before `globex.com`). Paused reps too: `route_to_owner` decides.
    pub fn named_owner(&self, domain: &str) -> Option<&Rep> {
        let domain = normalize_domain(domain);
        self.ownership
            .accounts
            .iter()
            .filter(|a| domain_matches(&domain, std::slice::from_ref(&a.domain)))
            .max_by_key(|a| a.domain.len())
            .and_then(|a| self.reps.get(usize::from(a.rep)))
    }

    /// How many days an earlier lead's rep keeps its domain; 0 is off.
    pub fn ownership_days(&self) -> u32 {
        self.ownership.days
    }

    /// Within how many days the same email on the same form is a returning
    /// touch on the existing lead.
    pub fn returning_days(&self) -> u32 {
        self.ownership.returning_days
    }

    /// Sends the lead `d` decides to rep `rep` alone, for `basis`: its route
    /// stays, its candidates become that rep, and `owner` and `because` say
    /// why. True when done; false, and `d` as it was, when `d` has no route
    /// (invalid or knocked out) or `rep` is unknown or cannot take leads
    /// (`active = false` or weight 0), so the round robin decides instead.
    pub fn route_to_owner(&self, d: &mut Decision, rep: &str, basis: OwnerBasis) -> bool {
        let Some(route) = d.route.as_mut() else {
            return false;
        };
        let Some(r) = self.rep(rep).filter(|r| r.active && r.weight > 0) else {
            return false;
        };
        let because = basis.because(&r.name);
        route.candidates = vec![Candidate {
            rep: r.id.clone(),
            name: r.name.clone(),
            weight: r.weight,
            booking_url: r.booking_url.clone(),
        }];
        route.because.clone_from(&because);
        route.owner = Some(Owner {
            rep: r.id.clone(),
            basis: basis.kind(),
            lead_id: basis.lead_id(),
            because,
        });
        true
    }
}

#[cfg(all(test, feature = "sales"))]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::wire::OwnerBasisKind;

    const PLAYBOOK: &str = r#"{
        "id": "t", "name": "T",
        "fields": [
            {"id": "name", "kind": "text", "label": "Name"},
            {"id": "email", "kind": "email", "label": "Email", "required": true},
            {"id": "backup", "kind": "email", "label": "Another email"}
        ],
        "grades": [{"grade": "A", "qualified": true}],
        "reps": [
            {"id": "ana", "name": "Ana Souza"},
            {"id": "jonas", "name": "Jonas Weber", "booking_url": "https://book.example/jonas"},
            {"id": "liam", "name": "Liam O'Neill", "active": false}
        ],
        "teams": [{"id": "sales", "name": "Sales", "reps": ["ana", "jonas"]}],
        "routes": [{"id": "all", "team": "sales"}],
        "ownership": {"days": 90, "accounts": [
            {"domain": "Globex.com", "rep": "jonas"},
            {"domain": "eu.globex.com", "rep": "ana"},
            {"domain": "initech.com", "rep": "liam"}
        ]}
    }"#;

    fn playbook() -> Playbook {
        crate::parse_json(PLAYBOOK).unwrap_or_else(|p| unreachable!("{p}"))
    }

    fn submission(json: &str) -> Submission {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_email_domain_is_the_first_email_answers_as_the_fact_sees_it() {
        let pb = playbook();
        let domain = |json: &str| pb.email_domain(&submission(json));
        assert_eq!(
            domain(
                r#"{"fields": {"email": " Kim@Sales.GLOBEX.com ", "backup": "k@other.example"}}"#
            )
            .as_deref(),
            Some("sales.globex.com")
        );
        assert_eq!(
            domain(r#"{"fields": {"email": "kim@ｇｌｏｂｅｘ．com"}}"#).as_deref(),
            Some("globex.com")
        );
        assert_eq!(domain(r#"{"fields": {"email": "not an address"}}"#), None);
        assert_eq!(domain(r#"{"fields": {"backup": "k@other.example"}}"#), None);
    }

    #[test]
    fn a_named_account_covers_its_subdomains_and_the_most_specific_wins() {
        let pb = playbook();
        let owner = |d: &str| pb.named_owner(d).map(|r| r.id.as_str());
        assert_eq!(owner("globex.com"), Some("jonas"));
        assert_eq!(owner("GLOBEX.COM."), Some("jonas"));
        assert_eq!(owner("sales.globex.com"), Some("jonas"));
        assert_eq!(owner("eu.globex.com"), Some("ana"));
        assert_eq!(owner("paris.eu.globex.com"), Some("ana"));
        assert_eq!(owner("notglobex.com"), None);
        assert_eq!(owner("globex.com.evil.example"), None);
        // A paused owner is still the owner; routing decides what that means.
        assert_eq!(owner("initech.com"), Some("liam"));
        assert_eq!((pb.ownership_days(), pb.returning_days()), (90, 30));
    }

    #[test]
    fn a_lead_goes_to_its_owner_alone_and_says_why() {
        let pb = playbook();
        let mut d = pb.evaluate(&submission(r#"{"fields": {"email": "kim@globex.com"}}"#));
        assert_eq!(d.route.as_ref().unwrap().candidates.len(), 2);
        let basis = OwnerBasis::NamedAccount {
            domain: "globex.com".into(),
        };
        assert!(pb.route_to_owner(&mut d, "jonas", basis));
        let route = d.route.as_ref().unwrap();
        assert_eq!(route.route, "all");
        assert_eq!(route.team.as_deref(), Some("sales"));
        assert_eq!(route.candidates.len(), 1);
        assert_eq!(route.candidates[0].rep, "jonas");
        assert_eq!(
            route.candidates[0].booking_url.as_deref(),
            Some("https://book.example/jonas")
        );
        assert_eq!(
            route.because,
            "globex.com is a named account of Jonas Weber"
        );
        let owner = route.owner.as_ref().unwrap();
        assert_eq!(
            (owner.rep.as_str(), owner.basis, owner.lead_id.as_deref()),
            ("jonas", OwnerBasisKind::NamedAccount, None)
        );
        assert_eq!(owner.because, route.because);

        let earlier = OwnerBasis::EarlierLead {
            lead_id: "01JEXAMPLE".into(),
            domain: "globex.com".into(),
        };
        assert!(pb.route_to_owner(&mut d, "ana", earlier));
        let route = d.route.as_ref().unwrap();
        assert_eq!(
            route.because,
            "globex.com's earlier lead 01JEXAMPLE went to Ana Souza"
        );
        let owner = route.owner.as_ref().unwrap();
        assert_eq!(owner.basis, OwnerBasisKind::EarlierLead);
        assert_eq!(owner.lead_id.as_deref(), Some("01JEXAMPLE"));
        let json = serde_json::to_value(owner).unwrap();
        assert_eq!(json["basis"], "earlier_lead");
    }

    #[test]
    fn a_paused_or_unknown_owner_leaves_the_decision_to_the_round_robin() {
        let pb = playbook();
        let d = pb.evaluate(&submission(r#"{"fields": {"email": "kim@initech.com"}}"#));
        let returning = || OwnerBasis::Returning {
            lead_id: "01JEXAMPLE".into(),
        };
        for rep in ["liam", "nobody"] {
            let mut same = d.clone();
            assert!(!pb.route_to_owner(&mut same, rep, returning()));
            assert_eq!(same, d);
        }
        // An invalid lead has no route to change.
        let mut invalid = pb.evaluate(&submission(r#"{"fields": {}}"#));
        assert!(invalid.route.is_none());
        assert!(!pb.route_to_owner(&mut invalid, "ana", returning()));
    }

    #[test]
    fn ownership_is_off_and_returning_is_30_days_unless_set() {
        let pb = crate::parse_json(&PLAYBOOK.replace(r#""days": 90, "#, "")).unwrap();
        assert_eq!((pb.ownership_days(), pb.returning_days()), (0, 30));
        let public = pb.public();
        assert!(public.ownership.accounts.is_empty());
        let public = crate::compile_published(public).unwrap();
        assert_eq!(
            public.named_owner("globex.com").map(|r| r.id.as_str()),
            None
        );
    }
}
