//! A lead as rules see it: every answer validated and normalized once, plus
//! the facts derived from the answers and the context.

use std::borrow::Cow;
use std::cell::OnceCell;

use typed_arena::Arena;

use crate::condition::{Fact, Subject};
use crate::playbook::Playbook;
use crate::text::{
    ascii_lower, byte_order, lower, normalize_domain, same_bytes, same_folded, split_at_last_at,
};
use crate::wire::Context;

/// Where the texts a lead makes (a lowercase, a normalized address) live
/// for as long as the lead: answers borrow them, so an answer owns nothing
/// and dropping a lead is freeing its list of answers. Most leads make no
/// text at all, and then nothing is allocated here.
#[derive(Default)]
pub(crate) struct Store {
    texts: OnceCell<Arena<String>>,
}

impl Store {
    /// Keeps `s` for the lead's lifetime.
    pub fn keep(&self, s: String) -> &str {
        self.texts.get_or_init(|| Arena::with_capacity(4)).alloc(s)
    }

    /// `s` as a borrowed text: kept here when owned.
    pub fn text<'a>(&'a self, s: Cow<'a, str>) -> &'a str {
        match s {
            Cow::Borrowed(s) => s,
            Cow::Owned(s) => self.keep(s),
        }
    }
}

/// A text answer kept as typed (for people) and, for rules, in lowercase.
///
/// Scoring must not allocate per answer, so the text borrows from the
/// submission (or from the playbook, for a select's canonical option), and the
/// lowercase is only made for text that is not ASCII. ASCII text is compared
/// ignoring ASCII case against the values rules hold, which compile has
/// lowercased: exactly the same verdict as comparing its lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Text<'a> {
    pub raw: &'a str,
    /// The lowercase when `fold` is `Other`, else `raw`.
    lower: &'a str,
    fold: Fold,
    /// For a select's answer, the index of its option: tests on selects
    /// hold a verdict per option, made at compile time.
    pub choice: Option<u16>,
}

/// How a text's lowercase is had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Fold {
    /// ASCII without capitals: the text is its own lowercase.
    Plain,
    /// ASCII with capitals: compared ignoring ASCII case.
    Ascii,
    /// Not ASCII: the lowercase, made once (or kept by the playbook, for an option).
    Other,
}

impl Fold {
    /// How `s` is lowered: one pass over the bytes (any non-ASCII byte, any capital).
    pub fn of(s: &str) -> Self {
        let (mut high, mut upper) = (false, false);
        for b in s.bytes() {
            high |= !b.is_ascii();
            upper |= b.is_ascii_uppercase();
        }
        if high {
            Fold::Other
        } else if upper {
            Fold::Ascii
        } else {
            Fold::Plain
        }
    }
}

/// How an option's value lowers, kept by the playbook so that an answer
/// naming the option is not scanned again per lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OptionFold {
    fold: Fold,
    /// The lowercase, when not ASCII.
    lower: String,
}

impl OptionFold {
    pub fn of(s: &str) -> Self {
        let fold = Fold::of(s);
        OptionFold {
            fold,
            lower: if fold == Fold::Other {
                lower(s)
            } else {
                String::new()
            },
        }
    }
}

impl<'a> Text<'a> {
    /// `raw`, its lowercase kept in `store` when it is not ASCII.
    pub fn new(raw: &'a str, store: &'a Store) -> Self {
        let fold = Fold::of(raw);
        Text {
            raw,
            lower: if fold == Fold::Other {
                store.keep(lower(raw))
            } else {
                raw
            },
            fold,
            choice: None,
        }
    }

    /// ASCII text whose capitals, if any, are known (`upper`): no scan.
    pub fn ascii(raw: &'a str, upper: bool) -> Self {
        Text {
            raw,
            lower: raw,
            fold: if upper { Fold::Ascii } else { Fold::Plain },
            choice: None,
        }
    }

