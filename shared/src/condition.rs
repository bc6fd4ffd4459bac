//! Compiled conditions: evaluation against a lead, and the one-line explanation
//! of why a condition held.

use std::fmt::Write as _;

use crate::email;
use crate::lead::{Answer, Lead, Text};
use crate::playbook::Field;
use crate::raw::{FieldKind, Op};
use crate::text::{ascii_words, same_folded, words};

#[derive(Debug, Clone)]
pub(crate) enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Test(Test),
}

#[derive(Debug, Clone)]
pub(crate) struct Test {
    pub subject: Subject,
    pub op: Op,
    pub check: Check,
    /// A shortcut to the verdict, made from the above by `Test::new`.
    fast: Fast,
}

/// What compile can settle about a test before any lead arrives.
#[derive(Debug, Clone)]
enum Fast {
    /// Nothing: the general comparison.
    None,
    /// A test on a select: the verdict for each of its options, by index.
    Options(Vec<bool>),
    /// `contains_word`: a bit per first word of the phrases (see `word_bit`),
    /// so that most words of a text are passed over without comparing.
    Words(u64),
    /// `in`/`not_in` on text: the `text_bits` of every listed value, so that
    /// most texts not in the list are known to be so without a search.
    Texts(u64),
}

/// What a test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    Field(u16),
    Fact(Fact),
}

/// Facts derived from the answers and the context, never typed by the visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fact {
    EmailDomain,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    ReferrerDomain,
    PagesSeen,
    /// Only in routes: the verdict is known by then.
    Score,
    Grade,
    Qualified,
}

impl Fact {
    pub const ALL: [(&'static str, Fact); 11] = [
        ("email_domain", Fact::EmailDomain),
        ("utm_source", Fact::UtmSource),
        ("utm_medium", Fact::UtmMedium),
        ("utm_campaign", Fact::UtmCampaign),
        ("utm_term", Fact::UtmTerm),
        ("utm_content", Fact::UtmContent),
        ("referrer_domain", Fact::ReferrerDomain),
        ("pages_seen", Fact::PagesSeen),
        ("score", Fact::Score),
        ("grade", Fact::Grade),
        ("qualified", Fact::Qualified),
    ];

    pub fn name(self) -> &'static str {
        Fact::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("", |(n, _)| n)
    }

    /// Its bit in a set of facts.
    pub fn bit(self) -> u16 {
        1 << self as u16
    }

    pub fn route_only(self) -> bool {
        matches!(self, Fact::Score | Fact::Grade | Fact::Qualified)
    }
}

/// The operand of a test, already in the form evaluation compares against.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Check {
    /// Lowercased text (for `equals`/`not_equals` on text and lists).
    Text(String),
    Int(i64),
    Bool(bool),
    /// Sorted, deduplicated lowercased texts (for `in`/`not_in`).
    Texts(Vec<String>),
    /// Sorted, deduplicated integers.
    Ints(Vec<i64>),
    Range(i64, i64),
    /// Phrases as token lists; a phrase matches as consecutive whole words.
    Words(Vec<Vec<String>>),
    /// Normalized domains; a domain also matches its subdomains.
    Domains(Vec<String>),
    None,
}

/// Tracks what an evaluation could not decide on its own.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Email-list checks made without the lists (the widget's build).
    pub deferred_lists: bool,
}

impl Cond {
    /// The facts this condition tests (`Fact::bit`s).
    pub fn facts(&self) -> u16 {
        match self {
            Cond::All(cs) | Cond::Any(cs) => cs.iter().fold(0, |m, c| m | c.facts()),
            Cond::Not(c) => c.facts(),
            Cond::Test(t) => match t.subject {
                Subject::Fact(f) => f.bit(),
                Subject::Field(_) => 0,
            },
        }
    }

