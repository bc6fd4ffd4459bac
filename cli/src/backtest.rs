//! `baton backtest PLAYBOOK OUTCOMES.csv [--against OLD] [--from-edge] [--json]`:
//! reads historical leads and what became of them, scores them with the
//! playbook (and the old one), and prints what the rules are worth.
//!
//! Two CSV shapes: a CRM's (one column per form field, by field id; context
//! as `utm_source`, `utm_medium`, `utm_campaign`, `referrer`, `page_url`,
//! `pages_seen`; and `outcome`), or the edge's export
//! (`GET /v1/reports/leads.csv`: the answers and context as JSON columns).

use std::time::Instant;

use anyhow::{bail, Context, Result};
use baton::backtest::{self, Backtest, Fate};
use baton::raw::FieldKind;
use baton::{Playbook, Submission, Value};

pub struct Options<'a> {
    pub playbook: &'a str,
    pub csv: &'a str,
    pub against: Option<&'a str>,
    pub from_edge: bool,
    pub json: bool,
}

/// Reads the leads of `path` as `playbook`'s fields.
pub fn read(path: &str, playbook: &Playbook, from_edge: bool) -> Result<Vec<(Submission, Fate)>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot read `{path}`"))?;
    let head: Vec<String> = r.headers()?.iter().map(|h| h.trim().to_owned()).collect();
    let col = |name: &str| head.iter().position(|h| h == name);
    let outcome = col("outcome").with_context(|| {
        format!("`{path}` has no `outcome` column (won, lost, rejected or open per lead)")
    })?;
    let answers = col("answers");
    if from_edge && answers.is_none() {
        bail!("`{path}` is not the edge's export (no `answers` column): drop --from-edge, or export with GET /v1/reports/leads.csv");
    }
    let context = col("context");
    let fields: Vec<(usize, &baton::Field)> = playbook
        .fields()
        .iter()
        .filter_map(|f| col(&f.id).map(|i| (i, f)))
        .collect();
    if answers.is_none() && fields.is_empty() {
        bail!(
            "`{path}` has no column named after a field of the playbook ({})",
            playbook
                .fields()
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut out = Vec::new();
    for (n, row) in r.records().enumerate() {
        let line = n + 2;
        let row = row.with_context(|| format!("`{path}` line {line}"))?;
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or("").trim();
        let fate = Fate::parse(cell(Some(outcome))).with_context(|| {
            format!(
                "`{path}` line {line}: outcome `{}` is not won, lost, rejected or open",
                cell(Some(outcome))
            )
        })?;
        let mut sub = Submission::default();
        if let Some(a) = answers {
            let text = cell(Some(a));
            if !text.is_empty() {
                sub.fields = serde_json::from_str(text).with_context(|| {
                    format!("`{path}` line {line}: `answers` is not a JSON object")
                })?;
            }
        } else {
            for (i, f) in &fields {
                if let Some(v) = value(f.kind, cell(Some(*i))) {
                    sub.fields.insert(f.id.clone(), v);
                }
            }
        }
        match context.map(|c| cell(Some(c))).filter(|c| !c.is_empty()) {
            Some(c) => {
                sub.context = serde_json::from_str(c)
                    .with_context(|| format!("`{path}` line {line}: `context` is not JSON"))?;
            }
            None => {
                let opt = |name: &str| {
                    Some(cell(col(name)))
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                };
                let utm = &mut sub.context.utm;
                utm.source = opt("utm_source").or_else(|| opt("source"));
                utm.medium = opt("utm_medium").or_else(|| opt("medium"));
                utm.campaign = opt("utm_campaign").or_else(|| opt("campaign"));
                sub.context.referrer = opt("referrer");
                sub.context.page_url = opt("page_url");
                sub.context.pages_seen = match opt("pages_seen") {
                    Some(p) => match p.parse::<usize>() {
                        // A count: that many pages (the rules count them).
                        Ok(n) => (0..n.min(1000)).map(|i| format!("/{i}")).collect(),
                        Err(_) => p.split('|').map(str::to_owned).collect(),
                    },
                    None => Vec::new(),
                };
            }
        }
        out.push((sub, fate));
    }
    Ok(out)
}

/// A CSV cell as the field's kind reads it; `None` for an empty cell.
fn value(kind: FieldKind, s: &str) -> Option<Value> {
    if s.is_empty() {
        return None;
    }
    Some(match kind {
        FieldKind::Number => match s.parse::<i64>() {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Text(s.to_owned()),
        },
        FieldKind::Checkbox | FieldKind::Consent => Value::Bool(matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "yes" | "1" | "y"
        )),
        FieldKind::Multiselect => Value::List(
            s.split('|')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| Value::Text(x.to_owned()))
                .collect(),
        ),
        _ => Value::Text(s.to_owned()),
    })
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |x| format!("{:.1} %", x * 100.0))
}

