//! A lead as rules see it: every answer validated and normalized once, plus
//! the facts derived from the answers and the context.

use std::borrow::Cow;

use crate::condition::{Fact, Subject};
use crate::playbook::Playbook;
use crate::text::{
    ascii_lower, byte_order, lower, normalize_domain, same_bytes, same_folded, split_at_last_at,
};
use crate::wire::Context;

/// A text answer kept as typed (for people) and, for rules, in lowercase.
///
/// Scoring must not allocate per answer, so the text borrows from the
/// submission (or from the playbook, for a select's canonical option), and the
/// lowercase is only made for text that is not ASCII. ASCII text is compared
/// ignoring ASCII case against the values rules hold, which compile has
/// lowercased: exactly the same verdict as comparing its lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a> {
    pub raw: Cow<'a, str>,
    fold: Fold<'a>,
    /// For a select's answer, the index of its option: tests on selects
    /// hold a verdict per option, made at compile time.
    pub choice: Option<u16>,
}

/// How a text's lowercase is had. (`repr(u8)`: a plain tag is quicker to
/// test than a niche in the `String`.)
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Fold<'a> {
    /// ASCII without capitals: the text is its own lowercase.
    Plain,
    /// ASCII with capitals: compared ignoring ASCII case.
    Ascii,
    /// Not ASCII: the lowercase, made once (or borrowed from the playbook,
    /// for an option).
    Other(Cow<'a, str>),
}

impl Fold<'static> {
    /// How `s` is lowered; compile keeps one per select option, so that an
    /// answer naming an option is not scanned again per lead.
    pub fn of(s: &str) -> Self {
        // One pass over the bytes: any non-ASCII byte, any capital.
        let (mut high, mut upper) = (false, false);
        for b in s.bytes() {
            high |= !b.is_ascii();
            upper |= b.is_ascii_uppercase();
        }
        if high {
            Fold::Other(Cow::Owned(lower(s)))
        } else if upper {
            Fold::Ascii
        } else {
            Fold::Plain
        }
    }
}

impl<'a> Text<'a> {
    pub fn new(raw: impl Into<Cow<'a, str>>) -> Self {
        let raw = raw.into();
        let fold = Fold::of(&raw);
        Text {
            raw,
            fold,
            choice: None,
        }
    }

    /// ASCII text whose capitals, if any, are known (`upper`): no scan.
    pub fn ascii(raw: Cow<'a, str>, upper: bool) -> Self {
        Text {
            raw,
            fold: if upper { Fold::Ascii } else { Fold::Plain },
            choice: None,
        }
    }

    /// Option `index` of a select, `raw` its value and `fold` its
    /// `Fold::of`, both kept by the playbook.
    pub fn option(raw: &'a str, fold: &'a Fold<'static>, index: usize) -> Self {
        Text {
            raw: Cow::Borrowed(raw),
            fold: match fold {
                Fold::Plain => Fold::Plain,
                Fold::Ascii => Fold::Ascii,
                Fold::Other(f) => Fold::Other(Cow::Borrowed(f)),
            },
            choice: u16::try_from(index).ok(),
        }
    }

    /// Text that is its own lowercase already (a domain cut from a lowercased address).
    fn lowercase(s: String) -> Self {
        let fold = if s.is_ascii() {
            Fold::Plain
        } else {
            Fold::Other(Cow::Owned(s.clone()))
        };
        Text {
            raw: Cow::Owned(s),
            fold,
            choice: None,
        }
    }

