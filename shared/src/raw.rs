//! The playbook as people write it (`icp.toml`), before any checking.
//!
//! Every struct denies unknown keys so a typo is a problem with a path, never a
//! silently ignored setting. Optional keys are skipped when empty so the
//! canonical form (see `version.rs`) does not depend on how a file spelled defaults.

use crate::map::SortedMap;

use serde::{Deserialize, Serialize};

/// Text in one or more locales: `"Work email"` or `{ en = "Work email", de = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Localized {
    /// The same text in every locale.
    One(String),
    /// Locale code to text; the playbook's default locale is the fallback.
    Many(SortedMap<String>),
}

impl Localized {
    /// The text for `locale`, falling back to `default_locale`, then to any text.
    pub fn get<'a>(&'a self, locale: &str, default_locale: &str) -> &'a str {
        match self {
            Localized::One(s) => s,
            Localized::Many(m) => m
                .get(locale)
                .or_else(|| m.get(default_locale))
                .or_else(|| m.values().next())
                .map_or("", String::as_str),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
/// The Ideal Customer Profile playbook: the one rulebook marketing and sales share.
pub struct RawPlaybook {
    /// The form id used in embed tags and API paths (`data-form="demo"`).
    pub id: String,
    /// A human name for the playbook, shown in reports.
    pub name: String,
    /// The locale used when a visitor's locale has no text.
    #[serde(default = "default_locale")]
    pub default_locale: String,
    /// Origins allowed to embed the form and post leads (`https://www.example.com`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
    /// User-facing strings per locale.
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub text: SortedMap<RawText>,
    /// The questions the form asks, in order.
    pub fields: Vec<RawField>,
    /// Optional steps of a multi-step form; each names the fields it shows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<RawStep>,
    /// Scoring rules; every rule whose condition holds adds its points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RawRule>,
    /// Grades from the highest threshold down; the last has no threshold.
    pub grades: Vec<RawGrade>,
    /// Sales reps who receive leads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reps: Vec<RawRep>,
    /// Teams of reps that share leads by weighted round robin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<RawTeam>,
    /// Ordered routes; the first that matches wins; the last must match everything.
    pub routes: Vec<RawRoute>,
    /// Follow-up deadlines sales commits to.
    #[serde(default, skip_serializing_if = "RawSla::is_empty")]
    pub sla: RawSla,
    /// What sales may answer about a lead: the reasons to reject or lose one,
    /// and how long a feedback link works. Edge-only.
    #[serde(default, skip_serializing_if = "RawOutcomes::is_empty")]
    pub outcomes: RawOutcomes,
    /// Who owns a company's leads: named accounts, and how long an earlier
    /// lead's rep keeps its domain. Accounts are edge-only.
    #[serde(default, skip_serializing_if = "RawOwnership::is_empty")]
    pub ownership: RawOwnership,
    /// Enablement content (case studies, battle cards, talk tracks) sent
    /// with the leads it fits. Edge-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<RawContent>,
    /// What is kept about people, and for how long. Edge-only.
    #[serde(default, skip_serializing_if = "RawPrivacy::is_empty")]
    pub privacy: RawPrivacy,
    /// An experiment this playbook is the control of: a share of visitors
    /// gets the variant playbook instead (`experiment.rs`). Edge-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<RawExperiment>,
    /// Set only on the public copy the edge serves to browsers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Published>,
}

/// `[privacy]`: how long leads are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawPrivacy {
    /// Days a lead is kept, with its deliveries and outcomes; the scheduled
    /// run erases older ones. None: kept until erased on request. Say the
    /// same in the site's privacy notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_days: Option<u32>,
}

impl RawPrivacy {
    fn is_empty(&self) -> bool {
        self.retain_days.is_none()
    }
}

/// `[experiment]`: which playbook the variant is, and for how many visitors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    /// Names the experiment in reports and in every bucket: a new id
    /// reshuffles visitors.
    pub id: String,
    /// The form id of the variant playbook, served to `share` percent of visitors.
    pub variant: String,
    /// Percent of visitors who get the variant (1 to 99).
    #[serde(default = "fifty", skip_serializing_if = "is_fifty")]
    pub share: u8,
}

fn fifty() -> u8 {
    50
}

