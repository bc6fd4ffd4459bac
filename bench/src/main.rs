//! `baton-bench`: the peer benchmark, natively. Scores the 100,000 leads of the
//! shared peer workload (`../shared/bench/peer-rules`) with `bench/peer-rules.toml`
//! through the engine's real entry points, `Playbook::score` (the hot path
//! `evaluate` starts with) and `Playbook::evaluate` (reasons and routing too),
//! and checks every score against the peer's.
//!
//! It measures and checks only: no rule logic lives here. Leads become
//! `Submission`s before any timing starts, so parsing JSON is never measured.
//! Exits 1 when a checksum or any lead's score differs from the peer's.
//!
//! Run it with `scripts/bench.sh`, or alone (after `node leadgen.js 100000`):
//! `cargo run -p baton-bench --profile bench-native -- --leads target/peer-rules/leads.jsonl`

use baton::SortedMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use baton::{Playbook, Submission, Value};

const USAGE: &str = "\
usage: baton-bench [--leads FILE] [--expected FILE] [--playbook FILE] [--runs N] [--json FILE]
                   [--only score|evaluate|floor]

  --leads     leads.jsonl from `node leadgen.js 100000` (default: target/peer-rules/leads.jsonl)
  --expected  the peer's score per lead, one a line, .gz or plain
              (default: ../shared/bench/peer-rules/expected-scores.txt.gz)
  --playbook  the playbook to score with (default: bench/peer-rules.toml)
  --runs      timed runs per entry point; the median is reported (default: 5)
  --json      also write the results as JSON (read by scripts/bench.sh)
  --only      time one of score, evaluate, floor (for a profiler); all are still checked

`floor` reads every answer of every lead without scoring: the memory traffic
any evaluation of the held submissions pays, shown beside the scores.";

/// The peer's published checksum over the 100,000 leads of seed 0xC0FFEE.
const PEER: Checksum = Checksum {
    total: 4_741_935,
    qualified: 50_062,
    hash: 1_556_817_041,
};

/// Leads in the cache-resident run (a few MB of submissions).
const HOT: usize = 1000;