    pub fn eval(&self, lead: &Lead, trace: &mut Trace) -> bool {
        match self {
            Cond::All(cs) => cs.iter().all(|c| c.eval(lead, trace)),
            Cond::Any(cs) => cs.iter().any(|c| c.eval(lead, trace)),
            Cond::Not(c) => !c.eval(lead, trace),
            Cond::Test(t) => t.eval(lead, trace),
        }
    }

    /// Why this condition holds for `lead`, in one line. Call only when it holds.
    pub fn explain(&self, lead: &Lead, out: &mut String) {
        let mut trace = Trace::default();
        match self {
            Cond::All(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" and ");
                    }
                    c.explain(lead, out);
                }
            }
            Cond::Any(cs) => {
                if let Some(c) = cs.iter().find(|c| c.eval(lead, &mut trace)) {
                    c.explain(lead, out);
                }
            }
            Cond::Not(c) => {
                out.push_str("not (");
                c.describe(lead, out);
                out.push(')');
            }
            Cond::Test(t) => t.describe(lead, out),
        }
    }

    /// What the condition tests, whether or not it holds.
    fn describe(&self, lead: &Lead, out: &mut String) {
        match self {
            Cond::All(cs) | Cond::Any(cs) => {
                let join = if matches!(self, Cond::All(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(join);
                    }
                    c.describe(lead, out);
                }
            }
            Cond::Not(c) => {
                out.push_str("not (");
                c.describe(lead, out);
                out.push(')');
            }
            Cond::Test(t) => t.describe(lead, out),
        }
    }
}

impl Test {
    pub fn new(subject: Subject, op: Op, check: Check, fields: &[Field]) -> Self {
        let mut test = Test {
            subject,
            op,
            check,
            fast: Fast::None,
        };
        let email_lists = matches!(op, Op::FreeEmail | Op::DisposableEmail | Op::BusinessEmail);
        let select = match subject {
            Subject::Field(i) => fields
                .get(usize::from(i))
                .filter(|f| f.kind == FieldKind::Select),
            Subject::Fact(_) => None,
        };
        if let Check::Words(phrases) = &test.check {
            let first = phrases.iter().filter_map(|p| p.first());
            test.fast = Fast::Words(first.fold(0, |m, w| m | word_bit(w)));
        } else if let Some(field) = select.filter(|_| !email_lists) {
            // A select's answer is always one of its options, as its own text:
            // the general comparison, made once per option.
            let verdicts = field
                .options
                .iter()
                .zip(&field.option_folds)
                .enumerate()
                .map(|(i, (o, f))| {
                    test.holds(&Answer::Text(Text::option(o, f, i)), &mut Trace::default())
                })
                .collect();
            test.fast = Fast::Options(verdicts);
        } else if let (Check::Texts(vs), Op::In | Op::NotIn) = (&test.check, op) {
            test.fast = Fast::Texts(vs.iter().fold(0, |m, v| m | text_bits(v.as_bytes())));
        }
        test
    }

