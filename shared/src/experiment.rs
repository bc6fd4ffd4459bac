//! Playbook experiments: a control playbook and a variant (each a whole
//! playbook, each its own form) served by bucket. A visitor's bucket comes
//! from the experiment's id and a stable visitor id, with integer arithmetic
//! only (FNV-1a 64 and a 64-bit finalizer: no float, no platform hash), so the
//! browser and the edge put a visitor in the same arm without talking, and a
//! visitor stays in one arm from page to page.
//!
//! The control declares the experiment (`[experiment]`); the edge pairs it
//! with the variant when it loads the playbooks and marks both public copies
//! (`published.experiment`), so whichever copy a browser got, it can compute
//! the arm the edge computes.

use crate::problem::Report;
use crate::raw::RawExperiment;
use serde::{Deserialize, Serialize};

/// Longest visitor id taken; anything else is no visitor id (the control).
pub const MAX_VISITOR_CHARS: usize = 64;

/// An experiment as the edge runs it and every public copy of it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Arms {
    /// The experiment's id, part of every bucket: a new id reshuffles visitors.
    pub id: String,
    /// The form id of the playbook that declares the experiment.
    pub control: String,
    /// The form id of the other playbook.
    pub variant: String,
    /// Percent of visitors who get the variant (1 to 99).
    pub share: u8,
}

impl Arms {
    /// The form id a visitor gets: the variant when their bucket is below the
    /// share; the control without a (well-formed) visitor id.
    pub fn arm(&self, visitor: Option<&str>) -> &str {
        match visitor.filter(|v| visitor_ok(v)) {
            Some(v) if bucket(&self.id, v) < self.share => &self.variant,
            _ => &self.control,
        }
    }

    /// Whether `form` is one of the two arms.
    pub fn has(&self, form: &str) -> bool {
        form == self.control || form == self.variant
    }
}

/// A visitor id the loader makes: 8 to 64 of `A-Z a-z 0-9 - _`.
pub fn visitor_ok(v: &str) -> bool {
    (8..=MAX_VISITOR_CHARS).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The visitor's bucket in the experiment, 0 to 99.
pub fn bucket(experiment: &str, visitor: &str) -> u8 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    // The 0 byte keeps ("ab", "c") and ("a", "bc") apart.
    for b in experiment.bytes().chain([0]).chain(visitor.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME);
    }
    // FNV's low bits follow the last bytes closely; the finalizer (MurmurHash3's
    // fmix64) spreads every input bit over the remainder taken below.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    // In 0..100, so the cast cannot truncate.
    (h % 100) as u8
}

/// The declaration's own mistakes; that the variant exists is the edge's
/// check (it holds every playbook) and `baton check --variant`'s.
pub(crate) fn check(r: &mut Report, raw: &RawExperiment, own_id: &str) {
    let id_ok = !raw.id.is_empty()
        && raw.id.len() <= 64
        && raw
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !id_ok {
        r.add(
            "experiment.id",
            format!(
                "`{}` is not an experiment id: 1 to 64 of a-z, 0-9, `-` and `_`",
                raw.id
            ),
        );
    }
    if raw.variant.trim().is_empty() {
        r.add("experiment.variant", "name the variant playbook's form id");
    } else if raw.variant == own_id {
        r.add(
            "experiment.variant",
            "the variant is another playbook's form id, not this one's",
        );
    }
    if !(1..=99).contains(&raw.share) {
        r.add(
            "experiment.share",
            format!(
                "the variant's share is 1 to 99 percent of visitors, not {}",
                raw.share
            ),
        );
    }
}

/// Buckets in experiment `short-form`, pinned for every target (checked
/// independently against a Python implementation of the same hash when
/// written).
#[doc(hidden)]
pub const PINNED: &[(&str, u8)] = &[
    ("3f9c2a7e-1b44-4d2a-9a51-0c6e8d2f7b10", 2),
    ("k7QmZ2xP9aB4", 47),
    ("00000000", 36),
    ("visitor_0001", 29),
    ("ZZZZZZZZZZZZZZZZ", 5),
    ("a-b_c-d_e-f", 2),
    ("lp4x9s0t1m2n3b5v", 94),
    ("Baton-Visitor-Id-Example-01", 27),
];

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn arms(share: u8) -> Arms {
        Arms {
            id: "short-form".into(),
            control: "demo".into(),
            variant: "demo-b".into(),
            share,
        }
    }

    #[test]
    fn a_visitor_gets_the_same_bucket_every_time_and_buckets_spread_evenly() {
        let mut counts = [0u32; 100];
        for i in 0..100_000u32 {
            let v = format!("visitor-{i:08}");
            let b = bucket("short-form", &v);
            assert_eq!(b, bucket("short-form", &v));
            counts[usize::from(b)] += 1;
        }
        // 1,000 expected per bucket; a fair hash stays well within ±15 %.
        assert!(
            counts.iter().all(|&c| (850..=1150).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn the_share_is_the_part_of_visitors_in_the_variant() {
        let a = arms(30);
        let n = (0..10_000)
            .filter(|i| a.arm(Some(&format!("v{i:09}"))) == "demo-b")
            .count();
        assert!((2_800..=3_200).contains(&n), "{n} of 10,000 in the variant");
    }

    #[test]
    fn another_experiment_reshuffles_visitors() {
        let same = (0..1_000)
            .filter(|i| {
                let v = format!("v{i:09}");
                (bucket("one", &v) < 50) == (bucket("two", &v) < 50)
            })
            .count();
        assert!((400..=600).contains(&same), "{same}");
    }

    #[test]
    fn no_visitor_id_or_a_malformed_one_is_the_control() {
        let a = arms(99);
        for v in [
            None,
            Some(""),
            Some("short"),
            Some("has space in it"),
            Some(&"x".repeat(65)[..]),
        ] {
            assert_eq!(a.arm(v), "demo");
        }
    }

    /// Pinned: the browser (wasm) and the edge (workerd) must reproduce these
    /// exactly; `tests/experiments.test.mjs` holds the Worker to the same table.
    #[test]
    fn buckets_are_pinned() {
        for (visitor, want) in crate::experiment::PINNED {
            assert_eq!(bucket("short-form", visitor), *want, "{visitor}");
        }
    }
}
