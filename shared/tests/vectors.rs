//! Golden vectors: every `tests/vectors/*.json` is evaluated and its full
//! `Decision` compared with `expect`. The same files run natively (this file
//! under `cargo test`), in wasm in headless Chromium (this file under
//! `scripts/test-wasm.sh`) and through the Worker (`POST /v1/evaluate`), so a
//! verdict that differs between targets fails here first.
//!
//! Format and how to add a vector: `tests/vectors/README.md`.
//! `BATON_BLESS=1 cargo test -p baton-shared --test vectors` writes `expect`
//! into vectors that have none (never touching existing ones; `BATON_BLESS=all`
//! rewrites every one). Review what it wrote by hand: expectations are golden.

// A test reports by panicking; these lints guard the library, not its tests.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;

use baton::{Playbook, Submission};
use serde_json::Value as Json;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));
}

/// Keys a vector file may have; anything else is a typo.
const KEYS: &[&str] = &[
    "name",
    "about",
    "playbook",
    "public",
    "submission",
    "expect",
];

/// How many vectors issue #2 asks for: fewer means files went missing.
const AT_LEAST: usize = 40;

/// One parsed vector file.
struct Vector {
    file: String,
    about: String,
    playbook: Playbook,
    submission: Submission,
    expect: Option<Json>,
}

/// What became of one vector.
enum Outcome {
    Pass,
    /// No `expect` yet: the decision the engine gives, pretty JSON in field
    /// order, for blessing.
    Unblessed(String),
    Fail(String),
}

fn load(file: &str, text: &str) -> Result<Vector, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let obj = doc.as_object().ok_or("a vector is a JSON object")?;
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("unknown key `{k}` (known: {})", KEYS.join(", ")));
    }
    let name = obj.get("name").and_then(Json::as_str).unwrap_or_default();
    if format!("{name}.json") != file {
        return Err(format!(
            "`name` is `{name}` but the file is `{file}`: name the file after the case"
        ));
    }
    let about = obj.get("about").and_then(Json::as_str).unwrap_or_default();
    if about.trim().is_empty() {
        return Err("`about` must say in one line what this vector pins".into());
    }
    let full = match obj.get("playbook") {
        Some(Json::String(s)) if s == "demo" => baton::parse_toml(embedded::DEMO_PLAYBOOK)
            .map_err(|p| format!("the demo playbook does not compile:\n{p}"))?,
        Some(p @ Json::Object(_)) => baton::parse_json(&p.to_string())
            .map_err(|p| format!("the inline playbook does not compile:\n{p}"))?,
        _ => return Err("`playbook` is \"demo\" or an inline playbook object".into()),
    };
    let playbook = match obj.get("public") {
        None | Some(Json::Bool(false)) => full,
        Some(Json::Bool(true)) => baton::compile_published(full.public())
            .map_err(|p| format!("the public copy does not compile:\n{p}"))?,
        Some(other) => return Err(format!("`public` is true or false, not {other}")),
    };
    let submission = serde_json::from_value(obj.get("submission").cloned().unwrap_or(Json::Null))
        .map_err(|e| format!("`submission` is not a Submission: {e}"))?;
    Ok(Vector {
        file: file.to_owned(),
        about: about.to_owned(),
        playbook,
        submission,
        expect: obj.get("expect").cloned(),
    })
}

fn run(file: &str, text: &str) -> Outcome {
    let v = match load(file, text) {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(format!("{file}: {e}")),
    };
    let decision = v.playbook.evaluate(&v.submission);
    // The widget shows a preview: the same verdict without route and words.
    let p = v.playbook.preview(&v.submission);
    if (p.claimed(), &p.field_errors, p.reasons.len())
        != (
            decision.claimed(),
            &decision.field_errors,
            decision.reasons.len(),
        )
    {
        return Outcome::Fail(format!(
            "{file}: the preview differs from the decision: {p:?}"
        ));
    }
    if let Err(e) = skipping_changes_nothing(&v) {
        return Outcome::Fail(format!("{file}: {e}"));
    }
    let actual = serde_json::to_value(&decision).expect("a decision serializes");
    let Some(expect) = v.expect else {
        return Outcome::Unblessed(serde_json::to_string_pretty(&decision).unwrap_or_default());
    };
    let mut diffs = Vec::new();
    diff("expect", &expect, &actual, &mut diffs);
    if diffs.is_empty() {
        return Outcome::Pass;
    }
    let mut msg = format!("{}: {}\n", v.file, v.about);
    for d in &diffs {
        let _ = writeln!(msg, "    {d}");
    }
    let _ = writeln!(
        msg,
        "  the engine decided:\n{}",
        serde_json::to_string_pretty(&decision).unwrap_or_default()
    );
    Outcome::Fail(msg)
}

