//! A lead as rules see it: every answer validated and normalized once, plus
//! the facts derived from the answers and the context.

use crate::condition::{Fact, Subject};
use crate::playbook::Playbook;
use crate::text::{lower, normalize_domain};
use crate::wire::Context;

/// A text answer kept as typed (for people) and lowercased (for rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text {
    pub raw: String,
    pub lower: String,
}

impl Text {
    pub fn new(raw: String) -> Self {
        Text {
            lower: lower(&raw),
            raw,
        }
    }
}

/// One normalized answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    Missing,
    Text(Text),
    Int(i64),
    Bool(bool),
    List(Vec<Text>),
}

pub(crate) struct Lead<'p> {
    pub playbook: &'p Playbook,
    /// One per playbook field, in playbook order.
    pub answers: Vec<Answer>,
    pub email_domain: Answer,
    pub utm: [Answer; 5],
    pub referrer_domain: Answer,
    pub pages_seen: Answer,
    /// Filled in once the score is known, for route conditions.
    pub score: Answer,
    pub grade: Answer,
    pub qualified: Answer,
}

static MISSING: Answer = Answer::Missing;

fn opt_text(s: Option<&String>) -> Answer {
    match s.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => Answer::Text(Text::new(s.to_owned())),
        None => Answer::Missing,
    }
}

/// The host of a URL, normalized like an email domain.
fn url_host(url: Option<&String>) -> Answer {
    let Some(url) = url else {
        return Answer::Missing;
    };
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    if host.is_empty() {
        Answer::Missing
    } else {
        Answer::Text(Text::new(normalize_domain(host)))
    }
}

impl<'p> Lead<'p> {
    pub fn new(playbook: &'p Playbook, answers: Vec<Answer>, context: &Context) -> Self {
        let email_domain = playbook
            .email_field
            .and_then(|i| answers.get(usize::from(i)))
            .and_then(|a| match a {
                Answer::Text(t) => t.lower.rsplit_once('@').map(|(_, d)| d.to_owned()),
                _ => None,
            })
            .map_or(Answer::Missing, |d| {
                Answer::Text(Text {
                    raw: d.clone(),
                    lower: d,
                })
            });
        let u = &context.utm;
        Lead {
            playbook,
            answers,
            email_domain,
            utm: [
                opt_text(u.source.as_ref()),
                opt_text(u.medium.as_ref()),
                opt_text(u.campaign.as_ref()),
                opt_text(u.term.as_ref()),
                opt_text(u.content.as_ref()),
            ],
            referrer_domain: url_host(context.referrer.as_ref()),
            pages_seen: Answer::Int(i64::try_from(context.pages_seen.len()).unwrap_or(i64::MAX)),
            score: Answer::Missing,
            grade: Answer::Missing,
            qualified: Answer::Missing,
        }
    }

    pub fn subject(&self, s: Subject) -> &Answer {
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
