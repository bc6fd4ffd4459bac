//! Scoring a clean submission straight from its values (feature `bulk`).
//!
//! `score` otherwise validates every answer into a `Lead` (a list of
//! normalized answers, the derived facts, a store for the texts it makes)
//! and then settles the tests from the lead. Nearly every submission a
//! backtest or a benchmark scores is clean: each answer of its field's kind,
//! a select's typed as the form lists it, none invalid. For those, checking
//! an answer and settling its tests are one step here: each value is read
//! once, checked with the functions validation uses, and the bits of its
//! tests are set on the spot, with no `Lead` and no allocation (on the
//! peer workload, 1,520 instructions a lead where the full path took 2,631).
//!
//! It answers only where it agrees with the full path by construction:
//! - a plan is made only for a playbook whose tests are all of the kinds
//!   below (ranges on numbers, a select's options, yes/no, single words in
//!   a text, lists of domains on `email_domain`, presence), with no test
//!   left to decide lazily and no fact derived from the context;
//! - per submission, only values in the shapes below are read; any other
//!   value, and any invalid answer, gives `None` and `score` takes the full
//!   path, which also makes the field errors.
//!
//! `bench/src/bin/corpus.rs`, the property test
//! `scoring_straight_from_the_values_agrees_with_the_full_path` and the
//! `direct` fuzz target check the agreement on awkward submissions.

use crate::condition::{Check, Fact, Subject};
use crate::fields::{self, exact_option, max_length, merge, plain_address, too_long, trimmed};
use crate::flat::{split, Programs, Step, WordTable};
use crate::lead::{Answer, Store};
use crate::playbook::{Field, Playbook};
use crate::raw::{FieldKind, Op};
use crate::text::same_bytes;
use crate::wire::{Submission, Value};

/// The plan: one column per field of the form, in the byte order of the
/// field ids (the order of a submission's answers).
#[derive(Debug, Clone, Default)]
pub(crate) struct Direct {
    columns: Vec<Column>,
    /// The ranges of the number columns (`Kernel::Number`).
    ranges: Vec<(i64, i64, u8)>,
    /// The domain lists of `email_domain` (`Domains::table`).
    tables: Vec<WordTable>,
    /// The selects' options with their bits (`Kernel::Options`).
    options: Vec<OptionTable>,
    /// Whether there is a plan (none: `score` takes the full path).
    ready: bool,
}

#[derive(Debug, Clone)]
struct Column {
    /// Its index in the playbook's fields.
    field: usize,
    kernel: Kernel,
    /// The bits of the tests that hold when the answer is missing (`absent`
    /// on the field, and on `email_domain` when this field is its source).
    absent: u64,
    /// The bits of the tests that hold whenever it is answered (`present`).
    present: u64,
}

/// How a column's value is checked and its tests settled.
#[derive(Debug, Clone)]
enum Kernel {
    /// A whole number within `min..=max` (the field's), its range tests
    /// `ranges[from..to]`.
    Number {
        min: i64,
        max: i64,
        from: u16,
        to: u16,
    },
    /// A select; `Step::Options` at `at` when it has tests.
    Select { at: Option<u32> },
    /// A select with a perfect table of its options: `Direct::options[table]`.
    Options { table: u16 },
    /// A checkbox or a consent: the bits for a yes and for a no.
    Bool { yes: u64, no: u64 },
    /// Text, split into words for `Programs::table(words)` when tested.
    Text { words: Option<u16> },
    /// An email; `domains` when this is the source of `email_domain` and
    /// the domain is tested.
    Email { domains: Option<Domains> },
    /// Any other field, with presence tests at most: validation decides.
    Checked,
}

/// The tests on `email_domain`, decided by one lookup of the domain.
#[derive(Debug, Clone, Copy)]
struct Domains {
    /// `Direct::tables[table]`: each listed domain with the bits of the
    /// tests whose verdict its presence in the list turns.
    table: u16,
    /// The bits that hold for a domain in no list (`not_in`, `not_equals`,
    /// `present`); the table's bits turn them.
    flip: u64,
}

