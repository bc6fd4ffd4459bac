//! The form's state and every way it changes. The verdict is recomputed here,
//! in the reducer, on every answer: locally, with the same engine the edge runs.

use std::rc::Rc;

use baton::wire::Submission;
use baton::{Preview, Value};
use yew::prelude::*;

use crate::env::{Env, FieldSpec};

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
    /// "Not you?": the remembered answers are cleared and asked again.
    Forget,
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
    /// Optional questions the form does not ask: no answer to them can change
    /// the grade, the qualification, the knock-out or the route. Decided for
    /// the steps ahead on every answer, and kept for a step once the visitor
    /// is on it, so a field never vanishes while they look at it.
    pub skipped: Vec<AttrValue>,
    /// Answers a returning visitor who consented gave before (`store.rs`):
    /// filled in and not asked again, unless they say "Not you?".
    pub known: Vec<AttrValue>,
    pub phase: Phase,
    /// What the `aria-live` region says.
    pub announce: AttrValue,
    /// The field to focus after the next render, and a counter so that asking
    /// for the same field twice still moves focus.
    pub focus: Option<AttrValue>,
    pub focus_seq: u32,
}

impl State {
    pub fn new(env: Rc<Env>, submission: Submission, mut known: Vec<AttrValue>) -> Self {
        let decision = Rc::new(env.playbook.preview(&submission));
        // A remembered answer the playbook no longer accepts is asked again.
        known.retain(|id| !decision.field_errors.iter().any(|e| e.field == **id));
        let mut state = State {
            env,
            submission,
            decision,
            revealed: Vec::new(),
            server_errors: Vec::new(),
            step: 0,
            skipped: Vec::new(),
            known,
            phase: Phase::Editing,
            announce: AttrValue::default(),
            focus: None,
            focus_seq: 0,
        };
        state.plan();
        // A returning visitor starts at the first step with anything left to ask.
        state.step = (0..state.env.steps.len())
            .find(|&i| state.asks(i))
            .unwrap_or(0);
        state
    }

    /// The fields step `i` asks.
    pub fn step_fields(&self, i: usize) -> impl Iterator<Item = &Rc<FieldSpec>> {
        self.env
            .step_fields(i)
            .filter(|f| !self.skipped.contains(&f.id) && !self.known.contains(&f.id))
    }

    /// Whether step `i` asks anything.
    fn asks(&self, i: usize) -> bool {
        self.step_fields(i).next().is_some()
    }

    /// The next step that asks anything; None on the last one.
    pub fn next_step(&self) -> Option<usize> {
        (self.step + 1..self.env.steps.len()).find(|&i| self.asks(i))
    }

    /// The step before this one that asks anything (this one if none does).
    pub fn prev_step(&self) -> usize {
        (0..self.step)
            .rev()
            .find(|&i| self.asks(i))
            .unwrap_or(self.step)
    }

    /// "Step k of n" for step `at`, among the steps that ask anything.
    pub fn progress(&self, at: usize) -> (usize, usize) {
        let asking = (0..self.env.steps.len()).filter(|&i| self.asks(i));
        let k = asking.clone().filter(|&i| i <= at).count();
        (k.max(1), asking.count().max(1))
    }

    /// A blank text, an empty list or an unticked box is no answer.
    fn answered(&self, id: &str) -> bool {
        match self.submission.fields.get(id) {
            None | Some(Value::Null | Value::Bool(false)) => false,
            Some(Value::Text(t)) => !t.trim().is_empty(),
            Some(Value::List(l)) => !l.is_empty(),
            Some(_) => true,
        }
    }

