//! Any bytes as a playbook, in TOML and in JSON: parsing either fails with
//! problems or gives a playbook whose public copy, canonical form and
//! evaluation all hold together. Never a panic.
#![no_main]

use baton::{Playbook, Submission};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [baton::parse_toml(src), baton::parse_json(src)] {
        match parsed {
            Ok(pb) => round_trip(&pb),
            Err(problems) => assert!(!problems.0.is_empty(), "an error lists its problems"),
        }
    }
});

fn round_trip(pb: &Playbook) {
    // The copy browsers receive compiles, as JSON on the wire and directly,
    // and keeps the full playbook's version.
    let public = pb.public();
    let wire = serde_json::to_string(&public).expect("the public copy serializes");
    let from_wire = baton::parse_json(&wire)
        .unwrap_or_else(|p| panic!("the public copy does not parse back:\n{p}\n{wire}"));
    assert_eq!(from_wire.version(), pb.version());
    let direct = baton::compile_published(public).expect("the public copy compiles");
    assert_eq!(direct.version(), pb.version());
    let removed = direct
        .raw()
        .published
        .as_ref()
        .map_or(0, |p| p.edge_rules_removed);
    assert_eq!(direct.is_provisional(), removed > 0);

    // The canonical form parses to the same version (unless this was itself a public copy).
    if pb.raw().published.is_none() {
        let canonical = baton::canonical_json(pb.raw());
        let again = baton::parse_json(&canonical)
            .unwrap_or_else(|p| panic!("canonical form does not parse back:\n{p}\n{canonical}"));
        assert_eq!(again.version(), pb.version());
    }

    // An empty lead is a decision, not a panic.
    let d = pb.evaluate(&Submission::default());
    assert_eq!(d.score, d.reasons.iter().map(|r| r.points).sum::<i32>());
}
