//! Closed-loop reports: what marketing delivered and what sales made of it,
//! from the stored leads, their deliveries, outcomes and missed deadlines.
//! Every figure is per playbook version, so a change to the rules is read
//! against the leads it scored, never mixed with the ones before.
//!
//! Pure: the edge reads the rows and the clock; this module counts.

use serde::{Deserialize, Serialize};

use crate::experiment::Arms;
use crate::outcome::Action;
use crate::rates::{ratio, round, z};

/// One stored lead, as far as the reports read it. Times are ms since the epoch.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LeadRow {
    pub id: String,
    pub form_id: String,
    pub created_at: String,
    /// `created_at` in ms (filled in by the reader).
    #[serde(default)]
    pub created_ms: f64,
    /// `accepted` or `invalid`.
    pub status: String,
    pub grade: String,
    pub qualified: u8,
    pub playbook_version: String,
    pub assigned_rep: Option<String>,
    pub team_id: Option<String>,
    pub agreement: String,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub referrer: Option<String>,
    /// The rules that held, space-separated.
    pub rules: Option<String>,
    /// The first delivery of the lead itself that a channel took.
    pub delivered_at: Option<f64>,
    pub first_touch_at: Option<f64>,
    pub sla_due_at: Option<f64>,
    /// The experiment arm it came through (the `experiment` column, JSON).
    #[serde(default)]
    pub experiment: Option<String>,
}

/// One outcome of a lead.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutcomeRow {
    pub lead_id: String,
    pub action: String,
    pub at: f64,
    pub reason: Option<String>,
    pub amount: Option<f64>,
}

/// One missed deadline: who had the lead.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BreachRow {
    pub lead_id: String,
    pub rep: Option<String>,
}

/// `GET /v1/reports`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The form reported on, or every form.
    pub form: Option<String>,
    /// The window, by lead creation (RFC 3339).
    pub since: String,
    pub until: String,
    /// Newest playbook version first.
    pub versions: Vec<VersionReport>,
    /// Each playbook experiment with leads in the window, its arms side by side.
    pub experiments: Vec<ExperimentReport>,
    /// Posts dropped as bots' in the window (answered as taken, never
    /// stored), per reason, most first.
    pub blocked: Vec<Count>,
}

/// A playbook experiment: the control and the variant, each with its funnel.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentReport {
    pub id: String,
    /// The control first (when the experiment is still served), then the variant.
    pub arms: Vec<ArmReport>,
    /// Leads whose browser computed another arm than the edge served (a
    /// changed share, or a visitor id the page edited).
    pub disagreements: u32,
    /// The variant against the control: two-proportion z of the qualified
    /// rate and of the win rate (|z| ≥ 1.96: a difference at 95 %).
    pub qualified_z: Option<f64>,
    pub win_z: Option<f64>,
}

/// One arm of an experiment.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmReport {
    /// The arm's form id.
    pub form: String,
    /// `control` or `variant`; none for an experiment no longer served.
    pub role: Option<String>,
    /// The playbook versions its leads were scored with.
    pub versions: Vec<String>,
    /// How often its form was shown to a visitor of the experiment.
    pub views: u32,
    pub funnel: Funnel,
    /// Leads per view: how well the form converts visitors.
    pub conversion: Option<f64>,
    /// Qualified leads of all its leads.
    pub qualified_rate: Option<f64>,
}

/// What a lead's `experiment` column says.
#[derive(Deserialize)]
struct ArmOfLead {
    id: String,
    arm: String,
    agrees: Option<bool>,
}