fn is_fifty(n: &u8) -> bool {
    *n == 50
}

fn default_locale() -> String {
    "en".to_owned()
}

/// Marks a public copy: the version of the full playbook it was cut from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// Version hash of the full playbook.
    pub version: String,
    /// How many edge-only rules were left out; verdicts are provisional when any were.
    pub edge_rules_removed: u32,
    /// The fields those rules test (not how): a form that skips questions
    /// which cannot change the outcome keeps asking these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edge_fields: Vec<String>,
    /// The experiment this copy is an arm of, set by the edge on both arms:
    /// the browser computes the visitor's arm as the edge does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<crate::experiment::Arms>,
}

/// User-facing strings of one locale. `{rep}`, `{team}` and `{sla}` are filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back: Option<String>,
    /// Shown to leads that are not (yet) qualified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thank_you: Option<String>,
    /// Shown to qualified leads, e.g. "{rep} from {team} will contact you within {sla}".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualified: Option<String>,
    /// Shown, politely, to knocked-out leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knocked_out: Option<String>,
    /// Label of the booking link offered to qualified leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_meeting: Option<String>,
}

/// What kind of answer a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Email,
    Phone,
    Number,
    Select,
    Multiselect,
    Checkbox,
    Consent,
    Hidden,
}

impl FieldKind {
    /// Every kind, so a reader without serde (the widget's) can look names up.
    pub const ALL: [FieldKind; 9] = [
        FieldKind::Text,
        FieldKind::Email,
        FieldKind::Phone,
        FieldKind::Number,
        FieldKind::Select,
        FieldKind::Multiselect,
        FieldKind::Checkbox,
        FieldKind::Consent,
        FieldKind::Hidden,
    ];

    /// The kind `as_str` names, which is also its name in playbooks.
    pub fn from_name(name: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Number => "number",
            FieldKind::Select => "select",
            FieldKind::Multiselect => "multiselect",
            FieldKind::Checkbox => "checkbox",
            FieldKind::Consent => "consent",
            FieldKind::Hidden => "hidden",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
/// One question of the form.
pub struct RawField {
    pub id: String,
    pub kind: FieldKind,
    pub label: Localized,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Localized>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<Localized>,
    /// Choices of a `select` or `multiselect`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<RawOption>,
    /// Smallest accepted `number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest accepted `number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Longest accepted text, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// For `hidden` fields: the page URL query parameter that fills it (`gclid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    pub value: String,
    pub label: Localized,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Localized>,
    pub fields: Vec<String>,
}

/// Who may see a rule: everyone (the browser evaluates it) or only the edge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    /// Left out of the public playbook: private lists stay private.
    Edge,
}

fn is_public(v: &Visibility) -> bool {
    *v == Visibility::Public
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
/// A scoring rule: when its condition holds, the lead gets its points.
pub struct RawRule {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub points: i32,
    /// A knock-out disqualifies the lead whatever its score.
    #[serde(default, skip_serializing_if = "is_false")]
    pub knockout: bool,
    #[serde(default, skip_serializing_if = "is_public")]
    pub visibility: Visibility,
    pub when: RawCondition,
}

/// A condition: exactly one of `all`, `any`, `not`, or a leaf test
/// (`field` or `fact`, with `op` and, for most operators, `value`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<RawCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<RawCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<RawCondition>>,
    /// A form field id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A derived fact: `email_domain`, `utm_source`, `utm_medium`, `utm_campaign`,
    /// `utm_term`, `utm_content`, `referrer_domain`, `pages_seen`; in routes also
    /// `score`, `grade`, `qualified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Op>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub value: Option<serde_json::Value>,
}

/// Leaf operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Between,
    AtLeast,
    AtMost,
    GreaterThan,
    LessThan,
    ContainsWord,
    DomainMatches,
    FreeEmail,
    DisposableEmail,
    BusinessEmail,
    Present,
    Absent,
}

impl Op {
    /// Every operator, so a reader without serde (the widget's) can look names up.
    pub const ALL: [Op; 16] = [
        Op::Equals,
        Op::NotEquals,
        Op::In,
        Op::NotIn,
        Op::Between,
        Op::AtLeast,
        Op::AtMost,
        Op::GreaterThan,
        Op::LessThan,
        Op::ContainsWord,
        Op::DomainMatches,
        Op::FreeEmail,
        Op::DisposableEmail,
        Op::BusinessEmail,
        Op::Present,
        Op::Absent,
    ];