/// "Ask only what matters" (#12): an optional question the widget would
/// skip, judged on the public copy as the browser has it, never changes the
/// decision the vector's playbook (the edge's) reaches with its answer.
fn skipping_changes_nothing(v: &Vector) -> Result<(), String> {
    let public = baton::compile_published(v.playbook.public())
        .map_err(|p| format!("the public copy does not compile:\n{p}"))?;
    let outcome = |s: &Submission| {
        let d = v.playbook.evaluate(s);
        (
            d.grade,
            d.qualified,
            d.knocked_out,
            d.route.map(|r| r.route),
        )
    };
    let with = outcome(&v.submission);
    let invalid = v.playbook.evaluate(&v.submission).field_errors;
    for f in v.playbook.raw().fields.iter().filter(|f| !f.required) {
        // The widget sends no invalid answer: the claim is for valid ones.
        if !v.submission.fields.contains_key(&f.id) || invalid.iter().any(|e| e.field == f.id) {
            continue;
        }
        let mut without = v.submission.clone();
        without.fields.remove(&f.id);
        if public.open_questions(&without, &[f.id.as_str()]).is_empty() && outcome(&without) != with
        {
            return Err(format!(
                "the widget would skip `{}`, but its answer changes the decision: {:?} without it, {with:?} with it",
                f.id,
                outcome(&without)
            ));
        }
    }
    Ok(())
}

/// Every place where `actual` differs from `expected`, as `path: expected X, got Y`.
fn diff(path: &str, expected: &Json, actual: &Json, out: &mut Vec<String>) {
    match (expected, actual) {
        (Json::Object(e), Json::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => diff(&p, ev, av, out),
                    None => out.push(format!("{p}: expected {ev}, the decision has no `{k}`")),
                }
            }
            for (k, av) in a {
                if !e.contains_key(k) {
                    out.push(format!("{path}.{k}: not expected, got {av}"));
                }
            }
        }
        (Json::Array(e), Json::Array(a)) => {
            for (i, pair) in e.iter().zip(a).enumerate() {
                diff(&format!("{path}[{i}]"), pair.0, pair.1, out);
            }
            if e.len() > a.len() {
                out.push(format!(
                    "{path}: expected {} entries, got {}; missing: {}",
                    e.len(),
                    a.len(),
                    Json::Array(e[a.len()..].to_vec())
                ));
            } else if a.len() > e.len() {
                out.push(format!(
                    "{path}: expected {} entries, got {}; not expected: {}",
                    e.len(),
                    a.len(),
                    Json::Array(a[e.len()..].to_vec())
                ));
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, got {actual}")),
    }
}

/// Runs every vector; returns (passed, unblessed decisions, failure messages).
fn run_all<'a>(
    files: impl Iterator<Item = (&'a str, &'a str)>,
) -> (usize, Vec<(String, String)>, Vec<String>) {
    let (mut passed, mut unblessed, mut failed) = (0, Vec::new(), Vec::new());
    for (file, text) in files {
        match run(file, text) {
            Outcome::Pass => passed += 1,
            Outcome::Unblessed(d) => unblessed.push((file.to_owned(), d)),
            Outcome::Fail(m) => failed.push(m),
        }
    }
    (passed, unblessed, failed)
}