/// What one subject's steps settle, gathered for a column.
#[derive(Default)]
struct Group {
    absent: u64,
    present: u64,
    ranges: Vec<(i64, i64, u8)>,
    bools: Option<(u64, u64)>,
    options: Option<u32>,
    words: Option<u16>,
    /// `in`, `not_in`, `equals`, `not_equals` on text: (listed, bits
    /// turned by being listed, bits that hold when not listed).
    lists: Vec<(Vec<String>, u64, u64)>,
}

impl Group {
    /// The group of one subject's steps, or `None` when a step is of a kind
    /// this module does not settle.
    fn of(steps: &[Step], programs: &Programs) -> Option<(Subject, Group)> {
        let (first, rest) = steps.split_first()?;
        let Step::Subject {
            subject, absent, ..
        } = first
        else {
            return None;
        };
        let mut g = Group {
            absent: *absent,
            ..Group::default()
        };
        let mut steps = rest.iter();
        while let Some(step) = steps.next() {
            match step {
                Step::Range { lo, hi, bit } => g.ranges.push((*lo, *hi, *bit)),
                Step::Bools { yes, no } => g.bools = Some((*yes, *no)),
                // The tests after it are for an answer that is no option,
                // which is never read here.
                Step::Options { at, tests, .. } => {
                    g.options = Some(*at);
                    steps.nth(usize::from(*tests).checked_sub(1)?);
                }
                // Only single words, which the table decides.
                Step::Words {
                    table,
                    covered,
                    tests,
                } => {
                    if covered != tests {
                        return None;
                    }
                    g.words = Some(*table);
                    steps.nth(usize::from(*tests).checked_sub(1)?);
                }
                Step::Eval { test, bit, not } => {
                    let t = programs.test(*test)?;
                    let one = 1u64.checked_shl(u32::from(*bit))?;
                    // `not` is the twin's bit: the negation of the verdict.
                    let twin = 1u64.checked_shl(u32::from(*not)).unwrap_or(0);
                    match (&t.check, t.op) {
                        (_, Op::Present) => g.present |= one,
                        (_, Op::Absent) => {}
                        (Check::Texts(vs), Op::In) => g.lists.push((vs.clone(), one | twin, twin)),
                        (Check::Texts(vs), Op::NotIn) => {
                            g.lists.push((vs.clone(), one | twin, one))
                        }
                        (Check::Text(v), Op::Equals) => g.lists.push((vec![v.clone()], one, 0)),
                        (Check::Text(v), Op::NotEquals) => {
                            g.lists.push((vec![v.clone()], one, one));
                        }
                        _ => return None,
                    }
                }
                Step::Subject { .. } => return None,
            }
        }
        Some((*subject, g))
    }

    /// Whether it settles nothing besides presence but `part`.
    fn only(&self, part: Option<Part>) -> bool {
        let has = [
            (Part::Ranges, !self.ranges.is_empty()),
            (Part::Bools, self.bools.is_some()),
            (Part::Options, self.options.is_some()),
            (Part::Words, self.words.is_some()),
            (Part::Lists, !self.lists.is_empty()),
        ];
        has.iter().all(|&(p, has)| !has || Some(p) == part)
    }
}

/// What a group settles besides presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Ranges,
    Bools,
    Options,
    Words,
    Lists,
}

impl Direct {
    /// The plan for `fields` (in `by_id` order) and the rules' `programs`,
    /// or no plan when any test or field is of a kind it does not read.
    pub fn new(
        programs: &Programs,
        fields: &[Field],
        by_id: &[usize],
        email_field: Option<u16>,
    ) -> Self {
        Self::plan(programs, fields, by_id, email_field).unwrap_or_default()
    }

