//! The rules prepared for scoring many leads (feature `bulk`): every distinct
//! test of every rule is decided once per lead, answer by answer, into the
//! bits of one `u64`; each rule's condition tree is a short jump program over
//! those bits, made once at compile time.
//!
//! Walking the trees tests a subject again for every rule that names it (a
//! lookup of the answer, a match on its kind, a comparison per node); here a
//! lead's answer to each subject is looked up once and every test on it is
//! settled together: a select's option index picks the verdicts of all its
//! tests at once (compile made them per option), a number is compared with
//! each range, a text is split into words once for every `contains_word`, and
//! a test repeated by several rules (the free-mail list, typically) is
//! decided once. A program then visits the same tests as the tree's
//! short-circuit walk, in the same order, so verdicts are the same.
//!
//! Tests that leave a mark in the `Trace` (email-list checks, which may be
//! deferred) are not settled ahead: the programs decide them where the walk
//! would, so the trace is the walk's trace too.

use crate::condition::{Check, Cond, Subject, Test, Trace};
use crate::lead::{Answer, Lead};
use crate::raw::Op;
use crate::text::same_bytes;

/// Where a program ends: the rule holds, or it does not.
const HOLDS: u16 = u16::MAX;
const FAILS: u16 = u16::MAX - 1;
/// A node's `lazy` when its test is settled ahead, in `bit`.
const SETTLED: u16 = u16::MAX;

#[derive(Debug, Clone, Default)]
pub(crate) struct Programs {
    /// What settles the tests, subject by subject, in one pass.
    steps: Vec<Step>,
    /// Per select with tests, the bits that hold for each option index
    /// (`Step::Options` points into it).
    option_bits: Vec<u64>,
    /// Per subject with `contains_word` tests, its single words (`Step::Words`).
    tables: Vec<WordTable>,
    /// The tests the steps decide with `Test::eval`, and the lazy ones.
    tests: Vec<Test>,
    /// How each rule is decided from the bits, and what it is worth, in
    /// playbook order: what scoring reads, packed (a `Rule` is much larger).
    rules: Vec<Scored>,
    nodes: Vec<Node>,
    /// The steps of each `Shape::Formula`, end to end (`formulas[f]` is a range).
    fops: Vec<Fop>,
    formulas: Vec<(u32, u32)>,
    /// Each `Shape::Clauses`, its groups in `clauses`.
    clause_sets: Vec<ClauseSet>,
    clauses: Vec<(u64, u64)>,
    /// The rules among the first 64 that hold exactly when one settled
    /// test does (`Shape::Bit`), gathered per test bit: tallying visits the
    /// bits that hold, not every such rule.
    by_bit: Vec<BitRules>,
    /// The test bits with rules in `by_bit`, each with its rules.
    bit_rules: Vec<(u8, BitRules)>,
    /// The other rules, in playbook order: decided one by one.
    others: Vec<usize>,
    /// Bit `i` when rule `i` (of the first 64) knocks out.
    knockouts: u64,
    /// Whether there are programs at all (none: scoring walks the trees).
    ready: bool,
}

/// The `Shape::Bit` rules of one test bit.
#[derive(Debug, Clone, Copy)]
struct BitRules {
    /// Bit `i`: rule `i`.
    rules: u64,
    /// The sum of their points.
    points: i64,
    /// The first of them that knocks out, as its index (or `u8::MAX`).
    knockout: u8,
}

/// One step of settling: steps after a `Subject` are about its answer.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Looks up the answer to `subject`. When it is missing, every test on
    /// it is false but `absent` (whose bits are `absent`), and the next
    /// `skip` steps (the rest of its tests) are passed over.
    Subject {
        subject: Subject,
        absent: u64,
        skip: u16,
    },
    /// An integer within `lo..=hi` (a comparison with constants).
    Range { lo: i64, hi: i64, bit: u8 },
    /// A yes/no answer: the bits that hold for a yes, and for a no.
    Bools { yes: u64, no: u64 },
    /// A select's answer: `option_bits[at + option index]` are the bits that
    /// hold; an answer that is no option (`n` of them) falls to the next
    /// `tests` `Eval` steps, which are skipped otherwise.
    Options { at: u32, n: u16, tests: u16 },
    /// `contains_word` tests (the next `tests` `Eval` steps) on the text
    /// split into words once. The first `covered` of them test single words
    /// only: `tables[table]` gives their bits per word.
    Words {
        table: u16,
        covered: u16,
        tests: u16,
    },
    /// `Test::eval` of `tests[test]` into `bit`, and its negation into
    /// `not` when `not < 64` (`in` and `not_in` of one list).
    Eval { test: u16, bit: u8, not: u8 },
}

