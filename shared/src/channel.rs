//! Delivery channels: where the edge sends the leads of a rep or a team (a
//! signed webhook, a Slack incoming webhook) and which events each takes.
//!
//! A channel's URL and signing secret are credentials, and the playbook is
//! kept in git and hashed into every decision's version: it only names the
//! Worker secrets that hold them (`env:NAME`). Compile refuses a literal
//! secret, a literal Slack URL and a webhook URL that carries credentials.

use serde::{Deserialize, Serialize};

use crate::compile::{valid_id, DIAGNOSTICS};
use crate::map::SortedMap;
use crate::playbook::{Playbook, Rep, Route, Target, Team};
use crate::problem::{Problem, Report};
use crate::raw::{ChannelKind, RawChannel};
use crate::wire::RouteChoice;

/// What happened, as channels subscribe to it: `lead.created` (a lead was
/// stored; a qualified one is `lead.qualified` instead), `lead.qualified`,
/// `delivery.failed` (a delivery gave up after its retries) and
/// `channel.disabled` (a channel was turned off after failing again and again).
// (No docs on the variants: the schema would list them as `oneOf`, not `enum`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum EventType {
    #[serde(rename = "lead.created")]
    LeadCreated,
    #[serde(rename = "lead.qualified")]
    LeadQualified,
    #[serde(rename = "delivery.failed")]
    DeliveryFailed,
    #[serde(rename = "channel.disabled")]
    ChannelDisabled,
    #[serde(rename = "sla.missed")]
    SlaMissed,
    #[serde(rename = "lead.reassigned")]
    LeadReassigned,
}

impl EventType {
    /// Every event type, so names can be looked up without serde.
    pub const ALL: [EventType; 6] = [
        EventType::LeadCreated,
        EventType::LeadQualified,
        EventType::DeliveryFailed,
        EventType::ChannelDisabled,
        EventType::SlaMissed,
        EventType::LeadReassigned,
    ];

    /// The event type `as_str` names, which is also its name in playbooks and events.
    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::LeadCreated => "lead.created",
            EventType::LeadQualified => "lead.qualified",
            EventType::DeliveryFailed => "delivery.failed",
            EventType::ChannelDisabled => "channel.disabled",
            EventType::SlaMissed => "sla.missed",
            EventType::LeadReassigned => "lead.reassigned",
        }
    }
}

/// A value the playbook names or, where that is safe, holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// The Worker secret (or variable) of this name: `env:WEBHOOK_URL_ANA`.
    Env(String),
    /// Written in the playbook: only ever a webhook URL without credentials.
    Literal(String),
}

impl Setting {
    fn of(s: &str) -> Setting {
        match s.strip_prefix("env:") {
            Some(name) => Setting::Env(name.to_owned()),
            None => Setting::Literal(s.to_owned()),
        }
    }
}

/// A compiled channel of a rep or a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Owner kind, owner id and channel id: `rep:ana:webhook`,
    /// `team:growth:slack`. Unique in a playbook: the edge keys delivery
    /// state (failures, disabling) by it.
    pub id: String,
    pub kind: ChannelKind,
    pub url: Setting,
    /// Name of the Worker secret that holds the signing secret (webhooks).
    pub secret: Option<String>,
    /// The events it takes; empty takes every event.
    pub events: Vec<EventType>,
}

impl Channel {
    /// Whether this channel takes events of type `e`.
    pub fn wants(&self, e: EventType) -> bool {
        self.events.is_empty() || self.events.contains(&e)
    }
}

/// Who a channel belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    Rep,
    Team,
}

impl Holder {
    fn as_str(self) -> &'static str {
        match self {
            Holder::Rep => "rep",
            Holder::Team => "team",
        }
    }
}

