//! Any bytes as a submission (JSON, as a browser or API client would post it)
//! against the demo playbook and its public copy: a sound decision, never a panic.
#![no_main]

use std::sync::OnceLock;

use baton::{Playbook, Submission};
use libfuzzer_sys::fuzz_target;

fn playbooks() -> &'static (Playbook, Playbook) {
    static PBS: OnceLock<(Playbook, Playbook)> = OnceLock::new();
    PBS.get_or_init(|| {
        let full = baton::parse_toml(include_str!("../../../icp.toml")).expect("icp.toml compiles");
        let public = baton::compile_published(full.public()).expect("its public copy compiles");
        (full, public)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(sub) = serde_json::from_slice::<Submission>(data) else {
        return;
    };
    let (full, public) = playbooks();
    let d = full.evaluate(&sub);
    let p = public.evaluate(&sub);
    for (pb, d) in [(full, &d), (public, &p)] {
        assert_eq!(
            i64::from(d.score),
            d.reasons.iter().map(|r| i64::from(r.points)).sum::<i64>()
        );
        assert_eq!(d.valid, d.field_errors.is_empty());
        if d.knocked_out.is_some() {
            assert!(!d.qualified && d.route.is_none());
        }
        assert_eq!(d.route.is_some(), d.valid && d.knocked_out.is_none());
        let s = pb.score(&sub);
        assert_eq!(
            (s.score, s.qualified),
            (d.score, d.qualified),
            "score() == evaluate()"
        );
        let wire = serde_json::to_string(d).expect("a decision serializes");
        let back: baton::Decision = serde_json::from_str(&wire).expect("and reads back");
        assert_eq!(&back, d);
    }
    // The browser's copy lacks only edge-only rules: everything else agrees.
    assert_eq!(p.field_errors, d.field_errors);
    let edge = |id: &str| {
        full.raw()
            .rules
            .iter()
            .any(|r| r.id == id && r.visibility == baton::raw::Visibility::Edge)
    };
    let full_public: Vec<_> = d.reasons.iter().filter(|r| !edge(&r.rule)).collect();
    assert_eq!(p.reasons.iter().collect::<Vec<_>>(), full_public);
});
