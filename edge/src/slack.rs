//! A lead as a Slack message (Block Kit, posted to an incoming webhook) that a
//! rep can act on from their phone: who, how good and why, by when, where it
//! was routed and why, what to open the call with, and a link to the lead.
//!
//! Everything a visitor typed is escaped (`&`, `<`, `>`: the only characters
//! Slack gives meaning to inside text, plain or `mrkdwn`), so no answer can open a
//! link, mention a channel or break out of its block; and every text is cut
//! to Slack's limits, so no long answer makes Slack refuse the message.

use baton::event::{AlertData, Event, EventData, LeadData, SlaMissedData, Touch};
use serde_json::{json, Value};

/// Slack's limits: a section's text, a header's text, a field's text.
const SECTION_MAX: usize = 3000;
const HEADER_MAX: usize = 150;
const FIELD_MAX: usize = 2000;
/// Reasons shown in the message; the rest are behind the lead link.
const TOP_REASONS: usize = 5;

/// The JSON body to POST to an incoming webhook. `deadline_unix` is the SLA
/// deadline in Unix seconds: Slack shows it in each reader's own time zone.
pub fn message(event: &Event, deadline_unix: Option<i64>) -> Value {
    match &event.data {
        EventData::Lead(lead) => lead_message(
            lead,
            deadline_unix,
            event.kind == baton::event::LEAD_REASSIGNED,
        ),
        EventData::Alert(alert) => alert_message(&event.kind, alert),
        EventData::SlaMissed(m) => sla_message(m, deadline_unix),
    }
}