/// The experiments' reports: leads grouped by experiment and arm, each arm
/// counted like a version, the variant compared with the control.
fn experiments(
    leads: &[LeadRow],
    fate_of: &dyn Fn(&str) -> Fate,
    served: &[Arms],
    views: &[(String, String, u32)],
) -> Vec<ExperimentReport> {
    /// One arm's leads: the versions that scored them, and their funnel.
    #[derive(Default)]
    struct Arm {
        versions: Vec<String>,
        tally: Tally,
    }
    /// One experiment's arms by form id, and its disagreements.
    #[derive(Default)]
    struct Found {
        arms: Vec<(String, Arm)>,
        disagreements: u32,
    }
    let mut found: Vec<(String, Found)> = Vec::new();
    // An arm shown but without leads yet is an arm too (conversion 0).
    for (id, arm, _) in views {
        if let Some(e) = entry(&mut found, id) {
            entry(&mut e.arms, arm);
        }
    }
    for lead in leads.iter().filter(|l| l.status == "accepted") {
        let Some(a) = lead
            .experiment
            .as_deref()
            .and_then(|j| serde_json::from_str::<ArmOfLead>(j).ok())
        else {
            continue;
        };
        let Some(e) = entry(&mut found, &a.id) else {
            continue;
        };
        e.disagreements += u32::from(a.agrees == Some(false));
        let Some(arm) = entry(&mut e.arms, &a.arm) else {
            continue;
        };
        if !arm.versions.contains(&lead.playbook_version) {
            arm.versions.push(lead.playbook_version.clone());
        }
        arm.tally.add(lead, &fate_of(&lead.id));
    }
    found
        .into_iter()
        .map(
            |(
                id,
                Found {
                    arms,
                    disagreements,
                },
            )| {
                let def = served.iter().find(|a| a.id == id);
                let role = |form: &str| {
                    def.and_then(|d| {
                        if d.control == form {
                            Some("control")
                        } else if d.variant == form {
                            Some("variant")
                        } else {
                            None
                        }
                    })
                };
                let mut arms: Vec<ArmReport> = arms
                    .into_iter()
                    .map(|(form, Arm { versions, tally })| {
                        let funnel = tally.done();
                        let shown = views
                            .iter()
                            .filter(|(e, a, _)| *e == id && *a == form)
                            .map(|(_, _, n)| *n)
                            .sum();
                        ArmReport {
                            role: role(&form).map(str::to_owned),
                            qualified_rate: ratio(funnel.qualified, funnel.leads),
                            conversion: ratio(funnel.leads, shown),
                            views: shown,
                            form,
                            versions,
                            funnel,
                        }
                    })
                    .collect();
                // Control, variant, then any arm no longer served, by form id.
                let rank = |a: &ArmReport| match a.role.as_deref() {
                    Some("control") => 0,
                    Some("variant") => 1,
                    _ => 2,
                };
                arms.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.form.cmp(&b.form)));
                let pick = |r: &str| arms.iter().find(|a| a.role.as_deref() == Some(r));
                let (qualified_z, win_z) = match (pick("variant"), pick("control")) {
                    (Some(v), Some(c)) => (
                        z(
                            v.funnel.qualified,
                            v.funnel.leads,
                            c.funnel.qualified,
                            c.funnel.leads,
                        ),
                        z(v.funnel.won, v.funnel.leads, c.funnel.won, c.funnel.leads),
                    ),
                    _ => (None, None),
                };
                ExperimentReport {
                    id,
                    arms,
                    disagreements,
                    qualified_z,
                    win_z,
                }
            },
        )
        .collect()
}

/// Everything about the leads one playbook version scored.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionReport {
    pub version: String,
    /// When its first and last lead came in (RFC 3339).
    pub first_lead_at: String,
    pub last_lead_at: String,
    pub totals: Funnel,
    /// Qualified-lead volume by day (UTC), oldest first.
    pub by_day: Vec<Bucket>,
    /// By `utm_source`, else the referrer's host, else `direct`; largest first.
    pub by_source: Vec<Bucket>,
    pub by_campaign: Vec<Bucket>,
    pub by_form: Vec<Bucket>,
    /// Acceptance and win rate per grade, in the playbook's grade order as met.
    pub by_grade: Vec<Bucket>,
    /// Per rule that held: what became of the leads it scored.
    pub by_rule: Vec<Bucket>,
    pub speed: Speed,
    /// SLA compliance per rep and per team.
    pub by_rep: Vec<Sla>,
    pub by_team: Vec<Sla>,
    /// Why leads were rejected, and deals lost: most frequent first.
    pub rejection_reasons: Vec<Count>,
    pub loss_reasons: Vec<Count>,
    /// Leads whose browser verdict differed from the edge's.
    pub mismatches: u32,
}