    /// The verdict of `contains_word` on a text's words (`ascii_words`, or
    /// `words` of its lowercase); `None` for any other test.
    #[cfg(feature = "bulk")]
    pub fn phrase_in<'t>(&self, words: impl Iterator<Item = &'t str> + Clone) -> Option<bool> {
        match (&self.check, self.op, &self.fast) {
            (Check::Words(phrases), Op::ContainsWord, Fast::Words(first)) => {
                Some(phrase_in(words, phrases, *first))
            }
            _ => None,
        }
    }

    /// The words of a `contains_word` test whose phrases are single words.
    #[cfg(feature = "bulk")]
    pub fn single_words(&self) -> Option<Vec<&str>> {
        match (&self.check, self.op) {
            (Check::Words(phrases), Op::ContainsWord) if phrases.iter().all(|p| p.len() <= 1) => {
                Some(
                    phrases
                        .iter()
                        .filter_map(|p| p.first())
                        .map(String::as_str)
                        .collect(),
                )
            }
            _ => None,
        }
    }

    /// A select's verdict per option, when compile settled them.
    #[cfg(feature = "bulk")]
    pub fn option_verdicts(&self) -> Option<&[bool]> {
        match &self.fast {
            Fast::Options(v) => Some(v),
            _ => None,
        }
    }

    pub fn eval(&self, lead: &Lead, trace: &mut Trace) -> bool {
        let answer = lead.subject(self.subject);
        if matches!(answer, Answer::Missing) {
            return self.op == Op::Absent;
        }
        match (&self.fast, answer) {
            (Fast::Options(verdicts), Answer::Text(t)) => {
                if let Some(&v) = t.choice.and_then(|i| verdicts.get(usize::from(i))) {
                    return v;
                }
            }
            (Fast::Texts(listed), Answer::Text(t)) => {
                let bits = text_bits(t.for_words().as_bytes());
                if bits & listed != bits {
                    // Not in the list.
                    return self.op == Op::NotIn;
                }
            }
            _ => {}
        }
        self.holds(answer, trace)
    }

    /// The verdict on an answer that is not missing.
    fn holds(&self, answer: &Answer, trace: &mut Trace) -> bool {
        match (&self.check, self.op, answer) {
            (_, Op::Present, _) => true,
            (_, Op::Absent, _) => false,
            (Check::Text(v), Op::Equals, Answer::Text(t)) => t.is(v),
            (Check::Text(v), Op::NotEquals, Answer::Text(t)) => !t.is(v),
            (Check::Text(v), Op::Equals, Answer::List(l)) => l.iter().any(|x| x.is(v)),
            (Check::Text(v), Op::NotEquals, Answer::List(l)) => l.iter().all(|x| !x.is(v)),
            (Check::Int(v), Op::Equals, Answer::Int(i)) => i == v,
            (Check::Int(v), Op::NotEquals, Answer::Int(i)) => i != v,
            (Check::Bool(v), Op::Equals, Answer::Bool(b)) => b == v,
            (Check::Bool(v), Op::NotEquals, Answer::Bool(b)) => b != v,
            (Check::Texts(vs), Op::In, Answer::Text(t)) => t.is_in(vs),
            (Check::Texts(vs), Op::NotIn, Answer::Text(t)) => !t.is_in(vs),
            (Check::Texts(vs), Op::In, Answer::List(l)) => l.iter().any(|x| x.is_in(vs)),
            (Check::Texts(vs), Op::NotIn, Answer::List(l)) => !l.iter().any(|x| x.is_in(vs)),
            (Check::Ints(vs), Op::In, Answer::Int(i)) => vs.binary_search(i).is_ok(),
            (Check::Ints(vs), Op::NotIn, Answer::Int(i)) => vs.binary_search(i).is_err(),
            (Check::Range(lo, hi), Op::Between, Answer::Int(i)) => lo <= i && i <= hi,
            (Check::Int(v), Op::AtLeast, Answer::Int(i)) => i >= v,
            (Check::Int(v), Op::AtMost, Answer::Int(i)) => i <= v,
            (Check::Int(v), Op::GreaterThan, Answer::Int(i)) => i > v,
            (Check::Int(v), Op::LessThan, Answer::Int(i)) => i < v,
            (Check::Words(phrases), Op::ContainsWord, Answer::Text(t)) => {
                let first = match self.fast {
                    Fast::Words(bits) => bits,
                    _ => u64::MAX,
                };
                has_phrase(t, phrases, first)
            }
            (Check::Domains(ds), Op::DomainMatches, Answer::Text(t)) => {
                domain_of(self.subject, &t.lower()).is_some_and(|d| domain_matches(d, ds))
            }
            (_, Op::FreeEmail | Op::DisposableEmail | Op::BusinessEmail, Answer::Text(t)) => {
                let lower = t.lower();
                let Some(domain) = domain_of(self.subject, &lower) else {
                    return false;
                };
                match email::classify(domain) {
                    Some(class) => match self.op {
                        Op::FreeEmail => class.free,
                        Op::DisposableEmail => class.disposable,
                        _ => !class.free && !class.disposable,
                    },
                    None => {
                        // Without the lists every domain looks like a business
                        // domain; the verdict says so by being provisional.
                        trace.deferred_lists = true;
                        self.op == Op::BusinessEmail
                    }
                }
            }
            // Compile rejects every other pairing; a value of the wrong type
            // (impossible after field validation) simply does not match.
            _ => false,
        }
    }

    fn describe(&self, lead: &Lead, out: &mut String) {
        let name = lead.subject_name(self.subject);
        let answer = lead.subject(self.subject);
        out.push_str(name);
        out.push(' ');
        match answer {
            Answer::Missing => out.push_str("is empty"),
            Answer::Text(t) => {
                quoted(out, &clip(t.raw));
            }
            Answer::Int(i) => {
                let _ = write!(out, "= {i}");
            }
            Answer::Bool(b) => {
                let _ = write!(out, "= {b}");
            }
            Answer::List(l) => {
                out.push('[');
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(x.raw);
                }
                out.push(']');
            }
        }
        if matches!(self.op, Op::Present | Op::Absent) && !matches!(answer, Answer::Missing) {
            return;
        }
        if matches!(self.op, Op::Absent) {
            return;
        }
        out.push_str(", ");
        out.push_str(match self.op {
            Op::Equals => "equals ",
            Op::NotEquals => "not equal to ",
            Op::In => "one of ",
            Op::NotIn => "none of ",
            Op::Between => "between ",
            Op::AtLeast => "at least ",
            Op::AtMost => "at most ",
            Op::GreaterThan => "more than ",
            Op::LessThan => "less than ",
            Op::ContainsWord => "contains ",
            Op::DomainMatches => "domain in ",
            Op::FreeEmail => "a free-mail provider",
            Op::DisposableEmail => "a disposable-mail provider",
            Op::BusinessEmail => "a business domain",
            Op::Present | Op::Absent => "",
        });
        match &self.check {
            Check::Text(v) => out.push_str(v),
            Check::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Check::Bool(v) => {
                let _ = write!(out, "{v}");
            }
            Check::Texts(vs) | Check::Domains(vs) => list(out, vs.iter().map(String::as_str)),
            Check::Ints(vs) => list(out, vs.iter().map(i64::to_string)),
            Check::Range(lo, hi) => {
                let _ = write!(out, "{lo} and {hi}");
            }
            Check::Words(ps) => {
                // Name the word that matched: sales reads "contains \"head\"", not a list.
                let hit = match answer {
                    Answer::Text(t) => ps
                        .iter()
                        .find(|p| has_phrase(t, std::slice::from_ref(p), u64::MAX)),
                    _ => None,
                };
                match hit {
                    Some(p) => {
                        let _ = write!(out, "{:?}", p.join(" "));
                    }
                    None => list(out, ps.iter().map(|p| p.join(" "))),
                }
            }
            Check::None => {}
        }
    }
}

fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 60;
    if s.len() <= MAX || s.chars().count() <= MAX {
        std::borrow::Cow::Borrowed(s)
    } else {
        let mut c: String = s.chars().take(MAX).collect();
        c.push('…');
        std::borrow::Cow::Owned(c)
    }
}

/// `s` as `{:?}` writes it: printable ASCII other than `"` and `\\` is written
/// as it is, so such text skips the formatter's escaping machinery.
fn quoted(out: &mut String, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        let _ = write!(out, "{s:?}");
    }
}

fn list<S: AsRef<str>>(out: &mut String, items: impl Iterator<Item = S>) {
    const MAX: usize = 8;
    out.push('[');
    let mut n = 0;
    for (i, s) in items.enumerate() {
        if i < MAX {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(s.as_ref());
        }
        n = i + 1;
    }
    if n > MAX {
        let _ = write!(out, ", … {} more", n - MAX);
    }
    out.push(']');
}

/// The domain part when the subject is an email field; a domain fact is one already.
fn domain_of(subject: Subject, lower: &str) -> Option<&str> {
    match subject {
        Subject::Fact(_) => Some(lower),
        Subject::Field(_) => lower.rsplit_once('@').map(|(_, d)| d),
    }
}

pub(crate) fn domain_matches(domain: &str, domains: &[String]) -> bool {
    domains.iter().any(|d| {
        domain == d
            || (domain.len() > d.len()
                && domain.ends_with(d.as_str())
                && domain.as_bytes().get(domain.len() - d.len() - 1) == Some(&b'.'))
    })
}