/// A rule as scoring reads it.
#[derive(Debug, Clone, Copy)]
struct Scored {
    shape: Shape,
    points: i32,
    knockout: bool,
}

/// What the programs found for one lead: the sum of the points of the
/// rules that held, which held (bit `i`: rule `i`, for the first 64), the
/// rules past 64 that held, and the first knock-out that held.
pub(crate) struct Tally {
    pub total: i64,
    pub held: u64,
    pub more: Vec<usize>,
    pub knockout: Option<usize>,
}

/// How a rule is decided.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Holds when bit `0` holds.
    Bit(u8),
    /// Holds when all the bits of the mask hold.
    All(u64),
    /// Holds when any bit of the mask holds.
    Any(u64),
    /// `Programs::clause_sets[c]`: literals and groups of literals.
    Clauses(u16),
    /// `Programs::formulas[f]`: a tree of settled tests.
    Formula(u16),
    /// A jump program from this node (or `HOLDS`/`FAILS`).
    Program(u16),
}

/// One step of a formula, which decides a tree of settled tests on a stack
/// of verdicts (bit 0 the top) without a branch on any of them: the tests
/// have no side effects once settled, so the tree walk's short cuts cannot
/// change its verdict, and a mispredicted branch per node costs more than
/// deciding every node.
#[derive(Debug, Clone, Copy)]
enum Fop {
    /// Pushes whether every literal holds: the bits of `pos` set, of `neg` clear.
    All { pos: u64, neg: u64 },
    /// Pushes whether any literal holds.
    Any { pos: u64, neg: u64 },
    /// Pops `n` verdicts and pushes whether all of them held.
    And(u8),
    /// Pops `n` verdicts and pushes whether any of them held.
    Or(u8),
    /// Turns the top verdict.
    Not,
}

/// A rule two levels deep, nearly every nested rule people write: an `all`
/// of literals (tests, negated or not) and of `any`s of literals, or an
/// `any` of literals and of `all`s of literals. The literals are the bits
/// of `pos` set and of `neg` clear; each group is one `(pos, neg)`.
#[derive(Debug, Clone, Copy)]
struct ClauseSet {
    all: bool,
    pos: u64,
    neg: u64,
    /// The groups: `Programs::clauses[from..to]`.
    from: u32,
    to: u32,
}

#[derive(Debug, Clone)]
struct Node {
    /// The bit of the settled test, or ...
    bit: u8,
    /// ... the index of the test in `Programs::tests` (or `SETTLED`).
    lazy: u16,
    /// The next node when the test does not hold, and when it does.
    next: (u16, u16),
}

/// The integer range a test holds in, when it compares with constants.
fn range(t: &Test) -> Option<(i64, i64)> {
    match (&t.check, t.op) {
        (Check::Range(lo, hi), Op::Between) => Some((*lo, *hi)),
        (Check::Int(v), Op::Equals) => Some((*v, *v)),
        (Check::Int(v), Op::AtLeast) => Some((*v, i64::MAX)),
        (Check::Int(v), Op::AtMost) => Some((i64::MIN, *v)),
        (Check::Int(v), Op::GreaterThan) => v.checked_add(1).map(|lo| (lo, i64::MAX)),
        (Check::Int(v), Op::LessThan) => v.checked_sub(1).map(|hi| (i64::MIN, hi)),
        _ => None,
    }
}

/// The low `n` bits (`n` at most 64).
#[inline(always)]
fn mask(n: u8) -> u64 {
    u64::MAX.checked_shr(64 - u32::from(n.min(64))).unwrap_or(0)
}

/// Whether a test may leave a mark in the trace, so must be decided where
/// the tree walk decides it.
fn marks_trace(t: &Test) -> bool {
    matches!(
        t.op,
        Op::FreeEmail | Op::DisposableEmail | Op::BusinessEmail
    )
}