    /// Decides which optional questions of the steps ahead to skip.
    fn plan(&mut self) {
        let env = self.env.clone();
        let step_of = |id: &AttrValue| env.steps.iter().position(|st| st.fields.contains(id));
        let current = self.step;
        self.skipped
            .retain(|id| step_of(id).is_some_and(|i| i <= current));
        // Every question still unanswered may yet be answered (the visitor
        // can go back), so all of them count as open in the analysis; only
        // optional ones on the steps ahead are ever skipped.
        let unanswered: Vec<&str> = (0..env.steps.len())
            .flat_map(|i| env.step_fields(i))
            .filter(|f| !self.answered(&f.id))
            .map(|f| f.id.as_str())
            .collect();
        let ahead = |id: &AttrValue| step_of(id).is_some_and(|i| i > current);
        let open = env.playbook.open_questions(&self.submission, &unanswered);
        for f in (current + 1..env.steps.len()).flat_map(|i| env.step_fields(i)) {
            if !f.required
                && ahead(&f.id)
                && unanswered.contains(&f.id.as_str())
                && !open.contains(&f.id.as_str())
            {
                self.skipped.push(f.id.clone());
            }
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
        self.plan();
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
        // The edge asks for it: a skipped or known question is asked after all.
        self.skipped.retain(|f| *f != id);
        self.known.retain(|f| *f != id);
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
                if let Some(next) = s.next_step() {
                    s.step = next;
                    s.plan();
                }
                let first = s.step_fields(s.step).next().map(|f| f.id.clone());
                s.focus_on(first);
            }
            Action::Back => {
                s.step = s.prev_step();
                s.plan();
                let first = s.step_fields(s.step).next().map(|f| f.id.clone());
                s.focus_on(first);
            }
            Action::Forget => {
                for id in std::mem::take(&mut s.known) {
                    s.submission.fields.remove(id.as_str());
                }
                s.decision = Rc::new(s.env.playbook.preview(&s.submission));
                s.step = 0;
                s.plan();
                let first = s.step_fields(0).next().map(|f| f.id.clone());
                s.focus_on(first);
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

#[cfg(test)]
mod tests {
    use super::*;
    use baton::raw::RawStep;

    /// The demo form in two steps: who you are, then the optional details.
    fn two_steps() -> Rc<Env> {
        let mut raw = baton::parse_toml(include_str!("../../icp.toml"))
            .unwrap()
            .public();
        let step = |id: &str, fields: &[&str]| RawStep {
            id: id.into(),
            title: None,
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        };
        raw.steps = vec![
            step(
                "you",
                &[
                    "email",
                    "name",
                    "company",
                    "title",
                    "employees",
                    "country",
                    "timeline",
                    "consent",
                ],
            ),
            step("details", &["interests", "phone"]),
        ];
        let playbook = baton::compile_published(raw).unwrap();
        Rc::new(Env::new(playbook, "demo", "", Some("en")))
    }

    fn text(t: &str) -> Value {
        Value::Text(t.to_owned())
    }

    fn answer(s: Rc<State>, id: &str, v: Value) -> Rc<State> {
        s.reduce(Action::Set(AttrValue::from(id.to_owned()), v))
    }

    /// The first step answered, with `title`.
    fn first_step(title: &str) -> Rc<State> {
        let mut s = Rc::new(State::new(two_steps(), Submission::default(), Vec::new()));
        for (id, v) in [
            ("email", text("ana.souza@acme-industrial.de")),
            ("name", text("Ana Souza")),
            ("company", text("Acme Industrial")),
            ("title", text(title)),
            ("employees", Value::Int(800)),
            ("country", text("DE")),
            ("timeline", text("this-quarter")),
            ("consent", Value::Bool(true)),
        ] {
            s = answer(s, id, v);
        }
        s
    }

    fn asked(s: &State, step: usize) -> Vec<String> {
        s.step_fields(step).map(|f| f.id.to_string()).collect()
    }

    type Outcome = (String, bool, Option<String>, Option<String>);
    fn outcome(s: &State, extra: &[(&str, Value)]) -> Outcome {
        let mut sub = s.submission.clone();
        for (id, v) in extra {
            sub.fields.insert((*id).to_owned(), v.clone());
        }
        let d = s.env.playbook.evaluate(&sub);
        (
            d.grade,
            d.qualified,
            d.knocked_out,
            d.route.map(|r| r.route),
        )
    }

    #[test]
    fn asks_every_question_while_any_answer_could_matter() {
        let s = State::new(two_steps(), Submission::default(), Vec::new());
        assert_eq!(asked(&s, 1), ["interests", "phone"]);
        assert_eq!(s.next_step(), Some(1));
        assert_eq!(s.progress(0), (1, 2));
    }

    #[test]
    fn skips_a_step_no_answer_to_which_can_change_the_outcome() {
        let s = first_step("VP Revenue");
        assert_eq!(s.decision.grade, "A");
        assert_eq!(asked(&s, 1), Vec::<String>::new());
        assert_eq!(s.next_step(), None, "the first step sends the form");
        assert_eq!(s.progress(0), (1, 1), "a form of one step now");
        // Whatever the skipped questions had been answered, the edge decides the same.
        let base = outcome(&s, &[]);
        for extra in [
            vec![(
                "interests",
                Value::List(vec![text("forecasting"), text("dashboards")]),
            )],
            vec![("phone", text("+49 30 1234567"))],
            vec![
                ("interests", Value::List(vec![text("forecasting")])),
                ("phone", text("+49 30 1234567")),
            ],
        ] {
            assert_eq!(outcome(&s, &extra), base, "{extra:?}");
        }
    }

    #[test]
    fn keeps_a_step_as_it_was_once_the_visitor_is_on_it() {
        // Grade B: the details together could still make it A.
        let s = first_step("RevOps manager");
        assert_eq!(s.decision.grade, "B");
        assert_eq!(asked(&s, 1), ["interests", "phone"]);
        let s = s.reduce(Action::Next);
        assert_eq!(s.step, 1);
        assert_eq!(s.progress(1), (2, 2));
        let s = answer(s, "phone", text("+49 30 1234567"));
        assert_eq!(
            asked(&s, 1),
            ["interests", "phone"],
            "nothing vanishes under the visitor"
        );
        // Back on the first step, the details are judged again.
        let s = s.reduce(Action::Back);
        assert_eq!(s.step, 0);
        let s = answer(s, "title", text("VP Revenue"));
        assert_eq!(asked(&s, 1), ["phone"], "an answer given is never skipped");
    }

    #[test]
    fn a_returning_visitor_is_asked_only_what_is_left() {
        let answered = first_step("RevOps manager");
        let known: Vec<AttrValue> = ["email", "name", "company", "consent"]
            .map(AttrValue::from)
            .to_vec();
        let s = Rc::new(State::new(two_steps(), answered.submission.clone(), known));
        assert_eq!(
            asked(&s, 0),
            ["title", "employees", "country", "timeline"],
            "what they told us before is not asked again"
        );
        assert_eq!(s.prev_step(), 0);
        // "Not you?": everything they told us is gone and asked again.
        let s = s.reduce(Action::Forget);
        assert!(s.known.is_empty());
        assert_eq!(s.submission.fields.get("email"), None);
        assert_eq!(s.submission.fields.get("consent"), None);
        assert_eq!(asked(&s, 0).len(), 8);
        assert_eq!(s.focus.as_deref(), Some("email"));
    }

    #[test]
    fn a_step_of_only_known_answers_is_passed_over() {
        let answered = first_step("RevOps manager");
        let first: Vec<AttrValue> = s_ids(&answered, 0);
        let s = State::new(two_steps(), answered.submission.clone(), first);
        assert_eq!(s.step, 1, "starts where something is left to ask");
        assert_eq!(s.prev_step(), 1, "no Back to a step with nothing on it");
        assert_eq!(s.progress(1), (1, 1));
    }

    #[test]
    fn a_remembered_answer_no_longer_valid_is_asked_again() {
        let mut sub = first_step("RevOps manager").submission.clone();
        sub.fields.insert("email".into(), text("not an address"));
        let known = ["email", "name"].map(AttrValue::from).to_vec();
        let s = State::new(two_steps(), sub, known);
        assert_eq!(s.known, [AttrValue::from("name")]);
        assert!(asked(&s, 0).contains(&"email".to_owned()));
    }

    fn s_ids(s: &State, step: usize) -> Vec<AttrValue> {
        s.step_fields(step).map(|f| f.id.clone()).collect()
    }
}
