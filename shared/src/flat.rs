//! The rules flattened for scoring: each rule's condition tree becomes a
//! short jump program over its tests, made once at compile time.
//!
//! Scoring runs every rule on every lead; walking the trees (a call per node,
//! a `Vec` per `all`/`any`) cost more than most of the tests themselves. A
//! program visits exactly the tests the tree's short-circuit walk visits, in
//! the same order, so verdicts and the trace are the same. Comparisons of a
//! number with constants and tests on selects and checkboxes are settled in
//! a few instructions; the rest go to `Test::eval`, and the costly ones that
//! several rules repeat (the free-mail list, typically) are decided once per
//! lead.

use crate::condition::{Check, Cond, Subject, Test, Trace};
use crate::lead::{Answer, Lead, Text};
use crate::raw::Op;

/// Where a program ends: the rule holds, or it does not.
const HOLDS: u16 = u16::MAX;
const FAILS: u16 = u16::MAX - 1;

#[derive(Debug, Clone, Default)]
pub(crate) struct Programs {
    nodes: Vec<Node>,
    /// Per rule, its first node (or `HOLDS`/`FAILS`).
    entries: Vec<u16>,
    /// Every test of every node, by index.
    tests: Vec<Test>,
}

#[derive(Debug, Clone)]
struct Node {
    subject: Subject,
    /// Its test in `Programs::tests`, which decides whenever the leaf cannot.
    test: u16,
    leaf: Leaf,
    /// The next node when the leaf does not hold, and when it does.
    next: (u16, u16),
}

/// A test in the form quickest to decide, for the answers it expects.
#[derive(Debug, Clone)]
enum Leaf {
    /// An integer answer within `lo..=hi`: every comparison with constants
    /// but `not_equals`. False when the answer is missing.
    Ints { lo: i64, hi: i64 },
    /// A yes/no answer equal to this. False when missing.
    Bool(bool),
    /// A select's answer: the verdict per option index, as bits, for
    /// `options` options; and the verdict when missing.
    Options {
        verdicts: u64,
        options: u8,
        missing: bool,
    },
    /// `contains_word`: on words split once per lead (`Words`).
    Words,
    /// Any other test. `Some((slot, not_in))` when another test of the rules
    /// has the same subject and operand and is its equal or (`in` and
    /// `not_in`) its negation: slot `slot` of `Memo` keeps the verdict of the
    /// `in` form per lead, and `not_in` says whether this test is the other.
    Test(Option<(u8, bool)>),
}

/// What one lead's programs found out for several tests: verdicts of
/// repeated tests (bit `i` known, and its value), and a text's words.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    known: u64,
    value: u64,
    words: Words,
}