impl Programs {
    /// The programs of `rules` (their conditions, in order), or none when
    /// they have more distinct tests than bits, or do not fit the `u16`
    /// indexes; scoring then walks the trees.
    pub fn new<'c>(rules: impl Iterator<Item = (&'c Cond, i32, bool)>) -> Self {
        let mut b = Builder::default();
        let shapes: Vec<Scored> = rules
            .map(|(when, points, knockout)| Scored {
                shape: b.shape(when),
                points,
                knockout,
            })
            .collect();
        let mut p = b.finish(shapes);
        p.gather();
        let fits = p.nodes.len() < usize::from(FAILS)
            && p.tests.len() < usize::from(SETTLED)
            && p.tables.len() < usize::from(u16::MAX)
            && p.steps.len() < usize::from(u16::MAX)
            && u32::try_from(p.option_bits.len()).is_ok();
        if p.ready && fits {
            p
        } else {
            Programs::default()
        }
    }

    /// Settles every test but the lazy ones for `lead`: bit `i` holds the
    /// verdict of the test given bit `i`. `None` when there are no programs.
    #[inline]
    pub fn settle(&self, lead: &Lead, trace: &mut Trace) -> Option<u64> {
        if !self.ready {
            return None;
        }
        let mut bits = 0u64;
        let mut answer = &Answer::Missing;
        let mut spans = [(0u16, 0u16); 16];
        let mut i = 0;
        while let Some(step) = self.steps.get(i) {
            i += 1;
            match step {
                Step::Subject {
                    subject,
                    absent,
                    skip,
                } => {
                    answer = lead.subject(*subject);
                    if matches!(answer, Answer::Missing) {
                        bits |= absent;
                        i += usize::from(*skip);
                    }
                }
                // On an answer of another kind than a test compares, the
                // test is false (`Test::eval`).
                Step::Range { lo, hi, bit } => {
                    if let Answer::Int(n) = answer {
                        bits |= u64::from(lo <= n && n <= hi) << bit;
                    }
                }
                Step::Bools { yes, no } => {
                    if let Answer::Bool(b) = answer {
                        bits |= if *b { yes } else { no };
                    }
                }
                Step::Options { at, n, tests } => {
                    let chosen = match answer {
                        Answer::Text(t) => t.choice.filter(|c| c < n),
                        _ => None,
                    };
                    let found = chosen.and_then(|c| {
                        let at = usize::try_from(*at).ok()? + usize::from(c);
                        self.option_bits.get(at)
                    });
                    if let Some(m) = found {
                        bits |= m;
                        i += usize::from(*tests);
                    }
                }
                Step::Words {
                    table,
                    covered,
                    tests,
                } => {
                    let Answer::Text(t) = answer else {
                        continue;
                    };
                    // Text that is not ASCII, or has many words, goes word
                    // by word through `Test::eval` in the steps that follow.
                    let words = t.as_ascii().and_then(|s| Some((s, split(s, &mut spans)?)));
                    let Some((s, n)) = words else {
                        continue;
                    };
                    let spans = spans.get(..usize::from(n)).unwrap_or_default();
                    let split = spans
                        .iter()
                        .map(|&(a, b)| s.get(usize::from(a)..usize::from(b)).unwrap_or(""));
                    if let Some(table) = self.tables.get(usize::from(*table)) {
                        for word in split.clone() {
                            bits |= table.bits(word);
                        }
                    }
                    let first = i + usize::from(*covered);
                    let end = i + usize::from(*tests);
                    for step in self.steps.get(first..end).unwrap_or_default() {
                        let Step::Eval { test, bit, .. } = step else {
                            continue;
                        };
                        let t = self.tests.get(usize::from(*test));
                        let v = match t.and_then(|t| t.phrase_in(split.clone())) {
                            Some(v) => v,
                            None => t.is_some_and(|t| t.eval(lead, trace)),
                        };
                        bits |= u64::from(v) << bit;
                    }
                    i = end;
                }
                Step::Eval { test, bit, not } => {
                    let Some(t) = self.tests.get(usize::from(*test)) else {
                        continue;
                    };
                    let v = t.eval(lead, trace);
                    bits |= u64::from(v) << bit;
                    if *not < 64 {
                        // `in` and `not_in` of one list are each other's
                        // negation on an answer of the kind they compare;
                        // on another, both are false.
                        let compared = matches!(
                            (&t.check, answer),
                            (Check::Texts(_), Answer::Text(_) | Answer::List(_))
                                | (Check::Ints(_), Answer::Int(_))
                        );
                        bits |= u64::from(compared && !v) << not;
                    }
                }
            }
        }
        Some(bits)
    }

    /// Each subject's steps (its `Step::Subject` first), in order, for
    /// `direct`, which settles the same tests straight from a submission;
    /// none when there are no programs.
    pub fn groups(&self) -> impl Iterator<Item = &[Step]> {
        let mut rest = if self.ready {
            self.steps.as_slice()
        } else {
            &[]
        };
        std::iter::from_fn(move || {
            let len = match rest.first()? {
                Step::Subject { skip, .. } => 1 + usize::from(*skip),
                _ => 1,
            };
            let (group, tail) = rest.split_at(len.min(rest.len()));
            rest = tail;
            Some(group)
        })
    }

    /// Whether there are programs and every test in them is settled ahead:
    /// then `tally` never calls its `lazy`.
    pub fn all_settled(&self) -> bool {
        self.ready && self.nodes.iter().all(|n| n.lazy == SETTLED)
    }

    /// The test `Step::Eval` names.
    pub fn test(&self, i: u16) -> Option<&Test> {
        self.tests.get(usize::from(i))
    }

    /// The bits of option `index` of the select whose `Step::Options` starts at `at`.
    #[inline]
    pub fn option_bits(&self, at: u32, index: usize) -> Option<u64> {
        let at = usize::try_from(at).ok()?.checked_add(index)?;
        self.option_bits.get(at).copied()
    }

    /// The word table `Step::Words` names.
    pub fn table(&self, i: u16) -> Option<&WordTable> {
        self.tables.get(usize::from(i))
    }

    /// Splits the rules into `by_bit` and `others`.
    fn gather(&mut self) {
        let none = BitRules {
            rules: 0,
            points: 0,
            knockout: u8::MAX,
        };
        self.by_bit = vec![none; 64];
        for (i, rule) in self.rules.iter().enumerate() {
            let one = match (rule.shape, u8::try_from(i)) {
                (Shape::Bit(b), Ok(i @ 0..64)) => {
                    self.by_bit.get_mut(usize::from(b)).map(|r| (r, i))
                }
                _ => None,
            };
            match one {
                Some((r, i)) => {
                    r.rules |= 1 << i;
                    r.points += i64::from(rule.points);
                    if rule.knockout && r.knockout == u8::MAX {
                        r.knockout = i;
                    }
                }
                None => self.others.push(i),
            }
        }
        for (b, r) in self.by_bit.iter().enumerate() {
            if let (true, Ok(b)) = (r.rules != 0, u8::try_from(b)) {
                self.bit_rules.push((b, *r));
            }
        }
        for (i, rule) in self.rules.iter().enumerate().take(64) {
            self.knockouts |= u64::from(rule.knockout) << i;
        }
    }

    /// Every rule, given the settled tests' `bits`; `lazy` decides the
    /// tests that are not settled ahead, where the tree walk would.
    #[inline]
    pub fn tally(&self, bits: u64, mut lazy: impl FnMut(&Test) -> bool) -> Tally {
        let mut t = Tally {
            total: 0,
            held: 0,
            more: Vec::new(),
            knockout: None,
        };
        // The rules of one test each, bit by bit: a fixed count of steps
        // and no branch on whether the test held (a loop over the bits that
        // hold stops at a point that is data, mispredicted per lead).
        let mut first_knockout = u8::MAX;
        for &(b, r) in &self.bit_rules {
            let holds = 0u64.wrapping_sub(bits >> b & 1);
            t.total += r.points & holds as i64;
            t.held |= r.rules & holds;
            first_knockout = first_knockout.min(r.knockout | !(holds as u8));
        }
        // Whether a rule holds is data, not control: among the first 64
        // it is added without a branch (a mispredicted one per rule costs
        // more than the addition).
        let mut others = 0u64;
        for &i in &self.others {
            let Some(rule) = self.rules.get(i) else {
                continue;
            };
            let holds = match rule.shape {
                Shape::Bit(b) => bits >> b & 1 == 1,
                Shape::All(m) => bits & m == m,
                Shape::Any(m) => bits & m != 0,
                Shape::Clauses(c) => self.clause_set(c, bits),
                Shape::Formula(f) => self.formula(f, bits),
                Shape::Program(at) => self.run(at, bits, &mut lazy),
            };
            match u32::try_from(i).ok().filter(|&i| i < 64) {
                Some(i) => {
                    t.total += i64::from(rule.points) & -i64::from(holds);
                    others |= u64::from(holds) << i;
                }
                None if holds => {
                    t.total += i64::from(rule.points);
                    t.more.push(i);
                    if rule.knockout && t.knockout.is_none() {
                        t.knockout = Some(i);
                    }
                }
                None => {}
            }
        }
        t.held |= others;
        // The first of them that knocks out comes before any past 64.
        let knocked = others & self.knockouts;
        if knocked != 0 {
            t.knockout = Some(knocked.trailing_zeros() as usize);
        }
        // The first knock-out of all: of the one-test rules, or of the others.
        if first_knockout != u8::MAX {
            let k = usize::from(first_knockout);
            t.knockout = Some(t.knockout.map_or(k, |o| o.min(k)));
        }
        t
    }

    /// Whether clause set `c` holds on the settled tests' `bits`.
    #[inline]
    fn clause_set(&self, c: u16, bits: u64) -> bool {
        let Some(set) = self.clause_sets.get(usize::from(c)) else {
            return false;
        };
        let groups = self.clauses.get(set.from as usize..set.to as usize);
        let (pos, neg) = (set.pos, set.neg);
        // `&` and `|` of verdicts: no branch on them.
        if set.all {
            let mut holds = (bits & pos == pos) & (!bits & neg == neg);
            for &(p, n) in groups.unwrap_or_default() {
                holds &= (bits & p | !bits & n) != 0;
            }
            holds
        } else {
            let mut holds = (bits & pos | !bits & neg) != 0;
            for &(p, n) in groups.unwrap_or_default() {
                holds |= (bits & p == p) & (!bits & n == n);
            }
            holds
        }
    }

    /// Whether formula `f` holds on the settled tests' `bits`.
    #[inline]
    fn formula(&self, f: u16, bits: u64) -> bool {
        let Some(&(from, to)) = self.formulas.get(usize::from(f)) else {
            return false;
        };
        let fops = self
            .fops
            .get(from as usize..to as usize)
            .unwrap_or_default();
        let mut stack = 0u64;
        for op in fops {
            // `&` and `|` of verdicts, not `&&`/`||`: no branch on them.
            let (popped, verdict) = match *op {
                Fop::All { pos, neg } => (0, (bits & pos == pos) & (!bits & neg == neg)),
                Fop::Any { pos, neg } => (0, (bits & pos != 0) | (!bits & neg != 0)),
                Fop::And(n) => (n, stack & mask(n) == mask(n)),
                Fop::Or(n) => (n, stack & mask(n) != 0),
                Fop::Not => (1, stack & 1 == 0),
            };
            stack = stack.checked_shr(u32::from(popped)).unwrap_or(0) << 1 | u64::from(verdict);
        }
        stack & 1 == 1
    }

    /// Runs the program from node `at`: whether it reaches `HOLDS`.
    fn run(&self, mut at: u16, bits: u64, lazy: &mut impl FnMut(&Test) -> bool) -> bool {
        while let Some(node) = self.nodes.get(usize::from(at)) {
            let holds = if node.lazy == SETTLED {
                bits >> node.bit & 1 == 1
            } else {
                self.tests
                    .get(usize::from(node.lazy))
                    .is_some_and(&mut *lazy)
            };
            at = if holds { node.next.1 } else { node.next.0 };
        }
        at == HOLDS
    }
}

