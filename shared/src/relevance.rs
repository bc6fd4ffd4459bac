//! Which unanswered questions can still change a lead's outcome: what lets
//! the widget skip the rest of a form ("ask only what matters", #12).
//!
//! Every rule and route condition is settled in three values: a test on an
//! answered field or on the context is decided as evaluation decides it, a
//! test on an unanswered field may go either way. What may go either way
//! carries the unanswered fields it depends on, so each field is judged by
//! what it feeds: the rules whose points move the score across a grade
//! boundary, a knock-out that no earlier one settles, the route, and
//! validity when the field is required. Nothing is enumerated, so the cost
//! is one pass over the conditions, whatever the answers could be.

use crate::condition::{Cond, Fact, Subject, Trace};
use crate::fields;
use crate::lead::{Answer, Lead, Store, Text};
use crate::playbook::{Grade, Playbook, Target};
use crate::wire::Submission;

/// A condition's value over every answer the unanswered fields could get.
#[derive(Clone, Copy)]
enum Settled {
    Known(bool),
    /// Either value, depending only on these fields (bits of field indexes).
    Open(u64),
}

/// What a condition is settled against.
struct Scope<'l, 'a> {
    lead: &'l Lead<'a>,
    /// Bits of the fields taken as unanswered.
    unanswered: u64,
    /// The first email field, source of the `email_domain` fact.
    email_field: Option<u16>,
    /// The fields score, grade and qualification depend on, for routes;
    /// each of those facts is known when the lead holds its value.
    verdict: u64,
}

impl Cond {
    fn settle(&self, scope: &Scope) -> Settled {
        match self {
            Cond::All(cs) => all(cs, scope, false),
            Cond::Any(cs) => all(cs, scope, true),
            Cond::Not(c) => match c.settle(scope) {
                Settled::Known(b) => Settled::Known(!b),
                open => open,
            },
            Cond::Test(t) => {
                let bit = |i: u16| 1u64.checked_shl(u32::from(i)).unwrap_or(0);
                let open = match t.subject {
                    Subject::Field(i) => bit(i) & scope.unanswered,
                    Subject::Fact(Fact::EmailDomain) => {
                        scope.email_field.map_or(0, bit) & scope.unanswered
                    }
                    // Known to routes once the lead holds them (rules
                    // never test them: compile refuses it).
                    Subject::Fact(Fact::Score | Fact::Grade | Fact::Qualified)
                        if matches!(scope.lead.subject(t.subject), Answer::Missing) =>
                    {
                        scope.verdict
                    }
                    Subject::Fact(_) => 0,
                };
                if open == 0 {
                    Settled::Known(t.eval(scope.lead, &mut Trace::default()))
                } else {
                    Settled::Open(open)
                }
            }
        }
    }
}

/// `all` of `cs`, or `any` of them when `any`: a child known to decide it
/// decides it, whatever the open children do.
fn all(cs: &[Cond], scope: &Scope, any: bool) -> Settled {
    let (mut open, mut on) = (false, 0);
    for c in cs {
        match c.settle(scope) {
            Settled::Known(b) if b == any => return Settled::Known(any),
            Settled::Known(_) => {}
            Settled::Open(d) => (open, on) = (true, on | d),
        }
    }
    if open {
        Settled::Open(on)
    } else {
        Settled::Known(!any)
    }
}

