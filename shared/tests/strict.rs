//! `baton::strict`: a struct is read only from a JSON object, and all else
//! as serde_json reads it.
// A test reports by panicking; these lints guard the library, not its tests.
#![allow(clippy::unwrap_used)]
use serde::Deserialize;

use baton::strict::Strict;
use baton::wire::{LeadPost, Submission};

fn read<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    serde_path_to_error::deserialize(Strict(&v)).map_err(|e| e.to_string())
}

#[test]
fn reads_what_serde_json_reads() {
    let json = r#"{"v": 1, "form": "demo", "claimed": null,
        "submission": {"locale": "de", "fields": {"email": "a@b.de", "employees": 120, "big": 18446744073709551615,
        "ratio": 0.5, "consent": true, "none": null, "interests": ["x", "y"]},
        "context": {"utm": {"source": "ads"}, "pages_seen": ["/"], "time_on_page_ms": 5}}}"#;
    let strict: LeadPost = read(json).unwrap();
    let lenient: LeadPost = serde_json::from_str(json).unwrap();
    assert_eq!(strict, lenient);
}

#[test]
fn refuses_a_struct_written_as_an_array_and_says_where() {
    let e = read::<Submission>(r#"{"context": [null, null]}"#).unwrap_err();
    assert!(
        e.starts_with("context:") && e.contains("expected an object"),
        "{e}"
    );
    assert!(read::<LeadPost>(r#"[1, "demo", {}]"#).is_err());
}

#[test]
fn keeps_serde_json_s_errors_for_the_rest() {
    let e =
        read::<LeadPost>(r#"{"v": 1, "form": "demo", "submission": {}, "extra": 1}"#).unwrap_err();
    assert!(e.contains("unknown field `extra`"), "{e}");
    let e = read::<LeadPost>(r#"{"v": 1.5, "form": "demo", "submission": {}}"#).unwrap_err();
    assert!(e.starts_with("v:"), "{e}");
    let e = read::<Submission>(r#"{"fields": {"a": {"b": 1}}}"#).unwrap_err();
    assert!(e.contains("cannot be an object"), "{e}");
}