fn lead_message(l: &LeadData, deadline_unix: Option<i64>, reassigned: bool) -> Value {
    let who = l
        .contact
        .name
        .as_deref()
        .or(l.contact.email.as_deref())
        .unwrap_or("someone");
    let kind = match (l.touch, l.qualified) {
        _ if reassigned => "Reassigned to you",
        (Touch::Returning, _) => "Came back",
        (Touch::New, true) => "Qualified lead",
        (Touch::New, false) => "New lead",
    };
    let company = l.contact.company.as_deref();
    let rep = l.rep.as_ref().map(|r| r.name.as_str());

    // The notification text: what a lock screen shows.
    let mut text = format!("{kind} ({} · {}): {who}", l.grade, l.score);
    if let Some(c) = company {
        text.push_str(&format!(", {c}"));
    }
    if let Some(r) = rep {
        text.push_str(&format!(" for {r}"));
    }

    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": cut(&esc(&format!("{kind}: {who}")), HEADER_MAX), "emoji": true }
    })];

    let mut fields = Vec::new();
    let mut field = |label: &str, value: &str| {
        fields.push(
            json!({ "type": "mrkdwn", "text": cut(&format!("*{label}*\n{value}"), FIELD_MAX) }),
        );
    };
    if let Some(c) = company {
        field("Company", &esc(c));
    }
    if let Some(t) = &l.contact.title {
        field("Title", &esc(t));
    }
    if let Some(e) = &l.contact.email {
        field("Email", &esc(e));
    }
    if let Some(p) = &l.contact.phone {
        field("Phone", &esc(p));
    }
    let verdict = if l.qualified {
        "qualified"
    } else {
        "not qualified"
    };
    field(
        "Grade · score",
        &format!("*{}* · {} ({verdict})", esc(&l.grade), l.score),
    );
    if let Some(sla) = &l.sla {
        let when = match deadline_unix {
            // Slack renders the date token in the reader's zone; the text
            // after `|` is what clients that cannot render it show.
            Some(t) => format!(
                "<!date^{t}^{{date_short_pretty}} at {{time}}|{}>",
                esc(&sla.deadline)
            ),
            None => esc(&sla.deadline),
        };
        field("Follow up by", &format!("{when} ({} min SLA)", sla.minutes));
    }
    blocks.push(json!({ "type": "section", "fields": fields }));

    let mut reasons: Vec<_> = l.reasons.iter().collect();
    // The reasons that weigh most first; knock-outs before all.
    reasons.sort_by_key(|r| (!r.knockout, std::cmp::Reverse(r.points.unsigned_abs())));
    if !reasons.is_empty() {
        let mut why = String::from("*Why this lead*");
        for r in reasons.iter().take(TOP_REASONS) {
            let what = r.description.as_deref().unwrap_or(&r.rule);
            let points = if r.knockout {
                "knock-out".to_owned()
            } else {
                format!("{:+}", r.points)
            };
            // Not in `_italics_`: a `because` with underscores (`pages_seen`)
            // would end them early.
            why.push_str(&format!(
                "\n• *{points}* {} — {}",
                esc(what),
                esc(&r.because)
            ));
        }
        if reasons.len() > TOP_REASONS {
            why.push_str(&format!("\n…and {} more", reasons.len() - TOP_REASONS));
        }
        blocks.push(section(&why));
    }

    if let Some(route) = &l.route {
        let to = route
            .team_name
            .as_deref()
            .or(route.team.as_deref())
            .unwrap_or(&route.route);
        let mut r = format!("*Routed to* {}", esc(to));
        if let Some(name) = rep {
            r.push_str(&format!(" → *{}*", esc(name)));
        }
        r.push_str(&format!("\n{}", esc(&route.because)));
        blocks.push(section(&r));
    }

    if !l.content.is_empty() {
        let mut c = String::from("*Open the call with*");
        for item in &l.content {
            let title = esc(&item.title);
            let line = match &item.url {
                Some(u) if is_web_url(u) => format!("<{}|{title}>", esc(u)),
                _ => title,
            };
            c.push_str(&format!("\n• {line} ({})", item.kind.replace('_', " ")));
            if let Some(s) = &item.summary {
                c.push_str(&format!(" — {}", esc(s)));
            }
        }
        blocks.push(section(&c));
    }

    let mut context = Vec::new();
    let utm = &l.context.utm;
    let source: Vec<String> = [&utm.source, &utm.medium, &utm.campaign]
        .into_iter()
        .flatten()
        .map(|s| esc(s))
        .collect();
    if !source.is_empty() {
        context.push(format!("Source: {}", source.join(" / ")));
    }
    if let Some(r) = &l.context.referrer {
        context.push(format!("Referrer: {}", esc(r)));
    }
    if let Some(p) = &l.context.page_url {
        context.push(format!("Landing page: {}", esc(p)));
    }
    if !l.context.pages_seen.is_empty() {
        let pages: Vec<String> = l
            .context
            .pages_seen
            .iter()
            .take(5)
            .map(|p| esc(p))
            .collect();
        context.push(format!(
            "Pages seen ({}): {}",
            l.context.pages_seen.len(),
            pages.join(", ")
        ));
    }
    if l.agreement == baton::event::Agreement::Mismatch {
        context.push(":warning: the browser's verdict differed from the edge's".to_owned());
    }
    if !context.is_empty() {
        let elements: Vec<Value> = context
            .iter()
            // A context block holds at most 10 elements.
            .take(10)
            .map(|t| json!({ "type": "mrkdwn", "text": cut(t, FIELD_MAX) }))
            .collect();
        blocks.push(json!({ "type": "context", "elements": elements }));
    }

    // One tap records what the rep did (the link's page asks to confirm, so
    // Slack's own link checks record nothing); the lead itself last.
    let mut buttons: Vec<Value> = Vec::new();
    if let Some(f) = &l.feedback {
        use baton::outcome::Action;
        for a in Action::ALL {
            let url = f.get(a);
            if !is_web_url(url) || url.len() > 3000 {
                continue;
            }
            let mut b = json!({
                "type": "button",
                "action_id": format!("baton_{}", a.as_str()),
                "text": { "type": "plain_text", "text": a.label() },
                "url": url,
            });
            match a {
                Action::Accepted => b["style"] = json!("primary"),
                Action::Rejected => b["style"] = json!("danger"),
                _ => {}
            }
            buttons.push(b);
        }
    }
    let mut open = json!({
        "type": "button",
        "action_id": "baton_open",
        "text": { "type": "plain_text", "text": "Open lead" },
        "url": l.lead_url,
    });
    if buttons.is_empty() {
        open["style"] = json!("primary");
    }
    buttons.push(open);
    blocks.push(json!({ "type": "actions", "elements": buttons }));

    json!({ "text": cut(&esc(&text), SECTION_MAX), "blocks": blocks })
}