    /// Option `index` of a select, `raw` its value and `fold` its
    /// `OptionFold::of`, both kept by the playbook.
    pub fn option(raw: &'a str, fold: &'a OptionFold, index: usize) -> Self {
        Text {
            raw,
            lower: if fold.fold == Fold::Other {
                &fold.lower
            } else {
                raw
            },
            fold: fold.fold,
            choice: u16::try_from(index).ok(),
        }
    }

    /// Text that is its own lowercase already (a domain cut from a lowercased address).
    fn lowercase(s: &'a str) -> Self {
        Text {
            raw: s,
            lower: s,
            fold: if s.is_ascii() {
                Fold::Plain
            } else {
                Fold::Other
            },
            choice: None,
        }
    }

    /// The lowercase, as rules see the text; borrowed unless ASCII capitals need lowering.
    pub fn lower(&self) -> Cow<'a, str> {
        match self.fold {
            Fold::Plain | Fold::Other => Cow::Borrowed(self.lower),
            Fold::Ascii => Cow::Owned(self.raw.to_ascii_lowercase()),
        }
    }

    /// Whether the lowercase equals `v`, a value compile lowercased.
    pub fn is(&self, v: &str) -> bool {
        match self.fold {
            Fold::Plain => same_bytes(self.raw.as_bytes(), v.as_bytes()),
            Fold::Ascii => same_folded(self.raw.as_bytes(), v.as_bytes()),
            Fold::Other => self.lower == v,
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
        match self.fold {
            Fold::Plain | Fold::Other => exact(self.lower),
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
    pub fn as_ascii(&self) -> Option<&'a str> {
        match self.fold {
            Fold::Plain | Fold::Ascii => Some(self.raw),
            Fold::Other => None,
        }
    }

    /// The text rules split into words: ASCII text splits the same before and
    /// after lowering, and its words are compared ignoring ASCII case.
    pub fn for_words(&self) -> &'a str {
        self.lower
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

fn opt_text<'a>(s: Option<&'a String>, store: &'a Store) -> Answer<'a> {
    match s.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => Answer::Text(Text::new(s, store)),
        None => Answer::Missing,
    }
}

/// The domain of an email answer as rules see it: the part of its lowercase
/// after the last `@`.
fn email_domain<'a>(email: &Text<'a>, store: &'a Store) -> Option<Text<'a>> {
    let domain = split_at_last_at(email.lower)?.1;
    match email.fold {
        // Not ASCII: cut from the lowercase. Else lowering does not move
        // the `@`, and validation has normalized the domain already, so it
        // is usually borrowed as it stands.
        Fold::Other | Fold::Plain => Some(Text::lowercase(domain)),
        Fold::Ascii => Some(Text::lowercase(store.text(ascii_lower(domain)))),
    }
}

/// The host of a URL, normalized like an email domain.
fn url_host<'a>(url: Option<&'a String>, store: &'a Store) -> Answer<'a> {
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
        Answer::Text(Text::new(store.keep(host), store))
    }
}

impl<'a> Lead<'a> {
    pub fn new(
        playbook: &'a Playbook,
        answers: Vec<Answer<'a>>,
        context: &'a Context,
        store: &'a Store,
    ) -> Self {
        // Only the facts some rule or route tests are derived: the others
        // are never looked at.
        let uses = |f: Fact| playbook.facts & f.bit() != 0;
        let email_domain = playbook
            .email_field
            .filter(|_| uses(Fact::EmailDomain))
            .and_then(|i| answers.get(usize::from(i)))
            .and_then(|a| match a {
                Answer::Text(t) => email_domain(t, store),
                _ => None,
            })
            .map_or(Answer::Missing, Answer::Text);
        let u = &context.utm;
        let utm = |f: Fact, s: &'a Option<String>| {
            if uses(f) {
                opt_text(s.as_ref(), store)
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
                url_host(context.referrer.as_ref(), store)
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
