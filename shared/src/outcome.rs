//! What sales answers about a lead (accepted, rejected, contacted, meeting
//! booked, won, lost), the playbook's reasons for them, and the signed,
//! expiring links a delivery carries so a rep answers with one click.
//!
//! Pure: the edge brings the key and the clock.

use crate::problem::Report;
use crate::raw::RawOutcomes;
use crate::Playbook;

/// How long a feedback link works when the playbook does not say.
pub const DEFAULT_LINK_DAYS: u32 = 30;

/// One thing sales can say about a lead.
// (No docs on the variants: the schema would list them as `oneOf`, not `enum`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accepted,
    Rejected,
    Contacted,
    MeetingBooked,
    Won,
    Lost,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Accepted,
        Action::Rejected,
        Action::Contacted,
        Action::MeetingBooked,
        Action::Won,
        Action::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accepted => "accepted",
            Action::Rejected => "rejected",
            Action::Contacted => "contacted",
            Action::MeetingBooked => "meeting_booked",
            Action::Won => "won",
            Action::Lost => "lost",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// How a rep reads it on a button.
    pub fn label(self) -> &'static str {
        match self {
            Action::Accepted => "Accept",
            Action::Rejected => "Reject",
            Action::Contacted => "Contacted",
            Action::MeetingBooked => "Meeting booked",
            Action::Won => "Won",
            Action::Lost => "Lost",
        }
    }

    /// The first of these on a lead is its first touch: the end of the SLA clock.
    pub fn is_touch(self) -> bool {
        matches!(self, Action::Accepted | Action::Contacted)
    }

    /// A deal ends once: won or lost, not both.
    pub fn is_final(self) -> bool {
        matches!(self, Action::Won | Action::Lost)
    }
}

/// Why an outcome cannot be recorded as given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OutcomeError {
    #[error("`{action}` needs a reason: {known}")]
    ReasonMissing { action: &'static str, known: String },
    #[error("`{got}` is not one of this playbook's reasons: {known}")]
    UnknownReason { got: String, known: String },
    #[error("a win needs the deal's amount, a number of at least 0")]
    AmountMissing,
    #[error("only a win has an amount")]
    AmountNotWanted,
    #[error("only a rejection or a loss has a reason")]
    ReasonNotWanted,
}

impl Playbook {
    /// The reasons sales may give for `action`: the playbook's list for a
    /// rejection or a loss, none for the others.
    pub fn reasons_for(&self, action: Action) -> &[String] {
        match action {
            Action::Rejected => &self.raw.outcomes.reject_reasons,
            Action::Lost => &self.raw.outcomes.loss_reasons,
            _ => &[],
        }
    }

    /// The tightest first-touch deadline of any grade, in minutes.
    pub fn sla_minutes_min(&self) -> Option<u32> {
        self.sla_minutes.values().copied().min()
    }

    /// Days a feedback link works.
    pub fn link_days(&self) -> u32 {
        self.raw.outcomes.link_days.unwrap_or(DEFAULT_LINK_DAYS)
    }

    /// Whether a missed SLA also sends the lead to the route's next rep.
    pub fn sla_reassigns(&self) -> bool {
        self.raw.sla.reassign
    }

    /// Who takes a lead whose rep missed its deadline: the next rep of the
    /// route's team, in playbook order after the last one tried, who can
    /// take leads (active, weight above 0) and has not had this lead.
    /// `None` when the route names one rep, or everyone had it.
    pub fn next_rep(
        &self,
        route: &crate::wire::RouteChoice,
        tried: &[&str],
    ) -> Option<&crate::Rep> {
        let target = self.routes.iter().find(|r| r.id == route.route)?;
        let crate::playbook::Target::Team(t) = target.target else {
            return None;
        };
        let team: Vec<&crate::Rep> = self
            .teams
            .get(usize::from(t))?
            .reps
            .iter()
            .filter_map(|&k| self.reps.get(usize::from(k)))
            .collect();
        let last = tried
            .last()
            .and_then(|id| team.iter().position(|r| r.id == *id))
            .map_or(0, |i| i + 1);
        (0..team.len())
            .filter_map(|k| team.get((last + k) % team.len()).copied())
            .find(|r| r.active && r.weight > 0 && !tried.contains(&r.id.as_str()))
    }