    fn plan(
        programs: &Programs,
        fields: &[Field],
        by_id: &[usize],
        email_field: Option<u16>,
    ) -> Option<Self> {
        if !programs.all_settled() {
            return None;
        }
        let mut groups: Vec<(Subject, Group)> = Vec::new();
        for steps in programs.groups() {
            groups.push(Group::of(steps, programs)?);
        }
        let mut take = |s: Subject| {
            let at = groups.iter().position(|(g, _)| *g == s)?;
            Some(groups.swap_remove(at).1)
        };
        let mut direct = Direct::default();
        for &i in by_id {
            let field = fields.get(i)?;
            let g = take(Subject::Field(u16::try_from(i).ok()?)).unwrap_or_default();
            let mut absent = g.absent;
            let kernel = match field.kind {
                FieldKind::Number if g.only(Some(Part::Ranges)) => {
                    let from = u16::try_from(direct.ranges.len()).ok()?;
                    direct.ranges.extend(&g.ranges);
                    let to = u16::try_from(direct.ranges.len()).ok()?;
                    Kernel::Number {
                        min: field.min.unwrap_or(i64::MIN),
                        max: field.max.unwrap_or(i64::MAX),
                        from,
                        to,
                    }
                }
                FieldKind::Select if g.only(Some(Part::Options)) => {
                    match OptionTable::new(programs, field, g.options, g.present) {
                        Some(t) => {
                            direct.options.push(t);
                            let table = u16::try_from(direct.options.len() - 1).ok()?;
                            Kernel::Options { table }
                        }
                        None => Kernel::Select { at: g.options },
                    }
                }
                FieldKind::Checkbox | FieldKind::Consent if g.only(Some(Part::Bools)) => {
                    let (yes, no) = g.bools.unwrap_or((0, 0));
                    Kernel::Bool { yes, no }
                }
                FieldKind::Text | FieldKind::Hidden if g.only(Some(Part::Words)) => {
                    Kernel::Text { words: g.words }
                }
                FieldKind::Email if g.only(None) => {
                    let source = email_field.is_some_and(|e| usize::from(e) == i);
                    let domain = if source {
                        take(Subject::Fact(Fact::EmailDomain))
                    } else {
                        None
                    };
                    let domains = match domain {
                        Some(d) if !d.only(Some(Part::Lists)) => return None,
                        Some(d) => {
                            absent |= d.absent;
                            Some(direct.domains(d)?)
                        }
                        None => None,
                    };
                    Kernel::Email { domains }
                }
                _ if g.only(None) => Kernel::Checked,
                _ => return None,
            };
            direct.columns.push(Column {
                field: i,
                kernel,
                absent,
                present: g.present,
            });
        }
        // A test on anything else (a fact from the context): no plan.
        if !groups.is_empty() {
            return None;
        }
        direct.ready = true;
        Some(direct)
    }

    /// The table and the bits of the tests on `email_domain`.
    fn domains(&mut self, g: Group) -> Option<Domains> {
        let mut table = WordTable::default();
        let mut flip = g.present;
        for (listed, turned, holds) in g.lists {
            for v in &listed {
                table.add(v, turned);
            }
            flip |= holds;
        }
        self.tables.push(table);
        Some(Domains {
            table: u16::try_from(self.tables.len() - 1).ok()?,
            flip,
        })
    }

    /// The settled tests' bits for `submission`, as `Programs::settle`
    /// would give them for its lead; `None` when there is no plan, or when
    /// any answer is not in a shape read here or is invalid.
    #[inline]
    pub fn settle(&self, playbook: &Playbook, submission: &Submission) -> Option<u64> {
        if !self.ready {
            return None;
        }
        let (ids, ends, values) = submission.fields.parts();
        let (form_ids, form_ends, _) = playbook.complete.parts();
        let complete = ids == form_ids && ends == form_ends;
        let (mut at, mut start) = (0, 0);
        let mut bits = 0;
        for (k, column) in self.columns.iter().enumerate() {
            let field = playbook.fields.get(column.field)?;
            let value = if complete {
                values.get(k)?
            } else {
                merge(ids, ends, values, field.id.as_bytes(), &mut at, &mut start)
            };
            bits |= self.column(&playbook.programs, field, column, value)?;
        }
        Some(bits)
    }

