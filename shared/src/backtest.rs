//! A playbook tested on past outcomes: historical leads scored again with
//! it, compared with what became of them. Win rate per grade, precision and
//! recall of `qualified`, lift over the base rate, and which rules carry no
//! signal: what marketing and sales revise the playbook with, on evidence.
//!
//! Pure, and on the bulk scoring path (`Playbook::score`), which is what
//! that path is for: 100,000 leads in well under a second.

use serde::Serialize;

use crate::rates::{ratio, round};
use crate::{Playbook, Submission};

/// What became of a historical lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Won,
    /// Lost, or rejected by sales: decided, and not a customer.
    NotWon,
    /// Still open (or unknown): scored, but left out of the rates.
    Open,
}

impl Fate {
    /// Reads an outcome as CRMs and the edge's export write it.
    pub fn parse(s: &str) -> Option<Fate> {
        match s.trim().to_ascii_lowercase().as_str() {
            "won" | "closed won" | "closed-won" | "customer" | "1" | "true" => Some(Fate::Won),
            "lost" | "closed lost" | "closed-lost" | "rejected" | "disqualified" | "0"
            | "false" => Some(Fate::NotWon),
            "open" | "accepted" | "contacted" | "meeting_booked" | "invalid" | "" => {
                Some(Fate::Open)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rate {
    /// Decided leads (won or not).
    pub leads: u32,
    pub won: u32,
    pub win_rate: Option<f64>,
    /// `win_rate` over the base rate.
    pub lift: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradeRow {
    pub grade: String,
    #[serde(flatten)]
    pub rate: Rate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    pub rule: String,
    pub points: i32,
    /// Leads it held for, and their outcome.
    pub held: Rate,
    /// Leads it did not hold for.
    pub not_held: Rate,
    /// Two-proportion z statistic of the difference; `None` when one side is empty.
    pub z: Option<f64>,
    /// True when the difference is not significant at 95 % (|z| < 1.96), or
    /// the rule held for every lead or none.
    pub no_signal: bool,
}

/// The backtest of one playbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    pub version: String,
    /// Every lead read; `decided` of them were won or not.
    pub leads: u32,
    pub decided: u32,
    pub open: u32,
    pub won: u32,
    pub base_rate: Option<f64>,
    /// Of the leads the playbook qualifies, how many were won.
    pub precision: Option<f64>,
    /// Of the won leads, how many the playbook qualifies.
    pub recall: Option<f64>,
    /// Precision over the base rate.
    pub lift: Option<f64>,
    pub qualified: u32,
    pub by_grade: Vec<GradeRow>,
    pub by_rule: Vec<RuleRow>,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    leads: u32,
    won: u32,
}

impl Counts {
    fn add(&mut self, won: bool) {
        self.leads += 1;
        self.won += u32::from(won);
    }

    fn rate(self, base: Option<f64>) -> Rate {
        let win_rate = ratio(self.won, self.leads);
        Rate {
            leads: self.leads,
            won: self.won,
            win_rate,
            lift: match (win_rate, base) {
                (Some(w), Some(b)) if b > 0.0 => Some(round(w / b)),
                _ => None,
            },
        }
    }
}

fn z(a: Counts, b: Counts) -> Option<f64> {
    crate::rates::z(a.won, a.leads, b.won, b.leads)
}

/// Scores every lead with `playbook` and compares with its fate.
pub fn run(playbook: &Playbook, leads: &[(Submission, Fate)]) -> Backtest {
    let rules = &playbook.rules;
    let mut grades = vec![Counts::default(); playbook.grades.len()];
    let mut held = vec![Counts::default(); rules.len()];
    let mut not_held = vec![Counts::default(); rules.len()];
    let (mut decided, mut open, mut won, mut qualified, mut qualified_won) = (0, 0, 0, 0, 0);
    let mut fired = vec![false; rules.len()];
    for (submission, fate) in leads {
        let s = playbook.score(submission);
        let is_won = match fate {
            Fate::Open => {
                open += 1;
                continue;
            }
            Fate::Won => true,
            Fate::NotWon => false,
        };
        decided += 1;
        won += u32::from(is_won);
        if s.qualified {
            qualified += 1;
            qualified_won += u32::from(is_won);
        }
        if let Some(g) = grades.get_mut(s.grade) {
            g.add(is_won);
        }
        fired.iter_mut().for_each(|f| *f = false);
        for i in s.fired.iter() {
            if let Some(f) = fired.get_mut(i) {
                *f = true;
            }
        }
        for (i, f) in fired.iter().enumerate() {
            let side = if *f {
                held.get_mut(i)
            } else {
                not_held.get_mut(i)
            };
            if let Some(c) = side {
                c.add(is_won);
            }
        }
    }
    let base = ratio(won, decided);
    let precision = ratio(qualified_won, qualified);
    Backtest {
        version: playbook.version().to_owned(),
        leads: u32::try_from(leads.len()).unwrap_or(u32::MAX),
        decided,
        open,
        won,
        base_rate: base,
        precision,
        recall: ratio(qualified_won, won),
        lift: match (precision, base) {
            (Some(p), Some(b)) if b > 0.0 => Some(round(p / b)),
            _ => None,
        },
        qualified,
        by_grade: playbook
            .grades
            .iter()
            .zip(&grades)
            .map(|(g, c)| GradeRow {
                grade: g.grade.clone(),
                rate: c.rate(base),
            })
            .collect(),
        by_rule: rules
            .iter()
            .zip(held.iter().zip(&not_held))
            .map(|(r, (&h, &n))| {
                let z = z(h, n);
                RuleRow {
                    rule: r.id.clone(),
                    points: r.points,
                    held: h.rate(base),
                    not_held: n.rate(base),
                    z,
                    no_signal: z.is_none_or(|z| z.abs() < 1.96),
                }
            })
            .collect(),
    }
}

#[cfg(all(test, feature = "toml"))]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn lead(title: &str, timeline: &str) -> Submission {
        serde_json::from_value(serde_json::json!({
            "locale": "en",
            "fields": {
                "email": "a@acme-industrial.de", "name": "A", "company": "Acme",
                "title": title, "employees": 800, "country": "DE",
                "timeline": timeline, "consent": true
            }
        }))
        .unwrap()
    }

    #[test]
    fn a_rule_that_separates_winners_has_signal_and_one_that_does_not_has_none() {
        let p = crate::parse_toml(include_str!("../../icp.toml")).unwrap();
        // Decision-makers win 8 in 10, everyone else 1 in 10; company size
        // (every lead the same) tells nothing.
        let mut leads = Vec::new();
        for i in 0..100 {
            leads.push((
                lead("VP Sales", "this-quarter"),
                if i % 10 < 8 { Fate::Won } else { Fate::NotWon },
            ));
            leads.push((
                lead("Engineer", "researching"),
                if i % 10 < 1 { Fate::Won } else { Fate::NotWon },
            ));
        }
        leads.push((lead("VP Sales", "this-quarter"), Fate::Open));
        let b = run(&p, &leads);
        assert_eq!((b.leads, b.decided, b.open, b.won), (201, 200, 1, 90));
        assert_eq!(b.base_rate, Some(0.45));
        let rule = |id: &str| b.by_rule.iter().find(|r| r.rule == id).unwrap();
        let dm = rule("decision-maker");
        assert_eq!(
            (dm.held.leads, dm.held.won, dm.held.win_rate),
            (100, 80, Some(0.8))
        );
        assert!(!dm.no_signal, "z = {:?}", dm.z);
        assert!(rule("size-sweet-spot").no_signal, "held for every lead");
        assert!(rule("student").no_signal, "held for none");
        // Qualified: the VPs (A), not the researching engineers (C).
        assert_eq!(b.qualified, 100);
        assert_eq!(b.precision, Some(0.8));
        assert_eq!(b.recall, Some(0.8889));
        assert_eq!(b.lift, Some(1.7778));
        let a = b.by_grade.iter().find(|g| g.grade == "A").unwrap();
        assert_eq!(a.rate.win_rate, Some(0.8));
    }

    #[test]
    fn outcomes_read_as_crms_write_them() {
        assert_eq!(Fate::parse("Closed Won"), Some(Fate::Won));
        assert_eq!(Fate::parse("rejected"), Some(Fate::NotWon));
        assert_eq!(Fate::parse("open"), Some(Fate::Open));
        assert_eq!(Fate::parse("maybe"), None);
    }
}
