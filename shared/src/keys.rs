//! Reading a playbook's text: every unknown key is reported at once with its
//! path and the key it probably meant, before serde sees the document.

use serde_json::Value as Json;

use crate::problem::{Problem, Problems, Report};
use crate::raw::RawPlaybook;

const TOP: &[&str] = &[
    "id",
    "name",
    "default_locale",
    "allowed_origins",
    "text",
    "fields",
    "steps",
    "rules",
    "grades",
    "reps",
    "teams",
    "routes",
    "sla",
    "outcomes",
    "ownership",
    "content",
    "privacy",
    "experiment",
    "published",
];
const TEXT: &[&str] = &[
    "title",
    "intro",
    "submit",
    "next",
    "back",
    "thank_you",
    "qualified",
    "knocked_out",
    "book_meeting",
];
const FIELD: &[&str] = &[
    "id",
    "kind",
    "label",
    "required",
    "help",
    "placeholder",
    "options",
    "min",
    "max",
    "max_length",
    "param",
];
const OPTION: &[&str] = &["value", "label"];
const STEP: &[&str] = &["id", "title", "fields"];
const RULE: &[&str] = &[
    "id",
    "description",
    "points",
    "knockout",
    "visibility",
    "when",
];
const COND: &[&str] = &["all", "any", "not", "field", "fact", "op", "value"];
const GRADE: &[&str] = &["grade", "min_score", "qualified"];
const REP: &[&str] = &[
    "id",
    "name",
    "email",
    "channels",
    "booking_url",
    "weight",
    "active",
];
const TEAM: &[&str] = &["id", "name", "reps", "channels"];
const CHANNEL: &[&str] = &["kind", "url", "secret", "id", "events"];
const ROUTE: &[&str] = &["id", "description", "when", "team", "rep"];
const SLA: &[&str] = &["minutes", "escalate_to", "reassign"];
const OUTCOMES: &[&str] = &["reject_reasons", "loss_reasons", "link_days"];
const EXPERIMENT: &[&str] = &["id", "variant", "share"];
const PRIVACY: &[&str] = &["retain_days"];
const ARMS: &[&str] = &["id", "control", "variant", "share"];
const OWNERSHIP: &[&str] = &["days", "returning_days", "accounts"];
const ACCOUNT: &[&str] = &["domain", "rep"];
const CONTENT: &[&str] = &["id", "kind", "title", "url", "summary", "when"];
/// Keys that were replaced: what to write instead.
const MOVED: &[(&str, &str)] = &[
    (
        "webhook_url",
        "webhooks are channels now: `channels = [{ kind = \"webhook\", url = \"env:WEBHOOK_URL_…\", secret = \"env:WEBHOOK_SECRET_…\" }]`",
    ),
    (
        "slack_webhook_url",
        "Slack is a channel now: `channels = [{ kind = \"slack\", url = \"env:SLACK_URL_…\" }]`",
    ),
];
const PUBLISHED: &[&str] = &["version", "edge_rules_removed", "edge_fields", "experiment"];

pub(crate) fn parse_json(src: &str) -> Result<RawPlaybook, Problems> {
    let doc: Json = serde_json::from_str(src).map_err(|e| {
        one(
            "",
            format!("not valid JSON: {e}"),
            Some("check the line and column named"),
        )
    })?;
    from_document(doc)
}

#[cfg(feature = "toml")]
pub(crate) fn parse_toml(src: &str) -> Result<RawPlaybook, Problems> {
    let doc: Json = toml::from_str(src).map_err(|e| {
        let msg = e.message().to_owned();
        let at = e
            .span()
            .map(|s| {
                let line = src.get(..s.start).map_or(0, |p| p.matches('\n').count()) + 1;
                format!("line {line}")
            })
            .unwrap_or_default();
        one(&at, format!("not valid TOML: {msg}"), None)
    })?;
    from_document(doc)
}

fn one(path: &str, message: String, hint: Option<&str>) -> Problems {
    Problems(vec![Problem {
        path: path.to_owned(),
        message,
        hint: hint.map(str::to_owned),
    }])
}

/// Checks keys everywhere, then lets serde build the typed playbook.
pub(crate) fn from_document(doc: Json) -> Result<RawPlaybook, Problems> {
    let mut r = Report::default();
    walk_keys(&mut r, &doc);
    if !r.problems.is_empty() {
        return Err(Problems(r.problems));
    }
    serde_path_to_error::deserialize(crate::strict::Strict(&doc)).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        one(&path, e.into_inner().to_string(), None)
    })
}