fn alert_message(kind: &str, a: &AlertData) -> Value {
    let what = if kind == baton::event::CHANNEL_DISABLED {
        "Channel turned off (410 Gone)"
    } else {
        "Lead not delivered"
    };
    let mut body = format!(
        ":rotating_light: *{what}*\nLead `{}` could not reach `{}` after {} attempt{}.\nLast error: {}",
        esc(&a.lead_id),
        esc(&a.channel),
        a.attempts,
        if a.attempts == 1 { "" } else { "s" },
        esc(&a.last_error)
    );
    if let Some(r) = &a.rep {
        body.push_str(&format!("\nIt was meant for *{}*.", esc(&r.name)));
    }
    json!({
        "text": cut(&format!("{what}: lead {}", esc(&a.lead_id)), SECTION_MAX),
        "blocks": [
            section(&body),
            { "type": "actions", "elements": [{
                "type": "button",
                "text": { "type": "plain_text", "text": "Open lead" },
                "url": a.lead_url,
                "style": "danger"
            }]}
        ]
    })
}

/// A missed deadline, for the escalation contact and the rep who missed it.
fn sla_message(m: &SlaMissedData, due_unix: Option<i64>) -> Value {
    let who = m
        .contact
        .name
        .as_deref()
        .or(m.contact.email.as_deref())
        .unwrap_or("a lead");
    // Slack shows the time in each reader's zone; the fallback is UTC.
    let due = match due_unix {
        Some(u) => format!(
            "<!date^{u}^{{date_short_pretty}} {{time}}|{}>",
            esc(&m.due_at)
        ),
        None => esc(&m.due_at),
    };
    let mut body = format!(
        ":alarm_clock: *Follow-up deadline missed*\n*{}*{} (grade {}, {} points) was not touched within {} minutes (due {due}).",
        esc(who),
        m.contact
            .company
            .as_deref()
            .map(|c| format!(", {}", esc(c)))
            .unwrap_or_default(),
        esc(&m.grade),
        m.score,
        m.minutes,
    );
    if let Some(r) = &m.missed_by {
        body.push_str(&format!("\nIt was with *{}*.", esc(&r.name)));
    }
    match &m.reassigned_to {
        Some(r) => body.push_str(&format!(" It now goes to *{}*.", esc(&r.name))),
        None => body.push_str(" Nobody else was given it: please step in."),
    }
    json!({
        "text": cut(&format!("Deadline missed: {}", esc(who)), SECTION_MAX),
        "blocks": [
            section(&body),
            { "type": "actions", "elements": [{
                "type": "button",
                "action_id": "baton_open",
                "text": { "type": "plain_text", "text": "Open lead" },
                "url": m.lead_url,
                "style": "danger"
            }]}
        ]
    })
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": cut(text, SECTION_MAX) } })
}

/// Slack's escaping for text: `&`, `<` and `>` are the control characters.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn is_web_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://")) && !u.contains(['|', '<', '>', ' '])
}