/// What became of a set of leads.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    /// Valid leads (field errors are not counted).
    pub leads: u32,
    pub qualified: u32,
    pub accepted: u32,
    pub rejected: u32,
    pub contacted: u32,
    pub meetings: u32,
    pub won: u32,
    pub lost: u32,
    /// Accepted over leads sales answered (accepted or rejected); none before any answer.
    pub acceptance_rate: Option<f64>,
    /// Won over leads (lead → won).
    pub win_rate: Option<f64>,
    pub revenue: f64,
    /// Revenue over won deals.
    pub average_deal: Option<f64>,
    /// Days from lead to won, on average.
    pub sales_cycle_days: Option<f64>,
}

/// A funnel under a key (a day, a source, a grade, a rule).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub key: String,
    #[serde(flatten)]
    pub funnel: Funnel,
}

/// Speed to lead, split where it can be fixed: the system (submit →
/// delivered) and people (delivered → first touch).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Speed {
    pub system_ms: Percentiles,
    pub human_ms: Percentiles,
    /// Submit → first touch, in minutes, bucketed: `0-5`, `5-15`, `15-60`,
    /// `60-240`, `240-1440`, `1440+`.
    pub first_touch_minutes: Vec<Count>,
    /// The tightest grade deadline (minutes), for the chart's SLA line.
    pub sla_minutes: Option<u32>,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub n: u32,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub max: Option<f64>,
}

/// Deadlines met and missed by one rep or team.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sla {
    pub key: String,
    /// Touched by the deadline.
    pub met: u32,
    /// Not touched by it (reported by the watchdog, or touched late).
    pub missed: u32,
    /// Untouched, not yet due.
    pub open: u32,
    /// Met over met and missed.
    pub compliance: Option<f64>,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub count: u32,
}

const DAY_MS: f64 = 86_400_000.0;
/// Minutes at which the first-touch histogram's buckets end.
const TOUCH_BUCKETS: [(f64, &str); 5] = [
    (5.0, "0-5"),
    (15.0, "5-15"),
    (60.0, "15-60"),
    (240.0, "60-240"),
    (1440.0, "240-1440"),
];

/// What happened to one lead, from its outcomes.
#[derive(Default, Clone, Copy)]
struct Fate {
    accepted: bool,
    rejected: bool,
    contacted: bool,
    meeting: bool,
    won_at: Option<f64>,
    amount: f64,
    lost: bool,
}

#[derive(Default)]
struct Tally {
    f: Funnel,
    cycle_days: f64,
}

impl Tally {
    fn add(&mut self, lead: &LeadRow, fate: &Fate) {
        let f = &mut self.f;
        f.leads += 1;
        f.qualified += u32::from(lead.qualified == 1);
        f.accepted += u32::from(fate.accepted);
        f.rejected += u32::from(fate.rejected);
        f.contacted += u32::from(fate.contacted);
        f.meetings += u32::from(fate.meeting);
        f.lost += u32::from(fate.lost);
        if let Some(at) = fate.won_at {
            f.won += 1;
            f.revenue += fate.amount;
            self.cycle_days += ((at - lead.created_ms) / DAY_MS).max(0.0);
        }
    }

    fn done(mut self) -> Funnel {
        let f = &mut self.f;
        f.acceptance_rate = ratio(f.accepted, f.accepted + f.rejected);
        f.win_rate = ratio(f.won, f.leads);
        f.average_deal = (f.won > 0).then(|| round(f.revenue / f64::from(f.won)));
        f.sales_cycle_days = (f.won > 0).then(|| round(self.cycle_days / f64::from(f.won)));
        f.revenue = round(f.revenue);
        self.f
    }
}

/// A list of tallies by key, in first-seen order until sorted.
#[derive(Default)]
struct Groups(Vec<(String, Tally)>);

impl Groups {
    fn add(&mut self, key: &str, lead: &LeadRow, fate: &Fate) {
        if let Some(t) = entry(&mut self.0, key) {
            t.add(lead, fate);
        }
    }