    /// The lowercase, as rules see the text; borrowed unless ASCII capitals need lowering.
    pub fn lower(&self) -> Cow<'_, str> {
        match &self.fold {
            Fold::Plain => Cow::Borrowed(&self.raw),
            Fold::Ascii => Cow::Owned(self.raw.to_ascii_lowercase()),
            Fold::Other(f) => Cow::Borrowed(f),
        }
    }

    /// Whether the lowercase equals `v`, a value compile lowercased.
    pub fn is(&self, v: &str) -> bool {
        match &self.fold {
            Fold::Plain => same_bytes(self.raw.as_bytes(), v.as_bytes()),
            Fold::Ascii => same_folded(self.raw.as_bytes(), v.as_bytes()),
            Fold::Other(f) => **f == *v,
        }
    }

    /// Whether the lowercase is in `sorted`, a sorted list compile lowercased.
    pub fn is_in(&self, sorted: &[String]) -> bool {
        // Short lists are scanned, which is faster.
        let exact = |x: &str| {
            if sorted.len() <= 8 {
                sorted
                    .iter()
                    .any(|s| same_bytes(s.as_bytes(), x.as_bytes()))
            } else {
                sorted
                    .binary_search_by(|s| byte_order(s.as_bytes(), x.as_bytes()))
                    .is_ok()
            }
        };
        match &self.fold {
            Fold::Plain => exact(&self.raw),
            Fold::Other(f) => exact(f),
            Fold::Ascii if sorted.len() <= 8 => sorted
                .iter()
                .any(|s| same_folded(self.raw.as_bytes(), s.as_bytes())),
            Fold::Ascii => {
                // Lowered on the stack when short (a country code, a domain).
                let mut buf = [0u8; 64];
                let short = buf.get_mut(..self.raw.len()).map(|b| {
                    for (d, s) in b.iter_mut().zip(self.raw.bytes()) {
                        *d = s.to_ascii_lowercase();
                    }
                    &*b
                });
                match short.and_then(|b| std::str::from_utf8(b).ok()) {
                    Some(lowered) => exact(lowered),
                    None => sorted
                        .binary_search_by(|s| {
                            s.bytes()
                                .cmp(self.raw.bytes().map(|b| b.to_ascii_lowercase()))
                        })
                        .is_ok(),
                }
            }
        }
    }

    /// The text when it is ASCII (its fold says so without a scan).
    #[cfg(feature = "bulk")]
    pub fn as_ascii(&self) -> Option<&str> {
        match self.fold {
            Fold::Plain | Fold::Ascii => Some(&self.raw),
            Fold::Other(_) => None,
        }
    }

    /// The text rules split into words: ASCII text splits the same before and
    /// after lowering, and its words are compared ignoring ASCII case.
    pub fn for_words(&self) -> &str {
        match &self.fold {
            Fold::Other(f) => f,
            Fold::Plain | Fold::Ascii => &self.raw,
        }
    }
}

/// One normalized answer. (`repr(u8)`: every test reads the kind of its
/// answer first, and a plain tag is quicker to read than a niche.)
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Answer<'a> {
    Missing,
    Text(Text<'a>),
    Int(i64),
    Bool(bool),
    List(Vec<Text<'a>>),
}

/// Borrows from the playbook and the submission for `'a`.
pub(crate) struct Lead<'a> {
    pub playbook: &'a Playbook,
    /// One per playbook field, in playbook order.
    pub answers: Vec<Answer<'a>>,
    pub email_domain: Answer<'a>,
    pub utm: [Answer<'a>; 5],
    pub referrer_domain: Answer<'a>,
    pub pages_seen: Answer<'a>,
    /// Filled in once the score is known, for route conditions.
    pub score: Answer<'a>,
    pub grade: Answer<'a>,
    pub qualified: Answer<'a>,
}

static MISSING: Answer<'static> = Answer::Missing;

impl Answer<'_> {
    /// Whether dropping this answer frees nothing.
    #[inline(always)]
    fn owns_nothing(&self) -> bool {
        match self {
            Answer::Missing | Answer::Int(_) | Answer::Bool(_) => true,
            Answer::Text(t) => {
                matches!(t.raw, Cow::Borrowed(_)) && !matches!(t.fold, Fold::Other(Cow::Owned(_)))
            }
            Answer::List(_) => false,
        }
    }
}

fn opt_text(s: Option<&String>) -> Answer<'_> {
    match s.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => Answer::Text(Text::new(s)),
        None => Answer::Missing,
    }
}