    /// One answer checked as `fields::check` checks it, and the bits of its tests.
    #[inline(always)]
    fn column(&self, programs: &Programs, field: &Field, c: &Column, value: &Value) -> Option<u64> {
        // No answer: the tests of a missing answer, unless one is required.
        let missing = || (!field.required).then_some(c.absent);
        match (&c.kernel, value) {
            (Kernel::Number { min, max, from, to }, Value::Int(n)) => {
                let n = *n;
                if n < *min || n > *max {
                    return None;
                }
                let ranges = self
                    .ranges
                    .get(usize::from(*from)..usize::from(*to))
                    .unwrap_or_default();
                let mut bits = c.present;
                for &(lo, hi, bit) in ranges {
                    bits |= u64::from((lo <= n) & (n <= hi)) << bit;
                }
                Some(bits)
            }
            (Kernel::Select { at }, Value::Text(_)) => {
                let s = trimmed(value);
                if s.is_empty() {
                    return missing();
                }
                let (index, _) = exact_option(field, s)?;
                match at {
                    Some(at) => Some(programs.option_bits(*at, index)? | c.present),
                    None => Some(c.present),
                }
            }
            (Kernel::Options { table }, Value::Text(_)) => {
                let s = trimmed(value);
                if s.is_empty() {
                    return missing();
                }
                self.options.get(usize::from(*table))?.bits(s.as_bytes())
            }
            (Kernel::Bool { yes, no }, Value::Bool(b)) => {
                if field.required && !b {
                    return None;
                }
                // A select of the two masks, not a branch on the answer.
                let yes_mask = 0u64.wrapping_sub(u64::from(*b));
                Some((yes & yes_mask) | (no & !yes_mask) | c.present)
            }
            // No answer to a checkbox is a no.
            (Kernel::Bool { no, .. }, Value::Null) => (!field.required).then_some(no | c.present),
            (Kernel::Text { words }, Value::Text(_)) => {
                let s = trimmed(value);
                if s.is_empty() {
                    return missing();
                }
                if too_long(s, field.max_length as usize) {
                    return None;
                }
                let mut bits = c.present;
                if let Some(table) = words.and_then(|w| programs.table(w)) {
                    // ASCII, and not so many words that the split gives up:
                    // else the words go through the full path.
                    if !s.is_ascii() {
                        return None;
                    }
                    let mut spans = [(0u16, 0u16); 16];
                    let n = split(s, &mut spans)?;
                    for &(a, b) in spans.get(..usize::from(n)).unwrap_or_default() {
                        let word = s.get(usize::from(a)..usize::from(b)).unwrap_or_default();
                        bits |= table.bits(word);
                    }
                }
                Some(bits)
            }
            (Kernel::Email { domains }, Value::Text(_)) => {
                let s = trimmed(value);
                if s.is_empty() {
                    return missing();
                }
                if too_long(s, max_length(field)) {
                    return None;
                }
                // Only an address of the plain shape; validation decides the others.
                let plain = plain_address(s)?;
                let Some(d) = domains else {
                    return Some(c.present);
                };
                let domain = s.as_bytes().get(plain.at + 1..)?;
                // `email_domain` is the lowercase (plain_address bounds it to 253 bytes).
                let mut lower = [0u8; 256];
                let domain = if plain.domain_upper {
                    let buf = lower.get_mut(..domain.len())?;
                    for (l, b) in buf.iter_mut().zip(domain) {
                        *l = b.to_ascii_lowercase();
                    }
                    &*buf
                } else {
                    domain
                };
                let listed = self.tables.get(usize::from(d.table))?.exact(domain);
                Some((listed ^ d.flip) | c.present)
            }
            (Kernel::Checked, _) => {
                let store = Store::default();
                let mut slot = Answer::Missing;
                fields::check(field, value, trimmed(value), &store, &mut slot).ok()?;
                Some(match slot {
                    Answer::Missing => c.absent,
                    _ => c.present,
                })
            }
            (_, Value::Null) => missing(),
            _ => None,
        }
    }
}