    /// Largest first, then by key (a stable order for equal counts).
    fn by_size(self) -> Vec<Bucket> {
        let mut out = self.buckets();
        out.sort_by(|a, b| b.funnel.leads.cmp(&a.funnel.leads).then(a.key.cmp(&b.key)));
        out
    }

    fn by_key(self) -> Vec<Bucket> {
        let mut out = self.buckets();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    fn buckets(self) -> Vec<Bucket> {
        self.0
            .into_iter()
            .map(|(key, t)| Bucket {
                key,
                funnel: t.done(),
            })
            .collect()
    }
}

fn percentiles(mut xs: Vec<f64>) -> Percentiles {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| -> Option<f64> {
        if xs.is_empty() {
            return None;
        }
        // Nearest rank.
        let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
        xs.get(rank - 1).copied()
    };
    Percentiles {
        n: u32::try_from(xs.len()).unwrap_or(u32::MAX),
        p50: at(0.5),
        p90: at(0.9),
        max: xs.last().copied(),
    }
}

/// Where a lead came from: its `utm_source`, else its referrer's host, else `direct`.
pub fn source_of(lead: &LeadRow) -> String {
    if let Some(s) = lead
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        return s.to_lowercase();
    }
    lead.referrer
        .as_deref()
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.split(['/', '?', '#', ':']).next())
        .filter(|h| !h.is_empty())
        .map(|h| h.trim_start_matches("www.").to_lowercase())
        .unwrap_or_else(|| "direct".to_owned())
}

fn count(mut pairs: Vec<(String, u32)>) -> Vec<Count> {
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    pairs
        .into_iter()
        .map(|(key, count)| Count { key, count })
        .collect()
}

fn bump(pairs: &mut Vec<(String, u32)>, key: &str) {
    if let Some(n) = entry(pairs, key) {
        *n += 1;
    }
}

/// The value under `key` in a list kept in first-seen order (reports have a
/// few keys per list: a scan beats a map), added as the default if new.
/// Always `Some`; an `Option` only because the engine neither indexes nor panics.
fn entry<'a, T: Default>(list: &'a mut Vec<(String, T)>, key: &str) -> Option<&'a mut T> {
    let i = match list.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            list.push((key.to_owned(), T::default()));
            list.len() - 1
        }
    };
    list.get_mut(i).map(|(_, v)| v)
}

/// Rows grouped by the lead they belong to, in one pass: every lead looks
/// its outcomes and misses up, and scanning all rows for each lead would
/// grow with the square of the window.
pub struct ByLead<'a, T>(std::collections::HashMap<&'a str, Vec<&'a T>>);

impl<'a, T> ByLead<'a, T> {
    pub fn new(rows: &'a [T], lead: impl Fn(&'a T) -> &'a str) -> Self {
        let mut map: std::collections::HashMap<&str, Vec<&T>> = std::collections::HashMap::new();
        for r in rows {
            map.entry(lead(r)).or_default().push(r);
        }
        ByLead(map)
    }

    /// The rows of `lead`, in the order given.
    pub fn of(&self, lead: &str) -> &[&'a T] {
        self.0.get(lead).map_or(&[], Vec::as_slice)
    }
}

/// What the report is read against besides the rows.
pub struct Against<'a> {
    /// Decides which deadlines are still open (ms).
    pub now: f64,
    /// The tightest grade deadline of the playbooks reported.
    pub sla_minutes: Option<u32>,
    /// The experiments served now, which name each arm's role.
    pub experiments: &'a [Arms],
    /// How often each arm was shown in the window: (experiment, arm, views).
    pub views: &'a [(String, String, u32)],
}

