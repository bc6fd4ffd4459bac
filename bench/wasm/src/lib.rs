//! The peer benchmark's wasm side: Baton's engine (`baton-shared`, built as the
//! widget builds it, without the email lists) compiled to wasm and driven from
//! Node by `bench/wasm/run.js`.
//!
//! The leads cross into wasm once, as one JSON array, and become `Submission`s
//! held here; `score_all` and `evaluate_all` then loop inside wasm, so their
//! timing measures the engine, not the JS↔wasm boundary (`score_one` measures
//! that boundary on purpose). It only measures: no rule logic lives here.

use baton::SortedMap;

use baton::{Playbook, Submission, Value};
use wasm_bindgen::prelude::*;

/// A compiled playbook and the leads to score with it.
#[wasm_bindgen]
pub struct PeerBench {
    playbook: Playbook,
    leads: Vec<Submission>,
    /// The score of each lead from the last `score_all`/`evaluate_all`.
    scores: Vec<i32>,
}

#[wasm_bindgen]
impl PeerBench {
    /// `playbook_toml`: `bench/peer-rules.toml`; `leads_json`: a JSON array of
    /// lead objects whose keys are the playbook's field ids.
    #[wasm_bindgen(constructor)]
    pub fn new(playbook_toml: &str, leads_json: &str) -> Result<PeerBench, JsError> {
        let playbook = baton::parse_toml(playbook_toml)
            .map_err(|p| JsError::new(&format!("the playbook has problems:\n{p}")))?;
        let leads: Vec<SortedMap<Value>> = serde_json::from_str(leads_json)
            .map_err(|e| JsError::new(&format!("leads are not a JSON array of objects: {e}")))?;
        let leads: Vec<Submission> = leads
            .into_iter()
            .map(|fields| Submission {
                fields,
                ..Submission::default()
            })
            .collect();
        Ok(PeerBench {
            scores: vec![0; leads.len()],
            playbook,
            leads,
        })
    }

    /// How many leads are held.
    pub fn count(&self) -> u32 {
        u32::try_from(self.leads.len()).unwrap_or(u32::MAX)
    }

    /// Scores every lead through `Playbook::score`; returns how many qualified.
    pub fn score_all(&mut self) -> u32 {
        let mut qualified = 0;
        for (lead, slot) in self.leads.iter().zip(self.scores.iter_mut()) {
            let s = self.playbook.score(lead);
            *slot = s.score;
            qualified += u32::from(s.qualified);
        }
        qualified
    }

    /// The full verdict per lead (validation, reasons, grade, route); returns how many qualified.
    pub fn evaluate_all(&mut self) -> u32 {
        let mut qualified = 0;
        for (lead, slot) in self.leads.iter().zip(self.scores.iter_mut()) {
            let d = self.playbook.evaluate(lead);
            *slot = d.score;
            qualified += u32::from(d.qualified);
        }
        qualified
    }

    /// The score of lead `i` through `Playbook::score`, one call from JS per lead.
    pub fn score_one(&self, i: u32) -> i32 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.leads.get(i))
            .map_or(i32::MIN, |lead| self.playbook.score(lead).score)
    }

    /// The scores from the last `score_all`/`evaluate_all`, for the checksum.
    pub fn scores(&self) -> Vec<i32> {
        self.scores.clone()
    }
}