fn times(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |x| format!("{x:.2}×"))
}

fn print(name: &str, b: &Backtest) {
    println!(
        "{name} (version {}): {} leads, {} decided, {} open, {} won: base rate {}",
        b.version,
        b.leads,
        b.decided,
        b.open,
        b.won,
        pct(b.base_rate)
    );
    println!(
        "  qualified: {} leads, precision {}, recall {}, lift {}",
        b.qualified,
        pct(b.precision),
        pct(b.recall),
        times(b.lift)
    );
    println!(
        "  {:<8} {:>7} {:>6} {:>9} {:>7}",
        "grade", "leads", "won", "win rate", "lift"
    );
    for g in &b.by_grade {
        println!(
            "  {:<8} {:>7} {:>6} {:>9} {:>7}",
            g.grade,
            g.rate.leads,
            g.rate.won,
            pct(g.rate.win_rate),
            times(g.rate.lift)
        );
    }
    println!(
        "  {:<24} {:>6} {:>6} {:>9} {:>7} {:>9} {:>7}  signal",
        "rule", "points", "held", "win rate", "lift", "not held", "z"
    );
    for r in &b.by_rule {
        println!(
            "  {:<24} {:>6} {:>6} {:>9} {:>7} {:>9} {:>7}  {}",
            r.rule,
            r.points,
            r.held.leads,
            pct(r.held.win_rate),
            times(r.held.lift),
            pct(r.not_held.win_rate),
            r.z.map_or_else(|| "–".to_owned(), |z| format!("{z:.2}")),
            if r.no_signal { "none" } else { "yes" }
        );
    }
    let none: Vec<&str> = b
        .by_rule
        .iter()
        .filter(|r| r.no_signal)
        .map(|r| r.rule.as_str())
        .collect();
    if !none.is_empty() {
        println!("  rules that carry no signal here: {}", none.join(", "));
    }
}

pub fn run(o: &Options, load: impl Fn(&str) -> Result<Playbook>) -> Result<()> {
    let new = load(o.playbook)?;
    let old = o.against.map(&load).transpose()?;
    let t = Instant::now();
    let leads = read(o.csv, &new, o.from_edge)?;
    let read_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let result = backtest::run(&new, &leads);
    let score_ms = t.elapsed().as_secs_f64() * 1000.0;
    let before = old.as_ref().map(|p| backtest::run(p, &leads));
    if o.json {
        let json = serde_json::json!({ "playbook": result, "against": before });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    if let (Some(b), Some(path)) = (&before, o.against) {
        println!("{:<22} {:>12} {:>12}", "", path, o.playbook);
        for (what, x, y) in [
            (
                "qualified leads",
                b.qualified.to_string(),
                result.qualified.to_string(),
            ),
            ("precision", pct(b.precision), pct(result.precision)),
            ("recall", pct(b.recall), pct(result.recall)),
            ("lift", times(b.lift), times(result.lift)),
        ] {
            println!("{what:<22} {x:>12} {y:>12}");
        }
        println!();
        print(path, b);
        println!();
    }
    print(o.playbook, &result);
    println!(
        "read {} leads in {read_ms:.0} ms, scored them in {score_ms:.1} ms ({:.2} µs a lead)",
        leads.len(),
        score_ms * 1000.0 / leads.len().max(1) as f64
    );
    Ok(())
}
