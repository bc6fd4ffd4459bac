//! `evaluate`: one submission against one playbook, to a `Decision` with reasons.

use crate::condition::Trace;
use crate::fields;
use crate::lead::{Answer, Lead, Store, Text};
use crate::playbook::Playbook;
use crate::route;
use crate::wire::{Decision, FieldError, Reason, Submission};

/// The score part of a verdict: what every evaluation computes first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub score: i32,
    /// Index into the grades of the playbook.
    pub(crate) grade: usize,
    pub qualified: bool,
    /// Index of the first knock-out rule that held.
    pub(crate) knockout: Option<usize>,
    /// Indexes of the rules that held, in playbook order.
    pub(crate) fired: Fired,
    pub(crate) deferred_lists: bool,
}

/// The rules that held: bits for the first 64 rules (no allocation per
/// lead), a list beyond. Prints (`Debug`) and compares as the list of
/// their indexes, in playbook order.
#[derive(Clone)]
pub(crate) struct Fired {
    bits: u64,
    more: Vec<usize>,
}

impl Fired {
    fn new() -> Self {
        Fired {
            bits: 0,
            more: Vec::new(),
        }
    }

    /// Adds rule `i`; call in playbook order.
    fn push(&mut self, i: usize) {
        match u32::try_from(i).ok().filter(|&i| i < 64) {
            Some(i) => self.bits |= 1 << i,
            None => self.more.push(i),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let bits = self.bits;
        (0..64)
            .filter(move |&i| bits >> i & 1 == 1)
            .chain(self.more.iter().copied())
    }
}

impl std::fmt::Debug for Fired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Fired {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits && self.more == other.more
    }
}

impl Eq for Fired {}

/// What `Playbook::read` makes of a submission.
pub(crate) struct Read<'a> {
    pub lead: Lead<'a>,
    pub valid: bool,
    pub field_errors: Vec<FieldError>,
}

impl Playbook {
    /// Validates, scores, grades and routes one submission. Never panics.
    pub fn evaluate(&self, submission: &Submission) -> Decision {
        let store = Store::default();
        let Read {
            mut lead,
            valid,
            field_errors,
        } = self.read(submission, &store);
        let s = self.score_lead(&lead, valid);

        let reasons = s
            .fired
            .iter()
            .filter_map(|i| self.rules.get(i))
            .map(|rule| {
                // Most explanations fit: growing the string step by step
                // would reallocate it several times per reason.
                let mut because = String::with_capacity(128);
                rule.when.explain(&lead, &mut because);
                Reason {
                    rule: rule.id.clone(),
                    points: rule.points,
                    knockout: rule.knockout,
                    description: rule.description.clone(),
                    because,
                }
            })
            .collect();
        let grade = self.grade_name(&s);
        let knocked_out = self.knockout_id(&s);

        let route = if valid && knocked_out.is_none() {
            lead.score = Answer::Int(i64::from(s.score));
            lead.grade = Answer::Text(Text::new(store.keep(grade.clone()), &store));
            lead.qualified = Answer::Bool(s.qualified);
            route::choose(self, &lead)
        } else {
            None
        };
        let mut deferred = Vec::new();
        if s.deferred_lists {
            deferred.push("email_lists".to_owned());
        }
        // The SLA is sales' promise to follow up: a lead nobody is routed to
        // (invalid or knocked out) gets no promise.
        let sla_minutes = route
            .as_ref()
            .and_then(|_| self.sla_minutes.get(&grade).copied());
        Decision {
            version: self.version.clone(),
            valid,
            field_errors,
            score: s.score,
            sla_minutes,
            grade,
            qualified: s.qualified,
            knocked_out,
            reasons,
            route,
            provisional: self.provisional || s.deferred_lists,
            deferred,
        }
    }