    /// Checks what comes with `action`: a reason from the playbook's list
    /// for a rejection or a loss (free text when the list is empty), an
    /// amount for a win and nothing else for the rest. Answers the reason
    /// as the playbook spells it.
    pub fn check_outcome(
        &self,
        action: Action,
        reason: Option<&str>,
        amount: Option<f64>,
    ) -> Result<Option<String>, OutcomeError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        match action {
            Action::Won if !amount.is_some_and(|a| a.is_finite() && a >= 0.0) => {
                return Err(OutcomeError::AmountMissing)
            }
            Action::Won => {}
            _ if amount.is_some() => return Err(OutcomeError::AmountNotWanted),
            _ => {}
        }
        let known = self.reasons_for(action);
        match (action, reason) {
            (Action::Rejected | Action::Lost, None) => Err(OutcomeError::ReasonMissing {
                action: action.as_str(),
                known: if known.is_empty() {
                    "any short text".to_owned()
                } else {
                    known.join(", ")
                },
            }),
            (Action::Rejected | Action::Lost, Some(r)) if known.is_empty() => {
                Ok(Some(r.chars().take(MAX_REASON_CHARS).collect()))
            }
            (Action::Rejected | Action::Lost, Some(r)) => known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(r))
                .map(|k| Some(k.clone()))
                .ok_or_else(|| OutcomeError::UnknownReason {
                    got: r.to_owned(),
                    known: known.join(", "),
                }),
            (_, Some(_)) => Err(OutcomeError::ReasonNotWanted),
            (_, None) => Ok(None),
        }
    }
}

/// A free-text reason (a playbook without a list) is kept this short.
const MAX_REASON_CHARS: usize = 200;

/// Checks `[outcomes]`: reasons present, distinct, short; a sane link life.
pub(crate) fn check(r: &mut Report, raw: &RawOutcomes) {
    for (list, reasons) in [
        ("reject_reasons", &raw.reject_reasons),
        ("loss_reasons", &raw.loss_reasons),
    ] {
        for (i, reason) in reasons.iter().enumerate() {
            let p = format!("outcomes.{list}[{i}]");
            let t = reason.trim();
            if t.is_empty() {
                r.add(p, "a reason cannot be empty");
            } else if t.chars().count() > 80 {
                r.add(p, "a reason is a short label (80 characters at most)");
            } else if reasons
                .iter()
                .take(i)
                .any(|o| o.trim().eq_ignore_ascii_case(t))
            {
                r.add(p, format!("`{t}` is listed twice"));
            }
        }
    }
    if let Some(d) = raw.link_days {
        if !(1..=365).contains(&d) {
            r.add(
                "outcomes.link_days",
                format!("a feedback link works 1 to 365 days, not {d}"),
            );
        }
    }
}

/// The signed, expiring part of a feedback link: which lead, what answer,
/// who was asked, until when (Unix seconds), and the HMAC-SHA256 over them.
#[cfg(feature = "delivery")]
pub mod link {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    use super::Action;

    /// A key from a secret of at least 16 bytes (`LINK_SECRET`).
    #[derive(Clone)]
    pub struct LinkKey(Vec<u8>);