/// The domain of an email answer as rules see it: the part of its lowercase
/// after the last `@`.
fn email_domain<'a>(email: &Text<'a>) -> Option<Text<'a>> {
    if let Fold::Other(f) = &email.fold {
        let d = split_at_last_at(f)?.1;
        return Some(Text::lowercase(d.to_owned()));
    }
    // ASCII: lowering does not move the `@`, and validation has normalized the
    // domain already, so it is usually borrowed as it stands.
    let raw = match &email.raw {
        // No capitals anywhere: nothing to lower.
        Cow::Borrowed(s) if email.fold == Fold::Plain => Cow::Borrowed(split_at_last_at(s)?.1),
        Cow::Borrowed(s) => ascii_lower(split_at_last_at(s)?.1),
        Cow::Owned(s) => Cow::Owned(ascii_lower(split_at_last_at(s)?.1).into_owned()),
    };
    Some(Text {
        raw,
        fold: Fold::Plain,
        choice: None,
    })
}

/// The host of a URL, normalized like an email domain.
fn url_host(url: Option<&String>) -> Answer<'_> {
    let Some(url) = url else {
        return Answer::Missing;
    };
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    // Normalized (lowercase, full-width folded) before `www.` goes, so that
    // `WWW.Example.com` is `example.com` too.
    let host = normalize_domain(host);
    let host = match host.strip_prefix("www.") {
        Some(rest) => rest.to_owned(),
        None => host,
    };
    if host.is_empty() {
        Answer::Missing
    } else {
        Answer::Text(Text::new(host))
    }
}

impl<'a> Lead<'a> {
    pub fn new(playbook: &'a Playbook, answers: Vec<Answer<'a>>, context: &'a Context) -> Self {
        // Only the facts some rule or route tests are derived: the others
        // are never looked at.
        let uses = |f: Fact| playbook.facts & f.bit() != 0;
        let email_domain = playbook
            .email_field
            .filter(|_| uses(Fact::EmailDomain))
            .and_then(|i| answers.get(usize::from(i)))
            .and_then(|a| match a {
                Answer::Text(t) => email_domain(t),
                _ => None,
            })
            .map_or(Answer::Missing, Answer::Text);
        let u = &context.utm;
        let utm = |f: Fact, s: &'a Option<String>| {
            if uses(f) {
                opt_text(s.as_ref())
            } else {
                Answer::Missing
            }
        };
        Lead {
            playbook,
            answers,
            email_domain,
            utm: [
                utm(Fact::UtmSource, &u.source),
                utm(Fact::UtmMedium, &u.medium),
                utm(Fact::UtmCampaign, &u.campaign),
                utm(Fact::UtmTerm, &u.term),
                utm(Fact::UtmContent, &u.content),
            ],
            referrer_domain: if uses(Fact::ReferrerDomain) {
                url_host(context.referrer.as_ref())
            } else {
                Answer::Missing
            },
            pages_seen: if uses(Fact::PagesSeen) {
                Answer::Int(i64::try_from(context.pages_seen.len()).unwrap_or(i64::MAX))
            } else {
                Answer::Missing
            },
            score: Answer::Missing,
            grade: Answer::Missing,
            qualified: Answer::Missing,
        }
    }

    pub fn subject(&self, s: Subject) -> &Answer<'a> {
        let utm = |i: usize| self.utm.get(i).unwrap_or(&MISSING);
        match s {
            Subject::Field(i) => self.answers.get(usize::from(i)).unwrap_or(&MISSING),
            Subject::Fact(f) => match f {
                Fact::EmailDomain => &self.email_domain,
                Fact::UtmSource => utm(0),
                Fact::UtmMedium => utm(1),
                Fact::UtmCampaign => utm(2),
                Fact::UtmTerm => utm(3),
                Fact::UtmContent => utm(4),
                Fact::ReferrerDomain => &self.referrer_domain,
                Fact::PagesSeen => &self.pages_seen,
                Fact::Score => &self.score,
                Fact::Grade => &self.grade,
                Fact::Qualified => &self.qualified,
            },
        }
    }

    pub fn subject_name(&self, s: Subject) -> &str {
        match s {
            Subject::Field(i) => self
                .playbook
                .fields
                .get(usize::from(i))
                .map_or("", |f| f.id.as_str()),
            Subject::Fact(f) => f.name(),
        }
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        // Nearly every answer borrows from the submission and the playbook
        // and owns nothing: forgetting those saves a call to the drop glue
        // of `Answer` per answer.
        for a in self.answers.drain(..) {
            if a.owns_nothing() {
                std::mem::forget(a);
            }
        }
    }
}