/// The peer's threshold; the playbook's qualified grade starts here.
const QUALIFY_AT: i32 = 60;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("baton-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

struct Args {
    leads: PathBuf,
    expected: PathBuf,
    playbook: PathBuf,
    runs: usize,
    json: Option<PathBuf>,
    only: Option<String>,
}

fn args() -> Result<Args> {
    // Defaults are relative to the repository, so `cargo run` works from anywhere in it.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut a = Args {
        leads: repo.join("target/peer-rules/leads.jsonl"),
        expected: repo.join("../shared/bench/peer-rules/expected-scores.txt.gz"),
        playbook: repo.join("bench/peer-rules.toml"),
        runs: 5,
        json: None,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        // Cargo's own bench harness flag, passed when run as `cargo bench`.
        if flag == "--bench" {
            continue;
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .with_context(|| format!("`{name}` needs a value\n{USAGE}"))
        };
        match name.as_str() {
            "--leads" => a.leads = value()?.into(),
            "--expected" => a.expected = value()?.into(),
            "--playbook" => a.playbook = value()?.into(),
            "--json" => a.json = Some(value()?.into()),
            "--only" => {
                let v = value()?;
                if !["score", "evaluate", "floor"].contains(&v.as_str()) {
                    bail!("`--only` takes `score`, `evaluate` or `floor`, not `{v}`");
                }
                a.only = Some(v);
            }
            "--runs" => {
                a.runs = value()?.parse().context("`--runs` takes a whole number")?;
                if a.runs == 0 {
                    bail!("`--runs` must be at least 1");
                }
            }
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    Ok(a)
}

fn run() -> Result<bool> {
    let a = args()?;
    let src = std::fs::read_to_string(&a.playbook)
        .with_context(|| format!("cannot read {}", a.playbook.display()))?;
    let playbook = baton::parse_toml(&src)
        .map_err(|p| anyhow::anyhow!("{} has problems:\n{p}", a.playbook.display()))?;
    let leads = read_leads(&a.leads)?;
    let expected = read_expected(&a.expected)?;
    if expected.len() != leads.len() {
        bail!(
            "{} has {} scores for {} leads",
            a.expected.display(),
            expected.len(),
            leads.len()
        );
    }
    println!(
        "baton native | {} leads | {} rules | playbook {} | runs={} (+1 warm-up)",
        leads.len(),
        playbook.raw().rules.len(),
        playbook.version(),
        a.runs
    );

    let mut ok = true;
    let mut scores = vec![0i32; leads.len()];

    // Warm-up pass, which is also the check.
    let qualified = score_all(&playbook, &leads, &mut scores);
    ok &= check("score", &scores, qualified, &expected);
    let qualified = evaluate_all(&playbook, &leads, &mut scores);
    ok &= check("evaluate", &scores, qualified, &expected);

    let runs = |which: &str| match &a.only {
        Some(only) if only != which => 0,
        _ => a.runs,
    };
    let n = leads.len();
    let score = time(runs("score"), n, || {
        score_all(&playbook, &leads, &mut scores)
    });
    let evaluate = time(runs("evaluate"), n, || {
        evaluate_all(&playbook, &leads, &mut scores)
    });
    let floor = time(runs("floor"), n, || read_all(&leads));
    // The same work on leads that stay in cache, as at the edge, where a lead
    // is scored right after its request was parsed: the first HOT leads, over
    // and over, so as many scores are timed as in the other runs.
    let hot = leads.get(..HOT.min(leads.len())).unwrap_or_default();
    let passes = n / hot.len().max(1);
    let hot_score = time(runs("score"), passes * hot.len(), || {
        let mut q = 0;
        for _ in 0..passes {
            q += score_all(&playbook, hot, &mut scores);
        }
        q
    });
    // The timed runs must have computed the same verdicts.
    let qualified = score_all(&playbook, &leads, &mut scores);
    ok &= check("score (after timing)", &scores, qualified, &expected);

    let ck = Checksum::of(&scores);
    for (name, t) in [
        ("score", &score),
        ("evaluate", &evaluate),
        ("floor", &floor),
        ("hot score", &hot_score),
    ] {
        println!(
            "{name:<9} median {:>8.2} ms  {:>7.3} us/lead  runs=[{}]",
            t.median_ms(),
            t.us_per_lead(),
            t.runs_ms
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(path) = &a.json {
        let entry = |t: &Timing| {
            serde_json::json!({
                "us_per_lead": t.us_per_lead(),
                "median_ms": t.median_ms(),
                "runs_ms": t.runs_ms,
            })
        };
        let out = serde_json::json!({
            "n": n,
            "runs": a.runs,
            "checksum_ok": ok,
            "totalScore": ck.total,
            "qualified": ck.qualified,
            "hash": ck.hash,
            "score": entry(&score),
            "evaluate": entry(&evaluate),
            "floor": entry(&floor),
            "hot_score": entry(&hot_score),
        });
        std::fs::write(path, serde_json::to_string_pretty(&out)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(ok)
}

/// One line of `leads.jsonl` is a lead object whose keys are the playbook's field ids.
fn read_leads(path: &Path) -> Result<Vec<Submission>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {} (generate it with `node leadgen.js 100000` in a copy of the peer folder)",
            path.display()
        )
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let fields: SortedMap<Value> = serde_json::from_str(l)
                .with_context(|| format!("{}:{}: not a lead object", path.display(), i + 1))?;
            Ok(Submission {
                fields,
                ..Submission::default()
            })
        })
        .collect()
}

fn read_expected(path: &Path) -> Result<Vec<i32>> {
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_string(&mut s)
            .with_context(|| format!("{} is not valid gzip text", path.display()))?;
        s
    } else {
        String::from_utf8(raw).with_context(|| format!("{} is not text", path.display()))?
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            l.trim()
                .parse()
                .with_context(|| format!("{}:{}: not a score", path.display(), i + 1))
        })
        .collect()
}