fn keys(r: &mut Report, path: &str, v: &Json, known: &[&str]) {
    if let Json::Object(m) = v {
        for k in m.keys() {
            if !known.contains(&k.as_str()) {
                let at = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match MOVED.iter().find(|(old, _)| old == k) {
                    Some((_, instead)) => r.hint(at, format!("unknown key `{k}`"), *instead),
                    None => r.unknown(at, format!("unknown key `{k}`"), k, known.iter().copied()),
                }
            }
        }
    }
}

fn each<'a>(v: &'a Json, key: &str) -> impl Iterator<Item = (usize, &'a Json)> {
    v.get(key)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

fn walk_keys(r: &mut Report, doc: &Json) {
    keys(r, "", doc, TOP);
    if let Some(Json::Object(text)) = doc.get("text") {
        for (loc, t) in text {
            keys(r, &format!("text.{loc}"), t, TEXT);
        }
    }
    for (i, f) in each(doc, "fields") {
        let p = format!("fields[{i}]");
        keys(r, &p, f, FIELD);
        for (j, o) in each(f, "options") {
            keys(r, &format!("{p}.options[{j}]"), o, OPTION);
        }
    }
    for (i, s) in each(doc, "steps") {
        keys(r, &format!("steps[{i}]"), s, STEP);
    }
    for (i, rule) in each(doc, "rules") {
        let p = format!("rules[{i}]");
        keys(r, &p, rule, RULE);
        if let Some(w) = rule.get("when") {
            cond_keys(r, &format!("{p}.when"), w, 0);
        }
    }
    for (i, g) in each(doc, "grades") {
        keys(r, &format!("grades[{i}]"), g, GRADE);
    }
    for (i, x) in each(doc, "reps") {
        let p = format!("reps[{i}]");
        keys(r, &p, x, REP);
        for (j, c) in each(x, "channels") {
            keys(r, &format!("{p}.channels[{j}]"), c, CHANNEL);
        }
    }
    for (i, t) in each(doc, "teams") {
        let p = format!("teams[{i}]");
        keys(r, &p, t, TEAM);
        for (j, c) in each(t, "channels") {
            keys(r, &format!("{p}.channels[{j}]"), c, CHANNEL);
        }
    }
    for (i, route) in each(doc, "routes") {
        let p = format!("routes[{i}]");
        keys(r, &p, route, ROUTE);
        if let Some(w) = route.get("when") {
            cond_keys(r, &format!("{p}.when"), w, 0);
        }
    }
    if let Some(s) = doc.get("sla") {
        keys(r, "sla", s, SLA);
    }
    if let Some(o) = doc.get("outcomes") {
        keys(r, "outcomes", o, OUTCOMES);
    }
    if let Some(o) = doc.get("ownership") {
        keys(r, "ownership", o, OWNERSHIP);
        for (i, a) in each(o, "accounts") {
            keys(r, &format!("ownership.accounts[{i}]"), a, ACCOUNT);
        }
    }
    for (i, c) in each(doc, "content") {
        let p = format!("content[{i}]");
        keys(r, &p, c, CONTENT);
        if let Some(w) = c.get("when") {
            cond_keys(r, &format!("{p}.when"), w, 0);
        }
    }
    if let Some(p) = doc.get("privacy") {
        keys(r, "privacy", p, PRIVACY);
    }
    if let Some(e) = doc.get("experiment") {
        keys(r, "experiment", e, EXPERIMENT);
    }
    if let Some(p) = doc.get("published") {
        keys(r, "published", p, PUBLISHED);
        if let Some(a) = p.get("experiment") {
            keys(r, "published.experiment", a, ARMS);
        }
    }
}

/// Deeper than this is no condition a person wrote; it would only exhaust the stack.
const MAX_DEPTH: u32 = 32;

fn cond_keys(r: &mut Report, path: &str, c: &Json, depth: u32) {
    if depth > MAX_DEPTH {
        r.add(
            path,
            format!("conditions nest deeper than {MAX_DEPTH} levels"),
        );
        return;
    }
    keys(r, path, c, COND);
    for key in ["all", "any"] {
        for (i, sub) in each(c, key) {
            cond_keys(r, &format!("{path}.{key}[{i}]"), sub, depth + 1);
        }
    }
    if let Some(n) = c.get("not") {
        cond_keys(r, &format!("{path}.not"), n, depth + 1);
    }
}