/// How one subject's tests are settled, gathered before the steps are laid out.
#[derive(Debug)]
struct Group {
    subject: Subject,
    absent: u64,
    ranges: Vec<(i64, i64, u8)>,
    yes: u64,
    no: u64,
    /// A select's bits per option, and its tests for an answer that is no option.
    options: Vec<u64>,
    option_tests: Vec<(Test, u8)>,
    words: Vec<(Test, u8)>,
    general: Vec<(Test, u8, u8)>,
}

/// Makes the programs: gives each distinct test a bit and its group, and
/// each rule its shape.
#[derive(Default)]
struct Builder {
    groups: Vec<Group>,
    nodes: Vec<Node>,
    lazy: Vec<Test>,
    /// Every settled test so far, with its bit.
    seen: Vec<(Test, u8)>,
    /// More distinct tests than bits.
    overflow: bool,
    fops: Vec<Fop>,
    formulas: Vec<(u32, u32)>,
    clause_sets: Vec<ClauseSet>,
    clauses: Vec<(u64, u64)>,
}

/// No bit (`Step::Eval::not`).
const NO_BIT: u8 = u8::MAX;

impl Builder {
    /// How `when` is decided: from one bit or one mask when it is a test or
    /// an `all`/`any` of settled tests, else by a program.
    fn shape(&mut self, when: &Cond) -> Shape {
        let settled = |c: &Cond| matches!(c, Cond::Test(t) if !marks_trace(t));
        match when {
            Cond::Test(t) if settled(when) => Shape::Bit(self.bit(t)),
            Cond::All(cs) | Cond::Any(cs) if !cs.is_empty() && cs.iter().all(settled) => {
                let mask = cs.iter().fold(0u64, |m, c| match c {
                    Cond::Test(t) => m | 1 << self.bit(t),
                    _ => m,
                });
                if matches!(when, Cond::All(_)) {
                    Shape::All(mask)
                } else {
                    Shape::Any(mask)
                }
            }
            // Tried in turn: each one that fits leaves the later ones unbuilt.
            _ => {
                if let Some(c) = self.clause_set(when) {
                    Shape::Clauses(c)
                } else if let Some(f) = self.formula(when) {
                    Shape::Formula(f)
                } else {
                    Shape::Program(self.emit(when, HOLDS, FAILS))
                }
            }
        }
    }