/// Builds the report.
pub fn build(
    form: Option<String>,
    (since, until): (String, String),
    leads: &[LeadRow],
    outcomes: &[OutcomeRow],
    breaches: &[BreachRow],
    against: &Against<'_>,
) -> Report {
    let Against {
        now,
        sla_minutes,
        experiments: served,
        views,
    } = *against;
    let outcomes = ByLead::new(outcomes, |o| o.lead_id.as_str());
    let breaches = ByLead::new(breaches, |b| b.lead_id.as_str());
    let fate_of = |id: &str| {
        let mut f = Fate::default();
        for o in outcomes.of(id) {
            match Action::from_name(&o.action) {
                Some(Action::Accepted) => f.accepted = true,
                Some(Action::Rejected) => f.rejected = true,
                Some(Action::Contacted) => f.contacted = true,
                Some(Action::MeetingBooked) => f.meeting = true,
                Some(Action::Won) => {
                    f.won_at = Some(o.at);
                    f.amount = o.amount.unwrap_or(0.0);
                }
                Some(Action::Lost) => f.lost = true,
                None => {}
            }
        }
        f
    };
    let mut versions: Vec<String> = Vec::new();
    for l in leads.iter().filter(|l| l.status == "accepted") {
        if !versions.contains(&l.playbook_version) {
            versions.push(l.playbook_version.clone());
        }
    }
    let mut out: Vec<VersionReport> = versions
        .into_iter()
        .map(|v| {
            let mine: Vec<&LeadRow> = leads
                .iter()
                .filter(|l| l.status == "accepted" && l.playbook_version == v)
                .collect();
            version(&v, &mine, &fate_of, &outcomes, &breaches, now, sla_minutes)
        })
        .collect();
    out.sort_by(|a, b| b.last_lead_at.cmp(&a.last_lead_at));
    Report {
        form,
        since,
        until,
        versions: out,
        experiments: experiments(leads, &fate_of, served, views),
        blocked: Vec::new(),
    }
}