/// Compiles the `channels` of rep or team `owner`, which stands at `path`
/// (`reps[0]`), reporting every problem.
pub(crate) fn compile(
    r: &mut Report,
    path: &str,
    holder: Holder,
    owner: &str,
    raw: &[RawChannel],
) -> Vec<Channel> {
    // Only the edge delivers: without `sales` (the widget) channels stay
    // empty and none of this code ships to landing pages.
    if !cfg!(feature = "sales") {
        return Vec::new();
    }
    let mut seen = SortedMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        let p = format!("{path}.channels[{i}]");
        let id = c.id.as_deref().unwrap_or(c.kind.as_str());
        if DIAGNOSTICS {
            let at = if c.id.is_some() {
                format!("{p}.id")
            } else {
                p.clone()
            };
            if !valid_id(id) {
                r.hint(
                    at,
                    format!("`{id}` is not a usable channel id"),
                    "use 1 to 64 letters, digits, `-`, `_` or `.`",
                );
            } else if seen.insert(id.to_owned(), ()).is_some() {
                r.hint(
                    at,
                    format!("{} `{owner}` already has a channel `{id}`", holder.as_str()),
                    "give each channel of the same kind its own `id`",
                );
            }
            check_url(r, &p, c, owner);
            check_secret(r, &p, c, owner);
        }
        let events = events(r, &p, &c.events);
        out.push(Channel {
            id: format!("{}:{owner}:{id}", holder.as_str()),
            kind: c.kind,
            url: Setting::of(&c.url),
            secret: c
                .secret
                .as_deref()
                .and_then(|s| s.strip_prefix("env:"))
                .map(str::to_owned),
            events,
        });
    }
    out
}

/// The event names, each known and listed once.
fn events(r: &mut Report, path: &str, names: &[String]) -> Vec<EventType> {
    let mut out = Vec::with_capacity(names.len());
    for (j, n) in names.iter().enumerate() {
        let p = format!("{path}.events[{j}]");
        match EventType::from_name(n) {
            Some(e) if out.contains(&e) => {
                if DIAGNOSTICS {
                    r.add(p, format!("event `{n}` is listed twice"));
                }
            }
            Some(e) => out.push(e),
            None => r.unknown(
                p,
                format!("unknown event `{n}`"),
                n,
                EventType::ALL.iter().map(|e| e.as_str()),
            ),
        }
    }
    out
}