    /// The operator `as_str` names, which is also its name in playbooks.
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Equals => "equals",
            Op::NotEquals => "not_equals",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Between => "between",
            Op::AtLeast => "at_least",
            Op::AtMost => "at_most",
            Op::GreaterThan => "greater_than",
            Op::LessThan => "less_than",
            Op::ContainsWord => "contains_word",
            Op::DomainMatches => "domain_matches",
            Op::FreeEmail => "free_email",
            Op::DisposableEmail => "disposable_email",
            Op::BusinessEmail => "business_email",
            Op::Present => "present",
            Op::Absent => "absent",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
/// A grade threshold; grades are listed from the highest threshold down.
pub struct RawGrade {
    pub grade: String,
    /// Lowest score of this grade; the last grade has none and takes the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<i32>,
    /// Leads of this grade are Marketing Qualified Leads.
    #[serde(default, skip_serializing_if = "is_false")]
    pub qualified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawRep {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Where the edge delivers this rep's leads. Edge-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<RawChannel>,
    /// Offered to qualified visitors to book a meeting on the spot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_url: Option<String>,
    /// Share of the team's leads relative to teammates.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub weight: u32,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub active: bool,
}

fn one() -> u32 {
    1
}
fn is_one(w: &u32) -> bool {
    *w == 1
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    pub id: String,
    pub name: String,
    /// Rep ids; leads rotate among the active ones by weight.
    pub reps: Vec<String>,
    /// Where the edge delivers every lead routed to this team. Edge-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<RawChannel>,
}

/// Where leads are delivered. URLs and signing secrets are credentials: they
/// live in the Worker's secrets and the playbook names them, `env:NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub kind: ChannelKind,
    /// `env:NAME`; a `webhook` may also give an `https://` address without
    /// credentials (no `user:password@`, no query string).
    pub url: String,
    /// `env:NAME` of the Standard Webhooks signing secret; `webhook` only, and required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Unique among the channels of one rep or team; the kind's name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The events it takes; none listed takes every event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<crate::channel::EventType>"))]
    pub events: Vec<String>,
}

/// How a channel delivers: `webhook`, an HTTPS POST of the event signed as
/// Standard Webhooks specify; `slack`, a message to a Slack incoming webhook.
// (No docs on the variants: the schema would list them as `oneOf`, not `enum`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Webhook,
    Slack,
}

impl ChannelKind {
    /// Every kind, so a reader without serde can look names up.
    pub const ALL: [ChannelKind; 2] = [ChannelKind::Webhook, ChannelKind::Slack];

    /// The kind `as_str` names, which is also its name in playbooks.
    pub fn from_name(name: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
        }
    }
}

/// Account ownership. The edge looks earlier leads up; this says how far back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawOwnership {
    /// A domain whose earlier lead went to a rep within this many days goes
    /// to that rep again; 0 turns this off.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub days: u32,
    /// The same email on the same form within this many days is a new touch
    /// on the existing lead, not a new lead.
    #[serde(default = "thirty", skip_serializing_if = "is_thirty")]
    pub returning_days: u32,
    /// Named accounts: a domain (and its subdomains) always goes to its rep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<RawAccount>,
}

impl Default for RawOwnership {
    fn default() -> Self {
        RawOwnership {
            days: 0,
            returning_days: thirty(),
            accounts: Vec::new(),
        }
    }
}

impl RawOwnership {
    fn is_empty(&self) -> bool {
        *self == RawOwnership::default()
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
fn thirty() -> u32 {
    30
}
fn is_thirty(n: &u32) -> bool {
    *n == 30
}

/// A named account: every lead from `domain` or its subdomains goes to `rep`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    pub domain: String,
    /// A rep id.
    pub rep: String,
}

/// A piece of enablement content, sent with the leads its `when` holds for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawContent {
    pub id: String,
    pub kind: ContentKind,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// One or two lines for the rep: why this fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Which leads it fits, as in routes (`score`, `grade` and `qualified`
    /// are known); none fits every lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<RawCondition>,
}

