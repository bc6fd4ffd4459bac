//! The checked, compiled playbook: what evaluation runs on.
//!
//! Built only by `compile` (see `compile.rs`); every reference in it has been
//! resolved, every list lowercased and every threshold ordered, so evaluation
//! never has to check anything again.

use crate::channel::Channel;
use crate::condition::Cond;
use crate::content::Content;
#[cfg(feature = "bulk")]
use crate::direct::Direct;
#[cfg(feature = "bulk")]
use crate::flat::Programs;
use crate::lead::OptionFold;
use crate::map::SortedMap;
use crate::owner::Ownership;
use crate::problem::Problem;
use crate::raw::{FieldKind, Localized, RawPlaybook, RawText, Visibility};

#[derive(Debug, Clone)]
pub struct Playbook {
    pub(crate) raw: RawPlaybook,
    pub(crate) version: String,
    /// Edge-only rules were removed before this copy reached us.
    pub(crate) provisional: bool,
    pub(crate) fields: Vec<Field>,
    pub(crate) rules: Vec<Rule>,
    /// The rules' conditions flattened, what scoring runs.
    #[cfg(feature = "bulk")]
    pub(crate) programs: Programs,
    /// Clean submissions scored straight from their values (`direct.rs`).
    #[cfg(feature = "bulk")]
    pub(crate) direct: Direct,
    pub(crate) grades: Vec<Grade>,
    pub(crate) reps: Vec<Rep>,
    pub(crate) teams: Vec<Team>,
    pub(crate) routes: Vec<Route>,
    pub(crate) sla_minutes: SortedMap<u32>,
    pub(crate) escalate_to: Option<String>,
    pub(crate) content: Vec<Content>,
    pub(crate) ownership: Ownership,
    /// What compiles but would lose leads (`diagnostics` only).
    pub(crate) warnings: Vec<Problem>,
    /// Index of the first email field: the source of the `email_domain` fact.
    pub(crate) email_field: Option<u16>,
    /// Indexes of `fields` in the byte order of their ids, the order of a
    /// submission's answers: validation merges the two.
    pub(crate) fields_by_id: Vec<usize>,
    /// The keys of a submission that answers every field and nothing else
    /// (values unused): such a submission's answers are in `fields_by_id`
    /// order, no merge needed.
    #[cfg(feature = "bulk")]
    pub(crate) complete: SortedMap<()>,
    /// The facts some rule, route or content entry tests (`Fact::bit`): a
    /// lead derives only these.
    pub(crate) facts: u16,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub id: String,
    pub kind: FieldKind,
    pub required: bool,
    pub label: Localized,
    pub options: Vec<String>,
    /// `OptionFold::of` each option: an answer naming one is not scanned again.
    pub(crate) option_folds: Vec<OptionFold>,
    /// `fields::option_slots`: finds an option typed as listed without
    /// comparing it with every option.
    #[cfg(feature = "bulk")]
    pub(crate) option_slots: Vec<u16>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub max_length: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub description: Option<String>,
    pub points: i32,
    pub knockout: bool,
    pub when: Cond,
}

#[derive(Debug, Clone)]
pub(crate) struct Grade {
    pub grade: String,
    /// `i64::MIN` for the last grade, which takes every remaining score.
    pub min_score: i64,
    pub qualified: bool,
}

#[derive(Debug, Clone)]
pub struct Rep {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    /// Where this rep's leads are delivered (`Playbook::channels_for`).
    pub channels: Vec<Channel>,
    pub booking_url: Option<String>,
    pub weight: u32,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub id: String,
    pub name: String,
    pub reps: Vec<u16>,
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Team(u16),
    Rep(u16),
}

#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub id: String,
    pub when: Option<Cond>,
    pub target: Target,
}

/// Built-in texts, overridden by the playbook's `[text.<locale>]`.
pub(crate) fn default_text(lang: &str) -> Option<RawText> {
    let s = |v: &str| Some(v.to_owned());
    Some(match lang {
        "de" => RawText {
            title: s("Sprechen Sie mit uns"),
            intro: None,
            submit: s("Absenden"),
            next: s("Weiter"),
            back: s("Zurück"),
            thank_you: s("Danke! Wir melden uns bei Ihnen."),
            qualified: s("{rep} aus dem Team {team} meldet sich innerhalb von {sla} bei Ihnen."),
            knocked_out: s("Danke für Ihr Interesse. Wir melden uns, falls wir helfen können."),
            book_meeting: s("Termin direkt buchen"),
        },
        "en" => RawText {
            title: s("Talk to us"),
            intro: None,
            submit: s("Submit"),
            next: s("Next"),
            back: s("Back"),
            thank_you: s("Thank you! We will be in touch."),
            qualified: s("{rep} from {team} will contact you within {sla}."),
            knocked_out: s("Thank you for your interest. We will reach out if we can help."),
            book_meeting: s("Book a meeting now"),
        },
        _ => return None,
    })
}