    impl std::fmt::Debug for LinkKey {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "LinkKey({} bytes)", self.0.len())
        }
    }

    /// What a link says; `sig` covers every other part.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Link {
        pub lead: String,
        pub action: Action,
        /// The rep (or `team:<id>`) the delivery went to.
        pub by: String,
        /// Unix seconds.
        pub expires: u64,
    }

    /// Why a link is refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
    pub enum LinkError {
        #[error("this link is incomplete: it needs lead, a, by, exp and sig")]
        Incomplete,
        #[error("this link was not made by Baton (its signature does not match)")]
        Forged,
        #[error("this link has expired")]
        Expired,
    }

    impl LinkKey {
        /// `None` for a secret too short to be one.
        pub fn new(secret: &str) -> Option<LinkKey> {
            let s = secret.trim();
            (s.len() >= 16).then(|| LinkKey(s.as_bytes().to_vec()))
        }

        fn mac(&self, l: &Link) -> Hmac<Sha256> {
            // Any key length is valid for HMAC: the fallback is never taken.
            let mut mac = Hmac::<Sha256>::new_from_slice(&self.0)
                .unwrap_or_else(|_| Hmac::<Sha256>::new(&Default::default()));
            // Domain-separated and length-prefixed: no two links sign alike.
            for part in [
                "baton-feedback-v1",
                &l.lead,
                l.action.as_str(),
                &l.by,
                &l.expires.to_string(),
            ] {
                mac.update(&(part.len() as u32).to_be_bytes());
                mac.update(part.as_bytes());
            }
            mac
        }

        /// The query string of a link: `lead=…&a=…&by=…&exp=…&sig=…`.
        pub fn query(&self, l: &Link) -> String {
            let sig = URL_SAFE_NO_PAD.encode(self.mac(l).finalize().into_bytes());
            format!(
                "lead={}&a={}&by={}&exp={}&sig={sig}",
                escape(&l.lead),
                l.action.as_str(),
                escape(&l.by),
                l.expires
            )
        }

        /// The link a query names, if this key signed it and it has not
        /// expired at `now` (Unix seconds); compared in constant time.
        pub fn verify(&self, pairs: &[(String, String)], now: u64) -> Result<Link, LinkError> {
            let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            let (Some(lead), Some(a), Some(by), Some(exp), Some(sig)) =
                (get("lead"), get("a"), get("by"), get("exp"), get("sig"))
            else {
                return Err(LinkError::Incomplete);
            };
            let action = Action::from_name(a).ok_or(LinkError::Forged)?;
            let expires: u64 = exp.parse().map_err(|_| LinkError::Forged)?;
            let link = Link {
                lead: lead.to_owned(),
                action,
                by: by.to_owned(),
                expires,
            };
            let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| LinkError::Forged)?;
            self.mac(&link)
                .verify_slice(&sig)
                .map_err(|_| LinkError::Forged)?;
            if now >= expires {
                return Err(LinkError::Expired);
            }
            Ok(link)
        }
    }

    /// Percent-encodes what is not unreserved (RFC 3986), for a query value.
    fn escape(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    #[cfg(test)]
    #[allow(clippy::unwrap_used)]
    mod tests {
        use super::*;

        fn pairs(q: &str) -> Vec<(String, String)> {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.replace("%3A", ":")))
                .collect()
        }

        fn link() -> Link {
            Link {
                lead: "01JDEMO".into(),
                action: Action::Accepted,
                by: "team:growth".into(),
                expires: 2_000,
            }
        }

        #[test]
        fn a_link_it_signed_verifies_until_it_expires() {
            let key = LinkKey::new("a-secret-of-some-length").unwrap();
            let q = key.query(&link());
            assert!(q.contains("by=team%3Agrowth"), "{q}");
            assert_eq!(key.verify(&pairs(&q), 1_999), Ok(link()));
            assert_eq!(key.verify(&pairs(&q), 2_000), Err(LinkError::Expired));
        }

        #[test]
        fn any_changed_part_or_another_key_is_forged() {
            let key = LinkKey::new("a-secret-of-some-length").unwrap();
            let q = key.query(&link());
            for (from, to) in [
                ("a=accepted", "a=won"),
                ("lead=01JDEMO", "lead=01JDEMP"),
                ("by=team%3Agrowth", "by=ana"),
                ("exp=2000", "exp=9000"),
            ] {
                let bad = q.replace(from, to);
                assert_ne!(bad, q);
                assert_eq!(key.verify(&pairs(&bad), 0), Err(LinkError::Forged), "{bad}");
            }
            let other = LinkKey::new("another-secret-entirely").unwrap();
            assert_eq!(other.verify(&pairs(&q), 0), Err(LinkError::Forged));
            assert_eq!(
                key.verify(&pairs("lead=x&a=accepted"), 0),
                Err(LinkError::Incomplete)
            );
            assert!(LinkKey::new("short").is_none());
        }
    }
}