    /// The clause set of `when`, or `None` when it is not of that shape or
    /// a test in it is decided lazily.
    fn clause_set(&mut self, when: &Cond) -> Option<u16> {
        let (all, cs) = match when {
            Cond::All(cs) => (true, cs),
            Cond::Any(cs) => (false, cs),
            _ => return None,
        };
        // A shape check first, so that no bit is given to a test of a rule
        // that turns out to be no clause set.
        let literal = |c: &Cond| match c {
            Cond::Test(t) => !marks_trace(t),
            Cond::Not(c) => matches!(&**c, Cond::Test(t) if !marks_trace(t)),
            _ => false,
        };
        let group = |c: &Cond| match (all, c) {
            (true, Cond::Any(g)) | (false, Cond::All(g)) => g.iter().all(literal),
            _ => false,
        };
        if !cs.iter().all(|c| literal(c) || group(c)) {
            return None;
        }
        let from = u32::try_from(self.clauses.len()).ok()?;
        let (mut pos, mut neg) = (0, 0);
        for c in cs {
            match c {
                Cond::All(g) | Cond::Any(g) => {
                    let (mut p, mut n) = (0, 0);
                    for x in g {
                        let (a, b) = self.literal(x).unwrap_or_default();
                        (p, n) = (p | a, n | b);
                    }
                    self.clauses.push((p, n));
                }
                _ => {
                    let (a, b) = self.literal(c).unwrap_or_default();
                    (pos, neg) = (pos | a, neg | b);
                }
            }
        }
        let to = u32::try_from(self.clauses.len()).ok()?;
        self.clause_sets.push(ClauseSet {
            all,
            pos,
            neg,
            from,
            to,
        });
        u16::try_from(self.clause_sets.len() - 1).ok()
    }

