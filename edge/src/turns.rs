//! Weighted round robin, held in D1 and taken in the same transaction that
//! stores the lead.
//!
//! A team's turns are a counter row in `turns`. The lead's write batch first
//! advances it, then the lead's insert picks its rep with the new value from
//! a table of one slot per share (`slots`: the smooth weighted round robin of
//! `baton::pick`, one period long). D1 runs a batch as one transaction, so two
//! leads taken at once by two isolates get two different turns, and a lead
//! that is not stored (its insert failed, a retry of a key already stored)
//! rolls its turn back with it: turns are spent only on stored leads.

use baton::wire::Candidate;

/// Advances the team's counter (`?1` form, `?2` team): the first lead takes turn 0.
pub const TAKE: &str = "INSERT INTO turns (form_id, team, next) VALUES (?1, ?2, 1) \
     ON CONFLICT (form_id, team) DO UPDATE SET next = next + 1";

/// `TAKE`, only when no earlier lead names an owner (keys `?3`…`?6`, see
/// `owner::earlier_sql`): an owned lead takes no turn.
pub fn take_unowned() -> String {
    format!(
        "INSERT INTO turns (form_id, team, next) SELECT ?1, ?2, 1 \
         WHERE NOT EXISTS ({}) \
         ON CONFLICT (form_id, team) DO UPDATE SET next = next + 1",
        crate::owner::earlier_sql(1, 3)
    )
}

/// The SQL expression for the rep of the turn just taken, given the
/// parameter numbers of the slots (a JSON array), the form and the team.
pub fn picked(slots: u8, form: u8, team: u8) -> String {
    format!(
        "json_extract(?{slots}, '$[' || (((SELECT next - 1 FROM turns \
         WHERE form_id = ?{form} AND team = ?{team})) % json_array_length(?{slots})) || ']')"
    )
}

/// The rep of every turn of one period, in order, as a JSON array: the
/// `t`-th lead goes to `slots[t % len]`, exactly as `baton::pick(_, t)`.
/// `None` when nobody can take a lead (every weight 0).
pub fn slots(candidates: &[Candidate]) -> Option<String> {
    let g = candidates.iter().map(|c| u64::from(c.weight)).fold(0, gcd);
    if g == 0 {
        return None;
    }
    // Weights scaled by a common factor give the same sequence (every
    // current value scales with them), so one period is total / g turns.
    let period: u64 = candidates.iter().map(|c| u64::from(c.weight) / g).sum();
    let reps: Vec<&str> = (0..period)
        .filter_map(|t| baton::pick(candidates, t).map(|c| c.rep.as_str()))
        .collect();
    serde_json::to_string(&reps).ok()
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(weights: &[u32]) -> Vec<Candidate> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Candidate {
                rep: format!("r{i}"),
                name: format!("Rep {i}"),
                weight: w,
                booking_url: None,
            })
            .collect()
    }

    /// The slot table answers every turn as `baton::pick` does.
    #[test]
    fn slots_repeat_picks_sequence() {
        for weights in [
            &[1][..],
            &[1, 1],
            &[2, 1],
            &[4, 2],
            &[3, 5, 2],
            &[6, 0, 9],
            &[1000, 1],
        ] {
            let c = team(weights);
            let table: Vec<String> =
                serde_json::from_str(&slots(&c).unwrap_or_default()).unwrap_or_default();
            let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
            for t in 0..3 * total {
                let want = baton::pick(&c, t).map(|x| x.rep.clone());
                let at = usize::try_from(t % table.len() as u64).unwrap_or(0);
                assert_eq!(table.get(at).cloned(), want, "{weights:?} turn {t}");
            }
        }
        assert_eq!(slots(&team(&[0, 0])), None);
        // Common factors are divided out: a short table for big equal weights.
        assert_eq!(slots(&team(&[500, 500])).as_deref(), Some(r#"["r0","r1"]"#));
    }
}
