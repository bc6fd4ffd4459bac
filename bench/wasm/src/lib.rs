//! The peer benchmark's wasm side: Baton's engine (`baton-shared`) compiled to
//! wasm and driven from Node by `bench/wasm/run.js`, in three builds (see
//! `Cargo.toml`): with `bulk` (the backtest's path), as the edge links it, and
//! as the widget links it.
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
    /// Each lead's fields as the JSON text a request carries, for
    /// `evaluate_requests`.
    bodies: Vec<String>,
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
        let bodies = leads
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| JsError::new(&e.to_string()))?;
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
            bodies,
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

    /// What the edge does with a request's answers, per lead: the fields'
    /// JSON text parsed, `evaluate`, the decision written back as JSON (the
    /// 201's `decision`). Returns how many qualified.
    pub fn evaluate_requests(&mut self) -> Result<u32, JsError> {
        let mut qualified = 0;
        for (body, slot) in self.bodies.iter().zip(self.scores.iter_mut()) {
            let fields: SortedMap<Value> =
                serde_json::from_str(body).map_err(|e| JsError::new(&e.to_string()))?;
            let d = self.playbook.evaluate(&Submission {
                fields,
                ..Submission::default()
            });
            let answer = serde_json::to_string(&d).map_err(|e| JsError::new(&e.to_string()))?;
            *slot = d.score;
            qualified += u32::from(d.qualified && !answer.is_empty());
        }
        Ok(qualified)
    }

    /// The widget's verdict as the visitor types (`Playbook::preview`: field
    /// errors, score, grade, the rules that held); returns how many qualified.
    pub fn preview_all(&mut self) -> u32 {
        let mut qualified = 0;
        for (lead, slot) in self.leads.iter().zip(self.scores.iter_mut()) {
            let p = self.playbook.preview(lead);
            *slot = p.score;
            qualified += u32::from(p.qualified);
        }
        qualified
    }

    /// The preview of lead `i`, one call from JS per lead, as each keystroke
    /// of the widget makes one.
    pub fn preview_one(&self, i: u32) -> i32 {
        self.lead(i)
            .map_or(i32::MIN, |lead| self.playbook.preview(lead).score)
    }

    /// The score of lead `i` through `Playbook::score`, one call from JS per lead.
    pub fn score_one(&self, i: u32) -> i32 {
        self.lead(i)
            .map_or(i32::MIN, |lead| self.playbook.score(lead).score)
    }

    /// The scores from the last `score_all`/`evaluate_all`, for the checksum.
    pub fn scores(&self) -> Vec<i32> {
        self.scores.clone()
    }
}

impl PeerBench {
    /// Lead `i` as JS numbers it; none past the end.
    fn lead(&self, i: u32) -> Option<&Submission> {
        self.leads.get(usize::try_from(i).ok()?)
    }
}