/// A select's options as `Kernel::Options` looks them up: a perfect hash
/// (compile searches a multiplier that gives every option its own slot),
/// so a lookup is one slot and one comparison, with no probing whose
/// length depends on the answer. Each slot holds its value, so nothing is
/// followed before comparing, and the bits the option sets.
#[derive(Debug, Clone, Default)]
struct OptionTable {
    slots: Vec<OptionSlot>,
    multiplier: u64,
    shift: u32,
}

/// The longest option value a slot holds.
const SHORT: usize = 15;

#[derive(Debug, Clone, Copy, Default)]
struct OptionSlot {
    /// The value's length; 0 for a free slot.
    len: u8,
    value: [u8; SHORT],
    bits: u64,
}

/// What the hash of a value is made of: its length and six of its bytes.
#[inline(always)]
fn option_key(s: &[u8]) -> u64 {
    let byte = |i: usize| u64::from(s.get(i).copied().unwrap_or(0));
    let end = |i: usize| {
        u64::from(
            s.len()
                .checked_sub(i)
                .and_then(|j| s.get(j))
                .copied()
                .unwrap_or(0),
        )
    };
    (s.len() as u64)
        | byte(0) << 8
        | byte(1) << 16
        | byte(2) << 24
        | end(1) << 32
        | end(2) << 40
        | end(3) << 48
}

impl OptionTable {
    /// The table of `field`'s options, with the bits of `Step::Options` at
    /// `at` (and `present`); `None` when an option is empty or too long,
    /// or no multiplier tried separates them.
    fn new(programs: &Programs, field: &Field, at: Option<u32>, present: u64) -> Option<Self> {
        let mut entries = Vec::new();
        for (i, o) in field.options.iter().enumerate() {
            let b = o.as_bytes();
            if b.is_empty() || b.len() > SHORT {
                return None;
            }
            // A repeated value keeps its first index, as `exact_option` finds it.
            if field
                .options
                .get(..i)
                .is_some_and(|before| before.contains(o))
            {
                continue;
            }
            let bits = match at {
                Some(at) => programs.option_bits(at, i)?,
                None => 0,
            } | present;
            let mut value = [0u8; SHORT];
            value.get_mut(..b.len())?.copy_from_slice(b);
            let len = u8::try_from(b.len()).ok()?;
            entries.push((option_key(b), OptionSlot { len, value, bits }));
        }
        let n = entries.len().max(1);
        for size in [2 * n, 4 * n, 8 * n].map(usize::next_power_of_two) {
            let shift = 64 - size.trailing_zeros();
            for k in 0..256u64 {
                // Odd multipliers from a fixed sequence: the same table on every target.
                let multiplier = 0x9e37_79b9_7f4a_7c15u64
                    .wrapping_add(k.wrapping_mul(0x6a09_e667_f3bc_c909))
                    | 1;
                let mut slots = vec![OptionSlot::default(); size];
                let fits = entries.iter().all(|(key, slot)| {
                    let at = (key.wrapping_mul(multiplier) >> shift) as usize;
                    match slots.get_mut(at) {
                        Some(free) if free.len == 0 => {
                            *free = *slot;
                            true
                        }
                        _ => false,
                    }
                });
                if fits {
                    return Some(OptionTable {
                        slots,
                        multiplier,
                        shift,
                    });
                }
            }
        }
        None
    }

    /// The bits of the option `s` names exactly; `None` when it names none
    /// (the full path then matches it ignoring case, or refuses it).
    #[inline]
    fn bits(&self, s: &[u8]) -> Option<u64> {
        let at = (option_key(s).wrapping_mul(self.multiplier) >> self.shift) as usize;
        let slot = self.slots.get(at)?;
        let value = slot.value.get(..usize::from(slot.len))?;
        (slot.len != 0 && same_bytes(value, s)).then_some(slot.bits)
    }
}