    /// A literal's bit, in the first mask for a test and in the second for
    /// a test negated; `None` for anything else.
    fn literal(&mut self, c: &Cond) -> Option<(u64, u64)> {
        match c {
            Cond::Test(t) => Some((1u64 << self.bit(t), 0)),
            Cond::Not(inner) => match &**inner {
                Cond::Test(t) => Some((0, 1u64 << self.bit(t))),
                _ => None,
            },
            _ => None,
        }
    }

    /// The formula of `when`, or `None` when a test in it is decided lazily
    /// (where the walk would), or it is too deep for the stack.
    fn formula(&mut self, when: &Cond) -> Option<u16> {
        fn lazy(c: &Cond) -> bool {
            match c {
                Cond::Test(t) => marks_trace(t),
                Cond::Not(c) => lazy(c),
                Cond::All(cs) | Cond::Any(cs) => cs.iter().any(lazy),
            }
        }
        if lazy(when) {
            return None;
        }
        let from = self.fops.len();
        if !self.fops(when, 0) {
            self.fops.truncate(from);
            return None;
        }
        let at = u16::try_from(self.formulas.len()).ok()?;
        let range = (
            u32::try_from(from).ok()?,
            u32::try_from(self.fops.len()).ok()?,
        );
        self.formulas.push(range);
        Some(at)
    }

    /// Emits the steps of `c` onto a stack `height` verdicts high; `false`
    /// when it would grow past the stack's 64 bits.
    fn fops(&mut self, c: &Cond, height: usize) -> bool {
        if height >= 64 {
            return false;
        }
        match c {
            Cond::Test(_) => {
                let (pos, neg) = self.literal(c).unwrap_or_default();
                self.fops.push(Fop::All { pos, neg });
                true
            }
            Cond::Not(inner) => match self.literal(c) {
                Some((pos, neg)) => {
                    self.fops.push(Fop::All { pos, neg });
                    true
                }
                None => {
                    let ok = self.fops(inner, height);
                    self.fops.push(Fop::Not);
                    ok
                }
            },
            Cond::All(cs) | Cond::Any(cs) => {
                let all = matches!(c, Cond::All(_));
                // The literals first, as one group; an empty `all` holds
                // and an empty `any` does not, as the groups of no literal do.
                let (mut pos, mut neg, mut literals) = (0, 0, cs.is_empty());
                let mut nested = Vec::new();
                for x in cs {
                    match self.literal(x) {
                        Some((p, q)) => {
                            (pos, neg, literals) = (pos | p, neg | q, true);
                        }
                        None => nested.push(x),
                    }
                }
                let mut n = 0;
                if literals {
                    self.fops.push(if all {
                        Fop::All { pos, neg }
                    } else {
                        Fop::Any { pos, neg }
                    });
                    n = 1;
                }
                for x in nested {
                    if !self.fops(x, height + n) {
                        return false;
                    }
                    n += 1;
                }
                if n > 1 {
                    let n = u8::try_from(n).unwrap_or(u8::MAX);
                    self.fops.push(if all { Fop::And(n) } else { Fop::Or(n) });
                }
                true
            }
        }
    }