impl Programs {
    /// The programs of `rules` (their conditions, in order), or none when
    /// they would not fit the `u16` indexes; scoring then walks the trees.
    pub fn new<'c>(rules: impl Iterator<Item = &'c Cond>) -> Self {
        let mut p = Programs::default();
        for when in rules {
            let entry = p.emit(when, HOLDS, FAILS);
            p.entries.push(entry);
        }
        if p.nodes.len() >= usize::from(FAILS) {
            return Programs::default();
        }
        p.share_repeats();
        p
    }

    /// Gives a `Memo` slot to every group of general tests that decide the
    /// same thing (equal, or `in` and `not_in` of the same list), up to 64.
    fn share_repeats(&mut self) {
        let same = |a: &Test, b: &Test| {
            a.subject == b.subject
                && a.check == b.check
                && (a.op == b.op
                    || matches!((a.op, b.op), (Op::In, Op::NotIn) | (Op::NotIn, Op::In)))
        };
        // Per node, the first node of its group, when the group has two or more.
        let general: Vec<Option<&Test>> = self
            .nodes
            .iter()
            .map(|n| match n.leaf {
                Leaf::Test(_) => self.tests.get(usize::from(n.test)),
                _ => None,
            })
            .collect();
        let first: Vec<Option<usize>> = general
            .iter()
            .map(|t| {
                let t = (*t)?;
                let group = |o: &Option<&Test>| o.is_some_and(|o| same(o, t));
                let first = general.iter().position(group)?;
                (general.iter().filter(|o| group(o)).count() > 1).then_some(first)
            })
            .collect();
        let mut slots: Vec<usize> = Vec::new();
        for (node, first) in self.nodes.iter_mut().zip(first) {
            let Some(first) = first else {
                continue;
            };
            let slot = slots.iter().position(|&f| f == first).unwrap_or_else(|| {
                slots.push(first);
                slots.len() - 1
            });
            let not_in = self
                .tests
                .get(usize::from(node.test))
                .is_some_and(|t| t.op == Op::NotIn);
            if let Ok(slot @ 0..64) = u8::try_from(slot) {
                node.leaf = Leaf::Test(Some((slot, not_in)));
            }
        }
    }

    /// The nodes of `c`, going on to `yes` when it holds and `no` when not;
    /// returns its first node.
    fn emit(&mut self, c: &Cond, yes: u16, no: u16) -> u16 {
        match c {
            Cond::Test(t) => self.leaf(t, yes, no),
            Cond::Not(c) => self.emit(c, no, yes),
            Cond::All(cs) => cs.iter().rev().fold(yes, |next, c| self.emit(c, next, no)),
            Cond::Any(cs) => cs.iter().rev().fold(no, |next, c| self.emit(c, yes, next)),
        }
    }

    fn leaf(&mut self, t: &Test, yes: u16, no: u16) -> u16 {
        let ints = match (&t.check, t.op) {
            (Check::Range(lo, hi), Op::Between) => Some((*lo, *hi)),
            (Check::Int(v), Op::Equals) => Some((*v, *v)),
            (Check::Int(v), Op::AtLeast) => Some((*v, i64::MAX)),
            (Check::Int(v), Op::AtMost) => Some((i64::MIN, *v)),
            (Check::Int(v), Op::GreaterThan) => v.checked_add(1).map(|lo| (lo, i64::MAX)),
            (Check::Int(v), Op::LessThan) => v.checked_sub(1).map(|hi| (i64::MIN, hi)),
            _ => None,
        };
        let options = t.option_verdicts().and_then(|v| {
            Some(Leaf::Options {
                options: u8::try_from(v.len()).ok().filter(|&n| n <= 64)?,
                verdicts: v
                    .iter()
                    .enumerate()
                    .fold(0, |m, (i, &v)| m | u64::from(v) << i),
                missing: t.op == Op::Absent,
            })
        });
        let leaf = match (&t.check, t.op, ints, options) {
            (_, _, Some((lo, hi)), _) => Leaf::Ints { lo, hi },
            (Check::Bool(v), Op::Equals, ..) => Leaf::Bool(*v),
            (Check::Bool(v), Op::NotEquals, ..) => Leaf::Bool(!*v),
            (.., Some(options)) => options,
            (Check::Words(_), Op::ContainsWord, ..) => Leaf::Words,
            _ => Leaf::Test(None),
        };
        self.nodes.push(Node {
            subject: t.subject,
            test: u16::try_from(self.tests.len()).unwrap_or(u16::MAX),
            leaf,
            next: (no, yes),
        });
        self.tests.push(t.clone());
        u16::try_from(self.nodes.len() - 1).unwrap_or(FAILS)
    }

    /// Whether rule `rule` holds for `lead`; `None` when there are no programs.
    #[inline]
    pub fn holds(
        &self,
        rule: usize,
        lead: &Lead,
        trace: &mut Trace,
        memo: &mut Memo,
    ) -> Option<bool> {
        let mut at = *self.entries.get(rule)?;
        while let Some(node) = self.nodes.get(usize::from(at)) {
            let holds = self.decide(node, lead, trace, memo);
            at = if holds { node.next.1 } else { node.next.0 };
        }
        Some(at == HOLDS)
    }

    #[inline(always)]
    fn decide(&self, node: &Node, lead: &Lead, trace: &mut Trace, memo: &mut Memo) -> bool {
        let general = |trace: &mut Trace| {
            let t = self.tests.get(usize::from(node.test));
            t.is_some_and(|t| t.eval(lead, trace))
        };
        let answer = lead.subject(node.subject);
        match (&node.leaf, answer) {
            (Leaf::Ints { lo, hi }, Answer::Int(n)) => lo <= n && n <= hi,
            (Leaf::Ints { .. } | Leaf::Bool(_), Answer::Missing) => false,
            (Leaf::Bool(value), Answer::Bool(b)) => b == value,
            (Leaf::Options { missing, .. }, Answer::Missing) => *missing,
            (
                Leaf::Options {
                    verdicts, options, ..
                },
                Answer::Text(t),
            ) if t.choice.is_some_and(|c| c < u16::from(*options)) => {
                let c = t.choice.unwrap_or(0);
                verdicts >> c & 1 == 1
            }
            (Leaf::Words, Answer::Text(text)) => {
                let t = self.tests.get(usize::from(node.test));
                let words = memo.words.of(node.subject, text);
                match t.zip(words).and_then(|(t, words)| t.phrase_in(words)) {
                    Some(v) => v,
                    None => general(trace),
                }
            }
            (Leaf::Test(Some((slot, not_in))), a) if !matches!(a, Answer::Missing) => {
                let bit = 1u64 << slot;
                if memo.known & bit != 0 {
                    return (memo.value & bit != 0) != *not_in;
                }
                let v = general(trace);
                memo.known |= bit;
                if v != *not_in {
                    memo.value |= bit;
                }
                v
            }
            _ => general(trace),
        }
    }
}