/// `NAME` of `env:NAME`: what `wrangler secret put` and `.dev.vars` take.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The secret's name hints suggest: `WEBHOOK_URL_ANA`, `SLACK_URL_EMEA_ENTERPRISE`,
/// with the channel's own id when it has one (`WEBHOOK_URL_ANA_CRM`).
fn suggested(what: &str, owner: &str, c: &RawChannel) -> String {
    let mut name = format!("{what}_{owner}");
    if let Some(id) = &c.id {
        name.push('_');
        name.push_str(id);
    }
    name.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() {
                ch.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Where a credential goes instead of the playbook, and what to write there.
fn kept_as_secret(key: &str, name: &str) -> String {
    format!(
        "put it in the Worker's secrets (`wrangler secret put {name}`, `.dev.vars` locally) and write `{key} = \"env:{name}\"`"
    )
}

// Messages below never quote the URL or the secret: they are credentials, and
// problems end up in CI logs and in the edge's answers.
fn check_url(r: &mut Report, p: &str, c: &RawChannel, owner: &str) {
    let path = format!("{p}.url");
    let what = match c.kind {
        ChannelKind::Webhook => "WEBHOOK_URL",
        ChannelKind::Slack => "SLACK_URL",
    };
    let name = suggested(what, owner, c);
    if let Some(var) = c.url.strip_prefix("env:") {
        if !is_env_name(var) {
            r.hint(
                path,
                format!("`{var}` is not an environment variable name"),
                format!("use capitals, digits and `_`, e.g. `env:{name}`"),
            );
        }
        return;
    }
    if c.kind == ChannelKind::Slack {
        r.hint(
            path,
            "a Slack webhook URL is itself a credential: it must not be written in the playbook",
            kept_as_secret("url", &name),
        );
        return;
    }
    let (rest, local_only) = match c.url.strip_prefix("https://") {
        Some(rest) => (rest, false),
        None => match c.url.strip_prefix("http://") {
            Some(rest) => (rest, true),
            None => {
                r.hint(
                    path,
                    "a webhook `url` is `env:NAME` or an `https://` address",
                    kept_as_secret("url", &name),
                );
                return;
            }
        },
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        r.hint(
            path,
            "this webhook URL carries credentials (`user:password@`)",
            kept_as_secret("url", &name),
        );
        return;
    }
    if c.url.contains('?') {
        r.hint(
            path,
            "this webhook URL has a query string, where tokens hide",
            kept_as_secret("url", &name),
        );
        return;
    }
    // `[::1]:8787` keeps its brackets, `localhost:8787` loses its port.
    let host = match authority.find(']') {
        Some(end) if authority.starts_with('[') => authority.get(..=end).unwrap_or(""),
        _ => authority.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        r.hint(
            path,
            "this webhook URL has no host",
            "write `https://host/path` or `env:NAME`",
        );
    } else if local_only && !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        r.hint(
            path,
            format!("`http://` is only for `localhost`; `{host}` needs `https://`"),
            "leads are personal data: send them encrypted",
        );
    }
}

fn check_secret(r: &mut Report, p: &str, c: &RawChannel, owner: &str) {
    let name = suggested("WEBHOOK_SECRET", owner, c);
    match (c.kind, c.secret.as_deref()) {
        (ChannelKind::Webhook, None) => r.hint(
            p,
            "a webhook channel needs a signing `secret`",
            format!(
                "every delivery is signed (Standard Webhooks): make a `whsec_…` secret, {}",
                kept_as_secret("secret", &name)
            ),
        ),
        (ChannelKind::Slack, Some(_)) => r.hint(
            format!("{p}.secret"),
            "a Slack channel takes no `secret`",
            "remove it: Slack's incoming webhooks are not signed",
        ),
        (ChannelKind::Webhook, Some(s)) => match s.strip_prefix("env:") {
            Some(var) if is_env_name(var) => {}
            Some(var) => r.hint(
                format!("{p}.secret"),
                format!("`{var}` is not an environment variable name"),
                format!("use capitals, digits and `_`, e.g. `env:{name}`"),
            ),
            None => r.hint(
                format!("{p}.secret"),
                "a signing secret must not be written in the playbook",
                kept_as_secret("secret", &name),
            ),
        },
        (ChannelKind::Slack, None) => {}
    }
}

/// Whether leads routed to `target` reach any channel: the team's own or
/// any of its reps', or the rep's.
fn reached(target: &Target, reps: &[Rep], teams: &[Team]) -> bool {
    let rep_has = |k: u16| {
        reps.get(usize::from(k))
            .is_some_and(|x| !x.channels.is_empty())
    };
    match *target {
        Target::Team(t) => teams
            .get(usize::from(t))
            .is_some_and(|t| !t.channels.is_empty() || t.reps.iter().any(|&k| rep_has(k))),
        Target::Rep(k) => rep_has(k),
    }
}

/// What `Playbook::warnings` lists: a playbook that compiles but whose leads
/// would reach nobody. Never for a public copy, which has no channels at all.
pub(crate) fn warnings(
    reps: &[Rep],
    teams: &[Team],
    routes: &[Route],
    escalate_to: Option<&str>,
) -> Vec<Problem> {
    let mut r = Report::default();
    if !DIAGNOSTICS || !cfg!(feature = "sales") {
        return r.problems;
    }
    for (i, route) in routes.iter().enumerate() {
        if !reached(&route.target, reps, teams) {
            r.hint(
                format!("routes[{i}]"),
                format!(
                    "route `{}` has no channel: its leads are stored but reach nobody",
                    route.id
                ),
                "give the rep or team a `channels` entry",
            );
        }
    }
    if let Some(rep) = escalate_to.and_then(|e| reps.iter().find(|x| x.id == e)) {
        if rep.channels.is_empty() {
            r.hint(
                "sla.escalate_to",
                format!(
                    "rep `{}` has no channel: missed deadlines and failed deliveries reach nobody",
                    rep.id
                ),
                "give the rep a `channels` entry",
            );
        }
    }
    r.problems
}

impl Playbook {
    /// Where the edge delivers a lead that took `route` and went to `rep`
    /// (the rep picked, if anyone was): that rep's channels, then the
    /// route's team's, or, for a route that names a rep, that rep's. Each
    /// channel once, in that order; filter them with [`Channel::wants`].
    pub fn channels_for(&self, route: &RouteChoice, rep: Option<&str>) -> Vec<&Channel> {
        let picked = rep.and_then(|id| self.rep(id));
        let mut out: Vec<&Channel> = picked
            .map(|r| r.channels.iter().collect())
            .unwrap_or_default();
        match self
            .routes
            .iter()
            .find(|r| r.id == route.route)
            .map(|r| &r.target)
        {
            Some(Target::Team(t)) => {
                if let Some(team) = self.teams.get(usize::from(*t)) {
                    out.extend(&team.channels);
                }
            }
            Some(Target::Rep(k)) => {
                if let Some(r) = self.reps.get(usize::from(*k)) {
                    if picked.is_none_or(|p| p.id != r.id) {
                        out.extend(&r.channels);
                    }
                }
            }
            None => {}
        }
        out
    }

    /// The channels of the last route, the fallback: its team's and then
    /// each of its reps' (paused ones too: this is who hears when nothing
    /// else worked), or its rep's. Where a failed delivery is reported when
    /// the playbook has no [`Playbook::escalation`] rep to tell.
    pub fn fallback_channels(&self) -> Vec<&Channel> {
        let mut out: Vec<&Channel> = Vec::new();
        let rep = |k: &u16| self.reps.get(usize::from(*k));
        match self.routes.last().map(|r| &r.target) {
            Some(Target::Team(t)) => {
                if let Some(team) = self.teams.get(usize::from(*t)) {
                    out.extend(&team.channels);
                    for r in team.reps.iter().filter_map(rep) {
                        out.extend(&r.channels);
                    }
                }
            }
            Some(Target::Rep(k)) => {
                if let Some(r) = rep(k) {
                    out.extend(&r.channels);
                }
            }
            None => {}
        }
        out
    }

    /// The rep told when a lead misses its SLA (`sla.escalate_to`), if any.
    pub fn escalation(&self) -> Option<&Rep> {
        self.escalate_to.as_deref().and_then(|id| self.rep(id))
    }
}

#[cfg(all(test, feature = "sales"))]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Ana has a webhook and a Slack channel, Bo a literal webhook, Cy none;
    /// `sales` (Ana, Bo) and `desk` (Bo, Cy) each post to Slack.
    const PLAYBOOK: &str = r#"{
        "id": "t", "name": "T",
        "fields": [{"id": "employees", "kind": "number", "label": "Employees"}],
        "rules": [{"id": "big", "points": 10, "when": {"field": "employees", "op": "at_least", "value": 100}}],
        "grades": [{"grade": "A", "min_score": 10, "qualified": true}, {"grade": "B"}],
        "reps": [
            {"id": "ana", "name": "Ana", "channels": [
                {"kind": "webhook", "url": "env:WEBHOOK_URL_ANA", "secret": "env:WEBHOOK_SECRET_ANA"},
                {"kind": "slack", "url": "env:SLACK_URL_ANA", "events": ["lead.qualified"]}
            ]},
            {"id": "bo", "name": "Bo", "channels": [
                {"kind": "webhook", "url": "https://crm.example/in", "secret": "env:WEBHOOK_SECRET_BO"}
            ]},
            {"id": "cy", "name": "Cy"}
        ],
        "teams": [
            {"id": "sales", "name": "Sales", "reps": ["ana", "bo"],
             "channels": [{"kind": "slack", "url": "env:SLACK_URL_SALES"}]},
            {"id": "desk", "name": "Desk", "reps": ["bo", "cy"],
             "channels": [{"kind": "slack", "id": "alerts", "url": "env:SLACK_URL_DESK", "events": ["delivery.failed"]}]}
        ],
        "routes": [
            {"id": "big", "team": "sales", "when": {"fact": "qualified", "op": "equals", "value": true}},
            {"id": "direct", "rep": "ana", "when": {"field": "employees", "op": "at_least", "value": 50}},
            {"id": "fallback", "team": "desk"}
        ],
        "sla": {"escalate_to": "bo"}
    }"#;

    fn playbook() -> Playbook {
        crate::parse_json(PLAYBOOK).unwrap_or_else(|p| unreachable!("{p}"))
    }

    fn route(id: &str) -> RouteChoice {
        RouteChoice {
            route: id.into(),
            team: None,
            team_name: None,
            candidates: Vec::new(),
            because: String::new(),
            passed_over: Vec::new(),
            owner: None,
        }
    }

    fn ids(channels: &[&Channel]) -> Vec<String> {
        channels.iter().map(|c| c.id.clone()).collect()
    }

    #[test]
    fn channels_compile_to_ids_settings_and_secret_names() {
        let pb = playbook();
        let ana = &pb.rep("ana").unwrap().channels;
        assert_eq!(
            ana[0],
            Channel {
                id: "rep:ana:webhook".into(),
                kind: ChannelKind::Webhook,
                url: Setting::Env("WEBHOOK_URL_ANA".into()),
                secret: Some("WEBHOOK_SECRET_ANA".into()),
                events: Vec::new(),
            }
        );
        assert_eq!(ana[1].id, "rep:ana:slack");
        assert_eq!(ana[1].events, [EventType::LeadQualified]);
        let bo = &pb.rep("bo").unwrap().channels;
        assert_eq!(bo[0].url, Setting::Literal("https://crm.example/in".into()));
        assert_eq!(pb.team_name("desk"), Some("Desk"));
        assert_eq!(pb.team_name("nobody"), None);
    }

    #[test]
    fn a_lead_reaches_the_picked_rep_then_the_routes_team() {
        let pb = playbook();
        let big = route("big");
        assert_eq!(
            ids(&pb.channels_for(&big, Some("ana"))),
            ["rep:ana:webhook", "rep:ana:slack", "team:sales:slack"]
        );
        assert_eq!(
            ids(&pb.channels_for(&big, Some("bo"))),
            ["rep:bo:webhook", "team:sales:slack"]
        );
        // Nobody available: the team still hears of it.
        assert_eq!(ids(&pb.channels_for(&big, None)), ["team:sales:slack"]);
        // A route to a rep: that rep's channels, once.
        let direct = route("direct");
        assert_eq!(
            ids(&pb.channels_for(&direct, Some("ana"))),
            ["rep:ana:webhook", "rep:ana:slack"]
        );
        // Given to its owner instead: the owner first, then the route's rep.
        assert_eq!(
            ids(&pb.channels_for(&direct, Some("bo"))),
            ["rep:bo:webhook", "rep:ana:webhook", "rep:ana:slack"]
        );
        assert!(pb.channels_for(&route("gone"), Some("cy")).is_empty());
    }

    #[test]
    fn a_decided_route_finds_its_channels() {
        let pb = playbook();
        let sub: crate::Submission =
            serde_json::from_str(r#"{"fields": {"employees": 500}}"#).unwrap();
        let d = pb.evaluate(&sub);
        let route = d.route.unwrap();
        assert_eq!(route.route, "big");
        let rep = crate::pick(&route.candidates, 1).map(|c| c.rep.as_str());
        assert_eq!(rep, Some("bo"));
        assert_eq!(
            ids(&pb.channels_for(&route, rep)),
            ["rep:bo:webhook", "team:sales:slack"]
        );
    }

    #[test]
    fn the_fallback_and_the_escalation_rep_hear_about_failures() {
        let pb = playbook();
        assert_eq!(
            ids(&pb.fallback_channels()),
            ["team:desk:alerts", "rep:bo:webhook"]
        );
        assert_eq!(pb.escalation().map(|r| r.id.as_str()), Some("bo"));
    }

    #[cfg(feature = "diagnostics")]
    #[test]
    fn routes_and_an_escalation_that_reach_nobody_are_warned_about() {
        assert!(playbook().warnings().is_empty());
        let quiet = PLAYBOOK
            .replace(r#""rep": "ana", "when""#, r#""rep": "cy", "when""#)
            .replace(r#""escalate_to": "bo""#, r#""escalate_to": "cy""#);
        let pb = crate::parse_json(&quiet).unwrap();
        let warned: Vec<String> = pb.warnings().iter().map(ToString::to_string).collect();
        assert_eq!(
            warned,
            [
                "routes[1]: route `direct` has no channel: its leads are stored but reach nobody (give the rep or team a `channels` entry)",
                "sla.escalate_to: rep `cy` has no channel: missed deadlines and failed deliveries reach nobody (give the rep a `channels` entry)",
            ]
        );
        // The public copy has no channels by design: no warnings.
        let public = crate::compile_published(pb.public()).unwrap();
        assert!(public.warnings().is_empty());
    }

    #[test]
    fn event_names_without_serde_are_serdes_names() {
        for e in EventType::ALL {
            let json = serde_json::to_string(&e).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", e.as_str()));
            assert_eq!(EventType::from_name(e.as_str()), Some(e));
        }
        assert_eq!(EventType::from_name("lead_created"), None);
    }

    /// The schema lists the event types serde knows: `ALL` must hold each.
    #[cfg(feature = "schema")]
    #[test]
    fn all_lists_every_event_type() {
        let schema = serde_json::to_value(schemars::schema_for!(EventType)).unwrap_or_default();
        let mut listed: Vec<&str> = schema["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str())
            .collect();
        listed.sort_unstable();
        let mut all: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        all.sort_unstable();
        assert_eq!(listed, all);
    }

    #[test]
    fn a_channel_without_events_wants_every_event() {
        let mut c = Channel {
            id: "rep:ana:slack".into(),
            kind: ChannelKind::Slack,
            url: Setting::Env("SLACK_URL_ANA".into()),
            secret: None,
            events: Vec::new(),
        };
        assert!(EventType::ALL.iter().all(|&e| c.wants(e)));
        c.events = vec![EventType::LeadQualified, EventType::DeliveryFailed];
        assert!(c.wants(EventType::LeadQualified));
        assert!(c.wants(EventType::DeliveryFailed));
        assert!(!c.wants(EventType::LeadCreated));
        assert!(!c.wants(EventType::ChannelDisabled));
    }

    #[test]
    fn env_names_are_what_wrangler_takes() {
        for ok in ["A", "_X", "WEBHOOK_URL_ANA", "SLACK_URL_2"] {
            assert!(is_env_name(ok), "{ok}");
        }
        for bad in ["", "2X", "webhook_url", "WEBHOOK-URL", "A B", "É"] {
            assert!(!is_env_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_literal_webhook_url_names_itself_as_literal() {
        assert_eq!(
            Setting::of("env:WEBHOOK_URL_ANA"),
            Setting::Env("WEBHOOK_URL_ANA".into())
        );
        assert_eq!(
            Setting::of("https://crm.example/in"),
            Setting::Literal("https://crm.example/in".into())
        );
    }
}