impl Playbook {
    /// The fields of `unanswered` whose answers, alone or with any answers
    /// to the others, could still change the outcome: the grade, the
    /// qualification, the knock-out or the route `evaluate` reaches when
    /// they are all left unanswered. A field left out never changes it, for
    /// any valid answers (or none) to every field of `unanswered`, so a
    /// form may skip every optional question not returned.
    ///
    /// Fields named in `unanswered` count as not answered whatever
    /// `submission` holds for them; names the form does not have are never
    /// returned. A required field is returned while answering it can make
    /// an invalid lead valid and routed. The answer is sound, not exact:
    /// rules testing a field are taken to hold or not independently, and
    /// the score to reach anything between its least and its most.
    ///
    /// It answers for the rules of this copy, as `evaluate` on this copy
    /// decides them. On the public copy (`is_provisional`) the edge also
    /// weighs its edge-only rules: the copy names the fields they test
    /// (`published.edge_fields`, not how), and those are always open.
    /// Likewise, without the email
    /// lists (the widget's build) a free-mail test reads every address as a
    /// business one, as the provisional verdict does.
    ///
    /// Forms of more than 64 fields get every field of `unanswered` back.
    pub fn open_questions<'u>(
        &self,
        submission: &Submission,
        unanswered: &[&'u str],
    ) -> Vec<&'u str> {
        let index = |id: &str| self.fields.iter().position(|f| f.id == id);
        let bit = |i: usize| u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i));
        if self.fields.len() > 64 {
            return unanswered
                .iter()
                .copied()
                .filter(|id| index(id).is_some())
                .collect();
        }
        let mut skip = 0u64;
        for id in unanswered {
            skip |= index(id).and_then(bit).unwrap_or(0);
        }
        let open = self.open_fields(submission, skip);
        // The edge's own rules read these: this copy cannot tell what they decide.
        let edge = self.raw.published.as_ref().map(|p| &p.edge_fields);
        unanswered
            .iter()
            .copied()
            .filter(|id| {
                index(id).and_then(bit).is_some_and(|b| b & open != 0)
                    || edge.is_some_and(|e| e.iter().any(|f| f == id))
            })
            .collect()
    }

    /// `open_questions` on bits of field indexes (`unanswered`, at most 64 fields).
    fn open_fields(&self, submission: &Submission, unanswered: u64) -> u64 {
        let store = Store::default();
        let (answers, invalid) = fields::validate(self, submission, &store);
        let mut lead = Lead::new(self, answers, &submission.context, &store);
        let bit = |i: usize| u32::try_from(i).map_or(0, |i| 1u64.checked_shl(i).unwrap_or(0));
        // Errors of unanswered fields are dropped with their answers: the
        // lead can be valid only if every other field is.
        let can_be_valid = invalid.iter().all(|&(i, _)| bit(i) & unanswered != 0);
        let required = self
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.required)
            .fold(0, |m, (i, _)| m | bit(i));

        let scope = Scope {
            lead: &lead,
            unanswered,
            email_field: self.email_field,
            verdict: 0,
        };
        // The points of the rules that hold, the least and most the open
        // ones add, the fields that move the score, and the fields that
        // decide the knock-out (until one is certain).
        let (mut base, mut least, mut most) = (0i64, 0i64, 0i64);
        let (mut moves, mut knocks, mut knocked_out) = (0u64, 0u64, false);
        for rule in &self.rules {
            let points = i64::from(rule.points);
            match rule.when.settle(&scope) {
                Settled::Known(true) => {
                    base += points;
                    knocked_out |= rule.knockout;
                }
                Settled::Known(false) => {}
                Settled::Open(on) => {
                    least += points.min(0);
                    most += points.max(0);
                    moves |= if points == 0 { 0 } else { on };
                    knocks |= if rule.knockout && !knocked_out { on } else { 0 };
                }
            }
        }
        let (low, high) = (base + least, base + most);
        let grade = grade_at(&self.grades, low);
        // The grade changes only where a score reaches a grade's minimum.
        let steps = || {
            self.grades
                .iter()
                .filter(move |g| low < g.min_score && g.min_score <= high)
        };
        let grade_fixed = steps().next().is_none();
        let qualified = grade.is_some_and(|g| g.qualified);
        let qualified_fixed = steps()
            .all(|g| grade_at(&self.grades, g.min_score).is_some_and(|h| h.qualified == qualified));

        let mut open = knocks | if grade_fixed { 0 } else { moves };
        // An invalid or knocked-out lead has no route and is not qualified,
        // whatever its other answers.
        if !can_be_valid || knocked_out {
            return open;
        }
        open |= required & unanswered;

        // Routes are chosen only for valid leads not knocked out, so there
        // qualification is the grade's: what is fixed of the verdict is known.
        if moves == 0 {
            lead.score = Answer::Int(base);
        }
        if grade_fixed {
            let name = grade.map_or("", |g| g.grade.as_str());
            lead.grade = Answer::Text(Text::new(name, &store));
        }
        if qualified_fixed {
            lead.qualified = Answer::Bool(qualified);
        }
        let scope = Scope {
            lead: &lead,
            unanswered,
            email_field: self.email_field,
            verdict: moves,
        };
        for route in &self.routes {
            let Some(when) = &route.when else {
                break;
            };
            if !self.has_someone(&route.target) {
                // Passed over whether it matches or not.
                continue;
            }
            match when.settle(&scope) {
                Settled::Known(true) => break,
                Settled::Known(false) => {}
                Settled::Open(on) => open |= on,
            }
        }
        open
    }

    /// Whether a route to `target` has someone who can take its leads
    /// (`route::choose` passes over a route that has nobody).
    fn has_someone(&self, target: &Target) -> bool {
        let available = |i: &u16| {
            self.reps
                .get(usize::from(*i))
                .is_some_and(|r| r.active && r.weight > 0)
        };
        match target {
            // A team that does not exist ends the choice: as if taken.
            Target::Team(t) => self
                .teams
                .get(usize::from(*t))
                .is_none_or(|team| team.reps.iter().any(available)),
            Target::Rep(i) => available(i),
        }
    }
}

/// The grade `score` reaches, as `Playbook::verdict` finds it: the first
/// whose minimum it reaches, else the last.
fn grade_at(grades: &[Grade], score: i64) -> Option<&Grade> {
    grades
        .iter()
        .find(|g| score >= g.min_score)
        .or(grades.last())
}
