//! Any bytes as a submission against the peer benchmark's playbook
//! (`../../bench/peer-rules.toml`, whose tests `score` settles straight from
//! a clean submission's values): the shortcut, where it answers, reaches the
//! full path's verdict, and both reach the tree walk's. Needs `--features bulk`.
#![no_main]

use std::sync::OnceLock;

use baton::{Playbook, Submission};
use libfuzzer_sys::fuzz_target;

fn peer() -> &'static Playbook {
    static PB: OnceLock<Playbook> = OnceLock::new();
    PB.get_or_init(|| {
        baton::parse_toml(include_str!("../../../bench/peer-rules.toml"))
            .expect("bench/peer-rules.toml compiles")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(sub) = serde_json::from_slice::<Submission>(data) else {
        return;
    };
    let pb = peer();
    let full = pb.score_in_full(&sub);
    if let Some(direct) = pb.score_directly(&sub) {
        assert_eq!(direct, full, "straight from the values == through a lead");
    }
    assert_eq!(full, pb.score_by_walk(&sub), "flattened rules == tree walk");
    assert_eq!(pb.score(&sub), full);
});
