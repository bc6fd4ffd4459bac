//! Routing choice: which route a lead takes and which reps may receive it, and
//! the weighted round-robin pick the edge makes with its own counter.

use crate::condition::Trace;
use crate::lead::Lead;
use crate::playbook::{Playbook, Target};
use crate::wire::{Candidate, RouteChoice};

/// The first route that matches `lead` and has someone available to take
/// it. A route whose reps are all paused (`active = false`, or weight 0) is
/// passed over, so a rep's holiday never leaves a lead with nobody: it goes
/// on to the next route that matches, and at the latest to the fallback,
/// which is taken even when it has nobody (the edge then stores the lead
/// with no rep assigned, and answers `assigned_rep: null`).
pub(crate) fn choose(playbook: &Playbook, lead: &Lead) -> Option<RouteChoice> {
    let mut trace = Trace::default();
    let mut passed_over = Vec::new();
    for route in &playbook.routes {
        if !route.when.as_ref().is_none_or(|c| c.eval(lead, &mut trace)) {
            continue;
        }
        let (team, team_name, candidates) = target(playbook, &route.target)?;
        if candidates.is_empty() && route.when.is_some() {
            passed_over.push(route.id.clone());
            continue;
        }
        let because = match (&route.when, passed_over.as_slice()) {
            (None, []) => "no earlier route matched; this is the fallback".to_owned(),
            (None, passed) => format!("{}; this is the fallback", nobody(passed)),
            (Some(c), passed) => {
                let mut s = String::new();
                c.explain(lead, &mut s);
                if !passed.is_empty() {
                    s.push_str("; ");
                    s.push_str(&nobody(passed));
                }
                s
            }
        };
        return Some(RouteChoice {
            route: route.id.clone(),
            team,
            team_name,
            candidates,
            because,
            passed_over,
            owner: None,
        });
    }
    None
}

/// Why the routes passed over were: sales reads where the lead would have gone.
fn nobody(passed: &[String]) -> String {
    let them = if passed.len() == 1 { "it" } else { "them" };
    format!(
        "{} matched first but nobody on {them} is available",
        passed.join(", ")
    )
}

type Targeted = (Option<String>, Option<String>, Vec<Candidate>);

/// The team (id and name) a route names, if it names one, and the reps who
/// may take its leads.
fn target(playbook: &Playbook, target: &Target) -> Option<Targeted> {
    let candidate = |i: u16| {
        playbook.reps.get(usize::from(i)).map(|r| Candidate {
            rep: r.id.clone(),
            name: r.name.clone(),
            weight: r.weight,
            booking_url: r.booking_url.clone(),
        })
    };
    // Paused reps (`active = false`) take no leads, whether a route names
    // their team or them directly: candidates are only reps who can answer.
    let available = |i: &u16| {
        playbook
            .reps
            .get(usize::from(*i))
            .is_some_and(|r| r.active && r.weight > 0)
    };
    Some(match *target {
        Target::Team(t) => {
            let team = playbook.teams.get(usize::from(t))?;
            let reps = team
                .reps
                .iter()
                .filter(|i| available(i))
                .filter_map(|&i| candidate(i))
                .collect();
            (Some(team.id.clone()), Some(team.name.clone()), reps)
        }
        Target::Rep(i) => (
            None,
            None,
            Some(i)
                .filter(available)
                .and_then(candidate)
                .into_iter()
                .collect(),
        ),
    })
}

/// Weighted round robin: the `turn`-th lead of a team goes to this rep.
/// Over any `sum(weights)` consecutive turns each rep gets exactly its weight,
/// interleaved (smooth weighted round robin, as nginx spreads upstreams) so a
/// heavy rep never gets a long streak.
pub fn pick(candidates: &[Candidate], turn: u64) -> Option<&Candidate> {
    let total: u64 = candidates.iter().map(|c| u64::from(c.weight)).sum();
    if total == 0 {
        return None;
    }
    let step = turn % total;
    // Replay the smooth algorithm for `step` rounds; cheap for team sizes people have.
    let mut current: Vec<i64> = vec![0; candidates.len()];
    let mut chosen = 0usize;
    for _ in 0..=step {
        for (c, cand) in current.iter_mut().zip(candidates) {
            *c += i64::from(cand.weight);
        }
        chosen = current
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            .map_or(0, |(i, _)| i);
        if let Some(c) = current.get_mut(chosen) {
            *c -= i64::try_from(total).unwrap_or(i64::MAX);
        }
    }
    candidates.get(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(rep: &str, weight: u32) -> Candidate {
        Candidate {
            rep: rep.into(),
            name: rep.into(),
            weight,
            booking_url: None,
        }
    }

    #[test]
    fn each_rep_gets_its_weight_in_every_cycle() {
        let team = [cand("ana", 2), cand("bo", 1), cand("cy", 1)];
        let picks: Vec<&str> = (0..8)
            .filter_map(|t| pick(&team, t))
            .map(|c| c.rep.as_str())
            .collect();
        assert_eq!(picks, ["ana", "bo", "cy", "ana", "ana", "bo", "cy", "ana"]);
    }

    #[test]
    fn an_empty_team_gets_nobody() {
        assert!(pick(&[], 3).is_none());
    }
}