fn version(
    v: &str,
    leads: &[&LeadRow],
    fate_of: &dyn Fn(&str) -> Fate,
    outcomes: &ByLead<'_, OutcomeRow>,
    breaches: &ByLead<'_, BreachRow>,
    now: f64,
    sla_minutes: Option<u32>,
) -> VersionReport {
    let mut totals = Tally::default();
    let (mut day, mut source, mut campaign, mut form, mut grade, mut rule) = (
        Groups::default(),
        Groups::default(),
        Groups::default(),
        Groups::default(),
        Groups::default(),
        Groups::default(),
    );
    let (mut system, mut human) = (Vec::new(), Vec::new());
    let mut touch = vec![0u32; TOUCH_BUCKETS.len() + 1];
    let mut reps: Vec<(String, [u32; 3])> = Vec::new();
    let mut teams: Vec<(String, [u32; 3])> = Vec::new();
    let sla = |key: &str, list: &mut Vec<(String, [u32; 3])>, slot: usize| {
        let i = match list.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                list.push((key.to_owned(), [0; 3]));
                list.len() - 1
            }
        };
        if let Some(n) = list.get_mut(i).and_then(|(_, n)| n.get_mut(slot)) {
            *n += 1;
        }
    };
    let (mut rejections, mut losses) = (Vec::new(), Vec::new());
    let mut mismatches = 0;
    for lead in leads {
        let fate = fate_of(&lead.id);
        totals.add(lead, &fate);
        day.add(lead.created_at.get(..10).unwrap_or(""), lead, &fate);
        source.add(&source_of(lead), lead, &fate);
        let c = lead
            .campaign
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        campaign.add(c.unwrap_or("(none)"), lead, &fate);
        form.add(&lead.form_id, lead, &fate);
        grade.add(&lead.grade, lead, &fate);
        for r in lead.rules.as_deref().unwrap_or("").split_whitespace() {
            rule.add(r, lead, &fate);
        }
        mismatches += u32::from(lead.agreement == "mismatch");
        if let Some(d) = lead.delivered_at {
            system.push((d - lead.created_ms).max(0.0));
            if let Some(t) = lead.first_touch_at {
                human.push((t - d).max(0.0));
            }
        }
        if let Some(t) = lead.first_touch_at {
            let minutes = (t - lead.created_ms).max(0.0) / 60_000.0;
            let slot = TOUCH_BUCKETS
                .iter()
                .position(|(end, _)| minutes < *end)
                .unwrap_or(TOUCH_BUCKETS.len());
            if let Some(n) = touch.get_mut(slot) {
                *n += 1;
            }
        }
        // The rep who has it: met, missed late, or still open. Reps who let
        // it pass before a reassignment are charged below, from the breaches.
        let missed_by = breaches.of(&lead.id);
        if let (Some(due), Some(rep)) = (lead.sla_due_at, lead.assigned_rep.as_deref()) {
            let slot = match lead.first_touch_at {
                Some(t) if t <= due => 0,
                Some(_) => 1,
                None if due <= now => 1,
                None => 2,
            };
            // A miss the watchdog already recorded for this rep is counted once.
            let recorded = missed_by.iter().any(|b| b.rep.as_deref() == Some(rep));
            if !(slot == 1 && recorded) {
                sla(rep, &mut reps, slot);
                if let Some(team) = &lead.team_id {
                    sla(team, &mut teams, slot);
                }
            }
        }
        for b in missed_by {
            if let Some(rep) = &b.rep {
                sla(rep, &mut reps, 1);
            }
            if let Some(team) = &lead.team_id {
                sla(team, &mut teams, 1);
            }
        }
        for o in outcomes.of(&lead.id) {
            let reason = o.reason.as_deref().unwrap_or("(no reason)");
            match Action::from_name(&o.action) {
                Some(Action::Rejected) => bump(&mut rejections, reason),
                Some(Action::Lost) => bump(&mut losses, reason),
                _ => {}
            }
        }
    }
    let first_touch_minutes: Vec<Count> = TOUCH_BUCKETS
        .iter()
        .map(|(_, k)| (*k).to_owned())
        .chain(std::iter::once("1440+".to_owned()))
        .zip(touch)
        .map(|(key, count)| Count { key, count })
        .collect();
    let compliance = |list: Vec<(String, [u32; 3])>| {
        let mut out: Vec<Sla> = list
            .into_iter()
            .map(|(key, [met, missed, open])| Sla {
                key,
                met,
                missed,
                open,
                compliance: ratio(met, met + missed),
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    };
    let first = leads
        .iter()
        .map(|l| l.created_at.as_str())
        .min()
        .unwrap_or("");
    let last = leads
        .iter()
        .map(|l| l.created_at.as_str())
        .max()
        .unwrap_or("");
    VersionReport {
        version: v.to_owned(),
        first_lead_at: first.to_owned(),
        last_lead_at: last.to_owned(),
        totals: totals.done(),
        by_day: day.by_key(),
        by_source: source.by_size(),
        by_campaign: campaign.by_size(),
        by_form: form.by_size(),
        by_grade: grade.by_key(),
        by_rule: rule.by_size(),
        speed: Speed {
            system_ms: percentiles(system),
            human_ms: percentiles(human),
            first_touch_minutes,
            sla_minutes,
        },
        by_rep: compliance(reps),
        by_team: compliance(teams),
        rejection_reasons: count(rejections),
        loss_reasons: count(losses),
        mismatches,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const MIN: f64 = 60_000.0;

    fn lead(id: &str, version: &str, grade: &str, rules: &str) -> LeadRow {
        LeadRow {
            id: id.into(),
            form_id: "demo".into(),
            created_at: "2026-12-01T10:00:00.000Z".into(),
            created_ms: 0.0,
            status: "accepted".into(),
            grade: grade.into(),
            qualified: u8::from(grade == "A"),
            playbook_version: version.into(),
            assigned_rep: Some("ana".into()),
            team_id: Some("emea".into()),
            agreement: "match".into(),
            source: Some("LinkedIn".into()),
            campaign: Some("q4".into()),
            referrer: None,
            rules: Some(rules.into()),
            delivered_at: Some(400.0),
            first_touch_at: None,
            sla_due_at: Some(15.0 * MIN),
            experiment: None,
        }
    }

    fn outcome(
        lead: &str,
        action: &str,
        at: f64,
        reason: Option<&str>,
        amount: Option<f64>,
    ) -> OutcomeRow {
        OutcomeRow {
            lead_id: lead.into(),
            action: action.into(),
            at,
            reason: reason.map(Into::into),
            amount,
        }
    }

    #[test]
    fn counts_the_funnel_per_version_grade_and_rule() {
        let mut a = lead("a", "v2", "A", "big-company vp");
        a.first_touch_at = Some(3.0 * MIN);
        let mut b = lead("b", "v2", "A", "big-company");
        b.first_touch_at = Some(30.0 * MIN);
        let c = lead("c", "v2", "C", "");
        let mut old = lead("o", "v1", "A", "vp");
        old.created_at = "2026-11-01T10:00:00.000Z".into();
        let mut invalid = lead("x", "v2", "A", "vp");
        invalid.status = "invalid".into();
        let outcomes = [
            outcome("a", "accepted", 3.0 * MIN, None, None),
            outcome("a", "won", 10.0 * DAY_MS, None, Some(48_000.0)),
            outcome("b", "rejected", 30.0 * MIN, Some("Not a fit"), None),
            outcome("c", "rejected", 1.0, Some("Not a fit"), None),
            outcome("o", "lost", 1.0, Some("Price"), None),
        ];
        let r = build(
            Some("demo".into()),
            ("s".into(), "u".into()),
            &[a, b, c, old, invalid],
            &outcomes,
            &[],
            &Against {
                now: 60.0 * MIN,
                sla_minutes: Some(15),
                experiments: &[],
                views: &[],
            },
        );
        assert_eq!(
            r.versions
                .iter()
                .map(|v| v.version.as_str())
                .collect::<Vec<_>>(),
            ["v2", "v1"],
            "newest first, never mixed"
        );
        let v = &r.versions[0];
        assert_eq!(v.totals.leads, 3, "invalid leads are not leads");
        assert_eq!(v.totals.qualified, 2);
        assert_eq!(v.totals.won, 1);
        assert_eq!(v.totals.revenue, 48_000.0);
        assert_eq!(v.totals.acceptance_rate, Some(0.3333));
        assert_eq!(v.totals.sales_cycle_days, Some(10.0));
        let grade_a = v.by_grade.iter().find(|b| b.key == "A").unwrap();
        assert_eq!(
            (
                grade_a.funnel.leads,
                grade_a.funnel.accepted,
                grade_a.funnel.won
            ),
            (2, 1, 1)
        );
        let big = v.by_rule.iter().find(|b| b.key == "big-company").unwrap();
        assert_eq!((big.funnel.leads, big.funnel.win_rate), (2, Some(0.5)));
        assert_eq!(v.by_source[0].key, "linkedin");
        assert_eq!(
            v.rejection_reasons,
            [Count {
                key: "Not a fit".into(),
                count: 2
            }]
        );
        assert!(v.loss_reasons.is_empty(), "v1's loss is v1's");
        assert_eq!(r.versions[1].loss_reasons[0].key, "Price");
        assert_eq!(v.speed.system_ms.p50, Some(400.0));
        assert_eq!(v.speed.human_ms.n, 2);
        let touch: Vec<u32> = v
            .speed
            .first_touch_minutes
            .iter()
            .map(|c| c.count)
            .collect();
        assert_eq!(touch, [1, 0, 1, 0, 0, 0]);
        // ana met one (a), missed one (b, late), and c is past due untouched.
        let ana = &v.by_rep[0];
        assert_eq!((ana.met, ana.missed, ana.open), (1, 2, 0));
        assert_eq!(ana.compliance, Some(0.3333));
    }

    #[test]
    fn a_rep_who_let_a_lead_pass_is_charged_once_and_the_next_rep_has_their_own_clock() {
        let mut l = lead("a", "v", "A", "");
        l.assigned_rep = Some("jonas".into());
        l.sla_due_at = Some(100.0 * MIN);
        let breaches = [BreachRow {
            lead_id: "a".into(),
            rep: Some("ana".into()),
        }];
        let r = build(
            None,
            ("s".into(), "u".into()),
            &[l],
            &[],
            &breaches,
            &Against {
                now: 20.0 * MIN,
                sla_minutes: None,
                experiments: &[],
                views: &[],
            },
        );
        let reps = &r.versions[0].by_rep;
        let get = |k: &str| reps.iter().find(|s| s.key == k).unwrap();
        assert_eq!((get("ana").missed, get("ana").compliance), (1, Some(0.0)));
        assert_eq!((get("jonas").open, get("jonas").compliance), (1, None));
        assert_eq!(r.versions[0].by_team[0].missed, 1);
    }

    #[test]
    fn a_source_is_the_utm_source_else_the_referrers_host_else_direct() {
        let mut l = lead("a", "v", "A", "");
        l.source = None;
        l.referrer = Some("https://www.g2.com/compare/x".into());
        assert_eq!(source_of(&l), "g2.com");
        l.referrer = None;
        assert_eq!(source_of(&l), "direct");
    }

    #[test]
    fn an_experiment_shows_its_arms_side_by_side() {
        let arm = |id: &str, form: &str, version: &str, grade: &str, agrees: bool| {
            let mut l = lead(id, version, grade, "");
            l.form_id = form.into();
            l.experiment = Some(format!(
                r#"{{"id":"mql-bar","arm":"{form}","bucket":3,"browser_arm":"{form}","agrees":{agrees}}}"#
            ));
            l
        };
        let leads = [
            arm("c1", "demo", "v1", "A", true),
            arm("c2", "demo", "v1", "C", true),
            arm("v1", "demo-b", "v2", "A", true),
            arm("v2", "demo-b", "v2", "A", false),
            lead("plain", "v1", "A", ""),
        ];
        let outcomes = [outcome("v1", "won", 10.0, None, Some(500.0))];
        let served = [Arms {
            id: "mql-bar".into(),
            control: "demo".into(),
            variant: "demo-b".into(),
            share: 50,
        }];
        let at = |experiments| Against {
            now: 0.0,
            sla_minutes: None,
            experiments,
            views: &[],
        };
        let r = build(
            None,
            ("s".into(), "u".into()),
            &leads,
            &outcomes,
            &[],
            &at(&served),
        );
        assert_eq!(r.experiments.len(), 1, "{:?}", r.experiments);
        let e = &r.experiments[0];
        assert_eq!(e.id, "mql-bar");
        let forms: Vec<(&str, Option<&str>)> = e
            .arms
            .iter()
            .map(|a| (a.form.as_str(), a.role.as_deref()))
            .collect();
        assert_eq!(
            forms,
            [("demo", Some("control")), ("demo-b", Some("variant"))]
        );
        let (c, v) = (&e.arms[0], &e.arms[1]);
        assert_eq!(
            (c.funnel.leads, c.funnel.qualified, c.qualified_rate),
            (2, 1, Some(0.5))
        );
        assert_eq!(
            (v.funnel.leads, v.funnel.qualified, v.funnel.won),
            (2, 2, 1)
        );
        assert_eq!(v.versions, ["v2"]);
        assert_eq!(e.disagreements, 1);
        assert!(e.qualified_z.is_some_and(|z| z > 0.0));
        // Views make a conversion; an arm shown without leads is an arm too.
        let views = [
            ("mql-bar".to_owned(), "demo".to_owned(), 8),
            ("mql-bar".to_owned(), "demo-b".to_owned(), 4),
            ("other".to_owned(), "x".to_owned(), 3),
        ];
        let r = build(
            None,
            ("s".into(), "u".into()),
            &leads,
            &outcomes,
            &[],
            &Against {
                views: &views,
                ..at(&served)
            },
        );
        let conv: Vec<(u32, Option<f64>)> = r.experiments[0]
            .arms
            .iter()
            .map(|a| (a.views, a.conversion))
            .collect();
        assert_eq!(conv, [(8, Some(0.25)), (4, Some(0.5))]);
        assert_eq!(r.experiments[1].arms[0].funnel.leads, 0);
        assert_eq!(r.experiments[1].arms[0].conversion, Some(0.0));
        // No longer served: the arms are still counted, without roles.
        let r = build(
            None,
            ("s".into(), "u".into()),
            &leads,
            &outcomes,
            &[],
            &at(&[]),
        );
        assert!(r.experiments[0].arms.iter().all(|a| a.role.is_none()));
        assert_eq!(r.experiments[0].win_z, None);
    }
}