/// Scores every lead through `Playbook::score`; returns how many qualified.
fn score_all(playbook: &Playbook, leads: &[Submission], out: &mut [i32]) -> u32 {
    let mut qualified = 0;
    for (lead, slot) in leads.iter().zip(out.iter_mut()) {
        let s = playbook.score(std::hint::black_box(lead));
        *slot = s.score;
        qualified += u32::from(s.qualified);
    }
    qualified
}

/// The full verdict per lead (validation, reasons, grade, route), as the edge computes it.
fn evaluate_all(playbook: &Playbook, leads: &[Submission], out: &mut [i32]) -> u32 {
    let mut qualified = 0;
    for (lead, slot) in leads.iter().zip(out.iter_mut()) {
        let d = playbook.evaluate(std::hint::black_box(lead));
        *slot = d.score;
        qualified += u32::from(d.qualified);
    }
    qualified
}

/// No scoring: reads every answer of every lead once (each id's and each
/// text's bytes, each number), the memory traffic any evaluation of the held
/// `Submission`s pays. The floor under `score` at this many leads.
fn read_all(leads: &[Submission]) -> u32 {
    let mut acc = 0u32;
    for lead in leads {
        for (id, value) in &std::hint::black_box(lead).fields {
            let edge = |s: &str| {
                u32::from(s.as_bytes().first().copied().unwrap_or(0))
                    + u32::from(s.as_bytes().last().copied().unwrap_or(0))
            };
            acc = acc.wrapping_add(edge(id));
            acc = acc.wrapping_add(match value {
                Value::Text(t) => edge(t),
                Value::Int(i) => *i as u32,
                Value::Bool(b) => u32::from(*b),
                _ => 0,
            });
        }
    }
    acc
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checksum {
    total: i64,
    qualified: u32,
    hash: u32,
}

impl Checksum {
    /// The peer's definition: h = (h*31 + (s as u32)) mod 2^32 over the scores in order.
    fn of(scores: &[i32]) -> Checksum {
        let mut c = Checksum {
            total: 0,
            qualified: 0,
            hash: 0,
        };
        for &s in scores {
            c.total += i64::from(s);
            c.qualified += u32::from(s >= QUALIFY_AT);
            c.hash = c.hash.wrapping_mul(31).wrapping_add(s as u32);
        }
        c
    }
}

/// Compares one pass with the peer; prints what differs.
fn check(what: &str, scores: &[i32], qualified: u32, expected: &[i32]) -> bool {
    let ck = Checksum::of(scores);
    let mut ok = true;
    if let Some(i) = scores.iter().zip(expected).position(|(a, b)| a != b) {
        eprintln!(
            "{what}: lead {} (line {}) scores {} but the peer scores {}",
            i,
            i + 1,
            scores.get(i).copied().unwrap_or_default(),
            expected.get(i).copied().unwrap_or_default()
        );
        ok = false;
    }
    if scores.len() == 100_000 && ck != PEER {
        eprintln!("{what}: checksum {ck:?} differs from the peer's {PEER:?}");
        ok = false;
    }
    // The playbook's qualified grade must agree with the peer's threshold.
    if qualified != ck.qualified {
        eprintln!(
            "{what}: {qualified} leads qualified by grade, {} scored {QUALIFY_AT} or more",
            ck.qualified
        );
        ok = false;
    }
    if ok {
        println!(
            "{what:<9} checksum OK: totalScore={} qualified={} hash={}",
            ck.total, ck.qualified, ck.hash
        );
    }
    ok
}

struct Timing {
    runs_ms: Vec<f64>,
    /// Leads scored per run.
    leads: usize,
}

impl Timing {
    fn median_ms(&self) -> f64 {
        let mut s = self.runs_ms.clone();
        s.sort_by(f64::total_cmp);
        s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn us_per_lead(&self) -> f64 {
        self.median_ms() * 1000.0 / self.leads.max(1) as f64
    }
}

fn time(runs: usize, leads: usize, mut f: impl FnMut() -> u32) -> Timing {
    let runs_ms = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            std::hint::black_box(f());
            t0.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    Timing { runs_ms, leads }
}