/// The words of one text per lead, split once for all the `contains_word`
/// tests on it: as byte spans, up to 16 of them.
#[derive(Debug, Default)]
pub(crate) struct Words {
    /// The subject they were split from; `count` is `u8::MAX` when its text
    /// did not fit.
    of: Option<Subject>,
    count: u8,
    spans: [(u16, u16); 16],
}

impl Words {
    /// The words of `text`, the answer to `subject`, as `ascii_words` gives
    /// them; `None` when it is not ASCII or has too many words.
    fn of<'w>(
        &'w mut self,
        subject: Subject,
        text: &'w Text,
    ) -> Option<impl Iterator<Item = &'w str> + Clone + 'w> {
        let s = text.as_ascii()?;
        if self.of != Some(subject) {
            self.of = Some(subject);
            self.count = split(s, &mut self.spans).unwrap_or(u8::MAX);
        }
        let spans = self.spans.get(..usize::from(self.count))?;
        Some(
            spans
                .iter()
                .map(move |&(a, b)| s.get(usize::from(a)..usize::from(b)).unwrap_or("")),
        )
    }
}

/// Splits ASCII `s` into `spans` as `ascii_words` does; their count, or
/// `None` when `s` is too long or has more words than `spans` holds.
fn split(s: &str, spans: &mut [(u16, u16)]) -> Option<u8> {
    let b = s.as_bytes();
    let end = u16::try_from(b.len()).ok()?;
    let (mut n, mut start, mut i) = (0, None, 0u16);
    for &c in b {
        match (c.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(a)) => {
                *spans.get_mut(n)? = (a, i);
                n += 1;
                start = None;
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(a) = start {
        *spans.get_mut(n)? = (a, end);
        n += 1;
    }
    u8::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::ascii_words;

    #[test]
    fn words_split_once_are_the_ascii_words() {
        let many = "w ".repeat(17);
        for s in [
            "",
            "  ",
            "VP, Sales/Marketing (EMEA)",
            "--x--y--",
            "C.E.O.",
            &many,
        ] {
            let mut spans = [(0, 0); 16];
            let split: Option<Vec<&str>> = split(s, &mut spans).map(|n| {
                let spans = spans.get(..usize::from(n)).unwrap_or_default();
                spans
                    .iter()
                    .map(|&(a, b)| &s[usize::from(a)..usize::from(b)])
                    .collect()
            });
            let words: Vec<&str> = ascii_words(s).collect();
            match split {
                Some(split) => assert_eq!(split, words, "{s:?}"),
                // Too many to keep: scoring splits as it goes instead.
                None => assert!(words.len() > 16, "{s:?}"),
            }
        }
    }
}