#[cfg(all(test, feature = "toml"))]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn demo() -> Playbook {
        crate::parse_toml(include_str!("../../icp.toml")).unwrap()
    }

    #[test]
    fn a_rejection_names_a_listed_reason_and_a_win_its_amount() {
        let p = demo();
        let reason = |a, r| p.check_outcome(a, r, None);
        assert_eq!(
            reason(Action::Rejected, Some(" not a FIT ")),
            Ok(Some("Not a fit".to_owned()))
        );
        assert!(matches!(
            reason(Action::Rejected, None),
            Err(OutcomeError::ReasonMissing { .. })
        ));
        let unknown = reason(Action::Lost, Some("Weather")).unwrap_err();
        assert!(
            unknown.to_string().contains("Chose a competitor"),
            "{unknown}"
        );
        assert_eq!(reason(Action::Accepted, None), Ok(None));
        assert_eq!(
            reason(Action::Accepted, Some("because")),
            Err(OutcomeError::ReasonNotWanted)
        );
        assert_eq!(p.check_outcome(Action::Won, None, Some(12_000.0)), Ok(None));
        for bad in [None, Some(-1.0), Some(f64::NAN)] {
            assert_eq!(
                p.check_outcome(Action::Won, None, bad),
                Err(OutcomeError::AmountMissing)
            );
        }
        assert_eq!(
            p.check_outcome(Action::Contacted, None, Some(1.0)),
            Err(OutcomeError::AmountNotWanted)
        );
        assert_eq!(p.link_days(), 30);
        assert!(p.sla_reassigns());
    }

    #[test]
    fn a_missed_lead_goes_to_the_teams_next_rep_who_has_not_had_it() {
        let p = demo();
        let d = p.evaluate(&crate::wire::Submission {
            locale: Some("en".into()),
            fields: serde_json::from_value(serde_json::json!({
                "email": "ana@acme-industrial.de", "name": "Ana", "company": "Acme",
                "title": "VP Revenue", "employees": 800, "country": "DE",
                "timeline": "this-quarter", "interests": ["forecasting"], "consent": true
            }))
            .unwrap(),
            context: Default::default(),
        });
        let route = d.route.unwrap();
        assert_eq!(route.route, "emea-enterprise");
        let team: Vec<&str> = route.candidates.iter().map(|c| c.rep.as_str()).collect();
        assert!(team.len() >= 2, "{team:?}");
        let next = |tried: &[&str]| p.next_rep(&route, tried).map(|r| r.id.clone());
        assert_eq!(next(&[team[0]]).as_deref(), Some(team[1]));
        assert_eq!(next(&[team[1]]).as_deref(), Some(team[0]), "round the team");
        assert_eq!(next(&team), None, "everyone had it");
    }

    #[test]
    fn outcomes_are_private_to_sales() {
        let public = demo().public();
        assert!(public.outcomes.reject_reasons.is_empty());
    }

    /// The checks are `diagnostics` (the edge and `baton check`; the widget only reads public copies).
    #[cfg(feature = "diagnostics")]
    #[test]
    fn bad_reasons_and_link_lives_are_refused() {
        let text = include_str!("../../icp.toml")
            .replace(
                "\"Duplicate\", \"Spam\"",
                "\"Duplicate\", \"duplicate\", \" \"",
            )
            .replace("link_days = 30", "link_days = 0");
        let problems = crate::parse_toml(&text).unwrap_err().to_string();
        assert!(
            problems.contains("outcomes.reject_reasons[4]: `duplicate` is listed twice"),
            "{problems}"
        );
        assert!(
            problems.contains("outcomes.reject_reasons[5]: a reason cannot be empty"),
            "{problems}"
        );
        assert!(problems.contains("outcomes.link_days"), "{problems}");
    }

    #[test]
    fn names_are_serdes_names() {
        for a in Action::ALL {
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
            assert_eq!(Action::from_name(a.as_str()), Some(a));
        }
    }
}