/// A word's bit in a 64-bit filter: from its length and its first byte
/// lowered, so a word and a phrase word that match ignoring ASCII case have
/// the same bit, and a word whose bit is not set starts no phrase.
fn word_bit(w: &str) -> u64 {
    let first = w.as_bytes().first().map_or(0, u8::to_ascii_lowercase);
    1 << ((w.len() as u32)
        .wrapping_mul(7)
        .wrapping_add(u32::from(first))
        & 63)
}

/// Two bits of a 64-bit filter for a text compared as its lowercase: from
/// its length with its first and with its last byte, lowered. `s` is the
/// lowercase, or ASCII text that lowers to it byte by byte (`Text::for_words`).
fn text_bits(s: &[u8]) -> u64 {
    let n = s.len() as u32;
    let first = u32::from(s.first().map_or(0, u8::to_ascii_lowercase));
    let last = u32::from(s.last().map_or(0, u8::to_ascii_lowercase));
    1 << (n.wrapping_mul(7).wrapping_add(first) & 63)
        | 1 << (n.wrapping_mul(5).wrapping_add(last.wrapping_mul(3)) & 63)
}

/// Whether the text's words contain one of the phrases (lowercase word lists)
/// as consecutive whole words; `first` has the `word_bit` of every phrase's
/// first word (or more bits). Allocates nothing: scoring runs it per lead.
fn has_phrase(text: &Text, phrases: &[Vec<String>], first: u64) -> bool {
    let s = text.for_words();
    if s.is_ascii() {
        phrase_in(ascii_words(s), phrases, first)
    } else {
        phrase_in(words(s), phrases, first)
    }
}

/// One pass over the words: at each word, whether a phrase starts there.
fn phrase_in<'t>(
    mut at: impl Iterator<Item = &'t str> + Clone,
    phrases: &[Vec<String>],
    first: u64,
) -> bool {
    // Phrase words are lowercase, and so are the words of a non-ASCII text's
    // lowercase; an ASCII text's words match them ignoring ASCII case.
    let same = |a: &str, b: &String| same_folded(a.as_bytes(), b.as_bytes());
    loop {
        let mut rest = at.clone();
        let Some(word) = rest.next() else {
            return false;
        };
        if first & word_bit(word) == 0 {
            at = rest;
            continue;
        }
        let hit = phrases.iter().any(|p| match p.split_first() {
            Some((first, more)) => {
                same(word, first) && {
                    let mut next = rest.clone();
                    more.iter().all(|w| next.next().is_some_and(|t| same(t, w)))
                }
            }
            None => false,
        });
        if hit {
            return true;
        }
        at = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_reads_as_debug_formatting_does() {
        let mut every_ascii: String = (0u8..128).map(char::from).collect();
        every_ascii.push_str("it's \"quoted\" \\ é ☃ \u{200b}");
        for s in every_ascii
            .char_indices()
            .map(|(i, _)| every_ascii.get(i..).unwrap_or_default())
            .chain(["", "plain words", "Head of Sales", "it's"])
        {
            let mut out = String::new();
            quoted(&mut out, s);
            assert_eq!(out, format!("{s:?}"));
        }
    }
}