fn report(passed: usize, unblessed: &[(String, String)], failed: &[String]) {
    let total = passed + unblessed.len() + failed.len();
    assert!(
        total >= AT_LEAST,
        "only {total} golden vectors ran; expected at least {AT_LEAST} (did the list come out empty?)"
    );
    let mut msg = String::new();
    for f in failed {
        let _ = writeln!(msg, "FAIL {f}");
    }
    for (file, _) in unblessed {
        let _ = writeln!(
            msg,
            "NO EXPECT {file}: run `BATON_BLESS=1 cargo test -p baton-shared --test vectors`, then review it"
        );
    }
    assert!(
        msg.is_empty(),
        "{msg}\n{passed} of {total} golden vectors passed"
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::{Path, PathBuf};

    use super::*;

    fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
    }

    /// Files on disk, sorted: the source of truth natively (blessing writes here).
    fn on_disk() -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir())
            .expect("tests/vectors exists")
            .map(|e| e.expect("readable directory").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).expect("readable vector"))
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_golden_vector_gives_its_expected_decision() {
        let files = on_disk();
        let (passed, unblessed, failed) =
            run_all(files.iter().map(|(f, t)| (f.as_str(), t.as_str())));
        let mode = std::env::var("BATON_BLESS").unwrap_or_default();
        if mode == "1" || mode == "all" {
            let mut wrote = 0;
            for (file, text) in &files {
                let fresh = unblessed.iter().find(|(f, _)| f == file).map(|(_, d)| d);
                let redo = (mode == "all")
                    .then(|| super::load(file, text).ok())
                    .flatten();
                let decision = match (fresh, redo) {
                    (Some(d), _) => d.clone(),
                    (None, Some(v)) => {
                        serde_json::to_string_pretty(&v.playbook.evaluate(&v.submission)).unwrap()
                    }
                    (None, None) => continue,
                };
                std::fs::write(dir().join(file), bless(text, &decision)).unwrap();
                wrote += 1;
            }
            eprintln!("wrote `expect` into {wrote} vector(s): review every one by hand");
            assert!(failed.is_empty() || mode == "all", "{}", failed.join("\n"));
            return;
        }
        report(passed, &unblessed, &failed);
    }

    /// Puts `expect` last in the file, keeping everything before it as written.
    fn bless(text: &str, pretty: &str) -> String {
        let head = match text.find("\n  \"expect\":") {
            Some(i) => text[..i].trim_end().trim_end_matches(','),
            None => text.trim_end().strip_suffix('}').unwrap().trim_end(),
        };
        let out = format!(
            "{head},\n  \"expect\": {}\n}}\n",
            pretty.replace('\n', "\n  ")
        );
        let check: Json = serde_json::from_str(&out).expect("blessed vector is JSON");
        let decision: Json = serde_json::from_str(pretty).unwrap();
        assert_eq!(
            check.get("expect"),
            Some(&decision),
            "blessing kept the decision"
        );
        out
    }

    /// The wasm test only sees what the build script embedded: it must be every file.
    #[test]
    fn the_embedded_list_has_every_vector_file() {
        if std::env::var_os("BATON_BLESS").is_some() {
            return; // blessing is rewriting the files right now
        }
        let disk: Vec<String> = on_disk().into_iter().map(|(f, _)| f).collect();
        let embedded: Vec<&str> = embedded::VECTORS.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            embedded, disk,
            "build.rs lists different vectors than tests/vectors"
        );
        for (file, text) in embedded::VECTORS {
            assert_eq!(
                *text,
                std::fs::read_to_string(dir().join(file)).unwrap(),
                "{file}: embedded copy is stale"
            );
        }
    }

    #[test]
    fn a_wrong_expectation_fails_with_a_readable_diff() {
        let (file, text) = embedded::VECTORS
            .iter()
            .find(|(_, t)| t.contains("\"expect\""))
            .expect("some vector has an expectation");
        let mut doc: Json = serde_json::from_str(text).unwrap();
        doc["expect"]["score"] = Json::from(-12345);
        match run(file, &doc.to_string()) {
            Outcome::Fail(m) => assert!(
                m.contains("expect.score: expected -12345, got"),
                "diff does not name the field: {m}"
            ),
            _ => panic!("a wrong score passed"),
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn every_golden_vector_gives_its_expected_decision_in_the_browser() {
        let (passed, unblessed, failed) = run_all(embedded::VECTORS.iter().copied());
        report(passed, &unblessed, &failed);
        // Visible in the runner's output, so a run that checked nothing stands out.
        wasm_bindgen_test::console_log!("{passed} golden vectors passed in the browser");
    }

    /// The widget computes a visitor's experiment arm in the browser; it must
    /// be the edge's (natively: `experiment.rs`; the Worker: tests/experiments.test.mjs).
    #[wasm_bindgen_test]
    fn experiment_buckets_are_the_pinned_ones_in_the_browser() {
        for (visitor, want) in baton::experiment::PINNED {
            assert_eq!(
                baton::experiment::bucket("short-form", visitor),
                *want,
                "{visitor}"
            );
        }
    }
}