/// What a piece of content is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    CaseStudy,
    BattleCard,
    TalkTrack,
    Other,
}

impl ContentKind {
    /// Every kind, so a reader without serde can look names up.
    pub const ALL: [ContentKind; 4] = [
        ContentKind::CaseStudy,
        ContentKind::BattleCard,
        ContentKind::TalkTrack,
        ContentKind::Other,
    ];

    /// The kind `as_str` names, which is also its name in playbooks.
    pub fn from_name(name: &str) -> Option<ContentKind> {
        ContentKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::CaseStudy => "case_study",
            ContentKind::BattleCard => "battle_card",
            ContentKind::TalkTrack => "talk_track",
            ContentKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
/// A route: leads matching `when` go to `team` or `rep`. No `when` matches everything.
pub struct RawRoute {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<RawCondition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
/// Minutes to first touch per grade, and who hears about a missed deadline.
pub struct RawSla {
    #[serde(default, skip_serializing_if = "SortedMap::is_empty")]
    pub minutes: SortedMap<u32>,
    /// A rep id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
    /// On a missed deadline, the lead also goes to the route's next rep
    /// (the one who missed it is told). Without it, only `escalate_to` hears.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reassign: bool,
}

impl RawSla {
    fn is_empty(&self) -> bool {
        self.minutes.is_empty() && self.escalate_to.is_none() && !self.reassign
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
/// The answers sales gives back about a lead.
pub struct RawOutcomes {
    /// Why a rep may reject a lead (`not a fit`, `student`); a rejection names one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reject_reasons: Vec<String>,
    /// Why a deal may be lost (`price`, `chose a competitor`); a loss names one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loss_reasons: Vec<String>,
    /// Days a feedback link in a delivery works (30 when not set, 1 to 365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_days: Option<u32>,
}

impl RawOutcomes {
    fn is_empty(&self) -> bool {
        self.reject_reasons.is_empty() && self.loss_reasons.is_empty() && self.link_days.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ALL` and `as_str` stand in for serde where serde is not linked (the
    /// widget): they must name every variant exactly as serde does.
    #[test]
    fn names_without_serde_are_serdes_names() {
        for k in FieldKind::ALL {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(FieldKind::from_name(k.as_str()), Some(k));
        }
        for o in Op::ALL {
            let json = serde_json::to_string(&o).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(Op::from_name(o.as_str()), Some(o));
        }
        for k in ChannelKind::ALL {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(ChannelKind::from_name(k.as_str()), Some(k));
        }
        for k in ContentKind::ALL {
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(ContentKind::from_name(k.as_str()), Some(k));
        }
        assert_eq!(FieldKind::from_name("Text"), None);
        assert_eq!(Op::from_name("equal"), None);
        assert_eq!(ChannelKind::from_name("email"), None);
        assert_eq!(ContentKind::from_name("case-study"), None);
    }

    /// The schema lists the variants serde knows: `ALL` must hold each of them.
    #[cfg(feature = "schema")]
    #[test]
    fn all_lists_every_variant() {
        fn names<T: schemars::JsonSchema>() -> Vec<String> {
            let schema = schemars::schema_for!(T);
            let json = serde_json::to_value(&schema).unwrap_or_default();
            let mut v: Vec<String> = json
                .get("enum")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect();
            v.sort();
            v
        }
        let mut kinds: Vec<String> = FieldKind::ALL.iter().map(|k| k.as_str().into()).collect();
        kinds.sort();
        assert_eq!(names::<FieldKind>(), kinds);
        let mut ops: Vec<String> = Op::ALL.iter().map(|o| o.as_str().into()).collect();
        ops.sort();
        assert_eq!(names::<Op>(), ops);
        let mut kinds: Vec<String> = ChannelKind::ALL.iter().map(|k| k.as_str().into()).collect();
        kinds.sort();
        assert_eq!(names::<ChannelKind>(), kinds);
        let mut kinds: Vec<String> = ContentKind::ALL.iter().map(|k| k.as_str().into()).collect();
        kinds.sort();
        assert_eq!(names::<ContentKind>(), kinds);
    }
}