impl Playbook {
    /// Days a lead is kept (`privacy.retain_days`); none: until erased.
    pub fn retain_days(&self) -> Option<u32> {
        self.raw.privacy.retain_days
    }

    /// The experiment this playbook is the control of (`[experiment]`).
    pub fn experiment(&self) -> Option<&crate::raw::RawExperiment> {
        self.raw.experiment.as_ref()
    }

    /// On a public copy: the experiment it is an arm of (set by the edge).
    pub fn arms(&self) -> Option<&crate::experiment::Arms> {
        self.raw.published.as_ref()?.experiment.as_ref()
    }

    /// The form id.
    pub fn id(&self) -> &str {
        &self.raw.id
    }

    pub fn name(&self) -> &str {
        &self.raw.name
    }

    /// Stable hash of the full playbook's canonical form.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// True when this copy lacks edge-only rules (the browser's copy).
    pub fn is_provisional(&self) -> bool {
        self.provisional
    }

    /// The playbook as written (for the public copy and reports).
    pub fn raw(&self) -> &RawPlaybook {
        &self.raw
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    pub fn allowed_origins(&self) -> &[String] {
        &self.raw.allowed_origins
    }

    /// Whether `origin` (as sent in an `Origin` header) may embed the form.
    pub fn allows_origin(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.raw
            .allowed_origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    }

    /// The rep with this id.
    pub fn rep(&self, id: &str) -> Option<&Rep> {
        self.reps.iter().find(|r| r.id == id)
    }

    pub fn reps(&self) -> &[Rep] {
        &self.reps
    }

    /// The name of the team with this id.
    pub fn team_name(&self, id: &str) -> Option<&str> {
        self.teams
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.as_str())
    }

    /// What compiles but would lose leads: a route whose leads reach no
    /// channel, an escalation rep without one. Found only with the
    /// `diagnostics` feature (empty otherwise), never for a public copy.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Rep id told when a lead misses its SLA.
    pub fn escalate_to(&self) -> Option<&str> {
        self.escalate_to.as_deref()
    }

    /// Number of rules marked `visibility = "edge"` in this copy.
    pub fn edge_rule_count(&self) -> usize {
        self.raw
            .rules
            .iter()
            .filter(|r| r.visibility == Visibility::Edge)
            .count()
    }

    /// The language part of `locale` if the playbook has text for it, else the default.
    pub fn resolve_locale<'a>(&'a self, locale: Option<&str>) -> &'a str {
        let lang = locale
            .map(|l| l.split(['-', '_']).next().unwrap_or(l).trim())
            .unwrap_or("");
        // Browsers send `de-DE`, people type `DE`: match the language case-insensitively
        // and answer with the playbook's own spelling of it. Plain loops: an
        // iterator chain of maps' keys is several hundred bytes of widget wasm.
        if !lang.is_empty() {
            let same = |k: &&str| k.eq_ignore_ascii_case(lang);
            if let Some(k) = self.raw.text.keys().find(same) {
                return k;
            }
            for f in &self.raw.fields {
                if let Localized::Many(m) = &f.label {
                    if let Some(k) = m.keys().find(same) {
                        return k;
                    }
                }
            }
        }
        &self.raw.default_locale
    }

    /// User-facing strings for `locale`: the playbook's, then the built-in ones.
    pub fn text(&self, locale: &str) -> RawText {
        // Own locale as written, built-in for that language, the default
        // locale as written, built-in English: the first that has the string.
        let over = |l: &str| self.raw.text.get(l).cloned().unwrap_or_default();
        let own = over(locale);
        let builtin = default_text(locale).unwrap_or_default();
        let dflt = over(&self.raw.default_locale);
        let english = default_text("en").unwrap_or_default();
        macro_rules! pick {
            ($f:ident) => {
                own.$f.or(builtin.$f).or(dflt.$f).or(english.$f)
            };
        }
        RawText {
            title: pick!(title),
            intro: pick!(intro),
            submit: pick!(submit),
            next: pick!(next),
            back: pick!(back),
            thank_you: pick!(thank_you),
            qualified: pick!(qualified),
            knocked_out: pick!(knocked_out),
            book_meeting: pick!(book_meeting),
        }
    }
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    #[test]
    fn a_visitors_locale_resolves_whatever_its_case_or_region() {
        let pb = crate::parse_toml(include_str!("../../icp.toml"))
            .unwrap_or_else(|p| unreachable!("{p}"));
        assert_eq!(pb.resolve_locale(Some("DE")), "de");
        assert_eq!(pb.resolve_locale(Some("de-AT")), "de");
        assert_eq!(pb.resolve_locale(Some("fr-FR")), "en");
        assert_eq!(pb.resolve_locale(None), "en");
        assert_eq!(
            pb.text("de").submit.as_deref(),
            Some("Mit dem Vertrieb sprechen")
        );
    }
}
