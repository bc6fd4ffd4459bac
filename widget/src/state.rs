//! The form's state and every way it changes. The verdict is recomputed here,
//! in the reducer, on every answer: locally, with the same engine the edge runs.

use std::rc::Rc;

use baton::wire::Submission;
use baton::{Preview, Value};
use yew::prelude::*;

use crate::env::Env;

/// Where the visitor is in the life of one submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Editing,
    Sending,
    /// The edge accepted the lead: what to tell the visitor.
    Sent(Rc<Outcome>),
    /// Offline or the edge failed: kept in localStorage, retried with backoff.
    Queued,
    /// The edge refused the lead for a reason the visitor cannot fix (its message).
    Refused(AttrValue),
}

/// The closing message after a lead was accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub message: AttrValue,
    /// Label and address of the assigned rep's booking page, for qualified leads.
    pub booking: Option<(AttrValue, AttrValue)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Qualified,
    ThankYou,
    KnockedOut,
}

pub enum Action {
    /// A new answer for a field.
    Set(AttrValue, Value),
    /// Ticks or unticks one option of a multiselect.
    Toggle(AttrValue, AttrValue),
    /// The visitor left a field: from now on its error shows, once they have
    /// answered it (tabbing through an empty field is not a mistake yet).
    Blur(AttrValue),
    /// An attempt to leave the step or submit found these fields invalid: show
    /// their errors and move focus to the first.
    Reveal(Vec<AttrValue>),
    Next,
    Back,
    Sending,
    Sent(Rc<Outcome>),
    Queued,
    Refused(AttrValue),
    /// Field errors from the edge (422): shown until the visitor edits the field.
    ServerErrors(Vec<(AttrValue, AttrValue)>),
}

#[derive(Clone)]
pub struct State {
    pub env: Rc<Env>,
    pub submission: Submission,
    pub decision: Rc<Preview>,
    /// Fields whose errors are visible. (Short lists: a Vec is smaller code
    /// than a map, and every byte ships.)
    pub revealed: Vec<AttrValue>,
    /// Field id and message of each error the edge reported.
    pub server_errors: Vec<(AttrValue, AttrValue)>,
    /// Index into `env.steps`.
    pub step: usize,
    pub phase: Phase,
    /// What the `aria-live` region says.
    pub announce: AttrValue,
    /// The field to focus after the next render, and a counter so that asking
    /// for the same field twice still moves focus.
    pub focus: Option<AttrValue>,
    pub focus_seq: u32,
}

impl State {
    pub fn new(env: Rc<Env>, submission: Submission) -> Self {
        let decision = Rc::new(env.playbook.preview(&submission));
        State {
            env,
            submission,
            decision,
            revealed: Vec::new(),
            server_errors: Vec::new(),
            step: 0,
            phase: Phase::Editing,
            announce: AttrValue::default(),
            focus: None,
            focus_seq: 0,
        }
    }

    /// The message to show under a field, if any: the edge's first, then ours.
    pub fn error_of(&self, id: &str) -> Option<AttrValue> {
        if let Some((_, m)) = self.server_errors.iter().find(|(f, _)| f == id) {
            return Some(m.clone());
        }
        if !self.revealed.iter().any(|f| f == id) {
            return None;
        }
        self.local_error(id)
    }

    fn local_error(&self, id: &str) -> Option<AttrValue> {
        self.decision
            .field_errors
            .iter()
            .find(|e| e.field == id)
            .map(|e| AttrValue::from(e.message.clone()))
    }

    /// Invalid fields among `ids`, in form order.
    pub fn invalid_among<'a>(&self, ids: impl Iterator<Item = &'a AttrValue>) -> Vec<AttrValue> {
        ids.filter(|id| {
            self.server_errors.iter().any(|(f, _)| f == *id)
                || self.decision.field_errors.iter().any(|e| e.field == **id)
        })
        .cloned()
        .collect()
    }

    fn set(&mut self, id: &AttrValue, value: Value) {
        self.server_errors.retain(|(f, _)| f != id);
        self.submission.fields.insert(id.to_string(), value);
        self.decision = Rc::new(self.env.playbook.preview(&self.submission));
    }

    fn reveal(&mut self, ids: &[AttrValue]) {
        for id in ids {
            if !self.revealed.contains(id) {
                self.revealed.push(id.clone());
            }
        }
    }

    /// Shows the step that holds field `id` and focuses it: the edge may
    /// report an error in a step the visitor already left.
    fn go_to(&mut self, id: AttrValue) {
        if let Some(i) = self.env.steps.iter().position(|st| st.fields.contains(&id)) {
            self.step = i;
        }
        self.focus_on(Some(id));
    }

    fn focus_on(&mut self, id: Option<AttrValue>) {
        self.focus = id;
        self.focus_seq = self.focus_seq.wrapping_add(1);
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Set(id, value) => s.set(&id, value),
            Action::Toggle(id, option) => {
                let mut list = match s.submission.fields.get(id.as_str()) {
                    Some(Value::List(l)) => l.clone(),
                    _ => Vec::new(),
                };
                let before = list.len();
                list.retain(|v| !matches!(v, Value::Text(t) if *t == *option));
                if list.len() == before {
                    list.push(Value::Text(option.to_string()));
                }
                s.set(&id, Value::List(list));
            }
            Action::Blur(id) => {
                if !s.revealed.contains(&id) && s.submission.fields.contains_key(id.as_str()) {
                    if let Some(m) = s.local_error(&id) {
                        s.announce = m;
                    }
                    s.revealed.push(id);
                }
            }
            Action::Reveal(ids) => {
                s.reveal(&ids);
                if let Some(first) = ids.into_iter().next() {
                    s.announce = s.error_of(&first).unwrap_or_default();
                    s.go_to(first);
                }
            }
            Action::Next => {
                s.step = (s.step + 1).min(s.env.steps.len().saturating_sub(1));
                s.focus_on(
                    s.env
                        .steps
                        .get(s.step)
                        .and_then(|st| st.fields.first().cloned()),
                );
            }
            Action::Back => {
                s.step = s.step.saturating_sub(1);
                s.focus_on(
                    s.env
                        .steps
                        .get(s.step)
                        .and_then(|st| st.fields.first().cloned()),
                );
            }
            Action::Sending => {
                s.phase = Phase::Sending;
                s.announce = s.env.ui.sending.into();
            }
            Action::Sent(outcome) => {
                s.announce = outcome.message.clone();
                s.phase = Phase::Sent(outcome);
            }
            Action::Queued => {
                s.phase = Phase::Queued;
                s.announce = s.env.ui.queued.into();
            }
            Action::Refused(message) => {
                s.announce = message.clone();
                s.phase = Phase::Refused(message);
            }
            Action::ServerErrors(errors) => {
                s.phase = Phase::Editing;
                let ids: Vec<AttrValue> = errors.iter().map(|(id, _)| id.clone()).collect();
                s.reveal(&ids);
                let first = ids.into_iter().next();
                s.server_errors = errors;
                if let Some(first) = first {
                    s.announce = s.error_of(&first).unwrap_or_default();
                    s.go_to(first);
                }
            }
        }
        Rc::new(s)
    }
}