/// At most `max` characters, ending in `…` when cut, never inside an escape.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    // An `&amp;` cut in half would show as text: drop the partial entity.
    if let Some(amp) = out.rfind('&') {
        if !out[amp..].contains(';') {
            out.truncate(amp);
        }
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton::event::{Agreement, Contact, ContentRef};

    fn lead(name: &str) -> LeadData {
        LeadData {
            v: 1,
            lead_id: "L1".into(),
            form: "demo".into(),
            form_name: "Demo".into(),
            created_at: "2026-12-02T10:00:00.000Z".into(),
            lead_url: "https://edge.example/v1/leads/L1".into(),
            touch: Touch::New,
            contact: Contact {
                name: Some(name.into()),
                company: Some("Acme & Sons".into()),
                ..Contact::default()
            },
            answers: vec![],
            score: 80,
            grade: "A".into(),
            qualified: true,
            knocked_out: None,
            reasons: (0..7)
                .map(|i| baton::wire::Reason {
                    rule: format!("r{i}"),
                    points: i * 5,
                    knockout: false,
                    description: Some(format!("rule {i}")),
                    because: "because".into(),
                })
                .collect(),
            playbook_version: "v".into(),
            route: None,
            rep: None,
            sla: Some(baton::event::Sla {
                minutes: 15,
                deadline: "2026-12-02T10:15:00.000Z".into(),
                escalate_to: None,
            }),
            context: Default::default(),
            agreement: Agreement::Mismatch,
            content: vec![ContentRef {
                id: "c".into(),
                kind: "case_study".into(),
                title: "How <Globex> forecasts".into(),
                url: Some("https://x.example/c".into()),
                summary: None,
            }],
            feedback: None,
        }
    }

    fn event(l: LeadData) -> Event {
        Event {
            kind: "lead.qualified".into(),
            timestamp: l.created_at.clone(),
            data: EventData::Lead(Box::new(l)),
        }
    }

    fn texts(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
            Value::Object(o) => o.values().for_each(|x| texts(x, out)),
            _ => {}
        }
    }

    #[test]
    fn a_missed_deadline_names_the_lead_who_missed_it_and_who_has_it_now() {
        let rep = |id: &str, name: &str| baton::event::RepRef {
            id: id.into(),
            name: name.into(),
            email: None,
            booking_url: None,
        };
        let mut m = SlaMissedData {
            v: 1,
            lead_id: "L1".into(),
            lead_url: "https://edge.example/v1/leads/L1".into(),
            contact: Contact {
                name: Some("<!here> Ada".into()),
                company: Some("Acme & Sons".into()),
                ..Contact::default()
            },
            grade: "A".into(),
            score: 80,
            minutes: 15,
            due_at: "2026-12-02T10:15:00.000Z".into(),
            missed_by: Some(rep("ana", "Ana Souza")),
            reassigned_to: Some(rep("jonas", "Jonas Weber")),
        };
        let event = |m: &SlaMissedData| Event {
            kind: "sla.missed".into(),
            timestamp: "2026-12-02T10:16:00.000Z".into(),
            data: EventData::SlaMissed(Box::new(m.clone())),
        };
        let text = message(&event(&m), Some(1_764_670_500)).to_string();
        for bit in [
            "deadline missed",
            "&lt;!here&gt; Ada",
            "Acme &amp; Sons",
            "within 15 minutes",
            "<!date^1764670500^",
            "It was with *Ana Souza*",
            "now goes to *Jonas Weber*",
        ] {
            assert!(text.contains(bit), "{bit} in {text}");
        }
        assert!(!text.contains("<!here>"));
        m.reassigned_to = None;
        let text = message(&event(&m), None).to_string();
        assert!(text.contains("please step in"), "{text}");
    }

    #[test]
    fn a_visitors_text_cannot_open_a_link_or_mention_anyone() {
        let msg = message(
            &event(lead("<!channel> <https://evil.example|click>")),
            Some(1_764_670_500),
        );
        let mut all = Vec::new();
        texts(&msg, &mut all);
        let joined = all.join("\n");
        assert!(!joined.contains("<!channel>"), "{joined}");
        assert!(!joined.contains("<https://evil"), "{joined}");
        assert!(joined.contains("&lt;!channel&gt;"));
        assert!(joined.contains("Acme &amp; Sons"));
        // Our own markup survives: the deadline token and the content link.
        assert!(joined.contains("<!date^1764670500^"));
        assert!(joined.contains("<https://x.example/c|How &lt;Globex&gt; forecasts>"));
        assert!(joined.contains("browser's verdict differed"));
    }

    #[test]
    fn top_reasons_first_and_long_text_cut_to_slacks_limits() {
        let msg = message(&event(lead(&"x".repeat(5000))), None);
        let blocks = msg["blocks"].as_array().cloned().unwrap_or_default();
        assert!(blocks.len() <= 50);
        let header = blocks[0]["text"]["text"].as_str().unwrap_or("");
        assert!(header.chars().count() <= HEADER_MAX);
        assert!(header.ends_with('…'));
        let why = blocks
            .iter()
            .filter_map(|b| b["text"]["text"].as_str())
            .find(|t| t.starts_with("*Why this lead*"))
            .unwrap_or("");
        // 7 reasons, heaviest first, 5 shown.
        assert!(why.find("rule 6").unwrap_or(usize::MAX) < why.find("rule 5").unwrap_or(0));
        assert!(!why.contains("rule 1 "));
        assert!(why.contains("and 2 more"));
        assert!(msg["text"].as_str().unwrap_or("").chars().count() <= SECTION_MAX);
    }

    #[test]
    fn cutting_never_leaves_half_an_escape() {
        assert_eq!(cut("ab&amp;", 5), "ab…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("äöüß", 3), "äö…");
    }
}
