//! From a valid form to what the visitor reads: post the lead, keep it if the
//! edge cannot be reached, and turn the edge's verdict into a closing message.

use std::rc::Rc;

use baton::raw::{FieldKind, RawText};
use baton::wire::{LeadPost, Submission, WIRE_VERSION};
use baton::Value;
use wasm_bindgen::JsValue;
use yew::{AttrValue, UseReducerDispatcher};

use crate::body;
use crate::env::{time_on_page_ms, Env};
use crate::events;
use crate::i18n::{duration, fill, Ui};
use crate::post::{self, Created, Reply};
use crate::state::{Action, Outcome, OutcomeKind, State};
use crate::store::{self, Pending};

/// Posts the visitor's answers; the browser's verdict travels along as a claim.
/// `trap`: what was typed into the form's bot trap (`HONEYPOT`), if anything.
pub async fn submit(
    env: Rc<Env>,
    mut submission: Submission,
    trap: Option<String>,
    dispatch: UseReducerDispatcher<State>,
) {
    dispatch.dispatch(Action::Sending);
    submission.context.time_on_page_ms = time_on_page_ms();
    let claimed = env.playbook.preview(&submission).claimed();
    if let Some(t) = trap {
        submission
            .fields
            .insert(baton::wire::HONEYPOT.to_owned(), Value::Text(t));
    }
    let lead = LeadPost {
        v: WIRE_VERSION,
        form: env.form.to_string(),
        submission,
        claimed: Some(claimed),
    };
    let Some(body) = body::lead_json(&lead) else {
        dispatch.dispatch(Action::Refused(env.ui.refused.into()));
        return;
    };
    let mut url = env.api.clone();
    url.push_str("/v1/leads");
    let pending = Pending {
        url,
        body,
        at: js_sys::Date::now(),
        // One key per lead: a corrected resubmission after field errors is a new lead.
        key: Some(store::new_key()),
    };
    let mut reply = post::send(&pending).await;
    if let Reply::Retry = reply {
        // Never lose a lead: it survives reloads in localStorage until sent.
        store::enqueue(&pending);
        events::error(&env, "queued", &[]);
        dispatch.dispatch(Action::Queued);
        reply = post::retry(pending).await;
    }
    match reply {
        Reply::Created(c) => {
            remember(&env, &lead.submission);
            announce_events(&env, &c);
            dispatch.dispatch(Action::Sent(Rc::new(outcome(&env.text, env.ui, &c))));
        }
        Reply::Invalid(errors) => {
            let ids: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            events::error(&env, "invalid", &ids);
            dispatch.dispatch(Action::ServerErrors(
                errors
                    .into_iter()
                    .map(|e| (AttrValue::from(e.field), AttrValue::from(e.message)))
                    .collect(),
            ))
        }
        Reply::Refused(message) => {
            events::error(&env, "refused", &[]);
            let mut m = env.ui.refused.to_owned();
            if !message.is_empty() {
                m.push(' ');
                m.push_str(&message);
            }
            dispatch.dispatch(Action::Refused(m.into()));
        }
        // Still queued: the next page load sends it.
        Reply::Retry => {}
    }
}

/// The closing message for the edge's verdict (the edge's, not the browser's).
pub fn outcome(text: &RawText, ui: &Ui, c: &Created) -> Outcome {
    let plain = |kind, t: &Option<String>| Outcome {
        kind,
        message: t.clone().unwrap_or_default().into(),
        booking: None,
    };
    if c.knocked_out {
        return plain(OutcomeKind::KnockedOut, &text.knocked_out);
    }
    let (Some(sla), true) = (c.sla_minutes, c.qualified) else {
        return plain(OutcomeKind::ThankYou, &text.thank_you);
    };
    let team = c.team_name.as_deref().unwrap_or_default();
    let rep = c.rep.as_ref();
    let rep_name = rep.map_or(ui.someone, |r| r.name.as_str());
    let template = text.qualified.as_deref().unwrap_or_default();
    let message = fill(template, rep_name, team, &duration(ui, sla));
    let booking = rep.and_then(|r| {
        let url = r.booking_url.clone()?;
        let label = fill(
            text.book_meeting.as_deref().unwrap_or_default(),
            &r.name,
            team,
            "",
        );
        Some((label.into(), url.into()))
    });
    Outcome {
        kind: OutcomeKind::Qualified,
        message: message.into(),
        booking,
    }
}

/// `baton:submitted` (and `baton:qualified`) for the page's analytics:
/// `{form, lead_id, grade, score, qualified}`, the edge's verdict.
fn announce_events(env: &Env, c: &Created) {
    let detail = [
        ("lead_id", JsValue::from(c.lead_id.as_str())),
        ("grade", c.grade.as_str().into()),
        ("score", c.score.into()),
        ("qualified", c.qualified.into()),
    ];
    events::fire(env, "submitted", &detail);
    if c.qualified {
        events::fire(env, "qualified", &detail);
    }
}

/// After a lead was stored: keeps what the visitor told us for their next
/// visit, only if the form asks for consent and every consent box is ticked
/// (the texts they agreed to are kept with it, so a changed text is asked again).
fn remember(env: &Env, submission: &Submission) {
    let mut answers = Vec::new();
    let mut agreed = Vec::new();
    for f in &env.fields {
        let v = submission.fields.get(f.id.as_str());
        match f.kind {
            FieldKind::Consent if v == Some(&Value::Bool(true)) => agreed.push(f.label.as_str()),
            FieldKind::Consent => return,
            FieldKind::Hidden => {}
            _ => answers.extend(v.map(|v| (f.id.as_str(), v))),
        }
    }
    if !agreed.is_empty() {
        store::remember(&answers, &agreed);
    }
}
