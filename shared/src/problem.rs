//! Problems found in a playbook: each with the path to the mistake and a hint.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One mistake in a playbook, e.g. `rules[3].when.any[1]: unknown field "emploees"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Problem {
    /// Where, in the playbook's own terms: `rules[3].when.any[1]`.
    pub path: String,
    pub message: String,
    /// What to do about it, when there is something more specific to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", self.path, self.message)?;
        }
        if let Some(h) = &self.hint {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// Every problem found in one playbook. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Collects problems while compiling, so one run reports them all.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
            hint: None,
        });
    }

    pub fn hint(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
            // No hint without `diagnostics` (see `unknown`), so none of their
            // texts ship to landing pages.
            hint: cfg!(feature = "diagnostics").then(|| hint.into()),
        });
    }

    /// `message`, with a "did you mean" hint when one of `known` is close to `got`.
    pub fn unknown<'a>(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        got: &str,
        known: impl IntoIterator<Item = &'a str>,
    ) {
        // No hint without the `diagnostics` feature: the widget never shows one.
        if !cfg!(feature = "diagnostics") {
            return self.add(path, message);
        }
        let known: Vec<&str> = known.into_iter().collect();
        match closest(got, known.iter().copied()) {
            Some(best) => self.hint(path, message, format!("did you mean `{best}`?")),
            None if known.is_empty() => self.add(path, message),
            None => self.hint(
                path,
                message,
                format!("expected one of: {}", known.join(", ")),
            ),
        }
    }
}

/// The candidate closest to `got` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(got: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let got = got.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&got, &c.to_lowercase());
        let longer = c.chars().count().max(got.chars().count());
        let limit = (longer / 3).max(1);
        // `d < longer`: a name that shares nothing (`Z` for `A`) is no typo of it.
        if d <= limit && d < longer && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Edit distance over chars (optimal string alignment): Levenshtein, plus two
/// neighbours swapped counting as one edit, the commonest typo (`lable`, `feild`).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // Rolling rows: the one before the previous is needed for swaps.
    let mut two_back: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    let mut last_a: Option<char> = None;
    for (i, ca) in a.chars().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            let mut best = sub.min(del).min(ins);
            if j > 0 && last_a == Some(*cb) && b.get(j - 1) == Some(&ca) {
                best = best.min(two_back.get(j - 1).copied().unwrap_or(0) + 1);
            }
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = best;
            }
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
        last_a = Some(ca);
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_field_a_typo_meant() {
        let fields = ["email", "employees", "industry"];
        assert_eq!(closest("emploees", fields), Some("employees"));
        assert_eq!(closest("Industy", fields), Some("industry"));
        assert_eq!(closest("budget", fields), None);
        assert_eq!(closest("Z", ["A", "B", "C"]), None);
        assert_eq!(closest("b", ["A", "B", "C"]), Some("B"));
    }

    #[test]
    fn a_swapped_pair_of_letters_is_one_typo() {
        assert_eq!(edit_distance("lable", "label"), 1);
        assert_eq!(edit_distance("feild", "field"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("ca", "abc"), 3);
        assert_eq!(
            closest("lable", ["id", "kind", "label", "help"]),
            Some("label")
        );
        assert_eq!(
            closest("vaule", ["all", "field", "op", "value"]),
            Some("value")
        );
    }
}