    /// A submission validated (with messages in its locale when it failed)
    /// and read into a lead: the first steps of `evaluate` and `preview`.
    pub(crate) fn read<'a>(&'a self, submission: &'a Submission, store: &'a Store) -> Read<'a> {
        let (answers, invalid) = fields::validate(self, submission, store);
        let valid = invalid.is_empty();
        // Only messages need the locale, and only invalid leads have messages.
        let field_errors = if valid {
            Vec::new()
        } else {
            let lang = self.resolve_locale(submission.locale.as_deref());
            fields::errors(self, &invalid, lang)
        };
        Read {
            lead: Lead::new(self, answers, &submission.context, store),
            valid,
            field_errors,
        }
    }

    /// The name of the grade `s` reached.
    pub(crate) fn grade_name(&self, s: &Score) -> String {
        self.grades
            .get(s.grade)
            .map(|g| g.grade.clone())
            .unwrap_or_default()
    }

    /// The id of the knock-out rule that held, if any.
    pub(crate) fn knockout_id(&self, s: &Score) -> Option<String> {
        s.knockout
            .and_then(|i| self.rules.get(i))
            .map(|r| r.id.clone())
    }

    /// Score, grade and qualification only: what `evaluate` computes
    /// first, for bulk work (backtests, benchmarks). A clean submission is
    /// scored straight from its values (`direct.rs`), any other through a lead.
    pub fn score(&self, submission: &Submission) -> Score {
        #[cfg(feature = "bulk")]
        if let Some(s) = self.score_directly(submission) {
            return s;
        }
        self.score_in_full(submission)
    }

    /// `score` straight from the values, or `None` where the full path must
    /// decide. Public for the property test that holds it to `score_in_full`.
    #[cfg(feature = "bulk")]
    #[doc(hidden)]
    pub fn score_directly(&self, submission: &Submission) -> Option<Score> {
        let bits = self.direct.settle(self, submission)?;
        // The plan has no lazy tests: `tally` never asks.
        let t = self.programs.tally(bits, |_| false);
        let fired = Fired {
            bits: t.held,
            more: t.more,
        };
        Some(self.verdict(t.total, fired, t.knockout, true, false))
    }

    /// `score` through a validated lead, as `evaluate` scores.
    #[doc(hidden)]
    pub fn score_in_full(&self, submission: &Submission) -> Score {
        let store = Store::default();
        let (answers, invalid) = fields::validate(self, submission, &store);
        let lead = Lead::new(self, answers, &submission.context, &store);
        self.score_lead(&lead, invalid.is_empty())
    }

    /// `score` by walking every rule's condition tree, as the widget and
    /// the edge do: what the flattened rules (`flat.rs`) are held to.
    #[cfg(feature = "bulk")]
    #[doc(hidden)]
    pub fn score_by_walk(&self, submission: &Submission) -> Score {
        let store = Store::default();
        let (answers, invalid) = fields::validate(self, submission, &store);
        let lead = Lead::new(self, answers, &submission.context, &store);
        let mut trace = Trace::default();
        let (total, fired, knockout) = self.walk(&lead, &mut trace);
        self.verdict(
            total,
            fired,
            knockout,
            invalid.is_empty(),
            trace.deferred_lists,
        )
    }

    pub(crate) fn score_lead(&self, lead: &Lead, valid: bool) -> Score {
        let mut trace = Trace::default();
        #[cfg(feature = "bulk")]
        let tallied = self.programs.settle(lead, &mut trace).map(|bits| {
            let t = self.programs.tally(bits, |t| t.eval(lead, &mut trace));
            let fired = Fired {
                bits: t.held,
                more: t.more,
            };
            (t.total, fired, t.knockout)
        });
        #[cfg(not(feature = "bulk"))]
        let tallied = None;
        let (total, fired, knockout) = match tallied {
            Some(t) => t,
            None => self.walk(lead, &mut trace),
        };
        self.verdict(total, fired, knockout, valid, trace.deferred_lists)
    }

    /// The score from the rules that held: grade and qualification.
    fn verdict(
        &self,
        total: i64,
        fired: Fired,
        knockout: Option<usize>,
        valid: bool,
        deferred_lists: bool,
    ) -> Score {
        // Compile bounds the sum of points to i32, so this never saturates.
        let score = i32::try_from(total).unwrap_or(if total < 0 { i32::MIN } else { i32::MAX });
        // The first grade the score reaches (else the last), and whether
        // it qualifies: found without a branch on the score, which is data
        // (where a search stops is mispredicted about every other lead).
        let (mut grade, mut found) = (self.grades.len().saturating_sub(1), false);
        for (i, g) in self.grades.iter().enumerate() {
            let first = (i64::from(score) >= g.min_score) & !found;
            grade = if first { i } else { grade };
            found |= first;
        }
        let qualified =
            valid & knockout.is_none() & self.grades.get(grade).is_some_and(|g| g.qualified);
        Score {
            score,
            grade,
            qualified,
            knockout,
            fired,
            deferred_lists,
        }
    }
}

impl Playbook {
    /// Every rule on `lead` by walking its condition tree: the sum of the
    /// points of the rules that held, which held, and the first knock-out.
    fn walk(&self, lead: &Lead, trace: &mut Trace) -> (i64, Fired, Option<usize>) {
        let mut total: i64 = 0;
        let mut fired = Fired::new();
        let mut knockout = None;
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.when.eval(lead, trace) {
                total += i64::from(rule.points);
                fired.push(i);
                if rule.knockout && knockout.is_none() {
                    knockout = Some(i);
                }
            }
        }
        (total, fired, knockout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fired_rules_print_as_the_list_of_their_indexes() {
        for held in [vec![], vec![0, 4, 63], vec![1, 63, 64, 200]] {
            let mut fired = Fired::new();
            for &i in &held {
                fired.push(i);
            }
            assert_eq!(fired.iter().collect::<Vec<_>>(), held);
            assert_eq!(format!("{fired:?}"), format!("{held:?}"));
            assert_eq!(format!("{fired:#?}"), format!("{held:#?}"));
        }
    }
}