    /// The nodes of `c`, going on to `yes` when it holds and `no` when not;
    /// returns its first node.
    fn emit(&mut self, c: &Cond, yes: u16, no: u16) -> u16 {
        match c {
            Cond::Test(t) => {
                let (bit, lazy) = if marks_trace(t) {
                    self.lazy.push(t.clone());
                    (0, u16::try_from(self.lazy.len() - 1).unwrap_or(SETTLED))
                } else {
                    (self.bit(t), SETTLED)
                };
                self.nodes.push(Node {
                    bit,
                    lazy,
                    next: (no, yes),
                });
                u16::try_from(self.nodes.len() - 1).unwrap_or(FAILS)
            }
            Cond::Not(c) => self.emit(c, no, yes),
            Cond::All(cs) => cs.iter().rev().fold(yes, |next, c| self.emit(c, next, no)),
            Cond::Any(cs) => cs.iter().rev().fold(no, |next, c| self.emit(c, yes, next)),
        }
    }

    /// The bit of test `t`: the one of an equal test seen before, or a new
    /// one in the group of its subject.
    fn bit(&mut self, t: &Test) -> u8 {
        let same = |a: &Test| a.subject == t.subject && a.op == t.op && a.check == t.check;
        if let Some((_, bit)) = self.seen.iter().find(|(s, _)| same(s)) {
            return *bit;
        }
        let Ok(bit @ 0..64) = u8::try_from(self.seen.len()) else {
            self.overflow = true;
            return 0;
        };
        self.seen.push((t.clone(), bit));
        let at = match self.groups.iter().position(|g| g.subject == t.subject) {
            Some(at) => at,
            None => {
                self.groups.push(Group {
                    subject: t.subject,
                    absent: 0,
                    ranges: Vec::new(),
                    yes: 0,
                    no: 0,
                    options: Vec::new(),
                    option_tests: Vec::new(),
                    words: Vec::new(),
                    general: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let Some(g) = self.groups.get_mut(at) else {
            return bit;
        };
        if t.op == Op::Absent {
            g.absent |= 1 << bit;
        }
        if let Some(verdicts) = t.option_verdicts() {
            if g.options.len() < verdicts.len() {
                g.options.resize(verdicts.len(), 0);
            }
            for (m, &v) in g.options.iter_mut().zip(verdicts) {
                *m |= u64::from(v) << bit;
            }
            g.option_tests.push((t.clone(), bit));
        } else if let Some((lo, hi)) = range(t) {
            g.ranges.push((lo, hi, bit));
        } else if let (Check::Bool(v), Op::Equals | Op::NotEquals) = (&t.check, t.op) {
            let on = |b: bool| (b == *v) == (t.op == Op::Equals);
            g.yes |= u64::from(on(true)) << bit;
            g.no |= u64::from(on(false)) << bit;
        } else if t.op == Op::ContainsWord {
            g.words.push((t.clone(), bit));
        } else {
            // `in` and `not_in` of the same list: one search decides both.
            let twin = |(s, _, not): &(Test, u8, u8)| {
                *not == NO_BIT
                    && s.check == t.check
                    && matches!((s.op, t.op), (Op::In, Op::NotIn) | (Op::NotIn, Op::In))
            };
            match g.general.iter_mut().find(|e| twin(e)) {
                Some(e) => e.2 = bit,
                None => g.general.push((t.clone(), bit, NO_BIT)),
            }
        }
        bit
    }

    /// Lays the groups out as steps.
    fn finish(self, rules: Vec<Scored>) -> Programs {
        let mut p = Programs {
            tests: self.lazy,
            rules,
            nodes: self.nodes,
            fops: self.fops,
            formulas: self.formulas,
            clause_sets: self.clause_sets,
            clauses: self.clauses,
            ready: !self.overflow,
            ..Programs::default()
        };
        let as_u16 = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        for g in self.groups {
            let first = p.steps.len();
            p.steps.push(Step::Subject {
                subject: g.subject,
                absent: g.absent,
                skip: 0,
            });
            for (lo, hi, bit) in g.ranges {
                p.steps.push(Step::Range { lo, hi, bit });
            }
            if g.yes | g.no != 0 {
                p.steps.push(Step::Bools {
                    yes: g.yes,
                    no: g.no,
                });
            }
            let eval = |p: &mut Programs, t: Test, bit: u8, not: u8| {
                p.tests.push(t);
                let test = as_u16(p.tests.len() - 1);
                p.steps.push(Step::Eval { test, bit, not });
            };
            if !g.option_tests.is_empty() {
                p.steps.push(Step::Options {
                    at: u32::try_from(p.option_bits.len()).unwrap_or(u32::MAX),
                    n: as_u16(g.options.len()),
                    tests: as_u16(g.option_tests.len()),
                });
                p.option_bits.extend(g.options);
                for (t, bit) in g.option_tests {
                    eval(&mut p, t, bit, NO_BIT);
                }
            }
            if !g.words.is_empty() {
                // Tests of single words first: the table decides them.
                let (single, other): (Vec<_>, Vec<_>) = g
                    .words
                    .into_iter()
                    .partition(|(t, _)| t.single_words().is_some());
                let mut table = WordTable::default();
                for (t, bit) in &single {
                    for w in t.single_words().unwrap_or_default() {
                        table.add(w, 1 << bit);
                    }
                }
                p.tables.push(table);
                p.steps.push(Step::Words {
                    table: as_u16(p.tables.len() - 1),
                    covered: as_u16(single.len()),
                    tests: as_u16(single.len() + other.len()),
                });
                for (t, bit) in single.into_iter().chain(other) {
                    eval(&mut p, t, bit, NO_BIT);
                }
            }
            for (t, bit, not) in g.general {
                eval(&mut p, t, bit, not);
            }
            let skip = as_u16(p.steps.len() - first - 1);
            if let Some(Step::Subject { skip: s, .. }) = p.steps.get_mut(first) {
                *s = skip;
            }
        }
        p
    }
}

/// The words of single-word phrases, with the bits of the tests each one
/// satisfies: an open-addressed table, a power of two of slots at least
/// twice as many as words, so a text's word is found (or not) in about one
/// probe instead of a comparison per phrase.
#[derive(Debug, Clone, Default)]
pub(crate) struct WordTable {
    /// Lowercase words (empty: a free slot) and their bits.
    slots: Vec<(String, u64)>,
    /// The longest word: longer words of a text are in no phrase.
    longest: usize,
}

/// A hash of a lowercase word from its length and three of its bytes.
#[inline(always)]
fn word_hash(w: &[u8]) -> usize {
    let byte = |i: usize| u32::from(w.get(i).copied().unwrap_or(0));
    let x = byte(0) | byte(1) << 8 | byte(w.len().wrapping_sub(1)) << 16 | (w.len() as u32) << 24;
    (x.wrapping_mul(0x9e37_79b1) >> 16) as usize
}

impl WordTable {
    /// Adds `word` (lowercase, not empty) with `bits`.
    pub(crate) fn add(&mut self, word: &str, bits: u64) {
        if word.is_empty() {
            return;
        }
        let words = self.slots.iter().filter(|(w, _)| !w.is_empty()).count() + 1;
        if self.slots.len() < 2 * words {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![(String::new(), 0); (4 * words).next_power_of_two()];
            for (w, b) in old.into_iter().filter(|(w, _)| !w.is_empty()) {
                self.put(w, b);
            }
        }
        self.put(word.to_owned(), bits);
        self.longest = self.longest.max(word.len());
    }

    fn put(&mut self, word: String, bits: u64) {
        let mask = self.slots.len().saturating_sub(1);
        let mut at = word_hash(word.as_bytes());
        loop {
            let Some(slot) = self.slots.get_mut(at & mask) else {
                return;
            };
            if slot.0.is_empty() {
                *slot = (word, bits);
                return;
            }
            if slot.0 == word {
                slot.1 |= bits;
                return;
            }
            at += 1;
        }
    }

    /// The bits of `key`, which must equal a word byte for byte (no
    /// lowering, no length limit: a domain already in lowercase).
    #[inline]
    pub(crate) fn exact(&self, key: &[u8]) -> u64 {
        if key.len() > self.longest {
            return 0;
        }
        let mask = self.slots.len().saturating_sub(1);
        let mut at = word_hash(key);
        while let Some((slot, bits)) = self.slots.get(at & mask) {
            if slot.is_empty() {
                return 0;
            }
            if same_bytes(slot.as_bytes(), key) {
                return *bits;
            }
            at += 1;
        }
        0
    }

    /// The bits of the tests `word` (ASCII, any case) satisfies.
    #[inline]
    pub(crate) fn bits(&self, word: &str) -> u64 {
        let w = word.as_bytes();
        let mut lower = [0u8; 32];
        if w.len() > self.longest || w.len() > lower.len() {
            return 0;
        }
        for (d, s) in lower.iter_mut().zip(w) {
            *d = s.to_ascii_lowercase();
        }
        self.exact(lower.get(..w.len()).unwrap_or_default())
    }
}

/// Splits ASCII `s` into `spans` as `ascii_words` does; their count, or
/// `None` when `s` is too long or has more words than `spans` holds.
pub(crate) fn split(s: &str, spans: &mut [(u16, u16)]) -> Option<u8> {
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
